//! Two-phase imports: `Uncommitted` until committed, commit and abort, and what they refuse.

use super::*;

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
