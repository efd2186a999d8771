//! The emulator's REST service: routes, authentication, body binding and the error codes of
//! the real servers (wire-protocol.md §2–§5).

use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;
use std::sync::Mutex;

use http::HeaderMap;
use serde_json::{json, Map, Value};

use super::collections::Collections;
use super::files;
use super::jobs::{Jobs, NewJob, Stage};
use super::{Config, Flavor, RecordedRequest, Timing};
use crate::secret::Secret;

/// One request as the server read it.
pub(crate) struct Incoming {
    pub(crate) method: String,
    pub(crate) path: String,
    /// The query string, without `?`.
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// One reply to write.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    /// Headers besides `Content-Type` and `Content-Length`.
    pub(crate) headers: &'static [(&'static str, &'static str)],
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            headers: &[],
            body: body.to_string().into_bytes(),
        }
    }

    pub(crate) fn ok(data: Value) -> Reply {
        Reply::json(200, json!({"code": 0, "data": data}))
    }

    /// A success whose `data` `write_data` writes (as JSON) straight into the reply's body.
    fn ok_with(write_data: impl FnOnce(&mut Vec<u8>)) -> Reply {
        let mut body = Vec::with_capacity(256);
        body.extend_from_slice(br#"{"code":0,"data":"#);
        write_data(&mut body);
        body.push(b'}');
        Reply {
            status: 200,
            content_type: "application/json; charset=utf-8",
            headers: &[],
            body,
        }
    }

    /// A business error: HTTP 200 with a `code` and `message`, as Milvus sends them.
    pub(crate) fn error(code: i64, message: impl Into<String>) -> Reply {
        Reply::json(200, json!({"code": code, "message": message.into()}))
    }

    pub(crate) fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: &[],
            body: body.as_bytes().to_vec(),
        }
    }

    /// The answer to a CORS preflight (`OPTIONS`), as Milvus's REST server gives it.
    fn preflight() -> Reply {
        Reply {
            status: 204,
            content_type: "text/plain; charset=utf-8",
            headers: &[
                ("Access-Control-Allow-Origin", "*"),
                (
                    "Access-Control-Allow-Methods",
                    "GET, POST, PUT, DELETE, OPTIONS",
                ),
                (
                    "Access-Control-Allow-Headers",
                    "Content-Type, Authorization, DB-Name, Request-Timeout, Idempotency-Key",
                ),
            ],
            body: Vec::new(),
        }
    }
}

/// Body binding failures, as gin reports them.
fn format_error(detail: impl std::fmt::Display) -> Reply {
    Reply::error(
        1801,
        format!("can only accept json format request, error: {detail}"),
    )
}

fn missing(strukt: &str, field: &str) -> Reply {
    Reply::error(
        1802,
        format!(
            "missing required parameters, error: Key: '{strukt}.{field}' Error:Field validation \
             for '{field}' failed on the 'required' tag"
        ),
    )
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(strukt: &str, key: &str, value: &Value, want: &str) -> Reply {
    format_error(format!(
        "json: cannot unmarshal {} into Go struct field {strukt}.{key} of type {want}",
        json_type(value)
    ))
}

/// Reads typed fields out of a request body, failing the way the server's binding does.
struct Body<'a> {
    strukt: &'static str,
    map: &'a Map<String, Value>,
}

