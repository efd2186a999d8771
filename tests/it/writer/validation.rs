//! Row validation at `append_row`: integers out of range, wrong scalar types, non-finite floats,
//! strings too long, vectors of the wrong shape, bad sparse vectors and arrays, missing and
//! server-generated fields, unknown keys, `$meta`, rows that are not maps; the row index of a
//! rejected row.

use super::*;

// ================================================================ row validation

/// Appends `good` (row 0), `bad` (row 1) and `good` with id 2 (row 2) to a JSONL writer.
/// `bad` must be rejected as row 1 naming `field`, with a reason holding each of `words`;
/// the writer stays usable, and exactly the two good rows are written, intact. Returns the
/// error's text.
fn assert_rejected<T: Serialize + ?Sized>(
    schema: &CollectionSchema,
    good: &Value,
    bad: &T,
    field: Option<&str>,
    words: &[&str],
) -> String {
    assert_rejected_with(schema, |b| b, good, bad, field, words)
}

fn assert_rejected_with<T: Serialize + ?Sized>(
    schema: &CollectionSchema,
    settings: impl FnOnce(BulkWriterBuilder) -> BulkWriterBuilder,
    good: &Value,
    bad: &T,
    field: Option<&str>,
    words: &[&str],
) -> String {
    let dir = TempDir::created("reject");
    let mut w = settings(builder(schema, dir.path(), BulkFileType::Jsonl))
        .build()
        .unwrap();
    w.append_row(good).expect("the good row is accepted");
    let err = w.append_row(bad).expect_err("the bad row is rejected");
    match &err {
        Error::InvalidRow {
            row,
            field: f,
            reason,
        } => {
            assert_eq!(*row, 1, "{err}");
            assert_eq!(f.as_deref(), field, "{err}");
            for word in words {
                assert!(reason.contains(word), "{reason:?} should mention {word:?}");
            }
        }
        other => panic!("expected InvalidRow, got {other:?}"),
    }
    assert_eq!(w.buffered_rows(), 1);
    assert_eq!(w.total_rows(), 1);
    let mut good2 = good.clone();
    good2["id"] = json!(2);
    w.append_row(&good2).expect("the writer is still usable");
    w.commit().unwrap();
    let rows = read_jsonl(Path::new(&w.batch_files()[0][0]));
    assert_eq!(rows.len(), 2, "the rejected row is not written");
    assert_eq!(rows[0]["id"], json!(1));
    assert_eq!(rows[1]["id"], json!(2));
    let (mut a, mut b) = (rows[0].clone(), rows[1].clone());
    a.remove("id");
    b.remove("id");
    assert_eq!(a, b, "the rows around the rejected one are intact");
    err.to_string()
}

