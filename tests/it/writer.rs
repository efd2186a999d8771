//! `BulkWriter` end to end: rows in, files read back with independent readers (serde_json, a
//! small CSV parser, a `.npy` parser, arrow-rs's Parquet reader); row validation, schema checks
//! and parsing, the dynamic field, chunking, and what happens when writing fails.

use crate::common::tempdir;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempdir::TempDir;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt8Type,
};
use arrow_array::Array;
use arrow_schema::{DataType as ArrowType, Field, SchemaRef};
use milvus_bulk_import::writer::{
    BulkFileType, BulkWriter, BulkWriterBuilder, CollectionSchema, DataType, FieldSchema,
    Float16Form, DYNAMIC_FIELD_NAME,
};
use milvus_bulk_import::Error;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Repetition};
use parquet::file::metadata::ParquetMetaData;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

// ================================================================ helpers

/// A row whose keys serialize in the given order (`serde_json::Value` objects are key-sorted).
struct Ordered(Vec<(&'static str, Value)>);

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A value that serializes as bytes (`serialize_bytes`), as `serde_bytes` would.
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

fn v(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn pk() -> FieldSchema {
    FieldSchema::new("id", DataType::Int64).primary_key(true)
}

fn builder(schema: &CollectionSchema, dir: &Path, file_type: BulkFileType) -> BulkWriterBuilder {
    BulkWriter::builder(schema, dir).file_type(file_type)
}

fn build(schema: &CollectionSchema, dir: &Path, file_type: BulkFileType) -> BulkWriter {
    builder(schema, dir, file_type).build().expect("build")
}

/// Appends every row, commits, and returns the one file written.
fn write_one_file<T: Serialize>(w: &mut BulkWriter, rows: &[T]) -> PathBuf {
    for row in rows {
        w.append_row(row).expect("append_row");
    }
    w.commit().expect("commit");
    let files = w.batch_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].len(), 1, "{files:?}");
    PathBuf::from(&files[0][0])
}

fn f16(x: f32) -> f32 {
    half::f16::from_f32(x).to_f32()
}

fn bf16(x: f32) -> f32 {
    half::bf16::from_f32(x).to_f32()
}

/// A JSON number list as f32s (how Milvus stores float vectors).
fn f32_list(v: &Value) -> Vec<f32> {
    let items = v.as_array().unwrap_or_else(|| panic!("not a list: {v}"));
    items.iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn f32_lists(col: &[Value]) -> Vec<Vec<f32>> {
    col.iter().map(f32_list).collect()
}

/// Every file (not directory) under `dir`, recursively, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn assert_no_partial_files(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                !name.ends_with(".partial"),
                "left behind: {}",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
}

// ---------------------------------------------------------------- readers

/// The rows of a `.json` file, which must be `{"rows": [...]}`.
fn read_json(path: &Path) -> Vec<Map<String, Value>> {
    let top: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let top = top.as_object().expect("a JSON file is an object");
    assert_eq!(top.keys().collect::<Vec<_>>(), ["rows"]);
    top["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().expect("a row is an object").clone())
        .collect()
}

/// The rows of a `.jsonl` file: one compact object per line, each line ending in `\n`.
fn read_jsonl(path: &Path) -> Vec<Map<String, Value>> {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "a JSONL file ends with a newline");
    text.lines()
        .map(|line| match serde_json::from_str(line).unwrap() {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// A CSV file: its header and its rows, as text cells.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn col(&self, name: &str) -> Vec<&str> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header));
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }
}

/// A minimal CSV reader: fields separated by `sep`, records by `\n`, quoted fields with `""`
/// for a quote inside. Every record must end with `\n`, and every record must have as many
/// fields as the header.
fn read_csv(path: &Path, sep: char) -> Csv {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "a CSV file ends with a newline");
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut record, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
        } else if c == '"' && cell.is_empty() && !was_quoted {
            quoted = true;
            was_quoted = true;
        } else if c == sep || c == '\n' {
            record.push(std::mem::take(&mut cell));
            was_quoted = false;
            if c == '\n' {
                records.push(std::mem::take(&mut record));
            }
        } else {
            assert!(
                c != '\r' && c != '"',
                "stray {c:?} outside quotes in {text:?}"
            );
            cell.push(c);
        }
    }
    assert!(!quoted, "unterminated quote");
    let header = records.remove(0);
    for r in &records {
        assert_eq!(r.len(), header.len(), "record {r:?} vs header {header:?}");
    }
    Csv {
        header,
        rows: records,
    }
}

/// A `.npy` file (format 1.0, C order): its dtype, shape and data bytes.
struct Npy {
    descr: String,
    shape: Vec<usize>,
    data: Vec<u8>,
}

