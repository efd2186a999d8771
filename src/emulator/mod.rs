//! A local emulator of the import-jobs REST service (feature `emulator`).
//!
//! [`Emulator`] is a real HTTP/1.1 server on 127.0.0.1 that answers `create`, `describe`,
//! `list`, `commit` and `abort` the way open-source Milvus ([`Flavor::Milvus`]) or Zilliz Cloud
//! ([`Flavor::Cloud`]) do — same paths, envelopes, error codes and HTTP statuses — so a
//! pipeline that imports data can be tested with no server, no credentials and no network.
//! Any HTTP client works against it: this crate, pymilvus's `bulk_import`, curl.
//!
//! ```
//! use milvus_bulk_import::emulator::{Emulator, EmulatorConfig};
//! use milvus_bulk_import::{BulkImportApi, BulkImportRequest, ImportJobState, JobRequest};
//!
//! let emulator = Emulator::start(EmulatorConfig::milvus().auth("root", "Milvus"))?;
//! let api = BulkImportApi::new(emulator.url(), "root:Milvus")?;
//!
//! let created = api.bulk_import(&BulkImportRequest::new("books").files([["1.parquet"]]))?;
//! let job = JobRequest::new(&created.data().job_id);
//! // By default a job moves one step each time it is described.
//! let mut progress = api.get_import_progress(&job)?.into_data();
//! while !progress.state.is_terminal() {
//!     progress = api.get_import_progress(&job)?.into_data();
//! }
//! assert_eq!(progress.state, ImportJobState::Completed);
//! assert_eq!(progress.progress, Some(100));
//!
//! // What the server received, for assertions.
//! let first = &emulator.requests()[0];
//! assert_eq!(first.path, "/v2/vectordb/jobs/import/create");
//! assert_eq!(first.json.as_ref().unwrap()["files"][0][0], "1.parquet");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it emulates
//!
//! | | [`Flavor::Milvus`] | [`Flavor::Cloud`] |
//! |---|---|---|
//! | auth | [`auth(user, password)`](EmulatorConfig::auth): `Bearer user:password` (or HTTP Basic), else HTTP 401 `{"code":1800}` | [`api_key(key)`](EmulatorConfig::api_key): `Bearer key`, else code 21119 |
//! | create | `collectionName` and non-null `files` (1802 otherwise); `dbName` or `DB-Name` picks the database (800 if unknown) | `clusterId` (96025 if empty, 96018 if not the configured one) or `projectId`+`regionId` (96005 if half); `objectUrls`, `objectUrl` or `volumeName`+`dataPaths` (1100 otherwise) |
//! | job ids | decimal int64 strings | `job-…` |
//! | describe | full per-file `details`; unknown id 2100, non-numeric id 2100 | unknown id 96026 |
//! | list | every job of the request's database (optionally one collection) in one reply; `pageSize`/`currentPage` ignored | pages: `pageSize` 1–100 (96008), `currentPage` ≥ 1 (96009); `count`, `currentPage`, `pageSize` echoed |
//! | both | bad JSON or wrong types → 1801, missing `jobId` → 1802, option values must be strings (1801), unknown path or method → plain-text 404, `Idempotency-Key` on create returns the first job's id |
//!
//! # Job lifecycle
//!
//! `Pending` → `Importing` (25, 50, 75 %) → `Completed` (100 %, row counts filled). A job one of
//! whose source paths contains the [failure marker](EmulatorConfig::fail_marker) (default
//! `"fail"`) ends `Failed` with a reason instead. A two-phase job (option `auto_commit` =
//! `"false"`) stops at `Uncommitted` (99 %); `commit` moves it to `Committing`, then
//! `Completed`; `abort` ends it `Failed` ("aborted by user"). Commit is idempotent on
//! `Uncommitted`/`Committing`/`Completed` and refused (2100) before the data is ready, on a
//! failed or aborted job and on a job that is not two-phase; abort is refused once committing
//! and idempotent after a successful abort. [`Timing`] says what moves a job along.
//!
//! The emulator keeps everything in memory; it checks no collection schema and reads no files.
//! Where the servers' behaviour is not documented it makes a choice and says so: Milvus `list`
//! is scoped to the request's database (wire-protocol.md leaves this open), a Zilliz API-key
//! failure is HTTP 200 with code 21119 (the status is undocumented), and the cloud flavor also
//! serves `commit`/`abort`.
//!
//! As an HTTP server it answers `OPTIONS` as a CORS preflight (204), sends no body for `HEAD`,
//! reads `Content-Length` and chunked bodies (16 MiB at most), answers `Expect: 100-continue`,
//! keeps HTTP/1.1 connections alive (60 s idle), closes HTTP/1.0 ones after each reply, gives a
//! request 30 s from its first byte to arrive whole, and serves at most 256 connections at once
//! (503 beyond).

mod jobs;
mod server;
mod service;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use self::jobs::{NewJob, Stage};
use self::server::Server;
use self::service::Service;
use crate::ImportJobState;