#[test]
fn rejects_out_of_range_integers() {
    let cases = [
        (DataType::Int8, "128"),
        (DataType::Int8, "-129"),
        (DataType::Int16, "32768"),
        (DataType::Int16, "-32769"),
        (DataType::Int32, "2147483648"),
        (DataType::Int32, "-2147483649"),
        (DataType::Int64, "9223372036854775808"),
    ];
    for (t, text) in cases {
        let schema = one_field("x", FieldSchema::new("x", t));
        let bad = v(&format!(r#"{{"id": 5, "x": {text}}}"#));
        let msg = assert_rejected(
            &schema,
            &json!({"id": 1, "x": 1}),
            &bad,
            Some("x"),
            &[text, "out of range", t.name()],
        );
        assert!(msg.starts_with("row 1, field 'x': "), "{msg}");
    }
}

#[test]
fn rejects_wrong_scalar_types() {
    let cases: [(FieldSchema, Value, &[&str]); 6] = [
        (
            FieldSchema::new("x", DataType::Int32),
            json!(1.5),
            &["expected an integer", "1.5"],
        ),
        (
            FieldSchema::new("x", DataType::Int64),
            json!(2.0),
            &["expected an integer"],
        ),
        (
            FieldSchema::new("x", DataType::Int64),
            json!("1"),
            &["expected an integer", "string"],
        ),
        (
            FieldSchema::new("x", DataType::Bool),
            json!(1),
            &["true or false"],
        ),
        (
            FieldSchema::new("x", DataType::VarChar).max_length(4),
            json!(5),
            &["expected a string"],
        ),
        (
            FieldSchema::new("x", DataType::Float),
            json!("0.5"),
            &["number"],
        ),
    ];
    for (field, bad, words) in cases {
        let good = match field.data_type {
            DataType::Bool => json!({"id": 1, "x": true}),
            DataType::VarChar => json!({"id": 1, "x": "ok"}),
            DataType::Float => json!({"id": 1, "x": 0.5}),
            _ => json!({"id": 1, "x": 3}),
        };
        let schema = one_field("x", field);
        assert_rejected(
            &schema,
            &good,
            &json!({"id": 5, "x": bad}),
            Some("x"),
            words,
        );
    }
}

#[test]
fn integers_are_accepted_for_floats_when_exact() {
    let dir = TempDir::created("int-for-float");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("f", DataType::Float))
        .field(FieldSchema::new("d", DataType::Double));
    let mut w = build(&schema, dir.path(), BulkFileType::Jsonl);
    w.append_row(&json!({"id": 1, "f": 16777216, "d": 9007199254740992i64}))
        .unwrap();
    let err = w
        .append_row(&json!({"id": 2, "f": 16777217, "d": 1}))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRow { field: Some(f), .. } if f == "f"),
        "{err}"
    );
    let err = w
        .append_row(&json!({"id": 3, "f": 1, "d": 9007199254740993i64}))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRow { field: Some(f), .. } if f == "d"),
        "{err}"
    );
    let rows = read_jsonl(&write_one_file::<Value>(&mut w, &[]));
    assert_eq!(rows[0]["f"].as_f64(), Some(16777216.0));
    assert_eq!(rows[0]["d"].as_f64(), Some(9007199254740992.0));
}

#[derive(Serialize)]
struct FloatRow {
    id: i64,
    f: f32,
    d: f64,
    v: [f32; 3],
}

#[test]
fn rejects_nan_infinity_and_floats_beyond_f32() {
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("f", DataType::Float))
        .field(FieldSchema::new("d", DataType::Double))
        .field(FieldSchema::new("v", DataType::FloatVector).dim(3));
    let good = json!({"id": 1, "f": 0.5, "d": 0.25, "v": [1.0, 2.0, 3.0]});
    let row = |f: f32, d: f64, v: [f32; 3]| FloatRow { id: 5, f, d, v };
    assert_rejected(
        &schema,
        &good,
        &row(f32::NAN, 0.0, [0.0; 3]),
        Some("f"),
        &["NaN"],
    );
    assert_rejected(
        &schema,
        &good,
        &row(f32::INFINITY, 0.0, [0.0; 3]),
        Some("f"),
        &["inf"],
    );
    assert_rejected(
        &schema,
        &good,
        &row(0.0, f64::NAN, [0.0; 3]),
        Some("d"),
        &["NaN"],
    );
    assert_rejected(
        &schema,
        &good,
        &row(0.0, f64::NEG_INFINITY, [0.0; 3]),
        Some("d"),
        &["inf"],
    );
    assert_rejected(
        &schema,
        &good,
        &row(0.0, 0.0, [1.0, f32::NAN, 2.0]),
        Some("v"),
        &["value 1", "NaN"],
    );
    assert_rejected(
        &schema,
        &good,
        &row(0.0, 0.0, [1.0, 2.0, f32::INFINITY]),
        Some("v"),
        &["value 2", "inf"],
    );
    // Beyond f32's range: JSON can say so.
    let bad = json!({"id": 5, "f": 1e39, "d": 0.0, "v": [0.0, 0.0, 0.0]});
    assert_rejected(&schema, &good, &bad, Some("f"), &["out of range"]);
    let bad = json!({"id": 5, "f": 0.0, "d": 0.0, "v": [0.0, -1e39, 0.0]});
    assert_rejected(&schema, &good, &bad, Some("v"), &["out of range"]);
    // A Double may hold it.
    let bad_for_float_only = json!({"id": 5, "f": 0.0, "d": 1e39, "v": [0.0, 0.0, 0.0]});
    let dir = TempDir::created("double-big");
    let mut w = build(&schema, dir.path(), BulkFileType::Jsonl);
    w.append_row(&bad_for_float_only).unwrap();
}

