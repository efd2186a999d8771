//! The request types: [`BulkImportRequest`], [`JobRequest`], [`ListImportJobsRequest`], and
//! (feature `writer`) [`DescribeCollectionRequest`].
//!
//! Each builds the JSON body pymilvus 3.0 sends for the same inputs, key for key: every key
//! present, unset strings as `""`, unset lists as `null`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::error::Error;

const REDACTED: &str = "<redacted>";

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

fn secret(value: &str) -> &str {
    if value.is_empty() {
        ""
    } else {
        REDACTED
    }
}

/// A database name travels in the `DB-Name` header, so it must be a valid header value.
fn check_db_name(db_name: &str) -> Result<(), Error> {
    if http::HeaderValue::from_str(db_name).is_err() {
        return Err(Error::InvalidRequest(format!(
            "db_name {db_name:?} cannot be sent in the DB-Name header (control characters?)"
        )));
    }
    Ok(())
}

fn check_cloud_target(project_id: &str, region_id: &str) -> Result<(), Error> {
    if project_id.is_empty() != region_id.is_empty() {
        return Err(Error::InvalidRequest(
            "project_id and region_id go together: set both or neither".into(),
        ));
    }
    Ok(())
}

fn to_json(body: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| Error::InvalidRequest(format!("cannot encode the request: {e}")))
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
#[derive(Clone, PartialEq, Eq)]
pub struct BulkImportRequest {
    collection_name: String,
    db_name: String,
    partition_name: String,
    files: Option<Vec<Vec<String>>>,
    object_url: String,
    object_urls: Option<Vec<Vec<String>>>,
    cluster_id: String,
    project_id: String,
    region_id: String,
    access_key: String,
    secret_key: String,
    token: String,
    volume_name: String,
    data_paths: Option<Vec<Vec<String>>>,
    options: BTreeMap<String, String>,
    idempotency_key: Option<String>,
    /// The secrets in the query strings of `object_url` and `object_urls` (see
    /// [`signed_values`]).
    signed: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody<'a> {
    collection_name: &'a str,
    db_name: &'a str,
    partition_name: &'a str,
    files: Option<&'a [Vec<String>]>,
    object_url: &'a str,
    object_urls: Option<&'a [Vec<String>]>,
    cluster_id: &'a str,
    project_id: &'a str,
    region_id: &'a str,
    access_key: &'a str,
    secret_key: &'a str,
    token: &'a str,
    volume_name: &'a str,
    data_paths: Option<&'a [Vec<String>]>,
    options: &'a BTreeMap<String, String>,
}

impl BulkImportRequest {
    /// A request to import into `collection_name`.
    pub fn new(collection_name: impl Into<String>) -> Self {
        BulkImportRequest {
            collection_name: collection_name.into(),
            db_name: String::new(),
            partition_name: String::new(),
            files: None,
            object_url: String::new(),
            object_urls: None,
            cluster_id: String::new(),
            project_id: String::new(),
            region_id: String::new(),
            access_key: String::new(),
            secret_key: String::new(),
            token: String::new(),
            volume_name: String::new(),
            data_paths: None,
            options: BTreeMap::new(),
            idempotency_key: None,
            signed: Vec::new(),
        }
    }

    /// Gathers the secrets of the object URLs' query strings again.
    fn find_signed(&mut self) {
        self.signed = std::iter::once(&self.object_url)
            .chain(self.object_urls.iter().flatten().flatten())
            .flat_map(|url| signed_values(url))
            .collect();
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
        self.files = Some(nested(files));
        self
    }

    /// Zilliz Cloud: one object URL (`objectUrl`). Deprecated by Zilliz in favour of
    /// [`object_urls`](Self::object_urls), kept for servers that still read it.
    pub fn object_url(mut self, object_url: impl Into<String>) -> Self {
        self.object_url = object_url.into();
        self.find_signed();
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
        self.object_urls = Some(nested(object_urls));
        self.find_signed();
        self
    }

