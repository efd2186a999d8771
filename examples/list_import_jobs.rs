//! The `list_import_jobs()` example of the Zilliz / pymilvus reference page, in Rust.
//!
//! ```text
//! MILVUS_URI=https://api.cloud.zilliz.com MILVUS_TOKEN=... ZILLIZ_CLUSTER_ID=inxx-... \
//!     cargo run --example list_import_jobs
//! MILVUS_URI=http://127.0.0.1:19530 MILVUS_TOKEN=root:Milvus cargo run --example list_import_jobs
//! ```
//!
//! Without `MILVUS_URI` it runs offline: the request is built exactly as for a server, then
//! answered with the reference page's sample reply, so the parsing and printing can be seen
//! on a machine with no server and no credentials.

use std::env;
use std::process::ExitCode;

use milvus_bulk_import::{http, BulkImportApi, FnTransport, ListImportJobsRequest};

/// The "Response syntax" sample of the reference page.
const SAMPLE_REPLY: &str = r#"{"code":0,"data":{"records":[{"collectionName":"quick_setup","jobId":"453240863839750922","progress":100,"state":"Completed"}]}}"#;

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
    let token = env::var("MILVUS_TOKEN").unwrap_or_default();
    let cluster_id = env::var("ZILLIZ_CLUSTER_ID").unwrap_or_default();
    let api = match env::var("MILVUS_URI") {
        Ok(uri) if !uri.trim().is_empty() => BulkImportApi::new(uri, token)?,
        _ => {
            eprintln!(
                "MILVUS_URI is not set: running offline, answering with the reference page's \
                 sample reply.\nSet MILVUS_URI and MILVUS_TOKEN (and ZILLIZ_CLUSTER_ID for Zilliz \
                 Cloud) to ask a real server.\n"
            );
            offline(token)?
        }
    };

    // List bulk-insert jobs
    let mut request = ListImportJobsRequest::new();
    if !cluster_id.is_empty() {
        request = request.cluster_id(cluster_id);
    }
    let resp = api.list_import_jobs(&request)?;

    // print(json.dumps(resp.json(), indent=4))
    let json: serde_json::Value = resp.response().json()?;
    println!("{}", serde_json::to_string_pretty(&json)?);

    println!();
    println!("{} job(s):", resp.data().records.len());
    for job in &resp.data().records {
        let progress = job.progress.map_or("-".to_string(), |p| format!("{p}%"));
        print!(
            "  {}  {}  {}  {}",
            job.job_id, job.collection_name, job.state, progress
        );
        match &job.reason {
            Some(reason) => println!("  ({reason})"),
            None => println!(),
        }
    }
    Ok(())
}

/// A client whose transport shows the request it was given and answers with [`SAMPLE_REPLY`].
fn offline(token: String) -> Result<BulkImportApi, milvus_bulk_import::Error> {
    let transport = FnTransport::new(|request: http::Request<Vec<u8>>| {
        eprintln!(
            "{} {}\n{}\n",
            request.method(),
            request.uri(),
            String::from_utf8_lossy(request.body())
        );
        let mut reply = http::Response::new(SAMPLE_REPLY.as_bytes().to_vec());
        reply.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok(reply)
    });
    BulkImportApi::builder("https://api.cloud.zilliz.com")
        .api_key(token)
        .transport(transport)
        .build()
}
