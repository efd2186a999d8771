//! `BulkWriter` end to end: rows in, files read back with independent readers (serde_json, a
//! small CSV parser, a `.npy` parser, arrow-rs's Parquet reader); row validation, schema checks
//! and parsing, the dynamic field, chunking, and what happens when writing fails.
//!
//! This file holds the helpers and the readers; the tests are in one file per capability:
//! `formats`, `numpy`, `validation`, `schema`, `struct_rows_and_dynamic_field` and
//! `chunks_and_failures`.

mod chunks_and_failures;
mod formats;
mod numpy;
mod schema;
mod struct_rows_and_dynamic_field;
mod validation;

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

// ================================================================ schemas and rows several files use

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

fn one_field(name: &str, field: FieldSchema) -> CollectionSchema {
    assert_eq!(field.name, name);
    CollectionSchema::new().field(pk()).field(field)
}

#[derive(Serialize)]
struct BytesRow {
    id: i64,
    bv: Bytes,
    hv: Bytes,
}
