//! The emulator in its open-source Milvus flavor, driven end to end by this crate's client over
//! real TCP on 127.0.0.1 with the default `UreqTransport`: every operation (`bulk_import`,
//! `get_import_progress`, `list_import_jobs`, `commit_import`, `abort_import`), the job
//! lifecycle, two-phase imports, databases, auth, the error codes of wire-protocol.md §2–§4,
//! `Idempotency-Key`, request inspection and seeding, the timings, keep-alive and shutdown.
//!
//! Requests the client cannot produce (bad JSON, wrong methods, odd headers) go through a tiny
//! raw HTTP/1.1 client on `std::net` with socket timeouts, so nothing here can hang.
//!
//! each names the place in `src/emulator` to fix. Run them with `-- --ignored`.

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob, Timing};
use milvus_bulk_import::{
    http, ApiResponse, BulkImportApi, BulkImportRequest, Error, ImportFileProgress,
    ImportJobRecord, ImportJobState, ImportProgress, JobRequest, ListImportJobsRequest, Transport,
    TransportError, TransportErrorKind, UreqTransport,
};
use serde_json::{json, Map, Value};

use crate::common;
use crate::common::raw::Reply;

use ImportJobState::{Committing, Completed, Failed, Importing, Pending, Uncommitted};

const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/get_progress";
const LIST: &str = "/v2/vectordb/jobs/import/list";
const COMMIT: &str = "/v2/vectordb/jobs/import/commit";
const ABORT: &str = "/v2/vectordb/jobs/import/abort";

/// Connect/read timeout of every client here: a stuck call fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The emulator's default rows per source file (group), and bytes per row.
const ROWS: u64 = 1000;
const ROW_BYTES: u64 = 128;
/// Milvus's binding error for an empty body (wire-protocol.md §2.5).
const EMPTY_BODY: &str =
    "can only accept json format request, the request body should be nil, however {} is valid";
const NOT_AUTHENTICATED: &str = "user hasn't authenticated";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn start(config: EmulatorConfig) -> Emulator {
    config.start().expect("the emulator starts")
}

/// A client of `emulator` with the built-in ureq transport.
fn client(emulator: &Emulator, key: &str) -> BulkImportApi {
    BulkImportApi::builder(emulator.url())
        .api_key(key)
        .timeout(TIMEOUT)
        .build()
        .expect("client")
}

fn two_phase(collection: &str) -> BulkImportRequest {
    BulkImportRequest::new(collection).option("auto_commit", "false")
}

fn create(api: &BulkImportApi, request: &BulkImportRequest) -> String {
    api.bulk_import(request).expect("create").into_data().job_id
}

fn describe(api: &BulkImportApi, id: &str) -> ImportProgress {
    api.get_import_progress(&JobRequest::new(id))
        .expect("describe")
        .into_data()
}

/// Describes a job: the typed reply and the whole raw JSON.
fn describe_both(api: &BulkImportApi, id: &str) -> (ImportProgress, Value) {
    let reply = api
        .get_import_progress(&JobRequest::new(id))
        .expect("describe");
    let raw = reply.response().json::<Value>().expect("JSON reply");
    (reply.into_data(), raw)
}

fn state_and_progress(p: &ImportProgress) -> (ImportJobState, Option<u32>) {
    (p.state.clone(), p.progress)
}

/// Describes a PerPoll job until it ends (at most 10 polls).
fn run_to_end(api: &BulkImportApi, id: &str) -> ImportProgress {
    for _ in 0..10 {
        let progress = describe(api, id);
        if progress.state.is_terminal() {
            return progress;
        }
    }
    panic!("job {id} did not end within 10 describes");
}

/// Describes a PerPoll two-phase job the five times it takes to reach `Uncommitted`.
fn to_uncommitted(api: &BulkImportApi, id: &str) {
    let seen: Vec<_> = (0..5)
        .map(|_| state_and_progress(&describe(api, id)))
        .collect();
    assert_eq!(seen[4], (Uncommitted, Some(99)), "{seen:?}");
}

fn list(api: &BulkImportApi, request: &ListImportJobsRequest) -> Vec<ImportJobRecord> {
    api.list_import_jobs(request)
        .expect("list")
        .into_data()
        .records
}

