//! `list_all_import_jobs` and `wait_for_import` against the emulator over real TCP.

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
            let expected_pages = if n > 0 && n % page_size as usize == 0 {
                full
            } else {
                full + 1
            };
            assert_eq!(pages, expected_pages, "n={n} page_size={page_size}");
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
    assert_eq!(done.data().state, ImportJobState::Completed);
    assert_eq!(done.data().imported_rows, Some(1000));
    // The last describe reply, raw as well as typed.
    let raw = done.response();
    assert_eq!(raw.status_code(), 200);
    assert!(
        raw.url().ends_with("/v2/vectordb/jobs/import/describe"),
        "{}",
        raw.url()
    );
    let json: serde_json::Value = raw.json().unwrap();
    assert_eq!(json["data"]["jobId"], id.as_str());
    assert_eq!(json["data"]["state"], "Completed");
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
    let p = api
        .wait_for_import(&JobRequest::new(&id), &fast())
        .unwrap()
        .into_data();
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
    assert_eq!(done.data().state, ImportJobState::Completed);
    // The reply returned is the one that ended the wait, not a 503 before it.
    assert_eq!(done.response().status_code(), 200);
    assert!(done.response().text().contains("Completed"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // An unknown job is not a passing failure.
    let emulator = EmulatorConfig::milvus().start().unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let err = api
        .wait_for_import(&JobRequest::new("42"), &fast())
        .unwrap_err();
    assert_eq!(err.api_code(), Some(2100));
}

// ---------------------------------------------------------------------------------------------
// Hostile servers (issue 11): a wait's timeout cuts off a poll in flight, the interval cannot
// be zero, and an endless list of pages ends.
// ---------------------------------------------------------------------------------------------

use crate::common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;

use common::server::{custom, json_reply, wait_for_hangup, Server};

/// A server on 127.0.0.1 that reads each request and then runs `behave` on the socket (until
/// the client hangs up or the socket times out). Eight connections are scripted, more than a
/// wait's retries and polls open.
fn hostile_server(behave: fn(&mut TcpStream)) -> Server {
    Server::start((0..8).map(|_| custom(behave)).collect())
}

/// Sends a status line and headers promising a body, then one byte of it every 100 ms (so no
/// read ever times out).
fn dripping(stream: &mut TcpStream) {
    let head =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
    if stream.write_all(head).is_err() {
        return;
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if stream
            .write_all(b" ")
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_wait_timeout_cuts_off_a_poll_to_a_silent_or_dripping_server() {
    for (name, behave) in [
        ("silent", wait_for_hangup as fn(&mut TcpStream)),
        ("dripping", dripping),
    ] {
        let server = hostile_server(behave);
        // The default client: 20 s read timeout, three attempts.
        let api = BulkImportApi::new(server.url(), "").unwrap();
        let started = Instant::now();
        let err = api
            .wait_for_import(
                &JobRequest::new("1"),
                &WaitOptions::new().timeout(Duration::from_secs(1)),
            )
            .unwrap_err();
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(2500),
            "{name}: a 1 s wait took {took:?}"
        );
        assert!(matches!(err, Error::WaitTimedOut { .. }), "{name}: {err:?}");
        assert!(err.is_timeout());
    }
}

#[test]
fn a_poll_never_outlives_the_wait_even_with_a_short_interval() {
    // The first poll times out after 700 ms; the second starts with 300 ms left and is cut
    // off when they are up, not 700 ms later.
    let server = hostile_server(wait_for_hangup);
    let api = BulkImportApi::builder(server.url())
        .timeout(Duration::from_millis(700))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = api
        .wait_for_import(
            &JobRequest::new("1"),
            &WaitOptions::new()
                .interval(Duration::from_millis(10))
                .timeout(Duration::from_millis(1000)),
        )
        .unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_millis(1300),
        "a 1 s wait took {took:?}"
    );
}

#[test]
fn a_zero_or_sub_millisecond_interval_is_refused_before_polling() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let api = BulkImportApi::builder("http://127.0.0.1:9")
        .transport(FnTransport::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(http::Response::new(
                br#"{"code":0,"data":{"jobId":"1","state":"Importing","progress":1}}"#.to_vec(),
            ))
        }))
        .build()
        .unwrap();
    for interval in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_micros(999),
    ] {
        let err = api
            .wait_for_import(
                &JobRequest::new("1"),
                &WaitOptions::new()
                    .interval(interval)
                    .timeout(Duration::from_millis(200)),
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest(m) if m.contains("interval")),
            "{interval:?}: {err:?}"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing was sent");
    // 1 ms is the shortest interval accepted.
    let err = api
        .wait_for_import(
            &JobRequest::new("1"),
            &WaitOptions::new()
                .interval(Duration::from_millis(1))
                .timeout(Duration::from_millis(50)),
        )
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

/// A `list` page of `size` new jobs that says there are many more.
fn endless_page(page: usize, size: usize) -> String {
    let records: Vec<String> = (0..size)
        .map(|i| format!(r#"{{"jobId":"p{page}-{i}","state":"Completed"}}"#))
        .collect();
    format!(
        r#"{{"code":0,"data":{{"count":1000000000,"currentPage":{},"pageSize":{size},"records":[{}]}}}}"#,
        page + 1,
        records.join(",")
    )
}

#[test]
fn an_endless_list_ends_with_an_error_after_1000_pages_by_default() {
    // Over real TCP: one more page is scripted than the limit allows.
    let server = Server::start(
        (0..1001)
            .map(|page| json_reply(&endless_page(page, 2)))
            .collect(),
    );
    let api = BulkImportApi::new(server.url(), "").unwrap();
    let mut pages = api.list_all_import_jobs(&ListImportJobsRequest::new().page_size(2));
    let mut records = 0;
    let err = loop {
        match pages.next() {
            Some(Ok(_)) => records += 1,
            Some(Err(err)) => break err,
            None => panic!("ended without an error after {records} records"),
        }
    };
    assert_eq!(records, 2000);
    assert_eq!(server.requests().len(), 1000);
    assert!(
        matches!(
            err,
            Error::TooManyPages {
                pages: 1000,
                records: 2000
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("1000 pages") && text.contains("max_pages"),
        "{text}"
    );
    assert!(pages.next().is_none(), "the error ends the iteration");
}

#[test]
fn max_pages_sets_the_bound_and_pages_stay_lazy() {
    let server = Server::start(
        (0..10)
            .map(|page| json_reply(&endless_page(page, 3)))
            .collect(),
    );
    let api = BulkImportApi::new(server.url(), "").unwrap();
    let request = ListImportJobsRequest::new().page_size(3);

    // Lazy: the first record costs one request.
    let first = api.list_all_import_jobs(&request).next().unwrap().unwrap();
    assert_eq!(first.job_id, "p0-0");
    assert_eq!(server.requests().len(), 1);

    let results: Vec<_> = api.list_all_import_jobs(&request).max_pages(2).collect();
    assert_eq!(results.len(), 7, "two pages of three, then the error");
    assert!(results[..6].iter().all(Result::is_ok));
    assert!(
        matches!(
            results[6],
            Err(Error::TooManyPages {
                pages: 2,
                records: 6
            })
        ),
        "{:?}",
        results[6]
    );
    assert_eq!(server.requests().len(), 3);

    // A list that ends within the bound is not an error.
    let short = r#"{"code":0,"data":{"count":1,"currentPage":1,"pageSize":3,"records":[{"jobId":"x","state":"Completed"}]}}"#;
    let server = Server::start(vec![json_reply(short)]);
    let api = BulkImportApi::new(server.url(), "").unwrap();
    let ids: Vec<String> = api
        .list_all_import_jobs(&request)
        .max_pages(1)
        .map(|r| r.unwrap().job_id)
        .collect();
    assert_eq!(ids, ["x"]);
}
