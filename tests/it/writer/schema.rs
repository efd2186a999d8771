//! Schemas: what `build()` refuses (bad schemas, formats that cannot hold the schema, bad
//! settings), and the schemas parsed from a describe reply, from pymilvus `to_dict()` and from type
//! strings.

use super::*;

// ================================================================ schema checks at build()

#[test]
fn build_rejects_bad_schemas() {
    use DataType as T;
    let vec2 = || FieldSchema::new("v", T::FloatVector).dim(2);
    let with = |f: FieldSchema| CollectionSchema::new().field(pk()).field(f);
    let cases: &[(CollectionSchema, &[&str])] = &[
        (CollectionSchema::new(), &["no fields"]),
        (CollectionSchema::new().field(vec2()), &["no primary key"]),
        (
            CollectionSchema::new().field(pk()).field(
                FieldSchema::new("id2", T::VarChar)
                    .max_length(4)
                    .primary_key(true),
            ),
            &["2 primary key fields", "id, id2"],
        ),
        (
            CollectionSchema::new().field(FieldSchema::new("id", T::Float).primary_key(true)),
            &["'id'", "Float", "Int64 or VarChar"],
        ),
        (
            CollectionSchema::new().field(pk().nullable(true)),
            &["cannot be nullable"],
        ),
        (with(FieldSchema::new("v", T::FloatVector)), &["'v'", "dim"]),
        (
            with(FieldSchema::new("v", T::Float16Vector).dim(0)),
            &["dim"],
        ),
        (
            with(FieldSchema::new("b", T::BinaryVector).dim(12)),
            &["dim 12", "multiple of 8"],
        ),
        (
            with(FieldSchema::new("s", T::VarChar)),
            &["'s'", "max_length"],
        ),
        (
            with(FieldSchema::new("a", T::Array).max_capacity(4)),
            &["'a'", "element_type"],
        ),
        (
            with(FieldSchema::new("a", T::Array).element_type(T::Int32)),
            &["max_capacity"],
        ),
        (
            with(
                FieldSchema::new("a", T::Array)
                    .element_type(T::Json)
                    .max_capacity(4),
            ),
            &["element type JSON"],
        ),
        (
            with(
                FieldSchema::new("a", T::Array)
                    .element_type(T::VarChar)
                    .max_capacity(4),
            ),
            &["max_length"],
        ),
        (
            with(FieldSchema::new("n", T::Int32).default_value(json!("seven"))),
            &["'n'", "default value", "integer"],
        ),
        (
            with(FieldSchema::new("n", T::Int8).default_value(json!(300))),
            &["default value 300"],
        ),
        (
            with(FieldSchema::new("b", T::Bool).default_value(json!(1))),
            &["true or false"],
        ),
        (
            with(
                FieldSchema::new("s", T::VarChar)
                    .max_length(2)
                    .default_value(json!("abc")),
            ),
            &["longer than max_length"],
        ),
        (
            with(FieldSchema::new("j", T::Json).default_value(json!({"a": 1}))),
            &["default values on"],
        ),
        (
            with(FieldSchema::new("n", T::Int32).default_value(Value::Null)),
            &["not nullable"],
        ),
        (
            CollectionSchema::new().field(pk()).field(pk()),
            &["2 primary key fields"],
        ),
        (
            with(FieldSchema::new("id", T::Int32)),
            &["'id' is declared twice"],
        ),
        (with(FieldSchema::new("$meta", T::Json)), &["reserved"]),
        (
            with(FieldSchema::new("n", T::Int64).auto_id(true)),
            &["auto_id", "not the primary key"],
        ),
    ];
    for (schema, words) in cases {
        let dir = TempDir::created("bad-schema");
        let target = dir.path().join("out");
        let err = BulkWriter::builder(schema, &target).build().unwrap_err();
        let Error::Schema(msg) = &err else {
            panic!("expected a schema error, got {err:?}");
        };
        for word in words.iter() {
            assert!(msg.contains(word), "{msg:?} should mention {word:?}");
        }
        assert!(!target.exists(), "a failed build creates no directory");
        assert_eq!(schema.check().unwrap_err().to_string(), err.to_string());
    }
}