fn read_npy(path: &Path) -> Npy {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "magic of {}", path.display());
    assert_eq!(&bytes[6..8], &[1, 0], "version 1.0");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + header_len) % 64, 0, "data starts 64-byte aligned");
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(header.starts_with("{'descr': '"), "{header}");
    assert!(header.ends_with('\n'), "{header:?}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let descr = header["{'descr': '".len()..].split('\'').next().unwrap();
    let shape_text = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap();
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let item = match descr {
        "|b1" | "|i1" | "|u1" => 1,
        "<i2" => 2,
        "<i4" | "<f4" => 4,
        "<i8" | "<f8" => 8,
        u if u.starts_with("<U") => 4 * u[2..].parse::<usize>().unwrap(),
        other => panic!("unexpected dtype {other}"),
    };
    let data = bytes[10 + header_len..].to_vec();
    assert_eq!(
        data.len(),
        item * shape.iter().product::<usize>(),
        "data size"
    );
    Npy {
        descr: descr.to_string(),
        shape,
        data,
    }
}

impl Npy {
    fn chunks<const N: usize>(&self) -> impl Iterator<Item = [u8; N]> + '_ {
        self.data.chunks_exact(N).map(|c| c.try_into().unwrap())
    }
    fn i64s(&self) -> Vec<i64> {
        self.chunks::<8>().map(i64::from_le_bytes).collect()
    }
    fn i32s(&self) -> Vec<i32> {
        self.chunks::<4>().map(i32::from_le_bytes).collect()
    }
    fn i16s(&self) -> Vec<i16> {
        self.chunks::<2>().map(i16::from_le_bytes).collect()
    }
    fn i8s(&self) -> Vec<i8> {
        self.data.iter().map(|b| *b as i8).collect()
    }
    fn f32s(&self) -> Vec<f32> {
        self.chunks::<4>().map(f32::from_le_bytes).collect()
    }
    fn f64s(&self) -> Vec<f64> {
        self.chunks::<8>().map(f64::from_le_bytes).collect()
    }
    /// `<U{n}` cells: UTF-32LE, zero padded.
    fn strings(&self) -> Vec<String> {
        let width: usize = self.descr[2..].parse().unwrap();
        self.data
            .chunks_exact(4 * width)
            .map(|cell| {
                cell.chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                    .take_while(|c| *c != 0)
                    .map(|c| char::from_u32(c).unwrap())
                    .collect()
            })
            .collect()
    }
}

/// A Parquet file read with arrow-rs: its Arrow schema, metadata, and rows as JSON values
/// (nulls as `null`, lists as arrays, Float32 widened to f64).
struct ParquetFile {
    schema: SchemaRef,
    meta: Arc<ParquetMetaData>,
    rows: Vec<Map<String, Value>>,
}

fn arrow_value(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        ArrowType::Boolean => json!(array.as_boolean().value(i)),
        ArrowType::Int8 => json!(array.as_primitive::<Int8Type>().value(i)),
        ArrowType::Int16 => json!(array.as_primitive::<Int16Type>().value(i)),
        ArrowType::Int32 => json!(array.as_primitive::<Int32Type>().value(i)),
        ArrowType::Int64 => json!(array.as_primitive::<Int64Type>().value(i)),
        ArrowType::UInt8 => json!(array.as_primitive::<UInt8Type>().value(i)),
        ArrowType::Float32 => json!(array.as_primitive::<Float32Type>().value(i) as f64),
        ArrowType::Float64 => json!(array.as_primitive::<Float64Type>().value(i)),
        ArrowType::Utf8 => json!(array.as_string::<i32>().value(i)),
        ArrowType::List(_) => {
            let items = array.as_list::<i32>().value(i);
            Value::Array((0..items.len()).map(|j| arrow_value(&items, j)).collect())
        }
        other => panic!("unexpected Arrow type {other}"),
    }
}

fn read_parquet(path: &Path) -> ParquetFile {
    let file = fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let meta = builder.metadata().clone();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        for i in 0..batch.num_rows() {
            let row: Map<String, Value> = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, col)| (f.name().clone(), arrow_value(col.as_ref(), i)))
                .collect();
            rows.push(row);
        }
    }
    ParquetFile { schema, meta, rows }
}

impl ParquetFile {
    fn names(&self) -> Vec<&str> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }
    fn col(&self, name: &str) -> Vec<Value> {
        self.rows.iter().map(|r| r[name].clone()).collect()
    }
    fn arrow_type(&self, name: &str) -> &ArrowType {
        self.schema.field_with_name(name).unwrap().data_type()
    }
}

