//! Error shapes: how each kind of bad reply, bad argument and bad setting surfaces, and that no
//! error ever shows a secret.

use crate::common;

use std::time::Duration;

use common::{replying, Recorder};
use milvus_bulk_import::{
    http, BulkImportApi, BulkImportRequest, Error, FnTransport, JobRequest, ListImportJobsRequest,
    TransportError, TransportErrorKind,
};

fn list_err(status: u16, body: &str) -> Error {
    replying(status, body)
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err()
}

#[test]
fn code_1100_on_http_200_is_an_api_error_with_the_server_message() {
    let err = list_err(
        200,
        r#"{"code":1100,"message":"invalid parameter[expected=int64 jobId]"}"#,
    );
    assert!(
        matches!(
            err,
            Error::Api {
                code: 1100,
                status: 200,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.api_code(), Some(1100));
    assert_eq!(err.status(), Some(200));
    assert!(!err.is_timeout());
    let text = err.to_string();
    assert!(
        text.contains("1100") && text.contains("invalid parameter[expected=int64 jobId]"),
        "{text}"
    );
    assert!(text.contains("/v2/vectordb/jobs/import/list"), "{text}");
}

#[test]
fn http_401_with_code_1800_keeps_both() {
    let err = list_err(
        401,
        r#"{"code":1800,"message":"user hasn't authenticated"}"#,
    );
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.api_code(), Some(1800));
    assert!(err.to_string().contains("user hasn't authenticated"));
    let response = err.response().expect("the reply is kept");
    assert_eq!(response.status_code(), 401);
    assert!(!response.ok());
    assert_eq!(response.reason(), "Unauthorized");
    assert!(response.raise_for_status().is_err());
}

#[test]
fn plain_text_404_from_an_old_server_is_an_http_status_error() {
    let err = list_err(404, "404 page not found");
    match &err {
        Error::HttpStatus { status, body, .. } => {
            assert_eq!(*status, 404);
            assert_eq!(body, "404 page not found");
        }
        other => panic!("expected HttpStatus, got {other:?}"),
    }
    assert_eq!(err.api_code(), None);
    assert!(err.to_string().contains("HTTP 404"));
    assert_eq!(err.response().unwrap().text(), "404 page not found");
}

#[test]
fn non_2xx_json_without_integer_code_is_an_http_status_error() {
    for body in [r#"{"error":"bad gateway"}"#, r#"{"code":"500"}"#, "[1]", ""] {
        let err = list_err(502, body);
        assert!(
            matches!(err, Error::HttpStatus { status: 502, .. }),
            "{body}: {err:?}"
        );
    }
    let err = list_err(500, r#"{"code":500}"#);
    assert!(
        matches!(
            err,
            Error::Api {
                code: 500,
                status: 500,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn html_on_200_is_a_decode_error_with_a_snippet() {
    let err = list_err(200, "<html><body>Gateway login</body></html>");
    match &err {
        Error::Decode {
            snippet,
            status,
            reason,
            ..
        } => {
            assert_eq!(*status, 200);
            assert!(snippet.starts_with("<html>"), "{snippet}");
            assert!(reason.contains("not JSON"), "{reason}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(err.response().is_some());
}

#[test]
fn truncated_json_is_a_decode_error() {
    let err = list_err(200, r#"{"code":0,"data":{"records":[{"jobId":"1","sta"#);
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("EOF"), "{err}");
}

#[test]
fn replies_that_are_not_envelopes_are_decode_errors() {
    for body in [
        "[1,2]",
        "null",
        "\"ok\"",
        r#"{"message":"ok"}"#,
        r#"{"code":"0","data":{}}"#,
        r#"{"code":0.5}"#,
        "",
    ] {
        let err = list_err(200, body);
        assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
    }
    let err = list_err(200, r#"{"code":0}"#);
    assert!(err.to_string().contains("data is missing"), "{err}");
}

#[test]
fn code_200_without_data_is_the_partition_not_found_error_not_success() {
    let err = replying(
        200,
        r#"{"code":200,"message":"partition not found[partition=p1]"}"#,
    )
    .bulk_import(
        &BulkImportRequest::new("c")
            .partition_name("p1")
            .files([["a.parquet"]]),
    )
    .unwrap_err();
    assert_eq!(err.api_code(), Some(200));
    assert!(err.to_string().contains("partition not found"));
    // ... also when data is there but not an object.
    let err = list_err(200, r#"{"code":200,"data":null,"message":"x"}"#);
    assert_eq!(err.api_code(), Some(200));
}

#[test]
fn unknown_job_is_api_error_2100() {
    let err = replying(
        200,
        r#"{"code":2100,"message":"import job does not exist, jobID=42"}"#,
    )
    .get_import_progress(&JobRequest::new("42"))
    .unwrap_err();
    assert_eq!(err.api_code(), Some(2100));
}

#[test]
fn server_side_timeout_is_a_timeout() {
    let err = list_err(408, r#"{"code":10001,"message":"request timeout"}"#);
    assert!(err.is_timeout());
    assert_eq!(err.status(), Some(408));
    assert_eq!(err.api_code(), Some(10001));
}

#[test]
fn transport_errors_keep_their_kind() {
    for kind in [
        TransportErrorKind::Connect,
        TransportErrorKind::Timeout,
        TransportErrorKind::Tls,
        TransportErrorKind::Interrupted,
        TransportErrorKind::BodyTooLarge,
        TransportErrorKind::Other,
    ] {
        let api = BulkImportApi::builder("http://127.0.0.1:19530")
            .transport(FnTransport::new(move |_| {
                Err(TransportError::new(kind, "boom"))
            }))
            .build()
            .unwrap();
        let err = api
            .list_import_jobs(&ListImportJobsRequest::new())
            .unwrap_err();
        assert_eq!(err.is_timeout(), kind == TransportErrorKind::Timeout);
        assert_eq!(err.status(), None);
        assert!(err.response().is_none());
        match &err {
            Error::Transport { source, url, .. } => {
                assert_eq!(source.kind(), kind);
                assert!(url.ends_with("/v2/vectordb/jobs/import/list"));
            }
            other => panic!("expected Transport, got {other:?}"),
        }
        let chain = std::error::Error::source(&err).expect("source");
        assert!(chain.to_string().contains("boom"));
    }
}

#[test]
fn long_bodies_are_quoted_briefly() {
    let body = format!("<html>{}</html>", "x".repeat(100_000));
    let err = list_err(502, &body);
    let text = err.to_string();
    assert!(text.len() < 800, "{} bytes of error text", text.len());
    assert!(text.contains("100013 bytes in all"), "{text}");
    assert_eq!(err.response().unwrap().content().len(), body.len());
}

#[test]
fn elapsed_covers_the_exchange() {
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .transport(FnTransport::new(|_| {
            std::thread::sleep(Duration::from_millis(30));
            Ok(http::Response::new(
                br#"{"code":0,"data":{"records":[]}}"#.to_vec(),
            ))
        }))
        .build()
        .unwrap();
    let reply = api.list_import_jobs(&ListImportJobsRequest::new()).unwrap();
    assert!(reply.response().elapsed() >= Duration::from_millis(30));
}

// ---- invalid requests: rejected before anything is sent ----

fn assert_invalid(result: Result<impl std::fmt::Debug, Error>, recorder: &Recorder, words: &str) {
    match result {
        Err(Error::InvalidRequest(message)) => assert!(message.contains(words), "{message}"),
        other => panic!("expected InvalidRequest({words}), got {other:?}"),
    }
    assert_eq!(recorder.count(), 0, "nothing may be sent");
}

#[test]
fn invalid_requests_are_refused_before_sending() {
    let recorder = Recorder::ok();
    let api = recorder.api("http://127.0.0.1:19530", "root:Milvus");
    assert_invalid(
        api.bulk_import(&BulkImportRequest::new("")),
        &recorder,
        "collection name",
    );
    assert_invalid(
        api.bulk_import(&BulkImportRequest::new("  ")),
        &recorder,
        "collection name",
    );
    for job in ["", " "] {
        let request = JobRequest::new(job);
        assert_invalid(api.get_import_progress(&request), &recorder, "job id");
        assert_invalid(api.commit_import(&request), &recorder, "job id");
        assert_invalid(api.abort_import(&request), &recorder, "job id");
    }
    assert_invalid(
        api.list_import_jobs(&ListImportJobsRequest::new().page_size(0)),
        &recorder,
        "page size",
    );
    assert_invalid(
        api.list_import_jobs(&ListImportJobsRequest::new().current_page(0)),
        &recorder,
        "current page",
    );
    assert_invalid(
        api.bulk_import(&BulkImportRequest::new("c").option("", "x")),
        &recorder,
        "option",
    );
}

#[test]
fn a_database_name_that_cannot_be_a_header_is_refused_on_every_call() {
    let recorder = Recorder::ok();
    let api = recorder.api("http://127.0.0.1:19530", "");
    let bad = "db1\r\nX-Injected: yes";
    assert_invalid(
        api.bulk_import(&BulkImportRequest::new("c").db_name(bad)),
        &recorder,
        "DB-Name",
    );
    assert_invalid(
        api.get_import_progress(&JobRequest::new("1").db_name(bad)),
        &recorder,
        "DB-Name",
    );
    assert_invalid(
        api.commit_import(&JobRequest::new("1").db_name(bad)),
        &recorder,
        "DB-Name",
    );
    assert_invalid(
        api.abort_import(&JobRequest::new("1").db_name(bad)),
        &recorder,
        "DB-Name",
    );
    assert_invalid(
        api.list_import_jobs(&ListImportJobsRequest::new().db_name(bad)),
        &recorder,
        "DB-Name",
    );
}

#[test]
fn project_and_region_go_together() {
    let recorder = Recorder::ok();
    let api = recorder.api("https://api.cloud.zilliz.com", "k");
    assert_invalid(
        api.bulk_import(&BulkImportRequest::new("c").project_id("proj-1")),
        &recorder,
        "region_id",
    );
    assert_invalid(
        api.get_import_progress(&JobRequest::new("1").region_id("r")),
        &recorder,
        "project_id",
    );
    assert_invalid(
        api.list_import_jobs(&ListImportJobsRequest::new().project_id("p")),
        &recorder,
        "region_id",
    );
}

// ---- configuration ----

fn config_err(builder: milvus_bulk_import::BulkImportApiBuilder) -> String {
    match builder.build() {
        Err(Error::Config(message)) => message,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn bad_settings_fail_in_build() {
    let t = || Recorder::ok();
    for url in [
        "",
        "127.0.0.1:19530",
        "ftp://h/",
        "http://",
        "https://h/?q=1",
    ] {
        config_err(BulkImportApi::builder(url).transport(t()));
    }
    let message = config_err(BulkImportApi::builder("https://root:hunter22@h").transport(t()));
    assert!(!message.contains("hunter22"), "{message}");
    let message = config_err(
        BulkImportApi::builder("http://h")
            .api_key("key\nwith-newline-s3cr3t")
            .transport(t()),
    );
    assert!(!message.contains("s3cr3t"), "{message}");
    let message = config_err(
        BulkImportApi::builder("http://h")
            .timeout(Duration::from_secs(5))
            .transport(t()),
    );
    assert!(message.contains("custom transport"), "{message}");
}

#[cfg(feature = "ureq")]
#[test]
fn zero_timeout_is_refused() {
    let message = config_err(BulkImportApi::builder("http://h").timeout(Duration::ZERO));
    assert!(message.contains("timeout"), "{message}");
}

#[cfg(not(feature = "ureq"))]
#[test]
fn without_ureq_a_transport_is_required() {
    let message = config_err(BulkImportApi::builder("http://h"));
    assert!(message.contains("transport"), "{message}");
}

// ---- secrets ----

const API_KEY: &str = "db_admin:Pa55-w0rd-XYZ";
const SECRET_KEY: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const TOKEN: &str = "FwoGZXIvYXdzEJr-session-token";

fn assert_no_secret(text: &str) {
    for secret in [API_KEY, "Pa55-w0rd-XYZ", SECRET_KEY, ACCESS_KEY, TOKEN] {
        assert!(!text.contains(secret), "secret {secret:?} leaked in {text}");
    }
}

fn cloud_request() -> BulkImportRequest {
    BulkImportRequest::new("c")
        .cluster_id("in01-x")
        .object_urls([["s3://b/a.parquet"]])
        .access_key(ACCESS_KEY)
        .secret_key(SECRET_KEY)
        .token(TOKEN)
}

#[test]
fn debug_of_client_builder_and_request_shows_no_secret() {
    let builder = BulkImportApi::builder("http://h").api_key(API_KEY);
    assert_no_secret(&format!("{builder:?}"));
    let api = Recorder::ok().api("http://h", API_KEY);
    assert_no_secret(&format!("{api:?}"));
    let request = cloud_request();
    let debug = format!("{request:?}");
    assert_no_secret(&debug);
    assert!(
        debug.contains("s3://b/a.parquet"),
        "the rest is shown: {debug}"
    );
    // And what a custom transport would print of the request it gets.
    let recorder = Recorder::replying(200, &br#"{"code":0,"data":{"jobId":"1"}}"#[..]);
    recorder
        .api("http://h", API_KEY)
        .bulk_import(&BulkImportRequest::new("c"))
        .unwrap();
    assert_no_secret(&format!("{:?}", recorder.only().headers()));
}

#[test]
fn server_text_echoing_secrets_is_scrubbed_from_errors() {
    let echo = format!("bad credentials {API_KEY} / {SECRET_KEY} / {ACCESS_KEY} / {TOKEN}");
    for (status, body) in [
        (200, format!(r#"{{"code":1100,"message":"{echo}"}}"#)),
        (401, format!(r#"{{"code":80001,"message":"{echo}"}}"#)),
        (500, format!("<html>{echo}</html>")),
        (200, format!("<html>{echo}</html>")),
        (
            200,
            format!(r#"{{"code":0,"data":{{"jobId":["{echo}"]}}}}"#),
        ),
    ] {
        let recorder = Recorder::replying(status, body.as_bytes());
        let err = recorder
            .api("https://api.cloud.zilliz.com", API_KEY)
            .bulk_import(&cloud_request())
            .unwrap_err();
        assert_no_secret(&err.to_string());
        assert_no_secret(&format!("{err:?}"));
        assert!(err.to_string().contains("***"), "{err}");
    }
}

#[test]
fn invalid_utf8_in_a_reply_is_a_decode_error_and_the_raw_text_is_lossy() {
    let recorder = Recorder::replying(
        200,
        &b"{\"code\":0,\"data\":{\"records\":[{\"jobId\":\"\xff\"}]}}"[..],
    );
    let err = recorder
        .api("http://127.0.0.1:19530", "")
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let response = err.response().unwrap();
    assert!(response.text().contains('\u{FFFD}'));
    assert_eq!(response.content().len(), 45);
}

#[test]
fn raise_for_status_and_json_on_the_raw_response() {
    let err = list_err(503, "upstream unavailable");
    let response = err.response().unwrap();
    assert_eq!(response.reason(), "Service Unavailable");
    match response.raise_for_status() {
        Err(Error::HttpStatus {
            status: 503, body, ..
        }) => assert_eq!(body, "upstream unavailable"),
        other => panic!("expected HttpStatus, got {other:?}"),
    }
    let not_json = response.json::<serde_json::Value>().unwrap_err();
    assert!(
        matches!(not_json, Error::Decode { status: 503, .. }),
        "{not_json:?}"
    );
}

#[test]
fn reply_headers_echoing_the_key_are_hidden_from_debug() {
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .api_key(API_KEY)
        .transport(FnTransport::new(|_| {
            let mut reply = http::Response::new(br#"{"code":1800,"message":"no"}"#.to_vec());
            *reply.status_mut() = http::StatusCode::UNAUTHORIZED;
            let echo = format!("Bearer {API_KEY}");
            reply.headers_mut().insert("x-echo", echo.parse().unwrap());
            reply
                .headers_mut()
                .insert("x-milvus-trace-id", "abc123".parse().unwrap());
            Ok(reply)
        }))
        .build()
        .unwrap();
    let err = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    let debug = format!("{err:?}");
    assert_no_secret(&debug);
    assert!(
        debug.contains("abc123"),
        "other headers stay visible: {debug}"
    );
    // The raw value is still there for whoever asks for it.
    let headers = err.response().unwrap().headers();
    assert_eq!(headers["x-echo"], format!("Bearer {API_KEY}").as_str());
}

#[test]
fn a_secret_crossing_the_quote_limit_is_scrubbed_whole() {
    for offset in [490, 500, 505, 511, 512] {
        let body = format!(
            "<html>{}{API_KEY}{}</html>",
            "x".repeat(offset - 6),
            "y".repeat(600)
        );
        let err = replying_with_key(502, &body, API_KEY);
        let text = err.to_string();
        assert_no_secret(&text);
        assert!(
            !text.contains("db_admin:Pa55"),
            "a part leaked at offset {offset}: {text}"
        );
    }
}

fn replying_with_key(status: u16, body: &str, key: &str) -> Error {
    Recorder::replying(status, body.as_bytes())
        .api("https://api.cloud.zilliz.com", key)
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err()
}

#[test]
fn secrets_echoed_in_other_forms_are_scrubbed() {
    // The password half alone, JSON-escaped, with Go's HTML-safe escapes, and raw in plain text.
    let key = "admin:p<a>ss&\"word";
    for (status, body) in [
        (401, r#"{"code":1800,"message":"rejected p<a>ss&\"word"}"#),
        (
            401,
            r#"{"code":1800,"message":"rejected admin:p<a>ss&\"word"}"#,
        ),
        (
            401,
            r#"{"code":1800,"message":"rejected p\u003ca\u003ess\u0026\"word"}"#,
        ),
        (
            200,
            r#"{"code":0,"data":{"records":"p\u003ca\u003ess\u0026\"word"}}"#,
        ),
        (403, r#"denied for p<a>ss&"word"#),
    ] {
        let err = replying_with_key(status, body, key);
        let (display, debug) = (err.to_string(), format!("{err:?}"));
        for text in [&display, &debug] {
            assert!(
                !text.contains("ss&") && !text.contains("ss\\u0026"),
                "{text}"
            );
            assert!(text.contains("***"), "{text}");
        }
    }
}

#[test]
fn errors_made_from_the_raw_response_are_scrubbed_too() {
    let body = format!("<html>{API_KEY}</html>");
    let err = replying_with_key(500, &body, API_KEY);
    let response = err.response().unwrap();
    let again = response.raise_for_status().unwrap_err();
    assert_no_secret(&again.to_string());
    assert_no_secret(&format!("{again:?}"));
    let not_json = response.json::<serde_json::Value>().unwrap_err();
    assert_no_secret(&not_json.to_string());
    // serde's own message quotes values: a secret there is scrubbed as well.
    let body = format!(r#"{{"code":0,"data":{{"jobId":"1","records":"{API_KEY}"}}}}"#);
    let err = Recorder::replying(200, body.as_bytes())
        .api("http://h", API_KEY)
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap_err();
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        data: Inner,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        records: Vec<u8>,
    }
    let typed = err.response().unwrap().json::<Wrong>().unwrap_err();
    assert_no_secret(&typed.to_string());
}

#[test]
fn long_api_messages_are_quoted_briefly() {
    let message = "m".repeat(100_000);
    let err = list_err(200, &format!(r#"{{"code":1100,"message":"{message}"}}"#));
    let text = err.to_string();
    assert!(text.len() < 800, "{} bytes", text.len());
    assert!(text.contains("100000 bytes in all"), "{text}");
}

#[test]
fn timeouts_out_of_range_are_configuration_errors() {
    // The built-in transport is what a timeout configures.
    #[cfg(feature = "ureq")]
    {
        for timeout in [
            Duration::MAX,
            Duration::from_secs(u64::MAX / 2),
            Duration::from_secs(86_401),
        ] {
            let message = config_err(BulkImportApi::builder("http://h").timeout(timeout));
            assert!(message.contains("24 h"), "{message}");
        }
        BulkImportApi::builder("http://h")
            .timeout(Duration::from_secs(86_400))
            .build()
            .expect("a day is allowed");
        use milvus_bulk_import::UreqTransport;
        for builder in [
            UreqTransport::builder().timeout(Duration::ZERO),
            UreqTransport::builder().connect_timeout(Duration::MAX),
            UreqTransport::builder().max_response_bytes(0),
        ] {
            assert!(matches!(builder.build(), Err(Error::Config(_))));
        }
    }
}

#[test]
fn hostile_replies_are_typed_errors_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_data = format!(r#"{{"code":0,"data":{{"records":[{{"jobId":"1","x":{deep}}}]}}}}"#);
    let huge_number = r#"{"code":0,"data":{"records":[{"jobId":"1","progress":1e400}]}}"#;
    let huge_code = r#"{"code":99999999999999999999999,"message":"x"}"#;
    for body in [
        deep.as_str(),
        deep_data.as_str(),
        huge_number,
        huge_code,
        "\u{0}",
        "{\"code\":0,",
    ] {
        let err = list_err(200, body);
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}

#[test]
fn non_2xx_envelopes_are_api_errors_whatever_the_key_order_or_data() {
    for body in [
        r#"{"code":0,"data":[]}"#,
        r#"{"data":[],"code":0}"#,
        r#"{"code":65535,"data":{"x":1}}"#,
    ] {
        let err = list_err(500, body);
        assert!(
            matches!(err, Error::Api { status: 500, .. }),
            "{body}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 11: secrets in typed fields and in every spelling, presigned URLs, control sequences.
// ---------------------------------------------------------------------------------------------

/// A key with a `/` and a `+`, whose last part (`Jkl012345`) stays literal in every spelling
/// below: if it shows, the key leaked.
const SLASHED_KEY: &str = "sk-Abc/Def+Ghi/Jkl012345";

/// How a server might spell `SLASHED_KEY` inside a JSON string (as the raw JSON text).
const SPELLINGS: [&str; 5] = [
    r"sk-Abc/Def+Ghi/Jkl012345",
    r"sk-Abc\/Def+Ghi\/Jkl012345",
    r"sk-\u0041bc\u002fDef\u002BGhi/Jkl012345",
    r"sk-Abc%2FDef%2BGhi/Jkl012345",
    r"sk-Abc\\\/Def+Ghi\\\/Jkl012345",
];

fn assert_no_slashed_key(text: &str) {
    assert!(!text.contains("Jkl012345"), "the key leaked in {text}");
}

fn waiting_on(body: String, key: &str) -> Error {
    Recorder::replying(200, body.into_bytes())
        .api("https://api.cloud.zilliz.com", key)
        .wait_for_import(
            &JobRequest::new("1"),
            &milvus_bulk_import::WaitOptions::new()
                .interval(Duration::from_millis(5))
                .timeout(Duration::from_millis(50)),
        )
        .unwrap_err()
}

#[test]
fn a_failed_or_timed_out_job_echoing_the_key_shows_it_nowhere() {
    // The caller's key carries whitespace; the server echoes it trimmed.
    for key in [SLASHED_KEY, "  sk-Abc/Def+Ghi/Jkl012345 \t"] {
        for spelling in SPELLINGS {
            // As a JSON string inside the reason (a quoted request), in a detail, in unknown
            // fields (values, nested, and as a key), and in the file name.
            let echo = format!(r#"bad key \"{spelling}\" ({spelling})"#);
            for state in ["Failed", "Importing"] {
                let body = format!(
                    r#"{{"code":0,"data":{{"jobId":"1","state":"{state}","progress":5,
                    "reason":"{echo}","fileName":"{spelling}.parquet",
                    "details":[{{"fileName":"a","reason":"{echo}","extra":"{spelling}"}}],
                    "request":{{"headers":["Bearer {spelling}"],"{spelling}":1}}}}}}"#
                );
                let err = waiting_on(body, key);
                match (&err, state) {
                    (Error::ImportFailed { .. }, "Failed") => {}
                    (Error::WaitTimedOut { .. }, "Importing") => {}
                    _ => panic!("{state}: {err:?}"),
                }
                assert_no_slashed_key(&err.to_string());
                assert_no_slashed_key(&format!("{err:?}"));
                assert!(format!("{err:?}").contains("***"), "{err:?}");
            }
        }
    }
}

#[test]
fn raw_replies_echoing_the_key_in_any_spelling_are_scrubbed() {
    for key in [SLASHED_KEY, " sk-Abc/Def+Ghi/Jkl012345  "] {
        for spelling in SPELLINGS {
            for (status, body) in [
                // Quoted raw: HttpStatus body, Decode snippet.
                (500, format!(r#"{{"error":"bad key {spelling}"}}"#)),
                (200, format!(r#"<html>bad key {spelling}</html>"#)),
                // Decoded first: Api message.
                (
                    401,
                    format!(r#"{{"code":1800,"message":"bad key {spelling}"}}"#),
                ),
            ] {
                let err = replying_with_key(status, &body, key);
                for text in [err.to_string(), format!("{err:?}")] {
                    assert_no_slashed_key(&text);
                    assert!(text.contains("***"), "{text}");
                }
            }
        }
    }
    // HTML entities and upper-case percent escapes too.
    let err = replying_with_key(
        502,
        "<p>sk-Abc&#47;Def&#x2b;Ghi&#x2F;Jkl012345 sk%2dAbc%2fDef%2bGhi%2FJkl012345</p>",
        SLASHED_KEY,
    );
    assert_no_slashed_key(&err.to_string());
}

#[test]
fn presigned_urls_are_redacted_in_debug_and_their_signatures_scrubbed_from_errors() {
    let signature = "9f2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00";
    let credential = "ASIAEXAMPLEKEYID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request";
    let session = "IQoJb3JpZ2luX2VjEHEaCXVzLWVhc3QtMSJGMEQCIHsessiontoken";
    let sas = "sv=2022-11-02&ss=b&sig=K8yD%2BabcdefSASsignature%3D&se=2030-01-01";
    let s3 = format!(
        "https://bucket.s3.amazonaws.com/dir/a.parquet?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential={credential}&X-Amz-Security-Token={session}\
         &X-Amz-Signature={signature}"
    );
    let azure = format!("https://acct.blob.core.windows.net/c/b.parquet?{sas}");
    let gcs = "https://storage.googleapis.com/b/c.parquet?X-Goog-Signature=abcdef0123456789goog";
    let oss = "https://b.oss-cn-hangzhou.aliyuncs.com/d.parquet?OSSAccessKeyId=LTAIkey&Signature=ossSignatureValue123";
    let request = BulkImportRequest::new("c")
        .cluster_id("in01-x")
        .object_url(gcs)
        .object_urls([[s3.as_str()], [azure.as_str()], [oss]]);
    let debug = format!("{request:?}");
    for secret in [
        signature,
        "ASIAEXAMPLEKEYID",
        session,
        "K8yD",
        "SASsignature",
        "abcdef0123456789goog",
        "ossSignatureValue123",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
    for shown in [
        "https://bucket.s3.amazonaws.com/dir/a.parquet",
        "https://acct.blob.core.windows.net/c/b.parquet",
        "https://storage.googleapis.com/b/c.parquet",
    ] {
        assert!(debug.contains(shown), "{shown} is not shown in {debug}");
    }

    // A server that quotes the URL back (decoded or not) shows no signature or credential.
    let echo = format!("cannot read {s3} / {}", s3.replace("%2F", "/"));
    let body = format!(r#"{{"code":1100,"message":{}}}"#, serde_json::json!(echo));
    let err = Recorder::replying(200, body.into_bytes())
        .api("https://api.cloud.zilliz.com", "k")
        .bulk_import(&request)
        .unwrap_err();
    let text = err.to_string();
    for secret in [signature, "ASIAEXAMPLEKEYID", session] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
    assert!(text.contains("dir/a.parquet"), "{text}");
}

/// True when `text` holds a character a terminal would act on (C0 but TAB, DEL, C1).
fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[test]
fn server_text_with_terminal_control_sequences_is_neutralised_in_display() {
    let evil = "x\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\rfake\u{9b}31m\u{7f}\u{0}\u{202e}y";
    let json_evil = serde_json::to_string(evil).unwrap();
    let mut errors = vec![
        list_err(200, &format!(r#"{{"code":1100,"message":{json_evil}}}"#)),
        list_err(502, evil),
        list_err(200, evil),
        list_err(
            200,
            &format!(
                r#"{{"code":0,"data":{{"records":[{{"jobId":"1","progress":{json_evil}}}]}}}}"#
            ),
        ),
        waiting_on(
            format!(r#"{{"code":0,"data":{{"jobId":"1","state":"Failed","reason":{json_evil}}}}}"#),
            "",
        ),
        waiting_on(
            format!(r#"{{"code":0,"data":{{"jobId":"1","state":{json_evil}}}}}"#),
            "",
        ),
        Error::Storage {
            operation: "upload",
            key: evil.to_string(),
            status: 403,
            code: evil.to_string(),
            message: evil.to_string(),
            attempts: 1,
        },
        Error::Transport {
            url: "http://h".into(),
            attempts: 1,
            source: TransportError::new(TransportErrorKind::Other, evil),
        },
        Error::Schema(evil.to_string()),
    ];
    errors.push(Error::InvalidRow {
        row: 1,
        field: Some(evil.to_string()),
        reason: evil.to_string(),
    });
    for err in &errors {
        let text = err.to_string();
        assert!(!has_control(&text), "{err:?} displays {text:?}");
        assert!(text.contains("fake"), "the text is kept: {text:?}");
    }
    // Escaped visibly, TAB kept.
    let text = list_err(502, "a\u{1b}b\tc\nd").to_string();
    assert!(text.ends_with(r"a\u{1b}b	c\nd"), "{text:?}");
}
