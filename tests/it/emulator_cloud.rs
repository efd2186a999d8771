//! The Zilliz Cloud flavor of the emulator, driven end to end: every SDK operation
//! (`bulk_import`, `get_import_progress`, `list_import_jobs`, `commit_import`, `abort_import`)
//! goes through the default `UreqTransport` over real TCP on 127.0.0.1, and a few requests the
//! SDK refuses to build are sent raw. wire-protocol.md §5 is the reference.
//!
//! Every emulator here runs `Timing::PerPoll` (each describe answers, then moves the job one
//! step) or `Timing::Manual`, so nothing depends on the wall clock.

use std::collections::HashSet;
use std::fmt::Debug;
use std::time::Duration;

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob, Timing};
use milvus_bulk_import::{
    http, BulkImportApi, BulkImportRequest, Error, ImportJobState, ImportProgress, JobRequest,
    ListImportJobsRequest, Transport, TransportError, UreqTransport,
};
use serde_json::{json, Value};

use crate::common::paths::{ABORT, COMMIT, CREATE, DESCRIBE, LIST};
use crate::common::raw::post_json;

const CLUSTER: &str = "in01-abc";
const KEY: &str = "cloud-api-key";
/// Generous enough for a slow machine; bounds every exchange so that no test can hang.
const TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn start(config: EmulatorConfig) -> Emulator {
    let emulator = Emulator::start(config).expect("the emulator starts");
    assert!(emulator.addr().ip().is_loopback());
    emulator
}

fn cloud() -> Emulator {
    start(EmulatorConfig::cloud().timing(Timing::PerPoll))
}

/// A client with the built-in ureq transport and bounded timeouts.
fn client(emulator: &Emulator, key: &str) -> BulkImportApi {
    BulkImportApi::builder(emulator.url())
        .api_key(key)
        .timeout(TIMEOUT)
        .build()
        .expect("client")
}

fn transport() -> UreqTransport {
    UreqTransport::builder()
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .build()
        .expect("transport")
}

/// The cluster request of the lifecycle scenario: two object URLs, a file and a folder.
fn s3_request(collection: &str) -> BulkImportRequest {
    BulkImportRequest::new(collection)
        .cluster_id(CLUSTER)
        .object_urls([["s3://b/1.parquet"], ["s3://b/2/"]])
        .access_key("ak")
        .secret_key("sk")
}

fn create(api: &BulkImportApi, request: &BulkImportRequest) -> String {
    let created = api.bulk_import(request).expect("create");
    let id = created.into_data().job_id;
    assert!(is_cloud_job_id(&id), "{id:?} is not a Zilliz job id");
    id
}

fn describe(api: &BulkImportApi, request: &JobRequest) -> ImportProgress {
    api.get_import_progress(request)
        .expect("describe")
        .into_data()
}

/// `job-` followed by 21 lowercase alphanumerics.
fn is_cloud_job_id(id: &str) -> bool {
    id.strip_prefix("job-").is_some_and(|rest| {
        rest.len() == 21
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Asserts an [`Error::Api`] with `code` on HTTP 200 (how the emulator sends every business
/// error, cloud ones included) and returns it.
#[track_caller]
fn expect_api<T: Debug>(result: Result<T, Error>, code: i64) -> Error {
    match result {
        Err(err @ Error::Api { .. }) => {
            assert_eq!(err.api_code(), Some(code), "{err}");
            assert_eq!(err.status(), Some(200), "{err}");
            err
        }
        other => panic!("expected API error {code}, got {other:?}"),
    }
}

/// Asserts that the SDK refused the request before sending it.
#[track_caller]
fn expect_invalid<T: Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::InvalidRequest(message)) => message,
        other => panic!("expected Error::InvalidRequest, got {other:?}"),
    }
}

/// Every job id of one list page, in order; checks the page's echo and the cloud record shape.
#[track_caller]
fn page(
    api: &BulkImportApi,
    request: ListImportJobsRequest,
    count: u64,
    size: u64,
    current: u64,
) -> Vec<String> {
    let list = api.list_import_jobs(&request).expect("list").into_data();
    assert_eq!(list.count, Some(count), "count, page {current} of {size}");
    assert_eq!(list.current_page, Some(current), "currentPage");
    assert_eq!(list.page_size, Some(size), "pageSize");
    assert!(list.records.len() as u64 <= size, "page over its size");
    list.records
        .into_iter()
        .map(|record| {
            assert_eq!(record.progress, None, "cloud records carry no progress");
            assert_eq!(record.reason, None);
            assert!(
                record.extra.is_empty(),
                "unexpected keys {:?}",
                record.extra
            );
            record.job_id
        })
        .collect()
}

/// The job ids a cluster's first page lists.
fn listed(api: &BulkImportApi, request: ListImportJobsRequest) -> Vec<String> {
    api.list_import_jobs(&request)
        .expect("list")
        .into_data()
        .records
        .into_iter()
        .map(|record| record.job_id)
        .collect()
}

/// POSTs `body` to `path` through the crate's `UreqTransport` (which returns every status as a
/// reply), with `Authorization: Bearer KEY` and `extra` headers.
fn raw(
    emulator: &Emulator,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> http::Response<Vec<u8>> {
    let mut builder = http::Request::post(format!("{}{path}", emulator.url()))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json");
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    transport()
        .send(builder.body(body.to_vec()).expect("request"))
        .expect("the exchange completes")
}

/// [`raw`] with a JSON body; returns the status and the JSON reply.
fn raw_json(emulator: &Emulator, path: &str, body: Value) -> (u16, Value) {
    let reply = raw(emulator, path, &[], body.to_string().as_bytes());
    let json = serde_json::from_slice(reply.body()).expect("a JSON reply");
    (reply.status().as_u16(), json)
}

/// Asserts a raw reply is HTTP 200 with error `code`, and returns its message.
#[track_caller]
fn raw_error(emulator: &Emulator, path: &str, body: Value, code: i64) -> String {
    let (status, reply) = raw_json(emulator, path, body);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["code"], code, "{reply}");
    assert!(reply.get("data").is_none(), "{reply}");
    reply["message"].as_str().expect("a message").to_string()
}

/// One raw HTTP/1.1 exchange through `common::raw` (with `Authorization: Bearer KEY`):
/// returns the status, the head (lower case) and the body, which must match the reply's
/// `Content-Length`.
fn tcp_post(emulator: &Emulator, path: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let bearer = format!("Bearer {KEY}");
    let reply = post_json(emulator.addr(), path, &[("Authorization", &bearer)], body);
    let head = reply.head.to_ascii_lowercase();
    (reply.status, head, reply.body.into_bytes())
}

/// A transport that adds `Idempotency-Key` to create requests and delegates to `UreqTransport`.
struct WithIdempotencyKey {
    key: &'static str,
    inner: UreqTransport,
}

impl Transport for WithIdempotencyKey {
    fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        if request.uri().path() == CREATE {
            request
                .headers_mut()
                .insert("idempotency-key", http::HeaderValue::from_static(self.key));
        }
        self.inner.send(request)
    }
}