fn list_of(t: ArrowType) -> ArrowType {
    ArrowType::List(Arc::new(Field::new("element", t, true)))
}

fn col_of(rows: &[Map<String, Value>], name: &str) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            r.get(name)
                .unwrap_or_else(|| panic!("no {name} in {r:?}"))
                .clone()
        })
        .collect()
}

// ================================================================ every type, every format

/// Every writable type; nullable and default-valued fields; a dynamic field.
fn all_types_schema() -> CollectionSchema {
    use DataType as T;
    CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("b", T::Bool))
        .field(FieldSchema::new("i8", T::Int8))
        .field(FieldSchema::new("i16", T::Int16))
        .field(FieldSchema::new("i32", T::Int32))
        .field(FieldSchema::new("i64", T::Int64).nullable(true))
        .field(FieldSchema::new("f", T::Float))
        .field(FieldSchema::new("d", T::Double))
        .field(FieldSchema::new("s", T::VarChar).max_length(16))
        .field(FieldSchema::new("t", T::Text))
        .field(FieldSchema::new("g", T::Geometry))
        .field(FieldSchema::new("tz", T::Timestamptz))
        .field(FieldSchema::new("j", T::Json).nullable(true))
        .field(
            FieldSchema::new("arr_i", T::Array)
                .element_type(T::Int16)
                .max_capacity(4),
        )
        .field(
            FieldSchema::new("arr_s", T::Array)
                .element_type(T::VarChar)
                .max_capacity(3)
                .max_length(8)
                .nullable(true),
        )
        .field(FieldSchema::new("fv", T::FloatVector).dim(3))
        .field(FieldSchema::new("bv", T::BinaryVector).dim(16))
        .field(FieldSchema::new("hv", T::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", T::BFloat16Vector).dim(2))
        .field(FieldSchema::new("i8v", T::Int8Vector).dim(3))
        .field(FieldSchema::new("sp", T::SparseFloatVector).nullable(true))
        .field(FieldSchema::new("dflt", T::Int32).default_value(json!(42)))
        .field(
            FieldSchema::new("dflt_s", T::VarChar)
                .max_length(8)
                .nullable(true)
                .default_value(json!("dflt")),
        )
        .field(FieldSchema::new("nb", T::Bool).nullable(true))
        .enable_dynamic_field(true)
}

const ALL_COLUMNS: [&str; 25] = [
    "id", "b", "i8", "i16", "i32", "i64", "f", "d", "s", "t", "g", "tz", "j", "arr_i", "arr_s",
    "fv", "bv", "hv", "bfv", "i8v", "sp", "dflt", "dflt_s", "nb", "$meta",
];

const POW60_PLUS_1: i64 = (1 << 60) + 1;

/// Row 0: every field given; row 1: nulls and left-out fields (defaults); row 2: other forms
/// (JSON given as text, sparse as indices/values, bits as bools, an explicit null → default).
fn all_types_rows() -> Vec<Value> {
    vec![
        v(
            r#"{"id": 1, "b": true, "i8": -128, "i16": 32767, "i32": -2147483648,
              "i64": 9223372036854775807, "f": 0.1, "d": 0.1, "s": "héllo, \"w\"",
              "t": "line1\nline2", "g": "POINT (1 2)", "tz": "2025-01-02T03:04:05Z",
              "j": {"k": [1, "é"]}, "arr_i": [1, -2, 3], "arr_s": ["a", "b,c"],
              "fv": [0.1, -1.5, 3], "bv": [1,0,1,0,0,0,0,1, 1,1,1,1,1,1,1,1],
              "hv": [0.1, -2.0], "bfv": [0.1, 1.0], "i8v": [-128, 0, 127],
              "sp": {"1": 0.5, "100": 0.25}, "dflt": 9, "dflt_s": "given", "nb": false,
              "extra": {"x": 1}}"#,
        ),
        v(
            r#"{"id": 2, "b": false, "i8": 127, "i16": -32768, "i32": 2147483647, "i64": null,
              "f": 1, "d": -2.5, "s": "", "t": "", "g": "", "tz": "", "j": null, "arr_i": [],
              "fv": [0, 0, 0], "bv": [0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0], "hv": [0, 0],
              "bfv": [0, 0], "i8v": [0, 0, 0], "nb": null}"#,
        ),
        v(
            r#"{"id": 3, "b": true, "i8": 0, "i16": 0, "i32": 0, "i64": 1152921504606846977,
              "f": -0.5, "d": 1e300, "s": "x", "t": "ü", "g": "POINT (0 0)",
              "tz": "2025-01-01T00:00:00+08:00", "j": "[1, 2]", "arr_i": [7], "arr_s": [],
              "fv": [1, 2, 3],
              "bv": [false,false,false,false,true,true,true,true, true,true,true,true,false,false,false,false],
              "hv": [65504, -0.5], "bfv": [-1, 3e38], "i8v": [1, -1, 0],
              "sp": {"indices": [3, 4], "values": [0.1, 0.2]}, "dflt_s": null, "nb": true}"#,
        ),
    ]
}

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