impl Body<'_> {
    fn string(&self, key: &str) -> Result<String, Reply> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(wrong_type(self.strukt, key, other, "string")),
        }
    }

    fn required_string(&self, key: &str, field: &str) -> Result<String, Reply> {
        let value = self.string(key)?;
        if value.is_empty() {
            return Err(missing(self.strukt, field));
        }
        Ok(value)
    }

    fn groups(&self, key: &str) -> Result<Option<Vec<Vec<String>>>, Reply> {
        let bad = |v: &Value| wrong_type(self.strukt, key, v, "[][]string");
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(groups)) => groups
                .iter()
                .map(|group| match group {
                    Value::Array(items) => items
                        .iter()
                        .map(|item| item.as_str().map(str::to_string).ok_or_else(|| bad(item)))
                        .collect(),
                    other => Err(bad(other)),
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(other) => Err(bad(other)),
        }
    }

    fn options(&self) -> Result<BTreeMap<String, String>, Reply> {
        match self.map.get("options") {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(options)) => options
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(wrong_type(self.strukt, "options", other, "string")),
                })
                .collect(),
            Some(other) => Err(wrong_type(
                self.strukt,
                "options",
                other,
                "map[string]string",
            )),
        }
    }

    fn int(&self, key: &str) -> Result<Option<i64>, Reply> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(other) => Err(wrong_type(self.strukt, key, other, "int")),
        }
    }
}

/// The emulated server: configuration, databases, collections, jobs and the requests
/// received.
pub(crate) struct Service {
    pub(crate) config: Config,
    pub(crate) jobs: Mutex<Jobs>,
    /// The requests recorded for [`Emulator::requests`](super::Emulator::requests).
    requests: Mutex<Records>,
    /// Zilliz Cloud volumes (cloud flavor).
    volumes: Mutex<super::volumes::Volumes>,
    /// Milvus: the databases (`default`, configured ones, and those collections were created
    /// in at run time).
    databases: Mutex<Vec<String>>,
    /// The collections describe answers for and imports are checked against.
    collections: Mutex<Collections>,
    /// The "bucket" imports read files from.
    root: Option<files::Root>,
}

/// A request as recorded: [`RecordedRequest`] without its parsed body.
struct Recorded {
    method: String,
    path: String,
    headers: HeaderMap,
    /// The body, or its first `record_body_limit` bytes.
    body: Vec<u8>,
    /// Whether the body was cut.
    cut: bool,
    /// About how many bytes this record takes.
    bytes: usize,
}

impl Recorded {
    fn to_request(&self) -> RecordedRequest {
        RecordedRequest {
            method: self.method.clone(),
            path: self.path.clone(),
            headers: self.headers.clone(),
            json: if self.cut {
                None
            } else {
                serde_json::from_slice(&self.body).ok()
            },
            body: self.body.clone(),
        }
    }
}

/// The requests recorded, and about how many bytes they take.
#[derive(Default)]
struct Records {
    list: VecDeque<Recorded>,
    bytes: usize,
}

/// Where the import-job endpoints live.
const IMPORT_PREFIX: &str = "/v2/vectordb/jobs/import/";
/// The collection describe endpoint.
const DESCRIBE_COLLECTION: &str = "/v2/vectordb/collections/describe";

#[derive(Clone, Copy, PartialEq)]
enum Route {
    Create,
    Describe,
    List,
    Commit,
    Abort,
    DescribeCollection,
}

