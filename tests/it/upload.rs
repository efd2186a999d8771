//! Uploads to S3-compatible storage against a real S3 implementation that verifies Signature
//! V4 (`s3s-fs` in-process on 127.0.0.1): single `PUT` through the writer, a parallel
//! multipart upload of 20 MiB, wrong credentials, a connection cut mid-part, a body damaged on
//! the way, a missing bucket, NumPy chunks, and no secret in any `Debug` or error.

use crate::common::s3 as s3_server;

use crate::common::books::{local_files, rows, schema};
use crate::common::tempdir;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempdir::TempDir;

use milvus_bulk_import::writer::{BulkFileType, BulkWriter, S3Storage};
use milvus_bulk_import::{
    http, BulkImportApi, BulkImportRequest, Error, FnTransport, RetryPolicy, Transport,
    UreqTransport,
};
use s3_server::{pseudo_random, CuttingProxy, S3Server, ACCESS_KEY, SECRET_KEY};
use serde_json::json;

const BUCKET: &str = "a-bucket";
const MIB: usize = 1 << 20;

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(200))
}

fn storage(endpoint: &str) -> S3Storage {
    S3Storage::new(endpoint, BUCKET)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .region("us-east-1")
        .retry(quick_retries())
}

/// Wraps a transport: counts requests by kind, the most part uploads in flight at once, and
/// can answer or alter some requests itself.
#[derive(Clone, Default)]
struct Spy {
    log: Arc<Mutex<Vec<String>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Spy {
    fn kinds(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn count(&self, kind: &str) -> usize {
        self.kinds().iter().filter(|k| *k == kind).count()
    }

    fn wrap(
        &self,
        hook: impl Fn(&mut http::Request<Vec<u8>>) -> Option<http::Response<Vec<u8>>>
            + Send
            + Sync
            + 'static,
    ) -> impl Transport + 'static {
        let spy = self.clone();
        let inner = UreqTransport::new();
        FnTransport::new(move |mut request: http::Request<Vec<u8>>| {
            let query = request.uri().query().unwrap_or("").to_string();
            let kind = match (request.method().as_str(), query.as_str()) {
                ("HEAD", _) => "head",
                ("PUT", q) if q.contains("partNumber=") => "part",
                ("PUT", _) => "put",
                ("POST", q) if q.contains("uploads") => "create",
                ("POST", _) => "complete",
                ("DELETE", _) => "abort",
                _ => "other",
            };
            spy.log.lock().unwrap().push(kind.to_string());
            if let Some(reply) = hook(&mut request) {
                return Ok(reply);
            }
            if kind == "part" {
                let now = spy.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                spy.max_in_flight.fetch_max(now, Ordering::SeqCst);
                // Long enough for the other workers to start theirs.
                std::thread::sleep(Duration::from_millis(100));
            }
            let reply = inner.send(request);
            if kind == "part" {
                spy.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
            reply
        })
    }
}

fn assert_no_secret(text: &str) {
    for secret in [
        SECRET_KEY,
        "X-Amz-Signature",
        "X-Amz-Credential",
        "session-token-XYZ",
    ] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}

// ================================================================ tests

#[test]
fn single_put_through_the_writer_gives_bucket_relative_keys() {
    let server = S3Server::start(&[BUCKET]);
    let staging = TempDir::new("staging");
    let rows = rows(50);
    let mut writer = BulkWriter::builder(&schema(), staging.path())
        .remote(storage(&server.endpoint), "bulk_data/sub")
        .build()
        .unwrap();
    for row in &rows {
        writer.append_row(row).unwrap();
    }
    writer.commit().unwrap();
    let uuid = writer
        .data_path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let files = writer.batch_files();
    assert_eq!(files, vec![vec![format!("bulk_data/sub/{uuid}/1.parquet")]]);
    assert_eq!(
        server.objects(BUCKET),
        vec![format!("bulk_data/sub/{uuid}/1.parquet")]
    );
    // The object is the file a local writer writes for the same rows.
    let object = server.object(BUCKET, &files[0][0]).unwrap();
    assert_eq!(object, local_files(BulkFileType::Parquet, None, &rows)[0]);
    // The local copy is gone; dropping the writer removes the staging directory.
    assert_eq!(std::fs::read_dir(writer.data_path()).unwrap().count(), 0);
    drop(writer);
    assert!(!staging.path().exists());

    // The keys go into bulk_import's `files` as they are.
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&sent);
    let api = BulkImportApi::builder("http://127.0.0.1:19530")
        .transport(FnTransport::new(move |req: http::Request<Vec<u8>>| {
            log.lock().unwrap().push(req.body().clone());
            Ok(http::Response::new(
                br#"{"code":0,"data":{"jobId":"1"}}"#.to_vec(),
            ))
        }))
        .build()
        .unwrap();
    api.bulk_import(&BulkImportRequest::new("books").files(files.clone()))
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sent.lock().unwrap()[0]).unwrap();
    assert_eq!(body["files"], json!(files));
}

