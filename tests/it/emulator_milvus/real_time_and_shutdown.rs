//! `Timing::RealTime` jobs moving with the clock, keep-alive over many calls and threads, and calls
//! after shutdown or drop.

use super::*;

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
