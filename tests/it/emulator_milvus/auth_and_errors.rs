//! Auth (a key, code 1800 and HTTP 401 otherwise) and the error codes and routes of
//! wire-protocol.md §2–§4: bodies that do not bind (1801), missing fields (1802), the plain-text
//! 404, the `get_progress` alias, the envelope and headers.

use super::*;

// ---------------------------------------------------------------------------------------------
// 6. Auth
// ---------------------------------------------------------------------------------------------

#[test]
fn auth_accepts_the_right_key_and_answers_401_code_1800_to_any_other() {
    let emulator = start(EmulatorConfig::milvus().auth("root", "Milvus"));
    let good = client(&emulator, "root:Milvus");
    let to_commit = create(&good, &two_phase("books").files([["a.parquet"]]));
    let to_abort = create(&good, &two_phase("books").files([["b.parquet"]]));
    to_uncommitted(&good, &to_commit);
    to_uncommitted(&good, &to_abort);
    good.commit_import(&JobRequest::new(&to_commit))
        .expect("commit");
    good.abort_import(&JobRequest::new(&to_abort))
        .expect("abort");
    assert_eq!(
        listed_ids(&good, &ListImportJobsRequest::new()),
        sorted(vec![to_commit.clone(), to_abort.clone()])
    );
    let recorded = emulator.requests();
    let auth = recorded[0].headers.get("authorization").unwrap();
    assert_eq!(auth, "Bearer root:Milvus");
    assert!(auth.is_sensitive());
    assert!(!format!("{:?}", recorded[0]).contains("root:Milvus"));

    let check = |what: &str, result: Result<(), Error>| {
        let err = result.expect_err(what);
        assert_eq!(err.status(), Some(401), "{what}: {err}");
        assert_eq!(err.api_code(), Some(1800), "{what}: {err}");
        match &err {
            Error::Api { message, .. } => assert_eq!(message, NOT_AUTHENTICATED, "{what}"),
            other => panic!("{what}: expected Error::Api, got {other:?}"),
        }
        assert_eq!(
            err.response().unwrap().json::<Value>().unwrap(),
            json!({"code": 1800, "message": NOT_AUTHENTICATED})
        );
    };
    for key in ["root:wrong", "", "root", "Milvus", "root:Milvus2"] {
        let bad = client(&emulator, key);
        check(
            "create",
            bad.bulk_import(&BulkImportRequest::new("books").files([["c.parquet"]]))
                .map(drop),
        );
        check(
            "describe",
            bad.get_import_progress(&JobRequest::new(&to_commit))
                .map(drop),
        );
        check(
            "list",
            bad.list_import_jobs(&ListImportJobsRequest::new())
                .map(drop),
        );
        check(
            "commit",
            bad.commit_import(&JobRequest::new(&to_commit)).map(drop),
        );
        check(
            "abort",
            bad.abort_import(&JobRequest::new(&to_commit)).map(drop),
        );
    }
    // Refused calls changed nothing.
    assert_eq!(emulator.job_state(&to_commit), Some(Committing));
    assert_eq!(emulator.job_state(&to_abort), Some(Failed));
    assert_eq!(listed_ids(&good, &ListImportJobsRequest::new()).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 7. Error codes and routes
// ---------------------------------------------------------------------------------------------

#[test]
fn bodies_that_do_not_bind_get_code_1801() {
    let emulator = start(EmulatorConfig::milvus());
    for path in [CREATE, DESCRIBE, GET_PROGRESS, LIST, COMMIT, ABORT] {
        for empty in ["", "  \r\n "] {
            let reply = post(&emulator, path, empty);
            assert_eq!(
                (reply.status, reply.json()),
                (200, json!({"code": 1801, "message": EMPTY_BODY})),
                "{path}"
            );
        }
        for bad in [
            r#"{"jobId":"#,
            "not json",
            "[]",
            r#"["a"]"#,
            "42",
            r#""text""#,
        ] {
            let reply = post(&emulator, path, bad);
            assert_eq!(reply.code(), 1801, "{path} {bad}");
            assert!(
                reply
                    .message()
                    .starts_with("can only accept json format request, error: "),
                "{path} {bad}: {reply:?}"
            );
            assert!(reply.json().get("data").is_none());
        }
    }

    for (body, why) in [
        (
            r#"{"collectionName":"c","files":[["a"]],"options":{"timeout":true}}"#,
            "boolean option",
        ),
        (
            r#"{"collectionName":"c","files":[["a"]],"options":{"timeout":300}}"#,
            "number option",
        ),
        (
            r#"{"collectionName":"c","files":[["a"]],"options":["auto_commit"]}"#,
            "options not an object",
        ),
        (
            r#"{"collectionName":"c","files":[["a"]],"options":{"auto_commit":false}}"#,
            "auto_commit boolean",
        ),
        (
            r#"{"collectionName":5,"files":[["a"]]}"#,
            "number collection",
        ),
        (
            r#"{"collectionName":"c","files":"a.parquet"}"#,
            "files a string",
        ),
        (
            r#"{"collectionName":"c","files":["a.parquet"]}"#,
            "files flat",
        ),
        (r#"{"collectionName":"c","files":[["a",1]]}"#, "number path"),
        (
            r#"{"collectionName":"c","dbName":1,"files":[["a"]]}"#,
            "number db",
        ),
    ] {
        assert_eq!(post(&emulator, CREATE, body).code(), 1801, "{why}");
    }
    for value in ["yes", "", "TRUE", "False", "0"] {
        let body = format!(
            r#"{{"collectionName":"c","files":[["a"]],"options":{{"auto_commit":"{value}"}}}}"#
        );
        let reply = post(&emulator, CREATE, &body);
        assert_eq!(reply.code(), 1801, "auto_commit {value:?}");
        assert!(
            reply
                .message()
                .contains(r#"options.auto_commit must be one of "true" or "false""#),
            "{reply:?}"
        );
    }
    for path in [DESCRIBE, COMMIT, ABORT] {
        let reply = post(&emulator, path, r#"{"jobId":453240863839750922}"#);
        assert_eq!(reply.code(), 1801, "{path}: jobId must be a string");
    }
    assert_eq!(
        post(&emulator, LIST, r#"{"collectionName":["c"]}"#).code(),
        1801
    );

    let api = client(&emulator, "");
    assert!(
        list(&api, &ListImportJobsRequest::new()).is_empty(),
        "no job was created"
    );
}

#[test]
fn missing_required_fields_get_code_1802() {
    let emulator = start(EmulatorConfig::milvus());
    for body in [
        r#"{"collectionName":"c"}"#,
        r#"{"collectionName":"c","files":null}"#,
        r#"{"files":[["a.parquet"]]}"#,
        r#"{"collectionName":"","files":[["a.parquet"]]}"#,
        r#"{"collectionName":null,"files":[["a.parquet"]]}"#,
        "{}",
    ] {
        let reply = post(&emulator, CREATE, body);
        assert_eq!(reply.code(), 1802, "{body}");
        assert!(
            reply
                .message()
                .starts_with("missing required parameters, error: "),
            "{reply:?}"
        );
    }
    for path in [DESCRIBE, GET_PROGRESS, COMMIT, ABORT] {
        for body in [
            "{}",
            r#"{"jobId":""}"#,
            r#"{"jobId":null}"#,
            r#"{"job_id":"1"}"#,
        ] {
            assert_eq!(post(&emulator, path, body).code(), 1802, "{path} {body}");
        }
    }

    // Through the client: no .files() sends `"files": null`.
    let api = client(&emulator, "");
    let (status, code, message) = api_error(api.bulk_import(&BulkImportRequest::new("c")));
    assert_eq!((status, code), (200, 1802), "{message}");
    assert_eq!(
        emulator.requests().last().unwrap().json.as_ref().unwrap()["files"],
        Value::Null
    );

    // An empty collection name never leaves the client.
    let sent = emulator.requests().len();
    for name in ["", "  "] {
        let result = api.bulk_import(&BulkImportRequest::new(name).files([["a.parquet"]]));
        assert!(
            matches!(result, Err(Error::InvalidRequest(_))),
            "{result:?}"
        );
    }
    assert_eq!(emulator.requests().len(), sent);
    assert!(list(&api, &ListImportJobsRequest::new()).is_empty());
}

#[test]
fn unknown_paths_and_other_methods_get_a_plain_text_404() {
    let emulator = start(EmulatorConfig::milvus());
    let not_found = |method: &str, path: &str| {
        let body = if method == "GET" { "" } else { "{}" };
        let reply = raw(&emulator, method, path, &[], body);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (404, "404 page not found"),
            "{method} {path}"
        );
        let content_type = reply.header("content-type").unwrap_or("");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
    };
    not_found("POST", "/v2/vectordb/jobs/import/nope");
    not_found("POST", "/v2/vectordb/jobs/import/getProgress"); // the Zilliz spelling
    not_found("POST", "/v1/vector/collections/import");
    not_found("POST", "/");
    for path in [CREATE, DESCRIBE, LIST, COMMIT, ABORT] {
        not_found("GET", path);
        not_found("PUT", path);
    }

    // The client maps a plain-text 404 to Error::HttpStatus, for every operation.
    let api = BulkImportApi::builder(format!("{}/wrongprefix", emulator.url()))
        .timeout(TIMEOUT)
        .build()
        .expect("client");
    let job = JobRequest::new("1");
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
        match result {
            Err(Error::HttpStatus {
                status, url, body, ..
            }) => {
                assert_eq!((status, body.as_str()), (404, "404 page not found"));
                assert!(url.starts_with(&format!("{}/wrongprefix/v2/", emulator.url())));
            }
            other => panic!("expected Error::HttpStatus, got {other:?}"),
        }
    }
    let paths: Vec<String> = emulator.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.contains(&format!("/wrongprefix{LIST}")), "{paths:?}");
}

#[test]
fn get_progress_is_an_alias_of_describe() {
    let emulator = start(EmulatorConfig::milvus().timing(Timing::Manual));
    let api = client(&emulator, "");
    let id = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    assert!(emulator.advance(&id, 2));

    let body = json!({"jobId": id}).to_string();
    let alias = post(&emulator, GET_PROGRESS, &body);
    let describe = post(&emulator, DESCRIBE, &body);
    assert_eq!(alias.status, 200);
    assert_eq!(alias.json(), describe.json());
    let via_client = api
        .get_import_progress(&JobRequest::new(&id))
        .expect("describe");
    assert_eq!(alias.json(), via_client.response().json::<Value>().unwrap());
    assert_eq!(alias.json()["data"]["state"], "Importing");
    assert_eq!(alias.json()["data"]["progress"], 50);

    assert_eq!(
        post(&emulator, GET_PROGRESS, r#"{"jobId":"123"}"#).code(),
        2100
    );
    assert_eq!(
        post(&emulator, GET_PROGRESS, r#"{"jobId":"abc"}"#).code(),
        2100
    );
}

#[test]
fn replies_use_the_milvus_envelope_and_headers() {
    let emulator = start(EmulatorConfig::milvus());
    let ok = post(&emulator, LIST, "{}");
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(ok.json(), json!({"code": 0, "data": {"records": []}}));
    let trace = ok.header("x-milvus-trace-id").expect("a trace id");
    assert!(
        trace.len() == 32 && trace.bytes().all(|b| b.is_ascii_hexdigit()),
        "{trace}"
    );

    let err = post(&emulator, DESCRIBE, r#"{"jobId":"1"}"#);
    assert_eq!(err.status, 200);
    let body = err.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message"], "no data on errors");
}
