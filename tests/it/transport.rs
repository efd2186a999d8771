//! `UreqTransport` over real TCP, against a small HTTP/1.1 server started by each test on
//! 127.0.0.1 (std::net only): status passthrough, the request on the wire, connection reuse,
//! the reply size limit, timeouts, refused and dropped connections, redirects, secrets.
//!
//! The server never hangs a test: every socket has read and write timeouts, the accept loop
//! polls and stops when its script is used up, when it is dropped, or after a deadline.

use crate::common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use milvus_bulk_import::{
    ApiResponse, BulkImportApi, Error, ImportJobList, ListImportJobsRequest, RetryPolicy,
    TransportError, TransportErrorKind, UreqTransport,
};
use serde_json::json;

use common::server::*;

const LIST_PATH: &str = "/v2/vectordb/jobs/import/list";

/// A client of `server` with the default (ureq) transport.
/// Retries are off: these tests are about one exchange (tests/retry.rs covers retries).
fn client(server: &Server, api_key: &str) -> BulkImportApi {
    BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .api_key(api_key)
        .retry(RetryPolicy::none())
        .build()
        .expect("client")
}

fn list(api: &BulkImportApi) -> Result<ApiResponse<ImportJobList>, Error> {
    api.list_import_jobs(&ListImportJobsRequest::new())
}

/// The transport error kind of an `Error::Transport`, found through `std::error::Error::source`
/// as a caller would, and cross-checked against the variant.
fn transport_kind(err: &Error) -> TransportErrorKind {
    let Error::Transport { url, source, .. } = err else {
        panic!("expected Error::Transport, got {err:?}");
    };
    assert!(url.ends_with(LIST_PATH), "{url}");
    let via_source = std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<TransportError>())
        .expect("Error::Transport's source is its TransportError")
        .kind();
    assert_eq!(via_source, source.kind());
    source.kind()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn http_statuses_pass_through_and_are_classified() {
    let server = Server::start(vec![
        reply(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("X-Milvus-Trace-Id", "trace-42"),
            ],
            OK,
        ),
        reply(
            "401 Unauthorized",
            &[("Content-Type", "application/json")],
            r#"{"code":1800,"message":"user hasn't authenticated"}"#,
        ),
        reply(
            "404 Not Found",
            &[("Content-Type", "text/plain; charset=utf-8")],
            "404 page not found",
        ),
        reply(
            "500 Internal Server Error",
            &[("Content-Type", "application/json")],
            r#"{"code":500}"#,
        ),
        reply(
            "500 Internal Server Error",
            &[("Content-Type", "text/html")],
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        ),
    ]);
    let api = client(&server, "root:Milvus");

    // 200
    let ok = list(&api).expect("200 with code 0");
    assert_eq!(ok.response().status_code(), 200);
    assert_eq!(ok.response().url(), format!("{}{LIST_PATH}", server.url()));
    assert!(ok.response().url().ends_with(LIST_PATH));
    assert_eq!(ok.response().headers()["x-milvus-trace-id"], "trace-42");
    assert_eq!(ok.response().text(), OK);
    assert!(ok.data().records.is_empty());

    // 401 with a Milvus envelope: Api, keeping both the status and the code.
    let err = list(&api).unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.api_code(), Some(1800));
    let Error::Api { ref message, .. } = err else {
        unreachable!()
    };
    assert_eq!(message, "user hasn't authenticated");
    let raw = err.response().expect("the 401 reply");
    assert_eq!(raw.status_code(), 401);
    assert_eq!(
        raw.text(),
        r#"{"code":1800,"message":"user hasn't authenticated"}"#
    );
    assert_eq!(raw.headers()["content-type"], "application/json");

    // 404 plain text: HttpStatus.
    let err = list(&api).unwrap_err();
    assert!(matches!(err, Error::HttpStatus { .. }), "{err:?}");
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.api_code(), None);
    let Error::HttpStatus { ref body, .. } = err else {
        unreachable!()
    };
    assert_eq!(body, "404 page not found");
    assert_eq!(err.response().unwrap().text(), "404 page not found");
    assert!(!err.is_timeout());

    // 500 with a JSON object carrying an integer code: Api.
    let err = list(&api).unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.api_code(), Some(500));
    assert_eq!(err.response().unwrap().text(), r#"{"code":500}"#);

    // 500 with HTML: HttpStatus.
    let err = list(&api).unwrap_err();
    assert!(matches!(err, Error::HttpStatus { .. }), "{err:?}");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.api_code(), None);
    assert!(err
        .response()
        .unwrap()
        .text()
        .contains("<h1>500 Internal Server Error</h1>"));
    assert!(err.to_string().contains("HTTP 500"), "{err}");

    assert_eq!(server.requests().len(), 5);
}