/// Locks `mutex`, shrugging off a panic of another holder (the data stays consistent: every
/// change is a single assignment or push).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Service {
    /// The service for `config`; its databases and collections move into the service (the
    /// only place they are read from then on).
    pub(crate) fn new(mut config: Config) -> Self {
        let mut jobs = Jobs::new(config.flavor, config.timing, config.rows_per_file);
        jobs.set_max_jobs(config.max_jobs);
        let mut collections = Collections::new();
        for (db, name, schema) in std::mem::take(&mut config.collections) {
            collections.insert(&db, &name, schema);
        }
        Service {
            databases: Mutex::new(std::mem::take(&mut config.databases)),
            collections: Mutex::new(collections),
            root: config.data_root.as_deref().map(files::Root::new),
            config,
            jobs: Mutex::new(jobs),
            requests: Mutex::default(),
            volumes: Mutex::default(),
        }
    }

    pub(crate) fn jobs(&self) -> std::sync::MutexGuard<'_, Jobs> {
        lock(&self.jobs)
    }

    /// Adds (or replaces) collection `name` in database `db`, creating the database if needed.
    pub(crate) fn create_collection(
        &self,
        db: &str,
        name: &str,
        schema: crate::writer::CollectionSchema,
    ) {
        {
            let mut databases = lock(&self.databases);
            if !databases.iter().any(|known| known == db) {
                databases.push(db.to_string());
            }
        }
        lock(&self.collections).insert(db, name, schema);
    }

    /// Records `request` for [`Emulator::requests`](super::Emulator::requests): at most
    /// `record_body_limit` bytes of its body (unparsed: it is parsed when asked for), and at
    /// most `record_limit` requests and about `record_bytes_limit` bytes in all, the oldest
    /// forgotten first. The record takes the request's headers and body.
    fn record(&self, request: Incoming) {
        let config = &self.config;
        if config.record_limit == 0 {
            return;
        }
        let Incoming {
            method,
            path,
            mut headers,
            mut body,
            ..
        } = request;
        let cut = body.len() > config.record_body_limit;
        body.truncate(config.record_body_limit);
        // The body may be the connection's read buffer, larger than what it holds: a record
        // keeps only what it counts.
        body.shrink_to_fit();
        let head_bytes: usize = headers
            .iter()
            .map(|(name, value)| 48 + name.as_str().len() + value.len())
            .sum();
        let bytes = 256 + method.len() + path.len() + head_bytes + body.len();
        if bytes > config.record_bytes_limit {
            return;
        }
        if let Some(value) = headers.get_mut(http::header::AUTHORIZATION) {
            value.set_sensitive(true);
        }
        let recorded = Recorded {
            method,
            path,
            headers,
            body,
            cut,
            bytes,
        };
        let mut records = lock(&self.requests);
        while !records.list.is_empty()
            && (records.list.len() >= config.record_limit
                || records.bytes + bytes > config.record_bytes_limit)
        {
            if let Some(old) = records.list.pop_front() {
                records.bytes -= old.bytes;
            }
        }
        records.bytes += bytes;
        records.list.push_back(recorded);
    }

    /// The requests recorded, oldest first, their bodies parsed as JSON now.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        let records = lock(&self.requests);
        records.list.iter().map(Recorded::to_request).collect()
    }

    pub(crate) fn clear_requests(&self) {
        *lock(&self.requests) = Records::default();
    }

    /// The route of a request: import jobs under [`IMPORT_PREFIX`], then the other paths. Every
    /// route is a POST.
    fn route(&self, method: &str, path: &str) -> Option<Route> {
        if method != "POST" {
            return None;
        }
        if let Some(action) = path.strip_prefix(IMPORT_PREFIX) {
            return Some(match (action, self.config.flavor) {
                ("create", _) => Route::Create,
                ("describe", _) => Route::Describe,
                ("get_progress", Flavor::Milvus) | ("getProgress", Flavor::Cloud) => {
                    Route::Describe
                }
                ("list", _) => Route::List,
                ("commit", _) => Route::Commit,
                ("abort", _) => Route::Abort,
                _ => return None,
            });
        }
        match path {
            DESCRIBE_COLLECTION => Some(Route::DescribeCollection),
            _ => None,
        }
    }

    /// Answers one request, then records it (before the reply is written).
    pub(crate) fn handle(&self, request: Incoming) -> Reply {
        let reply = self.answer(&request);
        self.record(request);
        reply
    }

    fn answer(&self, request: &Incoming) -> Reply {
        if request.method == "OPTIONS" {
            return Reply::preflight();
        }
        if self.config.flavor == Flavor::Cloud && super::volumes::is_volume_path(&request.path) {
            return self
                .authenticate(&request.headers)
                .unwrap_or_else(|| lock(&self.volumes).handle(&self.config.volumes, request));
        }
        let Some(route) = self.route(&request.method, &request.path) else {
            return Reply::text(404, "404 page not found");
        };
        if let Some(reply) = self.authenticate(&request.headers) {
            return reply;
        }
        let body = match bind(&request.body) {
            Ok(map) => map,
            Err(reply) => return reply,
        };
        let result = match (self.config.flavor, route) {
            (Flavor::Milvus, Route::Create) => self.milvus_create(&body, &request.headers),
            (Flavor::Milvus, Route::List) => self.milvus_list(&body, &request.headers),
            (Flavor::Cloud, Route::Create) => self.cloud_create(&body, &request.headers),
            (Flavor::Cloud, Route::List) => self.cloud_list(&body),
            (flavor, Route::Describe) => self.describe(flavor, &body),
            (flavor, Route::Commit) => self.commit(flavor, &body),
            (flavor, Route::Abort) => self.abort(flavor, &body),
            (_, Route::DescribeCollection) => self.describe_collection(&body, &request.headers),
        };
        result.unwrap_or_else(|reply| reply)
    }

    fn authenticate(&self, headers: &HeaderMap) -> Option<Reply> {
        let expected = self.config.credential.as_ref().map(Secret::secret)?;
        let given = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let given = match given.strip_prefix("Basic ") {
            // Milvus also takes HTTP Basic auth (`curl -u root:Milvus`).
            Some(encoded) => base64_decode(encoded.trim()).unwrap_or_default(),
            None => given
                .strip_prefix("Bearer ")
                .unwrap_or(given)
                .trim()
                .to_string(),
        };
        if given == expected {
            return None;
        }
        Some(match self.config.flavor {
            Flavor::Milvus => Reply::json(
                401,
                json!({"code": 1800, "message": "user hasn't authenticated"}),
            ),
            Flavor::Cloud => Reply::error(21119, "The apikey is illegal."),
        })
    }

    /// The database a Milvus request works in: body `dbName`, else `DB-Name`, else `default`.
    fn database(&self, body_db: &str, headers: &HeaderMap) -> Result<String, Reply> {
        let db = if body_db.is_empty() {
            headers
                .get("db-name")
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .unwrap_or("default")
        } else {
            body_db
        };
        if !lock(&self.databases).iter().any(|known| known == db) {
            return Err(Reply::error(
                800,
                format!("database not found[database={db}]"),
            ));
        }
        Ok(db.to_string())
    }

    fn fail_reason(&self, sources: &[Vec<String>]) -> Option<String> {
        let marker = self.config.fail_marker.as_str();
        if marker.is_empty() {
            return None;
        }
        sources
            .iter()
            .flatten()
            .find(|path| path.contains(marker))
            .map(|path| {
                format!(
                    "failed to read file '{path}': injected failure (the path contains {marker:?})"
                )
            })
    }

    /// Creates the job, or returns the one an earlier request with the same
    /// `Idempotency-Key` created.
    fn create_job(&self, new: NewJob, headers: &HeaderMap) -> Result<Reply, Reply> {
        let key = match headers.get("idempotency-key") {
            None => None,
            Some(value) => {
                let key = value
                    .to_str()
                    .ok()
                    .filter(|k| {
                        !k.is_empty()
                            && k.len() <= 256
                            && k.bytes().all(|b| (0x20..0x7f).contains(&b))
                    })
                    .ok_or_else(|| {
                        Reply::error(
                            1100,
                            "invalid parameter[expected=Idempotency-Key of 1 to 256 printable \
                             ASCII characters]",
                        )
                    })?;
                Some(key.to_string())
            }
        };
        // A key is remembered per target, database and collection.
        let scope = format!("{}\0{}\0{}", new.target, new.db, new.collection);
        let mut jobs = self.jobs();
        if let Some(key) = &key {
            if let Some(id) = jobs.idempotent(&scope, key) {
                return Ok(Reply::ok(json!({"jobId": id})));
            }
        }
        if !jobs.make_room(&new) {
            // As Milvus when its import-job limit (`maxImportJobNum`) is reached.
            return Err(Reply::error(
                2100,
                "The number of jobs has reached the limit, please try again later: importing \
                 data failed",
            ));
        }
        let id = jobs.insert(new);
        if let Some(key) = &key {
            jobs.remember(&scope, key, &id);
        }
        Ok(Reply::ok(json!({"jobId": id})))
    }

    fn milvus_create(&self, map: &Map<String, Value>, headers: &HeaderMap) -> Result<Reply, Reply> {
        let body = Body {
            strukt: "ImportReq",
            map,
        };
        // Like gin: every type is checked (1801) before required fields (1802).
        let db = body.string("dbName")?;
        let collection = body.string("collectionName")?;
        let files = body.groups("files")?;
        let options = body.options()?;
        body.string("partitionName")?;
        if collection.is_empty() {
            return Err(missing("ImportReq", "CollectionName"));
        }
        let files = files.ok_or_else(|| missing("ImportReq", "Files"))?;
        let two_phase = two_phase(&options)?;
        let db = self.database(&db, headers)?;
        // The proxy drops empty groups, then refuses a request with none left.
        let files: Vec<Vec<String>> = files.into_iter().filter(|g| !g.is_empty()).collect();
        if files.is_empty() {
            return Err(Reply::error(
                1100,
                "invalid parameter: import request is empty",
            ));
        }
        let (read_failure, sizes) = self.read_files(&db, &collection, &files, &options)?;
        let new = NewJob {
            db,
            target: String::new(),
            collection,
            fail_reason: read_failure.or_else(|| self.fail_reason(&files)),
            sources: files,
            two_phase,
            stage: Stage::Pending,
            sizes,
        };
        self.create_job(new, headers)
    }

    /// With a data root, what the server does with an import's files: the proxy's refusals
    /// (unknown collection, code 100; file types, code 2100) as the create's reply, then the
    /// pre-import's reading — a failure reason for the job, or each group's true size.
    /// Without one, nothing.
    fn read_files(
        &self,
        db: &str,
        collection: &str,
        groups: &[Vec<String>],
        options: &BTreeMap<String, String>,
    ) -> Result<(Option<String>, Option<Vec<super::jobs::GroupSize>>), Reply> {
        let Some(root) = &self.root else {
            return Ok((None, None));
        };
        let schema = lock(&self.collections)
            .get(db, collection)
            .cloned()
            .ok_or_else(|| {
                Reply::error(
                    100,
                    format!("collection not found[database={db}][collection={collection}]"),
                )
            })?;
        files::check_file_types(groups).map_err(|reason| Reply::error(2100, reason))?;
        // Read outside every lock: files may be large.
        Ok(match files::read_groups(root, &schema, groups, options) {
            Ok(sizes) => (None, Some(sizes)),
            Err(reason) => (Some(reason), None),
        })
    }

    /// `POST /v2/vectordb/collections/describe`: the collection's schema in the Milvus 2.5/2.6
    /// shape, or code 100. As on Milvus, the database is the body's `dbName`, else the
    /// `DB-Name` header, else `default`; and a collection without an index is described with
    /// code 0 and the index lookup's error in `message`.
    fn describe_collection(
        &self,
        map: &Map<String, Value>,
        headers: &HeaderMap,
    ) -> Result<Reply, Reply> {
        let body = Body {
            strukt: "CollectionNameReq",
            map,
        };
        let db = body.string("dbName")?;
        let collection = body.string("collectionName")?;
        if collection.is_empty() {
            return Err(missing("CollectionNameReq", "CollectionName"));
        }
        let db = self.database(&db, headers)?;
        let data = lock(&self.collections)
            .describe(&db, &collection)
            .ok_or_else(|| {
                Reply::error(
                    100,
                    format!("can't find collection[database={db}][collection={collection}]"),
                )
            })?;
        Ok(Reply::json(
            200,
            json!({"code": 0, "data": data, "message": "index not found[indexName=];"}),
        ))
    }

    fn milvus_list(&self, map: &Map<String, Value>, headers: &HeaderMap) -> Result<Reply, Reply> {
        let body = Body {
            strukt: "OptionalCollectionNameReq",
            map,
        };
        let collection = body.string("collectionName")?;
        let db = self.database(&body.string("dbName")?, headers)?;
        let mut jobs = self.jobs();
        let records = jobs.matching(|job| {
            job.db == db && (collection.is_empty() || job.collection == collection)
        });
        // Written straight into the reply: a long list costs its size, not many times that.
        Ok(Reply::ok_with(|out| {
            out.reserve(records.len() * 96);
            out.extend_from_slice(br#"{"records":["#);
            for (i, job) in records.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                job.write_record(Flavor::Milvus, out);
            }
            out.extend_from_slice(b"]}");
        }))
    }

    /// Zilliz Cloud: the cluster, or `project/region`, a request addresses.
    fn cloud_target(&self, body: &Body<'_>) -> Result<String, Reply> {
        let cluster = body.string("clusterId")?;
        let project = body.string("projectId")?;
        let region = body.string("regionId")?;
        if !cluster.is_empty() {
            if let Some(known) = &self.config.cluster_id {
                if *known != cluster {
                    return Err(Reply::error(96018, format!("Cluster {cluster} not found.")));
                }
            }
            return Ok(cluster);
        }
        match (project.is_empty(), region.is_empty()) {
            (true, true) => Err(Reply::error(96025, "The clusterId can not be empty.")),
            (false, false) => Ok(format!("{project}/{region}")),
            _ => Err(Reply::error(
                96005,
                "Invalid projectId or regionId: both are required for a project database.",
            )),
        }
    }

    fn cloud_create(&self, map: &Map<String, Value>, headers: &HeaderMap) -> Result<Reply, Reply> {
        let body = Body {
            strukt: "ImportReq",
            map,
        };
        let target = self.cloud_target(&body)?;
        let collection = body.required_string("collectionName", "CollectionName")?;
        let object_urls = body.groups("objectUrls")?.filter(|g| !g.is_empty());
        let object_url = body.string("objectUrl")?;
        let volume = body.string("volumeName")?;
        let data_paths = body.groups("dataPaths")?.filter(|g| !g.is_empty());
        let empty_group = |groups: &Option<Vec<Vec<String>>>| {
            groups
                .iter()
                .flatten()
                .any(|g| g.is_empty() || g.iter().any(String::is_empty))
        };
        if empty_group(&object_urls) || empty_group(&data_paths) {
            return Err(Reply::error(
                1100,
                "invalid parameter: every objectUrls / dataPaths entry needs a non-empty path",
            ));
        }
        for key in ["dbName", "partitionName", "accessKey", "secretKey", "token"] {
            body.string(key)?;
        }
        let sources =
            match (
                object_urls,
                object_url.is_empty(),
                volume.is_empty(),
                data_paths,
            ) {
                (Some(urls), true, true, None) => urls,
                (None, false, true, None) => vec![vec![object_url]],
                (None, true, false, Some(paths)) => paths,
                (None, true, false, None) => {
                    return Err(Reply::error(
                        1100,
                        "invalid parameter: dataPaths is required with volumeName",
                    ))
                }
                (None, true, true, _) => return Err(Reply::error(
                    1100,
                    "invalid parameter: one data source is required: objectUrls, objectUrl, or \
                     volumeName with dataPaths",
                )),
                _ => {
                    return Err(Reply::error(
                        1100,
                        "invalid parameter: give only one data source: objectUrls, objectUrl, or \
                     volumeName with dataPaths",
                    ))
                }
            };
        let two_phase = two_phase(&body.options()?)?;
        let new = NewJob {
            db: body.string("dbName")?,
            target,
            collection,
            fail_reason: self.fail_reason(&sources),
            sources,
            two_phase,
            stage: Stage::Pending,
            sizes: None,
        };
        self.create_job(new, headers)
    }

    fn cloud_list(&self, map: &Map<String, Value>) -> Result<Reply, Reply> {
        let body = Body {
            strukt: "ListImportJobsReq",
            map,
        };
        let target = self.cloud_target(&body)?;
        let collection = body.string("collectionName")?;
        let page_size = body.int("pageSize")?.unwrap_or(10);
        let current_page = body.int("currentPage")?.unwrap_or(1);
        if !(1..=100).contains(&page_size) {
            return Err(Reply::error(
                96008,
                "The pageSize must be between 1 and 100.",
            ));
        }
        if current_page < 1 {
            return Err(Reply::error(
                96009,
                "The currentPage must be greater than 0.",
            ));
        }
        let mut jobs = self.jobs();
        let all = jobs.matching(|job| {
            job.target == target && (collection.is_empty() || job.collection == collection)
        });
        let start =
            usize::try_from((current_page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        Ok(Reply::ok_with(|out| {
            let _ = write!(
                out,
                r#"{{"count":{},"currentPage":{current_page},"pageSize":{page_size},"records":["#,
                all.len()
            );
            let page = all.iter().skip(start).take(page_size as usize);
            for (i, job) in page.enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                job.write_record(Flavor::Cloud, out);
            }
            out.extend_from_slice(b"]}");
        }))
    }

    /// The job id and target of a describe/commit/abort request. Milvus parses the id as an
    /// int64 (so "0453…" finds job 453…) and answers `bad_id` when it is not one.
    fn job_id(
        &self,
        flavor: Flavor,
        map: &Map<String, Value>,
        bad_id: impl FnOnce(&str, std::num::ParseIntError) -> Reply,
    ) -> Result<(String, String), Reply> {
        let body = Body {
            strukt: "JobIDReq",
            map,
        };
        let id = body.required_string("jobId", "JobID")?;
        match flavor {
            Flavor::Milvus => match id.parse::<i64>() {
                Ok(n) => Ok((n.to_string(), String::new())),
                Err(e) => Err(bad_id(&id, e)),
            },
            Flavor::Cloud => Ok((id, self.cloud_target(&body)?)),
        }
    }

    fn describe(&self, flavor: Flavor, map: &Map<String, Value>) -> Result<Reply, Reply> {
        let (id, target) = self.job_id(flavor, map, |id, e| {
            Reply::error(
                2100,
                format!("parse job id failed: strconv.ParseInt: parsing {id:?}: {e}"),
            )
        })?;
        let mut jobs = self.jobs();
        let per_poll = jobs.timing() == Timing::PerPoll;
        let job = jobs
            .get_mut(&id)
            .filter(|job| job.target == target)
            .ok_or_else(|| not_found(flavor, &id))?;
        let reply = Reply::ok_with(|out| job.write_describe(flavor, out));
        if per_poll {
            job.step();
        }
        Ok(reply)
    }

    /// Commits a two-phase job: its data becomes visible.
    fn commit(&self, flavor: Flavor, map: &Map<String, Value>) -> Result<Reply, Reply> {
        self.finish(flavor, map, Outcome::Commit)
    }

    /// Aborts a two-phase job: it ends `Failed` ("aborted by user").
    fn abort(&self, flavor: Flavor, map: &Map<String, Value>) -> Result<Reply, Reply> {
        self.finish(flavor, map, Outcome::Abort)
    }

    /// Ends a two-phase job as `outcome` says; a repeated commit or abort is a no-op, one that
    /// cannot apply (a commit before the data is ready, an abort after a commit) is refused.
    fn finish(
        &self,
        flavor: Flavor,
        map: &Map<String, Value>,
        outcome: Outcome,
    ) -> Result<Reply, Reply> {
        let (id, target) = self.job_id(flavor, map, |id, _| {
            Reply::error(
                1100,
                format!("invalid parameter[expected=int64 jobId][actual={id}]"),
            )
        })?;
        let mut jobs = self.jobs();
        let job = jobs
            .get_mut(&id)
            .filter(|job| job.target == target)
            .ok_or_else(|| not_found(flavor, &id))?;
        let state = job.stage.state();
        let refuse = |why: String| Err(Reply::error(2100, format!("import job {id}: {why}")));
        if !job.two_phase {
            return refuse(
                "not a two-phase import (it was created without auto_commit=false)".into(),
            );
        }
        match (outcome, &job.stage) {
            (Outcome::Commit, Stage::Uncommitted) => job.set_stage(Stage::Committing),
            (Outcome::Commit, Stage::Committing | Stage::Completed) => {}
            (Outcome::Commit, Stage::Failed(_)) => {
                return refuse("cannot commit a failed or aborted job".into())
            }
            (Outcome::Commit, _) => {
                return refuse(format!(
                    "cannot commit before the data is ready, state={state}"
                ))
            }
            (
                Outcome::Abort,
                Stage::Pending | Stage::Importing(_) | Stage::Uncommitted | Stage::Other(_),
            ) => {
                job.aborted = true;
                job.set_stage(Stage::Failed("aborted by user".into()));
            }
            (Outcome::Abort, Stage::Failed(_)) if job.aborted => {}
            (Outcome::Abort, Stage::Failed(_)) => {
                return refuse("cannot abort a job that has already failed".into())
            }
            (Outcome::Abort, _) => {
                return refuse(format!("cannot abort a committed job, state={state}"))
            }
        }
        Ok(Reply::ok(json!({})))
    }
}

