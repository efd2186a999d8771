//! The emulator's HTTP/1.1 server: one thread per connection, keep-alive, requests parsed with
//! `httparse`, bodies by `Content-Length` or chunked, `Expect: 100-continue` answered.
//!
//! Everything a client can make it hold is bounded: the head ([`MAX_HEAD`] bytes,
//! [`MAX_HEADERS`] fields), a body's data ([`MAX_BODY`]), its chunk-size lines and extensions,
//! its trailers, the body bytes all connections hold at once ([`MAX_BUFFERED`]), and the time
//! a request may take to arrive ([`HEAD_DEADLINE`], [`REQUEST_DEADLINE`]). Connections waiting
//! for a request are evicted, oldest first, when the connection cap is reached, so idle or slow
//! clients cannot lock real ones out.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::service::{lock, Incoming, Reply, Service};

/// Longest request head accepted (request line and headers); also the most trailer bytes.
const MAX_HEAD: usize = 64 << 10;
/// Largest request body accepted (data bytes).
const MAX_BODY: usize = 16 << 20;
/// Most headers in one request; also the most trailer lines.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size line (size and extensions).
const MAX_CHUNK_LINE: usize = 1024;
/// Most chunk-extension bytes in one body.
const MAX_EXTENSIONS: usize = 16 << 10;
/// Body bytes all connections may hold at once; a request that would pass it waits for room
/// (until its deadline, then 503).
const MAX_BUFFERED: usize = 256 << 20;
/// How often a blocked read or write checks whether the server is stopping.
const POLL: Duration = Duration::from_millis(50);
/// An idle keep-alive connection is closed after this long...
const IDLE: Duration = Duration::from_secs(60);
/// ...or this long while more than half the connection slots are taken.
const BUSY_IDLE: Duration = Duration::from_secs(5);
/// A request's head must arrive whole within this long of its first byte; a new connection's
/// first head within this long of the connection.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A request must arrive whole within this long of its first byte (slow clients are cut off).
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// A reply must be written within this long (clients that do not read are cut off).
const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// After refusing a request, the server reads (and drops) at most this much more of it, for at
/// most [`LINGER`], so the client sees the reply before the connection is reset.
const LINGER_BYTES: usize = 256 << 10;
const LINGER: Duration = Duration::from_secs(1);
/// Connections served at once. At the cap a new connection evicts the one that has waited
/// longest for a request; when every connection is busy with one, it is answered 503.
const MAX_CONNECTIONS: usize = 256;