#[test]
fn varchar_length_counts_code_points() {
    let schema = one_field("s", FieldSchema::new("s", DataType::VarChar).max_length(3));
    let good = json!({"id": 1, "s": "äöü"}); // 6 UTF-8 bytes, 3 characters: fits
    let msg = assert_rejected(
        &schema,
        &good,
        &json!({"id": 5, "s": "äöüß"}),
        Some("s"),
        &["4 characters", "max_length 3"],
    );
    assert_eq!(
        msg,
        "row 1, field 's': is 4 characters long, over its max_length 3"
    );
}

#[test]
fn rejects_dense_vectors_of_wrong_shape_or_value() {
    use DataType as T;
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("fv", T::FloatVector).dim(2))
        .field(FieldSchema::new("bv", T::BinaryVector).dim(8))
        .field(FieldSchema::new("i8v", T::Int8Vector).dim(2))
        .field(FieldSchema::new("hv", T::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", T::BFloat16Vector).dim(2));
    let good = json!({"id": 1, "fv": [0.5, 1.0], "bv": [1,0,0,0,0,0,0,1], "i8v": [1, -1],
                      "hv": [0.5, 1.0], "bfv": [0.5, 1.0]});
    let with = |key: &str, value: Value| {
        let mut row = good.clone();
        row["id"] = json!(5);
        row[key] = value;
        row
    };
    let cases: &[(&str, Value, &[&str])] = &[
        ("fv", json!([0.5]), &["has 1 values", "dim is 2"]),
        ("fv", json!([0.5, 1.0, 2.0]), &["more than 2"]),
        ("fv", json!([]), &["has 0 values"]),
        ("fv", json!("0.5,1.0"), &["list"]),
        ("bv", json!([1, 0, 0, 0, 0, 0, 0, 2]), &["bit 7", "2"]),
        ("bv", json!([1, 0, 0]), &["has 3 values", "dim 8"]),
        ("bv", json!([256]), &["value 0", "256"]),
        ("i8v", json!([200, 0]), &["200", "out of range"]),
        ("i8v", json!([1.5, 0]), &["expected an integer"]),
        (
            "hv",
            json!([70000.0, 0.0]),
            &["70000", "out of range", "Float16Vector"],
        ),
        ("hv", json!([0.5]), &["dim is 2"]),
        (
            "bfv",
            json!([3.4e38, 0.0]),
            &["out of range", "BFloat16Vector"],
        ),
    ];
    for (key, value, words) in cases {
        assert_rejected(&schema, &good, &with(key, value.clone()), Some(key), words);
    }
    // BFloat16 has float32's range: 70000 fits.
    let dir = TempDir::created("bf16-range");
    let mut w = build(&schema, dir.path(), BulkFileType::Jsonl);
    w.append_row(&with("bfv", json!([70000.0, 0.0]))).unwrap();
}

#[test]
fn rejects_vector_bytes_of_wrong_length() {
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16))
        .field(FieldSchema::new("hv", DataType::Float16Vector).dim(2));
    let good = json!({"id": 1, "bv": [0,0,0,0,0,0,0,0, 1,1,1,1,1,1,1,1], "hv": [1.0, 2.0]});
    let row = |bv: &[u8], hv: &[u8]| BytesRow {
        id: 5,
        bv: Bytes(bv.to_vec()),
        hv: Bytes(hv.to_vec()),
    };
    assert_rejected(
        &schema,
        &good,
        &row(&[1, 2, 3], &[0; 4]),
        Some("bv"),
        &["3 bytes"],
    );
    assert_rejected(
        &schema,
        &good,
        &row(&[1, 2], &[0; 3]),
        Some("hv"),
        &["3 bytes"],
    );
    // f16 0x7C00 is +inf: not a value Milvus takes.
    assert_rejected(
        &schema,
        &good,
        &row(&[1, 2], &[0, 0x7C, 0, 0]),
        Some("hv"),
        &["inf"],
    );
}

