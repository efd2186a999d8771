//! Replies in every dialect: open-source Milvus v2, Zilliz Cloud v2, legacy Zilliz v1, and the
//! examples printed on the `list_import_jobs()` reference page.

use crate::common;

use common::replying;
use milvus_bulk_import::{
    BulkImportRequest, Error, ImportJobState, JobRequest, ListImportJobsRequest,
};
use serde_json::{json, Value};

fn list(body: &str) -> Result<milvus_bulk_import::ImportJobList, Error> {
    replying(200, body)
        .list_import_jobs(&ListImportJobsRequest::new())
        .map(|r| r.into_data())
}

fn progress(body: &str) -> Result<milvus_bulk_import::ImportProgress, Error> {
    replying(200, body)
        .get_import_progress(&JobRequest::new("1"))
        .map(|r| r.into_data())
}

fn decode_reason(err: Error) -> String {
    match err {
        Error::Decode { reason, .. } => reason,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// The "Response syntax" block of the reference page (v2, `code: 0`).
const REFERENCE_V2: &str = r#"{
    "code": 0,
    "data": {
        "records": [
            {
                "collectionName": "quick_setup",
                "jobId": "453240863839750922",
                "progress": 100,
                "state": "Completed"
            }
        ]
    }
}"#;

/// The "Output" block of the reference page's example, as printed (legacy v1 form). Note the
/// trailing comma after the second task: no JSON encoder writes that.
const REFERENCE_LEGACY_AS_PRINTED: &str = r#"{
    "code": 200,
    "data": {
        "tasks": [
            {
                "collectionName": "medium_articles",
                "jobId": "9d0bc230-6b99-4739-a872-0b91cfe2515a",
                "state": "ImportCompleted"
            },
            {
                "collectionName": "medium_articles",
                "jobId": "53632e6c-c078-4476-b840-10c4793d9c08",
                "state": "ImportCompleted"
            },
        ],
        "count": 2,
        "currentPage": 1,
        "pageSize": 10
    }
}"#;

#[test]
fn reference_page_v2_example_parses() {
    let reply = replying(200, REFERENCE_V2)
        .list_import_jobs(&ListImportJobsRequest::new().cluster_id("inxx-xxxxxxxxxxxxxxx"))
        .unwrap();
    let jobs = reply.data();
    assert_eq!(jobs.records.len(), 1);
    let job = &jobs.records[0];
    assert_eq!(job.job_id, "453240863839750922");
    assert_eq!(job.collection_name, "quick_setup");
    assert_eq!(job.state, ImportJobState::Completed);
    assert_eq!(job.progress, Some(100));
    assert_eq!(job.reason, None);
    assert!(job.extra.is_empty());
    assert_eq!(
        (jobs.count, jobs.current_page, jobs.page_size),
        (None, None, None)
    );
    // The raw reply is there too, like resp.json() in Python.
    assert_eq!(reply.response().text(), REFERENCE_V2);
    let raw: Value = reply.response().json().unwrap();
    assert_eq!(raw["data"]["records"][0]["jobId"], "453240863839750922");
}

#[test]
fn reference_page_legacy_example_parses() {
    // As a server would send it: the page's text without the trailing comma.
    let body = REFERENCE_LEGACY_AS_PRINTED.replace("},\n        ],", "}\n        ],");
    let jobs = list(&body).unwrap();
    assert_eq!(jobs.records.len(), 2);
    assert_eq!(
        jobs.records[0].job_id,
        "9d0bc230-6b99-4739-a872-0b91cfe2515a"
    );
    assert_eq!(
        jobs.records[1].job_id,
        "53632e6c-c078-4476-b840-10c4793d9c08"
    );
    for job in &jobs.records {
        assert_eq!(job.collection_name, "medium_articles");
        assert_eq!(job.state, ImportJobState::Completed);
        assert_eq!(job.progress, None);
    }
    assert_eq!(
        (jobs.count, jobs.current_page, jobs.page_size),
        (Some(2), Some(1), Some(10))
    );
}

#[test]
fn reference_page_legacy_text_as_printed_is_a_clear_decode_error() {
    let err = list(REFERENCE_LEGACY_AS_PRINTED).unwrap_err();
    assert_eq!(err.status(), Some(200));
    assert!(decode_reason(err).contains("not JSON"));
}