/// What the accept loop and the connection threads share.
struct Shared {
    service: Arc<Service>,
    stop: AtomicBool,
    /// Connection threads alive.
    live: AtomicUsize,
    /// Body bytes held by all connections (at most [`MAX_BUFFERED`]).
    buffered: AtomicUsize,
    /// The reference instant of [`Slot::since`].
    epoch: Instant,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// More than half the connection slots are taken.
    fn busy(&self) -> bool {
        self.live.load(Ordering::Relaxed) > MAX_CONNECTIONS / 2
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A connection waiting for (or reading) a request: it may be evicted.
const WAITING: u8 = 0;
/// A connection handling a request or writing its reply.
const BUSY: u8 = 1;
/// A connection shut down to make room for a new one.
const EVICTED: u8 = 2;

/// A connection as the accept loop sees it.
struct Slot {
    state: AtomicU8,
    /// Since when it has been [`WAITING`] (nanoseconds after [`Shared::epoch`]).
    since: AtomicU64,
    /// A handle on the socket, to shut it down when evicted; taken (closed) when the
    /// connection ends, so that the socket closes with it.
    stream: Mutex<Option<TcpStream>>,
}

impl Slot {
    /// BUSY → WAITING, from now; false if the connection was evicted.
    fn wait(&self, shared: &Shared) -> bool {
        self.since
            .store(shared.nanos(Instant::now()), Ordering::SeqCst);
        self.state
            .compare_exchange(BUSY, WAITING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// WAITING → BUSY; false if the connection was evicted.
    fn work(&self) -> bool {
        self.state
            .compare_exchange(WAITING, BUSY, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    fn evicted(&self) -> bool {
        self.state.load(Ordering::SeqCst) == EVICTED
    }
}

/// A connection thread and its slot.
struct Entry {
    handle: JoinHandle<()>,
    slot: Arc<Slot>,
}

/// The listening side: the accept thread and every connection thread.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<Entry>>>,
}

impl Server {
    pub(crate) fn start(addr: SocketAddr, service: Arc<Service>) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            service,
            stop: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            buffered: AtomicUsize::new(0),
            epoch: Instant::now(),
        });
        let connections: Arc<Mutex<Vec<Entry>>> = Arc::default();
        let accept = {
            let (shared, connections) = (shared.clone(), connections.clone());
            thread::Builder::new()
                .name("import-emulator-accept".into())
                .spawn(move || accept_loop(listener, shared, connections))?
        };
        Ok(Server {
            addr,
            shared,
            accept: Some(accept),
            connections,
        })
    }

    /// Where a client reaches the server: its address, with a wildcard bind (`0.0.0.0`, `[::]`)
    /// replaced by loopback (which not every platform can connect to otherwise).
    pub(crate) fn reachable_addr(&self) -> SocketAddr {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        addr
    }

    /// Stops accepting, closes every connection and waits for their threads.
    pub(crate) fn stop(&mut self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the blocking accept() with a connection of our own.
        let _ = TcpStream::connect_timeout(&self.reachable_addr(), Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let entries = std::mem::take(&mut *lock(&self.connections));
        for entry in entries {
            let _ = entry.handle.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Shuts down the connection that has waited longest for a request; false if every connection
/// is busy with one.
fn evict_oldest(list: &[Entry]) -> bool {
    loop {
        let oldest = list
            .iter()
            .filter(|e| e.slot.state.load(Ordering::SeqCst) == WAITING)
            .min_by_key(|e| e.slot.since.load(Ordering::SeqCst));
        let Some(oldest) = oldest else {
            return false;
        };
        let slot = &oldest.slot;
        if slot
            .state
            .compare_exchange(WAITING, EVICTED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            let stream = lock(&slot.stream);
            if let Some(stream) = stream.as_ref() {
                let _ = stream.shutdown(Shutdown::Both);
            }
            return true;
        }
        // It started on a request meanwhile: look again.
    }
}

/// Decrements [`Shared::live`] when a connection thread ends, however it ends.
struct Live(Arc<Shared>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, connections: Arc<Mutex<Vec<Entry>>>) {
    static TRACE: AtomicU64 = AtomicU64::new(1);
    for stream in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors, say: don't spin.
            thread::sleep(Duration::from_millis(20));
            continue;
        };
        let mut list = lock(&connections);
        list.retain(|e| !e.handle.is_finished());
        let open = list.iter().filter(|e| !e.slot.evicted()).count();
        let handle = stream.try_clone();
        if open >= MAX_CONNECTIONS && !evict_oldest(&list) || handle.is_err() {
            let mut stream = stream;
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let now = Instant::now();
        let slot = Arc::new(Slot {
            state: AtomicU8::new(WAITING),
            since: AtomicU64::new(shared.nanos(now)),
            stream: Mutex::new(handle.ok()),
        });
        shared.live.fetch_add(1, Ordering::SeqCst);
        let live = Live(shared.clone());
        let connection = Connection {
            stream,
            shared: shared.clone(),
            slot: slot.clone(),
            buf: Vec::new(),
            accepted: now,
            served: 0,
            idle_since: now,
            first_byte: None,
            in_head: true,
            held: 0,
            read_timeout: POLL,
        };
        let spawned = thread::Builder::new()
            .name("import-emulator-conn".into())
            .spawn(move || {
                let _live = live;
                let _ = connection.serve(&TRACE);
            });
        match spawned {
            Ok(handle) => list.push(Entry { handle, slot }),
            // The closure (and with it `live`) is dropped: the count stays right.
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

struct Connection {
    stream: TcpStream,
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    /// Bytes read but not yet used.
    buf: Vec<u8>,
    /// When the connection was accepted.
    accepted: Instant,
    /// Requests answered so far.
    served: u64,
    /// When the wait for the current request began.
    idle_since: Instant,
    /// When the first byte of the current request arrived.
    first_byte: Option<Instant>,
    /// Whether the current request's head is still being read.
    in_head: bool,
    /// Bytes of [`Shared::buffered`] this connection holds.
    held: usize,
    /// The socket's read timeout: [`POLL`], or less when the deadline is nearer, so that a
    /// connection is closed at its deadline, not up to a poll later (the longest idle go first).
    read_timeout: Duration,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.release();
        // Close the slot's handle too: the socket closes when the last one does.
        lock(&self.slot.stream).take();
    }
}

/// A parsed request head.
struct Head {
    method: String,
    path: String,
    /// The query string, without `?`.
    query: String,
    keep_alive: bool,
    headers: HeaderMap,
    len: usize,
}

enum Framing {
    Length(usize),
    Chunked,
}

/// How reading part of a request ended: with it, with a reply refusing it (the connection is
/// then closed), or with nothing (the connection ended or timed out).
type Step<T> = io::Result<Option<Result<T, Reply>>>;

impl Connection {
    fn serve(mut self, trace: &AtomicU64) -> io::Result<()> {
        self.stream.set_read_timeout(Some(POLL))?;
        self.stream.set_write_timeout(Some(POLL))?;
        let _ = self.stream.set_nodelay(true);
        loop {
            let now = Instant::now();
            self.idle_since = now;
            self.first_byte = (!self.buf.is_empty()).then_some(now);
            self.in_head = true;
            if self.served > 0 && !self.slot.wait(&self.shared) {
                return Ok(());
            }
            let head = match self.read_head()? {
                Some(Ok(head)) => head,
                Some(Err(reply)) => return self.refuse(&reply),
                None => return Ok(()),
            };
            self.in_head = false;
            self.buf.drain(..head.len);
            let framing = match framing(&head.headers) {
                Ok(framing) => framing,
                Err(reply) => return self.refuse(&reply),
            };
            let expects_continue = head
                .headers
                .get(http::header::EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            let body = match self.read_body(framing, expects_continue)? {
                Some(Ok(body)) => body,
                Some(Err(reply)) => return self.refuse(&reply),
                None => return Ok(()),
            };
            if !self.slot.work() {
                return Ok(());
            }
            // What a keep-alive connection keeps between requests stays small.
            if self.buf.capacity() > 64 << 10 {
                self.buf.shrink_to(16 << 10);
            }
            let has_body = reply_has_body(&head.method);
            let request = Incoming {
                method: head.method,
                path: head.path,
                query: head.query,
                headers: head.headers,
                body,
            };
            let reply = self.shared.service.handle(request);
            self.release();
            let keep_alive = head.keep_alive && !self.shared.stopping();
            let trace = trace.fetch_add(1, Ordering::Relaxed);
            let len = reply.body.len();
            let body: &[u8] = if has_body {
                &reply.body
            } else {
                // HEAD: the headers a GET would get, without the body.
                &[]
            };
            self.write_head(&reply, len, body, keep_alive, trace)?;
            self.served += 1;
            if !keep_alive {
                return Ok(());
            }
        }
    }

    /// When the request being waited for, or read, must have arrived.
    fn deadline(&self) -> Instant {
        match self.first_byte {
            // A new connection has this long for its first head.
            None if self.served == 0 => self.accepted + HEAD_DEADLINE,
            None if self.shared.busy() => self.idle_since + BUSY_IDLE,
            None => self.idle_since + IDLE,
            Some(first) => {
                let whole = first + REQUEST_DEADLINE;
                if !self.in_head {
                    return whole;
                }
                let head_from = if self.served == 0 {
                    self.accepted
                } else {
                    first
                };
                whole.min(head_from + HEAD_DEADLINE)
            }
        }
    }

    /// Reads more bytes into the buffer. `Ok(false)`: the peer closed, the server is stopping,
    /// the connection was evicted, idle too long, or the request took too long to arrive.
    fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 << 10];
        loop {
            if self.shared.stopping() || self.slot.evicted() {
                return Ok(false);
            }
            let now = Instant::now();
            let deadline = self.deadline();
            if now >= deadline {
                return Ok(false);
            }
            let wait = (deadline - now).clamp(Duration::from_millis(1), POLL);
            if wait != self.read_timeout {
                self.stream.set_read_timeout(Some(wait))?;
                self.read_timeout = wait;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.first_byte.get_or_insert(now);
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if is_retry(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// `None` when the connection ended before a whole head arrived.
    fn read_head(&mut self) -> Step<Head> {
        // Up to here the buffer holds no line end: no need to parse it again.
        let mut scanned = 0;
        loop {
            if self.buf[scanned..].contains(&b'\n') {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut request = httparse::Request::new(&mut headers);
                match request.parse(&self.buf) {
                    Ok(httparse::Status::Complete(len)) => return Ok(Some(head(&request, len))),
                    Ok(httparse::Status::Partial) => {}
                    Err(httparse::Error::TooManyHeaders) => {
                        return Ok(Some(Err(Reply::text(431, "too many header fields"))))
                    }
                    Err(e) => return Ok(Some(Err(Reply::text(400, &format!("bad request: {e}"))))),
                }
            }
            if self.buf.len() > MAX_HEAD {
                return Ok(Some(Err(Reply::text(
                    431,
                    "request header fields too large",
                ))));
            }
            scanned = self.buf.len();
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn read_body(&mut self, framing: Framing, expects_continue: bool) -> Step<Vec<u8>> {
        if expects_continue && self.buf.is_empty() {
            self.write_all(
                b"HTTP/1.1 100 Continue\r\n\r\n",
                Instant::now() + WRITE_DEADLINE,
            )?;
        }
        match framing {
            Framing::Length(len) => {
                loop {
                    // Room in MAX_BUFFERED is taken as the body arrives (a MiB at a time), not
                    // for what a client merely announces.
                    let have = self.buf.len().min(len);
                    if have > self.held {
                        let more = (have - self.held).max(1 << 20).min(len - self.held);
                        if !self.reserve(more) {
                            return Ok(Some(Err(busy())));
                        }
                    }
                    if self.buf.len() >= len {
                        break;
                    }
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
                let rest = self.buf.split_off(len);
                Ok(Some(Ok(std::mem::replace(&mut self.buf, rest))))
            }
            Framing::Chunked => {
                let mut state = Chunked::default();
                loop {
                    let done = state.resume(&self.buf);
                    // What was decoded is dropped from the buffer: it holds at most one read
                    // and one unfinished line.
                    self.buf.drain(..state.take_used());
                    if state.body.len() > self.held {
                        let more = (state.body.len() - self.held).max(1 << 20);
                        if !self.reserve(more.min(MAX_BODY.saturating_sub(self.held))) {
                            return Ok(Some(Err(busy())));
                        }
                    }
                    match done {
                        Ok(Some(_)) => return Ok(Some(Ok(std::mem::take(&mut state.body)))),
                        Ok(None) => {
                            if !self.fill()? {
                                return Ok(None);
                            }
                        }
                        Err(status) => return Ok(Some(Err(chunked_error(status)))),
                    }
                }
            }
        }
    }

    /// Takes `bytes` more of [`MAX_BUFFERED`], waiting for room until the request's deadline;
    /// false if there was none by then.
    fn reserve(&mut self, bytes: usize) -> bool {
        loop {
            let taken =
                self.shared
                    .buffered
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| {
                        held.checked_add(bytes).filter(|&sum| sum <= MAX_BUFFERED)
                    });
            if taken.is_ok() {
                self.held += bytes;
                return true;
            }
            if self.shared.stopping() || self.slot.evicted() || Instant::now() >= self.deadline() {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Gives back what [`reserve`](Self::reserve) took.
    fn release(&mut self) {
        let held = std::mem::take(&mut self.held);
        if held > 0 {
            self.shared.buffered.fetch_sub(held, Ordering::SeqCst);
        }
    }

    /// Answers `reply` and closes the connection, reading (and dropping) a little more of what
    /// the client is still sending first, so that it can read the reply.
    fn refuse(&mut self, reply: &Reply) -> io::Result<()> {
        self.release();
        self.buf = Vec::new();
        self.write_head(reply, reply.body.len(), &reply.body, false, 0)?;
        let _ = self.stream.shutdown(Shutdown::Write);
        let until = Instant::now() + LINGER;
        let mut drained = 0;
        let mut chunk = [0u8; 16 << 10];
        while drained < LINGER_BYTES && Instant::now() < until && !self.shared.stopping() {
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => drained += n,
                Err(e) if is_retry(&e) => {}
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Writes the status line and headers (declaring `len` bytes of body), then `body`.
    fn write_head(
        &mut self,
        reply: &Reply,
        len: usize,
        body: &[u8],
        keep_alive: bool,
        trace: u64,
    ) -> io::Result<()> {
        use std::fmt::Write as _;
        let reason = http::StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut out = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
        if reply.status != 204 {
            let _ = write!(
                out,
                "Content-Type: {}\r\nContent-Length: {len}\r\n",
                reply.content_type
            );
        }
        for (name, value) in reply.headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        if trace > 0 {
            let _ = write!(out, "X-Milvus-Trace-Id: {trace:032x}\r\n");
        }
        if !keep_alive {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        let deadline = Instant::now() + WRITE_DEADLINE;
        if body.len() <= 16 << 10 {
            // One segment for a small reply.
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(body);
            self.write_all(&bytes, deadline)
        } else {
            self.write_all(out.as_bytes(), deadline)?;
            self.write_all(body, deadline)
        }
    }

    /// Writes all of `bytes` by `deadline` (a client that reads too slowly is cut off).
    fn write_all(&mut self, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.shared.stopping() || Instant::now() >= deadline {
                return Err(io::ErrorKind::TimedOut.into());
            }
            match self.stream.write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if is_retry(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Whether a read or write that failed with `e` is tried again: a socket timeout (the caller
/// checks its own deadline) or a signal.
fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Whether the reply to `method` carries its body (not for `HEAD`).
fn reply_has_body(method: &str) -> bool {
    method != "HEAD"
}

/// The reply when [`MAX_BUFFERED`] has no room for a request's body in time.
fn busy() -> Reply {
    Reply::text(503, "the emulator holds too many request bodies; try again")
}

fn chunked_error(status: u16) -> Reply {
    match status {
        413 => Reply::text(413, "request body too large"),
        431 => Reply::text(431, "request trailer fields too large"),
        _ => Reply::text(400, "bad chunked body"),
    }
}

fn head(request: &httparse::Request<'_, '_>, len: usize) -> Result<Head, Reply> {
    let method = request.method.unwrap_or("").to_string();
    let target = request.path.unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let query = target
        .split('#')
        .next()
        .and_then(|t| t.split_once('?'))
        .map_or(String::new(), |(_, q)| q.to_string());
    let mut headers = HeaderMap::new();
    for header in request.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| Reply::text(400, "bad header name"))?;
        let value = HeaderValue::from_bytes(header.value)
            .map_err(|_| Reply::text(400, "bad header value"))?;
        headers.append(name, value);
    }
    let connection = headers
        .get(http::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // HTTP/1.0 connections are closed after each reply.
    let keep_alive = request.version == Some(1) && !connection.contains("close");
    Ok(Head {
        method,
        path,
        query,
        keep_alive,
        headers,
        len,
    })
}

fn framing(headers: &HeaderMap) -> Result<Framing, Reply> {
    let codings: Vec<String> = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .collect();
    if !codings.is_empty() {
        // Which of the two frames the body is where request smuggling starts: refuse both.
        if headers.contains_key(http::header::CONTENT_LENGTH) {
            return Err(Reply::text(
                400,
                "bad request: both Content-Length and Transfer-Encoding",
            ));
        }
        if codings.join(",") == "chunked" {
            return Ok(Framing::Chunked);
        }
        return Err(Reply::text(
            501,
            "only the chunked transfer coding is supported",
        ));
    }
    let mut lengths = headers.get_all(http::header::CONTENT_LENGTH).iter();
    let len = match (lengths.next(), lengths.next()) {
        (None, _) => 0,
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or_else(|| Reply::text(400, "bad Content-Length"))?,
        (Some(_), Some(_)) => return Err(Reply::text(400, "more than one Content-Length")),
    };
    if len > MAX_BODY {
        return Err(Reply::text(413, "request body too large"));
    }
    Ok(Framing::Length(len))
}

/// Where a chunked body's decoding is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Part {
    /// Before a chunk-size line.
    #[default]
    Size,
    /// In a chunk's data, with this many bytes left.
    Data(usize),
    /// Before the CRLF that ends a chunk's data.
    DataEnd,
    /// Reading trailer lines after the last chunk.
    Trailers,
}

/// A chunked body being decoded from the start of the connection buffer, resumable as more
/// bytes arrive (so a large body is decoded once, not once per read). The data is copied out as
/// it arrives, so the caller can drop the bytes used ([`take_used`](Self::take_used)) and the
/// buffer never holds more than one read and one unfinished line.
#[derive(Default)]
struct Chunked {
    /// Bytes of the buffer used so far.
    pos: usize,
    part: Part,
    /// How much of the unfinished line after `pos` has been searched for its end.
    scanned: usize,
    /// The data of the chunks decoded so far.
    body: Vec<u8>,
    /// Chunk-extension bytes seen (at most [`MAX_EXTENSIONS`]).
    extensions: usize,
    /// Trailer bytes and lines seen (at most [`MAX_HEAD`] and [`MAX_HEADERS`]).
    trailer_bytes: usize,
    trailer_lines: usize,
}

impl Chunked {
    /// `Ok(Some(used))` once the body is complete (trailers included), `Ok(None)` while more
    /// bytes are needed, `Err(status)` for a malformed body or chunk-size line (400), too much
    /// data (413) or too many trailers (431).
    fn resume(&mut self, buf: &[u8]) -> Result<Option<usize>, u16> {
        loop {
            let rest = &buf[self.pos..];
            match self.part {
                Part::Size => {
                    let Some(end) = self.line_end(rest) else {
                        return if rest.len() > MAX_CHUNK_LINE {
                            Err(400)
                        } else {
                            Ok(None)
                        };
                    };
                    if end > MAX_CHUNK_LINE {
                        return Err(400);
                    }
                    let line = &rest[..end];
                    let digits = line.iter().position(|&b| b == b';').unwrap_or(end);
                    self.extensions += end - digits;
                    if self.extensions > MAX_EXTENSIONS {
                        return Err(400);
                    }
                    let size = chunk_size(&rest[..end + 2])?;
                    self.pos += end + 2;
                    if size == 0 {
                        self.part = Part::Trailers;
                    } else if size > MAX_BODY - self.body.len() {
                        return Err(413);
                    } else {
                        self.part = Part::Data(size);
                    }
                }
                Part::Data(left) => {
                    let take = left.min(rest.len());
                    self.body.extend_from_slice(&rest[..take]);
                    self.pos += take;
                    if take < left {
                        self.part = Part::Data(left - take);
                        return Ok(None);
                    }
                    self.part = Part::DataEnd;
                }
                Part::DataEnd => {
                    if rest.len() < 2 {
                        return Ok(None);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(400);
                    }
                    self.pos += 2;
                    self.part = Part::Size;
                }
                Part::Trailers => {
                    let Some(end) = self.line_end(rest) else {
                        return if self.trailer_bytes + rest.len() > MAX_HEAD {
                            Err(431)
                        } else {
                            Ok(None)
                        };
                    };
                    self.pos += end + 2;
                    if end == 0 {
                        return Ok(Some(self.pos));
                    }
                    self.trailer_bytes += end + 2;
                    self.trailer_lines += 1;
                    if self.trailer_bytes > MAX_HEAD || self.trailer_lines > MAX_HEADERS {
                        return Err(431);
                    }
                }
            }
        }
    }

    /// Where the line at the start of `rest` ends (its CRLF), searching only what was not
    /// searched before.
    fn line_end(&mut self, rest: &[u8]) -> Option<usize> {
        let from = self.scanned.saturating_sub(1).min(rest.len());
        match find_crlf(&rest[from..]) {
            Some(at) => {
                self.scanned = 0;
                Some(from + at)
            }
            None => {
                self.scanned = rest.len();
                None
            }
        }
    }

    /// The bytes used since the last call, which the caller drops from the buffer it passes.
    fn take_used(&mut self) -> usize {
        std::mem::take(&mut self.pos)
    }
}

/// The size in a chunk-size line (with its CRLF): hex digits, maybe with spaces or tabs around
/// them, then any extensions; 400 when malformed, 413 when it cannot be a size in memory.
/// `httparse` reads the line; it takes no leading blanks and reads a line with no digits as 0,
/// which this refuses.
fn chunk_size(line: &[u8]) -> Result<usize, u16> {
    let start = line
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(line.len());
    let line = &line[start..];
    if !line.first().is_some_and(u8::is_ascii_hexdigit) {
        return Err(400);
    }
    match httparse::parse_chunk_size(line) {
        Ok(httparse::Status::Complete((_, size))) => usize::try_from(size).map_err(|_| 413),
        Ok(httparse::Status::Partial) | Err(httparse::InvalidChunkSize) => Err(400),
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::{Chunked, MAX_HEAD};

    #[test]
    fn dechunks_whole_partial_and_bad_bodies() {
        let whole = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let mut state = Chunked::default();
        let used = state.resume(whole).unwrap().unwrap();
        assert_eq!(state.body, b"Wikipedia");
        assert_eq!(&whole[used..], b"NEXT");
        // Fed a byte more at a time, the same decoder resumes where it stopped.
        let mut state = Chunked::default();
        for cut in 0..whole.len() - 4 {
            assert_eq!(state.resume(&whole[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(state.resume(whole), Ok(Some(used)));
        assert_eq!(state.body, b"Wikipedia");
        assert_eq!(Chunked::default().resume(b"zz\r\n"), Err(400));
        assert_eq!(Chunked::default().resume(b"2\r\nabc\r\n"), Err(400));
        assert_eq!(Chunked::default().resume(b"FFFFFFFF\r\n"), Err(413));
        assert_eq!(
            Chunked::default().resume(b"\tffffffffffffffff ;x\r\n"),
            Err(413)
        );
    }

    #[test]
    fn dechunks_with_the_used_bytes_dropped_after_each_read() {
        let whole = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        for step in 1..8 {
            let mut state = Chunked::default();
            let mut buf = Vec::new();
            let mut result = Ok(None);
            for piece in whole.chunks(step) {
                buf.extend_from_slice(piece);
                result = state.resume(&buf);
                buf.drain(..state.take_used());
                assert!(buf.len() < 16, "step {step}: {} bytes kept", buf.len());
                if result != Ok(None) {
                    break;
                }
            }
            assert!(matches!(result, Ok(Some(_))), "step {step}: {result:?}");
            assert!(b"NEXT".starts_with(&buf), "step {step}: {buf:?} left");
            assert_eq!(state.body, b"Wikipedia", "step {step}");
        }
    }

    #[test]
    fn refuses_endless_trailers_extensions_and_odd_sizes() {
        let mut trailers = b"0\r\n".to_vec();
        while trailers.len() <= MAX_HEAD + 100 {
            trailers.extend_from_slice(b"X-T: 0123456789\r\n");
        }
        assert_eq!(Chunked::default().resume(&trailers), Err(431));
        let long = [&b"0\r\nX-T: "[..], &[b'a'; MAX_HEAD + 1][..]].concat();
        assert_eq!(Chunked::default().resume(&long), Err(431));
        let mut extended = Vec::new();
        for _ in 0..100 {
            extended.extend_from_slice(format!("1;e={}\r\nx\r\n", "a".repeat(500)).as_bytes());
        }
        assert_eq!(Chunked::default().resume(&extended), Err(400));
        assert_eq!(Chunked::default().resume(&[b'1'; 2000]), Err(400));
        for bad in [
            &b"+4\r\n"[..],
            b"-4\r\n",
            b"\r\n",
            b" \r\n",
            b";x\r\n",
            b"0x4\r\n",
            b"4 4\r\n",
            b"4\rx\r\n",
            b"11111111111111111\r\n",
        ] {
            assert_eq!(Chunked::default().resume(bad), Err(400), "{bad:?}");
        }
        assert_eq!(
            Chunked::default().resume(b" 4 ;x\r\nWiki\r\n0\r\n\r\n"),
            Ok(Some(18))
        );
    }
}
