//! The emulator in its open-source Milvus flavor, driven end to end by this crate's client over
//! real TCP on 127.0.0.1 with the default `UreqTransport`: every operation (`bulk_import`,
//! `get_import_progress`, `list_import_jobs`, `commit_import`, `abort_import`), the job
//! lifecycle, two-phase imports, databases, auth, the error codes of wire-protocol.md §2–§4,
//! `Idempotency-Key`, request inspection and seeding, the timings, keep-alive and shutdown.
//!
//! Requests the client cannot produce (bad JSON, wrong methods, odd headers) go through the raw
//! HTTP/1.1 client of `common::raw`, with socket timeouts, so nothing here can hang.
//!
//! This file holds the helpers every test here uses; the tests are in one file per capability:
//! `lifecycle`, `two_phase`, `list_and_databases`, `auth_and_errors`, `idempotency`,
//! `inspection_and_seeding`, `real_time_and_shutdown` and `server_details` (behaviour taken
//! from the real server's source).

mod auth_and_errors;
mod idempotency;
mod inspection_and_seeding;
mod lifecycle;
mod list_and_databases;
mod real_time_and_shutdown;
mod server_details;
mod two_phase;

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
use crate::common::paths::{ABORT, COMMIT, CREATE, DESCRIBE, LIST};
use crate::common::raw::Reply;

use ImportJobState::{Committing, Completed, Failed, Importing, Pending, Uncommitted};

const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/get_progress";

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
