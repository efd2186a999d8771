//! Retries, timeouts, the whole-call deadline and the reply size limit, over real TCP against
//! a scripted server on 127.0.0.1.

use crate::common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::time::{Duration, Instant};

use common::server::*;
use milvus_bulk_import::{
    BulkImportApi, BulkImportRequest, Error, JobRequest, ListImportJobsRequest, RetryPolicy,
    TransportErrorKind,
};

const CREATED: &str = r#"{"code":0,"data":{"jobId":"453240863839750922"}}"#;

/// Quick backoffs, so that the tests measure the server's waits, not ours.
fn quick() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_secs(5))
}

fn client(server: &Server, policy: RetryPolicy) -> BulkImportApi {
    BulkImportApi::builder(server.url())
        .timeout(Duration::from_millis(500))
        .retry(policy)
        .build()
        .unwrap()
}

fn kind(err: &Error) -> TransportErrorKind {
    match err {
        Error::Transport { source, .. } => source.kind(),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// Sends the head and the first bytes of a 100-byte body, then resets the connection.
fn reset_mid_body() -> Reply {
    custom(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"code\":0,");
        let _ = stream.flush();
        let _ = stream.shutdown(Shutdown::Both);
    })
}

/// Reads the request and never answers.
fn silent() -> Reply {
    custom(wait_for_hangup)
}

#[test]
fn a_connection_reset_mid_body_is_recovered_by_a_retry_on_list() {
    let server = Server::start(vec![reset_mid_body(), json_reply(OK)]);
    let reply = client(&server, quick())
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap();
    assert!(reply.data().records.is_empty());
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_503_with_retry_after_is_waited_for_then_succeeds() {
    let server = Server::start(vec![
        reply("503 Service Unavailable", &[("Retry-After", "1")], "busy"),
        json_reply(OK),
    ]);
    let started = Instant::now();
    client(&server, quick())
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(950), "waited only {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_create_is_not_retried_after_a_read_timeout() {
    let server = Server::start(vec![silent(), json_reply(CREATED)]);
    let err = client(&server, quick())
        .bulk_import(&BulkImportRequest::new("c").files([["a.parquet"]]))
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        server.requests().len(),
        1,
        "it may have reached the server: no retry"
    );
}

#[test]
fn a_create_with_an_idempotency_key_is_retried_with_the_same_key() {
    let server = Server::start(vec![silent(), json_reply(CREATED)]);
    let created = client(&server, quick())
        .bulk_import(
            &BulkImportRequest::new("c")
                .files([["a.parquet"]])
                .idempotency_key("nightly-2026-11-29"),
        )
        .unwrap();
    assert_eq!(created.data().job_id, "453240863839750922");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            request.header("idempotency-key"),
            Some("nightly-2026-11-29")
        );
    }
}

#[test]
fn unsafe_calls_retry_a_503_only_when_it_says_when() {
    let server = Server::start(vec![
        reply("503 Service Unavailable", &[], "busy"),
        json_reply(CREATED),
    ]);
    let err = client(&server, quick())
        .commit_import(&JobRequest::new("1"))
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.requests().len(), 1);

    let server = Server::start(vec![
        reply("503 Service Unavailable", &[("Retry-After", "0")], "busy"),
        json_reply(r#"{"code":0,"data":{}}"#),
    ]);
    client(&server, quick())
        .abort_import(&JobRequest::new("1"))
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn refused_connections_are_retried_for_every_operation_and_counted() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = BulkImportApi::builder(format!("http://127.0.0.1:{port}"))
        .retry(quick())
        .build()
        .unwrap();
    let err = api.commit_import(&JobRequest::new("1")).unwrap_err();
    assert_eq!(kind(&err), TransportErrorKind::Connect);
    assert_eq!(err.attempts(), 3);
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    let err = api
        .bulk_import(&BulkImportRequest::new("c").files([["a"]]))
        .unwrap_err();
    assert_eq!(err.attempts(), 3);
}

