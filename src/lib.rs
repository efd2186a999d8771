//! A blocking Rust client for the **Milvus / Zilliz Cloud bulk-import REST API**: create an
//! import job, watch its progress, list jobs, and commit or abort two-phase imports.
//!
//! It is what `pymilvus.bulk_writer.{bulk_import, get_import_progress, list_import_jobs,
//! commit_import, abort_import}` are for Python — the same requests on the wire, key for key —
//! with typed replies and typed errors on top, and no async runtime.
//!
//! # Quick start
//!
//! ```no_run
//! # #[cfg(feature = "ureq")]
//! # fn main() -> Result<(), milvus_bulk_import::Error> {
//! use milvus_bulk_import::{BulkImportApi, BulkImportRequest, JobRequest, ListImportJobsRequest};
//!
//! // Zilliz Cloud, the same call as the Python docs' list_import_jobs example.
//! let api = BulkImportApi::new("https://api.cloud.zilliz.com", "YOUR_API_KEY")?;
//! let resp = api.list_import_jobs(&ListImportJobsRequest::new().cluster_id("inxx-xxxxxxxxxxxxxxx"))?;
//! println!("{}", resp.response().text()); // the raw JSON, like resp.json() in Python
//! for job in &resp.data().records {       // typed
//!     println!("{} {} {} {:?}", job.job_id, job.collection_name, job.state, job.progress);
//! }
//!
//! // Self-hosted Milvus: the key is "user:password" (or "" when auth is off).
//! let api = BulkImportApi::builder("http://127.0.0.1:19530")
//!     .api_key("root:Milvus")
//!     .timeout(std::time::Duration::from_secs(20))
//!     .build()?;
//! let created = api.bulk_import(
//!     &BulkImportRequest::new("my_collection").db_name("db1").files(vec![vec!["1.parquet".to_string()]]),
//! )?;
//! let progress = api.get_import_progress(&JobRequest::new(&created.data().job_id).db_name("db1"))?;
//! println!("{} {:?}%", progress.data().state, progress.data().progress);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "ureq"))]
//! # fn main() {}
//! ```
//!
//! Every operation returns [`ApiResponse<T>`]: [`response()`](ApiResponse::response) is the raw
//! reply (status, headers, body, URL, elapsed time — like `requests.Response`), and
//! [`data()`](ApiResponse::data) the typed value.
//!
//! | operation | endpoint (`POST`) | typed reply |
//! |---|---|---|
//! | [`bulk_import`](BulkImportApi::bulk_import) | `/v2/vectordb/jobs/import/create` | [`ImportJobCreated`] |
//! | [`get_import_progress`](BulkImportApi::get_import_progress) | `/v2/vectordb/jobs/import/describe` | [`ImportProgress`] |
//! | [`list_import_jobs`](BulkImportApi::list_import_jobs) | `/v2/vectordb/jobs/import/list` | [`ImportJobList`] |
//! | [`commit_import`](BulkImportApi::commit_import) | `/v2/vectordb/jobs/import/commit` | `()` |
//! | [`abort_import`](BulkImportApi::abort_import) | `/v2/vectordb/jobs/import/abort` | `()` |
//!
//! Two helpers do the loops every import needs:
//! [`wait_for_import`](BulkImportApi::wait_for_import) polls a job until it completes (or fails,
//! or waits for a two-phase commit, or a [`WaitOptions`] timeout passes), and
//! [`list_all_import_jobs`](BulkImportApi::list_all_import_jobs) walks every page of the job
//! list lazily.
//!
//! # Milvus or Zilliz Cloud
//!
//! | | open-source Milvus (2.4+) | Zilliz Cloud |
//! |---|---|---|
//! | URL | `http://host:19530` | `https://api.cloud.zilliz.com` (China: `.com.cn`) |
//! | key | `user:password`, or `""` without auth | an API key |
//! | target | `db_name` (also sent as the `DB-Name` header) | `cluster_id`, or `project_id` + `region_id` |
//! | data | `files`: paths in Milvus's bucket | `object_urls` + `access_key`/`secret_key`/`token`, or `volume_name` + `data_paths` |
//! | list | every job at once; `page_size`/`current_page` ignored | pages of `page_size` (1–100) |
//! | job ids | decimal int64 as a string | `job-…` |
//!
//! Replies in all three dialects parse: Milvus v2 (`code: 0`, `data.records`), Zilliz Cloud v2
//! (adds `count`, `currentPage`, `pageSize`) and the legacy Zilliz v1 form the Python docs still
//! print (`code: 200`, `data.tasks`, `ImportCompleted`). Unknown fields land in the records'
//! `extra` maps, unknown states in [`ImportJobState::Unknown`].
//!
//! # Zilliz Cloud volumes
//!
//! [`VolumeApi`] (from [`BulkImportApi::volumes`]) makes the volume calls through the same
//! client: [`create_volume`](VolumeApi::create_volume), [`list_volumes`](VolumeApi::list_volumes),
//! [`describe_volume`](VolumeApi::describe_volume), [`delete_volume`](VolumeApi::delete_volume)
//! and [`apply_volume`](VolumeApi::apply_volume), which hands out temporary upload credentials
//! ([`VolumeCredentials`]; `Debug` and errors never show them). With feature `writer`,
//! `writer::VolumeStorage` uploads a `BulkWriter`'s files into a volume with them (S3-style
//! stores: AWS, Aliyun OSS; not GCP yet), and the writer's `batch_files()` are then the
//! `data_paths` to import with [`volume_name`](BulkImportRequest::volume_name).
//!
//! # Errors
//!
//! One [`Error`] type, classified by the step that failed: an argument rejected before sending
//! ([`Error::InvalidRequest`]), a failed exchange ([`Error::Transport`]), an HTTP error
//! ([`Error::HttpStatus`]), a Milvus error code ([`Error::Api`], even on HTTP 200, which is how
//! Milvus reports most errors), an unreadable reply ([`Error::Decode`]). [`Error::status`],
//! [`Error::api_code`] and [`Error::is_timeout`] answer the usual questions. No error text and
//! no `Debug` output contains the API key or an object-store secret.
//!
//! # Retries and the deadline
//!
//! Every call goes through a [`RetryPolicy`] (default: 3 attempts, exponential backoff with full
//! jitter from 500 ms, at most 20 s between attempts, no retry after 60 s in all;
//! [`RetryPolicy::none()`] for one attempt). Every import call is a `POST`, so what is safe to
//! repeat is decided per operation:
//!
//! | operation | retried on |
//! |---|---|
//! | `get_import_progress`, `list_import_jobs`, `describe_collection`, `list_volumes`, `describe_volume`, `apply_volume`, `bulk_import` with [`idempotency_key`](BulkImportRequest::idempotency_key) | connection refused, timeouts, connections dropped mid-reply; HTTP 429, 502, 503, 504 |
//! | `bulk_import` without a key, `commit_import`, `abort_import`, `create_volume`, `delete_volume` | only what cannot have reached the server (connection refused), and 429/503 that carry `Retry-After` |
//!
//! `Retry-After` (seconds or an HTTP date) is honoured, clamped to the backoff cap and the
//! budget. [`Error::attempts`] says how many attempts a failed call made.
//! [`BulkImportApiBuilder::deadline`] bounds the whole call, retries and waits included: no
//! retry starts that could not finish in time, and the built-in transport cuts an exchange off
//! at the deadline (a custom transport reads it from the request's [`CallDeadline`] extension).
//!
//! # Timeouts
//!
//! | setting | default | where |
//! |---|---|---|
//! | connect (resolve, TCP, TLS handshake, each) | the `timeout` | [`BulkImportApiBuilder::connect_timeout`], [`UreqTransportBuilder::connect_timeout`] |
//! | read / write (longest wait for any one read or write) | 20 s (pymilvus's) | [`BulkImportApiBuilder::timeout`], [`UreqTransportBuilder::timeout`] |
//! | the whole call, retries included | none | [`BulkImportApiBuilder::deadline`] |
//! | retries | 60 s in all | [`RetryPolicy::total_timeout`] |
//! | reply size | 16 MiB | [`BulkImportApiBuilder::max_response_bytes`], [`UreqTransportBuilder::max_response_bytes`] |
//!
//! A timeout ends the attempt with an error whose [`is_timeout()`](Error::is_timeout) is true;
//! on an operation that is safe to repeat, the policy may then try again, and the error the
//! call returns is the last attempt's. Redirects are never followed.
//!
//! # Log events
//!
//! The call paths emit [`log`](https://docs.rs/log) events (the facade ureq uses; install any
//! logger, e.g. `env_logger`, to see them), under targets that start with `milvus_bulk_import`
//! (`milvus_bulk_import::api` for the API calls, `milvus_bulk_import::writer::storage::s3` for
//! uploads):
//!
//! | level | when | message, e.g. |
//! |---|---|---|
//! | `debug` | each exchange | `POST /v2/vectordb/jobs/import/list attempt 1: HTTP 503 in 1.2ms` |
//! | `info` | each retry | `POST /v2/vectordb/jobs/import/list: attempt 1 failed (HTTP 503); retrying in 480ms` |
//! | `warn` | giving up on a failure that could have been retried | `… giving up after 3 attempts in 21.5s (no retries left): HTTP 503` |
//!
//! The `debug` events also carry their facts as key-values (`log`'s `kv`): `method`, `path`,
//! `attempt`, `status` (absent when no reply came), `transport_error` (the
//! [`TransportErrorKind`] then) and `elapsed_ms`. No event carries a secret, a body, a header
//! value or a URL's query. `milvus-import --verbose` prints these events.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `ureq` | yes | [`UreqTransport`] (ureq 3, rustls with webpki roots) and [`BulkImportApi::new`] |
//! | `mock` | no | [`MockTransport`], a [mockall](https://docs.rs/mockall) mock of [`Transport`] |
//! | `emulator` | no | [`emulator`], a local server that speaks the import-jobs API (for tests and demos), and the `milvus-import-emulator` binary |
//! | `cli` | no | the `milvus-import` command line (clap, indicatif) |
//! | `writer` | no | [`writer`]: [`BulkWriter`](writer::BulkWriter) turns rows into the Parquet, JSON, JSONL, CSV and NumPy files Milvus imports, equal to pymilvus's |
//!
//! Without `ureq` the crate has no HTTP client of its own: pass any [`Transport`] to
//! [`BulkImportApiBuilder::transport`].
//!
//! # Bring your own transport
//!
//! [`Transport`] is one method from `http::Request<Vec<u8>>` to `http::Response<Vec<u8>>`
//! (the crate re-exports [`http`]). It returns `Ok` for every HTTP status; the client decides
//! what is an error. A closure becomes a transport through [`FnTransport`]; `Arc<T>` and
//! `Box<T>` of a transport are transports.
//!
//! # Testing code that uses this crate
//!
//! With feature `mock`, [`MockTransport`] checks the requests your code makes and returns canned
//! replies, without a server:
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # {
//! use milvus_bulk_import::{http, BulkImportApi, JobRequest, MockTransport};
//!
//! let mut transport = MockTransport::new();
//! transport
//!     .expect_send()
//!     .withf(|request| {
//!         let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
//!         request.uri().path() == "/v2/vectordb/jobs/import/describe"
//!             && request.headers()["DB-Name"] == "db1"
//!             && body == serde_json::json!({
//!                 "jobId": "448707763884413158", "clusterId": "", "projectId": "", "regionId": ""
//!             })
//!     })
//!     .times(1)
//!     .returning(|_| {
//!         Ok(http::Response::new(
//!             br#"{"code":0,"data":{"jobId":"448707763884413158","collectionName":"c",
//!                 "state":"Completed","progress":100,"importedRows":3000,"totalRows":3000}}"#
//!                 .to_vec(),
//!         ))
//!     });
//!
//! let api = BulkImportApi::builder("http://127.0.0.1:19530").transport(transport).build()?;
//! let progress = api.get_import_progress(&JobRequest::new("448707763884413158").db_name("db1"))?;
//! assert!(progress.data().state.is_terminal());
//! assert_eq!(progress.data().imported_rows, Some(3000));
//! # }
//! # Ok::<(), milvus_bulk_import::Error>(())
//! ```
//!
//! With feature `emulator`, the [`emulator`] module runs a real HTTP server on 127.0.0.1 that
//! behaves like open-source Milvus or Zilliz Cloud (job lifecycle, two-phase commit, error
//! codes, pagination), so code that imports data can be tested end to end without a server.
//!
//! # Blocking, not async
//!
//! Every call blocks its thread until the reply is in (up to the timeouts above). Call it from
//! ordinary threads, `build.rs` scripts, CLI tools and tests. **Do not call it from an async
//! executor's worker thread** (a Tokio task, say): it would stall every task on that thread.
//! There, use `tokio::task::spawn_blocking` or a thread of your own.
//!
//! # TLS
//!
//! `https://` URLs use rustls with the Mozilla root certificates (`webpki-root-certs`), so no
//! system OpenSSL is needed. A private CA ([`ca_bundle_path`](BulkImportApiBuilder::ca_bundle_path),
//! trusted together with the built-in roots in one root store, or replacing them with
//! [`replace_roots`](BulkImportApiBuilder::replace_roots)), client certificates for mutual TLS
//! ([`client_identity_paths`](BulkImportApiBuilder::client_identity_paths)) and
//! `danger_accept_invalid_certs` are builder settings; all material is read and checked by
//! rustls in `build()`, so a bad bundle or a key that does not match its certificate is an
//! [`Error::Config`] there, never a failure at the first request.
//!
//! The README has the tour (commands, the CLI, the emulator binary, performance figures); this
//! page is the reference for how calls behave.
//!
//! # Minimum Rust version
//!
//! Rust 1.85 (as ureq 3). Raising it is a minor-version change.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
mod envelope;
mod error;
mod events;
mod model;
mod pages;
mod redact;
mod request;
mod response;
mod retry;
mod secret;
mod transport;
mod volume;
mod wait;
#[cfg(feature = "writer")]
#[cfg_attr(docsrs, doc(cfg(feature = "writer")))]
pub mod writer;

