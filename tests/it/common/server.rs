//! A scripted HTTP/1.1 server on 127.0.0.1 for transport-level tests (std::net only): it
//! answers each request with the next scripted reply, records what arrived, counts
//! connections, and never hangs a test (socket timeouts, a lifetime, stops when dropped).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The smallest successful `list` reply.
pub const OK: &str = r#"{"code":0,"data":{"records":[]}}"#;
/// Read and write timeout of every server socket.
pub const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);
/// A server stops accepting after this long, whatever its script says.
pub const SERVER_LIFETIME: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// One request as it arrived: header names lower-cased, body exactly `Content-Length` bytes.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the server answers one request.
pub enum Reply {
    /// Write these bytes (a whole HTTP response) and keep the connection for the next request.
    Bytes(Vec<u8>),
    /// Do anything with the socket; the connection is closed afterwards.
    Custom(Box<dyn FnOnce(&mut TcpStream) + Send>),
}

/// A complete HTTP/1.1 response with a `Content-Length`.
pub fn reply(status: &str, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Reply {
    let body = body.as_ref();
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Bytes(bytes)
}

/// A 200 with a JSON body.
pub fn json_reply(body: &str) -> Reply {
    reply("200 OK", &[("Content-Type", "application/json")], body)
}

/// A 200 with a JSON body sent with `Transfer-Encoding: chunked`, in 64 KiB chunks.
pub fn chunked_reply(body: &str) -> Reply {
    let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    for chunk in body.as_bytes().chunks(64 << 10) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    Reply::Bytes(out)
}

/// A reply that runs `f` on the socket, then closes it.
pub fn custom(f: impl FnOnce(&mut TcpStream) + Send + 'static) -> Reply {
    Reply::Custom(Box::new(f))
}

/// Blocks until the client closes the connection (or the socket's read timeout expires).
pub fn wait_for_hangup(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    pub stop: Arc<AtomicBool>,
}

impl Server {
    /// Serves `replies` in order, one per request, over as many connections as the client
    /// opens; stops accepting once they are all handed out.
    pub fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let server = Server {
            addr: listener.local_addr().unwrap(),
            connections: Arc::default(),
            requests: Arc::default(),
            stop: Arc::default(),
        };
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let (connections, requests, stop) = (
            server.connections.clone(),
            server.requests.clone(),
            server.stop.clone(),
        );
        thread::spawn(move || {
            let deadline = Instant::now() + SERVER_LIFETIME;
            while !stop.load(Ordering::SeqCst)
                && Instant::now() < deadline
                && !script.lock().unwrap().is_empty()
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        connections.fetch_add(1, Ordering::SeqCst);
                        let (script, requests) = (script.clone(), requests.clone());
                        thread::spawn(move || serve(stream, &script, &requests));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        server
    }

    /// The base URL, without a trailing `/`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Answers requests on one connection until the client closes it, the script runs out, or a
/// `Custom` reply ends it.
pub fn serve(mut stream: TcpStream, script: &Mutex<VecDeque<Reply>>, log: &Mutex<Vec<Recorded>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(SOCKET_TIMEOUT));
    let _ = stream.set_write_timeout(Some(SOCKET_TIMEOUT));
    while let Some(request) = read_request(&mut stream) {
        // Record before answering: once the client has its reply, the request is in the log.
        log.lock().unwrap().push(request);
        let Some(next) = script.lock().unwrap().pop_front() else {
            return;
        };
        match next {
            Reply::Bytes(bytes) => {
                if stream
                    .write_all(&bytes)
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
            }
            Reply::Custom(f) => {
                f(&mut stream);
                return;
            }
        }
    }
}

/// Reads one request: headers up to `\r\n\r\n`, then exactly `Content-Length` body bytes.
/// `None` on EOF, timeout or anything unparsable.
pub fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect::<Option<_>>()?;
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(Some(0), |(_, value)| value.parse::<usize>().ok())?;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}
