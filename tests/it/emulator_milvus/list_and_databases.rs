//! `list` (every job in one reply, whatever the paging) and databases (`dbName` in the body, the
//! `DB-Name` header).

use super::*;

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
