//! `list_all_import_jobs` and `wait_for_import` against the emulator over real TCP.

#![cfg(all(feature = "emulator", feature = "ureq"))]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob, Timing};
use milvus_bulk_import::{
    http, BulkImportApi, BulkImportRequest, Error, FnTransport, ImportJobState, JobRequest,
    ListImportJobsRequest, RetryPolicy, Transport, UreqTransport, WaitOptions,
};

/// A client of `emulator` that counts the requests it sends.
fn counting_client(emulator: &Emulator, key: &str) -> (BulkImportApi, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let transport = UreqTransport::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let counter = count.clone();
    let api = BulkImportApi::builder(emulator.url())
        .api_key(key)
        .transport(FnTransport::new(move |request| {
            counter.fetch_add(1, Ordering::SeqCst);
            transport.send(request)
        }))
        .build()
        .unwrap();
    (api, count)
}

#[test]
fn all_pages_of_the_cloud_yield_every_job_once() {
    for n in [0usize, 1, 100, 237] {
        let emulator = EmulatorConfig::cloud()
            .timing(Timing::Manual)
            .start()
            .unwrap();
        let mut expected = Vec::new();
        for i in 0..n {
            let id = emulator.seed_job(SeedJob::new(format!("c{}", i % 3)).cluster_id("in01-a"));
            expected.push(id);
        }
        emulator.seed_job(SeedJob::new("other").cluster_id("in01-b"));
        for page_size in [1u32, 10, 100] {
            let (api, requests) = counting_client(&emulator, "k");
            let request = ListImportJobsRequest::new()
                .cluster_id("in01-a")
                .page_size(page_size);
            let ids: Vec<String> = api
                .list_all_import_jobs(&request)
                .map(|r| r.unwrap().job_id)
                .collect();
            assert_eq!(ids, expected, "n={n} page_size={page_size}");
            let unique: HashSet<_> = ids.iter().collect();
            assert_eq!(unique.len(), n);
            // Full pages, then the short (or empty) one that ends it; `count` stops it early
            // when the last page is full.
            let pages = requests.load(Ordering::SeqCst);
            let full = n / page_size as usize;
            assert!(
                pages == full || pages == full + 1,
                "n={n} page_size={page_size}: {pages} requests"
            );
            assert!(pages >= 1);
        }
    }
}

#[test]
fn milvus_lists_everything_in_one_request() {
    for n in [0usize, 1, 100, 237] {
        let emulator = EmulatorConfig::milvus()
            .timing(Timing::Manual)
            .start()
            .unwrap();
        for i in 0..n {
            emulator.seed_job(SeedJob::new(format!("c{}", i % 5)));
        }
        for page_size in [1u32, 10, 100] {
            let (api, requests) = counting_client(&emulator, "");
            let ids: HashSet<String> = api
                .list_all_import_jobs(&ListImportJobsRequest::new().page_size(page_size))
                .map(|r| r.unwrap().job_id)
                .collect();
            assert_eq!(ids.len(), n, "n={n} page_size={page_size}");
            assert_eq!(
                requests.load(Ordering::SeqCst),
                1,
                "one request, whatever the paging"
            );
        }
    }
}

#[test]
fn a_server_that_repeats_its_page_does_not_loop_forever() {
    // Echoes paging fields but always answers the same full page.
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let api = BulkImportApi::builder("http://127.0.0.1:9")
        .transport(FnTransport::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::new(
                br#"{"code":0,"data":{"count":1000,"currentPage":1,"pageSize":2,
                "records":[{"jobId":"a","state":"Pending"},{"jobId":"b","state":"Pending"}]}}"#
                    .to_vec(),
            ))
        }))
        .build()
        .unwrap();
    let ids: Vec<String> = api
        .list_all_import_jobs(&ListImportJobsRequest::new().page_size(2))
        .map(|r| r.unwrap().job_id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_failed_page_yields_one_error_and_ends() {
    let emulator = EmulatorConfig::cloud()
        .timing(Timing::Manual)
        .start()
        .unwrap();
    let (api, _) = counting_client(&emulator, "k");
    // No cluster: the emulator answers 96025.
    let results: Vec<_> = api
        .list_all_import_jobs(&ListImportJobsRequest::new())
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap_err().api_code(), Some(96025));
}

fn fast<'a>() -> WaitOptions<'a> {
    WaitOptions::new().interval(Duration::from_millis(5))
}

