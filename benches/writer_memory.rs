//! Peak memory of `BulkWriter` writing ~2 GB of rows to Parquet with `chunk_size(64 MiB)`: the
//! buffer must stay bounded by the chunk size, whatever the total.
//!
//! ```text
//! cargo bench --features writer --bench writer_memory
//! MBI_WRITER_MEMORY_ROWS=200000 cargo bench --features writer --bench writer_memory
//! ```
//!
//! Rows are `{id, vector: FloatVector(768), title, score}` (≈ 3.1 KB each as pymilvus counts
//! them), generated on the fly into one reused buffer, so that the process holds no rows of
//! its own. `MBI_WRITER_MEMORY_ROWS` sets the row count (default 700 000, ≈ 2.2 GB). The
//! resident set is read from `/proc/self/status`: `VmRSS` before writing (the baseline, with
//! `VmHWM` then reset through `/proc/self/clear_refs`), `VmRSS` every 10 000 rows, and `VmHWM`
//! at the end. It checks `peak ≤ baseline + 2 × chunk_size + 64 MiB`, and exits with 1 if not.
//! Linux only. Files go to a directory under the system temp dir, removed as they are written.

use std::time::Instant;

use milvus_bulk_import::writer::{BulkWriter, CollectionSchema, DataType, FieldSchema};

mod common;
#[path = "common/rows.rs"]
mod rows;

use common::status_bytes;
use rows::{RowRef, XorShift, DIM};

const CHUNK_SIZE: usize = 64 << 20;
const MIB: f64 = (1u64 << 20) as f64;

fn main() {
    // `cargo bench` passes `--bench`; criterion-style filters are not used here.
    let n: usize = match std::env::var("MBI_WRITER_MEMORY_ROWS") {
        Ok(v) => v.parse().expect("MBI_WRITER_MEMORY_ROWS: a row count"),
        Err(_) => 700_000,
    };
    let schema = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("vector", DataType::FloatVector).dim(DIM as u32))
        .field(FieldSchema::new("title", DataType::VarChar).max_length(256))
        .field(FieldSchema::new("score", DataType::Float));
    let dir = std::env::temp_dir().join(format!("mbi-bench-writer-memory-{}", std::process::id()));

    let mut rng = XorShift::new(0x5eed_1234_abcd_ef01);
    let mut vector = vec![0.0f32; DIM];
    let mut writer = BulkWriter::builder(&schema, &dir)
        .chunk_size(CHUNK_SIZE)
        .build()
        .expect("writer");

    let baseline = status_bytes("VmRSS:");
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let mut max_rss = baseline;
    let mut removed = 0usize;
    let mut bytes_written = 0u64;
    let mut estimated = 0u64;
    let start = Instant::now();
    for i in 0..n {
        let (title, score) = rows::fill_row(&mut rng, &mut vector);
        estimated += rows::pymilvus_row_size(&title);
        writer
            .append_row(&RowRef {
                id: i as i64,
                vector: &vector,
                title: &title,
                score,
            })
            .expect("row");
        if i % 10_000 == 9_999 {
            max_rss = max_rss.max(status_bytes("VmRSS:"));
            // Remove finished files, so that 2 GB of output need not fit on the disk.
            let files = writer.batch_files();
            for group in &files[removed..] {
                for f in group {
                    bytes_written += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
                    std::fs::remove_file(f).expect("removing a written file");
                }
            }
            removed = files.len();
        }
    }
    writer.commit().expect("commit");
    let elapsed = start.elapsed();
    max_rss = max_rss.max(status_bytes("VmRSS:"));
    let peak = status_bytes("VmHWM:");
    let files = writer.batch_files();
    for group in &files[removed..] {
        for f in group {
            bytes_written += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            std::fs::remove_file(f).expect("removing a written file");
        }
    }
    let data_path = writer.data_path().to_path_buf();
    drop(writer);
    let _ = std::fs::remove_dir_all(&data_path);
    let _ = std::fs::remove_dir(&dir);

    let limit = baseline + 2 * CHUNK_SIZE as u64 + (64 << 20);
    println!(
        "writer_memory: {n} rows, chunk_size {} MiB",
        CHUNK_SIZE >> 20
    );
    println!(
        "  rows: {:.0} MiB as pymilvus counts them; {} files, {:.0} MiB of Parquet; {:.1} s ({:.0} rows/s)",
        estimated as f64 / MIB,
        files.len(),
        bytes_written as f64 / MIB,
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  baseline VmRSS before writing: {:.1} MiB",
        baseline as f64 / MIB
    );
    println!(
        "  max VmRSS sampled every 10 000 rows: {:.1} MiB",
        max_rss as f64 / MIB
    );
    println!(
        "  peak VmHWM: {:.1} MiB{} = baseline + {:.1} MiB ({:.2} × chunk_size)",
        peak as f64 / MIB,
        if hwm_reset {
            ""
        } else {
            " (not reset: includes start-up)"
        },
        peak.saturating_sub(baseline) as f64 / MIB,
        peak.saturating_sub(baseline) as f64 / CHUNK_SIZE as f64
    );
    println!(
        "  limit baseline + 2 × chunk_size + 64 MiB: {:.1} MiB: {}",
        limit as f64 / MIB,
        if peak <= limit { "ok" } else { "EXCEEDED" }
    );
    if peak > limit {
        std::process::exit(1);
    }
}