/// Which server the emulator behaves like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Open-source Milvus 2.4+ (`/describe` and its alias `/get_progress`).
    Milvus,
    /// The Zilliz Cloud control plane (`/describe` and the documented `/getProgress`).
    Cloud,
}

/// What moves a job from one step of its lifecycle to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timing {
    /// Each `describe` of a job answers, then moves the job one step: deterministic, and
    /// the default. A new job is seen as `Pending`, then 25, 50, 75 % `Importing`, then ends.
    PerPoll,
    /// The wall clock: a job ends this long after it was created (and a commit takes a quarter
    /// of it). The binary's default, 2 s.
    RealTime(Duration),
    /// Only [`Emulator::advance`] and [`Emulator::advance_all`] move jobs.
    Manual,
}

/// Settings for an [`Emulator`]. Start from [`EmulatorConfig::milvus`] or
/// [`EmulatorConfig::cloud`]; `Debug` never shows the password or API key.
#[derive(Clone)]
pub struct EmulatorConfig {
    addr: SocketAddr,
    inner: Config,
}

/// The settings the service reads.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// `user:password` (Milvus) or the API key (cloud); `None` accepts anything.
    pub(crate) credential: Option<String>,
    pub(crate) timing: Timing,
    pub(crate) fail_marker: String,
    pub(crate) rows_per_file: u64,
    pub(crate) databases: Vec<String>,
    pub(crate) cluster_id: Option<String>,
    pub(crate) record_limit: usize,
}

impl EmulatorConfig {
    fn new(flavor: Flavor) -> Self {
        EmulatorConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            inner: Config {
                flavor,
                credential: None,
                timing: Timing::PerPoll,
                fail_marker: "fail".into(),
                rows_per_file: 1000,
                databases: vec!["default".into()],
                cluster_id: None,
                record_limit: 10_000,
            },
        }
    }

    /// Open-source Milvus: no auth, database `default`, on 127.0.0.1 with a free port.
    pub fn milvus() -> Self {
        Self::new(Flavor::Milvus)
    }

    /// Zilliz Cloud: any API key, any cluster id, on 127.0.0.1 with a free port.
    pub fn cloud() -> Self {
        Self::new(Flavor::Cloud)
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Milvus: require `Authorization: Bearer user:password` (HTTP 401, code 1800, otherwise).
    pub fn auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.inner.credential = Some(format!("{}:{}", user.into(), password.into()));
        self
    }

    /// Zilliz Cloud: require `Authorization: Bearer key` (code 21119 otherwise).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.inner.credential = Some(key.into());
        self
    }

    /// What moves jobs along (default [`Timing::PerPoll`]).
    pub fn timing(mut self, timing: Timing) -> Self {
        self.inner.timing = timing;
        self
    }

    /// A job with a source path containing `marker` ends `Failed` (default `"fail"`; `""`
    /// turns failures off).
    pub fn fail_marker(mut self, marker: impl Into<String>) -> Self {
        self.inner.fail_marker = marker.into();
        self
    }

    /// Rows each source file (group) holds (default 1000); a file's size is 128 bytes a row.
    pub fn rows_per_file(mut self, rows: u64) -> Self {
        self.inner.rows_per_file = rows;
        self
    }

    /// Milvus: adds a database besides `default`.
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.inner.databases.push(name.into());
        self
    }

    /// Zilliz Cloud: accept only this cluster id (others get code 96018).
    pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.inner.cluster_id = Some(cluster_id.into());
        self
    }

    /// Keep at most the `limit` latest requests for [`Emulator::requests`] (default 10 000;
    /// 0 records nothing, for a long-running emulator nobody inspects).
    pub fn record_limit(mut self, limit: usize) -> Self {
        self.inner.record_limit = limit;
        self
    }

    /// Starts an emulator with these settings; the same as [`Emulator::start`].
    pub fn start(self) -> io::Result<Emulator> {
        Emulator::start(self)
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self::milvus()
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner;
        f.debug_struct("EmulatorConfig")
            .field("addr", &self.addr)
            .field("flavor", &c.flavor)
            .field("credential", &c.credential.as_ref().map(|_| "<redacted>"))
            .field("timing", &c.timing)
            .field("fail_marker", &c.fail_marker)
            .field("rows_per_file", &c.rows_per_file)
            .field("databases", &c.databases)
            .field("cluster_id", &c.cluster_id)
            .field("record_limit", &c.record_limit)
            .finish()
    }
}

/// A request as the emulator received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `POST`, `GET`, …
    pub method: String,
    /// The path, without any query string.
    pub path: String,
    /// The headers (`Authorization` marked sensitive, so `Debug` hides it).
    pub headers: http::HeaderMap,
    /// The body as received.
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<serde_json::Value>,
}

/// A job to put into an emulator directly, in any state; see [`Emulator::seed_job`].
///
/// ```
/// use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob};
/// use milvus_bulk_import::ImportJobState;
///
/// let emulator = Emulator::start(EmulatorConfig::milvus())?;
/// let id = emulator.seed_job(
///     SeedJob::new("books").state(ImportJobState::Failed).reason("disk quota exceeded"),
/// );
/// assert_eq!(emulator.job_state(&id), Some(ImportJobState::Failed));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SeedJob {
    collection: String,
    db: String,
    target: String,
    files: Vec<Vec<String>>,
    state: ImportJobState,
    progress: Option<u32>,
    reason: Option<String>,
    two_phase: bool,
}

