//! The emulator under hostile or careless clients, over real TCP on 127.0.0.1: everything a
//! request can make it hold is bounded (head, trailers, chunk extensions, buffered bytes, what it
//! records, the jobs it keeps), a request with both `Content-Length` and chunked framing is
//! refused, and idle or slow connections do not lock real clients out.
//!
//! Every socket here has timeouts and every loop a bound, so nothing can hang or grow without
//! end even against an emulator without these limits.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob};
use milvus_bulk_import::{
    BulkImportApi, BulkImportRequest, ImportJobState, JobRequest, ListImportJobsRequest,
};

use crate::common::paths::{CREATE, LIST};
use crate::common::raw::{self, read_all};

/// Socket timeouts: a stuck exchange fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The emulator's connection cap.
const MAX_CONNECTIONS: usize = 256;

fn start(config: EmulatorConfig) -> Emulator {
    config.start().expect("the emulator starts")
}

fn client(emulator: &Emulator) -> BulkImportApi {
    BulkImportApi::builder(emulator.url())
        .timeout(TIMEOUT)
        .build()
        .expect("client")
}

fn connect(emulator: &Emulator) -> TcpStream {
    raw::connect(emulator.addr())
}

/// What the server did with an endless request.
#[derive(Debug)]
struct Flood {
    /// What it sent back before closing.
    reply: String,
    /// Bytes written before a write failed (or `max` if none did).
    written: usize,
    /// Whether a write failed: the server stopped reading and closed.
    refused: bool,
}

/// Sends `head`, then `unit` over and over — at most `max` bytes in all — while a second thread
/// reads whatever the server answers.
fn flood(emulator: &Emulator, head: &str, unit: &[u8], max: usize) -> Flood {
    let mut stream = connect(emulator);
    let reader = {
        let stream = stream.try_clone().unwrap();
        thread::spawn(move || read_all(stream))
    };
    let mut batch = Vec::with_capacity(64 << 10);
    while batch.len() < 64 << 10 {
        batch.extend_from_slice(unit);
    }
    let mut written = 0;
    let mut refused = stream.write_all(head.as_bytes()).is_err();
    while !refused && written < max {
        match stream.write(&batch) {
            Ok(0) | Err(_) => refused = true,
            Ok(n) => written += n,
        }
    }
    // An emulator that kept reading sees the end of the request here and gives up.
    let _ = stream.shutdown(Shutdown::Write);
    let (reply, _) = reader.join().unwrap();
    Flood {
        reply: String::from_utf8_lossy(&reply).into_owned(),
        written,
        refused,
    }
}

/// Checks that the server answered `status` and closed the connection long before `max` bytes.
fn assert_refused_early(flood: &Flood, status: &str, max: usize) {
    assert!(
        flood.reply.starts_with(&format!("HTTP/1.1 {status} ")),
        "expected {status}: {:?}",
        &flood.reply[..flood.reply.len().min(300)]
    );
    assert!(
        flood.reply.contains("Connection: close\r\n"),
        "{:?}",
        flood.reply
    );
    assert!(
        flood.refused && flood.written < max / 2,
        "the server kept reading: {} bytes written",
        flood.written
    );
}

/// At most this much is sent by a flood: far past every limit, small enough to be quick.
const FLOOD: usize = 64 << 20;

