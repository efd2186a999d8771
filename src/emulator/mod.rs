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
//! | volumes | — (404) | `POST /v2/volumes/create`, `GET /v2/volumes` (paged, by project, `type` filter), `GET`/`DELETE /v2/volumes/{name}`, `POST /v2/volumes/apply` handing out the credentials of the S3 server set by [`volume_store`](EmulatorConfig::volume_store) (prefix `volumes/<name>/`, expiry set by [`volume_credentials_ttl`](EmulatorConfig::volume_credentials_ttl)); unknown volume 96101, name taken 96102, bad name 96103 (the emulator's codes: Zilliz documents none), bad project 96005, region 96001, paging 96008/96009 |
//! | both | bad JSON or wrong types → 1801, missing `jobId` → 1802, option values must be strings (1801), unknown path or method → plain-text 404, `Idempotency-Key` on create returns the first job's id |
//! | collections | `POST /v2/vectordb/collections/describe` for the collections [configured](EmulatorConfig::collection) or [created](Emulator::create_collection) (2.5/2.6 reply shape; code 100 `can't find collection[database=…][collection=…]` otherwise; database from `dbName`, then `DB-Name`, then `default`) | the same (a Zilliz cluster endpoint's describe) |
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
//! The emulator keeps everything in memory. Without a [data root](EmulatorConfig::data_root) it
//! checks no collection schema and reads no files: every source group counts
//! [`rows_per_file`](EmulatorConfig::rows_per_file) rows of 128 bytes. Where the servers' behaviour is not documented it makes a choice and says so: Milvus `list`
//! is scoped to the request's database (wire-protocol.md leaves this open), a Zilliz API-key
//! failure is HTTP 200 with code 21119 (the status is undocumented), and the cloud flavor also
//! serves `commit`/`abort`.
//!
//! As an HTTP server it answers `OPTIONS` as a CORS preflight (204), sends no body for `HEAD`,
//! reads `Content-Length` and chunked bodies (16 MiB of data at most, 413 beyond; 256 MiB for
//! all connections at once), answers `Expect: 100-continue`, keeps HTTP/1.1 connections alive
//! (60 s idle, 5 s while more than 128 connections are open), closes HTTP/1.0 ones after each
//! reply, and serves at most 256 connections at once. It bounds what a request can make it
//! hold and refuses, then closes the connection: a head over 64 KiB or 100 fields (431), chunk
//! trailers over the same (431), chunk-size lines over 1 KiB or 16 KiB of chunk extensions in
//! a body (400), a request with both `Content-Length` and `Transfer-Encoding` (400). A new
//! connection has 10 s to send its first head, any head must arrive within 10 s of its first
//! byte and a whole request within 30 s, and a reply must be taken within 30 s. At 256
//! connections a new one closes the one that has waited longest for a request (idle or slow
//! clients cannot lock others out); only when all are busy with a request is it answered
//! 503.
//!
//! # Reading files
//!
//! With a [data root](EmulatorConfig::data_root) (the emulator's bucket: a
//! local directory), the Milvus flavor's `create` treats the files it lists as a Milvus 2.5/2.6
//! server does:
//!
//! * **At create** (the reply is an error, as the proxy's): the collection must be known
//!   ([configured](EmulatorConfig::collection) or [created](Emulator::create_collection); code
//!   100 `collection not found[database=…][collection=…]` otherwise), and each group must have
//!   one known extension — `.json`, `.parquet`, `.csv`, or `.npy` files of one batch — and a
//!   single file for the row-based formats (code 2100, e.g. `unexpected file type,
//!   files=[a.txt]: importing data failed`). **`.jsonl` is refused**, as by every 2.x server (it
//!   is a Milvus 3.x format).
//! * **In the import** (the job ends `Failed` with the server's reason): a file that does not
//!   exist, or a path that leaves the data root (`..`, or a symbolic link out of it); a file that
//!   does not parse as its format (JSON `{"rows": [...]}` or a bare list, Parquet, NumPy 1.0–3.0
//!   headers, CSV with the `sep` and `nullkey` options); columns that do not match the
//!   collection's schema — a required field missing, a column the schema lacks (unless it has a
//!   dynamic field, whose `$meta` column is then accepted), the auto-id primary key or a
//!   function output present, a wrong type, a vector of the wrong dimension, a string over
//!   `max_length`, an array over `max_capacity`, a null in a non-nullable field, NumPy columns of
//!   different lengths. Extra columns are refused in every format (Milvus 2.4 refused them in
//!   Parquet; the newest servers ignore extra Parquet and NumPy columns).
//! * Otherwise `totalRows` and `importedRows` are the rows actually in the files (counted by
//!   reading them) and `fileSize` the bytes on disk, per group in `details` and summed.
//!
//! The files are read when the job is created, and the job then moves through its lifecycle as
//! usual ([`Timing`]). The [failure marker](EmulatorConfig::fail_marker) still applies to jobs
//! whose files pass. The cloud flavor does not read files (its `objectUrls` name buckets the
//! emulator does not have).