/// How a two-phase job is to end: [`Service::commit`] or [`Service::abort`].
#[derive(Clone, Copy)]
enum Outcome {
    Commit,
    Abort,
}

fn not_found(flavor: Flavor, id: &str) -> Reply {
    match flavor {
        Flavor::Milvus => Reply::error(2100, format!("import job does not exist, jobID={id}")),
        Flavor::Cloud => Reply::error(96026, format!("The job {id} is not found.")),
    }
}

/// Standard base64 (padding optional), for Basic auth; `None` if malformed or not UTF-8.
fn base64_decode(text: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
        .decode(text)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// `options.auto_commit`: absent or `"true"` is a normal job, `"false"` a two-phase one.
fn two_phase(options: &BTreeMap<String, String>) -> Result<bool, Reply> {
    match options.get("auto_commit").map(String::as_str) {
        None | Some("true") => Ok(false),
        Some("false") => Ok(true),
        Some(_) => Err(format_error(
            "options.auto_commit must be one of \"true\" or \"false\"",
        )),
    }
}

/// The body as a JSON object, or the server's binding error.
fn bind(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Reply::error(
            1801,
            "can only accept json format request, the request body should be nil, however {} is valid",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // Go decodes `null` into a struct as if it were `{}`.
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(format_error(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_type(&other)
        ))),
        Err(e) => Err(format_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::{base64_decode, Incoming, Service};

    #[test]
    fn a_request_is_recorded_after_its_answer_with_its_headers_and_cut_body() {
        let service = Service::new(
            super::super::EmulatorConfig::milvus()
                .record_body_limit(4)
                .inner,
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, "Bearer t".parse().unwrap());
        headers.insert("db-name", "d".parse().unwrap());
        let mut body = Vec::with_capacity(1 << 16);
        body.extend_from_slice(br#"{"collectionName":"c"}"#);
        let reply = service.handle(Incoming {
            method: "POST".into(),
            path: "/v2/vectordb/jobs/import/list".into(),
            query: String::new(),
            headers,
            body,
        });
        assert_eq!(reply.status, 200);
        let recorded = service.requests();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].method, "POST");
        assert_eq!(recorded[0].path, "/v2/vectordb/jobs/import/list");
        assert_eq!(recorded[0].body, br#"{"co"#);
        assert_eq!(recorded[0].headers["db-name"], "d");
        assert!(recorded[0].headers[http::header::AUTHORIZATION].is_sensitive());
        let records = super::lock(&service.requests);
        let kept = records.list[0].body.capacity();
        assert!(
            kept < 64,
            "the record keeps what it counts, not the read buffer: {kept}"
        );
    }

    #[test]
    fn base64_decodes_basic_credentials() {
        assert_eq!(
            base64_decode("cm9vdDpNaWx2dXM=").as_deref(),
            Some("root:Milvus")
        );
        assert_eq!(base64_decode("YQ").as_deref(), Some("a"));
        assert_eq!(base64_decode("not base64!"), None);
    }
}
