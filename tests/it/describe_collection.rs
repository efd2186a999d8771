//! `describe_collection`: the request on the wire (path, body, `DB-Name`), checks before
//! sending, the replies of Milvus 2.4–2.6 (collections-describe.md §7 and the 2.4-era shape),
//! errors, retries, `MockTransport`; and the emulator answering describe for the collections it
//! knows (round trip: the schema configured is the schema described).

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{json_body, Recorder};
use milvus_bulk_import::writer::{CollectionSchema, DataType, FieldSchema};
use milvus_bulk_import::{
    http, BulkImportApi, DescribeCollectionRequest, Error, FnTransport, RetryPolicy,
};
use serde_json::{json, Value};

const FULL_EXAMPLE: &str = include_str!("../fixtures/describe_collection_2_6.json");
const PATH: &str = "/v2/vectordb/collections/describe";

/// The schema of collections-describe.md §7.
fn full_example_schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(
            FieldSchema::new("pk", DataType::Int64)
                .primary_key(true)
                .auto_id(true),
        )
        .field(
            FieldSchema::new("f_bool", DataType::Bool)
                .nullable(true)
                .default_value(json!(true)),
        )
        .field(FieldSchema::new("f_i8", DataType::Int8))
        .field(FieldSchema::new("f_i16", DataType::Int16))
        .field(FieldSchema::new("f_i32", DataType::Int32).default_value(json!(7)))
        .field(FieldSchema::new("f_i64", DataType::Int64))
        .field(FieldSchema::new("f_float", DataType::Float))
        .field(FieldSchema::new("f_double", DataType::Double).nullable(true))
        .field(FieldSchema::new("tenant", DataType::VarChar).max_length(64))
        .field(FieldSchema::new("text", DataType::VarChar).max_length(8192))
        .field(
            FieldSchema::new("tags", DataType::Array)
                .element_type(DataType::VarChar)
                .max_capacity(16)
                .max_length(32)
                .nullable(true),
        )
        .field(FieldSchema::new("meta", DataType::Json).nullable(true))
        .field(FieldSchema::new("dense", DataType::FloatVector).dim(768))
        .field(FieldSchema::new("dense_f16", DataType::Float16Vector).dim(128))
        .field(FieldSchema::new("dense_bf16", DataType::BFloat16Vector).dim(128))
        .field(FieldSchema::new("bin", DataType::BinaryVector).dim(256))
        .field(FieldSchema::new("i8v", DataType::Int8Vector).dim(64))
        .field(FieldSchema::new("sparse", DataType::SparseFloatVector).function_output(true))
        .enable_dynamic_field(true)
}

fn describe(api: &BulkImportApi, request: &DescribeCollectionRequest) -> CollectionSchema {
    api.describe_collection(request)
        .expect("describe_collection")
        .into_data()
}

// ------------------------------------------------------------------------------- the wire

#[test]
fn posts_db_and_collection_with_the_db_name_header() {
    let recorder = Recorder::replying(200, FULL_EXAMPLE);
    let api = recorder.api("http://127.0.0.1:19530/", "root:Milvus");
    describe(&api, &DescribeCollectionRequest::new("docs").db_name("db1"));
    let sent = recorder.only();
    assert_eq!(sent.method(), http::Method::POST);
    assert_eq!(sent.uri(), &*format!("http://127.0.0.1:19530{PATH}"));
    assert_eq!(
        json_body(&sent),
        json!({"dbName": "db1", "collectionName": "docs"})
    );
    let headers = sent.headers();
    assert_eq!(headers["db-name"], "db1");
    assert_eq!(headers["authorization"], "Bearer root:Milvus");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["accept"], "application/json");
    assert!(headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("milvus-bulk-import/"));
}

#[test]
fn without_a_database_the_body_has_an_empty_db_name_and_no_header_is_sent() {
    let recorder = Recorder::replying(200, FULL_EXAMPLE);
    let api = recorder.api("https://gw.example/milvus", "");
    describe(&api, &DescribeCollectionRequest::new("docs"));
    let sent = recorder.only();
    assert_eq!(
        sent.uri(),
        &*format!("https://gw.example/milvus{PATH}"),
        "the path prefix is kept"
    );
    assert_eq!(
        json_body(&sent),
        json!({"dbName": "", "collectionName": "docs"})
    );
    assert!(sent.headers().get("db-name").is_none());
}

