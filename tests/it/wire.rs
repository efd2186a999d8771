//! What goes on the wire: path, headers and JSON body of every call style, compared with what
//! pymilvus 3.0.2 sends for the same inputs (tests/fixtures/pymilvus_wire.json, recorded by
//! tools/pymilvus_wire.py).

use crate::common;

use common::{json_body, Recorder};
use milvus_bulk_import::{http, BulkImportRequest, JobRequest, ListImportJobsRequest};
use serde_json::{json, Value};

const FIXTURE: &str = include_str!("../fixtures/pymilvus_wire.json");
const USER_AGENT: &str = concat!("milvus-bulk-import/", env!("CARGO_PKG_VERSION"));

fn str_of(v: &Value) -> String {
    v.as_str().expect("string input").to_string()
}

fn nested(v: &Value) -> Vec<Vec<String>> {
    v.as_array()
        .expect("list of lists")
        .iter()
        .map(|group| group.as_array().unwrap().iter().map(str_of).collect())
        .collect()
}

fn unmapped<T>(function: &str, key: &str) -> T {
    panic!("{function}: input {key} has no Rust mapping")
}

/// Makes the same call as pymilvus's `function(**inputs)` and returns the request sent.
fn send_like_pymilvus(
    function: &str,
    inputs: &serde_json::Map<String, Value>,
) -> http::Request<Vec<u8>> {
    // A reply every operation accepts.
    let recorder = Recorder::replying(200, &br#"{"code":0,"data":{"jobId":"1","records":[]}}"#[..]);
    let url = str_of(&inputs["url"]);
    let api_key = inputs.get("api_key").map(str_of).unwrap_or_default();
    let api = recorder.api(&url, &api_key);
    match function {
        "bulk_import" => {
            let mut req = BulkImportRequest::new(str_of(&inputs["collection_name"]));
            for (key, value) in inputs {
                req = match key.as_str() {
                    "url" | "api_key" | "collection_name" => req,
                    "db_name" => req.db_name(str_of(value)),
                    "partition_name" => req.partition_name(str_of(value)),
                    "files" => req.files(nested(value)),
                    "object_url" => req.object_url(str_of(value)),
                    "object_urls" => req.object_urls(nested(value)),
                    "cluster_id" => req.cluster_id(str_of(value)),
                    "project_id" => req.project_id(str_of(value)),
                    "region_id" => req.region_id(str_of(value)),
                    "access_key" => req.access_key(str_of(value)),
                    "secret_key" => req.secret_key(str_of(value)),
                    "token" => req.token(str_of(value)),
                    "volume_name" => req.volume_name(str_of(value)),
                    "data_paths" => req.data_paths(nested(value)),
                    "options" => value
                        .as_object()
                        .unwrap()
                        .iter()
                        .fold(req, |req, (k, v)| req.option(k, str_of(v))),
                    other => unmapped(function, other),
                };
            }
            api.bulk_import(&req).expect("bulk_import");
        }
        "get_import_progress" => {
            let mut req = JobRequest::new(str_of(&inputs["job_id"]));
            for (key, value) in inputs {
                req = match key.as_str() {
                    "url" | "api_key" | "job_id" => req,
                    "db_name" => req.db_name(str_of(value)),
                    "cluster_id" => req.cluster_id(str_of(value)),
                    "project_id" => req.project_id(str_of(value)),
                    "region_id" => req.region_id(str_of(value)),
                    other => unmapped(function, other),
                };
            }
            api.get_import_progress(&req).expect("get_import_progress");
        }
        "list_import_jobs" => {
            let mut req = ListImportJobsRequest::new();
            for (key, value) in inputs {
                req = match key.as_str() {
                    "url" | "api_key" => req,
                    "collection_name" => req.collection_name(str_of(value)),
                    "db_name" => req.db_name(str_of(value)),
                    "cluster_id" => req.cluster_id(str_of(value)),
                    "project_id" => req.project_id(str_of(value)),
                    "region_id" => req.region_id(str_of(value)),
                    "page_size" => req.page_size(value.as_u64().unwrap() as u32),
                    "current_page" => req.current_page(value.as_u64().unwrap() as u32),
                    other => unmapped(function, other),
                };
            }
            api.list_import_jobs(&req).expect("list_import_jobs");
        }
        other => panic!("fixture names an unknown function {other}"),
    }
    recorder.only()
}

/// The headers this crate sends: pymilvus's `Authorization` and `DB-Name`, the
/// `Content-Type` that `requests` adds for `json=`, `Accept`, and an honest `User-Agent`
/// instead of pymilvus's browser string and misspelled `Accept-Encodin`/`Accept-Languag`.
fn assert_headers(request: &http::Request<Vec<u8>>, authorization: &str, db_name: Option<&str>) {
    let headers = request.headers();
    assert_eq!(headers["authorization"], authorization);
    assert!(headers["authorization"].is_sensitive());
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(headers["user-agent"], USER_AGENT);
    assert_eq!(headers.get("db-name").map(|v| v.to_str().unwrap()), db_name);
    let expected_count = if db_name.is_some() { 5 } else { 4 };
    assert_eq!(
        headers.len(),
        expected_count,
        "unexpected headers: {headers:?}"
    );
}

#[test]
fn every_pymilvus_call_style_is_sent_identically() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    assert_eq!(fixture["pymilvus"], "3.0.2");
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 14, "call styles in the fixture");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let request = send_like_pymilvus(
            case["function"].as_str().unwrap(),
            case["inputs"].as_object().unwrap(),
        );
        assert_eq!(request.method(), http::Method::POST, "{name}");
        assert_eq!(
            request.uri().to_string(),
            case["url"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            json_body(&request),
            case["body"],
            "{name}: body differs from pymilvus"
        );
        let py_headers = &case["headers"];
        assert_headers(
            &request,
            py_headers["Authorization"].as_str().unwrap(),
            py_headers.get("DB-Name").and_then(Value::as_str),
        );
    }
}

