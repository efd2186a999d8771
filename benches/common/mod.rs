//! Replies and baseline types shared by the benchmarks.

#![allow(dead_code)] // each benchmark uses its own subset

use serde::Deserialize;

/// A Milvus `list` reply with `n` records.
pub fn list_reply(n: usize) -> Vec<u8> {
    // Built in place, so that building it leaves no freed memory behind to skew the figures.
    let mut body = String::with_capacity(32 + n * 110);
    body.push_str(r#"{"code":0,"data":{"records":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        use std::fmt::Write;
        let _ = write!(
            body,
            r#"{{"jobId":"{}","collectionName":"collection_{}","state":"Importing","progress":{}}}"#,
            448_707_763_884_413_158u64 + i as u64,
            i % 7,
            i % 100
        );
    }
    body.push_str("]}}");
    body.into_bytes()
}

/// A Milvus `describe` reply with `n` file details.
pub fn describe_reply(n: usize) -> Vec<u8> {
    let details: Vec<String> = (0..n)
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

// The baseline: the same JSON into the smallest structs that hold the typed fields.
#[derive(Deserialize)]
#[allow(dead_code)]
pub struct ListEnvelope {
    #[allow(dead_code)]
    pub code: i64,
    pub data: ListData,
}
#[derive(Deserialize)]
#[allow(dead_code)]
pub struct ListData {
    pub records: Vec<Record>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Record {
    pub job_id: String,
    pub collection_name: String,
    pub state: String,
    pub progress: u32,
}
#[derive(Deserialize)]
#[allow(dead_code)]
pub struct DescribeEnvelope {
    #[allow(dead_code)]
    pub code: i64,
    #[allow(dead_code)]
    pub data: DescribeData,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct DescribeData {
    pub job_id: String,
    pub collection_name: String,
    pub create_time: String,
    pub complete_time: String,
    pub state: String,
    pub progress: u32,
    pub imported_rows: u64,
    pub total_rows: u64,
    pub file_size: u64,
    pub details: Vec<Detail>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Detail {
    pub file_name: String,
    pub file_size: u64,
    pub progress: u32,
    pub complete_time: String,
    pub state: String,
    pub imported_rows: u64,
    pub total_rows: u64,
}

/// A field of `/proc/self/status` (`VmRSS:`, `VmHWM:`), in bytes; Linux only.
pub fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}
