//! Details taken from the real server's source (Milvus's proxy, datacoord and gin): Go's slice
//! names, `null` bodies, empty file groups, the unknown state, the record limit, Basic auth, CORS
//! preflight and `HEAD`, HTTP/1.0, transfer codings, wrong types.

use super::*;

// ---------------------------------------------------------------------------------------------
// Details taken from the real server's source
// ---------------------------------------------------------------------------------------------

/// Sends `request` as is on a new connection and returns everything the server wrote back
/// before closing it.
fn exchange(emulator: &Emulator, request: &str) -> String {
    common::raw::exchange(emulator.addr(), request)
}

/// Milvus names a detail `fmt.Sprintf("%v", paths)` (datacoord `GetTaskProgresses`), and Go
/// prints a `[]string` as `[id.npy vec.npy]`.
#[test]
fn multi_file_group_name_is_formatted_like_a_go_slice() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([vec!["a.parquet"], vec!["id.npy", "vec.npy"]]),
    );
    let names: Vec<String> = describe(&api, &id)
        .details
        .into_iter()
        .map(|d| d.file_name.unwrap())
        .collect();
    assert_eq!(names, ["[a.parquet]", "[id.npy vec.npy]"]);
}

/// gin binds a `null` body like `{}` (Go's `json.Unmarshal` of `null` into a struct is a
/// no-op), so `list` answers every job and `create` reports the missing fields (1802).
#[test]
fn null_body_binds_like_an_empty_object() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    let listed = post(&emulator, LIST, "null");
    assert_eq!(listed.code(), 0, "{listed:?}");
    assert_eq!(listed.json()["data"]["records"][0]["jobId"], json!(id));
    assert_eq!(post(&emulator, CREATE, "null").code(), 1802);
    assert_eq!(post(&emulator, DESCRIBE, "null").code(), 1802);
}

/// Under RealTime a job's `completeTime` is when the clock says it finished, not when the
/// emulator next looks at the job.
#[test]
fn real_time_complete_time_is_when_the_job_finished() {
    let emulator =
        start(EmulatorConfig::milvus().timing(Timing::RealTime(Duration::from_millis(400))));
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    thread::sleep(Duration::from_millis(3500));
    let p = describe(&api, &id);
    assert_eq!(p.state, Completed);
    let took = epoch_seconds(p.complete_time.as_deref().unwrap())
        - epoch_seconds(p.create_time.as_deref().unwrap());
    assert!(
        took <= 1,
        "completed {took} s after creation, for a 0.4 s job"
    );
}

/// Milvus's proxy drops empty file groups and refuses a request left with none: code 1100,
/// "import request is empty" (`internal/proxy` `importTask.PreExecute`).
#[test]
fn empty_file_groups_are_dropped_and_no_files_is_code_1100() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    for files in ["[]", "[[]]", "[[],[]]"] {
        let body = format!(r#"{{"collectionName":"books","files":{files}}}"#);
        assert_eq!(post(&emulator, CREATE, &body).code(), 1100, "files {files}");
    }
    assert!(list(&api, &ListImportJobsRequest::new()).is_empty());
    let reply = post(
        &emulator,
        CREATE,
        r#"{"collectionName":"books","files":[[],["a.parquet"]]}"#,
    );
    assert_eq!(reply.code(), 0);
    let id = reply.json()["data"]["jobId"].as_str().unwrap().to_string();
    let p = describe(&api, &id);
    assert_eq!(p.total_rows, Some(ROWS));
    assert_eq!(p.details, [detail("[a.parquet]", "Pending", 0, None, None)]);
}

/// An unknown job state is reported as `None` with the reason "unknown import job state"
/// (wire-protocol.md §4; datacoord `GetJobProgress`).
#[test]
fn none_state_carries_the_unknown_state_reason() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = emulator.seed_job(SeedJob::new("books").state(ImportJobState::Unknown("None".into())));
    let (p, raw) = describe_both(&api, &id);
    assert_eq!(
        (p.state, p.progress, p.reason.as_deref()),
        (
            ImportJobState::Unknown("None".into()),
            Some(0),
            Some("unknown import job state")
        )
    );
    assert_eq!(raw["data"]["reason"], "unknown import job state");
    assert_eq!(
        list(&api, &ListImportJobsRequest::new())[0]
            .reason
            .as_deref(),
        Some("unknown import job state")
    );
}

