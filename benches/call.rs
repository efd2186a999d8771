//! What the SDK costs on top of the network for a whole call over loopback TCP.
//!
//! A tiny HTTP/1.1 server started by the bench (std only, keep-alive, one thread per
//! connection) answers every request with a canned `list` reply of 10 or 1,000 records, written
//! with one `write_all` of pre-built bytes. Two functions per reply size, in group
//! `loopback_list/<10|1000>_records`:
//!
//! * `sdk`: [`BulkImportApi::new`] (the default keep-alive `UreqTransport`) calling
//!   `list_import_jobs` — request building, sending, reading, envelope check, typed decoding;
//! * `bare_ureq`, the baseline: a `ureq::Agent` configured like the SDK's, sending the same
//!   request bytes (the setup checks they are identical on the wire) and reading the body into
//!   a `Vec` without parsing it.
//!
//! The difference between the two is what the SDK adds to a call.
//!
//! `cargo bench --bench call` (needs the default feature `ureq`)

use std::hint::black_box;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use milvus_bulk_import::{http, BulkImportApi, FnTransport, ListImportJobsRequest};

/// The API key of the bench (Milvus's default `user:password`).
const API_KEY: &str = "root:Milvus";
/// The database the requests name.
const DB_NAME: &str = "db1";
/// The path of the list endpoint.
const LIST_PATH: &str = "/v2/vectordb/jobs/import/list";
/// How long a server connection waits for the next request before it closes. The process
/// does not wait for server threads when it exits; this only bounds stray threads.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// An open-source Milvus `list` reply body with `records` jobs.
fn list_reply(records: usize) -> Vec<u8> {
    let records: Vec<String> = (0..records)
        .map(|i| {
            format!(
                r#"{{"jobId":"4487077638844{i:05}","collectionName":"collection_{}","state":"Importing","progress":{}}}"#,
                i % 7,
                i % 100
            )
        })
        .collect();
    format!(
        r#"{{"code":0,"data":{{"records":[{}]}}}}"#,
        records.join(",")
    )
    .into_bytes()
}

/// A loopback HTTP/1.1 server that answers every request with the same bytes.
struct Server {
    addr: SocketAddr,
    /// While set, each request's raw bytes are stored in `captured`.
    capture: Arc<AtomicBool>,
    captured: Arc<Mutex<Option<Vec<u8>>>>,
}

impl Server {
    /// Starts a server on `127.0.0.1:0` whose reply carries `body`. The accept thread is
    /// detached: it ends with the process.
    fn start(body: &[u8]) -> Server {
        let mut reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        reply.extend_from_slice(body);
        let reply: Arc<[u8]> = reply.into();

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let capture = Arc::new(AtomicBool::new(false));
        let captured = Arc::new(Mutex::new(None));
        let (flag, store) = (capture.clone(), captured.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (reply, flag, store) = (reply.clone(), flag.clone(), store.clone());
                thread::spawn(move || serve_connection(stream, &reply, &flag, &store));
            }
        });
        Server {
            addr,
            capture,
            captured,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs `send` and returns the raw bytes of the one request it made.
    fn capture(&self, send: impl FnOnce()) -> Vec<u8> {
        *self.captured.lock().unwrap() = None;
        self.capture.store(true, Ordering::SeqCst);
        send();
        self.capture.store(false, Ordering::SeqCst);
        self.captured
            .lock()
            .unwrap()
            .take()
            .expect("the server saw no request")
    }
}