    /// Zilliz Cloud: the object store's access key (`accessKey`). Never shown by `Debug`.
    pub fn access_key(mut self, access_key: impl Into<String>) -> Self {
        self.access_key = access_key.into();
        self
    }

    /// Zilliz Cloud: the object store's secret key (`secretKey`). Never shown by `Debug` or in
    /// errors.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = secret_key.into();
        self
    }

    /// Zilliz Cloud: the session token of short-term object-store credentials (`token`). Never
    /// shown by `Debug` or in errors.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
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
        self.data_paths = Some(nested(data_paths));
        self
    }

    /// Zilliz Cloud: the target cluster (`clusterId`, `in01-…`).
    pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.cluster_id = cluster_id.into();
        self
    }

    /// Zilliz Cloud project database: the project (`projectId`), with
    /// [`region_id`](Self::region_id).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    /// Zilliz Cloud project database: the region (`regionId`, e.g. `aws-us-west-2`).
    pub fn region_id(mut self, region_id: impl Into<String>) -> Self {
        self.region_id = region_id.into();
        self
    }

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

    pub(crate) fn key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    pub(crate) fn db(&self) -> &str {
        &self.db_name
    }

    /// The secrets this request carries, to scrub from any server text quoted in an error.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        let keys = [&self.secret_key, &self.access_key, &self.token];
        keys.into_iter()
            .chain(&self.signed)
            .map(String::as_str)
            .collect()
    }

    pub(crate) fn to_body(&self) -> Result<Vec<u8>, Error> {
        if self.collection_name.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "collection name must not be empty".into(),
            ));
        }
        check_db_name(&self.db_name)?;
        check_cloud_target(&self.project_id, &self.region_id)?;
        if let Some(key) = &self.idempotency_key {
            let printable = key.bytes().all(|b| (0x20..0x7f).contains(&b));
            if key.is_empty() || key.len() > 256 || !printable {
                return Err(Error::InvalidRequest(
                    "the idempotency key must be 1 to 256 printable ASCII characters".into(),
                ));
            }
        }
        if self.options.keys().any(|k| k.is_empty()) {
            return Err(Error::InvalidRequest(
                "option keys must not be empty".into(),
            ));
        }
        to_json(&CreateBody {
            collection_name: &self.collection_name,
            db_name: &self.db_name,
            partition_name: &self.partition_name,
            files: self.files.as_deref(),
            object_url: &self.object_url,
            object_urls: self.object_urls.as_deref(),
            cluster_id: &self.cluster_id,
            project_id: &self.project_id,
            region_id: &self.region_id,
            access_key: &self.access_key,
            secret_key: &self.secret_key,
            token: &self.token,
            volume_name: &self.volume_name,
            data_paths: self.data_paths.as_deref(),
            options: &self.options,
        })
    }
}

impl fmt::Debug for BulkImportRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkImportRequest")
            .field("collection_name", &self.collection_name)
            .field("db_name", &self.db_name)
            .field("partition_name", &self.partition_name)
            .field("files", &shown_urls(&self.files))
            .field("object_url", &shown_url(&self.object_url))
            .field("object_urls", &shown_urls(&self.object_urls))
            .field("cluster_id", &self.cluster_id)
            .field("project_id", &self.project_id)
            .field("region_id", &self.region_id)
            .field("access_key", &secret(&self.access_key))
            .field("secret_key", &secret(&self.secret_key))
            .field("token", &secret(&self.token))
            .field("volume_name", &self.volume_name)
            .field("data_paths", &shown_urls(&self.data_paths))
            .field("options", &self.options)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRequest {
    job_id: String,
    cluster_id: String,
    project_id: String,
    region_id: String,
    db_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobBody<'a> {
    job_id: &'a str,
    cluster_id: &'a str,
    project_id: &'a str,
    region_id: &'a str,
}

impl JobRequest {
    /// A request about the job `job_id` (as returned by
    /// [`bulk_import`](crate::BulkImportApi::bulk_import)).
    pub fn new(job_id: impl Into<String>) -> Self {
        JobRequest {
            job_id: job_id.into(),
            cluster_id: String::new(),
            project_id: String::new(),
            region_id: String::new(),
            db_name: String::new(),
        }
    }