#[test]
fn create_for_milvus_sends_all_fifteen_keys() {
    let recorder = Recorder::replying(
        200,
        &br#"{"code":0,"data":{"jobId":"448707763884413158"}}"#[..],
    );
    let api = recorder.api("http://127.0.0.1:19530", "root:Milvus");
    let created = api
        .bulk_import(
            &BulkImportRequest::new("my_collection")
                .db_name("db1")
                .files(vec![vec!["1.parquet".to_string()]]),
        )
        .unwrap();
    assert_eq!(created.data().job_id, "448707763884413158");
    let request = recorder.only();
    assert_eq!(
        request.uri(),
        "http://127.0.0.1:19530/v2/vectordb/jobs/import/create"
    );
    assert_eq!(
        json_body(&request),
        json!({
            "collectionName": "my_collection", "dbName": "db1", "partitionName": "",
            "files": [["1.parquet"]], "objectUrl": "", "objectUrls": null, "clusterId": "",
            "projectId": "", "regionId": "", "accessKey": "", "secretKey": "", "token": "",
            "volumeName": "", "dataPaths": null, "options": {}
        })
    );
    assert_headers(&request, "Bearer root:Milvus", Some("db1"));
}

#[test]
fn commit_and_abort_send_the_describe_body_to_their_own_paths() {
    for (path, commit) in [("commit", true), ("abort", false)] {
        let recorder = Recorder::ok();
        let api = recorder.api("http://127.0.0.1:19530", "root:Milvus");
        let request = JobRequest::new("453240863839750922").db_name("db1");
        let reply = if commit {
            api.commit_import(&request)
        } else {
            api.abort_import(&request)
        };
        reply.unwrap();
        let sent = recorder.only();
        assert_eq!(
            sent.uri().to_string(),
            format!("http://127.0.0.1:19530/v2/vectordb/jobs/import/{path}")
        );
        assert_eq!(
            json_body(&sent),
            json!({"jobId": "453240863839750922", "clusterId": "", "projectId": "", "regionId": ""})
        );
        assert_headers(&sent, "Bearer root:Milvus", Some("db1"));
    }
}

#[test]
fn cloud_job_request_carries_the_target_and_no_db_header() {
    let recorder = Recorder::ok();
    let api = recorder.api("https://api.cloud.zilliz.com", "KEY");
    let _ = api.get_import_progress(
        &JobRequest::new("job-1")
            .project_id("proj-1")
            .region_id("aws-us-west-2"),
    );
    let sent = recorder.only();
    assert_eq!(
        json_body(&sent),
        json!({"jobId": "job-1", "clusterId": "", "projectId": "proj-1", "regionId": "aws-us-west-2"})
    );
    assert_headers(&sent, "Bearer KEY", None);
}

#[test]
fn list_defaults_to_page_one_of_ten() {
    let recorder = Recorder::replying(200, &br#"{"code":0,"data":{"records":[]}}"#[..]);
    recorder
        .api("http://127.0.0.1:19530", "")
        .list_import_jobs(&ListImportJobsRequest::default())
        .unwrap();
    let sent = recorder.only();
    assert_eq!(
        json_body(&sent),
        json!({"collectionName": "", "dbName": "", "clusterId": "", "projectId": "",
               "regionId": "", "pageSize": 10, "currentPage": 1})
    );
    // Like pymilvus, the header is sent even with an empty key (Milvus without auth ignores it).
    assert_headers(&sent, "Bearer ", None);
}

#[test]
fn options_are_strings_and_a_repeated_key_keeps_the_last_value() {
    let recorder = Recorder::replying(200, &br#"{"code":0,"data":{"jobId":"1"}}"#[..]);
    recorder
        .api("http://127.0.0.1:19530", "")
        .bulk_import(
            &BulkImportRequest::new("c")
                .files([["a.json"]])
                .option("auto_commit", "true")
                .option("auto_commit", "false")
                .option("timeout", "1.5h"),
        )
        .unwrap();
    assert_eq!(
        json_body(&recorder.only())["options"],
        json!({"auto_commit": "false", "timeout": "1.5h"})
    );
}

#[test]
fn path_prefix_is_kept_and_trailing_slash_dropped() {
    let recorder = Recorder::replying(200, &br#"{"code":0,"data":{"records":[]}}"#[..]);
    recorder
        .api("https://gateway.example/milvus/", "k")
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap();
    assert_eq!(
        recorder.only().uri(),
        "https://gateway.example/milvus/v2/vectordb/jobs/import/list"
    );
}

#[test]
fn empty_files_list_is_sent_as_an_empty_list_not_null() {
    let recorder = Recorder::replying(200, &br#"{"code":0,"data":{"jobId":"1"}}"#[..]);
    recorder
        .api("http://127.0.0.1:19530", "")
        .bulk_import(&BulkImportRequest::new("c").files(Vec::<Vec<String>>::new()))
        .unwrap();
    assert_eq!(json_body(&recorder.only())["files"], json!([]));
}
