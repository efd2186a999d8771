//! Rows as serde structs (mixed with maps in one file), and the dynamic field: keys outside the
//! schema merged with `$meta`, in every format.

use super::*;

// ================================================================ the dynamic field

#[test]
fn dynamic_keys_merge_with_meta_later_keys_win() {
    let dir = TempDir::created("dynamic");
    let schema = one_field("v", FieldSchema::new("v", DataType::FloatVector).dim(1))
        .enable_dynamic_field(true);
    let mut w = build(&schema, dir.path(), BulkFileType::Jsonl);
    let v1 = json!([0.5]);
    let rows = [
        Ordered(vec![
            ("id", json!(1)),
            ("v", v1.clone()),
            ("$meta", json!({"a": 1, "b": 1})),
            ("a", json!(2)),
        ]),
        Ordered(vec![
            ("id", json!(2)),
            ("a", json!(2)),
            ("v", v1.clone()),
            ("$meta", json!({"a": 1})),
        ]),
        Ordered(vec![("id", json!(3)), ("v", v1.clone())]),
        Ordered(vec![
            ("z", json!(1)),
            ("id", json!(4)),
            ("b", json!([1, "x", null])),
            ("v", v1.clone()),
            ("$meta", Value::Null),
        ]),
    ];
    let path = write_one_file(&mut w, &rows);
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // `$meta` is the last column, and keeps the row's key order.
    assert_eq!(
        lines,
        [
            r#"{"id": 1, "v": [0.5], "$meta": {"a": 2, "b": 1}}"#,
            r#"{"id": 2, "v": [0.5], "$meta": {"a": 1}}"#,
            r#"{"id": 3, "v": [0.5], "$meta": {}}"#,
            r#"{"id": 4, "v": [0.5], "$meta": {"z": 1, "b": [1, "x", null]}}"#,
        ]
    );
}

#[test]
fn dynamic_field_in_every_format() {
    let schema = one_field("s", FieldSchema::new("s", DataType::VarChar).max_length(8))
        .enable_dynamic_field(true);
    let rows = [
        json!({"id": 1, "s": "a", "k": "é"}),
        json!({"id": 2, "s": "b"}),
    ];
    let want = [json!({"k": "é"}), json!({})];
    for ft in [
        BulkFileType::Parquet,
        BulkFileType::Json,
        BulkFileType::Jsonl,
        BulkFileType::Csv,
        BulkFileType::Numpy,
    ] {
        let dir = TempDir::created("dynamic-formats");
        let mut w = build(&schema, dir.path(), ft);
        for row in &rows {
            w.append_row(row).unwrap();
        }
        w.commit().unwrap();
        let files = w.batch_files();
        let path = PathBuf::from(files[0].last().unwrap());
        let meta: Vec<Value> = match ft {
            BulkFileType::Parquet => {
                let pq = read_parquet(&path);
                assert_eq!(pq.names(), ["id", "s", DYNAMIC_FIELD_NAME]);
                pq.col("$meta")
                    .iter()
                    .map(|c| v(c.as_str().unwrap()))
                    .collect()
            }
            BulkFileType::Json => col_of(&read_json(&path), "$meta"),
            BulkFileType::Jsonl => col_of(&read_jsonl(&path), "$meta"),
            BulkFileType::Csv => {
                let csv = read_csv(&path, ',');
                assert_eq!(csv.header, ["id", "s", "$meta"]);
                csv.col("$meta").iter().map(|c| v(c)).collect()
            }
            BulkFileType::Numpy => {
                assert!(path.ends_with("1/$meta.npy"), "{path:?}");
                read_npy(&path).strings().iter().map(|c| v(c)).collect()
            }
            _ => unreachable!(),
        };
        assert_eq!(meta, want, "{ft:?}");
    }
}

// ================================================================ serde structs as rows

#[derive(Serialize)]
struct Book {
    id: i64,
    title: String,
    score: Option<f32>,
    tags: Vec<String>,
    vector: [f32; 4],
    bits: Bytes,
    half: Bytes,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
    info: BTreeMap<String, i32>,
    #[serde(rename = "$meta")]
    extra: BTreeMap<&'static str, Value>,
}

fn book_schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("title", DataType::VarChar).max_length(32))
        .field(FieldSchema::new("score", DataType::Float).nullable(true))
        .field(
            FieldSchema::new("tags", DataType::Array)
                .element_type(DataType::VarChar)
                .max_capacity(4)
                .max_length(8),
        )
        .field(FieldSchema::new("vector", DataType::FloatVector).dim(4))
        .field(FieldSchema::new("bits", DataType::BinaryVector).dim(16))
        .field(FieldSchema::new("half", DataType::Float16Vector).dim(2))
        .field(FieldSchema::new("year", DataType::Int32).default_value(json!(2000)))
        .field(FieldSchema::new("info", DataType::Json))
        .enable_dynamic_field(true)
}

