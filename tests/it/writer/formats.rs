//! Every type in every text and Parquet format: JSON, JSONL and CSV (separator, null key) read back
//! with serde_json and a small CSV parser, Parquet with arrow-rs (types, float16 forms, nullable
//! vectors, row groups); the JSON field, nullable float16 vectors and binary-vector forms.

use super::*;

const ALL_COLUMNS: [&str; 25] = [
    "id", "b", "i8", "i16", "i32", "i64", "f", "d", "s", "t", "g", "tz", "j", "arr_i", "arr_s",
    "fv", "bv", "hv", "bfv", "i8v", "sp", "dflt", "dflt_s", "nb", "$meta",
];

const POW60_PLUS_1: i64 = (1 << 60) + 1;

/// JSON and JSONL files hold the same values.
fn check_all_types_json_rows(rows: &[Map<String, Value>]) {
    assert_eq!(rows.len(), 3);
    for r in rows {
        let mut keys: Vec<&str> = r.keys().map(String::as_str).collect();
        let mut want = ALL_COLUMNS.to_vec();
        keys.sort();
        want.sort();
        assert_eq!(keys, want, "every column is in every row");
    }
    let col = |name: &str| col_of(rows, name);
    assert_eq!(col("id"), [json!(1), json!(2), json!(3)]);
    assert_eq!(col("b"), [json!(true), json!(false), json!(true)]);
    assert_eq!(col("i8"), [json!(-128), json!(127), json!(0)]);
    assert_eq!(col("i16"), [json!(32767), json!(-32768), json!(0)]);
    assert_eq!(col("i32"), [json!(i32::MIN), json!(i32::MAX), json!(0)]);
    assert_eq!(
        col("i64"),
        [json!(i64::MAX), Value::Null, json!(POW60_PLUS_1)]
    );
    assert_eq!(f32_list(&json!(col("f"))), [0.1f32, 1.0, -0.5]);
    assert_eq!(col("d"), [json!(0.1), json!(-2.5), json!(1e300)]);
    assert_eq!(col("s"), [json!("héllo, \"w\""), json!(""), json!("x")]);
    assert_eq!(col("t"), [json!("line1\nline2"), json!(""), json!("ü")]);
    assert_eq!(
        col("g"),
        [json!("POINT (1 2)"), json!(""), json!("POINT (0 0)")]
    );
    assert_eq!(
        col("tz"),
        [
            json!("2025-01-02T03:04:05Z"),
            json!(""),
            json!("2025-01-01T00:00:00+08:00")
        ]
    );
    // An object stays an object; other JSON values are written as strings holding their JSON.
    assert_eq!(
        col("j"),
        [json!({"k": [1, "é"]}), Value::Null, json!("[1, 2]")]
    );
    assert_eq!(col("arr_i"), [json!([1, -2, 3]), json!([]), json!([7])]);
    assert_eq!(col("arr_s"), [json!(["a", "b,c"]), Value::Null, json!([])]);
    assert_eq!(
        f32_lists(&col("fv")),
        [vec![0.1f32, -1.5, 3.0], vec![0.0; 3], vec![1.0, 2.0, 3.0]]
    );
    assert_eq!(
        col("bv"),
        [json!([161, 255]), json!([0, 0]), json!([15, 240])]
    );
    // Half floats are written as the numbers they hold after rounding.
    assert_eq!(
        f32_lists(&col("hv")),
        [vec![f16(0.1), -2.0], vec![0.0; 2], vec![65504.0, -0.5]]
    );
    assert_eq!(
        f32_lists(&col("bfv")),
        [vec![bf16(0.1), 1.0], vec![0.0; 2], vec![-1.0, bf16(3e38)]]
    );
    assert_eq!(
        col("i8v"),
        [json!([-128, 0, 127]), json!([0, 0, 0]), json!([1, -1, 0])]
    );
    assert_eq!(
        col("sp"),
        [
            json!({"1": 0.5, "100": 0.25}),
            Value::Null,
            json!({"indices": [3, 4], "values": [0.1, 0.2]})
        ]
    );
    assert_eq!(col("dflt"), [json!(9), json!(42), json!(42)]);
    assert_eq!(
        col("dflt_s"),
        [json!("given"), json!("dflt"), json!("dflt")]
    );
    assert_eq!(col("nb"), [json!(false), Value::Null, json!(true)]);
    assert_eq!(
        col("$meta"),
        [json!({"extra": {"x": 1}}), json!({}), json!({})]
    );
}

