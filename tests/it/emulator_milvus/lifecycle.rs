//! The job lifecycle: a PerPoll job moving one step per describe, and the failure marker.

use super::*;

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