#[test]
fn multipart_upload_of_20_mib_sends_parts_in_parallel() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("multipart");
    let bytes = pseudo_random(20 * MIB + 12_345, 1);
    let file = dir.write("big.parquet", &bytes);
    let spy = Spy::default();
    let storage = storage(&server.endpoint).transport(spy.wrap(|_| None));
    storage.upload_file(&file, "bulk_data/big.parquet").unwrap();

    assert_eq!(
        server.object(BUCKET, "bulk_data/big.parquet").unwrap(),
        bytes
    );
    assert_eq!(spy.count("create"), 1);
    assert_eq!(spy.count("part"), 5); // 4 × 5 MiB and the rest
    assert_eq!(spy.count("complete"), 1);
    assert_eq!(spy.count("abort"), 0);
    let parallel = spy.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&parallel), "{parallel} parts at once");
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());

    // Settings: bigger parts, one at a time.
    let spy = Spy::default();
    let storage = self::storage(&server.endpoint)
        .transport(spy.wrap(|_| None))
        .part_size(8 * MIB)
        .parallel_parts(1);
    storage.upload_file(&file, "again.parquet").unwrap();
    assert_eq!(server.object(BUCKET, "again.parquet").unwrap(), bytes);
    assert_eq!(spy.count("part"), 3);
    assert_eq!(spy.max_in_flight.load(Ordering::SeqCst), 1);

    // Under the threshold: one PUT.
    let spy = Spy::default();
    let small = dir.write("small.json", &bytes[..MIB]);
    let storage = self::storage(&server.endpoint)
        .transport(spy.wrap(|_| None))
        .multipart_threshold(2 * MIB);
    storage.upload_file(&small, "small.json").unwrap();
    assert_eq!(spy.kinds(), vec!["put"]);
    assert_eq!(server.object(BUCKET, "small.json").unwrap(), &bytes[..MIB]);
}

