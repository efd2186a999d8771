//! Rows to an import job: write Parquet files with `BulkWriter`, then import them.
//!
//! ```text
//! cargo run --example write_and_import --features writer,emulator
//! ```
//!
//! It declares a collection's schema, writes 10 000 rows (a struct per row) into Parquet files
//! of at most 1 MiB of rows each, imports the files into the crate's emulator (started
//! in-process), waits for the job and prints it. Against a real Milvus, the files must first be
//! in the server's bucket: `batch_files()` are then the keys to import.

use std::process::ExitCode;
use std::time::Duration;

use milvus_bulk_import::emulator::{EmulatorConfig, Timing};
use milvus_bulk_import::writer::{
    BulkFileType, BulkWriter, CollectionSchema, DataType, FieldSchema,
};
use milvus_bulk_import::{BulkImportApi, BulkImportRequest, JobRequest, WaitOptions};
use serde::Serialize;

/// One row: field names are the schema's; `Option` fields may be left null.
#[derive(Serialize)]
struct Book {
    id: i64,
    vector: Vec<f32>,
    title: String,
    tags: Vec<String>,
    price: Option<f64>,
    /// Not in the schema: goes into the dynamic field.
    source: &'static str,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let dim = 64;
    let schema = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("vector", DataType::FloatVector).dim(dim))
        .field(FieldSchema::new("title", DataType::VarChar).max_length(256))
        .field(
            FieldSchema::new("tags", DataType::Array)
                .element_type(DataType::VarChar)
                .max_capacity(8)
                .max_length(32),
        )
        .field(FieldSchema::new("price", DataType::Double).nullable(true))
        .field(FieldSchema::new("stock", DataType::Int32).default_value(serde_json::json!(0)))
        .enable_dynamic_field(true);

    // 1. Write the rows.
    let dir = std::env::temp_dir().join(format!("write_and_import-{}", std::process::id()));
    let mut writer = BulkWriter::builder(&schema, &dir)
        .file_type(BulkFileType::Parquet)
        .chunk_size(1 << 20)
        .build()?;
    for i in 0..10_000i64 {
        let book = Book {
            id: i,
            vector: (0..dim)
                .map(|d| ((i * 31 + d as i64) % 97) as f32 / 97.0)
                .collect(),
            title: format!("book {i}"),
            tags: vec![if i % 2 == 0 { "even" } else { "odd" }.to_string()],
            price: (i % 10 != 0).then_some(i as f64 / 4.0),
            source: "example",
        };
        writer.append_row(&book)?;
    }
    writer.commit()?;
    let files = writer.batch_files();
    println!(
        "wrote {} rows into {} files under {}",
        writer.total_rows(),
        files.len(),
        writer.data_path().display()
    );
    for group in &files {
        let size = std::fs::metadata(&group[0])?.len();
        println!("  {} ({size} bytes)", group[0]);
    }

    // 2. Import them (here into the emulator, which answers like Milvus 2.4+).
    let emulator = EmulatorConfig::milvus()
        .timing(Timing::RealTime(Duration::from_secs(1)))
        .start()?;
    let api = BulkImportApi::new(emulator.url(), "")?;
    let created = api.bulk_import(&BulkImportRequest::new("books").files(files))?;
    println!("created import job {}", created.data().job_id);
    let done = api.wait_for_import(
        &JobRequest::new(&created.data().job_id),
        &WaitOptions::new()
            .interval(Duration::from_millis(200))
            .timeout(Duration::from_secs(60))
            .on_progress(|p| {
                println!(
                    "  {:<11} {:>3}%",
                    p.state.to_string(),
                    p.progress.unwrap_or(0)
                )
            }),
    )?;
    println!("job {} {}", done.data().job_id, done.data().state);

    drop(writer);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