#[test]
fn empty_collection_or_bad_database_fails_before_sending() {
    let recorder = Recorder::replying(200, FULL_EXAMPLE);
    let api = recorder.api("http://127.0.0.1:19530", "");
    for request in [
        DescribeCollectionRequest::new(""),
        DescribeCollectionRequest::new("  "),
        DescribeCollectionRequest::new("c").db_name("bad\ndb"),
    ] {
        match api.describe_collection(&request) {
            Err(Error::InvalidRequest(message)) => assert!(!message.is_empty()),
            other => panic!("{request:?}: expected InvalidRequest, got {other:?}"),
        }
    }
    assert_eq!(recorder.count(), 0, "nothing was sent");
}

#[test]
fn request_is_debug_clone_and_eq() {
    let request = DescribeCollectionRequest::new("books").db_name("db1");
    assert_eq!(request.clone(), request);
    assert_eq!(request.collection_name(), "books");
    let debug = format!("{request:?}");
    assert!(debug.contains("books") && debug.contains("db1"), "{debug}");
}

// ------------------------------------------------------------------------------- replies

#[test]
fn parses_the_full_2_6_example() {
    let api = common::replying(200, FULL_EXAMPLE);
    let reply = api
        .describe_collection(&DescribeCollectionRequest::new("docs"))
        .unwrap();
    assert_eq!(reply.data(), &full_example_schema());
    // The raw reply is there too, unknown keys and all.
    let raw: Value = reply.response().json().unwrap();
    assert_eq!(raw["data"]["collectionID"], json!(457295835212750301_i64));
    assert_eq!(raw["data"]["indexes"][0]["metricType"], "COSINE");
}

#[test]
fn a_message_with_code_0_is_still_success() {
    // A collection without an index: code 0, `indexes: []`, and the index error in `message`.
    let mut reply: Value = serde_json::from_str(FULL_EXAMPLE).unwrap();
    reply["data"]["indexes"] = json!([]);
    reply["message"] = json!("index not found[indexName=];");
    let api = common::replying(200, &reply.to_string());
    assert_eq!(
        describe(&api, &DescribeCollectionRequest::new("docs")),
        full_example_schema()
    );
}

/// The 2.4-era shape: no `clusteringKey`, `nullable`, `defaultValue`, `isFunctionOutput` or
/// `functions`; early 2.4 builds answered `code: 200`.
const REPLY_2_4: &str = r#"{
  "code": 200,
  "data": {
    "aliases": [],
    "autoId": false,
    "collectionID": 450727390612602626,
    "collectionName": "books",
    "consistencyLevel": "Bounded",
    "description": "",
    "enableDynamicField": false,
    "fields": [
      {"autoId": false, "description": "", "id": 100, "name": "id", "partitionKey": false,
       "primaryKey": true, "type": "VarChar", "params": [{"key": "max_length", "value": "36"}]},
      {"autoId": false, "description": "", "id": 101, "name": "year", "partitionKey": true,
       "primaryKey": false, "type": "Int32"},
      {"autoId": false, "description": "", "id": 102, "name": "scores", "partitionKey": false,
       "primaryKey": false, "type": "Array", "elementType": "Double",
       "params": [{"key": "max_capacity", "value": "4"}]},
      {"autoId": false, "description": "", "id": 103, "name": "vector", "partitionKey": false,
       "primaryKey": false, "type": "FloatVector", "params": [{"key": "dim", "value": "8"}]}
    ],
    "indexes": null,
    "load": "LoadStateLoaded",
    "partitionsNum": 64,
    "properties": [],
    "shardsNum": 1
  }
}"#;

#[test]
fn parses_the_2_4_shape_with_the_legacy_success_code() {
    let expected = CollectionSchema::new()
        .field(
            FieldSchema::new("id", DataType::VarChar)
                .primary_key(true)
                .max_length(36),
        )
        .field(FieldSchema::new("year", DataType::Int32))
        .field(
            FieldSchema::new("scores", DataType::Array)
                .element_type(DataType::Double)
                .max_capacity(4),
        )
        .field(FieldSchema::new("vector", DataType::FloatVector).dim(8));
    let api = common::replying(200, REPLY_2_4);
    assert_eq!(
        describe(&api, &DescribeCollectionRequest::new("books")),
        expected
    );
    // The same with code 0.
    let api = common::replying(200, &REPLY_2_4.replacen("200", "0", 1));
    assert_eq!(
        describe(&api, &DescribeCollectionRequest::new("books")),
        expected
    );
}