fn keyed_client(emulator: &Emulator, key: &'static str) -> BulkImportApi {
    BulkImportApi::builder(emulator.url())
        .api_key(KEY)
        .transport(WithIdempotencyKey {
            key,
            inner: transport(),
        })
        .build()
        .expect("client")
}

// ---------------------------------------------------------------------------------------------
// 1. Lifecycle
// ---------------------------------------------------------------------------------------------

#[test]
fn cluster_job_goes_pending_importing_completed_with_the_zilliz_describe_shape() {
    let emulator = cloud();
    let api = BulkImportApi::new(emulator.url(), KEY).expect("client");

    let created = api.bulk_import(&s3_request("c")).expect("create");
    let id = created.data().job_id.clone();
    assert!(is_cloud_job_id(&id), "{id:?}");
    assert_eq!(created.response().status_code(), 200);

    // What went over the wire: the SDK's body, with the credentials, and the API key.
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", CREATE)
    );
    assert_eq!(
        requests[0].headers["authorization"].to_str().unwrap(),
        format!("Bearer {KEY}")
    );
    assert!(requests[0].headers["authorization"].is_sensitive());
    let sent = requests[0].json.as_ref().expect("a JSON body");
    assert_eq!(sent["clusterId"], CLUSTER);
    assert_eq!(sent["collectionName"], "c");
    assert_eq!(
        sent["objectUrls"],
        json!([["s3://b/1.parquet"], ["s3://b/2/"]])
    );
    assert_eq!(
        (&sent["accessKey"], &sent["secretKey"]),
        (&json!("ak"), &json!("sk"))
    );

    let job = JobRequest::new(&id).cluster_id(CLUSTER);
    let expected = [
        (ImportJobState::Pending, 0, 0),
        (ImportJobState::Importing, 25, 250),
        (ImportJobState::Importing, 50, 500),
        (ImportJobState::Importing, 75, 750),
        (ImportJobState::Completed, 100, 1000),
    ];
    for (state, progress, file_rows) in expected {
        let reply = api.get_import_progress(&job).expect("describe");
        let raw: Value = reply.response().json().expect("JSON");
        let data = &raw["data"];
        let typed = reply.into_data();

        assert_eq!(typed.job_id, id);
        assert_eq!(typed.collection_name, "c");
        assert_eq!(typed.state, state);
        assert_eq!(typed.progress, Some(progress));
        assert_eq!(typed.total_rows, Some(2000));
        assert_eq!(typed.file_size, Some(2 * 1000 * 128));
        assert_eq!(
            typed.file_name.as_deref(),
            Some("s3://b/1.parquet,s3://b/2/")
        );

        // Zilliz shape: top-level fileName and `reason: ""`, no createTime, no importedRows.
        assert_eq!(data["fileName"], "s3://b/1.parquet,s3://b/2/");
        assert_eq!(data["reason"], "", "reason is present as \"\" on cloud");
        assert_eq!(typed.reason, None, "an empty reason reads as None");
        assert_eq!(data["totalRows"], 2000);
        assert!(data.get("createTime").is_none(), "{data}");
        assert_eq!(typed.create_time, None);
        assert!(data.get("importedRows").is_none(), "{data}");
        assert_eq!(typed.imported_rows, None);
        assert!(typed.extra.is_empty(), "{:?}", typed.extra);

        assert_eq!(typed.details.len(), 2);
        let names: Vec<_> = typed.details.iter().map(|d| d.file_name.clone()).collect();
        assert_eq!(
            names,
            [
                Some("[s3://b/1.parquet]".to_string()),
                Some("[s3://b/2/]".to_string())
            ]
        );
        for (i, detail) in typed.details.iter().enumerate() {
            assert_eq!(data["details"][i]["reason"], "", "{data}");
            assert_eq!(data["details"][i]["importedRows"], file_rows, "{data}");
            assert!(data["details"][i].get("totalRows").is_none(), "{data}");
            assert_eq!(detail.reason, None);
            assert_eq!(detail.imported_rows, Some(file_rows));
            assert_eq!(detail.progress, Some(progress));
            assert_eq!(detail.file_size, Some(128_000));
        }

        if state == ImportJobState::Completed {
            let done = typed.complete_time.expect("completeTime once done");
            assert!(done.len() == 20 && done.ends_with('Z'), "{done}");
            assert_eq!(typed.details[0].state.as_deref(), Some("Completed"));
        } else {
            assert_eq!(data["completeTime"], "", "{data}");
            assert_eq!(typed.complete_time, None);
        }
    }
    // Terminal: stays Completed.
    assert_eq!(describe(&api, &job).state, ImportJobState::Completed);
    assert_eq!(emulator.job_state(&id), Some(ImportJobState::Completed));

    let list = api
        .list_import_jobs(&ListImportJobsRequest::new().cluster_id(CLUSTER))
        .expect("list")
        .into_data();
    assert_eq!(list.records.len(), 1);
    assert_eq!(list.records[0].job_id, id);
    assert_eq!(list.records[0].collection_name, "c");
    assert_eq!(list.records[0].state, ImportJobState::Completed);
}