mod collections;
mod files;
mod jobs;
mod server;
mod service;
mod volumes;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use self::jobs::{NewJob, Stage};
use self::server::Server;
use self::service::Service;
use crate::secret::Secret;
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
#[must_use]
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
    pub(crate) credential: Option<Secret>,
    pub(crate) timing: Timing,
    pub(crate) fail_marker: String,
    pub(crate) rows_per_file: u64,
    pub(crate) databases: Vec<String>,
    pub(crate) cluster_id: Option<String>,
    pub(crate) record_limit: usize,
    /// Body bytes recorded per request.
    pub(crate) record_body_limit: usize,
    /// Bytes recorded in all (about).
    pub(crate) record_bytes_limit: usize,
    /// Jobs kept at most.
    pub(crate) max_jobs: usize,
    /// Cloud flavor: the object store volumes' `apply` hands out.
    pub(crate) volumes: volumes::VolumeSettings,
    /// Collections known from the start: (database, name, schema).
    pub(crate) collections: Vec<(String, String, crate::writer::CollectionSchema)>,
    /// The directory imports read their files from.
    pub(crate) data_root: Option<PathBuf>,
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
                record_body_limit: 1 << 20,
                record_bytes_limit: 64 << 20,
                max_jobs: jobs::MAX_JOBS,
                volumes: Default::default(),
                collections: Vec::new(),
                data_root: None,
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
        self.inner.credential = Some(Secret::new(format!("{}:{}", user.into(), password.into())));
        self
    }

    /// Zilliz Cloud: require `Authorization: Bearer key` (code 21119 otherwise).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.inner.credential = Some(Secret::new(key));
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

    /// Record at most `bytes` of each request's body (default 1 MiB): a longer body is
    /// recorded cut to its first `bytes`, and its [`json`](RecordedRequest::json) is `None`.
    /// The whole body is still served.
    pub fn record_body_limit(mut self, bytes: usize) -> Self {
        self.inner.record_body_limit = bytes;
        self
    }

    /// Keep about `bytes` of recorded requests at most, headers and bodies (default 64 MiB),
    /// forgetting the oldest first. Bodies are kept as received and parsed as JSON only when
    /// [`Emulator::requests`] is called, so recording costs what the requests weigh.
    pub fn record_bytes_limit(mut self, bytes: usize) -> Self {
        self.inner.record_bytes_limit = bytes;
        self
    }

    /// Keep at most `max` import jobs (default 10 000; at least 1). At the cap a new job
    /// takes the place of the oldest finished (`Completed` or `Failed`) one, which is then
    /// unknown to `describe`; when every job kept is unfinished, `create` is refused with code
    /// 2100, as Milvus does when its import-job limit is reached. About 256 MiB of jobs (their
    /// file paths, mostly) are kept at most in the same way.
    pub fn max_jobs(mut self, max: usize) -> Self {
        self.inner.max_jobs = max.max(1);
        self
    }

    /// A collection in database `default`: `collections/describe` answers
    /// with `schema`, and with a [`data_root`](Self::data_root) imports into it are checked
    /// against it. Configuring a name again replaces its schema.
    ///
    /// ```
    /// use milvus_bulk_import::emulator::{Emulator, EmulatorConfig};
    /// use milvus_bulk_import::writer::{CollectionSchema, DataType, FieldSchema};
    /// use milvus_bulk_import::{BulkImportApi, DescribeCollectionRequest};
    ///
    /// let schema = CollectionSchema::new()
    ///     .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
    ///     .field(FieldSchema::new("vector", DataType::FloatVector).dim(4));
    /// let emulator = Emulator::start(EmulatorConfig::milvus().collection("books", schema.clone()))?;
    /// # #[cfg(feature = "ureq")]
    /// # {
    /// let api = BulkImportApi::new(emulator.url(), "")?;
    /// let described = api.describe_collection(&DescribeCollectionRequest::new("books"))?;
    /// assert_eq!(described.into_data(), schema);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collection(
        self,
        name: impl Into<String>,
        schema: crate::writer::CollectionSchema,
    ) -> Self {
        self.collection_in("default", name, schema)
    }

    /// A collection in database `db` (which this adds, like [`database`](Self::database));
    /// see [`collection`](Self::collection).
    pub fn collection_in(
        mut self,
        db: impl Into<String>,
        name: impl Into<String>,
        schema: crate::writer::CollectionSchema,
    ) -> Self {
        let (db, name) = (db.into(), name.into());
        if !self.inner.databases.contains(&db) {
            self.inner.databases.push(db.clone());
        }
        self.inner
            .collections
            .retain(|(d, n, _)| !(*d == db && *n == name));
        self.inner.collections.push((db, name, schema));
        self
    }

    /// Milvus: the emulator's bucket, a local directory. With it, `create`
    /// checks the files it lists the way Milvus 2.5/2.6 does, instead of accepting any path;
    /// see [the module docs](self#reading-files). Paths in `files` are relative to it (an
    /// absolute path inside it is accepted too). For an S3 server used in tests, its
    /// filesystem root joined with the bucket name is such a directory.
    pub fn data_root(mut self, path: impl Into<PathBuf>) -> Self {
        self.inner.data_root = Some(path.into());
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
        let mut f = f.debug_struct("EmulatorConfig");
        f.field("addr", &self.addr)
            .field("flavor", &c.flavor)
            .field("credential", &c.credential)
            .field("timing", &c.timing)
            .field("fail_marker", &c.fail_marker)
            .field("rows_per_file", &c.rows_per_file)
            .field("databases", &c.databases)
            .field("cluster_id", &c.cluster_id)
            .field("record_limit", &c.record_limit)
            .field("record_body_limit", &c.record_body_limit)
            .field("record_bytes_limit", &c.record_bytes_limit)
            .field("max_jobs", &c.max_jobs)
            .field("volumes", &c.volumes);
        let names: Vec<String> = c
            .collections
            .iter()
            .map(|(db, name, _)| format!("{db}.{name}"))
            .collect();
        f.field("collections", &names)
            .field("data_root", &c.data_root);
        f.finish()
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
    /// The body as received (its first
    /// [`record_body_limit`](EmulatorConfig::record_body_limit) bytes).
    pub body: Vec<u8>,
    /// The body parsed as JSON, when it is JSON (and was not cut).
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
#[must_use]
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

    /// The base URL, e.g. `http://127.0.0.1:40123`. When it listens on a wildcard address
    /// (`0.0.0.0`, `[::]`), the URL names loopback (`127.0.0.1`, `[::1]`), where a client on this
    /// machine reaches it.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.reachable_addr())
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
    /// [`record_limit`](EmulatorConfig::record_limit) latest, within the
    /// [`record_bytes_limit`](EmulatorConfig::record_bytes_limit); bodies cut to the
    /// [`record_body_limit`](EmulatorConfig::record_body_limit)).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.service.requests()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.service.clear_requests();
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
            sizes: None,
        })
    }

    /// Creates collection `name` in database `default`, as a test would
    /// with pymilvus before importing: `collections/describe` then answers with `schema`, and
    /// imports into it are checked against it when there is a
    /// [`data_root`](EmulatorConfig::data_root). Creating it again replaces its schema.
    pub fn create_collection(
        &self,
        name: impl Into<String>,
        schema: crate::writer::CollectionSchema,
    ) {
        self.service
            .create_collection("default", &name.into(), schema);
    }

    /// Creates collection `name` in database `db`, creating the database if needed; see
    /// [`create_collection`](Self::create_collection).
    pub fn create_collection_in(
        &self,
        db: impl Into<String>,
        name: impl Into<String>,
        schema: crate::writer::CollectionSchema,
    ) {
        self.service
            .create_collection(&db.into(), &name.into(), schema);
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