    /// Zilliz Cloud: the cluster (`clusterId`).
    pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.cluster_id = cluster_id.into();
        self
    }

    /// Zilliz Cloud project database: the project (`projectId`).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    /// Zilliz Cloud project database: the region (`regionId`).
    pub fn region_id(mut self, region_id: impl Into<String>) -> Self {
        self.region_id = region_id.into();
        self
    }

    /// The database of the job's collection, sent as the `DB-Name` header.
    pub fn db_name(mut self, db_name: impl Into<String>) -> Self {
        self.db_name = db_name.into();
        self
    }

    /// The job id.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    pub(crate) fn db(&self) -> &str {
        &self.db_name
    }

    pub(crate) fn to_body(&self) -> Result<Vec<u8>, Error> {
        if self.job_id.trim().is_empty() {
            return Err(Error::InvalidRequest("job id must not be empty".into()));
        }
        check_db_name(&self.db_name)?;
        check_cloud_target(&self.project_id, &self.region_id)?;
        to_json(&JobBody {
            job_id: &self.job_id,
            cluster_id: &self.cluster_id,
            project_id: &self.project_id,
            region_id: &self.region_id,
        })
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListImportJobsRequest {
    collection_name: String,
    db_name: String,
    cluster_id: String,
    project_id: String,
    region_id: String,
    page_size: u32,
    current_page: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody<'a> {
    collection_name: &'a str,
    db_name: &'a str,
    cluster_id: &'a str,
    project_id: &'a str,
    region_id: &'a str,
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
            cluster_id: String::new(),
            project_id: String::new(),
            region_id: String::new(),
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

    /// Zilliz Cloud: the cluster (`clusterId`).
    pub fn cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.cluster_id = cluster_id.into();
        self
    }

    /// Zilliz Cloud project database: the project (`projectId`).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    /// Zilliz Cloud project database: the region (`regionId`).
    pub fn region_id(mut self, region_id: impl Into<String>) -> Self {
        self.region_id = region_id.into();
        self
    }

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

    pub(crate) fn db(&self) -> &str {
        &self.db_name
    }

    pub(crate) fn page(&self) -> u32 {
        self.current_page
    }

    pub(crate) fn size(&self) -> u32 {
        self.page_size
    }

    pub(crate) fn to_body(&self) -> Result<Vec<u8>, Error> {
        if self.page_size == 0 {
            return Err(Error::InvalidRequest("page size must be at least 1".into()));
        }
        if self.current_page == 0 {
            return Err(Error::InvalidRequest(
                "current page must be at least 1 (pages count from 1)".into(),
            ));
        }
        check_db_name(&self.db_name)?;
        check_cloud_target(&self.project_id, &self.region_id)?;
        to_json(&ListBody {
            collection_name: &self.collection_name,
            db_name: &self.db_name,
            cluster_id: &self.cluster_id,
            project_id: &self.project_id,
            region_id: &self.region_id,
            page_size: self.page_size,
            current_page: self.current_page,
        })
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
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct DescribeCollectionRequest {
    collection_name: String,
    db_name: String,
}

#[cfg(feature = "writer")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeCollectionBody<'a> {
    db_name: &'a str,
    collection_name: &'a str,
}

#[cfg(feature = "writer")]
impl DescribeCollectionRequest {
    /// A request to describe `collection_name` (in the `default` database unless
    /// [`db_name`](Self::db_name) says otherwise).
    pub fn new(collection_name: impl Into<String>) -> Self {
        DescribeCollectionRequest {
            collection_name: collection_name.into(),
            db_name: String::new(),
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

    pub(crate) fn db(&self) -> &str {
        &self.db_name
    }

    pub(crate) fn to_body(&self) -> Result<Vec<u8>, Error> {
        if self.collection_name.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "collection name must not be empty".into(),
            ));
        }
        check_db_name(&self.db_name)?;
        to_json(&DescribeCollectionBody {
            db_name: &self.db_name,
            collection_name: &self.collection_name,
        })
    }
}