#[test]
fn wrong_credentials_are_a_clear_error_and_leave_nothing_behind() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("wrong");
    let staging = TempDir::new("wrong-staging");
    let wrong_secret = S3Storage::new(&server.endpoint, BUCKET)
        .credentials(ACCESS_KEY, "not-the-secret-Zq93/x+")
        .session_token("session-token-XYZ")
        .retry(quick_retries());
    let wrong_key = S3Storage::new(&server.endpoint, BUCKET)
        .credentials("no-such-access-key", SECRET_KEY)
        .retry(quick_retries());

    // At build: the bucket check.
    let err = BulkWriter::builder(&schema(), staging.path())
        .remote(wrong_secret.clone(), "p")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Storage {
                status: 403,
                operation: "bucket check",
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("access denied"), "{err}");
    assert!(!staging.path().exists());

    // A single PUT and a multipart upload.
    let small = dir.write("small.json", b"{\"rows\":[]}");
    let big = dir.write("big.json", pseudo_random(12 * MIB, 2));
    for (storage, file) in [
        (&wrong_secret, &small),
        (&wrong_secret, &big),
        (&wrong_key, &small),
        (&wrong_key, &big),
    ] {
        let err = storage.upload_file(file, "p/x.json").unwrap_err();
        let Error::Storage {
            status,
            code,
            attempts,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(*status, 403, "{err}");
        assert!(
            // s3s calls an unknown access key `NotSignedUp`, AWS `InvalidAccessKeyId`.
            [
                "SignatureDoesNotMatch",
                "InvalidAccessKeyId",
                "NotSignedUp",
                "AccessDenied"
            ]
            .contains(&code.as_str()),
            "{err}"
        );
        assert_eq!(*attempts, 1, "refusals are not retried: {err}");
        assert_no_secret(&format!("{err} {err:?} {storage:?}"));
    }
    let err = wrong_secret.upload_file(&small, "p/x.json").unwrap_err();
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
    assert!(
        server.objects(BUCKET).is_empty(),
        "{:?}",
        server.objects(BUCKET)
    );
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

#[test]
fn a_failed_multipart_upload_is_aborted() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("abort");
    let bytes = pseudo_random(20 * MIB, 3);
    let file = dir.write("big.npy", &bytes);
    let spy = Spy::default();
    // Part 3 is refused for good (a 400 that is not retried); the others go through.
    let transport = spy.wrap(|req| {
        let query = req.uri().query().unwrap_or("");
        query.contains("partNumber=3&").then(|| {
            http::Response::builder()
                .status(400)
                .body(
                    b"<Error><Code>InvalidArgument</Code><Message>no part 3 today</Message></Error>"
                        .to_vec(),
                )
                .unwrap()
        })
    });
    let storage = storage(&server.endpoint).transport(transport);
    let err = storage.upload_file(&file, "p/big.npy").unwrap_err();
    match &err {
        Error::Storage {
            operation,
            status: 400,
            code,
            message,
            ..
        } => {
            assert_eq!(*operation, "part upload");
            assert_eq!(code, "InvalidArgument");
            assert!(message.contains("part 3 of 4"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(spy.count("abort"), 1, "{:?}", spy.kinds());
    assert_eq!(spy.count("complete"), 0);
    assert!(
        server.objects(BUCKET).is_empty(),
        "{:?}",
        server.objects(BUCKET)
    );
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

#[test]
fn a_connection_cut_mid_part_is_retried_and_the_object_is_intact() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cut");
    let bytes = pseudo_random(20 * MIB, 4);
    let file = dir.write("big.parquet", &bytes);

    // Multipart: the first connection past 2 MiB of requests is cut inside a 5 MiB part.
    let proxy = CuttingProxy::start(server.addr, 2 * MIB);
    storage(&proxy.endpoint)
        .upload_file(&file, "p/big.parquet")
        .unwrap();
    assert_eq!(proxy.cuts(), 1);
    assert_eq!(server.object(BUCKET, "p/big.parquet").unwrap(), bytes);
    assert!(server.leftovers().iter().all(|n| !n.starts_with(".upload")));

    // Single PUT: cut inside the body, sent again.
    let small = dir.write("small.parquet", &bytes[..3 * MIB]);
    let proxy = CuttingProxy::start(server.addr, MIB);
    storage(&proxy.endpoint)
        .upload_file(&small, "p/small.parquet")
        .unwrap();
    assert_eq!(proxy.cuts(), 1);
    assert_eq!(
        server.object(BUCKET, "p/small.parquet").unwrap(),
        &bytes[..3 * MIB]
    );

    // Without retries the cut is a transport error that names the URL without its signature.
    let proxy = CuttingProxy::start(server.addr, MIB);
    let err = storage(&proxy.endpoint)
        .retry(RetryPolicy::none())
        .upload_file(&small, "p/other.parquet")
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("/a-bucket/p/other.parquet"), "{text}");
    assert_no_secret(&format!("{text} {err:?}"));
}

#[test]
fn the_server_checks_content_md5_and_a_damaged_body_is_sent_again() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("md5");
    let bytes = pseudo_random(100_000, 5);
    let file = dir.write("1.json", &bytes);
    let damage_once = || {
        let damaged = Arc::new(AtomicUsize::new(0));
        move |req: &mut http::Request<Vec<u8>>| {
            if req.method() == http::Method::PUT && damaged.fetch_add(1, Ordering::SeqCst) == 0 {
                req.body_mut()[500] ^= 0xff; // after signing: only Content-MD5 can tell
            }
            None
        }
    };
    let spy = Spy::default();
    let err = storage(&server.endpoint)
        .retry(RetryPolicy::none())
        .transport(spy.wrap(damage_once()))
        .upload_file(&file, "p/1.json")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Storage { status: 400, code, .. } if code == "BadDigest"),
        "{err:?}"
    );
    // (s3s-fs stores the body before it compares the MD5; S3 and MinIO store nothing.)

    let spy = Spy::default();
    storage(&server.endpoint)
        .transport(spy.wrap(damage_once()))
        .upload_file(&file, "p/1.json")
        .unwrap();
    assert_eq!(spy.kinds(), vec!["put", "put"]);
    assert_eq!(server.object(BUCKET, "p/1.json").unwrap(), bytes);
}