pub use http;

pub use api::{BulkImportApi, BulkImportApiBuilder};
pub use error::{Error, TransportError, TransportErrorKind};
pub use model::{
    ImportFileProgress, ImportJobCreated, ImportJobList, ImportJobRecord, ImportJobState,
    ImportProgress,
};
pub use pages::ImportJobPages;
#[cfg(feature = "writer")]
#[cfg_attr(docsrs, doc(cfg(feature = "writer")))]
pub use request::DescribeCollectionRequest;
pub use request::{BulkImportRequest, JobRequest, ListImportJobsRequest};
pub use response::{ApiResponse, Response};
pub use retry::RetryPolicy;
pub use secret::Secret;
#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
pub use transport::ureq::{UreqTransport, UreqTransportBuilder};
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub use transport::MockTransport;
pub use transport::{CallDeadline, FnTransport, Transport};
pub use volume::{
    CreateVolumeRequest, ListVolumesRequest, TemporaryCredentials, VolumeApi, VolumeCondition,
    VolumeCreated, VolumeCredentials, VolumeInfo, VolumeList,
};
pub use wait::WaitOptions;

/// The README's Rust blocks, compiled and run as doc tests.
#[cfg(all(
    doctest,
    feature = "mock",
    feature = "ureq",
    feature = "emulator",
    feature = "writer"
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
