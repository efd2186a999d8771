//! `BulkWriter` to Parquet against writing the same columns with arrow-rs directly.
//!
//! ```text
//! cargo bench --features writer --bench writer
//! ```
//!
//! 100 000 rows of `{id: Int64 (primary key), vector: FloatVector(768), title: VarChar(256),
//! score: Float}` (≈ 310 MB as pymilvus counts it), generated outside the timing:
//!
//! * `writer/derive_struct`: `append_row` of a `#[derive(Serialize)]` struct per row, then
//!   `commit`, with `chunk_size(1 GiB)` so that all rows go to one file, like the baseline;
//! * `writer/derive_struct_chunk128MiB`: the same with the default `chunk_size` (128 MiB, as
//!   pymilvus's `LocalBulkWriter`): three files;
//! * `writer/json_value`: the same rows as `serde_json::Value` objects;
//! * `writer/arrow_direct`: the baseline: `Int64Array`, `ListArray<Float32>` (child `element`),
//!   `StringArray` and `Float32Array` built from the rows' column `Vec`s (copied, as they are
//!   needed again) and written by `ArrowWriter` with the writer's `WriterProperties` (Snappy,
//!   no dictionary and no statistics for `vector.list.element`, pymilvus's row-group size),
//!   through the same 1 MiB `BufWriter` and `sync_all`, in one `write` call;
//! * `writer/arrow_direct_sliced`: the same, with the batch handed to `ArrowWriter` in slices
//!   of 64Ki vector values (85 rows), as a writer should: arrow-rs computes levels and 8 bytes
//!   of indices per leaf value for each `write` call, so one call per row group costs time and
//!   memory. Same row groups and encodings.
//!
//! Every iteration writes a fresh directory under the system temp dir, removed outside the
//! timing. Throughput is in rows; the writer's speed relative to arrow-rs is
//! `time(arrow_direct) / time(writer/…)`.

use std::fs::File;
use std::hint::black_box;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Float32Array, Int64Array, ListArray, RecordBatch, StringArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, Field, Schema};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use milvus_bulk_import::writer::{BulkWriter, CollectionSchema, DataType, FieldSchema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::Serialize;
use serde_json::{json, Value};

#[path = "common/rows.rs"]
mod rows;

use rows::{Columns, Row, DIM};

const ROWS: usize = 100_000;
const SEED: u64 = 0x5eed_1234_abcd_ef01;

fn schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("vector", DataType::FloatVector).dim(DIM as u32))
        .field(FieldSchema::new("title", DataType::VarChar).max_length(256))
        .field(FieldSchema::new("score", DataType::Float))
}

/// A directory of its own for one benchmark, under the system temp dir.
fn bench_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mbi-bench-writer-{}-{name}", std::process::id()))
}

/// Total size and count of the files under `dir` (one level of `<uuid>/` folders).
fn files_under(dir: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total.0 += meta.len();
                total.1 += 1;
            }
        }
    }
    total
}

/// Prints what a benchmark wrote, once per benchmark (a sanity check that they compare alike).
fn report_once(name: &str, dir: &Path) {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap();
    if !seen.iter().any(|s| s == name) {
        let (bytes, files) = files_under(dir);
        eprintln!("  [{name}: {files} file(s), {bytes} bytes]");
        seen.push(name.to_string());
    }
}

/// Runs `once` (which writes into the given empty directory and returns its own timing)
/// `iters` times, removing what it wrote after each run, outside the timing.
fn timed(name: &str, iters: u64, mut once: impl FnMut(&Path) -> Duration) -> Duration {
    let dir = bench_dir(name);
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        std::fs::create_dir_all(&dir).expect("bench dir");
        total += once(&dir);
        report_once(name, &dir);
        std::fs::remove_dir_all(&dir).expect("removing bench dir");
    }
    total
}

fn write_with_writer<T: Serialize>(
    schema: &CollectionSchema,
    rows: &[T],
    dir: &Path,
    chunk_size: Option<usize>,
) -> Duration {
    let start = Instant::now();
    let mut builder = BulkWriter::builder(schema, dir);
    if let Some(c) = chunk_size {
        builder = builder.chunk_size(c);
    }
    let mut writer = builder.build().expect("writer");
    for row in rows {
        writer.append_row(row).expect("row");
    }
    writer.commit().expect("commit");
    let elapsed = start.elapsed();
    assert_eq!(writer.total_rows(), rows.len() as u64);
    black_box(writer.batch_files());
    elapsed
}