#[test]
fn rejects_bad_sparse_vectors() {
    let schema = one_field("sp", FieldSchema::new("sp", DataType::SparseFloatVector));
    let good = json!({"id": 1, "sp": {"3": 0.5}});
    let cases: &[(Value, &[&str])] = &[
        (json!({}), &["empty"]),
        (json!({"indices": [], "values": []}), &["empty"]),
        (json!({"-1": 0.5}), &["index"]),
        (json!({"indices": [-1], "values": [0.5]}), &["index -1"]),
        (
            json!({"indices": [1, 1], "values": [0.5, 0.25]}),
            &["index 1 twice"],
        ),
        (json!({"4294967295": 0.5}), &["4294967294"]),
        (json!({"x": 0.5}), &["index"]),
        (
            json!({"indices": [1, 2], "values": [0.5]}),
            &["2 indices and 1 values"],
        ),
        (json!({"1": "a"}), &["value"]),
        (json!({"1": 1e39}), &["value"]),
        (json!([1, 2]), &["object"]),
    ];
    for (bad, words) in cases {
        assert_rejected(
            &schema,
            &good,
            &json!({"id": 5, "sp": bad}),
            Some("sp"),
            words,
        );
    }
    // The largest index is fine.
    let dir = TempDir::created("sparse-max");
    let mut w = build(&schema, dir.path(), BulkFileType::Jsonl);
    w.append_row(&json!({"id": 1, "sp": {"4294967294": 0.5}}))
        .unwrap();
}

#[test]
fn rejects_sparse_index_repeated_in_map_form() {
    // Both keys parse to index 1 (the map form's keys are parsed as integers, so "01" is 1);
    // the indices/values form rejects the same vector as "has index 1 twice".
    let schema = one_field("sp", FieldSchema::new("sp", DataType::SparseFloatVector));
    let good = json!({"id": 1, "sp": {"3": 0.5}});
    let bad = json!({"id": 5, "sp": {"1": 0.5, "01": 0.25}});
    assert_rejected(&schema, &good, &bad, Some("sp"), &["twice"]);
}

#[test]
fn rejects_bad_arrays() {
    let schema = CollectionSchema::new()
        .field(pk())
        .field(
            FieldSchema::new("ai", DataType::Array)
                .element_type(DataType::Int8)
                .max_capacity(3),
        )
        .field(
            FieldSchema::new("as", DataType::Array)
                .element_type(DataType::VarChar)
                .max_capacity(2)
                .max_length(3),
        );
    let good = json!({"id": 1, "ai": [1, 2], "as": ["abc"]});
    let with = |key: &str, value: Value| {
        let mut row = good.clone();
        row["id"] = json!(5);
        row[key] = value;
        row
    };
    let cases: &[(&str, Value, &[&str])] = &[
        ("ai", json!([1, 2, 3, 4]), &["more than 3", "max_capacity"]),
        ("ai", json!([1, "x"]), &["element 1", "expected an integer"]),
        ("ai", json!([1, 300]), &["element 1", "300", "out of range"]),
        ("ai", json!([[1]]), &["nested"]),
        ("ai", json!(1), &["list"]),
        (
            "as",
            json!(["abcd"]),
            &["element 0", "4 characters", "max_length 3"],
        ),
        ("as", json!(["a", "b", "c"]), &["more than 2"]),
        ("as", json!([1]), &["element 0", "string"]),
    ];
    for (key, value, words) in cases {
        assert_rejected(&schema, &good, &with(key, value.clone()), Some(key), words);
    }
}