#[test]
fn the_total_budget_bounds_the_retries() {
    let busy: Vec<Reply> = (0..200)
        .map(|_| reply("502 Bad Gateway", &[], "upstream down"))
        .collect();
    let server = Server::start(busy);
    let policy = RetryPolicy::default()
        .max_attempts(1000)
        .initial_backoff(Duration::from_millis(50))
        .max_backoff(Duration::from_millis(100))
        .total_timeout(Duration::from_millis(600));
    let started = Instant::now();
    let err = client(&server, policy)
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.status(), Some(502));
    assert!(err.attempts() > 1, "{err:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(server.requests().len() as u32, err.attempts());
}

#[test]
fn a_server_that_never_answers_ends_in_a_timeout_within_the_deadline() {
    let server = Server::start(vec![silent(), silent(), silent(), silent()]);
    // Three silent attempts of 500 ms each would take 1.5 s: only the deadline ends it sooner.
    let api = BulkImportApi::builder(server.url())
        .timeout(Duration::from_millis(500))
        .deadline(Duration::from_millis(700))
        .retry(quick())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        took < Duration::from_millis(1200),
        "the deadline was not kept: {took:?}"
    );
    assert!(err.attempts() <= 2, "{err:?}");
}

#[test]
fn a_50_mb_reply_is_refused_under_a_1_mib_limit() {
    let server = Server::start(vec![custom(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n[");
        wait_for_hangup(stream);
    })]);
    let api = BulkImportApi::builder(server.url())
        .max_response_bytes(1 << 20)
        .retry(quick())
        .build()
        .unwrap();
    let err = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    assert_eq!(kind(&err), TransportErrorKind::BodyTooLarge);
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[test]
fn builtin_transport_settings_conflict_with_a_custom_transport() {
    for builder in [
        BulkImportApi::builder("http://h").connect_timeout(Duration::from_secs(1)),
        BulkImportApi::builder("http://h").max_response_bytes(10),
    ] {
        let err = builder
            .transport(milvus_bulk_import::FnTransport::new(|_| {
                Ok(milvus_bulk_import::http::Response::new(Vec::new()))
            }))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
    let err = BulkImportApi::builder("http://h")
        .deadline(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
}

#[test]
fn the_deadline_cuts_off_an_exchange_in_flight() {
    let server = Server::start(vec![silent()]);
    let api = BulkImportApi::builder(server.url())
        .timeout(Duration::from_secs(10))
        .deadline(Duration::from_millis(400))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(kind(&err), TransportErrorKind::Timeout, "{err:?}");
    assert!(
        took < Duration::from_secs(3),
        "the 10 s read timeout was not cut: {took:?}"
    );
}

#[test]
fn an_unbounded_budget_does_not_overflow() {
    let server = Server::start(vec![
        reply("503 Service Unavailable", &[], "busy"),
        json_reply(OK),
    ]);
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .total_timeout(Duration::MAX);
    client(&server, policy)
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The deadline bounds the whole exchange: connecting, sending and receiving (issue 11, item 2)
// ---------------------------------------------------------------------------------------------

/// What [`slow_reader`] gives the test: its URL, a flag that stops it, and when it first read.
struct SlowReader {
    url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    first_read: std::sync::Arc<std::sync::Mutex<Option<Instant>>>,
}

/// A listener whose connections are read slowly (16 KiB, then a 50 ms pause: about 320 KB/s)
/// and never answered. Stops when `stop` is set, after 30 s, or when the client hangs up.
fn slow_reader() -> SlowReader {
    use std::io::Read;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let first_read = Arc::new(Mutex::new(None));
    let (flag, first) = (stop.clone(), first_read.clone());
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(30);
        while !flag.load(Ordering::SeqCst) && Instant::now() < until {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let (flag, first) = (flag.clone(), first.clone());
            std::thread::spawn(move || {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = vec![0u8; 16 << 10];
                while !flag.load(Ordering::SeqCst) && Instant::now() < until {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {
                            first.lock().unwrap().get_or_insert_with(Instant::now);
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            });
        }
    });
    SlowReader {
        url,
        stop,
        first_read,
    }
}

#[test]
fn the_deadline_bounds_sending_a_large_body_to_a_slow_reader() {
    let server = slow_reader();
    let api = BulkImportApi::builder(server.url.as_str())
        .timeout(Duration::from_secs(10))
        .deadline(Duration::from_secs(1))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    // A 16 MB body: at 320 KB/s it takes about 50 s to send.
    let request = BulkImportRequest::new("c").files(vec![vec!["x".repeat(16 << 20)]]);
    let started = Instant::now();
    let err = api.bulk_import(&request).unwrap_err();
    let ended = Instant::now();
    server.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(err.is_timeout(), "{err:?}");
    // The deadline starts once the body is encoded (slow in a debug build): after `started`,
    // before the server's first read.
    let first_read = server
        .first_read
        .lock()
        .unwrap()
        .expect("the server read the request");
    let sending = ended - first_read;
    assert!(
        sending < Duration::from_millis(1500),
        "a 1 s deadline: {sending:?} from the first byte read to the error"
    );
    let took = ended - started;
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// A listener whose accept queue is full, so that a connection attempt to it hangs (the
/// kernel drops the SYN). The returned streams keep the queue full.
fn unaccepted_listener() -> (TcpListener, Vec<std::net::TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..4096 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => held.push(stream),
            Err(_) => return (listener, held),
        }
    }
    panic!("the accept queue never filled");
}

#[test]
fn the_deadline_bounds_connecting_to_a_listener_that_never_accepts() {
    let (listener, _held) = unaccepted_listener();
    let url = format!("http://{}", listener.local_addr().unwrap());
    for (deadline, retry) in [
        (Duration::from_millis(1500), RetryPolicy::none()),
        (Duration::from_millis(1500), quick()),
    ] {
        let api = BulkImportApi::builder(url.as_str())
            .timeout(Duration::from_secs(20))
            .deadline(deadline)
            .retry(retry)
            .build()
            .unwrap();
        let started = Instant::now();
        let err = api
            .list_import_jobs(&ListImportJobsRequest::new())
            .unwrap_err();
        let took = started.elapsed();
        assert!(err.is_timeout(), "{err:?}");
        assert!(
            took < deadline + Duration::from_millis(300),
            "a {deadline:?} deadline took {took:?}"
        );
    }
}

#[test]
fn a_name_that_does_not_resolve_is_retried_like_a_refused_connection() {
    let api = BulkImportApi::builder("http://no-such-host.invalid:19530")
        .retry(quick())
        .build()
        .unwrap();
    let err = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    assert_eq!(kind(&err), TransportErrorKind::Connect, "{err:?}");
    assert_eq!(err.attempts(), 3);
}

#[test]
fn a_reply_with_too_many_headers_is_not_retried() {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..20_000 {
        head.push_str(&format!("X-Header-{i}: value\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{OK}", OK.len()));
    let server = Server::start(vec![
        Reply::Bytes(head.clone().into_bytes()),
        Reply::Bytes(head.into_bytes()),
        json_reply(OK),
    ]);
    let err = client(&server, quick())
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    assert_eq!(kind(&err), TransportErrorKind::BodyTooLarge, "{err:?}");
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_deadline_that_passes_as_a_connection_starts_is_not_overrun() {
    // Attempts that start with (almost) nothing left of the deadline, against a listener that
    // never completes a connection: none may overrun it by more than a little.
    let (listener, _held) = unaccepted_listener();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut worst = Duration::ZERO;
    for i in 0..300u64 {
        let deadline = Duration::from_micros(20 + (i * 37) % 1500);
        let api = BulkImportApi::builder(url.as_str())
            .deadline(deadline)
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let started = Instant::now();
        let err = api
            .list_import_jobs(&ListImportJobsRequest::new())
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        worst = worst.max(started.elapsed().saturating_sub(deadline));
    }
    assert!(worst < Duration::from_millis(300), "overran by {worst:?}");
}