#[test]
fn request_on_the_wire_has_method_path_headers_and_body() {
    let server = Server::start(vec![json_reply(OK), json_reply(OK)]);
    let api = client(&server, "root:Milvus");
    list(&api).expect("without db");
    api.list_import_jobs(&ListImportJobsRequest::new().db_name("db1"))
        .expect("with db");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, LIST_PATH);
        assert_eq!(request.header("authorization"), Some("Bearer root:Milvus"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
        let agent = request.header("user-agent").expect("a user-agent");
        assert!(agent.starts_with("milvus-bulk-import/"), "{agent}");
        assert_eq!(
            request.header("content-length"),
            Some(request.body.len().to_string().as_str())
        );
    }

    let (without_db, with_db) = (&requests[0], &requests[1]);
    assert_eq!(without_db.header("db-name"), None);
    let body: serde_json::Value = serde_json::from_slice(&without_db.body).unwrap();
    assert_eq!(
        body,
        json!({"collectionName": "", "dbName": "", "clusterId": "", "projectId": "",
               "regionId": "", "pageSize": 10, "currentPage": 1})
    );

    assert_eq!(with_db.header("db-name"), Some("db1"));
    let body: serde_json::Value = serde_json::from_slice(&with_db.body).unwrap();
    assert_eq!(
        body,
        json!({"collectionName": "", "dbName": "db1", "clusterId": "", "projectId": "",
               "regionId": "", "pageSize": 10, "currentPage": 1})
    );
}

#[test]
fn base_url_path_prefix_is_kept_on_the_wire() {
    let server = Server::start(vec![json_reply(OK)]);
    let api = BulkImportApi::builder(format!("{}/milvus/", server.url()))
        .api_key("root:Milvus")
        .build()
        .unwrap();
    let ok = list(&api).expect("200");
    assert_eq!(
        ok.response().url(),
        format!("{}/milvus{LIST_PATH}", server.url())
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, format!("/milvus{LIST_PATH}"));
}

#[test]
fn calls_and_clones_reuse_one_keep_alive_connection() {
    let server = Server::start((0..4).map(|_| json_reply(OK)).collect());
    let api = client(&server, "root:Milvus");
    for _ in 0..3 {
        list(&api).expect("200");
    }
    let clone = api.clone();
    list(&clone).expect("200 through the clone");

    assert_eq!(server.requests().len(), 4);
    assert_eq!(
        server.connections(),
        1,
        "every call should reuse the pooled connection"
    );
}

/// A client whose transport refuses replies over 1 MiB.
fn client_with_1mib_limit(server: &Server) -> BulkImportApi {
    let transport = UreqTransport::builder()
        .max_response_bytes(1 << 20)
        .build()
        .expect("a valid transport");
    assert_eq!(transport.max_response_bytes(), 1 << 20);
    BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .api_key("root:Milvus")
        .transport(transport)
        .build()
        .unwrap()
}