/// NumPy holds no arrays, sparse vectors or nulls.
fn numpy_schema() -> CollectionSchema {
    use DataType as T;
    CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("b", T::Bool))
        .field(FieldSchema::new("i8", T::Int8))
        .field(FieldSchema::new("i16", T::Int16))
        .field(FieldSchema::new("i32", T::Int32))
        .field(FieldSchema::new("f", T::Float))
        .field(FieldSchema::new("d", T::Double))
        .field(FieldSchema::new("s", T::VarChar).max_length(16))
        .field(FieldSchema::new("t", T::Text))
        .field(FieldSchema::new("j", T::Json))
        .field(FieldSchema::new("fv", T::FloatVector).dim(3))
        .field(FieldSchema::new("bv", T::BinaryVector).dim(16))
        .field(FieldSchema::new("hv", T::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", T::BFloat16Vector).dim(2))
        .field(FieldSchema::new("i8v", T::Int8Vector).dim(3))
        .field(FieldSchema::new("dflt", T::Int32).default_value(json!(42)))
        .field(FieldSchema::new("nb", T::Bool).nullable(true))
        .enable_dynamic_field(true)
}

const NUMPY_COLUMNS: [&str; 18] = [
    "id", "b", "i8", "i16", "i32", "f", "d", "s", "t", "j", "fv", "bv", "hv", "bfv", "i8v", "dflt",
    "nb", "$meta",
];

fn numpy_rows() -> Vec<Value> {
    vec![
        v(
            r#"{"id": 1, "b": true, "i8": -128, "i16": 32767, "i32": -7, "f": 0.1, "d": 0.1,
              "s": "héllo", "t": "世界", "j": {"k": "é"}, "fv": [0.1, -1.5, 3],
              "bv": [1,0,1,0,0,0,0,1, 1,1,1,1,1,1,1,1], "hv": [0.1, -2.0], "bfv": [0.1, 1.0],
              "i8v": [-128, 0, 127], "nb": false, "extra": 7}"#,
        ),
        v(
            r#"{"id": 2, "b": false, "i8": 127, "i16": -1, "i32": 2147483647, "f": 1, "d": -2.5,
              "s": "", "t": "a", "j": [1, 2], "fv": [0, 0, 0],
              "bv": [0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0], "hv": [65504, -0.5], "bfv": [-1, 0],
              "i8v": [1, -1, 0], "dflt": 5, "nb": true}"#,
        ),
    ]
}