#[test]
fn rejects_missing_and_server_generated_fields() {
    let schema = CollectionSchema::new()
        .field(
            FieldSchema::new("pk", DataType::Int64)
                .primary_key(true)
                .auto_id(true),
        )
        .field(pk().primary_key(false))
        .field(FieldSchema::new("text", DataType::VarChar).max_length(64))
        .field(FieldSchema::new("sparse", DataType::SparseFloatVector).function_output(true));
    let good = json!({"id": 1, "text": "hello"});
    assert_rejected(
        &schema,
        &good,
        &json!({"id": 5}),
        Some("text"),
        &["missing", "not nullable"],
    );
    assert_rejected(
        &schema,
        &good,
        &json!({"id": 5, "text": null}),
        Some("text"),
        &["missing"],
    );
    assert_rejected(
        &schema,
        &good,
        &json!({"id": 5, "text": "x", "pk": 7}),
        Some("pk"),
        &["auto-id", "leave it out"],
    );
    assert_rejected(
        &schema,
        &good,
        &json!({"id": 5, "text": "x", "sparse": {"1": 0.5}}),
        Some("sparse"),
        &["function", "leave it out"],
    );
    // A key given twice.
    let twice = Ordered(vec![
        ("id", json!(5)),
        ("text", json!("a")),
        ("text", json!("b")),
    ]);
    assert_rejected(&schema, &good, &twice, Some("text"), &["twice"]);
}

