//! Writes JSON Lines rows into Milvus import files with `BulkWriter`, and prints where they went.
//!
//! ```sh
//! cargo run --example write_rows --features writer -- \
//!     --schema schema.json --format parquet --out out rows.jsonl
//! ```
//!
//! `schema.json` is a REST `collections/describe` reply (or its `data`), or pymilvus's
//! `CollectionSchema.to_dict()` as JSON. Options: `--chunk-size BYTES`,
//! `--float16 bytes|float`, `--csv-sep C`, `--csv-null KEY`, `--ignore-unknown`. Prints
//! `{"data_path": "...", "batch_files": [[...], ...]}`; a bad row or file error exits with 1.
//! The project's differential test against pymilvus and its Milvus 2.3.5 import check drive
//! the writer through this program.

use std::io::BufRead;
use std::process::ExitCode;

use milvus_bulk_import::writer::{BulkFileType, BulkWriter, CollectionSchema, Float16Form};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("write_rows: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut schema, mut format, mut out, mut rows) = (None, "parquet".to_string(), None, None);
    let mut chunk_size = None;
    let mut float16 = Float16Form::Bytes;
    let mut csv_sep = None;
    let mut csv_null = None;
    let mut ignore_unknown = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--schema" => schema = Some(value("--schema")?),
            "--format" => format = value("--format")?,
            "--out" => out = Some(value("--out")?),
            "--chunk-size" => chunk_size = Some(value("--chunk-size")?.parse::<usize>()?),
            "--float16" => {
                float16 = match value("--float16")?.as_str() {
                    "bytes" => Float16Form::Bytes,
                    "float" => Float16Form::Float,
                    other => return Err(format!("--float16 {other}: bytes or float").into()),
                }
            }
            "--csv-sep" => csv_sep = value("--csv-sep")?.chars().next(),
            "--csv-null" => csv_null = Some(value("--csv-null")?),
            "--ignore-unknown" => ignore_unknown = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}").into()),
            _ => rows = Some(arg),
        }
    }
    let schema_path = schema.ok_or("--schema is required")?;
    let schema = CollectionSchema::from_json(&std::fs::read_to_string(&schema_path)?)?;
    let file_type = match format.as_str() {
        "parquet" => BulkFileType::Parquet,
        "json" => BulkFileType::Json,
        "jsonl" => BulkFileType::Jsonl,
        "csv" => BulkFileType::Csv,
        "numpy" | "npy" => BulkFileType::Numpy,
        other => return Err(format!("unknown format {other}").into()),
    };
    let mut builder = BulkWriter::builder(&schema, out.ok_or("--out is required")?)
        .file_type(file_type)
        .float16_form(float16)
        .ignore_unknown_fields(ignore_unknown);
    if let Some(size) = chunk_size {
        builder = builder.chunk_size(size);
    }
    if let Some(sep) = csv_sep {
        builder = builder.csv_separator(sep);
    }
    if let Some(key) = csv_null {
        builder = builder.csv_null_key(key);
    }
    let mut writer = builder.build()?;
    let input: Box<dyn BufRead> = match rows.as_deref() {
        None | Some("-") => Box::new(std::io::stdin().lock()),
        Some(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path)?)),
    };
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        writer.append_row(&row)?;
    }
    writer.commit()?;
    let report = serde_json::json!({
        "data_path": writer.data_path().to_string_lossy(),
        "batch_files": writer.batch_files(),
    });
    println!("{report}");
    Ok(())
}