/// Keys of every line / row appear in column order (serde_json maps are sorted, so check the
/// raw text).
fn assert_key_order(text: &str, keys: &[&str]) {
    let mut last = 0;
    for key in keys {
        let needle = format!("\"{key}\": ");
        let at = text[last..]
            .find(&needle)
            .unwrap_or_else(|| panic!("{key} missing or out of order in {text}"));
        last += at + needle.len();
    }
}

#[test]
fn json_file_holds_every_type() {
    let dir = TempDir::created("json-all");
    let mut w = build(&all_types_schema(), dir.path(), BulkFileType::Json);
    let path = write_one_file(&mut w, &all_types_rows());
    assert_eq!(path, w.data_path().join("1.json"));
    check_all_types_json_rows(&read_json(&path));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.is_ascii(), "json.dumps escapes non-ASCII");
    for row in text.split("\n    }").filter(|r| r.contains("\"id\"")) {
        assert_key_order(row, &ALL_COLUMNS);
    }
}

#[test]
fn jsonl_file_holds_every_type() {
    let dir = TempDir::created("jsonl-all");
    let mut w = build(&all_types_schema(), dir.path(), BulkFileType::Jsonl);
    let path = write_one_file(&mut w, &all_types_rows());
    assert_eq!(path, w.data_path().join("1.jsonl"));
    check_all_types_json_rows(&read_jsonl(&path));
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        assert_key_order(line, &ALL_COLUMNS);
    }
}

#[test]
fn csv_file_holds_every_type() {
    let dir = TempDir::created("csv-all");
    let mut w = build(&all_types_schema(), dir.path(), BulkFileType::Csv);
    let path = write_one_file(&mut w, &all_types_rows());
    assert_eq!(path, w.data_path().join("1.csv"));
    let csv = read_csv(&path, ',');
    assert_eq!(csv.header, ALL_COLUMNS);
    assert_eq!(csv.rows.len(), 3);
    let json_cells = |name: &str| -> Vec<Value> {
        csv.col(name)
            .iter()
            .map(|c| if c.is_empty() { Value::Null } else { v(c) })
            .collect()
    };
    assert_eq!(csv.col("id"), ["1", "2", "3"]);
    assert_eq!(csv.col("b"), ["True", "False", "True"]);
    assert_eq!(csv.col("i8"), ["-128", "127", "0"]);
    assert_eq!(csv.col("i16"), ["32767", "-32768", "0"]);
    assert_eq!(csv.col("i32"), ["-2147483648", "2147483647", "0"]);
    // A null is the null key (empty by default); 2^60+1 stays exact.
    assert_eq!(
        csv.col("i64"),
        ["9223372036854775807", "", "1152921504606846977"]
    );
    assert_eq!(csv.col("f"), ["0.1", "1.0", "-0.5"]);
    assert_eq!(csv.col("d"), ["0.1", "-2.5", "1e+300"]);
    assert_eq!(csv.col("s"), ["héllo, \"w\"", "", "x"]);
    assert_eq!(csv.col("t"), ["line1\nline2", "", "ü"]);
    assert_eq!(csv.col("g"), ["POINT (1 2)", "", "POINT (0 0)"]);
    assert_eq!(
        csv.col("tz"),
        ["2025-01-02T03:04:05Z", "", "2025-01-01T00:00:00+08:00"]
    );
    assert_eq!(
        json_cells("j"),
        [json!({"k": [1, "é"]}), Value::Null, json!([1, 2])]
    );
    assert_eq!(csv.col("arr_i"), ["[1, -2, 3]", "[]", "[7]"]);
    assert_eq!(
        json_cells("arr_s"),
        [json!(["a", "b,c"]), Value::Null, json!([])]
    );
    assert_eq!(
        f32_lists(&json_cells("fv")),
        [vec![0.1f32, -1.5, 3.0], vec![0.0; 3], vec![1.0, 2.0, 3.0]]
    );
    assert_eq!(csv.col("bv"), ["[161, 255]", "[0, 0]", "[15, 240]"]);
    assert_eq!(
        f32_lists(&json_cells("hv")),
        [vec![f16(0.1), -2.0], vec![0.0; 2], vec![65504.0, -0.5]]
    );
    assert_eq!(
        f32_lists(&json_cells("bfv")),
        [vec![bf16(0.1), 1.0], vec![0.0; 2], vec![-1.0, bf16(3e38)]]
    );
    assert_eq!(
        csv.col("i8v"),
        ["[-128, 0, 127]", "[0, 0, 0]", "[1, -1, 0]"]
    );
    assert_eq!(
        json_cells("sp"),
        [
            json!({"1": 0.5, "100": 0.25}),
            Value::Null,
            json!({"indices": [3, 4], "values": [0.1, 0.2]})
        ]
    );
    assert_eq!(csv.col("dflt"), ["9", "42", "42"]);
    assert_eq!(csv.col("dflt_s"), ["given", "dflt", "dflt"]);
    assert_eq!(csv.col("nb"), ["False", "", "True"]);
    assert_eq!(
        json_cells("$meta"),
        [json!({"extra": {"x": 1}}), json!({}), json!({})]
    );
}