#[test]
fn numpy_files_hold_every_supported_type() {
    let dir = TempDir::created("numpy-all");
    let mut w = build(&numpy_schema(), dir.path(), BulkFileType::Numpy);
    for row in numpy_rows() {
        w.append_row(&row).unwrap();
    }
    w.commit().unwrap();
    let files = w.batch_files();
    assert_eq!(files.len(), 1);
    let folder = w.data_path().join("1");
    let want: Vec<String> = NUMPY_COLUMNS
        .iter()
        .map(|c| folder.join(format!("{c}.npy")).display().to_string())
        .collect();
    assert_eq!(files[0], want, "one file per column, in column order");
    let npy = |name: &str| read_npy(&folder.join(format!("{name}.npy")));
    let check = |name: &str, descr: &str, shape: &[usize]| {
        let f = npy(name);
        assert_eq!(
            (f.descr.as_str(), f.shape.as_slice()),
            (descr, shape),
            "{name}"
        );
        f
    };

    assert_eq!(check("id", "<i8", &[2]).i64s(), [1, 2]);
    assert_eq!(check("b", "|b1", &[2]).data, [1, 0]);
    assert_eq!(check("i8", "|i1", &[2]).i8s(), [-128, 127]);
    assert_eq!(check("i16", "<i2", &[2]).i16s(), [32767, -1]);
    assert_eq!(check("i32", "<i4", &[2]).i32s(), [-7, i32::MAX]);
    assert_eq!(check("f", "<f4", &[2]).f32s(), [0.1f32, 1.0]);
    assert_eq!(check("d", "<f8", &[2]).f64s(), [0.1, -2.5]);
    assert_eq!(check("s", "<U5", &[2]).strings(), ["héllo", ""]);
    assert_eq!(check("t", "<U2", &[2]).strings(), ["世界", "a"]);
    let j: Vec<Value> = npy("j").strings().iter().map(|s| v(s)).collect();
    assert_eq!(j, [json!({"k": "é"}), json!([1, 2])]);
    assert!(npy("j").descr.starts_with("<U"));
    assert_eq!(
        check("fv", "<f4", &[2, 3]).f32s(),
        [0.1f32, -1.5, 3.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(check("bv", "|u1", &[2, 2]).data, [161, 255, 0, 0]);
    assert_eq!(
        check("hv", "|u1", &[2, 4]).data,
        [102, 46, 0, 192, 255, 123, 0, 184]
    );
    assert_eq!(
        check("bfv", "|u1", &[2, 4]).data,
        [205, 61, 128, 63, 128, 191, 0, 0]
    );
    assert_eq!(check("i8v", "|i1", &[2, 3]).i8s(), [-128, 0, 127, 1, -1, 0]);
    assert_eq!(check("dflt", "<i4", &[2]).i32s(), [42, 5]);
    assert_eq!(check("nb", "|b1", &[2]).data, [0, 1]);
    let meta: Vec<Value> = npy("$meta").strings().iter().map(|s| v(s)).collect();
    assert_eq!(meta, [json!({"extra": 7}), json!({})]);
}

#[test]
fn numpy_float16_float_form() {
    let dir = TempDir::created("numpy-f16-float");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("hv", DataType::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", DataType::BFloat16Vector).dim(2));
    let mut w = builder(&schema, dir.path(), BulkFileType::Numpy)
        .float16_form(Float16Form::Float)
        .build()
        .unwrap();
    w.append_row(&json!({"id": 1, "hv": [0.1, -2.0], "bfv": [0.1, 1.0]}))
        .unwrap();
    w.append_row(&json!({"id": 2, "hv": [65504, -0.5], "bfv": [-1, 0]}))
        .unwrap();
    w.commit().unwrap();
    let hv = read_npy(&w.data_path().join("1/hv.npy"));
    assert_eq!(
        (hv.descr.as_str(), hv.shape.as_slice()),
        ("<f4", &[2, 2][..])
    );
    assert_eq!(hv.f32s(), [0.1f32, -2.0, 65504.0, -0.5]);
    let bfv = read_npy(&w.data_path().join("1/bfv.npy"));
    assert_eq!(bfv.descr, "<f4");
    assert_eq!(bfv.f32s(), [0.1f32, 1.0, -1.0, 0.0]);
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

fn one_field(name: &str, field: FieldSchema) -> CollectionSchema {
    assert_eq!(field.name, name);
    CollectionSchema::new().field(pk()).field(field)
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

#[derive(Serialize)]
struct BytesRow {
    id: i64,
    bv: Bytes,
    hv: Bytes,
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

// ================================================================ chunks and batch_files

fn id_vector_schema() -> CollectionSchema {
    // pymilvus's estimate: 8 (Int64) + 4·5 (FloatVector dim 5) = 28 bytes a row.
    one_field("v", FieldSchema::new("v", DataType::FloatVector).dim(5))
}

fn id_vector_row(id: i64) -> Value {
    json!({"id": id, "v": [0.5, 1.0, 1.5, 2.0, 2.5]})
}

fn assert_uuid(name: &str) {
    let b = name.as_bytes();
    assert_eq!(b.len(), 36, "{name}");
    for (i, c) in b.iter().enumerate() {
        if [8, 13, 18, 23].contains(&i) {
            assert_eq!(*c, b'-', "{name}");
        } else {
            assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{name}");
        }
    }
    assert_eq!(b[14], b'4', "version 4: {name}");
}

#[test]
fn splits_files_at_chunk_size_inside_append_row() {
    let dir = TempDir::created("split");
    let mut w = builder(&id_vector_schema(), dir.path(), BulkFileType::Jsonl)
        .chunk_size(40)
        .build()
        .unwrap();
    assert_eq!(w.data_path().parent(), Some(dir.path()));
    assert_uuid(&w.data_path().file_name().unwrap().to_string_lossy());

    w.append_row(&id_vector_row(1)).unwrap();
    assert_eq!(w.buffered_size(), 28);
    assert_eq!(w.buffered_rows(), 1);
    assert!(w.batch_files().is_empty());
    // 56 > 40: the second row goes into the chunk, which is written before append_row returns.
    w.append_row(&id_vector_row(2)).unwrap();
    assert_eq!((w.buffered_rows(), w.buffered_size()), (0, 0));
    let first = w.data_path().join("1.jsonl");
    assert_eq!(w.batch_files(), [[first.display().to_string()]]);
    assert!(first.is_file());
    for id in 3..=5 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    assert_eq!(w.batch_files().len(), 2);
    assert_eq!(w.buffered_rows(), 1);
    w.commit().unwrap();
    assert_eq!(w.total_rows(), 5);

    let files = w.batch_files();
    let want: Vec<Vec<String>> = (1..=3)
        .map(|n| {
            vec![w
                .data_path()
                .join(format!("{n}.jsonl"))
                .display()
                .to_string()]
        })
        .collect();
    assert_eq!(files, want);
    let ids: Vec<Vec<Value>> = files
        .iter()
        .map(|f| col_of(&read_jsonl(Path::new(&f[0])), "id"))
        .collect();
    assert_eq!(
        ids,
        [
            vec![json!(1), json!(2)],
            vec![json!(3), json!(4)],
            vec![json!(5)]
        ]
    );
    assert_eq!(
        files_under(w.data_path()),
        ["1.jsonl", "2.jsonl", "3.jsonl"]
    );
}

#[test]
fn chunk_limit_is_strictly_greater() {
    // 2 rows = 56 bytes, not above 56: the chunk closes after the third row (84 > 56).
    let dir = TempDir::created("split-strict");
    let mut w = builder(&id_vector_schema(), dir.path(), BulkFileType::Parquet)
        .chunk_size(56)
        .build()
        .unwrap();
    for id in 1..=7 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    w.commit().unwrap();
    let counts: Vec<usize> = w
        .batch_files()
        .iter()
        .map(|f| read_parquet(Path::new(&f[0])).rows.len())
        .collect();
    assert_eq!(counts, [3, 3, 1]);
}

#[test]
fn buffered_size_is_pymilvus_estimate() {
    let dir = TempDir::created("size");
    let mut w = build(&all_types_schema(), dir.path(), BulkFileType::Parquet);
    let rows = all_types_rows();
    // Row 0: 8 id + 1 b + 1 i8 + 2 i16 + 4 i32 + 8 i64 + 4 f + 8 d + 10 s + 11 t + 11 g
    // + 20 tz + 20 j (json.dumps with \u00e9) + 6 arr_i + 4 arr_s (characters) + 12 fv + 2 bv
    // + 8 hv + 8 bfv (4·dim for float input) + 3 i8v + 24 sp (12 per entry) + 4 dflt
    // + 5 dflt_s + 1 nb; dynamic keys count nothing.
    w.append_row(&rows[0]).unwrap();
    assert_eq!(w.buffered_size(), 185);
    // Row 1: nulls and defaults count nothing: 8+1+1+2+4 + 4 f + 8 d + 12+2+8+8+3.
    w.append_row(&rows[1]).unwrap();
    assert_eq!(w.buffered_size(), 185 + 61);
    // Row 2: "[1, 2]" is 6 characters of JSON text; sparse indices/values counts 24.
    w.append_row(&rows[2]).unwrap();
    assert_eq!(
        w.buffered_size(),
        185 + 61
            + (8 + 1
                + 1
                + 2
                + 4
                + 8
                + 4
                + 8
                + 1
                + 1
                + 11
                + 25
                + 6
                + 2
                + 12
                + 2
                + 8
                + 8
                + 3
                + 24
                + 1)
    );
    // Bytes input counts what it is: dim/8 for binary, 2·dim for half floats.
    let dir2 = TempDir::created("size-bytes");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16))
        .field(FieldSchema::new("hv", DataType::Float16Vector).dim(2));
    let mut w = build(&schema, dir2.path(), BulkFileType::Parquet);
    w.append_row(&BytesRow {
        id: 1,
        bv: Bytes(vec![1, 2]),
        hv: Bytes(vec![0, 60, 0, 64]),
    })
    .unwrap();
    assert_eq!(w.buffered_size(), 8 + 2 + 4);
}

#[test]
fn commit_with_nothing_buffered_writes_nothing() {
    let dir = TempDir::created("empty-commit");
    let mut w = build(&id_vector_schema(), dir.path(), BulkFileType::Csv);
    w.commit().unwrap();
    assert!(w.batch_files().is_empty());
    assert!(files_under(w.data_path()).is_empty());
    w.append_row(&id_vector_row(1)).unwrap();
    w.commit().unwrap();
    w.commit().unwrap();
    w.commit().unwrap();
    w.append_row(&id_vector_row(2)).unwrap();
    w.commit().unwrap();
    // File numbers have no gaps for empty commits.
    assert_eq!(files_under(w.data_path()), ["1.csv", "2.csv"]);
    assert_eq!(w.batch_files().len(), 2);
}

#[test]
fn numpy_batch_files_are_column_groups() {
    let dir = TempDir::created("numpy-groups");
    let schema = id_vector_schema().enable_dynamic_field(true);
    let mut w = builder(&schema, dir.path(), BulkFileType::Numpy)
        .chunk_size(40)
        .build()
        .unwrap();
    for id in 1..=3 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    w.commit().unwrap();
    let want: Vec<Vec<String>> = (1..=2)
        .map(|n| {
            ["id", "v", "$meta"]
                .iter()
                .map(|c| {
                    w.data_path()
                        .join(format!("{n}/{c}.npy"))
                        .display()
                        .to_string()
                })
                .collect()
        })
        .collect();
    assert_eq!(w.batch_files(), want);
    assert_eq!(read_npy(&w.data_path().join("1/id.npy")).i64s(), [1, 2]);
    assert_eq!(read_npy(&w.data_path().join("2/id.npy")).i64s(), [3]);
    let v = read_npy(&w.data_path().join("2/v.npy"));
    assert_eq!(v.shape, [1, 5]);
    assert_eq!(v.f32s(), [0.5, 1.0, 1.5, 2.0, 2.5]);
    assert_no_partial_files(w.data_path());
}

// ================================================================ failed writes

#[test]
fn commit_into_a_removed_folder_fails_and_keeps_rows() {
    let dir = TempDir::created("io-removed");
    let mut w = build(&id_vector_schema(), dir.path(), BulkFileType::Parquet);
    for id in 1..=3 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    fs::remove_dir(w.data_path()).unwrap();
    let err = w.commit().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(!w.data_path().exists(), "no file appears");
    assert!(w.batch_files().is_empty());
    assert_eq!(w.buffered_rows(), 3);
    // Until the failed chunk is written, new rows are refused (not piled up).
    let refused = w.append_row(&id_vector_row(4)).unwrap_err();
    assert!(matches!(refused, Error::InvalidRequest(_)), "{refused:?}");
    assert!(refused.to_string().contains("commit()"), "{refused}");

    fs::create_dir(w.data_path()).unwrap();
    w.commit().unwrap();
    w.append_row(&id_vector_row(4)).unwrap();
    w.commit().unwrap();
    let pq = read_parquet(&w.data_path().join("1.parquet"));
    assert_eq!(pq.col("id"), [json!(1), json!(2), json!(3)]);
    let pq = read_parquet(&w.data_path().join("2.parquet"));
    assert_eq!(pq.col("id"), [json!(4)]);
    assert_eq!(files_under(w.data_path()), ["1.parquet", "2.parquet"]);
}

#[test]
fn commit_when_the_folder_is_a_file_fails_and_keeps_rows() {
    for ft in [BulkFileType::Json, BulkFileType::Numpy] {
        let dir = TempDir::created("io-file");
        let mut w = build(&id_vector_schema(), dir.path(), ft);
        w.append_row(&id_vector_row(1)).unwrap();
        fs::remove_dir(w.data_path()).unwrap();
        fs::write(w.data_path(), b"in the way").unwrap();
        let err = w.commit().unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{ft:?}: {err:?}");
        assert_eq!(fs::read(w.data_path()).unwrap(), b"in the way");
        assert_eq!(w.buffered_rows(), 1);

        fs::remove_file(w.data_path()).unwrap();
        fs::create_dir(w.data_path()).unwrap();
        w.commit().unwrap();
        assert_eq!(w.batch_files().len(), 1);
        assert_eq!(w.buffered_rows(), 0);
        assert_no_partial_files(w.data_path());
    }
}

#[test]
fn a_file_that_cannot_be_renamed_into_place_leaves_nothing_behind() {
    // The final name is taken by a (non-empty) directory: the rename fails after the data was
    // written under the temporary name, which must be removed.
    for ft in [
        BulkFileType::Csv,
        BulkFileType::Parquet,
        BulkFileType::Numpy,
    ] {
        let dir = TempDir::created("io-rename");
        let mut w = build(&id_vector_schema(), dir.path(), ft);
        w.append_row(&id_vector_row(1)).unwrap();
        let target = match ft {
            BulkFileType::Numpy => w.data_path().join("1"),
            _ => w.data_path().join(format!("1.{}", ft.extension())),
        };
        fs::create_dir(&target).unwrap();
        fs::write(target.join("blocker"), b"x").unwrap();
        let err = w.commit().unwrap_err();
        match &err {
            Error::Io { action, .. } => assert!(action.contains("renam"), "{ft:?}: {err}"),
            other => panic!("{ft:?}: expected Io, got {other:?}"),
        }
        assert_no_partial_files(w.data_path());
        assert_eq!(
            files_under(w.data_path()).len(),
            1,
            "only the blocker: {ft:?}"
        );
        assert_eq!(w.buffered_rows(), 1);

        fs::remove_dir_all(&target).unwrap();
        assert!(
            w.append_row(&id_vector_row(2)).is_err(),
            "refused until commit"
        );
        w.commit().unwrap();
        assert_no_partial_files(w.data_path());
        let files = w.batch_files();
        assert_eq!(files.len(), 1, "{ft:?}");
        let ids: Vec<i64> = match ft {
            BulkFileType::Csv => read_csv(Path::new(&files[0][0]), ',')
                .col("id")
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            BulkFileType::Parquet => read_parquet(Path::new(&files[0][0]))
                .col("id")
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect(),
            _ => read_npy(Path::new(&files[0][0])).i64s(),
        };
        assert_eq!(ids, [1], "{ft:?}");
    }
}

#[test]
fn a_failed_split_in_append_row_keeps_the_row() {
    let dir = TempDir::created("io-split");
    let mut w = builder(&id_vector_schema(), dir.path(), BulkFileType::Jsonl)
        .chunk_size(40)
        .build()
        .unwrap();
    w.append_row(&id_vector_row(1)).unwrap();
    fs::remove_dir(w.data_path()).unwrap();
    // The row is taken, then writing the full chunk fails: the error is returned and both
    // rows stay buffered.
    let err = w.append_row(&id_vector_row(2)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!((w.buffered_rows(), w.total_rows()), (2, 2));
    fs::create_dir(w.data_path()).unwrap();
    w.commit().unwrap();
    let rows = read_jsonl(&w.data_path().join("1.jsonl"));
    assert_eq!(col_of(&rows, "id"), [json!(1), json!(2)]);
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

// ================================================================ the writer's folder

#[test]
fn folder_is_removed_on_drop_when_nothing_was_written() {
    let dir = TempDir::created("drop");
    let nested = dir.path().join("a/b"); // created with its parents
    let w = build(&id_vector_schema(), &nested, BulkFileType::Parquet);
    let data_path = w.data_path().to_path_buf();
    assert!(data_path.is_dir());
    drop(w);
    assert!(!data_path.exists());
    assert!(nested.is_dir(), "only the writer's own folder goes");

    // Rows never committed are not written (as in pymilvus), and the folder goes too.
    let mut w = build(&id_vector_schema(), &nested, BulkFileType::Parquet);
    w.append_row(&id_vector_row(1)).unwrap();
    let data_path = w.data_path().to_path_buf();
    drop(w);
    assert!(!data_path.exists());

    // Written files stay.
    let mut w = build(&id_vector_schema(), &nested, BulkFileType::Parquet);
    w.append_row(&id_vector_row(1)).unwrap();
    w.commit().unwrap();
    let data_path = w.data_path().to_path_buf();
    drop(w);
    assert_eq!(files_under(&data_path), ["1.parquet"]);
}

#[test]
fn each_writer_gets_its_own_folder() {
    let dir = TempDir::created("uuid");
    let a = build(&id_vector_schema(), dir.path(), BulkFileType::Json);
    let b = build(&id_vector_schema(), dir.path(), BulkFileType::Json);
    assert_ne!(a.data_path(), b.data_path());
    assert_eq!(a.file_type(), BulkFileType::Json);
    assert_eq!(BulkFileType::default(), BulkFileType::Parquet);
    assert_eq!(
        [
            BulkFileType::Parquet,
            BulkFileType::Json,
            BulkFileType::Jsonl,
            BulkFileType::Csv,
            BulkFileType::Numpy
        ]
        .map(BulkFileType::extension),
        ["parquet", "json", "jsonl", "csv", "npy"]
    );
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

#[test]
fn what_pymilvus_does_not_count_still_ends_a_chunk() {
    // 28 estimated bytes a row, but ~600 bytes of dynamic keys: the chunk ends when the rows
    // hold twice chunk_size, so memory stays bounded.
    let schema = id_vector_schema().enable_dynamic_field(true);
    let dir = TempDir::created("extra-bytes");
    let mut w = builder(&schema, dir.path(), BulkFileType::Jsonl)
        .chunk_size(1000)
        .build()
        .unwrap();
    let note = "n".repeat(600);
    for id in 1..=3 {
        let mut row = id_vector_row(id);
        row["note"] = json!(note);
        w.append_row(&row).unwrap();
        assert!(w.batch_files().is_empty(), "row {id}");
    }
    let mut row = id_vector_row(4);
    row["note"] = json!(note);
    w.append_row(&row).unwrap();
    assert_eq!(w.batch_files().len(), 1, "4 rows hold ~2.5 KB > 2 x 1000");
    assert_eq!(w.buffered_rows(), 0);
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
