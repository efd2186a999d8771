//! A raw HTTP/1.1 client on `std::net`, for what the SDK cannot send (bad JSON, wrong methods,
//! odd headers, broken framing) and for reading the reply byte for byte. Every socket has read
//! and write timeouts, so a server that never answers fails the test instead of hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// Connect, read and write timeout of every socket here.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A connection to `addr` with [`TIMEOUT`] on connect, reads and writes.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Reads until the server closes (or errors, or [`TIMEOUT`]): everything it sent, and how the
/// reading ended.
pub fn read_all(mut stream: TcpStream) -> (Vec<u8>, Result<(), ErrorKind>) {
    let mut reply = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (reply, Ok(())),
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (reply, Err(e.kind())),
        }
    }
}

/// The bytes of a request to `addr` with `Host`, `Connection: close`, `Content-Length`, then
/// `headers` (as given), then `body`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Vec<u8> {
    let body = body.as_ref();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends `request` as is on a new connection and returns everything the server wrote back
/// before closing it (which it must do, cleanly).
pub fn exchange(addr: SocketAddr, request: impl AsRef<[u8]>) -> String {
    let mut stream = connect(addr);
    stream.write_all(request.as_ref()).expect("send");
    let (reply, end) = read_all(stream);
    end.expect("the server closes the connection");
    String::from_utf8_lossy(&reply).into_owned()
}

/// Sends one request (see [`request`]) and reads the whole reply, checked by [`Reply::parse`].
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Reply {
    let mut stream = connect(addr);
    stream
        .write_all(&request(addr, method, path, headers, body))
        .expect("send");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read the reply");
    Reply::parse(&reply)
}

/// [`send`] of a `POST` with `Content-Type: application/json` and `headers`.
pub fn post_json(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Reply {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    send(addr, "POST", path, &all, body)
}

/// Reads one reply (head and `Content-Length` body) off a keep-alive connection.
pub fn read_one(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while !reply.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).expect("a reply"), 1, "closed early");
        reply.push(byte[0]);
    }
    let head = String::from_utf8(reply).unwrap();
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .expect("Content-Length")
        .1
        .trim()
        .parse()
        .expect("numeric Content-Length");
    let mut body = vec![0; len];
    stream.read_exact(&mut body).unwrap();
    head + &String::from_utf8(body).unwrap()
}

/// Writes `request` as is on an open (keep-alive) connection and reads one reply off it (see
/// [`read_one`]), checked by [`Reply::parse`]; the connection stays usable for the next one.
pub fn exchange_on(stream: &mut TcpStream, request: impl AsRef<[u8]>) -> Reply {
    stream.write_all(request.as_ref()).expect("send");
    Reply::parse(read_one(stream).as_bytes())
}

/// A whole reply read off the socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The status line and the header lines, as sent (without the blank line).
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// Splits `reply` into head and body, checking an `HTTP/1.1` status line, a UTF-8 body and
    /// a `Content-Length` equal to the body's length.
    pub fn parse(reply: &[u8]) -> Reply {
        let split = reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no reply head: {:?}", String::from_utf8_lossy(reply)));
        let head = std::str::from_utf8(&reply[..split]).expect("ASCII head");
        let body = String::from_utf8(reply[split + 4..].to_vec()).expect("UTF-8 body");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        assert!(status_line.starts_with("HTTP/1.1 "), "{status_line:?}");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header line");
                (name.trim().to_string(), value.trim().to_string())
            })
            .collect();
        let reply = Reply {
            status,
            head: head.to_string(),
            headers,
            body,
        };
        let length = reply.header("content-length").map(|v| v.parse::<usize>());
        assert_eq!(length, Some(Ok(reply.body.len())), "{reply:?}");
        reply
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The `code` of a JSON reply that came with HTTP 200.
    pub fn code(&self) -> i64 {
        assert_eq!(self.status, 200, "{self:?}");
        self.json()["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no integer code: {self:?}"))
    }

    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or("").to_string()
    }
}