fn listed_ids(api: &BulkImportApi, request: &ListImportJobsRequest) -> Vec<String> {
    let mut ids: Vec<String> = list(api, request).into_iter().map(|r| r.job_id).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The (HTTP status, code, message) of a call that must fail with a Milvus error envelope.
fn api_error<T: std::fmt::Debug>(result: Result<ApiResponse<T>, Error>) -> (u16, i64, String) {
    match result {
        Err(Error::Api {
            code,
            message,
            status,
            ..
        }) => (status, code, message),
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// The Milvus error code of a call that must fail with HTTP 200 and a business error.
fn code_of<T: std::fmt::Debug>(result: Result<ApiResponse<T>, Error>) -> i64 {
    let (status, code, _) = api_error(result);
    assert_eq!(status, 200, "Milvus reports business errors with HTTP 200");
    code
}

fn assert_decimal_id(id: &str) {
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "not a decimal id: {id:?}"
    );
    id.parse::<i64>().expect("a job id fits an int64");
}

/// Seconds since the epoch of an RFC 3339 UTC time to the second (`2025-01-16T08:42:09Z`).
fn epoch_seconds(t: &str) -> i64 {
    let b = t.as_bytes();
    assert!(
        b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z',
        "not an RFC 3339 UTC time: {t:?}"
    );
    let num = |from: usize, to: usize| -> i64 {
        t[from..to]
            .parse()
            .unwrap_or_else(|_| panic!("not an RFC 3339 UTC time: {t:?}"))
    };
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    let (hh, mm, ss) = (num(11, 13), num(14, 16), num(17, 19));
    assert!(
        (1..=12).contains(&m) && (1..=31).contains(&d) && hh < 24 && mm < 60 && ss < 60,
        "not an RFC 3339 UTC time: {t:?}"
    );
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// `t` is a well-formed RFC 3339 time within two minutes of now.
fn assert_recent(t: &str) {
    let skew = (now_seconds() - epoch_seconds(t)).abs();
    assert!(skew <= 120, "{t} is {skew} s away from now");
}

/// A multi-file group's `fileName`: the paths in order, as Go's `%v` prints a `[]string`
/// (`[id.npy vec.npy]`), which is what Milvus sends.
fn assert_group_name(name: &str, paths: &[&str]) {
    let inner = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a bracketed list: {name:?}"));
    assert_eq!(
        inner,
        paths.join(" "),
        "{name:?} does not list {paths:?} as Go's %v does"
    );
}

/// A per-file `details` entry as the emulator reports it for a file of `ROWS` rows.
fn detail(
    name: &str,
    state: &str,
    progress: u32,
    complete_time: Option<&str>,
    reason: Option<&str>,
) -> ImportFileProgress {
    ImportFileProgress {
        file_name: Some(name.to_string()),
        file_size: Some(ROWS * ROW_BYTES),
        state: Some(state.to_string()),
        progress: Some(progress),
        imported_rows: Some(ROWS * u64::from(progress) / 100),
        total_rows: Some(ROWS),
        complete_time: complete_time.map(str::to_string),
        reason: reason.map(str::to_string),
        extra: Map::new(),
    }
}

fn record(id: &str, collection: &str, state: ImportJobState, progress: u32) -> ImportJobRecord {
    ImportJobRecord {
        job_id: id.to_string(),
        collection_name: collection.to_string(),
        state,
        progress: Some(progress),
        reason: None,
        extra: Map::new(),
    }
}

/// Sends one raw HTTP/1.1 request (`Connection: close`) and reads the whole reply.
fn raw(
    emulator: &Emulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    common::raw::send(emulator.addr(), method, path, headers, body)
}

/// POSTs a JSON body with [`raw`].
fn post(emulator: &Emulator, path: &str, body: &str) -> Reply {
    common::raw::post_json(emulator.addr(), path, &[], body)
}

/// Sends `request` as is on a new connection and returns everything the server wrote back
/// before closing it.
fn exchange(emulator: &Emulator, request: &str) -> String {
    common::raw::exchange(emulator.addr(), request)
}

/// A transport that adds an `Idempotency-Key` header to every request, then delegates to the
/// built-in ureq transport.
struct WithIdempotencyKey {
    inner: UreqTransport,
    key: String,
}

impl Transport for WithIdempotencyKey {
    fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let value = http::HeaderValue::from_str(&self.key).expect("a header value");
        request.headers_mut().insert("idempotency-key", value);
        self.inner.send(request)
    }
}

fn keyed_client(emulator: &Emulator, key: &str) -> BulkImportApi {
    let transport = UreqTransport::builder()
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .build()
        .expect("transport");
    BulkImportApi::builder(emulator.url())
        .transport(WithIdempotencyKey {
            inner: transport,
            key: key.to_string(),
        })
        .build()
        .expect("client")
}

// ---------------------------------------------------------------------------------------------
// 1. Lifecycle under PerPoll
// ---------------------------------------------------------------------------------------------

#[test]
fn per_poll_job_moves_one_step_per_describe_from_pending_to_completed() {
    let emulator = start(EmulatorConfig::milvus());
    let api = BulkImportApi::new(emulator.url(), "").expect("client");
    let groups = [vec!["a.parquet"], vec!["id.npy", "vec.npy"]];

    let created = api
        .bulk_import(&BulkImportRequest::new("books").files(groups.clone()))
        .expect("create");
    let id = created.data().job_id.clone();
    assert_eq!(
        created.response().json::<Value>().unwrap(),
        json!({"code": 0, "data": {"jobId": id}}),
        "jobId is a JSON string"
    );
    let other = create(
        &api,
        &BulkImportRequest::new("books").files([["b.parquet"]]),
    );
    assert_decimal_id(&id);
    assert_decimal_id(&other);
    assert_ne!(id, other);

    let polls: Vec<(ImportProgress, Value)> = (0..5).map(|_| describe_both(&api, &id)).collect();
    for (_, raw) in &polls[..4] {
        assert!(raw["data"].get("reason").is_none(), "{raw}");
        for file in raw["data"]["details"].as_array().unwrap() {
            assert!(file.get("reason").is_none(), "{raw}");
        }
    }

    let create_time = polls[0].0.create_time.clone().expect("createTime is set");
    assert_recent(&create_time);
    let complete_time = polls[4]
        .0
        .complete_time
        .clone()
        .expect("completeTime at the end");
    assert_recent(&complete_time);
    assert!(epoch_seconds(&complete_time) >= epoch_seconds(&create_time));
    let parquet = polls[0].0.details[0].file_name.clone().unwrap();
    assert_eq!(parquet, "[a.parquet]");
    let npy = polls[0].0.details[1].file_name.clone().unwrap();
    assert_group_name(&npy, &["id.npy", "vec.npy"]);

    let total = 2 * ROWS;
    let expected = |state: ImportJobState, progress: u32, file: &str, done: Option<&str>| {
        let file_progress = match file {
            "Pending" => 0,
            "InProgress" => progress,
            _ => 100,
        };
        ImportProgress {
            job_id: id.clone(),
            collection_name: "books".into(),
            state,
            progress: Some(progress),
            imported_rows: Some(total * u64::from(progress) / 100),
            total_rows: Some(total),
            file_size: Some(total * ROW_BYTES),
            file_name: None,
            create_time: Some(create_time.clone()),
            complete_time: done.map(str::to_string),
            reason: None,
            details: vec![
                detail(&parquet, file, file_progress, done, None),
                detail(&npy, file, file_progress, done, None),
            ],
            extra: Map::new(),
        }
    };
    let done = expected(Completed, 100, "Completed", Some(&complete_time));
    let seen: Vec<ImportProgress> = polls.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        seen,
        vec![
            expected(Pending, 0, "Pending", None),
            expected(Importing, 25, "InProgress", None),
            expected(Importing, 50, "InProgress", None),
            expected(Importing, 75, "InProgress", None),
            done.clone(),
        ]
    );
    assert_eq!(done.imported_rows, done.total_rows);
    assert_eq!(done.total_rows, Some(ROWS * groups.len() as u64));

    // The whole reply, key for key (wire-protocol.md §3.2): no `reason` on success.
    assert_eq!(
        polls[4].1,
        json!({"code": 0, "data": {
            "jobId": id, "collectionName": "books",
            "createTime": create_time, "completeTime": complete_time,
            "state": "Completed", "progress": 100,
            "importedRows": 2000, "totalRows": 2000, "fileSize": 256_000,
            "details": [
                {"fileName": "[a.parquet]", "fileSize": 128_000, "progress": 100,
                 "completeTime": complete_time, "state": "Completed",
                 "importedRows": 1000, "totalRows": 1000},
                {"fileName": npy, "fileSize": 128_000, "progress": 100,
                 "completeTime": complete_time, "state": "Completed",
                 "importedRows": 1000, "totalRows": 1000},
            ],
        }})
    );

    // Completed is terminal.
    for _ in 0..3 {
        assert_eq!(describe(&api, &id), done);
    }
    assert_eq!(emulator.job_state(&id), Some(Completed));
    assert_eq!(
        emulator.job_state(&other),
        Some(Pending),
        "a job nobody describes stays put"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Failures
// ---------------------------------------------------------------------------------------------

#[test]
fn path_with_the_fail_marker_ends_failed_with_a_reason_naming_the_file() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["ok.parquet"], ["in/fail_me.parquet"]]),
    );

    let mut seen = Vec::new();
    for _ in 0..4 {
        let (progress, raw) = describe_both(&api, &id);
        assert!(raw["data"].get("reason").is_none(), "{raw}");
        assert_eq!(progress.reason, None);
        seen.push(state_and_progress(&progress));
    }
    assert_eq!(
        seen,
        [
            (Pending, Some(0)),
            (Importing, Some(25)),
            (Importing, Some(50)),
            (Importing, Some(75))
        ]
    );

    let (failed, raw) = describe_both(&api, &id);
    let reason = failed.reason.clone().expect("a failed job has a reason");
    assert!(reason.contains("in/fail_me.parquet"), "{reason}");
    assert_eq!(raw["data"]["reason"], json!(reason));
    let create_time = failed.create_time.clone().expect("createTime");
    let complete_time = failed
        .complete_time
        .clone()
        .expect("completeTime once failed");
    assert_recent(&complete_time);
    assert_eq!(
        failed,
        ImportProgress {
            job_id: id.clone(),
            collection_name: "books".into(),
            state: Failed,
            progress: Some(0),
            imported_rows: Some(0),
            total_rows: Some(2 * ROWS),
            file_size: Some(2 * ROWS * ROW_BYTES),
            file_name: None,
            create_time: Some(create_time),
            complete_time: Some(complete_time.clone()),
            reason: Some(reason.clone()),
            details: vec![
                detail(
                    "[ok.parquet]",
                    "Failed",
                    0,
                    Some(&complete_time),
                    Some(&reason)
                ),
                detail(
                    "[in/fail_me.parquet]",
                    "Failed",
                    0,
                    Some(&complete_time),
                    Some(&reason)
                ),
            ],
            extra: Map::new(),
        }
    );
    assert_eq!(describe(&api, &id), failed, "Failed is terminal");
    assert_eq!(emulator.job_state(&id), Some(Failed));

    assert_eq!(
        list(&api, &ListImportJobsRequest::new()),
        vec![ImportJobRecord {
            reason: Some(reason),
            ..record(&id, "books", Failed, 0)
        }]
    );
}

