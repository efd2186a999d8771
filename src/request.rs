//! The request types: [`BulkImportRequest`], [`JobRequest`], [`ListImportJobsRequest`], and
//! (feature `writer`) [`DescribeCollectionRequest`], and [`Operation`], what the client's one
//! call path needs from any request.
//!
//! Each request derives the JSON body pymilvus 3.0 sends for the same inputs, key for key: every
//! key present, unset strings as `""`, unset lists as `null`. The field order of each struct is
//! the key order on the wire (tests/wire.rs pins it against pymilvus's bytes).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::error::Error;
use crate::secret::{Secret, REDACTED};

/// What the one call path ([`BulkImportApi`](crate::BulkImportApi)'s `call`) needs from a
/// request, whatever its endpoint.
pub(crate) trait Operation {
    /// Checks the request and encodes its body (JSON; empty for a `GET` or `DELETE`).
    fn body(&self) -> Result<Vec<u8>, Error>;

    /// What follows the endpoint's path: `/{name}` or `?projectId=…` (volume calls), checked.
    fn path_tail(&self) -> Result<String, Error> {
        Ok(String::new())
    }

    /// The database, sent as the `DB-Name` header when not empty.
    fn db_name(&self) -> &str {
        ""
    }

    /// The `Idempotency-Key` header; a call that carries one is safe to repeat.
    fn idempotency_key(&self) -> Option<&str> {
        None
    }

    /// The secrets the request carries, scrubbed from any server text an error quotes.
    fn secrets(&self) -> Vec<Cow<'_, str>> {
        Vec::new()
    }
}

/// Collects nested path lists from anything shaped like `Vec<Vec<String>>`:
/// `vec![vec!["a.parquet".to_string()]]`, `[["a.parquet"]]`, `vec![vec!["a.npy", "b.npy"]]`.
pub(crate) fn nested<I, J, S>(groups: I) -> Vec<Vec<String>>
where
    I: IntoIterator<Item = J>,
    J: IntoIterator<Item = S>,
    S: Into<String>,
{
    groups
        .into_iter()
        .map(|group| group.into_iter().map(Into::into).collect())
        .collect()
}

/// A URL as `Debug` shows it: its user info, query and fragment (where a presigned URL carries
/// its signature, credential and token: `X-Amz-Signature`, `sig`, `Signature`, …) replaced by
/// `<redacted>`. Strings that are not URLs (no `://`) are shown as they are.
fn shown_url(url: &str) -> Cow<'_, str> {
    let Some(authority) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let cut = url[authority..].find(['?', '#']).map(|i| authority + i);
    let authority_end = url[authority..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority + i);
    let user_info = url[authority..authority_end]
        .rfind('@')
        .map(|i| authority + i);
    if cut.is_none() && user_info.is_none() {
        return Cow::Borrowed(url);
    }
    let mut shown = url[..authority].to_string();
    let host = match user_info {
        Some(at) => {
            shown.push_str(REDACTED);
            at
        }
        None => authority,
    };
    shown.push_str(&url[host..cut.unwrap_or(url.len())]);
    if cut.is_some() {
        shown.push('?');
        shown.push_str(REDACTED);
    }
    Cow::Owned(shown)
}

/// Lists of paths or URLs as `Debug` shows them (see [`shown_url`]).
fn shown_urls(groups: &Option<Vec<Vec<String>>>) -> Option<Vec<Vec<Cow<'_, str>>>> {
    groups.as_ref().map(|groups| {
        groups
            .iter()
            .map(|group| group.iter().map(|url| shown_url(url)).collect())
            .collect()
    })
}

/// `%XX` sequences decoded (`+` kept: a signature's `+` is usually sent as `%2B`, and a stray
/// one is scrubbed either way). Invalid UTF-8 is replaced, invalid escapes kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The values of the query parameters of `url` that authorise or identify a request
/// (signatures, credentials, tokens, access key ids), decoded: no error may quote them.
fn signed_values(url: &str) -> Vec<String> {
    const NAMES: [&str; 4] = ["sig", "token", "credential", "access"];
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split('#').next().unwrap_or_default();
    let mut values = Vec::new();
    for pair in query.split('&') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let name = percent_decode(name).to_ascii_lowercase();
        if !NAMES.iter().any(|n| name.contains(n)) {
            continue;
        }
        let value = percent_decode(value);
        // `X-Amz-Credential` is `<access key id>/<date>/<region>/…`: the key id alone too.
        let key_id = value.split('/').next().filter(|id| id.len() < value.len());
        for v in std::iter::once(value.as_str()).chain(key_id) {
            if v.chars().count() >= 4 {
                values.push(v.to_string());
            }
        }
    }
    values
}

