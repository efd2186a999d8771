//! The built-in transport starts no thread per call (issue 11, item 6): a call to an IP
//! address over a pooled keep-alive connection needs no name lookup, so nothing to run on a
//! thread with a timeout. Alone in its test binary, so that no other test's threads count.

#![cfg(all(feature = "ureq", target_os = "linux"))]

// The scripted server of the main test binary; this test uses a part of it.
#[allow(dead_code)]
#[path = "it/common/server.rs"]
mod server;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use milvus_bulk_import::{BulkImportApi, ListImportJobsRequest, RetryPolicy};
use server::*;

/// The ids of this process's threads now.
fn threads() -> HashSet<u64> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

#[test]
fn calls_to_an_ip_address_start_no_thread() {
    const CALLS: usize = 2_000;
    let server = Server::start((0..CALLS + 1).map(|_| json_reply(OK)).collect());
    let api = BulkImportApi::builder(server.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let request = ListImportJobsRequest::new();
    // The first call opens the connection (and the server's thread for it).
    api.list_import_jobs(&request).expect("first call");

    // A sampler lists the process's threads as fast as it can while the calls run.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let sampler = thread::spawn(move || {
        let before = threads();
        let mut seen = HashSet::new();
        let mut samples = 0u64;
        while !flag.load(Ordering::SeqCst) {
            seen.extend(threads());
            samples += 1;
        }
        (before, seen, samples)
    });
    // Let the sampler take its first sample.
    thread::sleep(std::time::Duration::from_millis(50));
    for _ in 0..CALLS {
        api.list_import_jobs(&request).expect("200");
    }
    stop.store(true, Ordering::SeqCst);
    let (before, seen, samples) = sampler.join().unwrap();
    let new: Vec<_> = seen.difference(&before).collect();
    assert!(samples > 100, "only {samples} samples");
    assert!(
        new.is_empty(),
        "{} threads started during {CALLS} calls (seen in {samples} samples)",
        new.len()
    );
    assert_eq!(server.connections(), 1);
}