#[test]
fn wait_returns_the_completed_progress_and_reports_each_change_once() {
    let emulator = EmulatorConfig::milvus().start().unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let id = api
        .bulk_import(&BulkImportRequest::new("c").files([["a.parquet"]]))
        .unwrap()
        .into_data()
        .job_id;
    let mut seen = Vec::new();
    let done = api
        .wait_for_import(
            &JobRequest::new(&id),
            &fast().on_progress(|p| seen.push((p.state.clone(), p.progress))),
        )
        .unwrap();
    assert_eq!(done.state, ImportJobState::Completed);
    assert_eq!(done.imported_rows, Some(1000));
    assert_eq!(
        seen,
        [
            (ImportJobState::Pending, Some(0)),
            (ImportJobState::Importing, Some(25)),
            (ImportJobState::Importing, Some(50)),
            (ImportJobState::Importing, Some(75)),
            (ImportJobState::Completed, Some(100)),
        ]
    );
}

#[test]
fn on_progress_is_not_called_again_while_nothing_changes() {
    let emulator = EmulatorConfig::milvus()
        .timing(Timing::Manual)
        .start()
        .unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let id = emulator.seed_job(
        SeedJob::new("c")
            .state(ImportJobState::Importing)
            .progress(40),
    );
    let mut calls = 0;
    let err = api
        .wait_for_import(
            &JobRequest::new(&id),
            &fast()
                .timeout(Duration::from_millis(200))
                .on_progress(|_| calls += 1),
        )
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(calls, 1);
}

#[test]
fn wait_on_a_failed_job_is_an_error_with_the_reason() {
    let emulator = EmulatorConfig::milvus().start().unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let id = api
        .bulk_import(&BulkImportRequest::new("c").files([["fail.parquet"]]))
        .unwrap()
        .into_data()
        .job_id;
    match api.wait_for_import(&JobRequest::new(&id), &fast()) {
        Err(Error::ImportFailed {
            job_id,
            reason,
            progress,
        }) => {
            assert_eq!(job_id, id);
            assert!(reason.contains("fail.parquet"), "{reason}");
            assert_eq!(progress.state, ImportJobState::Failed);
        }
        other => panic!("expected ImportFailed, got {other:?}"),
    }
}

#[test]
fn wait_on_a_two_phase_job_returns_at_uncommitted() {
    let emulator = EmulatorConfig::milvus().start().unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let id = api
        .bulk_import(
            &BulkImportRequest::new("c")
                .files([["a.parquet"]])
                .option("auto_commit", "false"),
        )
        .unwrap()
        .into_data()
        .job_id;
    let p = api.wait_for_import(&JobRequest::new(&id), &fast()).unwrap();
    assert_eq!(
        (p.state, p.progress),
        (ImportJobState::Uncommitted, Some(99))
    );
}

#[test]
fn wait_times_out_with_the_last_progress_seen() {
    let emulator = EmulatorConfig::milvus()
        .timing(Timing::Manual)
        .start()
        .unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let id = emulator.seed_job(
        SeedJob::new("c")
            .state(ImportJobState::Importing)
            .progress(60),
    );
    let started = Instant::now();
    let err = api
        .wait_for_import(
            &JobRequest::new(&id),
            &fast().timeout(Duration::from_millis(300)),
        )
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.is_timeout());
    match &err {
        Error::WaitTimedOut { job_id, last, .. } => {
            assert_eq!(job_id, &id);
            let last = last.as_ref().expect("a progress was seen");
            assert_eq!(
                (last.state.clone(), last.progress),
                (ImportJobState::Importing, Some(60))
            );
        }
        other => panic!("expected WaitTimedOut, got {other:?}"),
    }
    assert!(err.to_string().contains("Importing 60%"), "{err}");
}

#[test]
fn wait_polls_through_passing_failures_and_stops_on_real_ones() {
    // 503 twice, then the job is done. Retries are off, so it is the wait that polls through.
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let api = BulkImportApi::builder("http://127.0.0.1:9")
        .retry(RetryPolicy::none())
        .transport(FnTransport::new(move |_| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut reply = http::Response::new(if n < 2 {
                b"busy".to_vec()
            } else {
                br#"{"code":0,"data":{"jobId":"1","state":"Completed","progress":100}}"#.to_vec()
            });
            if n < 2 {
                *reply.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
            }
            Ok(reply)
        }))
        .build()
        .unwrap();
    let done = api.wait_for_import(&JobRequest::new("1"), &fast()).unwrap();
    assert_eq!(done.state, ImportJobState::Completed);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // An unknown job is not a passing failure.
    let emulator = EmulatorConfig::milvus().start().unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let err = api
        .wait_for_import(&JobRequest::new("42"), &fast())
        .unwrap_err();
    assert_eq!(err.api_code(), Some(2100));
}