#[test]
fn unknown_keys_without_dynamic_field() {
    let schema = one_field("s", FieldSchema::new("s", DataType::VarChar).max_length(8));
    let good = json!({"id": 1, "s": "a"});
    let bad = json!({"id": 5, "s": "a", "color": "red"});
    assert_rejected(
        &schema,
        &good,
        &bad,
        Some("color"),
        &["not in the schema", "ignore_unknown_fields"],
    );
    // `$meta` is just another unknown key there.
    let bad = json!({"id": 5, "s": "a", "$meta": {"a": 1}});
    assert_rejected(&schema, &good, &bad, Some("$meta"), &["not in the schema"]);

    // With ignore_unknown_fields they are dropped, as pymilvus does.
    let dir = TempDir::created("ignore-unknown");
    let mut w = builder(&schema, dir.path(), BulkFileType::Jsonl)
        .ignore_unknown_fields(true)
        .build()
        .unwrap();
    let rows = [json!({"id": 1, "s": "a", "color": "red", "$meta": {"x": 1}})];
    let rows = read_jsonl(&write_one_file(&mut w, &rows));
    assert_eq!(
        rows,
        [v(r#"{"id": 1, "s": "a"}"#).as_object().unwrap().clone()]
    );
}

#[test]
fn rejects_meta_that_is_not_an_object() {
    let schema = one_field("s", FieldSchema::new("s", DataType::VarChar).max_length(8))
        .enable_dynamic_field(true);
    let good = json!({"id": 1, "s": "a", "k": 1});
    for bad in [json!(5), json!("{}"), json!([1])] {
        let row = json!({"id": 5, "s": "a", "$meta": bad});
        assert_rejected(
            &schema,
            &good,
            &row,
            Some("$meta"),
            &["must be a JSON object"],
        );
    }
}

#[test]
fn rejects_rows_that_are_not_maps() {
    let schema = one_field("s", FieldSchema::new("s", DataType::VarChar).max_length(8));
    let good = json!({"id": 1, "s": "a"});
    for bad in [json!([1, "a"]), json!(5), json!("row"), Value::Null] {
        let msg = assert_rejected(&schema, &good, &bad, None, &["map or a struct"]);
        assert!(msg.starts_with("row 1: "), "{msg}");
    }
    let int_keys: BTreeMap<i32, i32> = [(1, 2)].into();
    assert_rejected(&schema, &good, &int_keys, None, &["keys must be strings"]);
}

#[test]
fn rejects_json_text_that_is_not_json() {
    let schema = one_field("j", FieldSchema::new("j", DataType::Json));
    let good = json!({"id": 1, "j": {"a": 1}});
    let bad = json!({"id": 5, "j": "{not json"});
    assert_rejected(&schema, &good, &bad, Some("j"), &["not JSON"]);
}

#[test]
fn row_index_counts_rejected_rows() {
    let dir = TempDir::created("row-index");
    let schema = one_field("v", FieldSchema::new("v", DataType::FloatVector).dim(2));
    let mut w = build(&schema, dir.path(), BulkFileType::Json);
    w.append_row(&json!({"id": 1, "v": [0.5, 1.0]})).unwrap();
    let err = w.append_row(&json!({"id": 2, "v": [0.5]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1, field 'v': has 1 values: its dim is 2"
    );
    w.append_row(&json!({"id": 3, "v": [0.5, 1.0]})).unwrap();
    let err = w.append_row(&json!({"id": 4})).unwrap_err();
    assert!(matches!(err, Error::InvalidRow { row: 3, .. }), "{err}");
    assert_eq!(w.total_rows(), 2);
    let rows = read_json(&write_one_file::<Value>(&mut w, &[]));
    assert_eq!(col_of(&rows, "id"), [json!(1), json!(3)]);
}

#[test]
fn numpy_rejects_nulls_at_append() {
    let dir = TempDir::created("numpy-null");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("n", DataType::Int32).nullable(true))
        .field(
            FieldSchema::new("m", DataType::Int32)
                .nullable(true)
                .default_value(json!(3)),
        );
    let mut w = build(&schema, dir.path(), BulkFileType::Numpy);
    w.append_row(&json!({"id": 1, "n": 10})).unwrap();
    for (i, bad) in [json!({"id": 2}), json!({"id": 3, "n": null})]
        .iter()
        .enumerate()
    {
        let err = w.append_row(bad).unwrap_err();
        match &err {
            Error::InvalidRow { row, field, reason } => {
                assert_eq!(*row, 1 + i as u64);
                assert_eq!(field.as_deref(), Some("n"));
                assert!(reason.contains("NumPy"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    // A default fills in (no null needed).
    w.append_row(&json!({"id": 4, "n": 40, "m": null})).unwrap();
    w.commit().unwrap();
    let folder = w.data_path().join("1");
    assert_eq!(read_npy(&folder.join("id.npy")).i64s(), [1, 4]);
    assert_eq!(read_npy(&folder.join("n.npy")).i32s(), [10, 40]);
    assert_eq!(read_npy(&folder.join("m.npy")).i32s(), [3, 3]);
}

// ================================================================ found while testing

#[derive(Serialize)]
struct OptionalElements {
    id: i64,
    a: Vec<Option<i32>>,
}

#[test]
fn array_elements_given_as_options() {
    let dir = TempDir::created("option-elements");
    let schema = one_field(
        "a",
        FieldSchema::new("a", DataType::Array)
            .element_type(DataType::Int32)
            .max_capacity(4),
    );
    let mut w = build(&schema, dir.path(), BulkFileType::Jsonl);
    let all_some = OptionalElements {
        id: 1,
        a: vec![Some(1), Some(2)],
    };
    w.append_row(&all_some)
        .expect("Some(x) elements are values");
    let with_none = OptionalElements {
        id: 2,
        a: vec![Some(1), None],
    };
    for bad in [
        serde_json::to_value(&with_none).unwrap(),
        json!({"id": 3, "a": [1, null]}),
    ] {
        let err = w.append_row(&bad).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRow { reason, .. } if reason.contains("null")),
            "a null element should be called null: {err}"
        );
    }
    let rows = read_jsonl(&write_one_file::<Value>(&mut w, &[]));
    assert_eq!(col_of(&rows, "a"), [json!([1, 2])]);
}

#[derive(Serialize)]
struct NonFinite {
    id: i64,
    j: BTreeMap<&'static str, f64>,
    extra: f64,
}

#[test]
fn rejects_nan_inside_json_and_dynamic_values() {
    // The module docs say NaN and ±inf are rejected; Milvus stores neither in JSON. Today the
    // row is accepted and the file says {"x": null} / {"extra": null}: the value is lost
    // without an error.
    let schema = one_field("j", FieldSchema::new("j", DataType::Json)).enable_dynamic_field(true);
    let good = json!({"id": 1, "j": {"x": 1.5}, "extra": 2.5});
    let row = |j: f64, extra: f64| NonFinite {
        id: 5,
        j: [("x", j)].into(),
        extra,
    };
    assert_rejected(&schema, &good, &row(f64::NAN, 0.5), Some("j"), &["NaN"]);
    assert_rejected(
        &schema,
        &good,
        &row(0.5, f64::INFINITY),
        Some("extra"),
        &["inf"],
    );
}