#[test]
fn source_with_the_failure_marker_ends_failed_with_a_reason() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = create(
        &api,
        &BulkImportRequest::new("c")
            .cluster_id(CLUSTER)
            .object_urls([["s3://b/fail.parquet"]]),
    );
    let job = JobRequest::new(&id).cluster_id(CLUSTER);
    let mut progress = describe(&api, &job);
    for _ in 0..4 {
        progress = describe(&api, &job);
    }
    assert_eq!(progress.state, ImportJobState::Failed);
    assert_eq!(progress.progress, Some(0));
    let reason = progress.reason.expect("a reason");
    assert!(reason.contains("s3://b/fail.parquet"), "{reason}");
    assert_eq!(progress.details[0].reason.as_deref(), Some(reason.as_str()));
    assert_eq!(progress.details[0].state.as_deref(), Some("Failed"));

    let list = api
        .list_import_jobs(&ListImportJobsRequest::new().cluster_id(CLUSTER))
        .expect("list")
        .into_data();
    assert_eq!(list.records[0].state, ImportJobState::Failed);
    assert_eq!(
        list.records[0].reason, None,
        "cloud records carry no reason"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Data sources and targets
// ---------------------------------------------------------------------------------------------

#[test]
fn deprecated_single_object_url_imports_one_file() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = create(
        &api,
        &BulkImportRequest::new("c")
            .cluster_id(CLUSTER)
            .object_url("s3://b/one.parquet")
            .access_key("ak")
            .secret_key("sk"),
    );
    let sent = emulator.requests()[0].json.clone().unwrap();
    assert_eq!(sent["objectUrl"], "s3://b/one.parquet");
    assert_eq!(sent["objectUrls"], Value::Null);

    let progress = describe(&api, &JobRequest::new(&id).cluster_id(CLUSTER));
    assert_eq!(progress.state, ImportJobState::Pending);
    assert_eq!(progress.file_name.as_deref(), Some("s3://b/one.parquet"));
    assert_eq!(progress.total_rows, Some(1000));
    assert_eq!(progress.details.len(), 1);
    assert_eq!(
        progress.details[0].file_name.as_deref(),
        Some("[s3://b/one.parquet]")
    );
}

#[test]
fn volume_name_with_data_paths_imports_the_volume_paths() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = create(
        &api,
        &BulkImportRequest::new("c")
            .cluster_id(CLUSTER)
            .volume_name("my-volume")
            .data_paths([["dir/1.parquet"], ["dir/2.parquet"]]),
    );
    let sent = emulator.requests()[0].json.clone().unwrap();
    assert_eq!(sent["volumeName"], "my-volume");
    assert_eq!(
        sent["dataPaths"],
        json!([["dir/1.parquet"], ["dir/2.parquet"]])
    );

    let job = JobRequest::new(&id).cluster_id(CLUSTER);
    let first = describe(&api, &job);
    assert_eq!(
        first.file_name.as_deref(),
        Some("dir/1.parquet,dir/2.parquet")
    );
    assert_eq!(first.total_rows, Some(2000));
    assert_eq!(first.details.len(), 2);
    for _ in 0..4 {
        describe(&api, &job);
    }
    assert_eq!(describe(&api, &job).state, ImportJobState::Completed);
}

#[test]
fn project_database_target_works_on_create_describe_list_commit_and_abort() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let request = BulkImportRequest::new("c")
        .project_id("proj-1")
        .region_id("aws-us-west-2")
        .object_urls([["s3://b/1.parquet"]])
        .option("auto_commit", "false");
    let committed = create(&api, &request);
    let aborted = create(&api, &request);

    let sent = emulator.requests()[0].json.clone().unwrap();
    assert_eq!(
        (&sent["clusterId"], &sent["projectId"], &sent["regionId"]),
        (&json!(""), &json!("proj-1"), &json!("aws-us-west-2"))
    );

    let job = |id: &str| {
        JobRequest::new(id)
            .project_id("proj-1")
            .region_id("aws-us-west-2")
    };
    let progress = describe(&api, &job(&committed));
    assert_eq!(
        (progress.job_id.as_str(), progress.state),
        (committed.as_str(), ImportJobState::Pending)
    );

    let list = ListImportJobsRequest::new()
        .project_id("proj-1")
        .region_id("aws-us-west-2");
    assert_eq!(
        listed(&api, list.clone()),
        [committed.clone(), aborted.clone()]
    );

    // Two-phase on a project target too.
    emulator.advance_all(4);
    assert_eq!(
        describe(&api, &job(&committed)).state,
        ImportJobState::Uncommitted
    );
    api.commit_import(&job(&committed)).expect("commit");
    api.abort_import(&job(&aborted)).expect("abort");
    assert_eq!(
        describe(&api, &job(&committed)).state,
        ImportJobState::Committing
    );
    assert_eq!(
        describe(&api, &job(&committed)).state,
        ImportJobState::Completed
    );
    assert_eq!(describe(&api, &job(&aborted)).state, ImportJobState::Failed);

    // Other projects and regions see nothing.
    for (project, region) in [("proj-2", "aws-us-west-2"), ("proj-1", "gcp-us-west1")] {
        let other = ListImportJobsRequest::new()
            .project_id(project)
            .region_id(region);
        assert!(listed(&api, other).is_empty(), "{project}/{region}");
        expect_api(
            api.get_import_progress(
                &JobRequest::new(&committed)
                    .project_id(project)
                    .region_id(region),
            ),
            96026,
        );
    }
}