#[test]
fn csv_separator_and_null_key() {
    let dir = TempDir::created("csv-sep");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(
            FieldSchema::new("s", DataType::VarChar)
                .max_length(8)
                .nullable(true),
        )
        .field(FieldSchema::new("n", DataType::Int32).nullable(true))
        .field(FieldSchema::new("v", DataType::FloatVector).dim(2));
    let mut w = builder(&schema, dir.path(), BulkFileType::Csv)
        .csv_separator('\t')
        .csv_null_key("NULL")
        .build()
        .unwrap();
    // With null key "NULL", an empty string is a value, and "NULL" itself would read as null.
    let err = w
        .append_row(&json!({"id": 9, "s": "NULL", "n": 1, "v": [1.0, 2.0]}))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRow { row: 0, field: Some(f), reason } if f == "s" && reason.contains("null key")),
        "{err}"
    );
    let rows = [
        json!({"id": 1, "s": "a,b", "n": null, "v": [1.0, 2.0]}),
        json!({"id": 2, "s": "", "v": [0.5, 0.25]}),
    ];
    let path = write_one_file(&mut w, &rows);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().next(), Some("id\ts\tn\tv"));
    let csv = read_csv(&path, '\t');
    assert_eq!(csv.col("id"), ["1", "2"]);
    assert_eq!(csv.col("s"), ["a,b", ""]);
    assert_eq!(csv.col("n"), ["NULL", "NULL"]);
    assert_eq!(csv.col("v"), ["[1.0, 2.0]", "[0.5, 0.25]"]);
    assert!(
        text.contains("1\ta,b\tNULL\t"),
        "no quotes needed: {text:?}"
    );
}

#[test]
fn csv_rejects_empty_string_in_nullable_field_with_default_null_key() {
    let dir = TempDir::created("csv-empty");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(
            FieldSchema::new("s", DataType::VarChar)
                .max_length(8)
                .nullable(true),
        )
        .field(FieldSchema::new("t", DataType::VarChar).max_length(8));
    let mut w = build(&schema, dir.path(), BulkFileType::Csv);
    let err = w
        .append_row(&json!({"id": 1, "s": "", "t": ""}))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRow { field: Some(f), .. } if f == "s"),
        "{err}"
    );
    // A non-nullable field may hold "" (Milvus reads it as an empty string there).
    let path = write_one_file(&mut w, &[json!({"id": 2, "s": "x", "t": ""})]);
    let csv = read_csv(&path, ',');
    assert_eq!(csv.col("t"), [""]);
}