#[test]
fn a_missing_bucket_fails_the_build() {
    let server = S3Server::start(&[BUCKET]);
    let staging = TempDir::new("nobucket");
    let storage = S3Storage::new(&server.endpoint, "no-such-bucket")
        .credentials(ACCESS_KEY, SECRET_KEY)
        .retry(quick_retries());
    let err = BulkWriter::builder(&schema(), staging.path())
        .remote(storage, "p")
        .build()
        .unwrap_err();
    match &err {
        Error::Storage {
            operation,
            key,
            status,
            code,
            attempts,
            ..
        } => {
            assert_eq!(*operation, "bucket check");
            assert_eq!(key, "no-such-bucket");
            assert_eq!(*status, 404);
            assert_eq!(code, "NoSuchBucket");
            assert_eq!(*attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("bucket does not exist"), "{err}");
    assert!(!staging.path().exists());
}

#[test]
fn numpy_chunks_go_up_column_by_column() {
    let server = S3Server::start(&[BUCKET]);
    let staging = TempDir::new("numpy");
    let rows = rows(20);
    let mut writer = BulkWriter::builder(&schema(), staging.path())
        .file_type(BulkFileType::Numpy)
        .remote(storage(&server.endpoint), "/np/")
        .build()
        .unwrap();
    for row in &rows[..10] {
        writer.append_row(row).unwrap();
    }
    writer.commit().unwrap();
    for row in &rows[10..] {
        writer.append_row(row).unwrap();
    }
    writer.commit().unwrap();
    let uuid = writer
        .data_path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let files = writer.batch_files();
    let expected: Vec<Vec<String>> = (1..=2)
        .map(|n| {
            ["id", "vector", "title"]
                .iter()
                .map(|f| format!("np/{uuid}/{n}/{f}.npy"))
                .collect()
        })
        .collect();
    assert_eq!(files, expected);
    let mut all: Vec<String> = expected.iter().flatten().cloned().collect();
    all.sort();
    assert_eq!(server.objects(BUCKET), all);
    for (n, chunk) in [&rows[..10], &rows[10..]].iter().enumerate() {
        let local = local_files(BulkFileType::Numpy, None, chunk);
        let uploaded: Vec<Vec<u8>> = files[n]
            .iter()
            .map(|k| server.object(BUCKET, k).unwrap())
            .collect();
        assert_eq!(uploaded, local, "chunk {}", n + 1);
    }
    // Local copies and their `<n>/` folders are gone; the staging directory goes on drop.
    assert_eq!(std::fs::read_dir(writer.data_path()).unwrap().count(), 0);
    drop(writer);
    assert!(!staging.path().exists());
}

#[test]
fn debug_output_holds_no_secret() {
    let server = S3Server::start(&[BUCKET]);
    let staging = TempDir::new("debug");
    let storage = storage(&server.endpoint).session_token("session-token-XYZ");
    let text = format!("{storage:?}");
    assert_no_secret(&text);
    assert!(!text.contains(ACCESS_KEY), "{text}");
    assert!(
        text.contains(BUCKET) && text.contains(&server.endpoint),
        "{text}"
    );
    // s3s does not know session tokens, so the writer is built with plain credentials.
    let mut writer = BulkWriter::builder(&schema(), staging.path())
        .remote(self::storage(&server.endpoint), "p")
        .build()
        .unwrap();
    writer.append_row(&rows(1)[0]).unwrap();
    writer.commit().unwrap();
    let text = format!("{writer:?}");
    assert_no_secret(&text);
    assert!(!text.contains(ACCESS_KEY), "{text}");
}

#[test]
fn a_server_that_never_answers_is_bounded_by_the_transport_timeout() {
    // Accepts connections and reads, never replies.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4).flatten() {
            held.push(stream); // kept open, silent
        }
        std::thread::sleep(Duration::from_secs(10));
    });
    let transport = UreqTransport::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = S3Storage::new(&endpoint, BUCKET)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .transport(transport)
        .retry(quick_retries().max_attempts(2))
        .check_bucket()
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.attempts(), 2, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