#[test]
fn jobs_are_scoped_to_their_cluster_or_project() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let a = create(&api, &s3_request("c").cluster_id("in01-aaa"));
    let b = create(&api, &s3_request("c").cluster_id("in01-bbb"));
    let p = create(
        &api,
        &s3_request("c")
            .cluster_id("")
            .project_id("proj-1")
            .region_id("aws-us-west-2"),
    );

    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id("in01-aaa")),
        std::slice::from_ref(&a)
    );
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id("in01-bbb")),
        std::slice::from_ref(&b)
    );
    assert!(listed(&api, ListImportJobsRequest::new().cluster_id("in01-ccc")).is_empty());

    // Another target's job is not found, on describe, commit and abort alike.
    let wrong_targets = [
        JobRequest::new(&a).cluster_id("in01-bbb"),
        JobRequest::new(&b).cluster_id("in01-aaa"),
        JobRequest::new(&a)
            .project_id("proj-1")
            .region_id("aws-us-west-2"),
        JobRequest::new(&p).cluster_id("in01-aaa"),
    ];
    for request in &wrong_targets {
        let err = expect_api(api.get_import_progress(request), 96026);
        assert!(err.to_string().contains(request.job_id()), "{err}");
        expect_api(api.commit_import(request), 96026);
        expect_api(api.abort_import(request), 96026);
    }
    // Nothing moved: the refused calls did not touch the jobs.
    for id in [&a, &b, &p] {
        assert_eq!(emulator.job_state(id), Some(ImportJobState::Pending));
    }
    assert_eq!(
        describe(&api, &JobRequest::new(&a).cluster_id("in01-aaa")).job_id,
        a
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Pagination
// ---------------------------------------------------------------------------------------------

#[test]
fn list_pages_hold_every_job_once_in_creation_order() {
    for n in [0usize, 1, 25, 237] {
        let emulator = start(EmulatorConfig::cloud().timing(Timing::Manual));
        let api = client(&emulator, KEY);
        let ids: Vec<String> = (0..n)
            .map(|i| create(&api, &s3_request(&format!("c{}", i % 3))))
            .collect();
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            n,
            "ids are unique"
        );
        let total = n as u64;

        for size in [1u32, 10, 100] {
            let list = |p: u32| {
                ListImportJobsRequest::new()
                    .cluster_id(CLUSTER)
                    .page_size(size)
                    .current_page(p)
            };
            let pages = n.div_ceil(size as usize) as u32;
            let mut all = Vec::new();
            for p in 1..=pages {
                let records = page(&api, list(p), total, size.into(), p.into());
                let expected = if p < pages {
                    size as usize
                } else {
                    n - (pages as usize - 1) * size as usize
                };
                assert_eq!(records.len(), expected, "n={n} size={size} page={p}");
                all.extend(records);
            }
            assert_eq!(
                all, ids,
                "n={n} size={size}: every job once, in creation order"
            );
            let past = page(
                &api,
                list(pages + 1),
                total,
                size.into(),
                (pages + 1).into(),
            );
            assert!(
                past.is_empty(),
                "n={n} size={size}: the page past the end is empty"
            );
        }
        // Far past the end, with the largest page number the SDK can send.
        let far = ListImportJobsRequest::new()
            .cluster_id(CLUSTER)
            .page_size(100)
            .current_page(u32::MAX);
        assert!(page(&api, far, total, 100, u32::MAX.into()).is_empty());
        // Listing moves no job.
        assert!(ids
            .iter()
            .all(|id| emulator.job_state(id) == Some(ImportJobState::Pending)));
    }
}

#[test]
fn list_without_page_settings_is_page_1_of_10() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let ids: Vec<String> = (0..12).map(|_| create(&api, &s3_request("c"))).collect();

    // The SDK's defaults, sent as pageSize 10, currentPage 1.
    let first = page(
        &api,
        ListImportJobsRequest::new().cluster_id(CLUSTER),
        12,
        10,
        1,
    );
    assert_eq!(first, ids[..10]);
    let sent = emulator.requests().last().unwrap().json.clone().unwrap();
    assert_eq!(
        (&sent["pageSize"], &sent["currentPage"]),
        (&json!(10), &json!(1))
    );

    // Without the keys at all, the emulator applies and echoes the same defaults.
    let (status, reply) = raw_json(&emulator, LIST, json!({ "clusterId": CLUSTER }));
    assert_eq!(status, 200);
    assert_eq!(reply["code"], 0, "{reply}");
    assert_eq!(reply["data"]["count"], 12);
    assert_eq!(reply["data"]["pageSize"], 10);
    assert_eq!(reply["data"]["currentPage"], 1);
    assert_eq!(reply["data"]["records"].as_array().unwrap().len(), 10);
    assert_eq!(reply["data"]["records"][0]["jobId"], ids[0].as_str());
    let record = reply["data"]["records"][0].as_object().unwrap();
    let mut keys: Vec<_> = record.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["collectionName", "jobId", "state"],
        "the documented record keys"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Paging errors
// ---------------------------------------------------------------------------------------------

#[test]
fn page_size_over_100_is_code_96008() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    create(&api, &s3_request("c"));
    let list = ListImportJobsRequest::new().cluster_id(CLUSTER);
    expect_api(api.list_import_jobs(&list.clone().page_size(101)), 96008);
    expect_api(
        api.list_import_jobs(&list.clone().page_size(u32::MAX)),
        96008,
    );
    // The bounds themselves are fine.
    page(&api, list.clone().page_size(100), 1, 100, 1);
    page(&api, list.page_size(1), 1, 1, 1);
}