#[test]
fn reply_declaring_a_content_length_over_the_limit_is_refused_unread() {
    let server = Server::start(vec![
        custom(|stream| {
            // Headers and a little data only; the 50 MB never come.
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                        Content-Length: 50000000\r\n\r\n{\"code\":0,";
            let _ = stream.write_all(head.as_bytes());
            wait_for_hangup(stream);
        }),
        json_reply(OK),
    ]);
    let api = client_with_1mib_limit(&server);

    let started = Instant::now();
    let err = list(&api).unwrap_err();
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err:?}"
    );
    assert!(err.to_string().contains("50000000"), "{err}");
    assert!(!err.is_timeout());
    assert_eq!(err.status(), None);
    assert!(err.response().is_none());
    // Refused from the header, not after waiting (5 s) for a body that never comes.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // The half-read connection was not put back in the pool: the next call works, on a new one.
    list(&api).expect("the next call");
    assert_eq!(server.connections(), 2);
}

#[test]
fn chunked_reply_streaming_past_the_limit_is_cut_off() {
    // 2 MiB in 64 KiB chunks; the client hangs up after 1 MiB, and the server's write fails.
    let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(2 << 20));
    let server = Server::start(vec![chunked_reply(&body), json_reply(OK)]);
    let api = client_with_1mib_limit(&server);

    let err = list(&api).unwrap_err();
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err:?}"
    );
    assert!(err.to_string().contains("1048576"), "{err}");
    assert!(!err.is_timeout());
    assert!(err.response().is_none());

    list(&api).expect("the next call");
    assert_eq!(server.connections(), 2);
}

#[test]
fn reply_delimited_by_close_past_the_limit_is_cut_off() {
    // No Content-Length, no chunking: the body runs until the server closes.
    let server = Server::start(vec![custom(|stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Connection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_ok() {
            let _ = stream.write_all(&vec![b'x'; 2 << 20]);
        }
    })]);
    let api = client_with_1mib_limit(&server);

    let err = list(&api).unwrap_err();
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err:?}"
    );
}