#[test]
fn parquet_file_holds_every_type() {
    let dir = TempDir::created("parquet-all");
    let mut w = build(&all_types_schema(), dir.path(), BulkFileType::Parquet);
    let path = write_one_file(&mut w, &all_types_rows());
    assert_eq!(path, w.data_path().join("1.parquet"));
    let pq = read_parquet(&path);

    // Arrow types: pymilvus's, every field nullable, list children named "element".
    use ArrowType as A;
    let want: Vec<(&str, ArrowType)> = vec![
        ("id", A::Int64),
        ("b", A::Boolean),
        ("i8", A::Int8),
        ("i16", A::Int16),
        ("i32", A::Int32),
        ("i64", A::Int64),
        ("f", A::Float32),
        ("d", A::Float64),
        ("s", A::Utf8),
        ("t", A::Utf8),
        ("g", A::Utf8),
        ("tz", A::Utf8),
        ("j", A::Utf8),
        ("arr_i", list_of(A::Int16)),
        ("arr_s", list_of(A::Utf8)),
        ("fv", list_of(A::Float32)),
        ("bv", list_of(A::UInt8)),
        ("hv", list_of(A::UInt8)),
        ("bfv", list_of(A::UInt8)),
        ("i8v", list_of(A::Int8)),
        ("sp", A::Utf8),
        ("dflt", A::Int32),
        ("dflt_s", A::Utf8),
        ("nb", A::Boolean),
        ("$meta", A::Utf8),
    ];
    assert_eq!(pq.names(), ALL_COLUMNS);
    for (name, t) in &want {
        assert_eq!(pq.arrow_type(name), t, "column {name}");
        assert!(pq.schema.field_with_name(name).unwrap().is_nullable());
    }
    // The Parquet schema itself: optional columns, 3-level lists ending in "element", Snappy.
    let descr = pq.meta.file_metadata().schema_descr();
    for f in descr.root_schema().get_fields() {
        assert_eq!(
            f.get_basic_info().repetition(),
            Repetition::OPTIONAL,
            "{}",
            f.name()
        );
    }
    for c in descr.columns() {
        let parts = c.path().parts();
        if parts.len() > 1 {
            assert_eq!(parts[1..], ["list", "element"], "{parts:?}");
        }
    }
    for rg in pq.meta.row_groups() {
        for c in rg.columns() {
            assert_eq!(c.compression(), Compression::SNAPPY);
        }
    }

    // Values.
    let col = |name: &str| pq.col(name);
    assert_eq!(col("id"), [json!(1), json!(2), json!(3)]);
    assert_eq!(col("b"), [json!(true), json!(false), json!(true)]);
    assert_eq!(col("i8"), [json!(-128), json!(127), json!(0)]);
    assert_eq!(col("i16"), [json!(32767), json!(-32768), json!(0)]);
    assert_eq!(col("i32"), [json!(i32::MIN), json!(i32::MAX), json!(0)]);
    // A nullable Int64 with a null keeps 2^60+1 exactly (pymilvus goes through float64).
    assert_eq!(
        col("i64"),
        [json!(i64::MAX), Value::Null, json!(POW60_PLUS_1)]
    );
    assert_eq!(f32_list(&json!(col("f"))), [0.1f32, 1.0, -0.5]);
    assert_eq!(col("d"), [json!(0.1), json!(-2.5), json!(1e300)]);
    assert_eq!(col("s"), [json!("héllo, \"w\""), json!(""), json!("x")]);
    assert_eq!(col("t"), [json!("line1\nline2"), json!(""), json!("ü")]);
    assert_eq!(
        col("g"),
        [json!("POINT (1 2)"), json!(""), json!("POINT (0 0)")]
    );
    // JSON is text; a null JSON is an Arrow null, not the string "null".
    assert_eq!(
        col("j"),
        [
            json!(r#"{"k": [1, "\u00e9"]}"#),
            Value::Null,
            json!("[1, 2]")
        ]
    );
    assert_eq!(col("arr_i"), [json!([1, -2, 3]), json!([]), json!([7])]);
    assert_eq!(col("arr_s"), [json!(["a", "b,c"]), Value::Null, json!([])]);
    assert_eq!(
        f32_lists(&col("fv")),
        [vec![0.1f32, -1.5, 3.0], vec![0.0; 3], vec![1.0, 2.0, 3.0]]
    );
    assert_eq!(
        col("bv"),
        [json!([161, 255]), json!([0, 0]), json!([15, 240])]
    );
    // Float16/BFloat16: 2 little-endian bytes per dimension (f16 0.1 = 0x2E66, bf16 0.1 = 0x3DCD).
    assert_eq!(
        col("hv"),
        [
            json!([102, 46, 0, 192]),
            json!([0, 0, 0, 0]),
            json!([255, 123, 0, 184])
        ]
    );
    assert_eq!(
        col("bfv"),
        [
            json!([205, 61, 128, 63]),
            json!([0, 0, 0, 0]),
            json!([128, 191, 98, 127])
        ]
    );
    assert_eq!(
        col("i8v"),
        [json!([-128, 0, 127]), json!([0, 0, 0]), json!([1, -1, 0])]
    );
    assert_eq!(
        col("sp"),
        [
            json!(r#"{"1": 0.5, "100": 0.25}"#),
            Value::Null,
            json!(r#"{"indices": [3, 4], "values": [0.1, 0.2]}"#)
        ]
    );
    assert_eq!(col("dflt"), [json!(9), json!(42), json!(42)]);
    assert_eq!(
        col("dflt_s"),
        [json!("given"), json!("dflt"), json!("dflt")]
    );
    assert_eq!(col("nb"), [json!(false), Value::Null, json!(true)]);
    assert_eq!(
        col("$meta"),
        [json!(r#"{"extra": {"x": 1}}"#), json!("{}"), json!("{}")]
    );
}

#[test]
fn parquet_float16_float_form() {
    let dir = TempDir::created("parquet-f16-float");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("hv", DataType::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", DataType::BFloat16Vector).dim(2));
    let mut w = builder(&schema, dir.path(), BulkFileType::Parquet)
        .float16_form(Float16Form::Float)
        .build()
        .unwrap();
    let rows = [json!({"id": 1, "hv": [0.1, -2.0], "bfv": [0.1, 1.0]})];
    let pq = read_parquet(&write_one_file(&mut w, &rows));
    assert_eq!(pq.arrow_type("hv"), &list_of(ArrowType::Float32));
    assert_eq!(pq.arrow_type("bfv"), &list_of(ArrowType::Float32));
    assert_eq!(f32_lists(&pq.col("hv")), [vec![0.1f32, -2.0]]);
    assert_eq!(f32_lists(&pq.col("bfv")), [vec![0.1f32, 1.0]]);
}

#[test]
fn parquet_nullable_vectors_and_row_groups() {
    // Rows of ~32 KiB make pymilvus's row groups small (32 MiB / row size, at least 1000), so
    // 1100 rows span two row groups: values and nulls must line up across the boundary.
    let dir = TempDir::created("parquet-groups");
    let dim = 8192;
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("v", DataType::FloatVector).dim(dim))
        .field(FieldSchema::new("n", DataType::Int64).nullable(true))
        .field(
            FieldSchema::new("s", DataType::VarChar)
                .max_length(8)
                .nullable(true),
        )
        .field(
            FieldSchema::new("a", DataType::Array)
                .element_type(DataType::Int32)
                .max_capacity(4)
                .nullable(true),
        )
        .field(
            FieldSchema::new("nv", DataType::FloatVector)
                .dim(2)
                .nullable(true),
        );
    let mut w = build(&schema, dir.path(), BulkFileType::Parquet);
    let rows = 1100usize;
    let mut vector = vec![0.0f32; dim as usize];
    for i in 0..rows {
        vector[0] = i as f32;
        vector[dim as usize - 1] = -(i as f32);
        let mut row = json!({"id": i, "v": vector});
        if i % 3 != 0 {
            row["n"] = json!(i * 1000);
            row["s"] = json!(format!("r{i}"));
            row["a"] = json!((0..i % 4).map(|k| (i + k) as i32).collect::<Vec<_>>());
            row["nv"] = json!([i as f32, 0.5]);
        }
        w.append_row(&row).unwrap();
    }
    let size = w.buffered_size();
    let per_row = size / rows as u64 + 1;
    let group = ((32u64 << 20) / per_row).clamp(1000, 1_000_000) as usize;
    assert!(group < rows, "the test needs more than one row group");
    w.commit().unwrap();
    let pq = read_parquet(Path::new(&w.batch_files()[0][0]));
    let groups: Vec<i64> = pq.meta.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, [group as i64, (rows - group) as i64]);
    assert_eq!(pq.rows.len(), rows);
    for (i, row) in pq.rows.iter().enumerate() {
        assert_eq!(row["id"], json!(i));
        let v = f32_list(&row["v"]);
        assert_eq!(v.len(), dim as usize);
        assert_eq!(
            (v[0], v[dim as usize - 1]),
            (i as f32, -(i as f32)),
            "row {i}"
        );
        if i % 3 == 0 {
            for name in ["n", "s", "a", "nv"] {
                assert_eq!(row[name], Value::Null, "row {i} {name}");
            }
        } else {
            assert_eq!(row["n"], json!(i * 1000), "row {i}");
            assert_eq!(row["s"], json!(format!("r{i}")), "row {i}");
            let a: Vec<i32> = (0..i % 4).map(|k| (i + k) as i32).collect();
            assert_eq!(row["a"], json!(a), "row {i}");
            assert_eq!(f32_list(&row["nv"]), [i as f32, 0.5], "row {i}");
        }
    }
}

#[test]
fn json_field_takes_json_text() {
    // A string given for a JSON field is parsed (as pymilvus does).
    let dir = TempDir::created("json-text");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("j", DataType::Json));
    let mut w = build(&schema, dir.path(), BulkFileType::Parquet);
    let rows = [
        json!({"id": 1, "j": "{\"a\":1}"}),
        json!({"id": 2, "j": "5"}),
        json!({"id": 3, "j": {"b": [true, null]}}),
    ];
    let pq = read_parquet(&write_one_file(&mut w, &rows));
    assert_eq!(
        pq.col("j"),
        [
            json!(r#"{"a": 1}"#),
            json!("5"),
            json!(r#"{"b": [true, null]}"#)
        ]
    );
}

#[test]
fn nullable_float16_vector_nulls() {
    // pymilvus's flush fails on a null float16 vector in JSON and Parquet; here it is a null.
    let schema = CollectionSchema::new()
        .field(pk())
        .field(
            FieldSchema::new("hv", DataType::Float16Vector)
                .dim(2)
                .nullable(true),
        )
        .field(FieldSchema::new("t", DataType::Text));
    let rows = [
        json!({"id": 1, "hv": [1.0, 2.0], "t": "a\rb"}),
        json!({"id": 2, "t": "x"}),
        json!({"id": 3, "hv": [3.0, 4.0], "t": "y"}),
    ];
    let dir = TempDir::created("f16-null");
    let mut w = build(&schema, dir.path(), BulkFileType::Parquet);
    let pq = read_parquet(&write_one_file(&mut w, &rows));
    assert_eq!(
        pq.col("hv"),
        [json!([0, 60, 0, 64]), Value::Null, json!([0, 66, 0, 68])]
    );
    let mut w = build(&schema, dir.path(), BulkFileType::Json);
    let json_rows = read_json(&write_one_file(&mut w, &rows));
    assert_eq!(
        col_of(&json_rows, "hv"),
        [json!([1.0, 2.0]), Value::Null, json!([3.0, 4.0])]
    );
    // CSV: the null key, and a carriage return is quoted (Python's csv module leaves it bare).
    let mut w = build(&schema, dir.path(), BulkFileType::Csv);
    let path = write_one_file(&mut w, &rows);
    let csv = read_csv(&path, ',');
    assert_eq!(csv.col("hv"), ["[1.0, 2.0]", "", "[3.0, 4.0]"]);
    assert_eq!(csv.col("t"), ["a\rb", "x", "y"]);
    assert!(fs::read_to_string(&path).unwrap().contains("\"a\rb\""));
}

#[test]
fn binary_vectors_take_bits_or_packed_bytes() {
    // Milvus's own JSON form is the packed bytes; a list of `dim` values is bits.
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16));
    let dir = TempDir::created("bv-forms");
    let mut w = builder(&schema, dir.path(), BulkFileType::Jsonl)
        .build()
        .unwrap();
    w.append_row(&json!({"id": 1, "bv": [1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]}))
        .unwrap();
    w.append_row(&json!({"id": 2, "bv": [161, 255]})).unwrap();
    w.commit().unwrap();
    let rows = read_jsonl(&w.data_path().join("1.jsonl"));
    assert_eq!(col_of(&rows, "bv"), [json!([161, 255]), json!([161, 255])]);
}