#[test]
fn build_rejects_formats_that_cannot_hold_the_schema() {
    let dir = TempDir::created("bad-format");
    let array = CollectionSchema::new().field(pk()).field(
        FieldSchema::new("tags", DataType::Array)
            .element_type(DataType::Int32)
            .max_capacity(4),
    );
    let sparse = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("sp", DataType::SparseFloatVector));
    for (schema, name) in [(&array, "tags"), (&sparse, "sp")] {
        let err = build_err(schema, dir.path(), BulkFileType::Numpy);
        assert!(
            matches!(&err, Error::Schema(m) if m.contains(name) && m.contains("NumPy")),
            "{err}"
        );
        // Every other format holds them.
        for ft in [
            BulkFileType::Parquet,
            BulkFileType::Json,
            BulkFileType::Jsonl,
            BulkFileType::Csv,
        ] {
            build(schema, dir.path(), ft);
        }
    }
    // A function output (no column) does not count against NumPy.
    let bm25 = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("sp", DataType::SparseFloatVector).function_output(true));
    build(&bm25, dir.path(), BulkFileType::Numpy);
}

fn build_err(schema: &CollectionSchema, dir: &Path, ft: BulkFileType) -> Error {
    builder(schema, dir, ft).build().unwrap_err()
}

#[test]
fn build_rejects_bad_settings() {
    let dir = TempDir::created("bad-settings");
    let schema = CollectionSchema::new().field(pk());
    for sep in ['"', '\n', '\r', '\0'] {
        let err = builder(&schema, dir.path(), BulkFileType::Csv)
            .csv_separator(sep)
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("separator")),
            "{err}"
        );
    }
    let err = builder(&schema, dir.path(), BulkFileType::Csv)
        .csv_separator(';')
        .csv_null_key("a;b")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("null key")),
        "{err}"
    );
    let err = builder(&schema, dir.path(), BulkFileType::Json)
        .chunk_size(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("chunk_size")),
        "{err}"
    );
    // The CSV settings do not matter for other formats.
    builder(&schema, dir.path(), BulkFileType::Json)
        .csv_separator('"')
        .build()
        .unwrap();
}

// ================================================================ schema parsing

