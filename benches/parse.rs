//! What the client costs on top of the network: building a request, and decoding replies of
//! typical and large sizes, through an in-memory transport.
//!
//! `cargo bench --bench parse`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use milvus_bulk_import::{http, BulkImportApi, FnTransport, JobRequest, ListImportJobsRequest};

fn list_reply(records: usize) -> Vec<u8> {
    let records: Vec<String> = (0..records)
        .map(|i| {
            format!(
                r#"{{"jobId":"4487077638844{i:05}","collectionName":"collection_{}","state":"Importing","progress":{}}}"#,
                i % 7,
                i % 100
            )
        })
        .collect();
    format!(
        r#"{{"code":0,"data":{{"records":[{}]}}}}"#,
        records.join(",")
    )
    .into_bytes()
}

fn describe_reply(files: usize) -> Vec<u8> {
    let details: Vec<String> = (0..files)
        .map(|i| {
            format!(
                r#"{{"fileName":"[{i}.parquet]","fileSize":6776153,"progress":100,"completeTime":"2025-01-16T08:42:09Z","state":"Completed","importedRows":520161,"totalRows":520161}}"#
            )
        })
        .collect();
    format!(
        r#"{{"code":0,"data":{{"jobId":"449839014328146739","collectionName":"c","createTime":"2025-01-16T08:40:01Z","completeTime":"","state":"Importing","progress":80,"importedRows":0,"totalRows":3000000,"fileSize":63085098,"details":[{}]}}}}"#,
        details.join(",")
    )
    .into_bytes()
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

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("list_import_jobs");
    for records in [10usize, 1_000] {
        let reply = list_reply(records);
        group.throughput(Throughput::Bytes(reply.len() as u64));
        let api = client(reply);
        let request = ListImportJobsRequest::new().db_name("db1");
        group.bench_function(format!("{records}_records"), |b| {
            b.iter(|| black_box(api.list_import_jobs(black_box(&request)).unwrap()))
        });
    }
    group.finish();

    let api = client(describe_reply(64));
    let request = JobRequest::new("449839014328146739").db_name("db1");
    c.bench_function("get_import_progress/64_files", |b| {
        b.iter(|| black_box(api.get_import_progress(black_box(&request)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