#[test]
fn page_0_is_refused_by_the_sdk_and_by_the_emulator() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let list = ListImportJobsRequest::new().cluster_id(CLUSTER);
    let message = expect_invalid(api.list_import_jobs(&list.clone().current_page(0)));
    assert!(message.contains("page"), "{message}");
    let message = expect_invalid(api.list_import_jobs(&list.page_size(0)));
    assert!(message.contains("page size"), "{message}");
    assert!(emulator.requests().is_empty(), "nothing was sent");

    // Sent raw, the emulator answers with the Zilliz paging codes.
    let body = |size: i64, current: i64| json!({"clusterId": CLUSTER, "pageSize": size, "currentPage": current});
    raw_error(&emulator, LIST, body(10, 0), 96009);
    raw_error(&emulator, LIST, body(10, -1), 96009);
    raw_error(&emulator, LIST, body(0, 1), 96008);
    raw_error(&emulator, LIST, body(-5, 1), 96008);
    raw_error(&emulator, LIST, body(101, 1), 96008);
    // Wrong JSON types are binding errors.
    raw_error(
        &emulator,
        LIST,
        json!({"clusterId": CLUSTER, "pageSize": "10"}),
        1801,
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Target errors
// ---------------------------------------------------------------------------------------------

#[test]
fn no_cluster_and_no_project_is_code_96025_on_every_operation() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = emulator.seed_job(
        SeedJob::new("c")
            .cluster_id(CLUSTER)
            .state(ImportJobState::Uncommitted),
    );
    let untargeted = JobRequest::new(&id);
    expect_api(api.bulk_import(&s3_request("c").cluster_id("")), 96025);
    expect_api(api.get_import_progress(&untargeted), 96025);
    expect_api(api.list_import_jobs(&ListImportJobsRequest::new()), 96025);
    expect_api(api.commit_import(&untargeted), 96025);
    expect_api(api.abort_import(&untargeted), 96025);
    assert_eq!(
        emulator.requests().len(),
        5,
        "each was sent and refused by the server"
    );
    assert_eq!(emulator.job_state(&id), Some(ImportJobState::Uncommitted));
}

#[test]
fn cluster_other_than_the_configured_one_is_code_96018_on_every_operation() {
    let emulator = start(EmulatorConfig::cloud().cluster_id("in01-right"));
    let api = client(&emulator, KEY);
    let id = create(
        &api,
        &s3_request("c")
            .cluster_id("in01-right")
            .option("auto_commit", "false"),
    );
    let wrong = JobRequest::new(&id).cluster_id("in01-wrong");
    let err = expect_api(
        api.bulk_import(&s3_request("c").cluster_id("in01-wrong")),
        96018,
    );
    assert!(err.to_string().contains("in01-wrong"), "{err}");
    expect_api(api.get_import_progress(&wrong), 96018);
    expect_api(
        api.list_import_jobs(&ListImportJobsRequest::new().cluster_id("in01-wrong")),
        96018,
    );
    expect_api(api.commit_import(&wrong), 96018);
    expect_api(api.abort_import(&wrong), 96018);

    // The configured cluster works.
    let right = JobRequest::new(&id).cluster_id("in01-right");
    assert_eq!(describe(&api, &right).state, ImportJobState::Pending);
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id("in01-right")),
        std::slice::from_ref(&id)
    );
    api.abort_import(&right).expect("abort");
    assert_eq!(describe(&api, &right).state, ImportJobState::Failed);
}

#[test]
fn project_without_region_is_refused_by_the_sdk_and_code_96005_raw() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let half_create = BulkImportRequest::new("c")
        .project_id("proj-1")
        .object_urls([["s3://b/1.parquet"]]);
    expect_invalid(api.bulk_import(&half_create));
    expect_invalid(
        api.bulk_import(
            &half_create
                .clone()
                .project_id("")
                .region_id("aws-us-west-2"),
        ),
    );
    let half_job = JobRequest::new("job-0123456789abcdefghijk").project_id("proj-1");
    expect_invalid(api.get_import_progress(&half_job));
    expect_invalid(api.commit_import(&half_job));
    expect_invalid(api.abort_import(&half_job));
    expect_invalid(api.list_import_jobs(&ListImportJobsRequest::new().region_id("aws-us-west-2")));
    assert!(emulator.requests().is_empty(), "nothing was sent");

    let create_body = |project: &str, region: &str| {
        json!({"collectionName": "c", "projectId": project, "regionId": region,
               "objectUrls": [["s3://b/1.parquet"]]})
    };
    raw_error(&emulator, CREATE, create_body("proj-1", ""), 96005);
    raw_error(&emulator, CREATE, create_body("", "aws-us-west-2"), 96005);
    let job_body = json!({"jobId": "job-0123456789abcdefghijk", "projectId": "proj-1"});
    raw_error(&emulator, DESCRIBE, job_body.clone(), 96005);
    raw_error(&emulator, COMMIT, job_body.clone(), 96005);
    raw_error(&emulator, ABORT, job_body, 96005);
    raw_error(&emulator, LIST, json!({"regionId": "aws-us-west-2"}), 96005);
}

// ---------------------------------------------------------------------------------------------
// 6. API key
// ---------------------------------------------------------------------------------------------

#[test]
fn configured_api_key_is_required_on_every_operation() {
    let emulator = start(EmulatorConfig::cloud().api_key("KEY"));

    // The right key works everywhere.
    let api = client(&emulator, "KEY");
    let id = create(&api, &s3_request("c").option("auto_commit", "false"));
    let second = create(&api, &s3_request("c").option("auto_commit", "false"));
    let job = JobRequest::new(&id).cluster_id(CLUSTER);
    describe(&api, &job);
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)),
        [id.clone(), second.clone()]
    );
    assert!(emulator.advance(&id, 4));
    api.commit_import(&job).expect("commit");
    api.abort_import(&JobRequest::new(&second).cluster_id(CLUSTER))
        .expect("abort");

    // A wrong key, and no key, are code 21119 on HTTP 200, whatever the call.
    for key in ["WRONG", "", "KEY2", "a-key-of-another-project"] {
        let bad = client(&emulator, key);
        let other = JobRequest::new(&second).cluster_id(CLUSTER);
        let errors = [
            expect_api(bad.bulk_import(&s3_request("c")), 21119),
            expect_api(bad.get_import_progress(&job), 21119),
            expect_api(
                bad.list_import_jobs(&ListImportJobsRequest::new().cluster_id(CLUSTER)),
                21119,
            ),
            expect_api(bad.commit_import(&job), 21119),
            expect_api(bad.abort_import(&other), 21119),
        ];
        for err in errors {
            let Error::Api {
                message, response, ..
            } = &err
            else {
                unreachable!()
            };
            assert_eq!(message, "The apikey is illegal.");
            assert_eq!(response.status_code(), 200);
            if !key.is_empty() {
                assert!(!err.to_string().contains(key), "{err}");
            }
        }
    }
    // The refused calls changed nothing.
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)),
        [id.clone(), second.clone()]
    );
    assert_eq!(emulator.job_state(&id), Some(ImportJobState::Committing));
    assert_eq!(emulator.job_state(&second), Some(ImportJobState::Failed));
}

