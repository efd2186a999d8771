//! Peak memory of decoding a large `list` reply, as a multiple of the reply's size.
//!
//! ```text
//! cargo bench --bench memory
//! ```
//!
//! Each case runs in a fresh child process (this program re-executed), which reads its resident
//! set from `/proc/self/status`: `VmRSS` before the reply exists, then `VmHWM` (the peak, reset
//! through `/proc/self/clear_refs` once the reply is built) after decoding it. The figure is
//! `(peak − before) / reply size`: the reply itself counts as 1×. Linux only.

use std::process::Command;
use std::sync::{Arc, Mutex};

use milvus_bulk_import::{http, BulkImportApi, FnTransport, ListImportJobsRequest};
mod common;

use common::{list_reply, status_bytes, ListEnvelope};

const RECORDS: usize = 100_000;

/// Runs one case in this process and prints `case bytes peak`.
fn child(case: &str) {
    let before = status_bytes("VmRSS:");
    let reply = list_reply(RECORDS);
    let size = reply.len() as u64;
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    match case {
        "sdk" => {
            let slot = Arc::new(Mutex::new(Some(reply)));
            let api = BulkImportApi::builder("http://127.0.0.1:19530")
                .transport(FnTransport::new(move |_| {
                    let body = slot.lock().unwrap().take().expect("one call");
                    Ok(http::Response::new(body))
                }))
                .build()
                .unwrap();
            let jobs = api.list_import_jobs(&ListImportJobsRequest::new()).unwrap();
            assert_eq!(jobs.data().records.len(), RECORDS);
            std::hint::black_box(&jobs);
        }
        "serde_struct" => {
            let parsed: ListEnvelope = serde_json::from_slice(&reply).unwrap();
            assert_eq!(parsed.data.records.len(), RECORDS);
            std::hint::black_box((&parsed, &reply));
        }
        other => panic!("unknown case {other}"),
    }
    let peak = status_bytes("VmHWM:");
    println!("{case} {size} {}", peak.saturating_sub(before));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        return child(&args[pos + 1]);
    }
    if !std::path::Path::new("/proc/self/clear_refs").exists() {
        println!("memory: needs Linux's /proc; skipped");
        return;
    }
    let me = std::env::current_exe().expect("current exe");
    println!("peak memory decoding a {RECORDS}-record list reply (reply = 1.0x):");
    for case in ["sdk", "serde_struct"] {
        let out = Command::new(&me)
            .args(["--child", case])
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<u64> = text
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        match fields[..] {
            [size, peak] => println!(
                "  {case:<13} reply {:.1} MB, peak {:.1} MB = {:.2}x",
                size as f64 / 1e6,
                peak as f64 / 1e6,
                peak as f64 / size as f64
            ),
            _ => println!("  {case}: failed: {}", String::from_utf8_lossy(&out.stderr)),
        }
    }
}
