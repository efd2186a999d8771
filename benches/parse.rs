//! What the client costs on top of the network, without a network: request building and JSON
//! encoding per operation, and reply decoding next to plain `serde_json` baselines.
//!
//! ```text
//! cargo bench --bench parse
//! ```
//!
//! * `request/<op>`: one call through an in-memory transport that answers the smallest valid
//!   reply at once: request building, JSON encoding, header setup and the (trivial) decode.
//! * `list/<n>_records/*` and `describe/1000_files/*`: the same reply bytes decoded
//!   - `sdk`: a whole `BulkImportApi` call (request, envelope check, typed records, the
//!     passthrough `Response`), through a transport that hands over reply bytes prepared
//!     outside the timing, as a real transport hands over what it read;
//!   - `serde_struct`: `serde_json::from_slice` into a minimal `#[derive(Deserialize)]` struct
//!     with just the typed fields (the baseline the SDK is held to);
//!   - `serde_value`: `serde_json::from_slice` into a `serde_json::Value`.
//! * `passthrough/1000_records/*`: the raw view of a reply already received: `text()` (a
//!   borrowed, UTF-8-checked view) and `json::<Value>()`.
//!
//! Throughput is in bytes of reply; records/s is the record count divided by the time.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use milvus_bulk_import::{
    http, BulkImportApi, BulkImportRequest, FnTransport, JobRequest, ListImportJobsRequest,
};
mod common;

use common::{describe_reply, list_reply, DescribeEnvelope, ListEnvelope};

/// A client whose transport hands over the reply a test put in `slot`, without copying it: the
/// bytes a real transport would have read from the socket.
fn slot_client(slot: Arc<Mutex<Option<Vec<u8>>>>) -> BulkImportApi {
    BulkImportApi::builder("http://127.0.0.1:19530")
        .api_key("root:Milvus")
        .transport(FnTransport::new(move |_| {
            let body = slot.lock().unwrap().take().expect("a reply in the slot");
            Ok(http::Response::new(body))
        }))
        .build()
        .expect("client")
}

fn client(reply: Vec<u8>) -> BulkImportApi {
    BulkImportApi::builder("http://127.0.0.1:19530")
        .api_key("root:Milvus")
        .transport(FnTransport::new(move |_| {
            Ok(http::Response::new(reply.clone()))
        }))
        .build()
        .expect("client")
}

fn requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("request");
    let api = client(br#"{"code":0,"data":{"jobId":"1","records":[]}}"#.to_vec());
    let create = BulkImportRequest::new("my_collection")
        .db_name("db1")
        .files(vec![vec!["a.parquet"], vec!["b.parquet"]])
        .option("timeout", "300s");
    group.bench_function("create", |b| {
        b.iter(|| black_box(api.bulk_import(black_box(&create)).unwrap()))
    });
    let list = ListImportJobsRequest::new().db_name("db1");
    group.bench_function("list", |b| {
        b.iter(|| black_box(api.list_import_jobs(black_box(&list)).unwrap()))
    });
    let job = JobRequest::new("449839014328146739").db_name("db1");
    group.bench_function("commit", |b| {
        b.iter(|| black_box(api.commit_import(black_box(&job)).unwrap()))
    });
    group.bench_function("abort", |b| {
        b.iter(|| black_box(api.abort_import(black_box(&job)).unwrap()))
    });
    let describe = client(describe_reply(0));
    group.bench_function("describe", |b| {
        b.iter(|| black_box(describe.get_import_progress(black_box(&job)).unwrap()))
    });
    group.finish();
}

/// Each routine is timed without its setup (a copy of the reply for the SDK) and without
/// dropping its output, for the SDK and the baselines alike.
fn decoding(c: &mut Criterion) {
    let slot: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let api = slot_client(slot.clone());
    // Hands a reply to the transport (a move: no copy).
    let put = |body: Vec<u8>| *slot.lock().unwrap() = Some(body);
    let size = BatchSize::LargeInput;

    for n in [10usize, 1_000, 100_000] {
        let reply = list_reply(n);
        let mut group = c.benchmark_group(format!("list/{n}_records"));
        group.throughput(Throughput::Bytes(reply.len() as u64));
        if n >= 100_000 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(8));
        }
        let request = ListImportJobsRequest::new();
        group.bench_function(BenchmarkId::from_parameter("sdk"), |b| {
            b.iter_batched(
                || reply.clone(),
                |body| {
                    put(body);
                    api.list_import_jobs(&request).unwrap()
                },
                size,
            )
        });
        group.bench_function(BenchmarkId::from_parameter("serde_struct"), |b| {
            b.iter_batched(
                || (),
                |()| serde_json::from_slice::<ListEnvelope>(black_box(&reply)).unwrap(),
                size,
            )
        });
        group.bench_function(BenchmarkId::from_parameter("serde_value"), |b| {
            b.iter_batched(
                || (),
                |()| serde_json::from_slice::<serde_json::Value>(black_box(&reply)).unwrap(),
                size,
            )
        });
        group.finish();
    }

    // The passthrough view on its own: what `response().text()` and `response().json()` cost
    // once a reply is in (the bytes are shared with the typed view, never copied).
    let reply = list_reply(1_000);
    let mut group = c.benchmark_group("passthrough/1000_records");
    group.throughput(Throughput::Bytes(reply.len() as u64));
    let resp = client(reply)
        .list_import_jobs(&ListImportJobsRequest::new())
        .unwrap();
    group.bench_function("text", |b| {
        b.iter(|| black_box(resp.response().text().len()))
    });
    group.bench_function("json_value", |b| {
        b.iter_batched(
            || (),
            |()| resp.response().json::<serde_json::Value>().unwrap(),
            size,
        )
    });
    group.finish();

    let reply = describe_reply(1_000);
    let mut group = c.benchmark_group("describe/1000_files");
    group.throughput(Throughput::Bytes(reply.len() as u64));
    let job = JobRequest::new("449839014328146739");
    group.bench_function(BenchmarkId::from_parameter("sdk"), |b| {
        b.iter_batched(
            || reply.clone(),
            |body| {
                put(body);
                api.get_import_progress(&job).unwrap()
            },
            size,
        )
    });
    group.bench_function(BenchmarkId::from_parameter("serde_struct"), |b| {
        b.iter_batched(
            || (),
            |()| serde_json::from_slice::<DescribeEnvelope>(black_box(&reply)).unwrap(),
            size,
        )
    });
    group.bench_function(BenchmarkId::from_parameter("serde_value"), |b| {
        b.iter_batched(
            || (),
            |()| serde_json::from_slice::<serde_json::Value>(black_box(&reply)).unwrap(),
            size,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = requests, decoding
}
criterion_main!(benches);