/// Paths or URLs (`files`, `objectUrls`, `dataPaths`): serialized as they are, shown by `Debug`
/// without what a presigned URL signs with (see [`shown_url`]).
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
struct Urls(Option<Vec<Vec<String>>>);

impl fmt::Debug for Urls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&shown_urls(&self.0), f)
    }
}

/// One URL (`objectUrl`), like [`Urls`].
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
struct Url(String);

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&shown_url(&self.0), f)
    }
}

/// The Zilliz Cloud target of a call: a cluster (`clusterId`), or a project database
/// (`projectId` with `regionId`). Flattened into the body: its keys stand where its field does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct CloudTarget {
    cluster_id: String,
    project_id: String,
    region_id: String,
}

impl CloudTarget {
    fn check(&self) -> Result<(), Error> {
        if self.project_id.is_empty() != self.region_id.is_empty() {
            return Err(Error::invalid_request(
                "project_id and region_id go together: set both or neither",
            ));
        }
        Ok(())
    }
}

/// The setters of a request's [`CloudTarget`] (its field `cloud`).
macro_rules! cloud_target_setters {
    () => {
        /// Zilliz Cloud: the cluster (`clusterId`, `in01-…`).
        pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
            self.cloud.cluster_id = cluster_id.into();
            self
        }

        /// Zilliz Cloud project database: the project (`projectId`), with
        /// [`region_id`](Self::region_id).
        pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
            self.cloud.project_id = project_id.into();
            self
        }

        /// Zilliz Cloud project database: the region (`regionId`, e.g. `aws-us-west-2`), with
        /// [`project_id`](Self::project_id).
        pub fn region_id(mut self, region_id: impl Into<String>) -> Self {
            self.cloud.region_id = region_id.into();
            self
        }
    };
}

/// A database name travels in the `DB-Name` header, so it must be a valid header value.
fn check_db_name(db_name: &str) -> Result<(), Error> {
    if http::HeaderValue::from_str(db_name).is_err() {
        return Err(Error::invalid_request(format!(
            "db_name {db_name:?} cannot be sent in the DB-Name header (control characters?)"
        )));
    }
    Ok(())
}

/// A page request's size and (1-based) number, both at least 1.
pub(crate) fn check_paging(page_size: u32, current_page: u32) -> Result<(), Error> {
    if page_size == 0 {
        return Err(Error::invalid_request("page size must be at least 1"));
    }
    if current_page == 0 {
        return Err(Error::invalid_request(
            "current page must be at least 1 (pages count from 1)",
        ));
    }
    Ok(())
}

/// `body` as the JSON a request sends.
pub(crate) fn to_json(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| Error::invalid_request(format!("cannot encode the request: {e}")))
}

/// Create an import job: `POST /v2/vectordb/jobs/import/create`, pymilvus's `bulk_import`.
///
/// Set one data source: `files` (open-source Milvus, paths in its bucket), `object_urls` with
/// `access_key`/`secret_key`/`token` (Zilliz Cloud; `object_url` is the deprecated single-URL
/// form), or `volume_name` with `data_paths` (Zilliz volume). Zilliz Cloud also needs the target:
/// `cluster_id`, or `project_id` with `region_id`.
///
/// ```
/// use milvus_bulk_import::BulkImportRequest;
///
/// // Open-source Milvus: two Parquet files and one column-based NumPy batch.
/// let milvus = BulkImportRequest::new("my_collection")
///     .db_name("db1")
///     .files(vec![vec!["a.parquet"], vec!["b.parquet"], vec!["id.npy", "vector.npy"]])
///     .option("timeout", "300s");
///
/// // Zilliz Cloud cluster, from S3 with short-term credentials.
/// let cloud = BulkImportRequest::new("my_collection")
///     .cluster_id("in01-xxxxxxxxxxxxxxx")
///     .object_urls(vec![vec!["s3://bucket/folder/1.parquet".to_string()]])
///     .access_key("AKIA...")
///     .secret_key("...")
///     .token("...");
///
/// // Debug never shows credentials, nor the signature of a presigned URL.
/// assert!(format!("{cloud:?}").contains("secret_key: \"<redacted>\""));
/// let presigned = BulkImportRequest::new("my_collection")
///     .object_urls([["https://b.s3.amazonaws.com/1.parquet?X-Amz-Signature=f00d"]]);
/// assert!(format!("{presigned:?}").contains("https://b.s3.amazonaws.com/1.parquet?<redacted>"));
/// # let _ = milvus;
/// ```
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkImportRequest {
    collection_name: String,
    db_name: String,
    partition_name: String,
    files: Urls,
    object_url: Url,
    object_urls: Urls,
    #[serde(flatten)]
    cloud: CloudTarget,
    access_key: Secret,
    secret_key: Secret,
    token: Secret,
    volume_name: String,
    data_paths: Urls,
    options: BTreeMap<String, String>,
    /// Sent as a header, not in the body.
    #[serde(skip)]
    idempotency_key: Option<String>,
}