#[test]
fn replies_up_to_the_limit_are_accepted() {
    /// A valid `{"code":0,...}` reply of exactly `len` bytes.
    fn body_of(len: usize) -> String {
        let (head, tail) = (r#"{"code":0,"data":{"records":[],"pad":""#, r#""}}"#);
        let body = format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()));
        assert_eq!(body.len(), len);
        body
    }
    let (small, exact) = (body_of(900 << 10), body_of(1 << 20));
    let server = Server::start(vec![
        json_reply(&small),
        json_reply(&exact),
        chunked_reply(&exact),
    ]);
    let api = client_with_1mib_limit(&server);

    for (what, len) in [
        ("900 KiB", small.len()),
        ("exactly 1 MiB, Content-Length", exact.len()),
        ("exactly 1 MiB, chunked", exact.len()),
    ] {
        let ok = list(&api).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(ok.response().content().len(), len, "{what}");
        assert!(ok.data().records.is_empty(), "{what}");
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn silent_server_ends_the_call_with_a_timeout() {
    let server = Server::start(vec![custom(wait_for_hangup), json_reply(OK)]);
    let api = BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .api_key("root:Milvus")
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let started = Instant::now();
    let err = list(&api).unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(transport_kind(&err), TransportErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    // The request did reach the server.
    assert_eq!(server.requests().len(), 1);

    list(&api).expect("the next call");
    assert_eq!(server.connections(), 2);
}

#[test]
fn server_stalling_mid_body_ends_the_call_with_a_timeout() {
    let server = Server::start(vec![custom(|stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Content-Length: 100\r\n\r\n{\"code\":0,";
        let _ = stream.write_all(head.as_bytes());
        wait_for_hangup(stream);
    })]);
    let api = BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let started = Instant::now();
    let err = list(&api).unwrap_err();
    assert_eq!(transport_kind(&err), TransportErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn pooled_connection_closed_by_the_server_is_replaced() {
    // The server answers, then closes the idle keep-alive connection (as proxies and Milvus's
    // idle timeout do); the next call must open a new one instead of failing on the dead one.
    let closed = Arc::new(AtomicBool::new(false));
    let flag = closed.clone();
    let server = Server::start(vec![
        custom(move |stream| {
            if let Reply::Bytes(bytes) = json_reply(OK) {
                let _ = stream.write_all(&bytes);
            }
            let _ = stream.shutdown(Shutdown::Both);
            flag.store(true, Ordering::SeqCst);
        }),
        json_reply(OK),
    ]);
    let api = client(&server, "root:Milvus");
    list(&api).expect("first call");

    let deadline = Instant::now() + Duration::from_secs(5);
    while !closed.load(Ordering::SeqCst) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    assert!(closed.load(Ordering::SeqCst));
    thread::sleep(Duration::from_millis(200)); // slack for the FIN to land on a loaded machine

    list(&api).expect("second call, on a new connection");
    assert_eq!(server.connections(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn refused_connection_is_a_connect_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // dropped: nothing listens there now
    let api = BulkImportApi::builder(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::none())
        .api_key("root:Milvus")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let err = list(&api).unwrap_err();
    assert_eq!(transport_kind(&err), TransportErrorKind::Connect, "{err:?}");
    assert!(!err.is_timeout());
    assert_eq!(err.status(), None);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn redirects_are_returned_not_followed() {
    let server = Server::start(vec![
        reply(
            "302 Found",
            &[("Location", "http://127.0.0.1:1/elsewhere")],
            "",
        ),
        // A redirect back to this very server: following it would consume the 200 below.
        reply("307 Temporary Redirect", &[("Location", "/elsewhere")], ""),
        json_reply(OK),
    ]);
    let api = client(&server, "root:Milvus");

    let err = list(&api).unwrap_err();
    assert!(matches!(err, Error::HttpStatus { .. }), "{err:?}");
    assert_eq!(err.status(), Some(302));
    let raw = err.response().unwrap();
    assert_eq!(raw.headers()["location"], "http://127.0.0.1:1/elsewhere");
    assert!(raw.content().is_empty());
    assert_eq!(server.requests().len(), 1);

    let err = list(&api).unwrap_err();
    assert!(matches!(err, Error::HttpStatus { .. }), "{err:?}");
    assert_eq!(err.status(), Some(307));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests.iter().all(|r| r.path == LIST_PATH), "{requests:?}");
}

#[test]
fn connection_dropped_mid_body_is_interrupted() {
    let server = Server::start(vec![custom(|stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Content-Length: 100\r\n\r\n{\"code\":0,";
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.flush();
        // Returning closes the socket, 90 bytes short.
    })]);
    let api = client(&server, "root:Milvus");

    let err = list(&api).unwrap_err();
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::Interrupted,
        "{err:?}"
    );
    assert!(!err.is_timeout());
    assert!(err.response().is_none());
}

#[test]
fn api_key_echoed_by_the_server_is_scrubbed_from_errors() {
    let key = "root:S3cretPassw0rd";
    let server = Server::start(vec![
        json_reply(r#"{"code":1100,"message":"bad key root:S3cretPassw0rd"}"#),
        reply(
            "403 Forbidden",
            &[("Content-Type", "text/plain")],
            "forbidden: Bearer root:S3cretPassw0rd",
        ),
    ]);
    let api = client(&server, key);

    let err = list(&api).unwrap_err();
    assert_eq!(err.api_code(), Some(1100));
    assert_eq!(err.status(), Some(200));
    let Error::Api { ref message, .. } = err else {
        panic!("expected Error::Api, got {err:?}")
    };
    assert_eq!(message, "bad key ***");
    for text in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
        assert!(!text.contains("S3cretPassw0rd"), "{text}");
    }

    let err = list(&api).unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(matches!(err, Error::HttpStatus { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
        assert!(!text.contains("S3cretPassw0rd"), "{text}");
    }

    // The key did go out, once per call, in the Authorization header.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer root:S3cretPassw0rd")));
}

// ---------------------------------------------------------------------------------------------
// Issue 11: connection reuse under threads (item 5), URLs and error classes (item 8)
// ---------------------------------------------------------------------------------------------

/// Runs `calls` list calls on each of `threads` threads sharing `api`.
fn hammer(api: &BulkImportApi, threads: usize, calls: usize) {
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..calls {
                    list(api).expect("200");
                }
            });
        }
    });
}

#[test]
fn sixteen_threads_sharing_a_client_reuse_sixteen_connections() {
    const THREADS: usize = 16;
    const CALLS: usize = 100;
    let server = Server::start((0..THREADS * CALLS).map(|_| json_reply(OK)).collect());
    let api = client(&server, "root:Milvus");
    hammer(&api, THREADS, CALLS);
    assert_eq!(server.requests().len(), THREADS * CALLS);
    let opened = server.connections();
    assert!(
        opened <= THREADS,
        "{opened} connections for {THREADS} threads making {} calls",
        THREADS * CALLS
    );
}

#[test]
fn the_pool_size_is_a_setting_of_both_builders() {
    const THREADS: usize = 8;
    const CALLS: usize = 50;
    // Through the client's builder.
    let server = Server::start((0..THREADS * CALLS).map(|_| json_reply(OK)).collect());
    let api = BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .max_idle_connections(THREADS)
        .build()
        .unwrap();
    hammer(&api, THREADS, CALLS);
    assert!(server.connections() <= THREADS, "{}", server.connections());

    // Through the transport's builder.
    let server = Server::start((0..THREADS * CALLS).map(|_| json_reply(OK)).collect());
    let transport = UreqTransport::builder()
        .max_idle_connections(THREADS)
        .build()
        .unwrap();
    let api = BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .transport(transport)
        .build()
        .unwrap();
    hammer(&api, THREADS, CALLS);
    assert!(server.connections() <= THREADS, "{}", server.connections());

    // It configures the built-in transport, so it conflicts with a custom one.
    let err = BulkImportApi::builder("http://127.0.0.1:19530")
        .max_idle_connections(4)
        .transport(UreqTransport::new())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn a_port_out_of_range_is_refused_by_build() {
    for url in [
        "http://127.0.0.1:99999",
        "http://127.0.0.1:65536",
        "https://milvus.example:100000/prefix",
        "http://127.0.0.1:0",
    ] {
        let err = BulkImportApi::builder(url).build().unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("port"), "{url}: {err}");
    }
    BulkImportApi::builder("http://127.0.0.1:65535")
        .build()
        .expect("the highest port");
}

#[test]
fn a_name_that_does_not_resolve_is_a_connect_error() {
    // `.invalid` never resolves (RFC 2606).
    let api = BulkImportApi::builder("http://no-such-host.invalid:19530")
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = list(&api).unwrap_err();
    assert_eq!(transport_kind(&err), TransportErrorKind::Connect, "{err:?}");
    assert!(!err.is_timeout());
    assert!(err.to_string().contains("no-such-host.invalid"), "{err}");
}

#[test]
fn a_reply_with_twenty_thousand_headers_is_refused_not_interrupted() {
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..20_000 {
        head.push_str(&format!("X-Header-{i}: value\r\n"));
    }
    let body = OK;
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let server = Server::start(vec![Reply::Bytes(head.into_bytes()), json_reply(OK)]);
    let api = client(&server, "root:Milvus");
    let err = list(&api).unwrap_err();
    let kind = transport_kind(&err);
    assert_ne!(kind, TransportErrorKind::Interrupted, "{err:?}");
    assert_eq!(kind, TransportErrorKind::BodyTooLarge, "{err:?}");
    assert!(!err.is_timeout());
}