fn chunked_head() -> String {
    format!("POST {LIST} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
}

#[test]
fn endless_trailer_lines_get_431_and_the_connection_is_closed() {
    let emulator = start(EmulatorConfig::milvus());
    let head = format!("{}2\r\n{{}}\r\n0\r\n", chunked_head());
    let trailer = format!("X-Trailer: {}\r\n", "t".repeat(100));
    let flood = flood(&emulator, &head, trailer.as_bytes(), FLOOD);
    assert_refused_early(&flood, "431", FLOOD);
}

#[test]
fn tiny_chunks_with_long_extensions_get_400_and_the_connection_is_closed() {
    let emulator = start(EmulatorConfig::milvus());
    let chunk = format!("1;ext={}\r\n \r\n", "e".repeat(1000));
    let flood = flood(&emulator, &chunked_head(), chunk.as_bytes(), FLOOD);
    assert_refused_early(&flood, "400", FLOOD);
}

#[test]
fn tiny_chunks_past_16_mib_of_data_get_413() {
    let emulator = start(EmulatorConfig::milvus());
    let flood = flood(&emulator, &chunked_head(), b"8\r\n        \r\n", 3 * FLOOD);
    assert_refused_early(&flood, "413", 3 * FLOOD);
}

#[test]
fn an_endless_head_gets_431_and_the_connection_is_closed() {
    let emulator = start(EmulatorConfig::milvus());
    let head = format!("POST {LIST} HTTP/1.1\r\nHost: x\r\n");
    let flood = flood(&emulator, &head, b"X-Padding: 0123456789abcdef\r\n", FLOOD);
    assert_refused_early(&flood, "431", FLOOD);
    let flood = self::flood(&emulator, &head, b"X-Long: ", FLOOD);
    assert_refused_early(&flood, "431", FLOOD);
}

#[test]
fn content_length_with_chunked_is_refused_with_400_and_the_connection_is_closed() {
    let emulator = start(EmulatorConfig::milvus());
    for (first, second) in [
        ("Content-Length: 2", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: chunked", "Content-Length: 0"),
    ] {
        let mut stream = connect(&emulator);
        // The chunked body and, for a server that reads by length, a smuggled second request.
        let request = format!(
            "POST {LIST} HTTP/1.1\r\nHost: x\r\n{first}\r\n{second}\r\n\r\n\
             2\r\n{{}}\r\n0\r\n\r\nPOST {LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let (reply, _) = read_all(stream);
        let reply = String::from_utf8_lossy(&reply);
        assert!(
            reply.starts_with("HTTP/1.1 400 "),
            "{first} + {second}: {reply}"
        );
        assert!(reply.contains("Connection: close\r\n"), "{reply}");
        assert_eq!(reply.matches("HTTP/1.1 ").count(), 1, "one reply: {reply}");
    }
    assert!(emulator.requests().is_empty(), "nothing was handled");
}

/// A `create` body of about `size` bytes (many short file groups).
fn big_create_body(size: usize) -> String {
    let mut body = String::from(r#"{"collectionName":"c","files":["#);
    while body.len() < size {
        body.push_str(r#"["a.parquet"],"#);
    }
    body.push_str(r#"["a.parquet"]]}"#);
    body
}

/// POSTs `body` on a new connection (`Connection: close`): everything the server sent back.
fn post_raw(emulator: &Emulator, path: &str, body: &str) -> String {
    post_with(emulator, path, &[], body)
}

/// [`post_raw`] with `headers`.
fn post_with(emulator: &Emulator, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut stream = connect(emulator);
    let request = raw::request(emulator.addr(), "POST", path, headers, body);
    stream.write_all(&request).unwrap();
    let (reply, _) = read_all(stream);
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn recorded_bodies_are_cut_to_1_mib_and_not_parsed_when_cut() {
    let emulator = start(EmulatorConfig::milvus().fail_marker(""));
    let body = big_create_body(8 << 20);
    let reply = post_raw(&emulator, CREATE, &body);
    assert!(reply.starts_with("HTTP/1.1 200 "), "{}", &reply[..200]);
    assert!(
        reply.contains(r#""code":0"#),
        "the whole body was used: {reply}"
    );
    let recorded = emulator.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].body.len(), 1 << 20, "cut to 1 MiB");
    assert_eq!(&recorded[0].body[..], &body.as_bytes()[..1 << 20]);
    assert!(recorded[0].json.is_none(), "a cut body is not JSON");
    // A small body is kept whole, and parsed.
    let small = r#"{"collectionName":"c","files":[["b.parquet"]]}"#;
    post_raw(&emulator, CREATE, small);
    let recorded = emulator.requests();
    assert_eq!(recorded[1].body, small.as_bytes());
    assert_eq!(
        recorded[1].json.as_ref().unwrap()["files"][0][0],
        "b.parquet"
    );
}

#[test]
fn recorded_requests_are_capped_at_64_mib_in_all_keeping_the_latest() {
    let emulator = start(EmulatorConfig::milvus().fail_marker(""));
    let body = big_create_body(1 << 20);
    for _ in 0..80 {
        post_raw(&emulator, CREATE, &body);
    }
    let recorded = emulator.requests();
    let total: usize = recorded.iter().map(|r| r.body.len()).sum();
    assert!(total <= 64 << 20, "{total} bytes recorded");
    assert!(recorded.len() >= 60, "{} kept", recorded.len());
}

/// Opens `count` connections that each send `prefix` (maybe nothing) and then nothing more.
fn hold(emulator: &Emulator, count: usize, prefix: &str) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = connect(emulator);
            stream.write_all(prefix.as_bytes()).unwrap();
            stream
        })
        .collect()
}

/// One `list` on a new connection, answered within a few seconds.
fn real_client_is_served(emulator: &Emulator, what: &str) {
    let started = Instant::now();
    let reply = post_raw(emulator, LIST, "{}");
    assert!(
        reply.starts_with("HTTP/1.1 200 OK\r\n"),
        "{what}: a real client got {reply:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{what}");
    // And the SDK, with its own connection.
    let api = client(emulator);
    let listed = api.list_import_jobs(&ListImportJobsRequest::new());
    assert!(listed.is_ok(), "{what}: {listed:?}");
}

#[test]
fn connections_that_send_nothing_do_not_lock_real_clients_out() {
    let emulator = start(EmulatorConfig::milvus());
    let idle = hold(&emulator, MAX_CONNECTIONS, "");
    thread::sleep(Duration::from_millis(300));
    real_client_is_served(&emulator, "256 idle connections");
    drop(idle);
}

#[test]
fn slowloris_connections_do_not_lock_real_clients_out() {
    let emulator = start(EmulatorConfig::milvus());
    let mut slow = hold(
        &emulator,
        MAX_CONNECTIONS,
        &format!("POST {LIST} HTTP/1.1\r\nHost: x\r\n"),
    );
    // Each sends one more byte now and then.
    for stream in &mut slow {
        let _ = stream.write_all(b"X");
    }
    thread::sleep(Duration::from_millis(300));
    real_client_is_served(&emulator, "256 slowloris connections");
    drop(slow);
}

/// How long until the server closes `stream` (it writes a byte of head every `drip`, if set).
fn closed_after(mut stream: TcpStream, drip: Option<Duration>, limit: Duration) -> Duration {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(drip.unwrap_or(limit)))
        .unwrap();
    let mut byte = [0u8; 1];
    let head = b"POST /v2/vectordb/jobs/import/list HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let mut sent = 0;
    while started.elapsed() < limit {
        if drip.is_some() {
            let next = if sent < head.len() { head[sent] } else { b'a' };
            if stream.write_all(&[next]).is_err() {
                return started.elapsed();
            }
            sent += 1;
        }
        match stream.read(&mut byte) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return started.elapsed(),
        }
    }
    started.elapsed()
}

#[test]
fn a_connection_must_send_its_first_head_within_10_seconds() {
    let emulator = start(EmulatorConfig::milvus());
    let silent = thread::spawn({
        let stream = connect(&emulator);
        move || closed_after(stream, None, Duration::from_secs(20))
    });
    let dripping = closed_after(
        connect(&emulator),
        Some(Duration::from_millis(500)),
        Duration::from_secs(20),
    );
    let silent = silent.join().unwrap();
    for (what, after) in [("silent", silent), ("dripping", dripping)] {
        assert!(
            after >= Duration::from_secs(9) && after < Duration::from_secs(13),
            "{what} connection closed after {after:?}"
        );
    }
}

#[test]
fn jobs_are_capped_at_10000_dropping_the_oldest_finished_one() {
    let emulator = start(EmulatorConfig::milvus());
    let first = emulator.seed_job(SeedJob::new("c").state(ImportJobState::Completed));
    let pending = emulator.seed_job(SeedJob::new("c"));
    for _ in 2..10_000 {
        emulator.seed_job(SeedJob::new("c").state(ImportJobState::Completed));
    }
    let api = client(&emulator);
    let created = api
        .bulk_import(&BulkImportRequest::new("c").files([["new.parquet"]]))
        .expect("create at the cap")
        .into_data()
        .job_id;
    let listed = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap()
        .into_data();
    assert_eq!(listed.records.len(), 10_000);
    assert_eq!(
        emulator.job_state(&first),
        None,
        "the oldest finished job is gone"
    );
    assert_eq!(emulator.job_state(&pending), Some(ImportJobState::Pending));
    assert!(api.get_import_progress(&JobRequest::new(&first)).is_err());
    let gone = api
        .get_import_progress(&JobRequest::new(&first))
        .unwrap_err();
    assert_eq!(gone.api_code(), Some(2100), "{gone:?}");
    assert_eq!(listed.records.last().unwrap().job_id, created);
}

#[test]
fn record_limits_are_configurable() {
    let emulator = start(
        EmulatorConfig::milvus()
            .record_body_limit(100)
            .record_bytes_limit(4096),
    );
    let body = format!(r#"{{"collectionName":"{}"}}"#, "c".repeat(200));
    for _ in 0..40 {
        post_raw(&emulator, LIST, &body);
    }
    let recorded = emulator.requests();
    assert!(!recorded.is_empty());
    assert!(
        recorded.len() < 40,
        "{} of 40 kept in 4 KiB",
        recorded.len()
    );
    for request in &recorded {
        assert_eq!(request.body, &body.as_bytes()[..100]);
        assert!(request.json.is_none());
    }
    // A request larger than the whole budget is not recorded at all; the others still are.
    let tiny = start(EmulatorConfig::milvus().record_bytes_limit(10));
    post_raw(&tiny, LIST, "{}");
    assert!(tiny.requests().is_empty());
}

#[test]
fn at_the_job_cap_create_is_refused_with_2100_while_every_job_is_unfinished() {
    let emulator = start(EmulatorConfig::milvus().max_jobs(2));
    let api = client(&emulator);
    let create = |file: &str| {
        api.bulk_import(&BulkImportRequest::new("c").files([[file]]))
            .map(|reply| reply.into_data().job_id)
    };
    let first = create("1.parquet").unwrap();
    let second = create("2.parquet").unwrap();
    let refused = create("3.parquet").expect_err("the store is full of unfinished jobs");
    let text = refused.to_string();
    assert!(
        text.contains("2100") && text.contains("The number of jobs has reached the limit"),
        "{text}"
    );
    // Once the second job ends, it makes room; the first, unfinished, stays.
    emulator.advance(&second, 10);
    let third = create("3.parquet").unwrap();
    assert_eq!(emulator.job_state(&second), None);
    assert_eq!(emulator.job_state(&first), Some(ImportJobState::Pending));
    let listed: Vec<String> = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap()
        .into_data()
        .records
        .into_iter()
        .map(|r| r.job_id)
        .collect();
    assert_eq!(listed, [first, third]);
}

#[test]
fn a_dropped_jobs_idempotency_key_is_forgotten_with_it() {
    let emulator = start(EmulatorConfig::milvus().max_jobs(1));
    let create = |key: &str| {
        let reply = post_key(&emulator, key);
        let at = reply.find(r#""jobId":""#).expect("a job id") + 9;
        reply[at..at + reply[at..].find('"').unwrap()].to_string()
    };
    let first = create("k");
    assert_eq!(create("k"), first, "the same key, the same job");
    emulator.advance(&first, 10);
    let second = create("other");
    assert_ne!(second, first);
    emulator.advance(&second, 10);
    let third = create("k");
    assert!(
        third != first && third != second,
        "a new job for the old key"
    );
}

fn post_key(emulator: &Emulator, key: &str) -> String {
    let body = r#"{"collectionName":"c","files":[["a.parquet"]]}"#;
    post_with(emulator, CREATE, &[("Idempotency-Key", key)], body)
}

#[test]
fn idle_keep_alive_connections_are_closed_after_5_seconds_while_the_server_is_busy() {
    let emulator = start(EmulatorConfig::milvus());
    let request = format!("POST {LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}");
    // More than half the connection slots, each idle after one request.
    let mut open: Vec<TcpStream> = (0..MAX_CONNECTIONS / 2 + 20)
        .map(|_| {
            let mut stream = connect(&emulator);
            stream.write_all(request.as_bytes()).unwrap();
            let reply = raw::read_one(&mut stream);
            assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
            assert!(!reply.contains("Connection: close"), "{reply}");
            stream
        })
        .collect();
    // The connections that have waited longest are closed after 5 s, until no more than half
    // the slots are taken; the newest stay open.
    let oldest = open.remove(0);
    let after = closed_after(oldest, None, Duration::from_secs(15));
    assert!(
        after >= Duration::from_secs(4) && after < Duration::from_secs(9),
        "closed after {after:?} idle"
    );
    thread::sleep(Duration::from_millis(500));
    let newest = open.pop().unwrap();
    newest
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0u8; 1];
    let still_open = (&newest).read(&mut byte).map_err(|e| e.kind());
    assert!(
        matches!(
            still_open,
            Err(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
        ),
        "{still_open:?}"
    );
    drop(open);
    // With the server no longer busy, keep-alive connections stay open longer.
    let mut calm = connect(&emulator);
    thread::sleep(Duration::from_millis(500));
    calm.write_all(request.as_bytes()).unwrap();
    raw::read_one(&mut calm);
    calm.set_read_timeout(Some(Duration::from_secs(7))).unwrap();
    let mut byte = [0u8; 1];
    let still_open = calm.read(&mut byte).map_err(|e| e.kind());
    assert!(
        matches!(
            still_open,
            Err(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
        ),
        "{still_open:?}"
    );
}