#[test]
fn collection_not_found_is_an_api_error_with_code_100() {
    let body =
        r#"{"code":100,"message":"can't find collection[database=default][collection=nope]"}"#;
    let api = common::replying(200, body);
    let err = api
        .describe_collection(&DescribeCollectionRequest::new("nope"))
        .unwrap_err();
    assert_eq!(err.api_code(), Some(100));
    assert_eq!(err.status(), Some(200));
    match &err {
        Error::Api { message, .. } => assert_eq!(
            message,
            "can't find collection[database=default][collection=nope]"
        ),
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert!(err.to_string().contains("100"), "{err}");
}

#[test]
fn other_failures_are_errors_too() {
    // Auth: HTTP 401 with a code.
    let err = common::replying(
        401,
        r#"{"code":1800,"message":"user hasn't authenticated"}"#,
    )
    .describe_collection(&DescribeCollectionRequest::new("c"))
    .unwrap_err();
    assert_eq!((err.status(), err.api_code()), (Some(401), Some(1800)));
    // A schema the writer cannot use is a decode error naming the problem.
    let bad = json!({"code": 0, "data": {"fields": [{"name": "s", "type": "String"}]}});
    match common::replying(200, &bad.to_string())
        .describe_collection(&DescribeCollectionRequest::new("c"))
        .unwrap_err()
    {
        Error::Decode { reason, .. } => assert!(reason.contains("String"), "{reason}"),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[test]
fn describe_is_retried_like_a_read() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .retry(
            RetryPolicy::default()
                .initial_backoff(std::time::Duration::from_millis(1))
                .max_backoff(std::time::Duration::from_millis(1)),
        )
        .transport(FnTransport::new(move |_| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let (status, body) = if n == 0 {
                (503, "busy")
            } else {
                (200, FULL_EXAMPLE)
            };
            let mut reply = http::Response::new(body.as_bytes().to_vec());
            *reply.status_mut() = http::StatusCode::from_u16(status).unwrap();
            Ok(reply)
        }))
        .build()
        .unwrap();
    assert_eq!(
        describe(&api, &DescribeCollectionRequest::new("docs")),
        full_example_schema()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[cfg(feature = "mock")]
#[test]
fn mock_transport_checks_the_request_and_returns_the_schema() {
    use milvus_bulk_import::MockTransport;

    let mut transport = MockTransport::new();
    transport
        .expect_send()
        .withf(|request| {
            let body: Value = serde_json::from_slice(request.body()).unwrap();
            request.uri().path() == PATH
                && request.headers()["DB-Name"] == "db1"
                && body == json!({"dbName": "db1", "collectionName": "docs"})
        })
        .times(1)
        .returning(|_| Ok(http::Response::new(FULL_EXAMPLE.as_bytes().to_vec())));
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .transport(transport)
        .build()
        .unwrap();
    let schema = describe(&api, &DescribeCollectionRequest::new("docs").db_name("db1"));
    assert_eq!(schema, full_example_schema());
}

// ------------------------------------------------------------------------------- emulator

#[cfg(all(feature = "emulator", feature = "ureq"))]
mod emulator {
    use super::*;
    use milvus_bulk_import::emulator::{Emulator, EmulatorConfig};
    use milvus_bulk_import::{Transport, UreqTransport};

    fn client(emulator: &Emulator, key: &str) -> BulkImportApi {
        BulkImportApi::builder(emulator.url())
            .api_key(key)
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// Every type the writer knows, with params, nullables and defaults.
    fn every_type() -> CollectionSchema {
        CollectionSchema::new()
            .field(
                FieldSchema::new("id", DataType::VarChar)
                    .primary_key(true)
                    .max_length(64),
            )
            .field(
                FieldSchema::new("b", DataType::Bool)
                    .nullable(true)
                    .default_value(json!(false)),
            )
            .field(FieldSchema::new("i8", DataType::Int8).default_value(json!(-8)))
            .field(FieldSchema::new("i16", DataType::Int16).default_value(json!(16)))
            .field(FieldSchema::new("i32", DataType::Int32).default_value(json!(32)))
            .field(FieldSchema::new("i64", DataType::Int64).default_value(json!(42)))
            .field(FieldSchema::new("f", DataType::Float).default_value(json!(1.5)))
            .field(FieldSchema::new("d", DataType::Double).default_value(json!(2.25)))
            .field(
                FieldSchema::new("s", DataType::VarChar)
                    .max_length(16)
                    .default_value(json!("abc")),
            )
            .field(FieldSchema::new("j", DataType::Json).nullable(true))
            .field(
                FieldSchema::new("a", DataType::Array)
                    .element_type(DataType::Int64)
                    .max_capacity(8),
            )
            .field(
                FieldSchema::new("av", DataType::Array)
                    .element_type(DataType::VarChar)
                    .max_capacity(4)
                    .max_length(10)
                    .nullable(true),
            )
            .field(FieldSchema::new("t", DataType::Text))
            .field(FieldSchema::new("g", DataType::Geometry))
            .field(FieldSchema::new("tz", DataType::Timestamptz))
            .field(FieldSchema::new("fv", DataType::FloatVector).dim(4))
            .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16))
            .field(FieldSchema::new("f16", DataType::Float16Vector).dim(2))
            .field(FieldSchema::new("bf16", DataType::BFloat16Vector).dim(2))
            .field(FieldSchema::new("i8v", DataType::Int8Vector).dim(3))
            .field(FieldSchema::new("sv", DataType::SparseFloatVector).function_output(true))
            .enable_dynamic_field(true)
    }

    fn auto_id() -> CollectionSchema {
        CollectionSchema::new()
            .field(
                FieldSchema::new("pk", DataType::Int64)
                    .primary_key(true)
                    .auto_id(true),
            )
            .field(FieldSchema::new("v", DataType::FloatVector).dim(2))
    }

    #[test]
    fn configured_and_created_collections_round_trip() {
        let emulator = Emulator::start(
            EmulatorConfig::milvus()
                .auth("root", "Milvus")
                .collection("all", every_type())
                .collection_in("db1", "auto", auto_id()),
        )
        .unwrap();
        let api = client(&emulator, "root:Milvus");
        assert_eq!(
            describe(&api, &DescribeCollectionRequest::new("all")),
            every_type()
        );
        assert_eq!(
            describe(&api, &DescribeCollectionRequest::new("auto").db_name("db1")),
            auto_id()
        );

        // Created by the test at run time, in a new database too.
        emulator.create_collection("later", auto_id());
        emulator.create_collection_in("db2", "later", every_type());
        assert_eq!(
            describe(&api, &DescribeCollectionRequest::new("later")),
            auto_id()
        );
        assert_eq!(
            describe(
                &api,
                &DescribeCollectionRequest::new("later").db_name("db2")
            ),
            every_type()
        );
        // Creating it again replaces the schema.
        emulator.create_collection("later", every_type());
        assert_eq!(
            describe(&api, &DescribeCollectionRequest::new("later")),
            every_type()
        );
    }

    #[test]
    fn reply_has_the_2_6_shape() {
        let emulator =
            Emulator::start(EmulatorConfig::milvus().collection("all", every_type())).unwrap();
        let reply = client(&emulator, "")
            .describe_collection(&DescribeCollectionRequest::new("all"))
            .unwrap();
        let raw: Value = reply.response().json().unwrap();
        assert_eq!(raw["code"], 0);
        assert_eq!(raw["message"], "index not found[indexName=];");
        let data = &raw["data"];
        assert_eq!(data["collectionName"], "all");
        assert!(data["collectionID"].as_i64().unwrap() > 1 << 53);
        assert_eq!(data["enableDynamicField"], true);
        assert_eq!(data["autoId"], false);
        for key in ["aliases", "functions", "indexes", "properties"] {
            assert_eq!(data[key], json!([]), "{key}");
        }
        assert_eq!(data["load"], "LoadStateNotLoad");
        let fields = data["fields"].as_array().unwrap();
        assert_eq!(fields.len(), every_type().fields.len());
        let by_name = |name: &str| fields.iter().find(|f| f["name"] == name).unwrap();
        assert_eq!(
            by_name("id"),
            &json!({"autoId": false, "clusteringKey": false, "description": "", "id": 100,
                    "name": "id", "nullable": false, "partitionKey": false, "primaryKey": true,
                    "type": "VarChar", "params": [{"key": "max_length", "value": "64"}]})
        );
        assert_eq!(
            by_name("i64")["defaultValue"],
            json!({"Data": {"LongData": 42}})
        );
        assert_eq!(
            by_name("i8")["defaultValue"],
            json!({"Data": {"IntData": -8}})
        );
        assert_eq!(
            by_name("b")["defaultValue"],
            json!({"Data": {"BoolData": false}})
        );
        assert_eq!(
            by_name("f")["defaultValue"],
            json!({"Data": {"FloatData": 1.5}})
        );
        assert_eq!(
            by_name("d")["defaultValue"],
            json!({"Data": {"DoubleData": 2.25}})
        );
        assert_eq!(
            by_name("s")["defaultValue"],
            json!({"Data": {"StringData": "abc"}})
        );
        assert_eq!(by_name("j")["type"], "JSON");
        assert_eq!(by_name("j")["nullable"], true);
        assert_eq!(by_name("av")["elementType"], "VarChar");
        assert_eq!(
            by_name("av")["params"],
            json!([{"key": "max_capacity", "value": "4"}, {"key": "max_length", "value": "10"}])
        );
        assert_eq!(
            by_name("bv")["params"],
            json!([{"key": "dim", "value": "16"}])
        );
        assert_eq!(by_name("sv")["isFunctionOutput"], true);
        assert!(by_name("sv").get("params").is_none());
        assert!(by_name("fv").get("isFunctionOutput").is_none());
        assert!(fields.iter().all(|f| f["name"] != "$meta"));
    }

    /// A raw POST to the describe path, for what the client cannot send.
    fn raw(emulator: &Emulator, body: &str, db_header: Option<&str>) -> (u16, Value) {
        let mut request = http::Request::post(format!("{}{PATH}", emulator.url()));
        if let Some(db) = db_header {
            request = request.header("DB-Name", db);
        }
        let reply = UreqTransport::builder()
            .build()
            .unwrap()
            .send(request.body(body.as_bytes().to_vec()).unwrap())
            .unwrap();
        (
            reply.status().as_u16(),
            serde_json::from_slice(reply.body()).unwrap(),
        )
    }

    #[test]
    fn database_from_body_then_header_then_default() {
        let emulator = Emulator::start(
            EmulatorConfig::milvus()
                .collection("c", auto_id())
                .collection_in("db1", "c", every_type()),
        )
        .unwrap();
        let fields = |v: &Value| v["data"]["fields"].as_array().map_or(0, Vec::len);
        let (status, body) = raw(&emulator, r#"{"collectionName":"c"}"#, None);
        assert_eq!((status, fields(&body)), (200, 2), "default: {body}");
        let (_, body) = raw(&emulator, r#"{"collectionName":"c"}"#, Some("db1"));
        assert_eq!(fields(&body), every_type().fields.len(), "header: {body}");
        let (_, body) = raw(
            &emulator,
            r#"{"collectionName":"c","dbName":"default"}"#,
            Some("db1"),
        );
        assert_eq!(fields(&body), 2, "the body wins over the header: {body}");
    }

    #[test]
    fn unknown_collection_database_and_bad_bodies() {
        let emulator =
            Emulator::start(EmulatorConfig::milvus().collection("c", auto_id())).unwrap();
        let api = client(&emulator, "");
        let err = api
            .describe_collection(&DescribeCollectionRequest::new("x"))
            .unwrap_err();
        assert_eq!(err.api_code(), Some(100));
        match err {
            Error::Api { message, .. } => assert_eq!(
                message,
                "can't find collection[database=default][collection=x]"
            ),
            other => panic!("{other:?}"),
        }
        let err = api
            .describe_collection(&DescribeCollectionRequest::new("c").db_name("nodb"))
            .unwrap_err();
        assert_eq!(err.api_code(), Some(800));

        let (status, body) = raw(&emulator, r#"{"dbName":"default"}"#, None);
        assert_eq!((status, body["code"].as_i64()), (200, Some(1802)), "{body}");
        let (_, body) = raw(&emulator, r#"{"collectionName":5}"#, None);
        assert_eq!(body["code"], 1801, "{body}");
        let (_, body) = raw(&emulator, "", None);
        assert_eq!(body["code"], 1801, "{body}");
    }

    #[test]
    fn auth_applies_and_the_cloud_flavor_answers_too() {
        let emulator = Emulator::start(
            EmulatorConfig::milvus()
                .auth("root", "Milvus")
                .collection("c", auto_id()),
        )
        .unwrap();
        let err = client(&emulator, "root:wrong")
            .describe_collection(&DescribeCollectionRequest::new("c"))
            .unwrap_err();
        assert_eq!((err.status(), err.api_code()), (Some(401), Some(1800)));

        let cloud = Emulator::start(
            EmulatorConfig::cloud()
                .api_key("KEY")
                .collection("c", auto_id()),
        )
        .unwrap();
        assert_eq!(
            describe(&client(&cloud, "KEY"), &DescribeCollectionRequest::new("c")),
            auto_id()
        );
        let err = client(&cloud, "nope")
            .describe_collection(&DescribeCollectionRequest::new("c"))
            .unwrap_err();
        assert_eq!(err.api_code(), Some(21119));
    }

    #[test]
    fn without_collections_describe_is_code_100_and_imports_are_unchanged() {
        let emulator = Emulator::start(EmulatorConfig::milvus()).unwrap();
        let api = client(&emulator, "");
        let err = api
            .describe_collection(&DescribeCollectionRequest::new("books"))
            .unwrap_err();
        assert_eq!(err.api_code(), Some(100));
        // No data root: any path is accepted, as before.
        let created = api
            .bulk_import(
                &milvus_bulk_import::BulkImportRequest::new("books").files([["no/such.file"]]),
            )
            .unwrap();
        assert!(!created.data().job_id.is_empty());
    }
}
