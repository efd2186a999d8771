//! The "books" fixture of the writer's upload tests: the schema `{id Int64 pk, vector
//! FloatVector(4), title VarChar(64)}`, its rows, and the files a local-only writer writes for
//! them (what an upload must match byte for byte).

use milvus_bulk_import::writer::{
    BulkFileType, BulkWriter, CollectionSchema, DataType, FieldSchema,
};
use serde_json::{json, Value};

use super::tempdir::TempDir;

pub fn schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("vector", DataType::FloatVector).dim(4))
        .field(FieldSchema::new("title", DataType::VarChar).max_length(64))
}

/// Row `i`.
pub fn row(i: i64) -> Value {
    let f = i as f32;
    json!({"id": i, "vector": [f, f + 0.5, -f, 0.25], "title": format!("book {i}")})
}

/// Rows `0..n`.
pub fn rows(n: i64) -> Vec<Value> {
    (0..n).map(row).collect()
}

/// The files a local-only writer (with `chunk_size`, if given) writes for `rows`, in order, as
/// bytes.
pub fn local_files(
    file_type: BulkFileType,
    chunk_size: Option<usize>,
    rows: &[Value],
) -> Vec<Vec<u8>> {
    let dir = TempDir::new("local");
    let mut builder = BulkWriter::builder(&schema(), dir.path()).file_type(file_type);
    if let Some(bytes) = chunk_size {
        builder = builder.chunk_size(bytes);
    }
    let mut writer = builder.build().unwrap();
    for row in rows {
        writer.append_row(row).unwrap();
    }
    writer.commit().unwrap();
    writer
        .batch_files()
        .into_iter()
        .flatten()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}