/// collections-describe.md §7: a 2.5/2.6 `collections/describe` reply.
const DESCRIBE_REPLY: &str = r#"{
  "code": 0,
  "data": {
    "aliases": ["docs_alias"],
    "autoId": true,
    "collectionID": 457295835212750301,
    "collectionName": "docs",
    "consistencyLevel": "Bounded",
    "description": "all types",
    "enableDynamicField": true,
    "fields": [
      {"autoId": true,  "clusteringKey": false, "description": "", "id": 100, "name": "pk",
       "nullable": false, "partitionKey": false, "primaryKey": true,  "type": "Int64"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 101, "name": "f_bool",
       "nullable": true, "partitionKey": false, "primaryKey": false, "type": "Bool",
       "defaultValue": {"Data": {"BoolData": true}}},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 102, "name": "f_i8",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Int8"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 103, "name": "f_i16",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Int16"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 104, "name": "f_i32",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Int32",
       "defaultValue": {"Data": {"IntData": 7}}},
      {"autoId": false, "clusteringKey": true,  "description": "", "id": 105, "name": "f_i64",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Int64"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 106, "name": "f_float",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Float"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 107, "name": "f_double",
       "nullable": true, "partitionKey": false, "primaryKey": false, "type": "Double"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 108, "name": "tenant",
       "nullable": false, "partitionKey": true, "primaryKey": false, "type": "VarChar",
       "params": [{"key": "max_length", "value": "64"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 109, "name": "text",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "VarChar",
       "params": [{"key": "max_length", "value": "8192"},
                  {"key": "enable_analyzer", "value": "true"},
                  {"key": "analyzer_params", "value": "{\"type\":\"english\"}"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 110, "name": "tags",
       "nullable": true, "partitionKey": false, "primaryKey": false, "type": "Array",
       "elementType": "VarChar",
       "params": [{"key": "max_capacity", "value": "16"}, {"key": "max_length", "value": "32"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 111, "name": "meta",
       "nullable": true, "partitionKey": false, "primaryKey": false, "type": "JSON"},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 112, "name": "dense",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "FloatVector",
       "params": [{"key": "dim", "value": "768"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 113, "name": "dense_f16",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Float16Vector",
       "params": [{"key": "dim", "value": "128"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 114, "name": "dense_bf16",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "BFloat16Vector",
       "params": [{"key": "dim", "value": "128"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 115, "name": "bin",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "BinaryVector",
       "params": [{"key": "dim", "value": "256"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 116, "name": "i8v",
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "Int8Vector",
       "params": [{"key": "dim", "value": "64"}]},
      {"autoId": false, "clusteringKey": false, "description": "", "id": 117, "name": "sparse",
       "isFunctionOutput": true,
       "nullable": false, "partitionKey": false, "primaryKey": false, "type": "SparseFloatVector"}
    ],
    "functions": [
      {"description": "", "id": 100, "inputFieldNames": ["text"], "name": "bm25_fn",
       "outputFieldNames": ["sparse"], "params": null, "type": 1}
    ],
    "indexes": [{"fieldName": "dense", "indexName": "dense", "metricType": "COSINE"}],
    "load": "LoadStateNotLoad",
    "partitionsNum": 16,
    "properties": [{"key": "collection.ttl.seconds", "value": "86400"}],
    "shardsNum": 1
  },
  "message": ""
}"#;

#[test]
fn parses_the_describe_reply() {
    let schema = CollectionSchema::from_json(DESCRIBE_REPLY).unwrap();
    schema.check().unwrap();
    assert!(schema.enable_dynamic_field);
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pk",
            "f_bool",
            "f_i8",
            "f_i16",
            "f_i32",
            "f_i64",
            "f_float",
            "f_double",
            "tenant",
            "text",
            "tags",
            "meta",
            "dense",
            "dense_f16",
            "dense_bf16",
            "bin",
            "i8v",
            "sparse"
        ]
    );
    let f = |name: &str| schema.get_field(name).unwrap();

    let pk = schema.primary_field().unwrap();
    assert_eq!((pk.name.as_str(), pk.data_type), ("pk", DataType::Int64));
    assert!(pk.auto_id);
    assert_eq!(f("f_bool").data_type, DataType::Bool);
    assert!(f("f_bool").nullable);
    assert_eq!(f("f_bool").default_value, Some(json!(true)));
    assert_eq!(f("f_i32").default_value, Some(json!(7)));
    assert!(!f("f_i32").nullable);
    assert_eq!(f("f_i64").default_value, None);
    assert!(f("f_double").nullable);
    assert_eq!(f("tenant").max_length, Some(64));
    assert_eq!(f("text").max_length, Some(8192));
    let tags = f("tags");
    assert_eq!(tags.data_type, DataType::Array);
    assert_eq!(tags.element_type, Some(DataType::VarChar));
    assert_eq!((tags.max_capacity, tags.max_length), (Some(16), Some(32)));
    assert!(tags.nullable);
    assert_eq!(f("meta").data_type, DataType::Json);
    assert_eq!(f("dense").dim, Some(768));
    assert_eq!(
        (f("dense_f16").data_type, f("dense_f16").dim),
        (DataType::Float16Vector, Some(128))
    );
    assert_eq!(
        (f("dense_bf16").data_type, f("dense_bf16").dim),
        (DataType::BFloat16Vector, Some(128))
    );
    assert_eq!(f("bin").dim, Some(256));
    assert_eq!(
        (f("i8v").data_type, f("i8v").dim),
        (DataType::Int8Vector, Some(64))
    );
    assert_eq!(f("sparse").data_type, DataType::SparseFloatVector);
    assert!(f("sparse").function_output);
    let outputs: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.function_output)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(outputs, ["sparse"]);

    // The `data` object alone, and serde, give the same schema.
    let reply: Value = v(DESCRIBE_REPLY);
    assert_eq!(
        CollectionSchema::from_value(&reply["data"]).unwrap(),
        schema
    );
    let via_serde: CollectionSchema = serde_json::from_str(DESCRIBE_REPLY).unwrap();
    assert_eq!(via_serde, schema);

    // Without `isFunctionOutput` (older servers), `functions[].outputFieldNames` still marks it.
    let without = DESCRIBE_REPLY.replace("\"isFunctionOutput\": true,", "");
    assert_ne!(without, DESCRIBE_REPLY);
    let parsed = CollectionSchema::from_json(&without).unwrap();
    assert!(parsed.get_field("sparse").unwrap().function_output);
}

/// A row for the describe example's collection (auto-id `pk` and BM25 `sparse` left out;
/// `f_bool`, `f_i32` defaulted; `f_double`, `tags`, `meta` null).
fn describe_row() -> Value {
    json!({
        "f_i8": 1, "f_i16": 2, "f_i64": 4, "f_float": 1.5, "tenant": "acme",
        "text": "hello world", "dense": vec![0.5f32; 768], "dense_f16": vec![0.5f32; 128],
        "dense_bf16": vec![0.5f32; 128], "bin": vec![1u8; 256], "i8v": vec![-1i8; 64],
        "color": "red"
    })
}

#[test]
fn writer_from_describe_schema_leaves_out_generated_fields() {
    let dir = TempDir::created("describe-writer");
    let schema = CollectionSchema::from_json(DESCRIBE_REPLY).unwrap();
    let mut w = build(&schema, dir.path(), BulkFileType::Parquet);
    w.append_row(&describe_row()).unwrap();
    let mut with_pk = describe_row();
    with_pk["pk"] = json!(5);
    let err = w.append_row(&with_pk).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRow { row: 1, field: Some(f), reason } if f == "pk" && reason.contains("auto-id")),
        "{err}"
    );
    let mut with_sparse = describe_row();
    with_sparse["sparse"] = json!({"1": 0.5});
    let err = w.append_row(&with_sparse).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRow { row: 2, field: Some(f), reason } if f == "sparse" && reason.contains("function")),
        "{err}"
    );
    let mut null_pk = describe_row();
    null_pk["pk"] = Value::Null; // a null auto-id key is the same as leaving it out
    w.append_row(&null_pk).unwrap();
    w.commit().unwrap();

    let pq = read_parquet(Path::new(&w.batch_files()[0][0]));
    assert_eq!(
        pq.names(),
        [
            "f_bool",
            "f_i8",
            "f_i16",
            "f_i32",
            "f_i64",
            "f_float",
            "f_double",
            "tenant",
            "text",
            "tags",
            "meta",
            "dense",
            "dense_f16",
            "dense_bf16",
            "bin",
            "i8v",
            "$meta"
        ]
    );
    assert_eq!(pq.rows.len(), 2);
    assert_eq!(pq.col("f_bool"), [json!(true), json!(true)]);
    assert_eq!(pq.col("f_i32"), [json!(7), json!(7)]);
    for name in ["f_double", "tags", "meta"] {
        assert_eq!(pq.col(name), [Value::Null, Value::Null], "{name}");
    }
    assert_eq!(pq.col("$meta")[0], json!(r#"{"color": "red"}"#));
    assert_eq!(pq.arrow_type("tags"), &list_of(ArrowType::Utf8));
    assert_eq!(f32_list(&pq.col("dense")[0]).len(), 768);
    assert_eq!(pq.col("dense_f16")[0].as_array().unwrap().len(), 256);
    assert_eq!(pq.col("bin")[0], json!(vec![255u8; 32]));
}

#[test]
fn parses_pymilvus_to_dict() {
    let text = r#"{
        "auto_id": false, "description": "", "enable_dynamic_field": true,
        "fields": [
            {"name": "id", "description": "", "type": 5, "is_primary": true, "auto_id": false},
            {"name": "title", "description": "", "type": 21, "params": {"max_length": 256}},
            {"name": "text", "description": "", "type": 21,
             "params": {"max_length": 1000, "enable_analyzer": true,
                        "analyzer_params": "{\"type\": \"english\"}"}},
            {"name": "tags", "description": "", "type": 22, "element_type": 21, "nullable": true,
             "params": {"max_length": 32, "max_capacity": 8}},
            {"name": "n", "description": "", "type": 4, "default_value": 5},
            {"name": "v", "description": "", "type": 101, "params": {"dim": 8}},
            {"name": "h", "description": "", "type": 102, "params": {"dim": "4"}},
            {"name": "sp", "description": "", "type": 104, "is_function_output": true},
            {"name": "$meta", "description": "", "type": 23, "is_dynamic": true}
        ],
        "functions": [{"name": "bm25", "description": "", "type": 1,
                       "input_field_names": ["text"], "output_field_names": ["sp"],
                       "params": {}}]
    }"#;
    let schema = CollectionSchema::from_json(text).unwrap();
    let want = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("title", DataType::VarChar).max_length(256))
        .field(FieldSchema::new("text", DataType::VarChar).max_length(1000))
        .field(
            FieldSchema::new("tags", DataType::Array)
                .element_type(DataType::VarChar)
                .max_length(32)
                .max_capacity(8)
                .nullable(true),
        )
        .field(FieldSchema::new("n", DataType::Int32).default_value(json!(5)))
        .field(FieldSchema::new("v", DataType::FloatVector).dim(8))
        .field(FieldSchema::new("h", DataType::Float16Vector).dim(4))
        .field(FieldSchema::new("sp", DataType::SparseFloatVector).function_output(true))
        .enable_dynamic_field(true);
    assert_eq!(schema, want, "the hidden $meta field is not a field");
    schema.check().unwrap();
}

#[test]
fn parses_sized_type_strings() {
    let text = r#"{"collectionName": "old", "fields": [
        {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
        {"name": "v", "type": "FloatVector(5)"},
        {"name": "s", "type": "VarChar(16)"}
    ]}"#;
    let schema = CollectionSchema::from_json(text).unwrap();
    let want = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("v", DataType::FloatVector).dim(5))
        .field(FieldSchema::new("s", DataType::VarChar).max_length(16));
    assert_eq!(schema, want);
    assert!(!schema.enable_dynamic_field);
}

#[test]
fn schema_parse_errors_are_schema_errors() {
    let cases: &[(&str, &[&str])] = &[
        ("not json", &["not JSON"]),
        ("[1]", &["object"]),
        (r#"{"collectionName": "x"}"#, &["fields"]),
        (
            r#"{"fields": [{"name": "s", "type": "String"}]}"#,
            &["'s'", "String"],
        ),
        (r#"{"fields": [{"type": "Int64"}]}"#, &["name"]),
        (
            r#"{"fields": [{"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "x"}]}]}"#,
            &["'v'", "dim"],
        ),
    ];
    for (text, words) in cases {
        let err = CollectionSchema::from_json(text).unwrap_err();
        let Error::Schema(msg) = &err else {
            panic!("{err:?}")
        };
        for word in words.iter() {
            assert!(msg.contains(word), "{msg:?} should mention {word:?}");
        }
    }
}

#[test]
fn field_names_and_csv_null_keys_that_would_go_wrong_are_refused() {
    for name in ["../x", "/tmp/x", "a b", "9lives", ""] {
        let schema = CollectionSchema::new()
            .field(pk())
            .field(FieldSchema::new(name, DataType::Int32));
        let dir = TempDir::created("bad-name");
        let err = builder(&schema, dir.path(), BulkFileType::Numpy)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Schema(_)), "{name:?}: {err:?}");
    }
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("n", DataType::Int32).nullable(true));
    let dir = TempDir::created("csv-null-key");
    for key in ["0", "True", "[]", "1.5"] {
        let err = builder(&schema, dir.path(), BulkFileType::Csv)
            .csv_null_key(key)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{key:?}: {err:?}");
    }
    assert!(builder(&schema, dir.path(), BulkFileType::Csv)
        .csv_null_key("NULL")
        .build()
        .is_ok());
}
