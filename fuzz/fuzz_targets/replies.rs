//! Feeds arbitrary bytes, with an HTTP status taken from the first two bytes, as the reply to
//! every operation, through the public API. Every call must return `Ok` or `Err`, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use milvus_bulk_import::{
    http, ApiResponse, BulkImportApi, BulkImportRequest, Error, FnTransport, JobRequest,
    ListImportJobsRequest, RetryPolicy,
};

/// Statuses the server is likely to send, then any valid code.
const COMMON: [u16; 8] = [200, 201, 204, 400, 401, 404, 500, 503];

fn status(input: &[u8]) -> (u16, &[u8]) {
    match input {
        [selector, rest @ ..] if selector & 0x80 == 0 => (COMMON[usize::from(selector & 7)], rest),
        [hi, lo, rest @ ..] => {
            // Any code http accepts: 100..=999.
            let raw = u16::from_be_bytes([hi & 0x7f, *lo]);
            (100 + raw % 900, rest)
        }
        _ => (200, &[]),
    }
}

fn check<T: std::fmt::Debug>(result: Result<ApiResponse<T>, Error>) {
    match result {
        Ok(reply) => {
            let _ = format!("{:?}", reply.data());
            let _ = format!("{reply:?}");
            let raw = reply.response();
            let _ = raw.json::<serde_json::Value>();
            let _ = raw.text();
            let _ = (
                raw.status_code(),
                raw.reason(),
                raw.ok(),
                raw.raise_for_status().is_ok(),
            );
        }
        Err(err) => {
            let text = err.to_string();
            assert!(!text.is_empty());
            let _ = format!("{err:?}");
            let _ = (err.status(), err.api_code(), err.is_timeout());
            if let Some(raw) = err.response() {
                let _ = raw.json::<serde_json::Value>();
                let _ = raw.text();
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let (status, body) = status(input);
    let body = body.to_vec();
    let transport = FnTransport::new(move |_request| {
        let mut reply = http::Response::new(body.clone());
        *reply.status_mut() = http::StatusCode::from_u16(status).expect("100..=999");
        Ok(reply)
    });
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .api_key("fuzz-key")
        // One attempt per call: a retried 503 would only sleep.
        .retry(RetryPolicy::none())
        .transport(transport)
        .build()
        .expect("a valid configuration");
    let job = JobRequest::new("453240863839750922");
    check(api.bulk_import(&BulkImportRequest::new("c").files(vec![vec!["1.parquet"]])));
    check(api.get_import_progress(&job));
    check(api.list_import_jobs(&ListImportJobsRequest::new()));
    check(api.commit_import(&job));
    check(api.abort_import(&job));
});