// ---------------------------------------------------------------------------------------------
// 7. Create errors
// ---------------------------------------------------------------------------------------------

#[test]
fn create_needs_exactly_one_data_source_else_code_1100() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let base = || BulkImportRequest::new("c").cluster_id(CLUSTER);

    let err = expect_api(api.bulk_import(&base()), 1100);
    assert!(
        err.to_string().contains("one data source is required"),
        "{err}"
    );
    // An empty list of URLs is no source either.
    expect_api(
        api.bulk_import(&base().object_urls(Vec::<Vec<String>>::new())),
        1100,
    );

    let two = [
        base()
            .object_urls([["s3://b/1.parquet"]])
            .volume_name("vol"),
        base()
            .object_urls([["s3://b/1.parquet"]])
            .volume_name("vol")
            .data_paths([["1.parquet"]]),
        base()
            .object_url("s3://b/2.parquet")
            .volume_name("vol")
            .data_paths([["1.parquet"]]),
    ];
    for request in &two {
        let err = expect_api(api.bulk_import(request), 1100);
        assert!(err.to_string().contains("only one data source"), "{err}");
    }

    let err = expect_api(api.bulk_import(&base().volume_name("vol")), 1100);
    assert!(err.to_string().contains("dataPaths is required"), "{err}");
    expect_api(
        api.bulk_import(
            &base()
                .volume_name("vol")
                .data_paths(Vec::<Vec<String>>::new()),
        ),
        1100,
    );

    // The secrets of a refused request never show in the error.
    let err = expect_api(
        api.bulk_import(
            &base()
                .secret_key("TOP-SECRET-SK")
                .access_key("AKIA-ACCESS")
                .token("SESSION-TOKEN"),
        ),
        1100,
    );
    let text = format!("{err} {err:?}");
    for secret in ["TOP-SECRET-SK", "AKIA-ACCESS", "SESSION-TOKEN"] {
        assert!(!text.contains(secret), "{text}");
    }

    assert!(listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)).is_empty());
}

/// `objectUrls` and the deprecated `objectUrl` together are two data sources (§5.1: exactly
/// one). Ignored until the emulator stops accepting the pair and silently dropping `objectUrl`
/// (src/emulator/service.rs, the first arm of the data-source `match` in `cloud_create`).
#[test]
fn object_urls_with_object_url_is_two_sources_code_1100() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let err = expect_api(
        api.bulk_import(
            &BulkImportRequest::new("c")
                .cluster_id(CLUSTER)
                .object_urls([["s3://b/1.parquet"]])
                .object_url("s3://b/2.parquet"),
        ),
        1100,
    );
    assert!(err.to_string().contains("only one data source"), "{err}");
    assert!(listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)).is_empty());
}

#[test]
fn empty_collection_name_is_refused_before_sending() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    for name in ["", "   "] {
        let message = expect_invalid(
            api.bulk_import(
                &BulkImportRequest::new(name)
                    .cluster_id(CLUSTER)
                    .object_urls([["s3://b/1.parquet"]]),
            ),
        );
        assert!(message.contains("collection name"), "{message}");
    }
    assert!(emulator.requests().is_empty(), "nothing was sent");

    // Sent raw, the emulator insists on it too.
    raw_error(
        &emulator,
        CREATE,
        json!({"clusterId": CLUSTER, "objectUrls": [["s3://b/1.parquet"]]}),
        1802,
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Two-phase import on cloud
// ---------------------------------------------------------------------------------------------

fn two_phase(collection: &str) -> BulkImportRequest {
    s3_request(collection).option("auto_commit", "false")
}

#[test]
fn two_phase_job_waits_uncommitted_until_committed_then_completes() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = create(&api, &two_phase("c"));
    assert_eq!(
        emulator.requests()[0].json.as_ref().unwrap()["options"],
        json!({"auto_commit": "false"})
    );
    let job = JobRequest::new(&id).cluster_id(CLUSTER);

    // Committing before the data is ready is refused.
    expect_api(api.commit_import(&job), 2100);

    let seen: Vec<_> = (0..6)
        .map(|_| {
            let p = describe(&api, &job);
            (p.state, p.progress)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (ImportJobState::Pending, Some(0)),
            (ImportJobState::Importing, Some(25)),
            (ImportJobState::Importing, Some(50)),
            (ImportJobState::Importing, Some(75)),
            (ImportJobState::Uncommitted, Some(99)),
            (ImportJobState::Uncommitted, Some(99)),
        ],
        "a two-phase job waits at Uncommitted"
    );

    let committed = api.commit_import(&job).expect("commit");
    assert_eq!(committed.response().status_code(), 200);
    let body: Value = committed.response().json().unwrap();
    assert_eq!(body, json!({"code": 0, "data": {}}));
    api.commit_import(&job)
        .expect("commit is idempotent while committing");

    let committing = describe(&api, &job);
    assert_eq!(
        (committing.state, committing.progress),
        (ImportJobState::Committing, Some(99))
    );
    let done = describe(&api, &job);
    assert_eq!(
        (done.state, done.progress),
        (ImportJobState::Completed, Some(100))
    );
    assert!(done.complete_time.is_some());
    assert_eq!(done.details[0].imported_rows, Some(1000));

    api.commit_import(&job)
        .expect("commit is idempotent once completed");
    expect_api(api.abort_import(&job), 2100);
    assert_eq!(describe(&api, &job).state, ImportJobState::Completed);
}