#[test]
fn milvus_describe_with_details_parses() {
    let p = progress(
        r#"{"code":0,"data":{"jobId":"449839014328146739","collectionName":"c",
        "createTime":"2025-01-16T08:40:01Z","completeTime":"","state":"Importing","progress":80,
        "importedRows":0,"totalRows":3000000,"fileSize":63085098,"details":[{"fileName":"[5.parquet]",
        "fileSize":6776153,"progress":100,"completeTime":"2025-01-16T08:42:09Z","state":"Completed",
        "importedRows":520161,"totalRows":520161}]}}"#,
    )
    .unwrap();
    assert_eq!(p.job_id, "449839014328146739");
    assert_eq!(p.collection_name, "c");
    assert_eq!(p.state, ImportJobState::Importing);
    assert!(!p.state.is_terminal());
    assert_eq!(p.progress, Some(80));
    assert_eq!(p.imported_rows, Some(0));
    assert_eq!(p.total_rows, Some(3_000_000));
    assert_eq!(p.file_size, Some(63_085_098));
    assert_eq!(p.create_time.as_deref(), Some("2025-01-16T08:40:01Z"));
    assert_eq!(p.complete_time, None, "empty until terminal");
    assert_eq!(p.reason, None);
    assert_eq!(p.file_name, None);
    assert!(p.extra.is_empty());
    assert_eq!(p.details.len(), 1);
    let d = &p.details[0];
    assert_eq!(d.file_name.as_deref(), Some("[5.parquet]"));
    assert_eq!(d.file_size, Some(6_776_153));
    assert_eq!(d.progress, Some(100));
    assert_eq!(d.state.as_deref(), Some("Completed"));
    assert_eq!(d.imported_rows, Some(520_161));
    assert_eq!(d.total_rows, Some(520_161));
    assert_eq!(d.complete_time.as_deref(), Some("2025-01-16T08:42:09Z"));
}

#[test]
fn milvus_failed_job_keeps_its_reason() {
    let p = progress(
        r#"{"code":0,"data":{"jobId":"1","collectionName":"c","state":"Failed","progress":0,
        "reason":"the field 'vector' is missing","details":[]}}"#,
    )
    .unwrap();
    assert_eq!(p.state, ImportJobState::Failed);
    assert!(p.state.is_terminal());
    assert_eq!(p.reason.as_deref(), Some("the field 'vector' is missing"));
    assert!(p.details.is_empty());
}

#[test]
fn zilliz_describe_with_empty_reason_and_file_name_parses() {
    let p = progress(
        r#"{"code":0,"data":{"jobId":"job-xxx","collectionName":"medium_articles",
        "fileName":"medium_articles_2020_dpr.json","fileSize":26571700,"state":"Completed",
        "progress":100,"completeTime":"2024-04-01T06:17:55Z","reason":"","totalRows":5979,
        "details":[{"fileName":"medium_articles_2020_dpr.json","fileSize":26571700,
        "state":"Completed","progress":100,"completeTime":"2024-04-01T06:17:53Z","reason":"",
        "importedRows":5979}]}}"#,
    )
    .unwrap();
    assert_eq!(p.reason, None, "empty reason is None");
    assert_eq!(
        p.file_name.as_deref(),
        Some("medium_articles_2020_dpr.json")
    );
    assert_eq!(p.total_rows, Some(5979));
    assert_eq!(p.imported_rows, None);
    assert_eq!(p.details[0].reason, None);
    assert_eq!(p.details[0].imported_rows, Some(5979));
}

#[test]
fn zilliz_v2_list_with_paging_and_no_progress_parses() {
    let jobs = list(
        r#"{"code":0,"data":{"count":1,"currentPage":1,"pageSize":10,
        "records":[{"collectionName":"test_collection","jobId":"job-xxxxxxxxxxxxxxxxxxxxx","state":"Completed"}]}}"#,
    )
    .unwrap();
    assert_eq!(
        (jobs.count, jobs.current_page, jobs.page_size),
        (Some(1), Some(1), Some(10))
    );
    assert_eq!(jobs.records[0].progress, None);
    assert_eq!(jobs.records[0].job_id, "job-xxxxxxxxxxxxxxxxxxxxx");
}

