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
        let (service, stop) = (service.clone(), stop.clone());
        let spawned = thread::Builder::new()
            .name("import-emulator-conn".into())
            .spawn(move || {
                let _ = Connection {
                    stream,
                    service,
                    stop,
                    buf: Vec::new(),
                }
                .serve(&TRACE);
            });
        if let Ok(handle) = spawned {
            let mut list = connections.lock().unwrap_or_else(|p| p.into_inner());
            list.retain(|h| !h.is_finished());
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
}

/// A parsed request head.
struct Head {
    method: String,
    path: String,
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
                headers: head.headers,
                body,
            };
            let reply = self.service.handle(&request);
            let keep_alive = head.keep_alive && !self.stop.load(Ordering::SeqCst);
            self.write(&reply, keep_alive, trace.fetch_add(1, Ordering::Relaxed))?;
            if !keep_alive {
                return Ok(());
            }
        }
    }

    /// Reads more bytes into the buffer. `Ok(false)`: the peer closed, the server is stopping,
    /// or the connection was idle too long.
    fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 << 10];
        let started = Instant::now();
        loop {
            if self.stop.load(Ordering::SeqCst) {
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
            Framing::Chunked => loop {
                match dechunk(&self.buf) {
                    Ok(Some((body, used))) => {
                        self.buf.drain(..used);
                        return Ok(Some(Ok(body)));
                    }
                    Ok(None) if self.buf.len() > MAX_BODY + MAX_HEAD => {
                        return Ok(Some(Err(Reply::text(413, "request body too large"))))
                    }
                    Ok(None) => {
                        if !self.fill()? {
                            return Ok(None);
                        }
                    }
                    Err(()) => return Ok(Some(Err(Reply::text(400, "bad chunked body")))),
                }
            },
        }
    }

    fn write(&mut self, reply: &Reply, keep_alive: bool, trace: u64) -> io::Result<()> {
        let reason = http::StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            reply.status,
            reply.content_type,
            reply.body.len()
        );
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
    let keep_alive = match request.version {
        Some(1) => !connection.contains("close"),
        _ => connection.contains("keep-alive"),
    };
    Ok(Head {
        method,
        path,
        keep_alive,
        headers,
        len,
    })
}

fn framing(headers: &HeaderMap) -> Result<Framing, Reply> {
    let chunked = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("chunked"))
        });
    if chunked {
        return Ok(Framing::Chunked);
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

/// Decodes a chunked body at the start of `buf`: `Ok(None)` until it is complete, then the body
/// and the bytes it used (trailers included). `Err` for malformed framing.
fn dechunk(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ()> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let Some(line_end) = find_crlf(&buf[pos..]) else {
            return if buf.len() - pos > 1024 {
                Err(())
            } else {
                Ok(None)
            };
        };
        let line = std::str::from_utf8(&buf[pos..pos + line_end]).map_err(|_| ())?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| ())?;
        pos += line_end + 2;
        if size == 0 {
            // Trailers: lines until an empty one.
            loop {
                let Some(end) = find_crlf(&buf[pos..]) else {
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some((body, pos)));
                }
            }
        }
        if size > MAX_BODY || body.len() + size > MAX_BODY {
            return Err(());
        }
        if buf.len() < pos + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[pos..pos + size]);
        if &buf[pos + size..pos + size + 2] != b"\r\n" {
            return Err(());
        }
        pos += size + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn dechunks_whole_partial_and_bad_bodies() {
        let whole = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let (body, used) = dechunk(whole).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&whole[used..], b"NEXT");
        for cut in 0..whole.len() - 4 {
            assert_eq!(dechunk(&whole[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(dechunk(b"zz\r\n"), Err(()));
        assert_eq!(dechunk(b"2\r\nabc\r\n"), Err(()));
    }
}
