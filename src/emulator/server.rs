//! The emulator's HTTP/1.1 server: one thread per connection, keep-alive, requests parsed with
//! `httparse`, bodies by `Content-Length` or chunked, `Expect: 100-continue` answered.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::service::{Incoming, Reply, Service};

/// Longest request head accepted (request line and headers).
const MAX_HEAD: usize = 64 << 10;
/// Largest request body accepted.
const MAX_BODY: usize = 16 << 20;
/// Most headers in one request.
const MAX_HEADERS: usize = 100;
/// How often a blocked read checks whether the server is stopping.
const POLL: Duration = Duration::from_millis(50);
/// An idle keep-alive connection is closed after this long.
const IDLE: Duration = Duration::from_secs(60);
/// A request must arrive whole within this long of its first byte (slow clients are cut off).
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Connections served at once; more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 256;

/// The listening side: the accept thread and every connection thread.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Server {
    pub(crate) fn start(addr: SocketAddr, service: Arc<Service>) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let (stop, connections) = (stop.clone(), connections.clone());
            thread::Builder::new()
                .name("import-emulator-accept".into())
                .spawn(move || accept_loop(listener, service, stop, connections))?
        };
        Ok(Server {
            addr,
            stop,
            accept: Some(accept),
            connections,
        })
    }

    /// Stops accepting, closes every connection and waits for their threads.
    pub(crate) fn stop(&mut self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the blocking accept() with a connection of our own (to loopback when bound to
        // a wildcard address, which not every platform can connect to).
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let handles = std::mem::take(
            &mut *self
                .connections
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for handle in handles {
            let _ = handle.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(
    listener: TcpListener,
    service: Arc<Service>,
    stop: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
) {
    static TRACE: AtomicU64 = AtomicU64::new(1);
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors, say: don't spin.
            thread::sleep(Duration::from_millis(20));
            continue;
        };
        let mut list = connections.lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|h| !h.is_finished());
        if list.len() >= MAX_CONNECTIONS {
            let mut stream = stream;
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let (service, stop) = (service.clone(), stop.clone());
        let spawned = thread::Builder::new()
            .name("import-emulator-conn".into())
            .spawn(move || {
                let _ = Connection {
                    stream,
                    service,
                    stop,
                    buf: Vec::new(),
                    deadline: None,
                }
                .serve(&TRACE);
            });
        if let Ok(handle) = spawned {
            list.push(handle);
        }
    }
}

struct Connection {
    stream: TcpStream,
    service: Arc<Service>,
    stop: Arc<AtomicBool>,
    /// Bytes read but not yet used.
    buf: Vec<u8>,
    /// When the request being read must be complete.
    deadline: Option<Instant>,
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

impl Connection {
    fn serve(mut self, trace: &AtomicU64) -> io::Result<()> {
        self.stream.set_read_timeout(Some(POLL))?;
        self.stream
            .set_write_timeout(Some(Duration::from_secs(10)))?;
        let _ = self.stream.set_nodelay(true);
        loop {
            self.deadline = None;
            let head = match self.read_head()? {
                Some(Ok(head)) => head,
                Some(Err(reply)) => return self.write(&reply, false, 0),
                None => return Ok(()),
            };
            self.buf.drain(..head.len);
            let framing = match framing(&head.headers) {
                Ok(framing) => framing,
                Err(reply) => return self.write(&reply, false, 0),
            };
            let expects_continue = head
                .headers
                .get(http::header::EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            if expects_continue && self.buf.is_empty() {
                self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            }
            let body = match self.read_body(framing)? {
                Some(Ok(body)) => body,
                Some(Err(reply)) => return self.write(&reply, false, 0),
                None => return Ok(()),
            };
            let request = Incoming {
                method: head.method,
                path: head.path,
                query: head.query,
                headers: head.headers,
                body,
            };
            let reply = self.service.handle(&request);
            let keep_alive = head.keep_alive && !self.stop.load(Ordering::SeqCst);
            let trace = trace.fetch_add(1, Ordering::Relaxed);
            if request.method == "HEAD" {
                // The headers a GET would get, without the body.
                let len = reply.body.len();
                let headers_only = Reply {
                    body: Vec::new(),
                    ..reply
                };
                self.write_head(&headers_only, len, keep_alive, trace)?;
            } else {
                self.write(&reply, keep_alive, trace)?;
            }
            if !keep_alive {
                return Ok(());
            }
        }
    }

    /// Reads more bytes into the buffer. `Ok(false)`: the peer closed, the server is stopping,
    /// the connection was idle too long, or the request took too long to arrive.
    fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 << 10];
        let started = Instant::now();
        if !self.buf.is_empty() && self.deadline.is_none() {
            self.deadline = Some(started + REQUEST_DEADLINE);
        }
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            if self.deadline.is_some_and(|d| Instant::now() > d) {
                return Ok(false);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if started.elapsed() > IDLE {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// `None` when the connection ended before a whole head arrived.
    fn read_head(&mut self) -> io::Result<Option<Result<Head, Reply>>> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => return Ok(Some(head(&request, len))),
                Ok(httparse::Status::Partial) if self.buf.len() > MAX_HEAD => {
                    return Ok(Some(Err(Reply::text(
                        431,
                        "request header fields too large",
                    ))))
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => {
                    return Ok(Some(Err(Reply::text(431, "too many header fields"))))
                }
                Err(e) => return Ok(Some(Err(Reply::text(400, &format!("bad request: {e}"))))),
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn read_body(&mut self, framing: Framing) -> io::Result<Option<Result<Vec<u8>, Reply>>> {
        match framing {
            Framing::Length(len) => {
                while self.buf.len() < len {
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
                Ok(Some(Ok(self.buf.drain(..len).collect())))
            }
            Framing::Chunked => {
                let mut state = Chunked::default();
                loop {
                    match state.resume(&self.buf) {
                        Ok(Some(used)) => {
                            self.buf.drain(..used);
                            return Ok(Some(Ok(state.body)));
                        }
                        Ok(None) => {
                            if !self.fill()? {
                                return Ok(None);
                            }
                        }
                        Err(413) => {
                            return Ok(Some(Err(Reply::text(413, "request body too large"))))
                        }
                        Err(_) => return Ok(Some(Err(Reply::text(400, "bad chunked body")))),
                    }
                }
            }
        }
    }

    fn write(&mut self, reply: &Reply, keep_alive: bool, trace: u64) -> io::Result<()> {
        self.write_head(reply, reply.body.len(), keep_alive, trace)
    }

    /// Writes the status line and headers (declaring `len` bytes of body), then `reply.body`.
    fn write_head(
        &mut self,
        reply: &Reply,
        len: usize,
        keep_alive: bool,
        trace: u64,
    ) -> io::Result<()> {
        let reason = http::StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut out = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
        if reply.status != 204 {
            out.push_str(&format!(
                "Content-Type: {}\r\nContent-Length: {len}\r\n",
                reply.content_type
            ));
        }
        for (name, value) in reply.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if trace > 0 {
            out.push_str(&format!("X-Milvus-Trace-Id: {trace:032x}\r\n"));
        }
        if !keep_alive {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&reply.body);
        self.stream.write_all(&bytes)?;
        self.stream.flush()
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

/// A chunked body being decoded from the start of the connection buffer, resumable as more
/// bytes arrive (so a large body is decoded once, not once per read).
#[derive(Default)]
struct Chunked {
    /// Where the next chunk-size line (or trailer line) starts.
    pos: usize,
    /// The data of the chunks decoded so far.
    body: Vec<u8>,
    /// Reading trailers after the last chunk.
    trailers: bool,
}

impl Chunked {
    /// `Ok(Some(used))` once the body is complete (trailers included), `Ok(None)` while more
    /// bytes are needed, `Err(status)` for a malformed (400) or too large (413) body.
    fn resume(&mut self, buf: &[u8]) -> Result<Option<usize>, u16> {
        loop {
            let Some(end) = find_crlf(&buf[self.pos..]) else {
                return if buf.len() - self.pos > 1024 {
                    Err(400)
                } else {
                    Ok(None)
                };
            };
            if self.trailers {
                self.pos += end + 2;
                if end == 0 {
                    return Ok(Some(self.pos));
                }
                continue;
            }
            let line = std::str::from_utf8(&buf[self.pos..self.pos + end]).map_err(|_| 400u16)?;
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| 400u16)?;
            if size == 0 {
                self.pos += end + 2;
                self.trailers = true;
                continue;
            }
            if size > MAX_BODY || self.body.len() + size > MAX_BODY {
                return Err(413);
            }
            let data = self.pos + end + 2;
            if buf.len() < data + size + 2 {
                return Ok(None);
            }
            if &buf[data + size..data + size + 2] != b"\r\n" {
                return Err(400);
            }
            self.body.extend_from_slice(&buf[data..data + size]);
            self.pos = data + size + 2;
        }
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::Chunked;

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
    }
}
