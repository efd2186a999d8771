//! What the SDK costs on top of the network for a whole call over loopback TCP.
//!
//! A tiny HTTP/1.1 server started by the bench (std only, keep-alive, one thread per
//! connection) answers every request with a canned `list` reply of 10 or 1,000 records, written
//! with one `write_all` of pre-built bytes. Two functions per reply size, in group
//! `loopback_list/<10|1000>_records`:
//!
//! * `sdk`: [`BulkImportApi::new`] (the default keep-alive `UreqTransport`) calling
//!   `list_import_jobs` — request building, sending, reading, envelope check, typed decoding;
//! * `bare_ureq`, the baseline: a `ureq::Agent` with the SDK's settings (no redirects, statuses
//!   as replies, connect and per-read/write timeouts) but ureq's own resolver and TCP layer and
//!   no resolve timeout (with one, ureq starts a thread per call), sending the same request
//!   bytes (the setup checks they are identical on the wire) and reading the body into a `Vec`
//!   without parsing it.
//!
//! * `bare_ureq_serde`, the baseline a careful user would write by hand: the same agent,
//!   the request body serialized with serde from a small struct, and the reply decoded with
//!   serde into the smallest structs that hold the typed fields (`benches/common`).
//!
//! The difference between `sdk` and the baselines is what the SDK adds to a call.
//!
//! After criterion, an **interleaved** comparison of the 10-record call: rounds of
//! [`BATCH`] calls, SDK and baseline in turn (the order alternating), reporting the median
//! wall time per call of each and the CPU time per call, from the process's CPU clock
//! (`/proc/self/stat`, every thread, those that ended included) and the calling thread's
//! (`/proc/thread-self/schedstat`, nanoseconds). For those figures the server runs in a child
//! process (this program re-executed), so that its CPU is not counted; the criterion runs use
//! the same. `CALL_BENCH_ROUNDS=n` sets the rounds (default 31); `CALL_BENCH_INTERLEAVED=0`
//! skips the comparison and the next. Linux only (it reads `/proc`).
//!
//! Last, **connection reuse**: 16 threads sharing one client make 2 000 calls each; the server
//! counts the connections opened, for the SDK and for a ureq agent with ureq's default pool.
//!
//! `cargo bench --bench call` (needs the default feature `ureq`)

use std::hint::black_box;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use milvus_bulk_import::{http, BulkImportApi, FnTransport, ListImportJobsRequest};
use serde::Serialize;

mod common;

use common::ListEnvelope;

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
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
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
        let accepted = Arc::new(AtomicUsize::new(0));
        let (flag, store, count) = (capture.clone(), captured.clone(), accepted.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (reply, flag, store) = (reply.clone(), flag.clone(), store.clone());
                thread::spawn(move || serve_connection(stream, &reply, &flag, &store));
            }
        });
        Server {
            addr,
            capture,
            captured,
            accepted,
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

/// A ureq agent with the SDK's settings, but ureq's own resolver and TCP layer and no resolve
/// timeout (which would make ureq start a thread per call).
fn bare_agent() -> ureq::Agent {
    let timeout = Some(Duration::from_secs(20));
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
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

/// The `list` request body, as a hand-written client would declare it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody<'a> {
    collection_name: &'a str,
    db_name: &'a str,
    cluster_id: &'a str,
    project_id: &'a str,
    region_id: &'a str,
    page_size: u32,
    current_page: u32,
}

const LIST_BODY: ListBody<'static> = ListBody {
    collection_name: "",
    db_name: DB_NAME,
    cluster_id: "",
    project_id: "",
    region_id: "",
    page_size: 10,
    current_page: 1,
};

/// One bare call with serde on both sides: the body serialized, the reply decoded.
fn bare_serde_call(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(String, String)],
    body: &ListBody<'_>,
) -> ListEnvelope {
    let body = serde_json::to_vec(body).expect("a JSON body");
    let reply = bare_call(agent, url, headers, &body);
    serde_json::from_slice(&reply).expect("a list reply")
}