impl BulkImportRequest {
    /// A request to import into `collection_name`.
    pub fn new(collection_name: impl Into<String>) -> Self {
        BulkImportRequest {
            collection_name: collection_name.into(),
            db_name: String::new(),
            partition_name: String::new(),
            files: Urls::default(),
            object_url: Url::default(),
            object_urls: Urls::default(),
            cloud: CloudTarget::default(),
            access_key: Secret::default(),
            secret_key: Secret::default(),
            token: Secret::default(),
            volume_name: String::new(),
            data_paths: Urls::default(),
            options: BTreeMap::new(),
            idempotency_key: None,
        }
    }

    /// The database (`dbName`, also sent as the `DB-Name` header). On Zilliz Cloud, for
    /// Dedicated deployments only.
    pub fn db_name(mut self, db_name: impl Into<String>) -> Self {
        self.db_name = db_name.into();
        self
    }

    /// The target partition (`partitionName`); leave unset when the collection uses a
    /// partition key.
    pub fn partition_name(mut self, partition_name: impl Into<String>) -> Self {
        self.partition_name = partition_name.into();
        self
    }

    /// Open-source Milvus: the files to import, relative to Milvus's bucket (`files`). Each
    /// inner list is one JSON/Parquet/CSV file, or the `.npy` files of one column-based batch.
    /// Replaces any earlier value.
    pub fn files<I, J, S>(mut self, files: I) -> Self
    where
        I: IntoIterator<Item = J>,
        J: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.files = Urls(Some(nested(files)));
        self
    }

    /// Zilliz Cloud: one object URL (`objectUrl`). Deprecated by Zilliz in favour of
    /// [`object_urls`](Self::object_urls), kept for servers that still read it.
    pub fn object_url(mut self, object_url: impl Into<String>) -> Self {
        self.object_url = Url(object_url.into());
        self
    }

    /// Zilliz Cloud: object URLs to import (`objectUrls`), one file or folder URL per inner
    /// list. Replaces any earlier value. Presigned URLs are welcome: `Debug` shows them without
    /// their query string, and no error quotes their signature, credential or token.
    pub fn object_urls<I, J, S>(mut self, object_urls: I) -> Self
    where
        I: IntoIterator<Item = J>,
        J: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.object_urls = Urls(Some(nested(object_urls)));
        self
    }

    /// Zilliz Cloud: the object store's access key (`accessKey`). Never shown by `Debug`.
    pub fn access_key(mut self, access_key: impl Into<String>) -> Self {
        self.access_key = Secret::new(access_key);
        self
    }

    /// Zilliz Cloud: the object store's secret key (`secretKey`). Never shown by `Debug` or in
    /// errors.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Secret::new(secret_key);
        self
    }

    /// Zilliz Cloud: the session token of short-term object-store credentials (`token`). Never
    /// shown by `Debug` or in errors.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Secret::new(token);
        self
    }

    /// Zilliz Cloud: the volume holding the data (`volumeName`), with
    /// [`data_paths`](Self::data_paths).
    pub fn volume_name(mut self, volume_name: impl Into<String>) -> Self {
        self.volume_name = volume_name.into();
        self
    }

    /// Zilliz Cloud: paths inside the volume (`dataPaths`), one file or folder per inner list.
    /// Replaces any earlier value.
    pub fn data_paths<I, J, S>(mut self, data_paths: I) -> Self
    where
        I: IntoIterator<Item = J>,
        J: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.data_paths = Urls(Some(nested(data_paths)));
        self
    }

    cloud_target_setters!();

    /// Adds an import option (`options`), such as `timeout` = `"300s"` or `auto_commit` =
    /// `"false"` for a two-phase import. Values are strings, as the server requires (it rejects
    /// JSON booleans and numbers with code 1801). Setting a key again replaces its value.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }

    /// Sends `Idempotency-Key: key` (Milvus 2.6.24 / 3.0.2 and later): a repeated create with
    /// the same key returns the first job's id instead of starting another import, so such a
    /// create is retried like a read (see [`RetryPolicy`](crate::RetryPolicy)). Printable
    /// ASCII, at most 256 bytes; servers that predate it ignore it.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

