//! What a test can ask the emulator: the requests it recorded, seeded jobs in any state,
//! `Timing::Manual` and `advance`.

use super::*;

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