/// Serves one keep-alive connection: each request is its head (to `\r\n\r\n`) and exactly
/// `Content-Length` body bytes; each answer is one `write_all` of `reply`.
fn serve_connection(
    mut stream: TcpStream,
    reply: &[u8],
    capture: &AtomicBool,
    captured: &Mutex<Option<Vec<u8>>>,
) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let mut buf: Vec<u8> = Vec::with_capacity(8 << 10);
    let mut chunk = [0u8; 8 << 10];
    loop {
        // The head.
        let head_end = loop {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                break pos + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        };
        let Some(body_len) = content_length(&buf[..head_end]) else {
            return;
        };
        // The body.
        let end = head_end + body_len;
        while buf.len() < end {
            match stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
        if capture.load(Ordering::Relaxed) {
            *captured.lock().unwrap() = Some(buf[..end].to_vec());
        }
        buf.drain(..end);
        if stream.write_all(reply).is_err() {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of a request head (0 when absent; `None` when malformed).
fn content_length(head: &[u8]) -> Option<usize> {
    let head = std::str::from_utf8(head).ok()?;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                return value.trim().parse().ok();
            }
        }
    }
    Some(0)
}

/// The request the SDK sends for `request`: its headers (in order) and body, taken from an
/// in-memory transport.
fn sdk_request(request: &ListImportJobsRequest) -> (Vec<(String, String)>, Vec<u8>) {
    let seen = Arc::new(Mutex::new(None));
    let store = seen.clone();
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .api_key(API_KEY)
        .transport(FnTransport::new(move |req: http::Request<Vec<u8>>| {
            let headers: Vec<(String, String)> = req
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = value.to_str().expect("an ASCII header value");
                    (name.as_str().to_owned(), value.to_owned())
                })
                .collect();
            *store.lock().unwrap() = Some((headers, req.body().clone()));
            Ok(http::Response::new(
                br#"{"code":0,"data":{"records":[]}}"#.to_vec(),
            ))
        }))
        .build()
        .expect("client");
    api.list_import_jobs(request).expect("list");
    let taken = seen.lock().unwrap().take();
    taken.expect("the SDK sent no request")
}

/// A ureq agent configured like the SDK's `UreqTransport`.
fn bare_agent() -> ureq::Agent {
    let timeout = Some(Duration::from_secs(20));
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_resolve(timeout)
        .timeout_connect(timeout)
        .timeout_per_read(timeout)
        .timeout_per_write(timeout)
        .build()
        .new_agent()
}

/// One bare call: the SDK's request bytes out, the reply body in, nothing parsed.
fn bare_call(agent: &ureq::Agent, url: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut builder = agent.post(url);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let mut response = builder.send(body).expect("bare ureq call");
    response
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_vec()
        .expect("bare ureq body")
}

fn bench(c: &mut Criterion) {
    let request = ListImportJobsRequest::new().db_name(DB_NAME);
    let (headers, body) = sdk_request(&request);

    let mut group = c.benchmark_group("loopback_list");
    group.throughput(Throughput::Elements(1));
    for records in [10usize, 1_000] {
        let reply = list_reply(records);
        let server = Server::start(&reply);
        let url = server.url();
        let list_url = format!("{url}{LIST_PATH}");

        let api = BulkImportApi::new(url.as_str(), API_KEY).expect("client");
        let agent = bare_agent();

        // Both sides send the same bytes, and get the whole reply back.
        let sdk_wire = server.capture(|| {
            let jobs = api.list_import_jobs(&request).expect("SDK call");
            assert_eq!(jobs.data().records.len(), records);
        });
        let bare_wire = server.capture(|| {
            assert_eq!(bare_call(&agent, &list_url, &headers, &body), reply);
        });
        assert_eq!(
            String::from_utf8_lossy(&sdk_wire),
            String::from_utf8_lossy(&bare_wire),
            "the SDK and the baseline send different requests"
        );

        group.bench_function(format!("{records}_records/sdk"), |b| {
            b.iter(|| black_box(api.list_import_jobs(black_box(&request)).unwrap()))
        });
        group.bench_function(format!("{records}_records/bare_ureq"), |b| {
            b.iter(|| {
                black_box(bare_call(
                    &agent,
                    black_box(&list_url),
                    black_box(&headers),
                    black_box(&body),
                ))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