impl Operation for BulkImportRequest {
    fn body(&self) -> Result<Vec<u8>, Error> {
        if self.collection_name.trim().is_empty() {
            return Err(Error::invalid_request("collection name must not be empty"));
        }
        check_db_name(&self.db_name)?;
        self.cloud.check()?;
        if let Some(key) = &self.idempotency_key {
            let printable = key.bytes().all(|b| (0x20..0x7f).contains(&b));
            if key.is_empty() || key.len() > 256 || !printable {
                return Err(Error::invalid_request(
                    "the idempotency key must be 1 to 256 printable ASCII characters",
                ));
            }
        }
        if self.options.keys().any(|k| k.is_empty()) {
            return Err(Error::invalid_request("option keys must not be empty"));
        }
        to_json(self)
    }

    fn db_name(&self) -> &str {
        &self.db_name
    }

    fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// The object-store credentials, and the signatures, credentials and tokens in the query
    /// strings of `object_url` and `object_urls` (see [`signed_values`]).
    fn secrets(&self) -> Vec<Cow<'_, str>> {
        let keys = [&self.secret_key, &self.access_key, &self.token].map(|s| s.secret().into());
        let urls = std::iter::once(&self.object_url.0)
            .chain(self.object_urls.0.iter().flatten().flatten());
        let signed = urls.flat_map(|url| signed_values(url)).map(Cow::Owned);
        keys.into_iter().chain(signed).collect()
    }
}

/// One job: describe it (`get_import_progress`), or commit or abort a two-phase import.
///
/// The body is `jobId` plus the Zilliz Cloud target; the database goes in the `DB-Name` header
/// only (the server reads no `dbName` for these calls, and without the header RBAC checks the
/// `default` database and answers 403 to users who only hold rights on another one).
///
/// ```
/// use milvus_bulk_import::JobRequest;
///
/// let milvus = JobRequest::new("448707763884413158").db_name("db1");
/// let cloud = JobRequest::new("job-0123456789abcdef").cluster_id("in01-xxxxxxxxxxxxxxx");
/// # let _ = (milvus, cloud);
/// ```
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    job_id: String,
    #[serde(flatten)]
    cloud: CloudTarget,
    /// Sent as the `DB-Name` header only.
    #[serde(skip)]
    db_name: String,
}

impl JobRequest {
    /// A request about the job `job_id` (as returned by
    /// [`bulk_import`](crate::BulkImportApi::bulk_import)).
    pub fn new(job_id: impl Into<String>) -> Self {
        JobRequest {
            job_id: job_id.into(),
            cloud: CloudTarget::default(),
            db_name: String::new(),
        }
    }

    cloud_target_setters!();

    /// The database of the job's collection, sent as the `DB-Name` header.
    pub fn db_name(mut self, db_name: impl Into<String>) -> Self {
        self.db_name = db_name.into();
        self
    }

    /// The job id.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }
}

impl Operation for JobRequest {
    fn body(&self) -> Result<Vec<u8>, Error> {
        if self.job_id.trim().is_empty() {
            return Err(Error::invalid_request("job id must not be empty"));
        }
        check_db_name(&self.db_name)?;
        self.cloud.check()?;
        to_json(self)
    }

    fn db_name(&self) -> &str {
        &self.db_name
    }
}