#[test]
fn fail_marker_is_configurable_and_an_empty_one_turns_failures_off() {
    let broken = start(EmulatorConfig::milvus().fail_marker("BROKEN"));
    let api = client(&broken, "");
    let fine = create(&api, &BulkImportRequest::new("c").files([["fail.parquet"]]));
    let bad = create(
        &api,
        &BulkImportRequest::new("c").files([["x/BROKEN.parquet"]]),
    );
    assert_eq!(run_to_end(&api, &fine).state, Completed);
    let end = run_to_end(&api, &bad);
    assert_eq!(end.state, Failed);
    let reason = end.reason.expect("reason");
    assert!(reason.contains("x/BROKEN.parquet"), "{reason}");

    let off = start(EmulatorConfig::milvus().fail_marker(""));
    let api = client(&off, "");
    for path in ["fail.parquet", "BROKEN.parquet"] {
        let id = create(&api, &BulkImportRequest::new("c").files([[path]]));
        let end = run_to_end(&api, &id);
        assert_eq!((end.state, end.reason), (Completed, None), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Two-phase imports: commit and abort
// ---------------------------------------------------------------------------------------------

#[test]
fn two_phase_job_waits_in_uncommitted_until_committed_then_completes() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = create(&api, &two_phase("books").files([["a.parquet"]]));
    let job = JobRequest::new(&id);

    let seen: Vec<_> = (0..5)
        .map(|_| state_and_progress(&describe(&api, &id)))
        .collect();
    assert_eq!(
        seen,
        [
            (Pending, Some(0)),
            (Importing, Some(25)),
            (Importing, Some(50)),
            (Importing, Some(75)),
            (Uncommitted, Some(99))
        ]
    );
    // It stays there, rows reported, however often it is described.
    for _ in 0..3 {
        let (p, raw) = describe_both(&api, &id);
        assert_eq!(
            (
                p.state,
                p.progress,
                p.imported_rows,
                p.total_rows,
                p.complete_time,
                p.reason
            ),
            (Uncommitted, Some(99), Some(ROWS), Some(ROWS), None, None)
        );
        assert_eq!(p.details[0].state.as_deref(), Some("Completed"));
        assert!(raw["data"].get("reason").is_none(), "{raw}");
    }
    assert_eq!(emulator.job_state(&id), Some(Uncommitted));

    let committed = api.commit_import(&job).expect("commit");
    assert_eq!(
        committed.response().json::<Value>().unwrap(),
        json!({"code": 0, "data": {}})
    );
    assert_eq!(emulator.job_state(&id), Some(Committing));
    api.commit_import(&job)
        .expect("commit is idempotent while committing");
    assert_eq!(
        code_of(api.abort_import(&job)),
        2100,
        "no abort once committing"
    );

    let p = describe(&api, &id);
    assert_eq!(
        (p.state, p.progress, p.imported_rows, p.complete_time),
        (Committing, Some(99), Some(ROWS), None)
    );
    let p = describe(&api, &id);
    assert_eq!(
        (p.state, p.progress, p.imported_rows, p.total_rows),
        (Completed, Some(100), Some(ROWS), Some(ROWS))
    );
    assert_recent(p.complete_time.as_deref().expect("completeTime"));

    api.commit_import(&job)
        .expect("commit is idempotent once completed");
    assert_eq!(
        code_of(api.abort_import(&job)),
        2100,
        "no abort once completed"
    );
    assert_eq!(describe(&api, &id).state, Completed);
}

#[test]
fn commit_before_the_data_is_ready_is_refused_with_2100() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = create(&api, &two_phase("books").files([["a.parquet"]]));
    let job = JobRequest::new(&id);

    let (status, code, message) = api_error(api.commit_import(&job));
    assert_eq!((status, code), (200, 2100), "{message}");
    assert_eq!(emulator.job_state(&id), Some(Pending));

    describe(&api, &id);
    assert_eq!(emulator.job_state(&id), Some(Importing));
    assert_eq!(code_of(api.commit_import(&job)), 2100);
    assert_eq!(
        emulator.job_state(&id),
        Some(Importing),
        "a refused commit changes nothing"
    );
}

#[test]
fn abort_fails_an_uncommitted_job_and_repeating_it_is_ok() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let id = create(&api, &two_phase("books").files([["a.parquet"]]));
    let job = JobRequest::new(&id);
    to_uncommitted(&api, &id);

    let aborted = api.abort_import(&job).expect("abort");
    assert_eq!(
        aborted.response().json::<Value>().unwrap(),
        json!({"code": 0, "data": {}})
    );
    let p = describe(&api, &id);
    assert_eq!(
        (p.state, p.progress, p.imported_rows, p.reason.as_deref()),
        (Failed, Some(0), Some(0), Some("aborted by user"))
    );
    assert_recent(
        p.complete_time
            .as_deref()
            .expect("completeTime once aborted"),
    );

    api.abort_import(&job).expect("abort is idempotent");
    assert_eq!(
        code_of(api.commit_import(&job)),
        2100,
        "no commit once aborted"
    );
    assert_eq!(emulator.job_state(&id), Some(Failed));

    // Abort is allowed before the data is ready, too.
    let early = create(&api, &two_phase("books").files([["b.parquet"]]));
    describe(&api, &early);
    assert_eq!(emulator.job_state(&early), Some(Importing));
    api.abort_import(&JobRequest::new(&early))
        .expect("abort while importing");
    let p = describe(&api, &early);
    assert_eq!(
        (p.state, p.reason.as_deref()),
        (Failed, Some("aborted by user"))
    );
}

#[test]
fn commit_and_abort_are_refused_after_a_commit_or_on_an_auto_commit_job() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");

    let id = create(&api, &two_phase("books").files([["a.parquet"]]));
    to_uncommitted(&api, &id);
    api.commit_import(&JobRequest::new(&id)).expect("commit");
    assert_eq!(code_of(api.abort_import(&JobRequest::new(&id))), 2100);
    assert_eq!(emulator.job_state(&id), Some(Committing));

    let auto = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    let explicit = create(
        &api,
        &BulkImportRequest::new("books")
            .files([["a.parquet"]])
            .option("auto_commit", "true"),
    );
    for job in [&auto, &explicit] {
        let request = JobRequest::new(job.as_str());
        assert_eq!(code_of(api.commit_import(&request)), 2100, "pending");
        assert_eq!(code_of(api.abort_import(&request)), 2100, "pending");
        assert_eq!(run_to_end(&api, job).state, Completed);
        assert_eq!(code_of(api.commit_import(&request)), 2100, "completed");
        assert_eq!(code_of(api.abort_import(&request)), 2100, "completed");
        assert_eq!(emulator.job_state(job), Some(Completed));
    }
}

#[test]
fn job_ids_that_are_not_int64_or_not_known_are_refused() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let bad = JobRequest::new("not-a-number");
    // commit/abort: 1100 (WrapErrParameterInvalid); describe: 2100 "parse job id failed".
    assert_eq!(code_of(api.commit_import(&bad)), 1100);
    assert_eq!(code_of(api.abort_import(&bad)), 1100);
    let (status, code, message) = api_error(api.get_import_progress(&bad));
    assert_eq!((status, code), (200, 2100));
    assert!(message.starts_with("parse job id failed"), "{message}");

    let unknown = JobRequest::new("123");
    let (status, code, message) = api_error(api.get_import_progress(&unknown));
    assert_eq!(
        (status, code, message.as_str()),
        (200, 2100, "import job does not exist, jobID=123")
    );
    assert_eq!(code_of(api.commit_import(&unknown)), 2100);
    assert_eq!(code_of(api.abort_import(&unknown)), 2100);

    // An empty id never leaves the client.
    let sent = emulator.requests().len();
    assert!(matches!(
        api.get_import_progress(&JobRequest::new("")),
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        api.commit_import(&JobRequest::new(" ")),
        Err(Error::InvalidRequest(_))
    ));
    assert_eq!(emulator.requests().len(), sent);
}

// ---------------------------------------------------------------------------------------------
// 4. List
// ---------------------------------------------------------------------------------------------