#[test]
fn record_limit_keeps_the_latest_requests_and_zero_keeps_none() {
    let emulator = start(EmulatorConfig::milvus().record_limit(2));
    let api = client(&emulator, "");
    for collection in ["a", "b", "c"] {
        list(
            &api,
            &ListImportJobsRequest::new().collection_name(collection),
        );
    }
    let kept: Vec<_> = emulator
        .requests()
        .iter()
        .map(|r| r.json.as_ref().unwrap()["collectionName"].clone())
        .collect();
    assert_eq!(kept, [json!("b"), json!("c")]);

    let silent = start(EmulatorConfig::milvus().record_limit(0));
    list(&client(&silent, ""), &ListImportJobsRequest::new());
    assert!(silent.requests().is_empty());
}

#[test]
fn basic_auth_is_accepted_like_bearer() {
    let emulator = start(EmulatorConfig::milvus().auth("root", "Milvus"));
    // base64("root:Milvus"), as `curl -u root:Milvus` sends it.
    let ok = raw(
        &emulator,
        "POST",
        LIST,
        &[("Authorization", "Basic cm9vdDpNaWx2dXM=")],
        "{}",
    );
    assert_eq!(ok.code(), 0, "{ok:?}");
    // base64("root:wrong")
    let bad = raw(
        &emulator,
        "POST",
        LIST,
        &[("Authorization", "Basic cm9vdDp3cm9uZw==")],
        "{}",
    );
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["code"], 1800);
}

#[test]
fn options_is_a_cors_preflight_and_head_has_no_body() {
    let emulator = start(EmulatorConfig::milvus());
    let preflight = exchange(
        &emulator,
        &format!("OPTIONS {CREATE} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        preflight.starts_with("HTTP/1.1 204 No Content\r\n"),
        "{preflight}"
    );
    assert!(
        preflight.contains("Access-Control-Allow-Origin: *\r\n"),
        "{preflight}"
    );
    assert!(preflight.ends_with("\r\n\r\n"), "no body: {preflight:?}");

    let head = exchange(
        &emulator,
        "HEAD /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"), "{head}");
    assert!(head.contains("Content-Length: 18\r\n"), "{head}");
    assert!(
        head.ends_with("\r\n\r\n"),
        "no body after the head: {head:?}"
    );
}

#[test]
fn http_1_0_connections_are_closed_after_the_reply() {
    let emulator = start(EmulatorConfig::milvus());
    // With keep-alive asked for, the reply still says close and the server closes (or
    // `exchange` would wait for its read timeout and fail).
    let reply = exchange(
        &emulator,
        &format!("POST {LIST} HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{{}}"),
    );
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.contains("Connection: close\r\n"), "{reply}");
}

#[test]
fn unsupported_transfer_codings_are_501_and_chunked_bodies_are_read() {
    let emulator = start(EmulatorConfig::milvus());
    let gzip = exchange(
        &emulator,
        &format!("POST {LIST} HTTP/1.1\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"),
    );
    assert!(gzip.starts_with("HTTP/1.1 501 "), "{gzip}");
    let chunked = exchange(
        &emulator,
        &format!(
            "POST {LIST} HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             1\r\n{{\r\n1\r\n}}\r\n0\r\n\r\n"
        ),
    );
    assert!(chunked.starts_with("HTTP/1.1 200 OK\r\n"), "{chunked}");
    assert!(
        chunked.contains(r#"{"code":0,"data":{"records":[]}}"#),
        "{chunked}"
    );
}

#[test]
fn wrong_types_are_1801_even_when_required_fields_are_missing() {
    let emulator = start(EmulatorConfig::milvus());
    for body in [
        r#"{"files":5}"#,
        r#"{"options":{"a":1}}"#,
        r#"{"collectionName":7}"#,
    ] {
        assert_eq!(post(&emulator, CREATE, body).code(), 1801, "{body}");
    }
    assert_eq!(post(&emulator, CREATE, r#"{"files":[["a"]]}"#).code(), 1802);
}