/// List import jobs: `POST /v2/vectordb/jobs/import/list`, pymilvus's `list_import_jobs`.
///
/// Zilliz Cloud pages the list (`page_size` 1–100, default 10; `current_page` from 1, default
/// 1). Open-source Milvus ignores both and returns every job, optionally only those of one
/// collection.
///
/// ```
/// use milvus_bulk_import::ListImportJobsRequest;
///
/// let cloud = ListImportJobsRequest::new()
///     .cluster_id("inxx-xxxxxxxxxxxxxxx")
///     .page_size(100)
///     .current_page(2);
/// let milvus = ListImportJobsRequest::new().db_name("db1").collection_name("my_collection");
/// # let _ = (cloud, milvus);
/// ```
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListImportJobsRequest {
    collection_name: String,
    db_name: String,
    #[serde(flatten)]
    cloud: CloudTarget,
    page_size: u32,
    current_page: u32,
}

impl Default for ListImportJobsRequest {
    fn default() -> Self {
        Self::new()
    }
}

impl ListImportJobsRequest {
    /// All jobs, first page of 10.
    pub fn new() -> Self {
        ListImportJobsRequest {
            collection_name: String::new(),
            db_name: String::new(),
            cloud: CloudTarget::default(),
            page_size: 10,
            current_page: 1,
        }
    }

    /// Only jobs importing into this collection (`collectionName`).
    pub fn collection_name(mut self, collection_name: impl Into<String>) -> Self {
        self.collection_name = collection_name.into();
        self
    }

    /// The database (`dbName`, also sent as the `DB-Name` header).
    pub fn db_name(mut self, db_name: impl Into<String>) -> Self {
        self.db_name = db_name.into();
        self
    }

    cloud_target_setters!();

    /// Records per page (`pageSize`, default 10; Zilliz Cloud accepts 1–100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// The page to fetch (`currentPage`, from 1, default 1).
    pub fn current_page(mut self, current_page: u32) -> Self {
        self.current_page = current_page;
        self
    }

    /// The page to fetch ([`current_page`](Self::current_page)).
    pub(crate) fn current_page_number(&self) -> u32 {
        self.current_page
    }

    /// Records per page ([`page_size`](Self::page_size)).
    pub(crate) fn records_per_page(&self) -> u32 {
        self.page_size
    }
}

impl Operation for ListImportJobsRequest {
    fn body(&self) -> Result<Vec<u8>, Error> {
        check_paging(self.page_size, self.current_page)?;
        check_db_name(&self.db_name)?;
        self.cloud.check()?;
        to_json(self)
    }

    fn db_name(&self) -> &str {
        &self.db_name
    }
}

/// Describe a collection: `POST /v2/vectordb/collections/describe`, for
/// [`describe_collection`](crate::BulkImportApi::describe_collection) (feature `writer`).
///
/// The body is `{"dbName": …, "collectionName": …}`; the database also goes in the `DB-Name`
/// header when set, as for the import calls. The server reads the body's `dbName` first, then
/// the header, then uses `default`.
///
/// ```
/// use milvus_bulk_import::DescribeCollectionRequest;
///
/// let request = DescribeCollectionRequest::new("books").db_name("db1");
/// assert_eq!(request.collection_name(), "books");
/// ```
#[cfg(feature = "writer")]
#[cfg_attr(docsrs, doc(cfg(feature = "writer")))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct DescribeCollectionRequest {
    db_name: String,
    collection_name: String,
}

#[cfg(feature = "writer")]
impl DescribeCollectionRequest {
    /// A request to describe `collection_name` (in the `default` database unless
    /// [`db_name`](Self::db_name) says otherwise).
    pub fn new(collection_name: impl Into<String>) -> Self {
        DescribeCollectionRequest {
            db_name: String::new(),
            collection_name: collection_name.into(),
        }
    }

    /// The database (`dbName`, also sent as the `DB-Name` header).
    pub fn db_name(mut self, db_name: impl Into<String>) -> Self {
        self.db_name = db_name.into();
        self
    }

    /// The collection to describe.
    pub fn collection_name(&self) -> &str {
        &self.collection_name
    }
}

#[cfg(feature = "writer")]
impl Operation for DescribeCollectionRequest {
    fn body(&self) -> Result<Vec<u8>, Error> {
        if self.collection_name.trim().is_empty() {
            return Err(Error::invalid_request("collection name must not be empty"));
        }
        check_db_name(&self.db_name)?;
        to_json(self)
    }

    fn db_name(&self) -> &str {
        &self.db_name
    }
}