#[test]
fn legacy_paging_numbers_may_be_strings() {
    let jobs =
        list(r#"{"code":200,"data":{"tasks":[],"count":"0","currentPage":"1","pageSize":"10"}}"#)
            .unwrap();
    assert_eq!(
        (jobs.count, jobs.current_page, jobs.page_size),
        (Some(0), Some(1), Some(10))
    );
}

#[test]
fn progress_may_be_an_integer_a_string_or_a_float() {
    for (raw, expected) in [
        ("50", Some(50)),
        ("\"50\"", Some(50)),
        ("50.7", Some(50)),
        ("\"99.9\"", Some(99)),
        ("100.0", Some(100)),
        ("null", None),
        ("\"\"", None),
    ] {
        let body = format!(
            r#"{{"code":0,"data":{{"records":[{{"jobId":"1","collectionName":"c","state":"Importing","progress":{raw}}}]}}}}"#
        );
        assert_eq!(
            list(&body).unwrap().records[0].progress,
            expected,
            "progress {raw}"
        );
    }
}

#[test]
fn progress_of_a_wrong_type_is_a_decode_error_naming_the_field() {
    for raw in ["-1", "\"abc\"", "true", "{}", "[50]", "1e20"] {
        let body = format!(
            r#"{{"code":0,"data":{{"records":[{{"jobId":"1","state":"Importing","progress":{raw}}}]}}}}"#
        );
        let reason = decode_reason(list(&body).unwrap_err());
        assert!(
            reason.contains("records[0]") && reason.contains("progress"),
            "{raw}: {reason}"
        );
    }
}

#[test]
fn job_id_may_be_a_number() {
    let created = replying(200, r#"{"code":0,"data":{"jobId":448707763884413158}}"#)
        .bulk_import(&BulkImportRequest::new("c").files([["a.parquet"]]))
        .unwrap();
    assert_eq!(created.data().job_id, "448707763884413158");
    let jobs = list(r#"{"code":0,"data":{"records":[{"jobId":7,"state":"Pending"}]}}"#).unwrap();
    assert_eq!(jobs.records[0].job_id, "7");
    assert_eq!(jobs.records[0].collection_name, "");
}

#[test]
fn early_milvus_create_reply_with_code_200_and_job_id_capital_d_parses() {
    let created = replying(200, r#"{"code":200,"data":{"jobID":"448707763884413158"}}"#)
        .bulk_import(&BulkImportRequest::new("c").files([["a.parquet"]]))
        .unwrap();
    assert_eq!(created.data().job_id, "448707763884413158");
}

#[test]
fn job_id_of_a_wrong_type_or_missing_is_a_decode_error() {
    for data in [
        r#"{"jobId":1.5}"#,
        r#"{"jobId":true}"#,
        r#"{"jobId":""}"#,
        r#"{}"#,
        r#"[]"#,
    ] {
        let err = replying(200, &format!(r#"{{"code":0,"data":{data}}}"#))
            .bulk_import(&BulkImportRequest::new("c").files([["a.parquet"]]))
            .unwrap_err();
        let reason = decode_reason(err);
        assert!(
            reason.contains("jobId") || reason.contains("data"),
            "{data}: {reason}"
        );
    }
}

#[test]
fn records_win_over_tasks() {
    let jobs = list(
        r#"{"code":0,"data":{"records":[{"jobId":"r","state":"Pending"}],"tasks":[{"jobId":"t","state":"Pending"}]}}"#,
    )
    .unwrap();
    assert_eq!(jobs.records.len(), 1);
    assert_eq!(jobs.records[0].job_id, "r");
}

#[test]
fn missing_or_null_records_is_an_empty_list() {
    assert!(list(r#"{"code":0,"data":{}}"#).unwrap().records.is_empty());
    assert!(list(r#"{"code":0,"data":{"records":null}}"#)
        .unwrap()
        .records
        .is_empty());
    assert!(list(r#"{"code":0,"data":{"records":[]}}"#)
        .unwrap()
        .records
        .is_empty());
}

#[test]
fn unknown_states_and_fields_are_kept() {
    let reply = replying(
        200,
        r#"{"code":0,"traceId":"t-1","data":{"records":[{"jobId":"1","collectionName":"c",
        "state":"Sorting","progress":75,"reason":"","startTime":"2026-01-01T00:00:00Z",
        "dbName":"db1","nested":{"a":[1,2]}}],"nextPageToken":"abc"}}"#,
    )
    .list_import_jobs(&ListImportJobsRequest::new())
    .unwrap();
    let job = &reply.data().records[0];
    assert_eq!(job.state, ImportJobState::Unknown("Sorting".into()));
    assert_eq!(job.state.as_str(), "Sorting");
    assert_eq!(job.reason, None);
    assert_eq!(
        Value::Object(job.extra.clone()),
        json!({"startTime": "2026-01-01T00:00:00Z", "dbName": "db1", "nested": {"a": [1, 2]}})
    );
    let raw: Value = reply.response().json().unwrap();
    assert_eq!(raw["traceId"], "t-1");
    assert_eq!(raw["data"]["nextPageToken"], "abc");
}

#[test]
fn every_state_name_maps() {
    for (wire, state) in [
        ("Pending", ImportJobState::Pending),
        ("ImportPending", ImportJobState::Pending),
        ("Importing", ImportJobState::Importing),
        ("ImportRunning", ImportJobState::Importing),
        ("Uncommitted", ImportJobState::Uncommitted),
        ("Committing", ImportJobState::Committing),
        ("Completed", ImportJobState::Completed),
        ("ImportCompleted", ImportJobState::Completed),
        ("Failed", ImportJobState::Failed),
        ("ImportFailed", ImportJobState::Failed),
        ("None", ImportJobState::Unknown("None".into())),
    ] {
        let body =
            format!(r#"{{"code":0,"data":{{"records":[{{"jobId":"1","state":"{wire}"}}]}}}}"#);
        assert_eq!(list(&body).unwrap().records[0].state, state, "{wire}");
    }
    let terminal: Vec<_> = [
        "Pending",
        "Importing",
        "Uncommitted",
        "Committing",
        "Completed",
        "Failed",
        "x",
    ]
    .into_iter()
    .filter(|s| ImportJobState::from(*s).is_terminal())
    .collect();
    assert_eq!(terminal, ["Completed", "Failed"]);
}

#[test]
fn a_record_without_state_is_unknown_empty() {
    let jobs = list(r#"{"code":0,"data":{"records":[{"jobId":"1"}]}}"#).unwrap();
    assert_eq!(
        jobs.records[0].state,
        ImportJobState::Unknown(String::new())
    );
}

#[test]
fn wrong_types_inside_data_are_decode_errors() {
    for (data, field) in [
        (r#"{"records":{"jobId":"1"}}"#, "records"),
        (r#"{"records":[1]}"#, "records[0]"),
        (r#"{"records":[{"jobId":"1","state":5}]}"#, "state"),
        (
            r#"{"records":[{"jobId":"1","collectionName":["c"]}]}"#,
            "collectionName",
        ),
        (r#"{"records":[],"count":-3}"#, "count"),
        (r#"{"records":[],"pageSize":"ten"}"#, "pageSize"),
    ] {
        let reason = decode_reason(list(&format!(r#"{{"code":0,"data":{data}}}"#)).unwrap_err());
        assert!(reason.contains(field), "{data}: {reason}");
    }
    let reason = decode_reason(
        progress(
            r#"{"code":0,"data":{"jobId":"1","state":"Failed","details":[{"fileSize":"big"}]}}"#,
        )
        .unwrap_err(),
    );
    assert!(
        reason.contains("details[0]") && reason.contains("fileSize"),
        "{reason}"
    );
}

#[test]
fn commit_and_abort_accept_an_empty_data_object() {
    let api = replying(200, r#"{"code":0,"data":{}}"#);
    api.commit_import(&JobRequest::new("1")).unwrap();
    api.abort_import(&JobRequest::new("1")).unwrap();
    // A bare success envelope with no data at all is still a success for them.
    replying(200, r#"{"code":0}"#)
        .commit_import(&JobRequest::new("1"))
        .unwrap();
}

#[test]
fn data_before_code_is_read_as_well() {
    let jobs = list(r#"{"data":{"records":[{"jobId":"1","state":"Pending"}]},"code":0}"#).unwrap();
    assert_eq!(jobs.records[0].job_id, "1");
    // ... and a data member that does not fit is no excuse to hide the error code.
    let err = list(r#"{"data":{"records":"nonsense"},"code":1100,"message":"bad"}"#).unwrap_err();
    assert_eq!(err.api_code(), Some(1100));
    let legacy =
        list(r#"{"data":{"tasks":[{"jobId":"t","state":"ImportFailed"}]},"code":200}"#).unwrap();
    assert_eq!(legacy.records[0].state, ImportJobState::Failed);
}

#[test]
fn null_data_on_success_is_a_decode_error_for_replies_that_need_data() {
    let reason = decode_reason(list(r#"{"code":0,"data":null}"#).unwrap_err());
    assert!(reason.contains("data"), "{reason}");
    replying(200, r#"{"code":0,"data":null}"#)
        .commit_import(&JobRequest::new("1"))
        .unwrap();
}

#[test]
fn tasks_are_not_read_when_records_are_there_in_either_order() {
    for body in [
        r#"{"code":0,"data":{"records":[{"jobId":"r","state":"Pending"}],"tasks":[{"progress":"bad"}]}}"#,
        r#"{"code":0,"data":{"tasks":[{"progress":"bad"}],"records":[{"jobId":"r","state":"Pending"}]}}"#,
    ] {
        let jobs = list(body).unwrap();
        assert_eq!(jobs.records.len(), 1, "{body}");
        assert_eq!(jobs.records[0].job_id, "r");
    }
    let reason =
        decode_reason(list(r#"{"code":200,"data":{"tasks":[{"progress":"bad"}]}}"#).unwrap_err());
    assert!(
        reason.contains("tasks[0]") && reason.contains("progress"),
        "{reason}"
    );
}

#[test]
fn job_id_written_as_an_integral_float_is_read_as_an_integer() {
    let jobs = list(r#"{"code":0,"data":{"records":[{"jobId":1e2,"state":"Pending"}]}}"#).unwrap();
    assert_eq!(jobs.records[0].job_id, "100");
}