#[test]
fn aborting_a_two_phase_job_fails_it_as_aborted_by_user() {
    let emulator = start(EmulatorConfig::cloud().timing(Timing::Manual));
    let api = client(&emulator, KEY);
    let waiting = create(&api, &two_phase("c"));
    let early = create(&api, &two_phase("c"));
    assert!(emulator.advance(&waiting, 4));
    let job = JobRequest::new(&waiting).cluster_id(CLUSTER);
    assert_eq!(describe(&api, &job).state, ImportJobState::Uncommitted);

    for id in [&waiting, &early] {
        let job = JobRequest::new(id).cluster_id(CLUSTER);
        api.abort_import(&job).expect("abort");
        let aborted = describe(&api, &job);
        assert_eq!(aborted.state, ImportJobState::Failed);
        assert_eq!(aborted.reason.as_deref(), Some("aborted by user"));
        assert_eq!(aborted.progress, Some(0));
        api.abort_import(&job).expect("a repeated abort succeeds");
        expect_api(api.commit_import(&job), 2100);
    }
    let list = api
        .list_import_jobs(&ListImportJobsRequest::new().cluster_id(CLUSTER))
        .unwrap()
        .into_data();
    assert!(list
        .records
        .iter()
        .all(|r| r.state == ImportJobState::Failed));

    // A job created without auto_commit=false is not two-phase.
    let plain = create(&api, &s3_request("c"));
    let plain = JobRequest::new(&plain).cluster_id(CLUSTER);
    expect_api(api.commit_import(&plain), 2100);
    expect_api(api.abort_import(&plain), 2100);
}

#[test]
fn commit_and_abort_of_an_unknown_job_are_code_96026() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    create(&api, &two_phase("c"));
    let unknown = JobRequest::new("job-0000000000000000000zz").cluster_id(CLUSTER);
    let err = expect_api(api.commit_import(&unknown), 96026);
    assert!(
        err.to_string().contains("job-0000000000000000000zz"),
        "{err}"
    );
    expect_api(api.abort_import(&unknown), 96026);
    expect_api(api.get_import_progress(&unknown), 96026);
    // Milvus-style numeric ids are just unknown ids on cloud.
    let numeric = JobRequest::new("453240863839750922").cluster_id(CLUSTER);
    expect_api(api.get_import_progress(&numeric), 96026);
    expect_api(api.commit_import(&numeric), 96026);
}

// ---------------------------------------------------------------------------------------------
// 9. Raw HTTP
// ---------------------------------------------------------------------------------------------

#[test]
fn documented_get_progress_path_answers_like_describe() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = create(&api, &s3_request("c"));
    let body = json!({"clusterId": CLUSTER, "jobId": id}).to_string();

    // Alternate the two paths: they share one job, and each poll moves it one step.
    let mut states = Vec::new();
    for i in 0..5 {
        let path = if i % 2 == 0 {
            "/v2/vectordb/jobs/import/getProgress"
        } else {
            DESCRIBE
        };
        let (status, head, reply) = tcp_post(&emulator, path, body.as_bytes());
        assert_eq!(status, 200, "{path}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(reply["code"], 0, "{reply}");
        let data = &reply["data"];
        let mut keys: Vec<_> = data.as_object().unwrap().keys().cloned().collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "collectionName",
                "completeTime",
                "details",
                "fileName",
                "fileSize",
                "jobId",
                "progress",
                "reason",
                "state",
                "totalRows"
            ],
            "{path}: the ZD2 progress keys"
        );
        assert_eq!(data["jobId"], id.as_str());
        states.push((data["state"].clone(), data["progress"].clone()));
    }
    assert_eq!(
        states,
        [
            (json!("Pending"), json!(0)),
            (json!("Importing"), json!(25)),
            (json!("Importing"), json!(50)),
            (json!("Importing"), json!(75)),
            (json!("Completed"), json!(100)),
        ]
    );

    // Through the crate's transport too, and with the same errors as describe.
    let unknown = json!({"clusterId": CLUSTER, "jobId": "job-nope"});
    raw_error(
        &emulator,
        "/v2/vectordb/jobs/import/getProgress",
        unknown,
        96026,
    );
    raw_error(
        &emulator,
        "/v2/vectordb/jobs/import/getProgress",
        json!({"clusterId": CLUSTER}),
        1802,
    );
}

#[test]
fn milvus_only_paths_and_methods_are_plain_text_404_on_cloud() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let id = create(&api, &s3_request("c"));
    let body = json!({"clusterId": CLUSTER, "jobId": id}).to_string();

    let (status, head, reply) = tcp_post(
        &emulator,
        "/v2/vectordb/jobs/import/get_progress",
        body.as_bytes(),
    );
    assert_eq!(status, 404);
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert_eq!(reply, b"404 page not found");

    for path in [
        "/v2/vectordb/jobs/import/get_progress",
        "/v2/vectordb/jobs/import/getprogress",
        "/v2/vectordb/jobs/import/",
        "/v1/vector/collections/import",
    ] {
        let reply = raw(&emulator, path, &[], body.as_bytes());
        assert_eq!(reply.status(), 404, "{path}");
        assert_eq!(reply.body(), b"404 page not found", "{path}");
        assert!(reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
    }
    // Wrong method on a real path.
    let get = http::Request::get(format!("{}{DESCRIBE}", emulator.url()))
        .body(Vec::new())
        .unwrap();
    let reply = transport().send(get).expect("exchange");
    assert_eq!(reply.status(), 404);

    // The unknown paths did not move the job.
    assert_eq!(emulator.job_state(&id), Some(ImportJobState::Pending));
}