#[test]
fn list_returns_every_job_in_one_reply_whatever_the_paging() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..25 {
        let collection = if i % 5 < 3 { "a" } else { "b" };
        let id = create(
            &api,
            &BulkImportRequest::new(collection).files([[format!("{i}.parquet")]]),
        );
        if collection == "a" { &mut a } else { &mut b }.push(id);
    }
    assert_eq!((a.len(), b.len()), (15, 10));

    let reply = api
        .list_import_jobs(&ListImportJobsRequest::new().page_size(1).current_page(3))
        .expect("list");
    let raw = reply.response().json::<Value>().unwrap();
    assert_eq!(raw["code"], 0);
    assert!(raw.get("message").is_none(), "{raw}");
    assert_eq!(
        raw["data"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["records"],
        "no count/currentPage/pageSize on Milvus"
    );
    let sent = emulator.requests().last().unwrap().json.clone().unwrap();
    assert_eq!(
        (&sent["pageSize"], &sent["currentPage"]),
        (&json!(1), &json!(3))
    );

    let jobs = reply.into_data();
    assert_eq!(
        (jobs.count, jobs.current_page, jobs.page_size),
        (None, None, None)
    );
    let mut records = jobs.records;
    records.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    let mut expected: Vec<ImportJobRecord> = a
        .iter()
        .map(|id| record(id, "a", Pending, 0))
        .chain(b.iter().map(|id| record(id, "b", Pending, 0)))
        .collect();
    expected.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    assert_eq!(records, expected);

    assert_eq!(
        listed_ids(&api, &ListImportJobsRequest::new().collection_name("b")),
        sorted(b.clone())
    );
    assert_eq!(
        listed_ids(
            &api,
            &ListImportJobsRequest::new()
                .collection_name("a")
                .page_size(100)
        ),
        sorted(a.clone())
    );
    let none = api
        .list_import_jobs(&ListImportJobsRequest::new().collection_name("nope"))
        .expect("list");
    assert_eq!(
        none.response().json::<Value>().unwrap(),
        json!({"code": 0, "data": {"records": []}})
    );
    assert!(none.data().records.is_empty());
}