/// pymilvus's row-group size for these rows (as the writer computes it).
fn row_group_rows(cols: &Columns) -> usize {
    let size: u64 = cols.titles.iter().map(|t| rows::pymilvus_row_size(t)).sum();
    let per_row = size / cols.ids.len().max(1) as u64 + 1;
    ((32u64 << 20) / per_row).clamp(1000, 1_000_000) as usize
}

/// The baseline: the columns straight through arrow-rs, with the writer's properties.
fn write_with_arrow(cols: &Columns, group: usize, slice: Option<usize>, path: &Path) -> Duration {
    let start = Instant::now();
    let n = cols.ids.len();
    let element = Arc::new(Field::new("element", ArrowType::Float32, true));
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", ArrowType::Int64, true),
        Field::new("vector", ArrowType::List(element.clone()), true),
        Field::new("title", ArrowType::Utf8, true),
        Field::new("score", ArrowType::Float32, true),
    ]));
    let ids: ArrayRef = Arc::new(Int64Array::new(ScalarBuffer::from(cols.ids.clone()), None));
    let values = Float32Array::new(ScalarBuffer::from(cols.vectors.clone()), None);
    let vectors: ArrayRef = Arc::new(
        ListArray::try_new(
            element,
            OffsetBuffer::from_lengths(std::iter::repeat_n(DIM, n)),
            Arc::new(values),
            None,
        )
        .expect("list array"),
    );
    let titles: ArrayRef = Arc::new(StringArray::from_iter_values(cols.titles.iter()));
    let scores: ArrayRef = Arc::new(Float32Array::new(
        ScalarBuffer::from(cols.scores.clone()),
        None,
    ));
    let batch = RecordBatch::try_new(schema.clone(), vec![ids, vectors, titles, scores])
        .expect("record batch");
    let vector_leaf = ColumnPath::new(vec!["vector".into(), "list".into(), "element".into()]);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(group))
        .set_column_dictionary_enabled(vector_leaf.clone(), false)
        .set_column_statistics_enabled(vector_leaf, EnabledStatistics::None)
        .build();
    let file = File::create(path).expect("create");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props)).expect("arrow writer");
    match slice {
        None => writer.write(&batch).expect("write"),
        Some(rows) => {
            let mut at = 0;
            while at < n {
                let len = rows.min(n - at);
                writer.write(&batch.slice(at, len)).expect("write");
                at += len;
            }
        }
    }
    writer.close().expect("close");
    let file = out.into_inner().expect("flush");
    file.sync_all().expect("sync");
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let schema = schema();
    eprintln!("generating {ROWS} rows…");
    let rows = rows::rows(ROWS, SEED);
    let cols = rows::columns(&rows);
    let group = row_group_rows(&cols);
    // 2.4 GB of `Value`s: built only if `json_value` runs, once.
    let values: OnceLock<Vec<Value>> = OnceLock::new();
    let values = || {
        values.get_or_init(|| {
            rows.iter()
                .map(|r: &Row| {
                    json!({"id": r.id, "vector": r.vector, "title": r.title, "score": r.score})
                })
                .collect()
        })
    };

    let mut g = c.benchmark_group("writer");
    g.throughput(Throughput::Elements(ROWS as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));

    g.bench_function("derive_struct", |b| {
        b.iter_custom(|iters| {
            timed("derive_struct", iters, |dir| {
                write_with_writer(&schema, &rows, dir, Some(1 << 30))
            })
        })
    });
    g.bench_function("derive_struct_chunk128MiB", |b| {
        b.iter_custom(|iters| {
            timed("derive_struct_chunk128MiB", iters, |dir| {
                write_with_writer(&schema, &rows, dir, None)
            })
        })
    });
    g.bench_function("json_value", |b| {
        let values = values();
        b.iter_custom(|iters| {
            timed("json_value", iters, |dir| {
                write_with_writer(&schema, values, dir, Some(1 << 30))
            })
        })
    });
    g.bench_function("arrow_direct", |b| {
        b.iter_custom(|iters| {
            timed("arrow_direct", iters, |dir| {
                write_with_arrow(&cols, group, None, &dir.join("1.parquet"))
            })
        })
    });
    g.bench_function("arrow_direct_sliced", |b| {
        b.iter_custom(|iters| {
            timed("arrow_direct_sliced", iters, |dir| {
                write_with_arrow(&cols, group, Some((1 << 16) / DIM), &dir.join("1.parquet"))
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
