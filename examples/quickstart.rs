//! An import from start to finish: declare a schema, write rows into Parquet files, create an
//! import job for them, watch it until it ends, list the jobs.
//!
//! ```text
//! cargo run --example quickstart --features emulator
//! ```
//!
//! With nothing configured it starts the crate's emulator in-process (open-source Milvus
//! flavor, a job takes about 2 s) with a local directory as its bucket, writes 1 000 rows there
//! with `BulkWriter`, and imports them over real HTTP: the emulator reads the files and checks
//! them against the collection's schema, as a server would. To use a real server instead (the
//! files must then already be in its bucket):
//!
//! | variable | meaning |
//! |---|---|
//! | `MILVUS_URI` | `http://127.0.0.1:19530`, or `https://api.cloud.zilliz.com` |
//! | `MILVUS_TOKEN` | `user:password`, or a Zilliz Cloud API key |
//! | `ZILLIZ_CLUSTER_ID` | Zilliz Cloud: the cluster (`in01-…`) |
//! | `IMPORT_COLLECTION` | the target collection (default `quick_setup`) |
//! | `IMPORT_FILES` | comma-separated files in Milvus's bucket, or object URLs for Zilliz Cloud (default `1.parquet`) |
//! | `OBJECT_ACCESS_KEY`, `OBJECT_SECRET_KEY` | Zilliz Cloud: object-store credentials |

use std::env;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use milvus_bulk_import::emulator::{EmulatorConfig, Timing};
use milvus_bulk_import::writer::{
    BulkFileType, BulkWriter, CollectionSchema, DataType, FieldSchema,
};
use milvus_bulk_import::{
    BulkImportApi, BulkImportRequest, Error, JobRequest, ListImportJobsRequest, WaitOptions,
};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn var(name: &str) -> String {
    env::var(name).unwrap_or_default().trim().to_string()
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole run; it stops when dropped.
    let mut _emulator = None;
    let mut written: Option<Vec<Vec<String>>> = None;
    let bucket = env::temp_dir().join(format!("quickstart-bucket-{}", std::process::id()));
    let (uri, token) = if var("MILVUS_URI").is_empty() {
        // 0. Declare the collection and write rows into Parquet files in the emulator's bucket.
        let schema = CollectionSchema::new()
            .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
            .field(FieldSchema::new("vector", DataType::FloatVector).dim(8))
            .field(FieldSchema::new("title", DataType::VarChar).max_length(64))
            .field(FieldSchema::new("price", DataType::Double).nullable(true))
            .enable_dynamic_field(true);
        let mut writer = BulkWriter::builder(&schema, &bucket)
            .file_type(BulkFileType::Parquet)
            .chunk_size(32 << 10) // small chunks, to show several files
            .build()?;
        let colors = ["red", "green", "blue"];
        for i in 0..1_000i64 {
            writer.append_row(&serde_json::json!({
                "id": i,
                "vector": (0..8).map(|d| ((i + d) % 10) as f32 / 10.0).collect::<Vec<_>>(),
                "title": format!("item {i}"),
                "price": if i % 7 == 0 { None } else { Some(i as f64 * 0.25) },
                "color": colors[i as usize % 3], // not in the schema: a dynamic field
            }))?;
        }
        writer.commit()?;
        // The files, as keys relative to the bucket (as Milvus takes them).
        let keys: Vec<Vec<String>> = writer
            .batch_files()
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|f| {
                        Path::new(f)
                            .strip_prefix(&bucket)
                            .map(|p| p.to_string_lossy().replace('\\', "/"))
                            .unwrap_or_else(|_| f.clone())
                    })
                    .collect()
            })
            .collect();
        println!(
            "wrote {} rows into {} Parquet files under {}",
            writer.total_rows(),
            keys.len(),
            writer.data_path().display()
        );
        written = Some(keys);

        let emulator = EmulatorConfig::milvus()
            .auth("root", "Milvus")
            .timing(Timing::RealTime(Duration::from_secs(2)))
            .data_root(&bucket)
            .collection("quick_setup", schema)
            .start()?;
        println!(
            "MILVUS_URI is not set: started the emulator at {}\n",
            emulator.url()
        );
        let uri = emulator.url();
        _emulator = Some(emulator);
        (uri, "root:Milvus".to_string())
    } else {
        (var("MILVUS_URI"), var("MILVUS_TOKEN"))
    };
    let cluster_id = var("ZILLIZ_CLUSTER_ID");
    let collection = Some(var("IMPORT_COLLECTION"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "quick_setup".into());
    let sources: Vec<Vec<String>> = written.unwrap_or_else(|| {
        Some(var("IMPORT_FILES"))
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "1.parquet".into())
            .split(',')
            .map(|f| vec![f.trim().to_string()])
            .collect()
    });

    let api = BulkImportApi::new(&uri, token)?;

    // 1. Create the import job.
    let mut request = BulkImportRequest::new(&collection);
    if cluster_id.is_empty() {
        request = request.files(sources);
    } else {
        request = request
            .cluster_id(&cluster_id)
            .object_urls(sources)
            .access_key(var("OBJECT_ACCESS_KEY"))
            .secret_key(var("OBJECT_SECRET_KEY"));
    }
    let created = api.bulk_import(&request)?;
    let job_id = created.data().job_id.clone();
    println!("created import job {job_id} into {collection}");

    // 2. Watch it until it ends (or waits for a commit).
    let mut job = JobRequest::new(&job_id);
    if !cluster_id.is_empty() {
        job = job.cluster_id(&cluster_id);
    }
    let started = Instant::now();
    let waited = api.wait_for_import(
        &job,
        &WaitOptions::new()
            .interval(Duration::from_millis(500))
            .timeout(Duration::from_secs(600))
            .on_progress(|p| {
                println!(
                    "  {:>5.1}s  {:<11} {:>3}%  rows {}/{}",
                    started.elapsed().as_secs_f64(),
                    p.state.to_string(),
                    p.progress.unwrap_or(0),
                    p.imported_rows.unwrap_or(0),
                    p.total_rows.unwrap_or(0),
                )
            }),
    );
    // The last describe reply, raw and typed; a failed job is an error with the server's reason.
    let reply = match waited {
        Ok(reply) => Some(reply),
        Err(Error::ImportFailed { reason, .. }) => {
            println!("  reason: {reason}");
            None
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(reason) = reply.as_ref().and_then(|r| r.data().reason.as_ref()) {
        println!("  reason: {reason}");
    }

    // 3. List the jobs.
    let mut list = ListImportJobsRequest::new().collection_name(&collection);
    if !cluster_id.is_empty() {
        list = list.cluster_id(&cluster_id);
    }
    let jobs = api.list_import_jobs(&list)?;
    println!("\n{} job(s) for {collection}:", jobs.data().records.len());
    for record in &jobs.data().records {
        println!(
            "  {}  {:<11} {}",
            record.job_id,
            record.state.to_string(),
            record.progress.map_or("-".into(), |p| format!("{p}%"))
        );
    }

    // 4. One raw reply, byte for byte as the server sent it: the one that ended the wait.
    let _ = std::fs::remove_dir_all(&bucket);
    let Some(reply) = reply else {
        return Ok(ExitCode::FAILURE);
    };
    let raw = reply.response();
    println!(
        "\nlast describe reply: HTTP {} {} in {:?}",
        raw.status_code(),
        raw.reason(),
        raw.elapsed()
    );
    println!("{}", raw.text());
    Ok(ExitCode::SUCCESS)
}