fn books() -> Vec<Book> {
    vec![
        Book {
            id: 1,
            title: "Dune".into(),
            score: Some(4.5),
            tags: vec!["sf".into(), "classic".into()],
            vector: [0.1, 0.2, 0.3, 0.4],
            bits: Bytes(vec![0xA1, 0xFF]),
            half: Bytes(vec![102, 46, 0, 192]), // f16 0.1, -2.0
            year: Some(1965),
            info: [("pages".to_string(), 412)].into(),
            extra: [("lang", json!("en"))].into(),
        },
        Book {
            id: 2,
            title: "Untitled".into(),
            score: None,
            tags: vec![],
            vector: [0.0; 4],
            bits: Bytes(vec![0, 0]),
            half: Bytes(vec![0, 0, 0, 60]), // 0.0, 1.0
            year: None,
            info: BTreeMap::new(),
            extra: BTreeMap::new(),
        },
    ]
}

#[test]
fn struct_rows_to_parquet() {
    let dir = TempDir::created("struct-parquet");
    let mut w = build(&book_schema(), dir.path(), BulkFileType::Parquet);
    let pq = read_parquet(&write_one_file(&mut w, &books()));
    assert_eq!(pq.col("id"), [json!(1), json!(2)]);
    assert_eq!(pq.col("title"), [json!("Dune"), json!("Untitled")]);
    assert_eq!(pq.col("score"), [json!(4.5), Value::Null]);
    assert_eq!(pq.col("tags"), [json!(["sf", "classic"]), json!([])]);
    assert_eq!(
        f32_lists(&pq.col("vector")),
        [vec![0.1f32, 0.2, 0.3, 0.4], vec![0.0; 4]]
    );
    assert_eq!(pq.col("bits"), [json!([161, 255]), json!([0, 0])]);
    assert_eq!(
        pq.col("half"),
        [json!([102, 46, 0, 192]), json!([0, 0, 0, 60])]
    );
    assert_eq!(pq.col("year"), [json!(1965), json!(2000)]);
    assert_eq!(pq.col("info"), [json!(r#"{"pages": 412}"#), json!("{}")]);
    assert_eq!(pq.col("$meta"), [json!(r#"{"lang": "en"}"#), json!("{}")]);
}

#[test]
fn struct_rows_to_json() {
    let dir = TempDir::created("struct-json");
    let mut w = build(&book_schema(), dir.path(), BulkFileType::Json);
    let rows = read_json(&write_one_file(&mut w, &books()));
    assert_eq!(col_of(&rows, "score"), [json!(4.5), Value::Null]);
    assert_eq!(col_of(&rows, "bits"), [json!([161, 255]), json!([0, 0])]);
    // Half-float bytes are written as the numbers they hold.
    assert_eq!(
        f32_lists(&col_of(&rows, "half")),
        [vec![f16(0.1), -2.0], vec![0.0, 1.0]]
    );
    assert_eq!(
        f32_lists(&col_of(&rows, "vector"))[0],
        [0.1f32, 0.2, 0.3, 0.4]
    );
    assert_eq!(col_of(&rows, "year"), [json!(1965), json!(2000)]);
    assert_eq!(col_of(&rows, "info"), [json!({"pages": 412}), json!({})]);
    assert_eq!(col_of(&rows, "$meta"), [json!({"lang": "en"}), json!({})]);
}

#[test]
fn struct_and_map_rows_mix_in_one_file() {
    let dir = TempDir::created("struct-mix");
    let mut w = build(&book_schema(), dir.path(), BulkFileType::Jsonl);
    w.append_row(&books()[0]).unwrap();
    let as_map = json!({"id": 3, "title": "Map", "tags": ["x"], "vector": [1, 2, 3, 4],
                        "bits": [1,1,1,1,1,1,1,1, 0,0,0,0,0,0,0,0], "half": [0.5, 0.25],
                        "info": {"a": 1}});
    w.append_row(&as_map).unwrap();
    let mut hm = std::collections::HashMap::new();
    hm.insert("id".to_string(), json!(4));
    hm.insert("title".to_string(), json!("HashMap"));
    hm.insert("tags".to_string(), json!([]));
    hm.insert("vector".to_string(), json!([0.0, 0.0, 0.0, 0.0]));
    hm.insert("bits".to_string(), json!(vec![0; 16]));
    hm.insert("half".to_string(), json!([0.0, 0.0]));
    hm.insert("info".to_string(), json!([1]));
    w.append_row(&hm).unwrap();
    let rows = read_jsonl(&write_one_file::<Value>(&mut w, &[]));
    assert_eq!(col_of(&rows, "id"), [json!(1), json!(3), json!(4)]);
    assert_eq!(col_of(&rows, "bits")[1], json!([255, 0]));
    assert_eq!(col_of(&rows, "info")[2], json!("[1]"));
}