#[test]
fn list_records_carry_progress_and_the_failure_reason() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let importing = create(&api, &BulkImportRequest::new("c").files([["a.parquet"]]));
    // Each describe answers, then steps: after two, the job is at 50 %.
    for _ in 0..2 {
        describe(&api, &importing);
    }
    let done = create(&api, &BulkImportRequest::new("c").files([["b.parquet"]]));
    run_to_end(&api, &done);
    let failed = create(&api, &BulkImportRequest::new("c").files([["fail.parquet"]]));
    let reason = run_to_end(&api, &failed).reason.expect("reason");
    let waiting = create(&api, &two_phase("c").files([["d.parquet"]]));
    to_uncommitted(&api, &waiting);

    let reply = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .expect("list");
    let mut records = reply.data().records.clone();
    records.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    let mut expected = vec![
        record(&importing, "c", Importing, 50),
        record(&done, "c", Completed, 100),
        ImportJobRecord {
            reason: Some(reason.clone()),
            ..record(&failed, "c", Failed, 0)
        },
        record(&waiting, "c", Uncommitted, 99),
    ];
    expected.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    assert_eq!(records, expected);

    // Record keys (wire-protocol.md §3.3): `reason` only when there is one.
    let raw = reply.response().json::<Value>().unwrap();
    for item in raw["data"]["records"].as_array().unwrap() {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        if item["jobId"] == json!(failed) {
            assert_eq!(
                keys,
                ["collectionName", "jobId", "progress", "reason", "state"]
            );
            assert_eq!(item["reason"], json!(reason));
        } else {
            assert_eq!(keys, ["collectionName", "jobId", "progress", "state"]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Databases
// ---------------------------------------------------------------------------------------------

#[test]
fn db_name_puts_a_job_in_that_database_and_list_shows_only_its_own() {
    let emulator = start(EmulatorConfig::milvus().database("db1"));
    let api = client(&emulator, "");
    let in_db1 = create(
        &api,
        &BulkImportRequest::new("books")
            .db_name("db1")
            .files([["a.parquet"]]),
    );
    let in_default = create(
        &api,
        &BulkImportRequest::new("books").files([["b.parquet"]]),
    );

    let db1 = ListImportJobsRequest::new().db_name("db1");
    assert_eq!(listed_ids(&api, &db1), vec![in_db1.clone()]);
    assert_eq!(
        listed_ids(&api, &ListImportJobsRequest::new()),
        vec![in_default.clone()]
    );
    assert_eq!(
        listed_ids(&api, &ListImportJobsRequest::new().db_name("default")),
        vec![in_default.clone()]
    );
    assert_eq!(
        listed_ids(&api, &db1.clone().collection_name("books")),
        vec![in_db1.clone()]
    );

    let p = api
        .get_import_progress(&JobRequest::new(&in_db1).db_name("db1"))
        .expect("describe in db1")
        .into_data();
    assert_eq!((p.job_id, p.state), (in_db1.clone(), Pending));

    // Unknown database: 800, on create and on list; no job is made.
    let (status, code, message) = api_error(
        api.bulk_import(
            &BulkImportRequest::new("books")
                .db_name("nope")
                .files([["c.parquet"]]),
        ),
    );
    assert_eq!((status, code), (200, 800));
    assert!(message.contains("nope"), "{message}");
    assert_eq!(
        code_of(api.list_import_jobs(&ListImportJobsRequest::new().db_name("nope"))),
        800
    );
    assert_eq!(
        listed_ids(&api, &db1).len() + listed_ids(&api, &ListImportJobsRequest::new()).len(),
        2
    );
}

#[test]
fn db_name_header_picks_the_database_when_the_body_has_none() {
    let emulator = start(EmulatorConfig::milvus().database("db1"));
    let api = client(&emulator, "");
    let body = r#"{"collectionName":"books","files":[["a.parquet"]]}"#;

    let by_header = raw(&emulator, "POST", CREATE, &[("DB-Name", "db1")], body);
    assert_eq!(by_header.code(), 0, "{by_header:?}");
    let by_header = by_header.json()["data"]["jobId"]
        .as_str()
        .unwrap()
        .to_string();

    let body_wins = raw(
        &emulator,
        "POST",
        CREATE,
        &[("DB-Name", "db1")],
        r#"{"collectionName":"books","dbName":"default","files":[["a.parquet"]]}"#,
    );
    assert_eq!(body_wins.code(), 0, "{body_wins:?}");
    let body_wins = body_wins.json()["data"]["jobId"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        listed_ids(&api, &ListImportJobsRequest::new().db_name("db1")),
        [by_header]
    );
    assert_eq!(listed_ids(&api, &ListImportJobsRequest::new()), [body_wins]);

    assert_eq!(
        raw(&emulator, "POST", CREATE, &[("DB-Name", "nope")], body).code(),
        800
    );
    let listed = raw(&emulator, "POST", LIST, &[("DB-Name", "db1")], "{}");
    assert_eq!(listed.code(), 0);
    assert_eq!(
        listed.json()["data"]["records"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn sdk_sends_the_db_name_header_exactly_when_a_db_name_is_set() {
    let emulator = start(EmulatorConfig::milvus().database("db1"));
    let api = client(&emulator, "");
    let to_commit = create(
        &api,
        &two_phase("books").db_name("db1").files([["a.parquet"]]),
    );
    let to_abort = create(
        &api,
        &two_phase("books").db_name("db1").files([["b.parquet"]]),
    );
    to_uncommitted(&api, &to_commit);
    to_uncommitted(&api, &to_abort);
    emulator.clear_requests();

    api.get_import_progress(&JobRequest::new(&to_commit).db_name("db1"))
        .expect("describe");
    api.get_import_progress(&JobRequest::new(&to_commit))
        .expect("describe");
    api.commit_import(&JobRequest::new(&to_commit).db_name("db1"))
        .expect("commit");
    api.commit_import(&JobRequest::new(&to_commit))
        .expect("commit again");
    api.abort_import(&JobRequest::new(&to_abort).db_name("db1"))
        .expect("abort");
    api.abort_import(&JobRequest::new(&to_abort))
        .expect("abort again");
    create(
        &api,
        &BulkImportRequest::new("books")
            .db_name("db1")
            .files([["c.parquet"]]),
    );
    create(
        &api,
        &BulkImportRequest::new("books").files([["c.parquet"]]),
    );
    list(&api, &ListImportJobsRequest::new().db_name("db1"));
    list(&api, &ListImportJobsRequest::new());

    let requests = emulator.requests();
    let seen: Vec<(&str, Option<&str>)> = requests
        .iter()
        .map(|r| {
            let header = r.headers.get("db-name").map(|v| v.to_str().unwrap());
            (r.path.as_str(), header)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (DESCRIBE, Some("db1")),
            (DESCRIBE, None),
            (COMMIT, Some("db1")),
            (COMMIT, None),
            (ABORT, Some("db1")),
            (ABORT, None),
            (CREATE, Some("db1")),
            (CREATE, None),
            (LIST, Some("db1")),
            (LIST, None),
        ]
    );
    // describe/commit/abort carry the database in the header only (JobIDReq has no dbName).
    for (request, id) in requests[..6].iter().zip([
        &to_commit, &to_commit, &to_commit, &to_commit, &to_abort, &to_abort,
    ]) {
        assert_eq!(
            request.json,
            Some(json!({"jobId": id, "clusterId": "", "projectId": "", "regionId": ""}))
        );
    }
    assert_eq!(requests[6].json.as_ref().unwrap()["dbName"], "db1");
    assert_eq!(requests[7].json.as_ref().unwrap()["dbName"], "");
}

// ---------------------------------------------------------------------------------------------
// 6. Auth
// ---------------------------------------------------------------------------------------------

#[test]
fn auth_accepts_the_right_key_and_answers_401_code_1800_to_any_other() {
    let emulator = start(EmulatorConfig::milvus().auth("root", "Milvus"));
    let good = client(&emulator, "root:Milvus");
    let to_commit = create(&good, &two_phase("books").files([["a.parquet"]]));
    let to_abort = create(&good, &two_phase("books").files([["b.parquet"]]));
    to_uncommitted(&good, &to_commit);
    to_uncommitted(&good, &to_abort);
    good.commit_import(&JobRequest::new(&to_commit))
        .expect("commit");
    good.abort_import(&JobRequest::new(&to_abort))
        .expect("abort");
    assert_eq!(
        listed_ids(&good, &ListImportJobsRequest::new()),
        sorted(vec![to_commit.clone(), to_abort.clone()])
    );
    let recorded = emulator.requests();
    let auth = recorded[0].headers.get("authorization").unwrap();
    assert_eq!(auth, "Bearer root:Milvus");
    assert!(auth.is_sensitive());
    assert!(!format!("{:?}", recorded[0]).contains("root:Milvus"));

    let check = |what: &str, result: Result<(), Error>| {
        let err = result.expect_err(what);
        assert_eq!(err.status(), Some(401), "{what}: {err}");
        assert_eq!(err.api_code(), Some(1800), "{what}: {err}");
        match &err {
            Error::Api { message, .. } => assert_eq!(message, NOT_AUTHENTICATED, "{what}"),
            other => panic!("{what}: expected Error::Api, got {other:?}"),
        }
        assert_eq!(
            err.response().unwrap().json::<Value>().unwrap(),
            json!({"code": 1800, "message": NOT_AUTHENTICATED})
        );
    };
    for key in ["root:wrong", "", "root", "Milvus", "root:Milvus2"] {
        let bad = client(&emulator, key);
        check(
            "create",
            bad.bulk_import(&BulkImportRequest::new("books").files([["c.parquet"]]))
                .map(drop),
        );
        check(
            "describe",
            bad.get_import_progress(&JobRequest::new(&to_commit))
                .map(drop),
        );
        check(
            "list",
            bad.list_import_jobs(&ListImportJobsRequest::new())
                .map(drop),
        );
        check(
            "commit",
            bad.commit_import(&JobRequest::new(&to_commit)).map(drop),
        );
        check(
            "abort",
            bad.abort_import(&JobRequest::new(&to_commit)).map(drop),
        );
    }
    // Refused calls changed nothing.
    assert_eq!(emulator.job_state(&to_commit), Some(Committing));
    assert_eq!(emulator.job_state(&to_abort), Some(Failed));
    assert_eq!(listed_ids(&good, &ListImportJobsRequest::new()).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 7. Error codes and routes
// ---------------------------------------------------------------------------------------------

#[test]
fn bodies_that_do_not_bind_get_code_1801() {
    let emulator = start(EmulatorConfig::milvus());
    for path in [CREATE, DESCRIBE, GET_PROGRESS, LIST, COMMIT, ABORT] {
        for empty in ["", "  \r\n "] {
            let reply = post(&emulator, path, empty);
            assert_eq!(
                (reply.status, reply.json()),
                (200, json!({"code": 1801, "message": EMPTY_BODY})),
                "{path}"
            );
        }
        for bad in [
            r#"{"jobId":"#,
            "not json",
            "[]",
            r#"["a"]"#,
            "42",
            r#""text""#,
        ] {
            let reply = post(&emulator, path, bad);
            assert_eq!(reply.code(), 1801, "{path} {bad}");
            assert!(
                reply
                    .message()
                    .starts_with("can only accept json format request, error: "),
                "{path} {bad}: {reply:?}"
            );
            assert!(reply.json().get("data").is_none());
        }
    }

    for (body, why) in [
        (
            r#"{"collectionName":"c","files":[["a"]],"options":{"timeout":true}}"#,
            "boolean option",
        ),
        (
            r#"{"collectionName":"c","files":[["a"]],"options":{"timeout":300}}"#,
            "number option",
        ),
        (
            r#"{"collectionName":"c","files":[["a"]],"options":["auto_commit"]}"#,
            "options not an object",
        ),
        (
            r#"{"collectionName":"c","files":[["a"]],"options":{"auto_commit":false}}"#,
            "auto_commit boolean",
        ),
        (
            r#"{"collectionName":5,"files":[["a"]]}"#,
            "number collection",
        ),
        (
            r#"{"collectionName":"c","files":"a.parquet"}"#,
            "files a string",
        ),
        (
            r#"{"collectionName":"c","files":["a.parquet"]}"#,
            "files flat",
        ),
        (r#"{"collectionName":"c","files":[["a",1]]}"#, "number path"),
        (
            r#"{"collectionName":"c","dbName":1,"files":[["a"]]}"#,
            "number db",
        ),
    ] {
        assert_eq!(post(&emulator, CREATE, body).code(), 1801, "{why}");
    }
    for value in ["yes", "", "TRUE", "False", "0"] {
        let body = format!(
            r#"{{"collectionName":"c","files":[["a"]],"options":{{"auto_commit":"{value}"}}}}"#
        );
        let reply = post(&emulator, CREATE, &body);
        assert_eq!(reply.code(), 1801, "auto_commit {value:?}");
        assert!(
            reply
                .message()
                .contains(r#"options.auto_commit must be one of "true" or "false""#),
            "{reply:?}"
        );
    }
    for path in [DESCRIBE, COMMIT, ABORT] {
        let reply = post(&emulator, path, r#"{"jobId":453240863839750922}"#);
        assert_eq!(reply.code(), 1801, "{path}: jobId must be a string");
    }
    assert_eq!(
        post(&emulator, LIST, r#"{"collectionName":["c"]}"#).code(),
        1801
    );

    let api = client(&emulator, "");
    assert!(
        list(&api, &ListImportJobsRequest::new()).is_empty(),
        "no job was created"
    );
}

#[test]
fn missing_required_fields_get_code_1802() {
    let emulator = start(EmulatorConfig::milvus());
    for body in [
        r#"{"collectionName":"c"}"#,
        r#"{"collectionName":"c","files":null}"#,
        r#"{"files":[["a.parquet"]]}"#,
        r#"{"collectionName":"","files":[["a.parquet"]]}"#,
        r#"{"collectionName":null,"files":[["a.parquet"]]}"#,
        "{}",
    ] {
        let reply = post(&emulator, CREATE, body);
        assert_eq!(reply.code(), 1802, "{body}");
        assert!(
            reply
                .message()
                .starts_with("missing required parameters, error: "),
            "{reply:?}"
        );
    }
    for path in [DESCRIBE, GET_PROGRESS, COMMIT, ABORT] {
        for body in [
            "{}",
            r#"{"jobId":""}"#,
            r#"{"jobId":null}"#,
            r#"{"job_id":"1"}"#,
        ] {
            assert_eq!(post(&emulator, path, body).code(), 1802, "{path} {body}");
        }
    }

    // Through the client: no .files() sends `"files": null`.
    let api = client(&emulator, "");
    let (status, code, message) = api_error(api.bulk_import(&BulkImportRequest::new("c")));
    assert_eq!((status, code), (200, 1802), "{message}");
    assert_eq!(
        emulator.requests().last().unwrap().json.as_ref().unwrap()["files"],
        Value::Null
    );

    // An empty collection name never leaves the client.
    let sent = emulator.requests().len();
    for name in ["", "  "] {
        let result = api.bulk_import(&BulkImportRequest::new(name).files([["a.parquet"]]));
        assert!(
            matches!(result, Err(Error::InvalidRequest(_))),
            "{result:?}"
        );
    }
    assert_eq!(emulator.requests().len(), sent);
    assert!(list(&api, &ListImportJobsRequest::new()).is_empty());
}

#[test]
fn unknown_paths_and_other_methods_get_a_plain_text_404() {
    let emulator = start(EmulatorConfig::milvus());
    let not_found = |method: &str, path: &str| {
        let body = if method == "GET" { "" } else { "{}" };
        let reply = raw(&emulator, method, path, &[], body);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (404, "404 page not found"),
            "{method} {path}"
        );
        let content_type = reply.header("content-type").unwrap_or("");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
    };
    not_found("POST", "/v2/vectordb/jobs/import/nope");
    not_found("POST", "/v2/vectordb/jobs/import/getProgress"); // the Zilliz spelling
    not_found("POST", "/v1/vector/collections/import");
    not_found("POST", "/");
    for path in [CREATE, DESCRIBE, LIST, COMMIT, ABORT] {
        not_found("GET", path);
        not_found("PUT", path);
    }

    // The client maps a plain-text 404 to Error::HttpStatus, for every operation.
    let api = BulkImportApi::builder(format!("{}/wrongprefix", emulator.url()))
        .timeout(TIMEOUT)
        .build()
        .expect("client");
    let job = JobRequest::new("1");
    let results = [
        api.bulk_import(&BulkImportRequest::new("c").files([["a"]]))
            .map(drop),
        api.get_import_progress(&job).map(drop),
        api.list_import_jobs(&ListImportJobsRequest::new())
            .map(drop),
        api.commit_import(&job).map(drop),
        api.abort_import(&job).map(drop),
    ];
    for result in results {
        match result {
            Err(Error::HttpStatus {
                status, url, body, ..
            }) => {
                assert_eq!((status, body.as_str()), (404, "404 page not found"));
                assert!(url.starts_with(&format!("{}/wrongprefix/v2/", emulator.url())));
            }
            other => panic!("expected Error::HttpStatus, got {other:?}"),
        }
    }
    let paths: Vec<String> = emulator.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.contains(&format!("/wrongprefix{LIST}")), "{paths:?}");
}

#[test]
fn get_progress_is_an_alias_of_describe() {
    let emulator = start(EmulatorConfig::milvus().timing(Timing::Manual));
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    assert!(emulator.advance(&id, 2));

    let body = json!({"jobId": id}).to_string();
    let alias = post(&emulator, GET_PROGRESS, &body);
    let describe = post(&emulator, DESCRIBE, &body);
    assert_eq!(alias.status, 200);
    assert_eq!(alias.json(), describe.json());
    let via_client = api
        .get_import_progress(&JobRequest::new(&id))
        .expect("describe");
    assert_eq!(alias.json(), via_client.response().json::<Value>().unwrap());
    assert_eq!(alias.json()["data"]["state"], "Importing");
    assert_eq!(alias.json()["data"]["progress"], 50);

    assert_eq!(
        post(&emulator, GET_PROGRESS, r#"{"jobId":"123"}"#).code(),
        2100
    );
    assert_eq!(
        post(&emulator, GET_PROGRESS, r#"{"jobId":"abc"}"#).code(),
        2100
    );
}

#[test]
fn replies_use_the_milvus_envelope_and_headers() {
    let emulator = start(EmulatorConfig::milvus());
    let ok = post(&emulator, LIST, "{}");
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(ok.json(), json!({"code": 0, "data": {"records": []}}));
    let trace = ok.header("x-milvus-trace-id").expect("a trace id");
    assert!(
        trace.len() == 32 && trace.bytes().all(|b| b.is_ascii_hexdigit()),
        "{trace}"
    );

    let err = post(&emulator, DESCRIBE, r#"{"jobId":"1"}"#);
    assert_eq!(err.status, 200);
    let body = err.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message"], "no data on errors");
}

// ---------------------------------------------------------------------------------------------
// 8. Idempotency-Key
// ---------------------------------------------------------------------------------------------

#[test]
fn idempotency_key_on_create_returns_the_first_jobs_id() {
    let emulator = start(EmulatorConfig::milvus());
    let first_key = keyed_client(&emulator, "import-2025-01-16-books");
    let other_key = keyed_client(&emulator, "another-key");
    let plain = client(&emulator, "");
    let books = BulkImportRequest::new("books").files([["a.parquet"]]);

    let first = create(&first_key, &books);
    assert_eq!(
        create(&first_key, &books),
        first,
        "a retry gets the same job"
    );
    assert_eq!(
        listed_ids(&plain, &ListImportJobsRequest::new()),
        vec![first.clone()]
    );

    let second = create(&other_key, &books);
    assert_ne!(second, first, "another key makes another job");
    let films = create(
        &first_key,
        &BulkImportRequest::new("films").files([["a.parquet"]]),
    );
    assert_ne!(films, first, "a key is scoped to its collection");
    assert_ne!(films, second);
    assert_eq!(create(&first_key, &books), first);
    assert_eq!(create(&other_key, &books), second);

    let without_a = create(&plain, &books);
    let without_b = create(&plain, &books);
    assert_ne!(without_a, without_b, "no key, no deduplication");
    assert_eq!(
        listed_ids(&plain, &ListImportJobsRequest::new()),
        sorted(vec![first, second, films, without_a, without_b])
    );

    let keys: Vec<Option<String>> = emulator
        .requests()
        .iter()
        .filter(|r| r.path == CREATE)
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .map(|v| v.to_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(keys[0].as_deref(), Some("import-2025-01-16-books"));
    assert_eq!(keys.last().unwrap(), &None);
}

#[test]
fn invalid_idempotency_keys_get_code_1100() {
    let emulator = start(EmulatorConfig::milvus());
    let books = BulkImportRequest::new("books").files([["a.parquet"]]);

    let longest = "k".repeat(256);
    let id = create(&keyed_client(&emulator, &longest), &books);
    assert_decimal_id(&id);
    assert_eq!(
        code_of(keyed_client(&emulator, &"k".repeat(257)).bulk_import(&books)),
        1100
    );

    let body = r#"{"collectionName":"books","files":[["a.parquet"]]}"#;
    for key in ["", "caf\u{e9}"] {
        let reply = raw(&emulator, "POST", CREATE, &[("Idempotency-Key", key)], body);
        assert_eq!(reply.code(), 1100, "key {key:?}");
    }
    assert_eq!(
        listed_ids(&client(&emulator, ""), &ListImportJobsRequest::new()),
        [id]
    );
}

/// An `Idempotency-Key` is scoped to the collection (wire-protocol.md §2.3), and `books` of
/// `db1` is not `books` of `default`.
#[test]
fn idempotency_key_is_scoped_to_the_collection_of_its_database() {
    let emulator = start(EmulatorConfig::milvus().database("db1"));
    let api = keyed_client(&emulator, "same-key");
    let in_default = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    let in_db1 = create(
        &api,
        &BulkImportRequest::new("books")
            .db_name("db1")
            .files([["a.parquet"]]),
    );
    assert_ne!(in_db1, in_default);
    assert_eq!(
        listed_ids(
            &client(&emulator, ""),
            &ListImportJobsRequest::new().db_name("db1")
        ),
        [in_db1]
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Inspection and seeding
// ---------------------------------------------------------------------------------------------

#[test]
fn requests_records_what_the_sdk_sent_and_clear_requests_forgets_it() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "root:Milvus");
    let request = BulkImportRequest::new("books")
        .db_name("default")
        .partition_name("p1")
        .files([vec!["a.parquet"], vec!["id.npy", "vec.npy"]])
        .option("timeout", "300s")
        .option("auto_commit", "false");
    let id = create(&api, &request);

    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", CREATE));
    let header = |name: &str| sent.headers.get(name).map(|v| v.to_str().unwrap());
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(header("accept"), Some("application/json"));
    assert_eq!(
        header("user-agent"),
        Some(concat!("milvus-bulk-import/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(header("db-name"), Some("default"));
    assert_eq!(header("authorization"), Some("Bearer root:Milvus"));
    assert!(sent.headers["authorization"].is_sensitive());
    assert!(!format!("{sent:?}").contains("root:Milvus"));

    let expected = json!({
        "collectionName": "books", "dbName": "default", "partitionName": "p1",
        "files": [["a.parquet"], ["id.npy", "vec.npy"]],
        "objectUrl": "", "objectUrls": null,
        "clusterId": "", "projectId": "", "regionId": "",
        "accessKey": "", "secretKey": "", "token": "",
        "volumeName": "", "dataPaths": null,
        "options": {"timeout": "300s", "auto_commit": "false"},
    });
    assert_eq!(expected.as_object().unwrap().len(), 15);
    assert_eq!(sent.json.as_ref(), Some(&expected));
    assert_eq!(
        serde_json::from_slice::<Value>(&sent.body).unwrap(),
        expected
    );

    emulator.clear_requests();
    assert!(emulator.requests().is_empty());

    describe(&api, &id);
    list(&api, &ListImportJobsRequest::new());
    let requests = emulator.requests();
    assert_eq!(
        requests
            .iter()
            .map(|r| (r.path.as_str(), r.json.clone().unwrap()))
            .collect::<Vec<_>>(),
        [
            (
                DESCRIBE,
                json!({"jobId": id, "clusterId": "", "projectId": "", "regionId": ""})
            ),
            (
                LIST,
                json!({"collectionName": "", "dbName": "", "clusterId": "", "projectId": "",
                       "regionId": "", "pageSize": 10, "currentPage": 1})
            ),
        ]
    );

    // Requests that are not JSON are recorded too, with `json: None`.
    post(&emulator, LIST, "not json");
    let last = emulator.requests().pop().unwrap();
    assert_eq!((last.body.as_slice(), last.json), (&b"not json"[..], None));
}

#[test]
fn seeded_jobs_start_in_the_requested_state() {
    let emulator = start(EmulatorConfig::milvus().timing(Timing::Manual));
    let api = client(&emulator, "");
    let pending = emulator.seed_job(SeedJob::new("books"));
    let importing = emulator.seed_job(SeedJob::new("books").state(Importing).progress(60));
    let uncommitted = emulator.seed_job(SeedJob::new("books").state(Uncommitted));
    let completed = emulator.seed_job(
        SeedJob::new("books")
            .state(Completed)
            .files([["x.parquet"], ["y.parquet"]]),
    );
    let failed = emulator.seed_job(
        SeedJob::new("books")
            .state(Failed)
            .reason("disk quota exceeded"),
    );
    let failed_default = emulator.seed_job(SeedJob::new("books").state(Failed));
    let none =
        emulator.seed_job(SeedJob::new("books").state(ImportJobState::Unknown("None".into())));
    let ids = [
        &pending,
        &importing,
        &uncommitted,
        &completed,
        &failed,
        &failed_default,
        &none,
    ];
    for id in ids {
        assert_decimal_id(id);
    }
    let mut distinct: Vec<&String> = ids.to_vec();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len());

    let p = describe(&api, &pending);
    assert_eq!(
        (
            p.state,
            p.progress,
            p.imported_rows,
            p.total_rows,
            p.complete_time
        ),
        (Pending, Some(0), Some(0), Some(ROWS), None)
    );
    assert_recent(p.create_time.as_deref().unwrap());
    assert_eq!(p.details, [detail("[1.parquet]", "Pending", 0, None, None)]);

    let p = describe(&api, &importing);
    assert_eq!(
        (p.state, p.progress, p.imported_rows, p.total_rows),
        (Importing, Some(60), Some(600), Some(ROWS))
    );

    let p = describe(&api, &uncommitted);
    assert_eq!(
        (p.state, p.progress, p.imported_rows),
        (Uncommitted, Some(99), Some(ROWS))
    );
    api.commit_import(&JobRequest::new(&uncommitted))
        .expect("a seeded Uncommitted job is two-phase");
    assert_eq!(emulator.job_state(&uncommitted), Some(Committing));

    let p = describe(&api, &completed);
    assert_eq!(
        (p.state, p.progress, p.imported_rows, p.total_rows),
        (Completed, Some(100), Some(2 * ROWS), Some(2 * ROWS))
    );
    assert_recent(p.complete_time.as_deref().expect("completeTime"));
    assert_eq!(
        p.details
            .iter()
            .map(|d| d.file_name.clone().unwrap())
            .collect::<Vec<_>>(),
        ["[x.parquet]", "[y.parquet]"]
    );

    let p = describe(&api, &failed);
    assert_eq!(
        (p.state, p.progress, p.reason.as_deref()),
        (Failed, Some(0), Some("disk quota exceeded"))
    );
    assert_eq!(
        describe(&api, &failed_default).reason.as_deref(),
        Some("seeded failure")
    );

    let (p, raw) = describe_both(&api, &none);
    assert_eq!(
        (p.state, p.progress),
        (ImportJobState::Unknown("None".into()), Some(0))
    );
    assert_eq!(raw["data"]["state"], "None");

    assert_eq!(
        list(&api, &ListImportJobsRequest::new().collection_name("books")).len(),
        7
    );

    // Under Manual nothing moves until advanced; the unknown state never moves.
    emulator.advance_all(10);
    let states: Vec<Option<ImportJobState>> = ids.iter().map(|id| emulator.job_state(id)).collect();
    assert_eq!(
        states,
        [
            Some(Completed),
            Some(Completed),
            Some(Completed),
            Some(Completed),
            Some(Failed),
            Some(Failed),
            Some(ImportJobState::Unknown("None".into())),
        ]
    );
    assert_eq!(
        describe(&api, &failed).reason.as_deref(),
        Some("disk quota exceeded")
    );
}

#[test]
fn seeded_unknown_state_is_reported_as_is_and_never_changes() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let none =
        emulator.seed_job(SeedJob::new("books").state(ImportJobState::Unknown("None".into())));
    for _ in 0..6 {
        let (p, raw) = describe_both(&api, &none);
        assert_eq!(p.state, ImportJobState::Unknown("None".into()));
        assert_eq!(raw["data"]["state"], "None");
    }
    assert_eq!(
        emulator.job_state(&none),
        Some(ImportJobState::Unknown("None".into()))
    );
    assert_eq!(
        list(&api, &ListImportJobsRequest::new())[0].state,
        ImportJobState::Unknown("None".into())
    );
}

#[test]
fn seed_job_takes_a_database_files_and_two_phase() {
    let emulator = start(EmulatorConfig::milvus().database("db1"));
    let api = client(&emulator, "");
    let id = emulator.seed_job(
        SeedJob::new("films")
            .db_name("db1")
            .files([["a.npy", "b.npy"]])
            .two_phase(true),
    );
    assert_eq!(
        list(&api, &ListImportJobsRequest::new().db_name("db1")),
        [record(&id, "films", Pending, 0)]
    );
    assert!(list(&api, &ListImportJobsRequest::new()).is_empty());

    let p = describe(&api, &id);
    assert_eq!(
        (p.collection_name.as_str(), p.total_rows),
        ("films", Some(ROWS))
    );
    assert_group_name(
        p.details[0].file_name.as_deref().unwrap(),
        &["a.npy", "b.npy"],
    );
    for _ in 0..4 {
        describe(&api, &id);
    }
    assert_eq!(emulator.job_state(&id), Some(Uncommitted));
}

#[test]
fn manual_timing_moves_jobs_only_through_advance() {
    let emulator = start(EmulatorConfig::milvus().timing(Timing::Manual));
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    let waiting = create(&api, &two_phase("books").files([["b.parquet"]]));

    for _ in 0..3 {
        assert_eq!(state_and_progress(&describe(&api, &id)), (Pending, Some(0)));
    }
    assert!(emulator.advance(&id, 1));
    assert_eq!(
        state_and_progress(&describe(&api, &id)),
        (Importing, Some(25))
    );
    assert!(emulator.advance(&id, 2));
    assert_eq!(
        state_and_progress(&describe(&api, &id)),
        (Importing, Some(75))
    );
    assert_eq!(
        state_and_progress(&describe(&api, &id)),
        (Importing, Some(75))
    );
    assert!(!emulator.advance("999", 1));
    assert_eq!(emulator.job_state("999"), None);

    emulator.advance_all(1);
    assert_eq!(emulator.job_state(&id), Some(Completed));
    assert_eq!(
        state_and_progress(&describe(&api, &waiting)),
        (Importing, Some(25))
    );
    emulator.advance_all(10);
    assert_eq!(emulator.job_state(&waiting), Some(Uncommitted));
    assert_eq!(emulator.job_state(&id), Some(Completed));

    api.commit_import(&JobRequest::new(&waiting))
        .expect("commit");
    for _ in 0..3 {
        assert_eq!(describe(&api, &waiting).state, Committing);
    }
    assert!(emulator.advance(&waiting, 1));
    assert_eq!(
        state_and_progress(&describe(&api, &waiting)),
        (Completed, Some(100))
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Real time
// ---------------------------------------------------------------------------------------------

/// Steps a RealTime job has taken `elapsed` after creation (one per quarter of `total`).
fn steps_after(elapsed: Duration, total: Duration) -> u32 {
    (elapsed.as_nanos() / (total / 4).as_nanos()).min(4) as u32
}

fn steps_of(p: &ImportProgress) -> u32 {
    match (&p.state, p.progress) {
        (Pending, Some(0)) => 0,
        (Importing, Some(25)) => 1,
        (Importing, Some(50)) => 2,
        (Importing, Some(75)) => 3,
        (Completed, Some(100)) => 4,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn real_time_job_passes_through_importing_and_completes() {
    let total = Duration::from_millis(400);
    let emulator = start(EmulatorConfig::milvus().timing(Timing::RealTime(total)));
    let api = client(&emulator, "");
    // A stalled machine may sleep through the whole Importing window; then try another job.
    for attempt in 0..5 {
        let before = Instant::now();
        let id = create(
            &api,
            &BulkImportRequest::new("books").files([["a.parquet"]]),
        );
        let after = Instant::now();
        let deadline = after + Duration::from_secs(5);
        let mut seen = Vec::new();
        loop {
            let sent = Instant::now();
            let p = describe(&api, &id);
            let received = Instant::now();
            // The job was created in [before, after] and described in [sent, received].
            let steps = steps_of(&p);
            let least = steps_after(sent.saturating_duration_since(after), total);
            let most = steps_after(received.duration_since(before), total);
            assert!(
                (least..=most).contains(&steps),
                "attempt {attempt}: {steps} steps, expected {least}..={most}"
            );
            seen.push(steps);
            if p.state == Completed {
                assert_eq!((p.imported_rows, p.total_rows), (Some(ROWS), Some(ROWS)));
                assert_recent(p.complete_time.as_deref().expect("completeTime"));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "not Completed 5 s after creation: {seen:?}"
            );
            thread::sleep(Duration::from_millis(50));
        }
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "progress went backwards: {seen:?}"
        );
        assert_eq!(emulator.job_state(&id), Some(Completed));
        if seen.iter().any(|s| (1..=3).contains(s)) {
            return;
        }
    }
    panic!("no attempt was seen Importing");
}

#[test]
fn real_time_two_phase_job_waits_for_commit_then_completes() {
    let emulator =
        start(EmulatorConfig::milvus().timing(Timing::RealTime(Duration::from_millis(400))));
    let api = client(&emulator, "");
    let id = create(&api, &two_phase("books").files([["a.parquet"]]));
    let deadline = Instant::now() + Duration::from_secs(5);
    while describe(&api, &id).state != Uncommitted {
        assert!(Instant::now() < deadline, "not Uncommitted within 5 s");
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(Duration::from_millis(300));
    assert_eq!(
        describe(&api, &id).state,
        Uncommitted,
        "it waits for a commit"
    );

    api.commit_import(&JobRequest::new(&id)).expect("commit");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let p = describe(&api, &id);
        match p.state {
            Completed => break,
            Committing => assert_eq!(p.progress, Some(99)),
            other => panic!("unexpected {other:?} after commit"),
        }
        assert!(
            Instant::now() < deadline,
            "not Completed within 5 s of the commit"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// 11. Keep-alive and shutdown
// ---------------------------------------------------------------------------------------------

#[test]
fn one_client_makes_many_calls_over_keep_alive_and_from_many_threads() {
    let emulator = start(EmulatorConfig::milvus());
    let api = client(&emulator, "");
    let mut calls = 0;
    for i in 0..40 {
        let id = create(&api, &two_phase("books").files([[format!("{i}.parquet")]]));
        to_uncommitted(&api, &id);
        let reply = if i % 2 == 0 {
            api.commit_import(&JobRequest::new(&id))
        } else {
            api.abort_import(&JobRequest::new(&id))
        }
        .expect("commit or abort");
        assert!(
            reply.response().headers().get("connection").is_none(),
            "the server keeps the connection open"
        );
        let jobs = api
            .list_import_jobs(&ListImportJobsRequest::new())
            .expect("list");
        assert_eq!(jobs.data().records.len(), i + 1);
        calls += 1 + 5 + 1 + 1;
    }
    assert_eq!(emulator.requests().len(), calls);

    // Clones share one pool and work from several threads at once.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let api = api.clone();
            thread::spawn(move || {
                (0..20)
                    .map(|i| {
                        create(
                            &api,
                            &BulkImportRequest::new("films").files([[format!("{t}-{i}.parquet")]]),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 80, "every job id is distinct");
    assert_eq!(
        listed_ids(&api, &ListImportJobsRequest::new().collection_name("films")),
        ids
    );
}

/// Every operation of `api` fails to connect, after the default policy's 3 attempts (backoffs
/// of at most 0.5 s and 1 s).
fn assert_refused(api: &BulkImportApi, url: &str) {
    let job = JobRequest::new("1");
    let started = Instant::now();
    let results = [
        api.bulk_import(&BulkImportRequest::new("c").files([["a"]]))
            .map(drop),
        api.get_import_progress(&job).map(drop),
        api.list_import_jobs(&ListImportJobsRequest::new())
            .map(drop),
        api.commit_import(&job).map(drop),
        api.abort_import(&job).map(drop),
    ];
    for result in results {
        assert_eq!(result.as_ref().err().map(Error::attempts), Some(3));
        match result {
            Err(Error::Transport {
                url: called,
                source,
                ..
            }) => {
                assert_eq!(source.kind(), TransportErrorKind::Connect, "{source}");
                assert!(called.starts_with(url), "{called}");
            }
            other => panic!("expected a connect error, got {other:?}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusals took {:?}",
        started.elapsed()
    );
}

#[test]
fn calls_after_shutdown_fail_with_a_connect_error() {
    let emulator = start(EmulatorConfig::milvus());
    let url = emulator.url();
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    describe(&api, &id); // a pooled keep-alive connection exists now
    emulator.shutdown();
    assert_refused(&api, &url);
}

#[test]
fn calls_after_drop_fail_with_a_connect_error() {
    let emulator = start(EmulatorConfig::milvus());
    let url = emulator.url();
    let api = client(&emulator, "");
    list(&api, &ListImportJobsRequest::new());
    drop(emulator);
    assert_refused(&api, &url);
}

// ---------------------------------------------------------------------------------------------
// Details taken from the real server's source
// ---------------------------------------------------------------------------------------------

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