#[test]
fn bad_json_is_code_1801() {
    let emulator = cloud();
    for (path, body) in [
        (CREATE, &b"{not json"[..]),
        (LIST, b"{\"clusterId\": "),
        (DESCRIBE, b"[1, 2]"),
        (COMMIT, b"\"job-x\""),
        (ABORT, b""),
        (LIST, b"   "),
    ] {
        let (status, head, reply) = tcp_post(&emulator, path, body);
        assert_eq!(status, 200, "{path} {body:?}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(reply["code"], 1801, "{path}: {reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(
            message.starts_with("can only accept json format request"),
            "{message}"
        );
    }
    // Wrong JSON types are 1801 too.
    for body in [
        json!({"clusterId": 42, "jobId": "job-x"}),
        json!({"clusterId": CLUSTER, "jobId": 7}),
    ] {
        raw_error(&emulator, DESCRIBE, body, 1801);
    }
    raw_error(
        &emulator,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c",
               "objectUrls": [["s3://b/1.parquet"]], "options": {"auto_commit": false}}),
        1801,
    );
    raw_error(
        &emulator,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrls": "s3://b/1.parquet"}),
        1801,
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Idempotency-Key
// ---------------------------------------------------------------------------------------------

#[test]
fn idempotency_key_on_create_returns_the_first_job() {
    let emulator = cloud();
    let keyed = keyed_client(&emulator, "retry-1");
    let first = create(&keyed, &s3_request("c"));
    let again = create(&keyed, &s3_request("c"));
    assert_eq!(again, first, "the same key returns the first job's id");
    assert_eq!(
        emulator.requests()[1].headers["idempotency-key"],
        "retry-1",
        "the header went over the wire"
    );
    let api = client(&emulator, KEY);
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)),
        std::slice::from_ref(&first)
    );

    // Another key, or none, is another job; so is the same key on another collection.
    let other = create(&keyed_client(&emulator, "retry-2"), &s3_request("c"));
    let plain = create(&api, &s3_request("c"));
    let other_collection = create(&keyed, &s3_request("d"));
    let all = [first, other, plain, other_collection];
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 4);
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)),
        all
    );

    // A key over 256 bytes is refused with 1100, and creates nothing.
    let long = "k".repeat(257);
    let reply = raw(
        &emulator,
        CREATE,
        &[("idempotency-key", long.as_str())],
        json!({"clusterId": CLUSTER, "collectionName": "c", "objectUrl": "s3://b/x"})
            .to_string()
            .as_bytes(),
    );
    let reply: Value = serde_json::from_slice(reply.body()).unwrap();
    assert_eq!(reply["code"], 1100, "{reply}");
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id(CLUSTER)).len(),
        4
    );
}

/// The same key sent to two clusters must not hand cluster B the job of cluster A: B can
/// neither describe nor list it. Ignored until the emulator scopes keys to the target (see
/// `Service::create_job` in src/emulator/service.rs).
#[test]
fn idempotency_key_is_scoped_to_the_target() {
    let emulator = cloud();
    let keyed = keyed_client(&emulator, "retry-1");
    let a = create(&keyed, &s3_request("c").cluster_id("in01-aaa"));
    let b = create(&keyed, &s3_request("c").cluster_id("in01-bbb"));
    assert_ne!(a, b, "another cluster's retry key is another job");
    let api = client(&emulator, KEY);
    describe(&api, &JobRequest::new(&b).cluster_id("in01-bbb"));
    assert_eq!(
        listed(&api, ListImportJobsRequest::new().cluster_id("in01-bbb")),
        [b]
    );
}

// ---------------------------------------------------------------------------------------------
// 11. Seeding
// ---------------------------------------------------------------------------------------------

#[test]
fn seeded_cluster_job_is_listed_and_described() {
    let emulator = cloud();
    let api = client(&emulator, KEY);
    let created = create(&api, &s3_request("c"));
    let seeded = emulator.seed_job(
        SeedJob::new("c")
            .cluster_id(CLUSTER)
            .state(ImportJobState::Completed),
    );
    let elsewhere = emulator.seed_job(
        SeedJob::new("c")
            .cluster_id("in01-other")
            .state(ImportJobState::Completed),
    );
    let failed = emulator.seed_job(
        SeedJob::new("d")
            .cluster_id(CLUSTER)
            .files([["s3://b/x.parquet"]])
            .state(ImportJobState::Failed)
            .reason("disk quota exceeded"),
    );
    for id in [&seeded, &elsewhere, &failed] {
        assert!(is_cloud_job_id(id), "{id:?}");
    }

    let list = api
        .list_import_jobs(&ListImportJobsRequest::new().cluster_id(CLUSTER))
        .expect("list")
        .into_data();
    let listed: Vec<_> = list
        .records
        .iter()
        .map(|r| (r.job_id.as_str(), r.state.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (created.as_str(), ImportJobState::Pending),
            (seeded.as_str(), ImportJobState::Completed),
            (failed.as_str(), ImportJobState::Failed),
        ]
    );
    assert_eq!(list.count, Some(3));

    let done = describe(&api, &JobRequest::new(&seeded).cluster_id(CLUSTER));
    assert_eq!(
        (done.state, done.progress),
        (ImportJobState::Completed, Some(100))
    );
    assert_eq!(done.collection_name, "c");
    assert_eq!(done.file_name.as_deref(), Some("1.parquet"));
    assert_eq!(done.total_rows, Some(1000));
    assert!(done.complete_time.is_some());
    assert_eq!(
        describe(&api, &JobRequest::new(&seeded).cluster_id(CLUSTER)).state,
        ImportJobState::Completed,
        "terminal"
    );

    let bad = describe(&api, &JobRequest::new(&failed).cluster_id(CLUSTER));
    assert_eq!(bad.state, ImportJobState::Failed);
    assert_eq!(bad.reason.as_deref(), Some("disk quota exceeded"));
    assert_eq!(bad.file_name.as_deref(), Some("s3://b/x.parquet"));

    expect_api(
        api.get_import_progress(&JobRequest::new(&elsewhere).cluster_id(CLUSTER)),
        96026,
    );
    assert_eq!(
        describe(&api, &JobRequest::new(&elsewhere).cluster_id("in01-other")).state,
        ImportJobState::Completed
    );
}