impl SeedJob {
    /// A `Pending` job importing `1.parquet` into `collection` of database `default`.
    pub fn new(collection: impl Into<String>) -> Self {
        SeedJob {
            collection: collection.into(),
            db: "default".into(),
            target: String::new(),
            files: vec![vec!["1.parquet".into()]],
            state: ImportJobState::Pending,
            progress: None,
            reason: None,
            two_phase: false,
        }
    }

    /// Milvus: the job's database.
    pub fn db_name(mut self, db: impl Into<String>) -> Self {
        self.db = db.into();
        self
    }

    /// Zilliz Cloud: the job's cluster. On the cloud flavor a seeded job needs a target (this
    /// or [`project`](Self::project)) to be reachable; without one it takes the cluster set by
    /// [`EmulatorConfig::cluster_id`], if any.
    pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.target = cluster_id.into();
        self
    }

    /// Zilliz Cloud: the job's project database.
    pub fn project(mut self, project_id: impl Into<String>, region_id: impl Into<String>) -> Self {
        self.target = format!("{}/{}", project_id.into(), region_id.into());
        self
    }

    /// The job's source files, one group per inner list.
    pub fn files<I, J, S>(mut self, files: I) -> Self
    where
        I: IntoIterator<Item = J>,
        J: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.files = crate::request::nested(files);
        self
    }

    /// The state to start in. `Uncommitted` and `Committing` make a two-phase job;
    /// `Unknown(name)` is reported as `name` and never changes.
    pub fn state(mut self, state: ImportJobState) -> Self {
        self.state = state;
        self
    }

    /// For `Importing`: the percentage (default 50; at most 99).
    pub fn progress(mut self, progress: u32) -> Self {
        self.progress = Some(progress);
        self
    }

    /// For `Failed`: the reason (default "seeded failure").
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Makes the job two-phase (as if created with `auto_commit` = `"false"`).
    pub fn two_phase(mut self, two_phase: bool) -> Self {
        self.two_phase = two_phase;
        self
    }
}

/// A running emulator. It stops when dropped, or with [`shutdown`](Emulator::shutdown).
pub struct Emulator {
    server: Server,
    service: Arc<Service>,
}

impl Emulator {
    /// Starts listening and serving on a background thread.
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        let service = Arc::new(Service::new(config.inner));
        let server = Server::start(config.addr, service.clone())?;
        Ok(Emulator { server, service })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// Which server it behaves like.
    pub fn flavor(&self) -> Flavor {
        self.service.config.flavor
    }

    /// The requests received so far, oldest first (at most the
    /// [`record_limit`](EmulatorConfig::record_limit) latest).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.service
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.service
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Adds a job in any state and returns its id.
    pub fn seed_job(&self, seed: SeedJob) -> String {
        let stage = match seed.state {
            ImportJobState::Pending => Stage::Pending,
            ImportJobState::Importing => Stage::Importing(seed.progress.unwrap_or(50).min(99)),
            ImportJobState::Uncommitted => Stage::Uncommitted,
            ImportJobState::Committing => Stage::Committing,
            ImportJobState::Completed => Stage::Completed,
            ImportJobState::Failed => {
                Stage::Failed(seed.reason.unwrap_or_else(|| "seeded failure".into()))
            }
            ImportJobState::Unknown(name) => Stage::Other(name),
        };
        let two_phase = seed.two_phase || matches!(stage, Stage::Uncommitted | Stage::Committing);
        let config = &self.service.config;
        let target = match (&config.cluster_id, seed.target.is_empty(), config.flavor) {
            (Some(cluster), true, Flavor::Cloud) => cluster.clone(),
            _ => seed.target,
        };
        self.service.jobs().insert(NewJob {
            db: seed.db,
            target,
            collection: seed.collection,
            sources: seed.files,
            two_phase,
            fail_reason: None,
            stage,
        })
    }

    /// Moves job `job_id` `steps` steps along its lifecycle; false if there is no such job.
    pub fn advance(&self, job_id: &str, steps: u32) -> bool {
        let mut jobs = self.service.jobs();
        match jobs.get_mut(job_id) {
            Some(job) => {
                job.advance(steps);
                true
            }
            None => false,
        }
    }

    /// Moves every job `steps` steps along its lifecycle.
    pub fn advance_all(&self, steps: u32) {
        self.service.jobs().advance_all(steps);
    }

    /// The current state of job `job_id`.
    pub fn job_state(&self, job_id: &str) -> Option<ImportJobState> {
        self.service
            .jobs()
            .get_mut(job_id)
            .map(|job| job.stage.state())
    }

    /// Stops serving: closes the listener and every connection, and waits for their threads.
    pub fn shutdown(mut self) {
        self.server.stop();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url())
            .field("flavor", &self.flavor())
            .finish_non_exhaustive()
    }
}