/// Checks that the SDK and the baseline send the same bytes and get the whole reply back,
/// against an in-process server that captures them.
fn check_same_wire(records: usize, request: &ListImportJobsRequest) {
    let (headers, body) = sdk_request(request);
    let reply = list_reply(records);
    let server = Server::start(&reply);
    let url = server.url();
    let list_url = format!("{url}{LIST_PATH}");
    let api = BulkImportApi::new(url.as_str(), API_KEY).expect("client");
    let agent = bare_agent();
    let sdk_wire = server.capture(|| {
        let jobs = api.list_import_jobs(request).expect("SDK call");
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
}

/// The environment variable that makes this program a server (its value: the records).
const SERVER_ENV: &str = "MILVUS_CALL_BENCH_SERVER";

/// A server in a child process (this program re-executed), answering with a `list` reply of
/// `records` records; it ends when dropped (or when this process ends: its stdin closes).
struct ChildServer {
    child: Child,
    addr: SocketAddr,
}

impl ChildServer {
    fn start(records: usize) -> ChildServer {
        let mut child = Command::new(std::env::current_exe().expect("this program"))
            .env(SERVER_ENV, records.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("the server's address");
        let addr = line.trim().parse().expect("a socket address");
        ChildServer { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's side: serve, print the address, end when stdin closes.
fn serve_as_child(records: usize) {
    let reply = list_reply(records);
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        reply.len()
    )
    .into_bytes();
    head.extend_from_slice(&reply);
    let reply: Arc<[u8]> = head.into();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    println!("{}", listener.local_addr().expect("local address"));
    std::io::stdout().flush().expect("flush");
    thread::spawn(move || {
        let (off, store) = (AtomicBool::new(false), Mutex::new(None));
        let (off, store) = (Arc::new(off), Arc::new(store));
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (reply, off, store) = (reply.clone(), off.clone(), store.clone());
            thread::spawn(move || serve_connection(stream, &reply, &off, &store));
        }
    });
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

fn bench(c: &mut Criterion) {
    let request = ListImportJobsRequest::new().db_name(DB_NAME);
    let (headers, body) = sdk_request(&request);

    assert_eq!(
        serde_json::to_vec(&LIST_BODY).unwrap(),
        body,
        "the hand-written body differs from the SDK's"
    );

    let mut group = c.benchmark_group("loopback_list");
    group.throughput(Throughput::Elements(1));
    for records in [10usize, 1_000] {
        check_same_wire(records, &request);
        let server = ChildServer::start(records);
        let url = server.url();
        let list_url = format!("{url}{LIST_PATH}");

        let api = BulkImportApi::new(url.as_str(), API_KEY).expect("client");
        let agent = bare_agent();

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
        group.bench_function(format!("{records}_records/bare_ureq_serde"), |b| {
            b.iter(|| {
                black_box(bare_serde_call(
                    &agent,
                    black_box(&list_url),
                    black_box(&headers),
                    black_box(&LIST_BODY),
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

// ---------------------------------------------------------------------------------------------
// The interleaved comparison, with CPU time
// ---------------------------------------------------------------------------------------------

/// Calls per measured batch.
const BATCH: u32 = 3_000;

/// The CPU time of this process so far, every thread included (those that ended too), from
/// `/proc/self/stat` (in clock ticks of 10 ms: `USER_HZ` is 100 on Linux).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("the comm field") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // Fields 14 and 15 of the line (utime, stime); `after_name` starts at field 3.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// The CPU time of the calling thread so far, in nanoseconds (`/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat");
    Duration::from_nanos(stat.split(' ').next().unwrap().parse().unwrap())
}

/// The threads of this process now.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |dir| dir.count())
}

/// One batch: wall time, process CPU and thread CPU.
#[derive(Clone, Copy, Default)]
struct Batch {
    wall: Duration,
    process: Duration,
    thread: Duration,
}

fn batch(mut call: impl FnMut()) -> Batch {
    let (p0, t0, w0) = (process_cpu(), thread_cpu(), Instant::now());
    for _ in 0..BATCH {
        call();
    }
    let wall = w0.elapsed();
    Batch {
        wall,
        process: process_cpu() - p0,
        thread: thread_cpu() - t0,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn micros_per_call(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6 / f64::from(BATCH)
}

fn interleaved(records: usize, rounds: usize) {
    let request = ListImportJobsRequest::new().db_name(DB_NAME);
    let (headers, body) = sdk_request(&request);
    let server = ChildServer::start(records);
    let url = server.url();
    let list_url = format!("{url}{LIST_PATH}");
    let api = BulkImportApi::new(url.as_str(), API_KEY).expect("client");
    let agent = bare_agent();
    let mut sdk = || {
        black_box(api.list_import_jobs(black_box(&request)).unwrap());
    };
    let mut bare = || {
        black_box(bare_call(&agent, &list_url, &headers, &body));
    };
    let mut bare_serde = || {
        black_box(bare_serde_call(&agent, &list_url, &headers, &LIST_BODY));
    };
    // Warm up: connections open, caches and allocator warm.
    batch(&mut sdk);
    batch(&mut bare);
    batch(&mut bare_serde);
    let threads_before = thread_count();

    // Each round runs the three in turn, in an order that rotates.
    let mut runs: [Vec<Batch>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..3 {
            let which = (round + k) % 3;
            let measured = match which {
                0 => batch(&mut sdk),
                1 => batch(&mut bare),
                _ => batch(&mut bare_serde),
            };
            runs[which].push(measured);
        }
    }
    let threads_after = thread_count();
    let [sdk_runs, bare_runs, serde_runs] = runs;

    let wall = |runs: &[Batch]| median(runs.iter().map(|b| micros_per_call(b.wall)).collect());
    let thread = |runs: &[Batch]| median(runs.iter().map(|b| micros_per_call(b.thread)).collect());
    let process = |runs: &[Batch]| {
        let total: Duration = runs.iter().map(|b| b.process).sum();
        total.as_secs_f64() * 1e6 / (f64::from(BATCH) * runs.len() as f64)
    };
    let ratios = |base: &[Batch], f: fn(&Batch) -> Duration| {
        median(
            sdk_runs
                .iter()
                .zip(base)
                .map(|(s, b)| f(s).as_secs_f64() / f(b).as_secs_f64())
                .collect(),
        )
    };
    println!(
        "\ninterleaved loopback_list/{records}_records: {rounds} rounds of {BATCH} calls each"
    );
    println!(
        "{:<36}{:>10}{:>12}{:>8}{:>12}{:>8}",
        "", "sdk", "bare_serde", "ratio", "bare_ureq", "ratio"
    );
    let row = |what: &str, s: f64, serde: f64, bare: f64| {
        println!(
            "{what:<36}{s:>8.2}µs{serde:>10.2}µs{:>7.3}×{bare:>10.2}µs{:>7.3}×",
            s / serde,
            s / bare
        );
    };
    row(
        "wall per call (median)",
        wall(&sdk_runs),
        wall(&serde_runs),
        wall(&bare_runs),
    );
    row(
        "CPU per call, calling thread (median)",
        thread(&sdk_runs),
        thread(&serde_runs),
        thread(&bare_runs),
    );
    row(
        "CPU per call, whole process (mean)",
        process(&sdk_runs),
        process(&serde_runs),
        process(&bare_runs),
    );
    println!(
        "median of per-round ratios, sdk / bare_serde: wall {:.3}×, thread CPU {:.3}×; \
         sdk / bare_ureq: wall {:.3}×, thread CPU {:.3}×",
        ratios(&serde_runs, |b| b.wall),
        ratios(&serde_runs, |b| b.thread),
        ratios(&bare_runs, |b| b.wall),
        ratios(&bare_runs, |b| b.thread),
    );
    println!("threads in this process: {threads_before} before the rounds, {threads_after} after");
}

/// Connections opened by `threads` threads sharing one client for `calls` calls each: the SDK's
/// default pool, and a ureq agent with ureq's (3 idle connections per host).
fn connection_reuse(threads: usize, calls: usize) {
    let request = ListImportJobsRequest::new().db_name(DB_NAME);
    let (headers, body) = sdk_request(&request);
    let reply = list_reply(10);

    let server = Server::start(&reply);
    let api = BulkImportApi::new(server.url(), API_KEY).expect("client");
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..calls {
                    api.list_import_jobs(&request).expect("SDK call");
                }
            });
        }
    });
    let sdk = server.accepted.load(Ordering::SeqCst);

    let server = Server::start(&reply);
    let list_url = format!("{}{LIST_PATH}", server.url());
    let agent = bare_agent();
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..calls {
                    bare_call(&agent, &list_url, &headers, &body);
                }
            });
        }
    });
    let bare = server.accepted.load(Ordering::SeqCst);
    println!(
        "\nconnection reuse: {threads} threads × {calls} calls sharing one client: \
         sdk {sdk} connections, ureq's default pool {bare}"
    );
}

fn main() {
    if let Ok(records) = std::env::var(SERVER_ENV) {
        serve_as_child(records.parse().expect("records"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    let skip = std::env::var("CALL_BENCH_INTERLEAVED").is_ok_and(|v| v == "0");
    if !listing && !skip && cfg!(target_os = "linux") {
        let rounds = std::env::var("CALL_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(31);
        interleaved(10, rounds);
        connection_reuse(16, 2_000);
    }
}
