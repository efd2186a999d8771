//! [`S3Storage`]: finished files uploaded to an S3-compatible bucket (AWS S3, MinIO, GCS with
//! HMAC keys, any S3 API), each request signed with AWS Signature V4 by `rusty-s3` (sans-IO:
//! it only builds signed URLs) and sent through the crate's own [`Transport`], so custom
//! transports, TLS settings, timeouts and `MockTransport` apply to uploads too.
//!
//! Internally the work is done by [`S3Client`], a client for one bucket with fixed settings;
//! [`S3Storage`] is its public builder, and [`S3Remote`] the writer's [`Remote`] over it.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use md5::{Digest as _, Md5};
use rusty_s3::actions::{
    AbortMultipartUpload, CompleteMultipartUpload, CreateMultipartUpload, HeadObject, PutObject,
    UploadPart,
};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use url::Url;

use super::Remote;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::redact::Secrets;
use crate::retry::{parse_retry_after, Retries, RetryPolicy};
use crate::secret::Secret;
use crate::transport::Transport;

const MIB: u64 = 1 << 20;
/// S3's smallest part (all but the last) and the default part size.
const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest part, and its largest single `PUT`.
const MAX_PART_SIZE: u64 = 5 << 30;
/// S3's largest object.
const MAX_OBJECT_SIZE: u64 = 5 << 40;
/// S3's most parts in one multipart upload.
const MAX_PARTS: u64 = 10_000;
/// S3's longest key, in bytes.
const MAX_KEY_BYTES: usize = 1024;
/// How long each signed request stays valid. A URL is signed right before it is sent (again
/// for each retry), so this only has to cover the time until the server reads its headers.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(3600);
/// Replies longer than this are not searched for XML fields (a typed error instead).
const MAX_XML_REPLY: usize = 1 << 20;
/// How much of a reply body an [`Error::Decode`] quotes.
const SNIPPET_BYTES: usize = 512;
/// Server messages quoted in errors are cut at this many characters.
const MAX_MESSAGE_CHARS: usize = 512;
const USER_AGENT: &str = concat!("milvus-bulk-import/", env!("CARGO_PKG_VERSION"));

/// An S3-compatible bucket that a [`BulkWriter`](crate::writer::BulkWriter) uploads its files to
/// (AWS S3, MinIO, GCS through its XML API with HMAC keys, any S3 API); give it to
/// [`BulkWriterBuilder::remote`](crate::writer::BulkWriterBuilder::remote).
///
/// ```
/// # fn main() -> Result<(), milvus_bulk_import::Error> {
/// use milvus_bulk_import::writer::{BulkWriter, CollectionSchema, DataType, FieldSchema, S3Storage};
/// # use milvus_bulk_import::{http, FnTransport};
///
/// let schema = CollectionSchema::new()
///     .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
///     .field(FieldSchema::new("vector", DataType::FloatVector).dim(2));
/// let storage = S3Storage::new("http://127.0.0.1:9000", "a-bucket")   // endpoint URL, bucket
///     .credentials("minioadmin", "minioadmin")
///     .region("us-east-1");
/// #   let storage = storage.transport(FnTransport::new(|_| {
/// #       Ok(http::Response::builder().header("etag", "\"e\"").body(Vec::new()).unwrap())
/// #   }));
/// # let staging = std::env::temp_dir().join(format!("mbi-s3-doc-{}", std::process::id()));
/// let mut writer = BulkWriter::builder(&schema, &staging)   // local staging directory
///     .remote(storage, "bulk_data")                           // key prefix in the bucket
///     .build()?;                                              // checks the bucket
/// writer.append_row(&serde_json::json!({"id": 1, "vector": [0.5, 1.0]}))?;
/// writer.commit()?;                                           // written, uploaded, deleted locally
/// let files = writer.batch_files();                           // [["bulk_data/<uuid>/1.parquet"]]
/// assert!(files[0][0].starts_with("bulk_data/") && files[0][0].ends_with("/1.parquet"));
/// # Ok(())
/// # }
/// ```
///
/// # Requests
///
/// | when | requests |
/// |---|---|
/// | `build()` of the writer | `HEAD /<bucket>` once: a missing bucket or refused credentials are an [`Error::Storage`] there |
/// | a file up to [`multipart_threshold`](Self::multipart_threshold) (default 5 MiB) | one `PUT` |
/// | a larger file | `POST ?uploads`, then `PUT ?partNumber=…` for each part ([`part_size`](Self::part_size), default 5 MiB, [`parallel_parts`](Self::parallel_parts) at a time, default 3), then `POST ?uploadId=…`; if any of it fails for good, `DELETE ?uploadId=…` removes the unfinished upload |
///
/// Every body carries a `Content-MD5` header, which S3 and MinIO check before storing
/// anything. Requests are signed with Signature V4 in the query string (a presigned URL made
/// right before sending; `Content-MD5` is among the signed headers) and sent through the
/// [`Transport`] given to [`transport`](Self::transport), or a default
/// [`UreqTransport`](crate::UreqTransport) (feature `ureq`; 20 s connect and read timeouts).
///
/// Every request is retried under the [`RetryPolicy`] (default [`RetryPolicy::default`]):
/// connection failures, timeouts and dropped connections, HTTP 5xx, 408 and 429, and the
/// S3 codes `SlowDown`, `RequestTimeout`, `InternalError`, `ServiceUnavailable`, and
/// `BadDigest` / `IncompleteBody` (the body arrived damaged). Other refusals (403, 404, 400…)
/// are not retried. A file or part is read again from disk for each attempt.
///
/// # URLs
///
/// Path style by default (`http://host:9000/<bucket>/<key>`, what MinIO and most S3-compatible
/// servers expect); [`virtual_hosted_style(true)`](Self::virtual_hosted_style) gives
/// `https://<bucket>.s3.amazonaws.com/<key>`. A path in the endpoint URL is kept as a prefix
/// (`https://gateway/s3` → `https://gateway/s3/<bucket>/<key>`), for S3 behind a reverse proxy.
/// The region (default `us-east-1`, MinIO's) is part of the signature: an AWS bucket elsewhere
/// needs [`region`](Self::region) (the error then names the bucket's region when S3 tells it).
///
/// # Secrets
///
/// The secret key, the session token, the access key and the signed URLs (their
/// `X-Amz-Signature`, `X-Amz-Credential` and `X-Amz-Security-Token`) never appear in this
/// type's `Debug` output nor in any error: URLs in errors are shown without their query, and
/// server messages are scrubbed.
#[derive(Clone)]
#[must_use]
pub struct S3Storage {
    endpoint: String,
    bucket: String,
    access_key: Secret,
    secret_key: Secret,
    session_token: Option<Secret>,
    region: String,
    virtual_hosted: bool,
    transport: Option<Arc<dyn Transport>>,
    retry: RetryPolicy,
    part_size: u64,
    multipart_threshold: Option<u64>,
    parallel_parts: usize,
}

impl S3Storage {
    /// The bucket `bucket` at `endpoint_url` (`http://127.0.0.1:9000`,
    /// `https://s3.eu-west-1.amazonaws.com`, `https://storage.googleapis.com`). Settings are
    /// checked when the writer is built.
    pub fn new(endpoint_url: impl Into<String>, bucket: impl Into<String>) -> Self {
        S3Storage {
            endpoint: endpoint_url.into(),
            bucket: bucket.into(),
            access_key: Secret::default(),
            secret_key: Secret::default(),
            session_token: None,
            region: "us-east-1".to_string(),
            virtual_hosted: false,
            transport: None,
            retry: RetryPolicy::default(),
            part_size: MIN_PART_SIZE,
            multipart_threshold: None,
            parallel_parts: 3,
        }
    }

    /// The access key and secret key requests are signed with. Without them requests are sent
    /// unsigned (anonymous), which only a public-write bucket accepts.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.access_key = Secret::new(access_key);
        self.secret_key = Secret::new(secret_key);
        self
    }

    /// The session token of temporary credentials (AWS STS), sent as `X-Amz-Security-Token`.
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(Secret::new(token));
        self
    }

    /// The bucket's region (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Virtual-hosted-style URLs (`https://<bucket>.<endpoint host>/<key>`) instead of path
    /// style (`https://<endpoint host>/<bucket>/<key>`, the default).
    pub fn virtual_hosted_style(mut self, yes: bool) -> Self {
        self.virtual_hosted = yes;
        self
    }

    /// The transport requests go through (default: a [`UreqTransport`](crate::UreqTransport)
    /// with default settings, feature `ureq`; without that feature a transport is required).
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]); applies to each
    /// request on its own (each part of a multipart upload has its own attempts).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The size of each part of a multipart upload (default and minimum 5 MiB, at most
    /// 5 GiB; the last part holds the rest). A file that would need more than 10 000 parts
    /// gets larger parts, rounded up to a MiB. Each part in flight is held in memory.
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes as u64;
        self
    }

    /// Files larger than this go up in parts; smaller ones in one `PUT`, held in memory
    /// (default: the part size; at most 5 GiB).
    pub fn multipart_threshold(mut self, bytes: usize) -> Self {
        self.multipart_threshold = Some(bytes as u64);
        self
    }

    /// How many parts of one file are uploaded at the same time, each on its own thread
    /// (default 3, as minio-py; at least 1).
    pub fn parallel_parts(mut self, parts: usize) -> Self {
        self.parallel_parts = parts;
        self
    }

    /// Checks the bucket as the writer's `build()` does. Used by the crate's integration
    /// tests; not part of the API.
    #[doc(hidden)]
    pub fn check_bucket(&self) -> Result<(), Error> {
        self.build_client()?.head_bucket()
    }

    /// Uploads `local` as `key`, as the writer does for each finished file. Used by the
    /// crate's integration tests; not part of the API.
    #[doc(hidden)]
    pub fn upload_file(&self, local: impl AsRef<Path>, key: &str) -> Result<(), Error> {
        self.build_client()?.put_object(local.as_ref(), key)
    }

    /// These settings as the writer's [`Remote`], whose client is built once.
    pub(crate) fn into_remote(self) -> S3Remote {
        S3Remote {
            storage: self,
            client: OnceLock::new(),
        }
    }

    /// A new client with these settings, every setting checked: an [`Error::Config`] names
    /// the first bad one.
    pub(crate) fn build_client(&self) -> Result<S3Client, Error> {
        let config = |msg: String| Error::config(format!("S3 storage: {msg}"));
        let mut endpoint = Url::parse(self.endpoint.trim()).map_err(|e| {
            config(format!(
                "the endpoint {:?} is not a URL ({e}); give one like http://127.0.0.1:9000",
                shown_endpoint(&self.endpoint)
            ))
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(config(format!(
                "the endpoint {:?} must be an http:// or https:// URL with a host",
                shown_endpoint(&self.endpoint)
            )));
        }
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err(config(
                "the endpoint URL must not hold credentials: use S3Storage::credentials".into(),
            ));
        }
        if endpoint.query().is_some() || endpoint.fragment().is_some() {
            return Err(config(format!(
                "the endpoint {:?} must not have a query or a fragment",
                shown_endpoint(&self.endpoint)
            )));
        }
        // A path in the endpoint is a prefix kept before the bucket (or the key).
        if !endpoint.path().ends_with('/') {
            let path = format!("{}/", endpoint.path());
            endpoint.set_path(&path);
        }
        let name = self.bucket.as_str();
        let bad_bucket = name.is_empty()
            || name.len() > 255
            || name.contains(['/', '?', '#', '%', '\\'])
            || name.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad_bucket {
            return Err(config(format!("{name:?} cannot be a bucket name")));
        }
        if self.region.is_empty() || self.region.chars().any(|c| c == '/' || c.is_whitespace()) {
            return Err(config(format!("{:?} cannot be a region", self.region)));
        }
        let style = if self.virtual_hosted {
            UrlStyle::VirtualHost
        } else {
            UrlStyle::Path
        };
        let bucket = Bucket::new(endpoint, style, name.to_string(), self.region.clone())
            .map_err(|e| config(format!("cannot address bucket {name:?}: {e}")))?;
        let credentials = match (
            self.access_key.is_empty(),
            self.secret_key.is_empty(),
            &self.session_token,
        ) {
            (true, true, None) => None,
            (true, true, Some(_)) => {
                return Err(config(
                    "a session token needs the access key and secret key".into(),
                ))
            }
            (false, false, None) => Some(Credentials::new(
                self.access_key.secret(),
                self.secret_key.secret(),
            )),
            (false, false, Some(token)) => Some(Credentials::new_with_token(
                self.access_key.secret(),
                self.secret_key.secret(),
                token.secret(),
            )),
            _ => {
                return Err(config(
                    "the access key and the secret key go together: one of them is empty".into(),
                ))
            }
        };
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(config(format!(
                "a part size of {} bytes is outside S3's limits (5 MiB to 5 GiB)",
                self.part_size
            )));
        }
        let threshold = self.multipart_threshold.unwrap_or(self.part_size);
        if threshold > MAX_PART_SIZE {
            return Err(config(format!(
                "a multipart threshold of {threshold} bytes is over S3's 5 GiB limit for one PUT"
            )));
        }
        if self.parallel_parts == 0 {
            return Err(config("parallel_parts must be at least 1".into()));
        }
        let transport = match &self.transport {
            Some(transport) => Arc::clone(transport),
            None => default_transport()?,
        };
        let secrets = Secrets::new([
            self.access_key.secret(),
            self.secret_key.secret(),
            self.session_token.as_ref().map_or("", Secret::secret),
        ]);
        Ok(S3Client {
            bucket,
            credentials,
            transport,
            retry: self.retry.clone(),
            part_size: self.part_size,
            threshold,
            parallel_parts: self.parallel_parts,
            secrets,
        })
    }
}

#[cfg(feature = "ureq")]
fn default_transport() -> Result<Arc<dyn Transport>, Error> {
    Ok(Arc::new(crate::transport::ureq::UreqTransport::new()))
}

#[cfg(not(feature = "ureq"))]
fn default_transport() -> Result<Arc<dyn Transport>, Error> {
    Err(Error::config(
        "S3 storage: no transport; pass one with S3Storage::transport, or enable feature `ureq`",
    ))
}

/// The endpoint as given, without any `user:password@` part.
fn shown_endpoint(endpoint: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => endpoint.to_string(),
            }
        }
        None => endpoint.to_string(),
    }
}

impl fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("endpoint", &shown_endpoint(&self.endpoint))
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("virtual_hosted_style", &self.virtual_hosted)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("session_token", &self.session_token)
            .field(
                "transport",
                &if self.transport.is_some() {
                    "custom"
                } else {
                    "default"
                },
            )
            .field("retry", &self.retry)
            .field("part_size", &self.part_size)
            .field(
                "multipart_threshold",
                &self.multipart_threshold.unwrap_or(self.part_size),
            )
            .field("parallel_parts", &self.parallel_parts)
            .finish()
    }
}

/// An [`S3Storage`] as a writer's [`Remote`]: its client is built (and the settings checked)
/// on first use, the writer's bucket check, and kept for the uploads.
pub(crate) struct S3Remote {
    storage: S3Storage,
    client: OnceLock<S3Client>,
}

impl S3Remote {
    fn client(&self) -> Result<&S3Client, Error> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = self.storage.build_client()?;
        Ok(self.client.get_or_init(|| client))
    }
}

impl fmt::Debug for S3Remote {
    /// The storage's settings, as [`S3Storage`] shows them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.storage, f)
    }
}

impl Remote for S3Remote {
    fn check(&self) -> Result<(), Error> {
        self.client()?.head_bucket()
    }

    fn upload(&self, local: &Path, key: &str) -> Result<(), Error> {
        self.client()?.put_object(local, key)
    }
}

/// An S3 client for one bucket with fixed settings: Signature V4 (rusty-s3) over the crate's
/// [`Transport`], with retries, `Content-MD5` on every body, single `PUT` or parallel
/// multipart uploads, and S3 error replies turned into [`Error::Storage`].
///
/// Inside the crate, anything that uploads to an S3-compatible endpoint uses this (the Zilliz
/// volume storage with the temporary credentials `apply` hands out, for one): build an
/// [`S3Storage`] with the endpoint, bucket, region, credentials + session token (and the
/// caller's transport and retry policy), call [`S3Storage::build_client`], then
/// [`put_object`](Self::put_object). A client is cheap; make a new one when the credentials
/// change. An expired token shows as `Error::Storage` with code `ExpiredToken` (not retried
/// here: the caller refreshes and tries again).
#[derive(Clone)]
pub(crate) struct S3Client {
    bucket: Bucket,
    credentials: Option<Credentials>,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    part_size: u64,
    threshold: u64,
    parallel_parts: usize,
    /// Scrubbed from any server text quoted in an error.
    secrets: Secrets,
}

impl fmt::Debug for S3Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Client")
            .field("bucket_url", &self.bucket.base_url().as_str())
            .field("region", &self.bucket.region())
            .field("signed", &self.credentials.is_some())
            .field("retry", &self.retry)
            .field("part_size", &self.part_size)
            .field("threshold", &self.threshold)
            .field("parallel_parts", &self.parallel_parts)
            .finish_non_exhaustive()
    }
}

/// A failed attempt: the error, and whether another attempt may help.
struct Failure {
    error: Error,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    /// A failure that another attempt would not change.
    fn fatal(error: Error) -> Self {
        Failure {
            error,
            retry: false,
            retry_after: None,
        }
    }
}

/// What a request was for, to word its errors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    BucketCheck,
    Put,
    CreateMultipart,
    Part { number: u64, of: u64 },
    CompleteMultipart,
    AbortMultipart,
    HeadObject,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::BucketCheck => "bucket check",
            Op::Put => "upload",
            Op::CreateMultipart => "multipart upload start",
            Op::Part { .. } => "part upload",
            Op::CompleteMultipart => "multipart upload completion",
            Op::AbortMultipart => "multipart upload abort",
            Op::HeadObject => "object check",
        }
    }
}

impl S3Client {
    /// `HEAD` the bucket: it exists and the credentials are accepted.
    pub(crate) fn head_bucket(&self) -> Result<(), Error> {
        let name = self.bucket.name();
        self.with_retry(None, |attempt| {
            let url = self
                .bucket
                .head_bucket(self.credentials.as_ref())
                .sign(SIGNATURE_LIFETIME);
            let reply = self.exchange(attempt, http::Method::HEAD, url, &[], Vec::new())?;
            if reply.status().is_success() {
                Ok(())
            } else {
                Err(self.refused(Op::BucketCheck, name, &reply))
            }
        })
    }

    /// Uploads the file `local` as `key` (bucket-relative): one `PUT` up to the threshold,
    /// a multipart upload above it (aborted if it fails). Repeating it is harmless.
    pub(crate) fn put_object(&self, local: &Path, key: &str) -> Result<(), Error> {
        self.check_key(key)?;
        let size = super::file_size(local)?;
        if size > MAX_OBJECT_SIZE {
            return Err(Error::invalid_request(format!(
                "{} is {size} bytes, over S3's 5 TiB object limit",
                local.display()
            )));
        }
        if size <= self.threshold {
            self.put_single(local, key)
        } else {
            self.put_multipart(local, key, size)
        }
    }

    /// A key S3 stores as given: rusty-s3 builds URLs with `Url::join`, which would resolve
    /// `.`/`..` segments or a leading `/` to another key.
    fn check_key(&self, key: &str) -> Result<(), Error> {
        let bad = key.is_empty()
            || key.len() > MAX_KEY_BYTES
            || key.starts_with('/')
            || key.split('/').any(|s| s == "." || s == "..")
            || key.chars().any(char::is_control);
        if bad || self.bucket.object_url(key).is_err() {
            return Err(Error::invalid_request(format!(
                "{key:?} cannot be an object key (empty, over 1024 bytes, a leading '/', a '.' or \
                 '..' segment, or a control character)"
            )));
        }
        Ok(())
    }

    fn put_single(&self, local: &Path, key: &str) -> Result<(), Error> {
        self.with_retry(None, |attempt| {
            // Read again for each attempt: what goes up is what is on disk.
            let body = std::fs::read(local).map_err(|source| {
                Failure::fatal(Error::io(
                    "reading the file to upload",
                    local.to_path_buf(),
                    source,
                ))
            })?;
            let md5 = content_md5(&body);
            let mut action = PutObject::new(&self.bucket, self.credentials.as_ref(), key);
            action.headers_mut().insert("content-md5", md5.as_str());
            let url = action.sign(SIGNATURE_LIFETIME);
            let headers = [
                ("content-md5", md5.as_str()),
                ("content-type", "application/octet-stream"),
            ];
            let reply = self.exchange(attempt, http::Method::PUT, url, &headers, body)?;
            if reply.status().is_success() {
                Ok(())
            } else {
                Err(self.refused(Op::Put, key, &reply))
            }
        })
    }

    /// The part size for a file of `size` bytes (larger than configured when 10 000 parts of
    /// that size would not hold it) and the number of parts.
    fn part_plan(&self, size: u64) -> (u64, u64) {
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part = self.part_size.max(needed);
        (part, size.div_ceil(part).max(1))
    }

    fn put_multipart(&self, local: &Path, key: &str, size: u64) -> Result<(), Error> {
        let upload_id = self.create_multipart(key)?;
        let result = self
            .upload_parts(local, key, &upload_id, size)
            .and_then(|etags| self.complete_multipart(key, &upload_id, &etags, size));
        if let Err(err) = result {
            // Leave nothing behind. The caller sees the error that stopped the upload; an
            // abort that fails too (the server is gone) is left to the bucket's lifecycle
            // rules (`AbortIncompleteMultipartUpload`).
            let _ = self.abort_multipart(key, &upload_id);
            return Err(err);
        }
        Ok(())
    }

    fn create_multipart(&self, key: &str) -> Result<String, Error> {
        self.with_retry(None, |attempt| {
            let action = CreateMultipartUpload::new(&self.bucket, self.credentials.as_ref(), key);
            let url = action.sign(SIGNATURE_LIFETIME);
            let shown = shown_url(&url);
            let headers = [("content-type", "application/octet-stream")];
            let reply = self.exchange(attempt, http::Method::POST, url, &headers, Vec::new())?;
            if !reply.status().is_success() {
                return Err(self.refused(Op::CreateMultipart, key, &reply));
            }
            let upload_id = xml_reply(reply.body())
                .and_then(|xml| xml_text(xml, "UploadId"))
                .filter(|id| !id.is_empty());
            upload_id.ok_or_else(|| {
                Failure::fatal(self.undecodable(
                    "the CreateMultipartUpload reply has no UploadId",
                    &shown,
                    &reply,
                ))
            })
        })
    }

    /// Uploads every part, `parallel_parts` at a time, each on its own thread with its own
    /// file handle; returns the ETags in part order. The first part that fails for good
    /// stops the others.
    fn upload_parts(
        &self,
        local: &Path,
        key: &str,
        upload_id: &str,
        size: u64,
    ) -> Result<Vec<String>, Error> {
        let (part_size, parts) = self.part_plan(size);
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let etags = Mutex::new(vec![String::new(); parts as usize]);
        let first_error: Mutex<Option<Error>> = Mutex::new(None);
        let fail = |err: Error| {
            stop.store(true, Ordering::SeqCst);
            let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert(err);
        };
        let workers = (self.parallel_parts as u64).min(parts) as usize;
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut file = match File::open(local) {
                            Ok(file) => file,
                            Err(source) => {
                                return fail(Error::io(
                                    "reading the file to upload",
                                    local.to_path_buf(),
                                    source,
                                ))
                            }
                        };
                        while !stop.load(Ordering::SeqCst) {
                            let index = next.fetch_add(1, Ordering::SeqCst) as u64;
                            if index >= parts {
                                break;
                            }
                            let offset = index * part_size;
                            let len = part_size.min(size - offset);
                            let part = PartJob {
                                local,
                                key,
                                upload_id,
                                number: index + 1,
                                of: parts,
                                offset,
                                len,
                            };
                            match self.upload_part(&mut file, &part, &stop) {
                                Ok(etag) => {
                                    etags.lock().unwrap_or_else(|p| p.into_inner())
                                        [index as usize] = etag;
                                }
                                Err(err) => return fail(err),
                            }
                        }
                    })
                })
                .collect();
            for handle in handles {
                if handle.join().is_err() {
                    fail(Error::io(
                        "uploading a part of",
                        local.to_path_buf(),
                        io::Error::other("the upload thread panicked"),
                    ));
                }
            }
        });
        if let Some(err) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(err);
        }
        Ok(etags.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    fn upload_part(
        &self,
        file: &mut File,
        part: &PartJob<'_>,
        stop: &AtomicBool,
    ) -> Result<String, Error> {
        let op = Op::Part {
            number: part.number,
            of: part.of,
        };
        // 1..=10 000, checked by `part_plan`.
        let number = u16::try_from(part.number).unwrap_or(u16::MAX);
        self.with_retry(Some(stop), |attempt| {
            let body = read_part(file, part.offset, part.len).map_err(|source| {
                Failure::fatal(Error::io(
                    "reading a part of",
                    part.local.to_path_buf(),
                    source,
                ))
            })?;
            let md5 = content_md5(&body);
            let mut action = UploadPart::new(
                &self.bucket,
                self.credentials.as_ref(),
                part.key,
                number,
                part.upload_id,
            );
            action.headers_mut().insert("content-md5", md5.as_str());
            let url = action.sign(SIGNATURE_LIFETIME);
            let shown = shown_url(&url);
            let reply = self.exchange(
                attempt,
                http::Method::PUT,
                url,
                &[("content-md5", &md5)],
                body,
            )?;
            if !reply.status().is_success() {
                return Err(self.refused(op, part.key, &reply));
            }
            reply
                .headers()
                .get(http::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .filter(|etag| !etag.is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    Failure::fatal(self.undecodable(
                        &format!(
                            "the reply to part {} of {} has no ETag",
                            part.number, part.of
                        ),
                        &shown,
                        &reply,
                    ))
                })
        })
    }

    fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        etags: &[String],
        size: u64,
    ) -> Result<(), Error> {
        self.with_retry(None, |attempt| {
            let body = CompleteMultipartUpload::new(
                &self.bucket,
                self.credentials.as_ref(),
                key,
                upload_id,
                etags.iter().map(String::as_str),
            )
            .body()
            .into_bytes();
            let md5 = content_md5(&body);
            let mut action = CompleteMultipartUpload::new(
                &self.bucket,
                self.credentials.as_ref(),
                key,
                upload_id,
                etags.iter().map(String::as_str),
            );
            action.headers_mut().insert("content-md5", md5.as_str());
            let url = action.sign(SIGNATURE_LIFETIME);
            let headers = [
                ("content-md5", md5.as_str()),
                ("content-type", "application/xml"),
            ];
            let reply = self.exchange(attempt, http::Method::POST, url, &headers, body)?;
            if !reply.status().is_success() {
                let failure = self.refused(Op::CompleteMultipart, key, &reply);
                // A retry after a reply that got lost: the first attempt completed it.
                let code = match &failure.error {
                    Error::Storage { code, .. } => code.as_str(),
                    _ => "",
                };
                if attempt > 1 && code == "NoSuchUpload" && self.object_size(key).ok() == Some(size)
                {
                    return Ok(());
                }
                return Err(failure);
            }
            // S3 may answer 200 and report a failure in the body.
            let body = xml_reply(reply.body()).unwrap_or("");
            if body.contains("<Error>") && !body.contains("<CompleteMultipartUploadResult") {
                let (code, message) = error_fields(body);
                let error = Error::storage(
                    Op::CompleteMultipart.name(),
                    key,
                    reply.status().as_u16(),
                    code.clone(),
                    self.scrub(message),
                );
                return Err(Failure {
                    error,
                    retry: retryable_code(&code),
                    retry_after: None,
                });
            }
            Ok(())
        })
    }

    fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), Error> {
        self.with_retry(None, |attempt| {
            let url =
                AbortMultipartUpload::new(&self.bucket, self.credentials.as_ref(), key, upload_id)
                    .sign(SIGNATURE_LIFETIME);
            let reply = self.exchange(attempt, http::Method::DELETE, url, &[], Vec::new())?;
            // Gone already (aborted or completed by an earlier attempt) is what we want.
            if reply.status().is_success() || reply.status() == http::StatusCode::NOT_FOUND {
                Ok(())
            } else {
                Err(self.refused(Op::AbortMultipart, key, &reply))
            }
        })
    }

    /// The size of the object `key` (a `HEAD`, one attempt).
    fn object_size(&self, key: &str) -> Result<u64, Error> {
        let url =
            HeadObject::new(&self.bucket, self.credentials.as_ref(), key).sign(SIGNATURE_LIFETIME);
        let reply = self
            .exchange(1, http::Method::HEAD, url, &[], Vec::new())
            .map_err(|f| f.error)?;
        if !reply.status().is_success() {
            return Err(self.refused(Op::HeadObject, key, &reply).error);
        }
        reply
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| Error::invalid_request("the object's size is unknown"))
    }

    /// Runs `attempt` (given its number, from 1) until it succeeds, fails for good, or the
    /// [`RetryPolicy`] says stop; `stop` ends the retries early (another part failed).
    fn with_retry<T>(
        &self,
        stop: Option<&AtomicBool>,
        mut attempt: impl FnMut(u32) -> Result<T, Failure>,
    ) -> Result<T, Error> {
        let mut retries = Retries::new(&self.retry, Instant::now(), None);
        loop {
            let n = retries.start();
            let failure = match attempt(n) {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            let stopped = stop.is_some_and(|s| s.load(Ordering::SeqCst));
            if !failure.retry || stopped {
                return Err(failure.error.with_attempts(n));
            }
            match retries.next_wait(failure.retry_after) {
                Ok(wait) => std::thread::sleep(wait),
                Err(_) => return Err(failure.error.with_attempts(n)),
            }
        }
    }

    /// One exchange through the transport. Transport errors are retried unless they are TLS
    /// failures or an oversized reply; their text is scrubbed (a transport might quote the
    /// signed URL).
    fn exchange(
        &self,
        attempt: u32,
        method: http::Method,
        url: Url,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<http::Response<Vec<u8>>, Failure> {
        let shown = shown_url(&url);
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(http::header::USER_AGENT, USER_AGENT);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(body).map_err(|e| {
            Failure::fatal(Error::invalid_request(format!(
                "cannot build the request to {shown}: {e}"
            )))
        })?;
        let sent = Instant::now();
        let result = self.transport.send(request);
        crate::events::Attempt {
            method: &method,
            path: url.path(),
            attempt,
            status: result.as_ref().ok().map(|reply| reply.status().as_u16()),
            transport_error: result.as_ref().err().map(TransportError::kind),
            elapsed: sent.elapsed(),
        }
        .log(module_path!(), None);
        result.map_err(|source| {
            let kind = source.kind();
            let retry = !matches!(
                kind,
                TransportErrorKind::Tls | TransportErrorKind::BodyTooLarge
            );
            let source = TransportError::new(kind, self.scrub(source.to_string()));
            Failure {
                error: Error::transport(shown, source),
                retry,
                retry_after: None,
            }
        })
    }

    /// A refusal (status outside 2xx) as an [`Error::Storage`], with the S3 error code and
    /// message from the XML body, or words for the status when there is no body (`HEAD`).
    fn refused(&self, op: Op, key: &str, reply: &http::Response<Vec<u8>>) -> Failure {
        let status = reply.status().as_u16();
        let (mut code, mut message) = xml_reply(reply.body())
            .map(error_fields)
            .unwrap_or_default();
        if code.is_empty() {
            if let Some(header) = reply
                .headers()
                .get("x-amz-error-code")
                .or_else(|| reply.headers().get("x-minio-error-code"))
                .and_then(|v| v.to_str().ok())
            {
                code = header.to_string();
            }
        }
        if code.is_empty() && status == 404 && op == Op::BucketCheck {
            code = "NoSuchBucket".to_string();
        }
        if message.is_empty() {
            message = match (status, op) {
                (404, Op::BucketCheck) => "bucket does not exist".to_string(),
                (403, _) => "access denied: check the access key, secret key, session token \
                             and region"
                    .to_string(),
                _ => reply
                    .status()
                    .canonical_reason()
                    .unwrap_or("no message")
                    .to_string(),
            };
        }
        if let Some(region) = reply
            .headers()
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
        {
            if region != self.bucket.region() {
                message = format!(
                    "{message} (the bucket is in region {region:?}, not {:?}: set \
                     S3Storage::region)",
                    self.bucket.region()
                );
            }
        }
        if let Op::Part { number, of } = op {
            message = format!("part {number} of {of}: {message}");
        }
        let retry = status >= 500 || matches!(status, 408 | 429) || retryable_code(&code);
        let retry_after = reply
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        Failure {
            error: Error::storage(op.name(), key, status, code, self.scrub(message)),
            retry,
            retry_after,
        }
    }

    /// A 2xx reply that lacks what it should carry. The body is quoted scrubbed, then cut to
    /// [`SNIPPET_BYTES`], so that no part of a secret that crosses the cut shows.
    fn undecodable(&self, reason: &str, shown_url: &str, reply: &http::Response<Vec<u8>>) -> Error {
        let body = String::from_utf8_lossy(reply.body()).into_owned();
        let (snippet, _) = self
            .secrets
            .scrub_limited(&scrub_signed_params(body), SNIPPET_BYTES);
        Error::decode_parts(reason, reply.status().as_u16(), shown_url, snippet)
    }

    /// `text` without secrets or signed-URL parameters.
    fn scrub(&self, text: String) -> String {
        self.secrets.scrub(scrub_signed_params(text))
    }
}

/// One part of a multipart upload.
struct PartJob<'a> {
    local: &'a Path,
    key: &'a str,
    upload_id: &'a str,
    /// 1-based.
    number: u64,
    of: u64,
    offset: u64,
    len: u64,
}

fn read_part(file: &mut File, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    let mut body = vec![0; len];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut body)?;
    Ok(body)
}

/// The base64 MD5 of `body`, for `Content-MD5`.
fn content_md5(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
}

/// S3 error codes worth another attempt, whatever the status: throttling, the server's own
/// timeouts and failures, and a body that arrived damaged (it is read again from disk).
fn retryable_code(code: &str) -> bool {
    matches!(
        code,
        "SlowDown"
            | "RequestTimeout"
            | "InternalError"
            | "ServiceUnavailable"
            | "BadDigest"
            | "IncompleteBody"
    )
}

/// `url` without its query (the signature, credential scope and token) or fragment.
fn shown_url(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// Replaces the values of the signed-URL parameters that identify or authorise a request
/// (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`, any case) with `***`.
fn scrub_signed_params(text: String) -> String {
    const NAMES: [&str; 3] = [
        "x-amz-signature=",
        "x-amz-credential=",
        "x-amz-security-token=",
    ];
    if !text.to_ascii_lowercase().contains("x-amz-") {
        return text;
    }
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if let Some(name) = NAMES.iter().find(|n| lower[i..].starts_with(**n)) {
            out.push_str(&text[i..i + name.len()]);
            i += name.len();
            let value_len = text[i..]
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c == '<' || c.is_whitespace())
                .unwrap_or(text.len() - i);
            out.push_str("***");
            i += value_len;
        } else {
            let c = text[i..].chars().next().unwrap_or('\0');
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// The reply body as text when it is small enough to search and valid UTF-8.
fn xml_reply(body: &[u8]) -> Option<&str> {
    if body.len() > MAX_XML_REPLY {
        return None;
    }
    std::str::from_utf8(body).ok()
}

/// `<Code>` and `<Message>` of an S3 `<Error>` document (empty when absent), the message cut
/// to [`MAX_MESSAGE_CHARS`].
fn error_fields(xml: &str) -> (String, String) {
    let code = xml_text(xml, "Code")
        .filter(|c| c.len() <= 64 && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
        .unwrap_or_default();
    let message = xml_text(xml, "Message")
        .map(|m| m.chars().take(MAX_MESSAGE_CHARS).collect())
        .unwrap_or_default();
    (code, message)
}

/// The text of the first `<tag>…</tag>` element in `xml`, entities decoded.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(xml_unescape(&xml[start..start + len]))
}

/// Decodes the five predefined XML entities and character references; anything else is
/// kept as it is.
fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let decoded = tail[1..]
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| {
                let entity = &tail[1..1 + end];
                let c = match entity {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => {
                        let number = entity.strip_prefix('#')?;
                        let code = match number.strip_prefix(['x', 'X']) {
                            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                            None => number.parse().ok()?,
                        };
                        char::from_u32(code)
                    }
                }?;
                Some((c, end + 2))
            });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &tail[used..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FnTransport;

    fn storage() -> S3Storage {
        S3Storage::new("http://127.0.0.1:9000", "a-bucket")
            .credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            .session_token("FwoGZXIvYXdzEXAMPLE/TOKEN+=")
    }

    #[test]
    fn xml_fields_are_found_and_decoded() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match &amp; &lt;so&gt; &#233;&#x21;</Message><StringToSign>x</StringToSign></Error>"#;
        let (code, message) = error_fields(xml);
        assert_eq!(code, "SignatureDoesNotMatch");
        assert_eq!(
            message,
            "The request signature we calculated does not match & <so> é!"
        );
        assert_eq!(
            xml_unescape("a &bogus; & &#xZZ; &#1114112;"),
            "a &bogus; & &#xZZ; &#1114112;"
        );
        assert_eq!(error_fields("not xml"), (String::new(), String::new()));
        // A code that is not a code is dropped; a long message is cut.
        let long = format!("<Code>a b</Code><Message>{}</Message>", "m".repeat(5000));
        let (code, message) = error_fields(&long);
        assert_eq!(code, "");
        assert_eq!(message.len(), MAX_MESSAGE_CHARS);
        assert_eq!(
            xml_text("<R><UploadId>abc&amp;1</UploadId></R>", "UploadId").as_deref(),
            Some("abc&1")
        );
        assert_eq!(xml_text("<UploadId>unterminated", "UploadId"), None);
        assert!(xml_reply(&vec![b'a'; MAX_XML_REPLY + 1]).is_none());
    }

    #[test]
    fn signed_parameters_are_scrubbed() {
        let text = "GET http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F2024\
                    &x-amz-security-token=tok%2B&X-Amz-Signature=abcdef \"X-AMZ-SIGNATURE=ff\" é";
        assert_eq!(
            scrub_signed_params(text.to_string()),
            "GET http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***\
             &x-amz-security-token=***&X-Amz-Signature=*** \"X-AMZ-SIGNATURE=***\" é"
        );
        let url = Url::parse("http://h:1/b/k?X-Amz-Signature=s#f").unwrap();
        assert_eq!(shown_url(&url), "http://h:1/b/k");
    }

    #[test]
    fn settings_are_checked() {
        let err = |s: S3Storage| s.build_client().unwrap_err().to_string();
        let t = || FnTransport::new(|_| Ok(http::Response::new(Vec::new())));
        assert!(err(S3Storage::new("127.0.0.1:9000", "b").transport(t())).contains("http://"));
        assert!(err(S3Storage::new("ftp://h", "b").transport(t())).contains("http://"));
        let e = err(S3Storage::new("http://user:pw@h", "b").transport(t()));
        assert!(e.contains("credentials") && !e.contains("pw"), "{e}");
        assert!(err(S3Storage::new("http://h?x=1", "b").transport(t())).contains("query"));
        assert!(err(S3Storage::new("http://h", "").transport(t())).contains("bucket name"));
        assert!(err(S3Storage::new("http://h", "a/b").transport(t())).contains("bucket name"));
        assert!(err(S3Storage::new("http://h", "b").region("").transport(t())).contains("region"));
        let e = err(S3Storage::new("http://h", "b")
            .credentials("ak", "")
            .transport(t()));
        assert!(e.contains("go together"), "{e}");
        let e = err(S3Storage::new("http://h", "b")
            .session_token("t")
            .transport(t()));
        assert!(e.contains("session token"), "{e}");
        let e = err(S3Storage::new("http://h", "b")
            .part_size(1 << 20)
            .transport(t()));
        assert!(e.contains("part size"), "{e}");
        let e = err(S3Storage::new("http://h", "b")
            .parallel_parts(0)
            .transport(t()));
        assert!(e.contains("parallel_parts"), "{e}");
        #[cfg(not(feature = "ureq"))]
        assert!(err(S3Storage::new("http://h", "b")).contains("no transport"));
        #[cfg(feature = "ureq")]
        assert!(S3Storage::new("http://h", "b").build_client().is_ok());
    }

    #[test]
    fn urls_path_style_virtual_hosted_and_prefixed() {
        let t = || FnTransport::new(|_| Ok(http::Response::new(Vec::new())));
        let url = |s: S3Storage| {
            s.transport(t())
                .build_client()
                .unwrap()
                .bucket
                .object_url("p/u/1.parquet")
                .unwrap()
                .to_string()
        };
        assert_eq!(
            url(S3Storage::new("http://127.0.0.1:9000", "b")),
            "http://127.0.0.1:9000/b/p/u/1.parquet"
        );
        assert_eq!(
            url(S3Storage::new("https://gw.example/s3", "b")),
            "https://gw.example/s3/b/p/u/1.parquet"
        );
        assert_eq!(
            url(S3Storage::new("https://s3.amazonaws.com/", "b").virtual_hosted_style(true)),
            "https://b.s3.amazonaws.com/p/u/1.parquet"
        );
    }

    #[test]
    fn keys_that_would_change_are_refused() {
        let client = storage()
            .transport(FnTransport::new(|_| Ok(http::Response::new(Vec::new()))))
            .build_client()
            .unwrap();
        for bad in ["", "/a", "a/../b", "./a", "a/.", "a\nb"] {
            assert!(client.check_key(bad).is_err(), "{bad:?}");
        }
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(client.check_key(&long).is_err());
        for good in ["a", "a/b.c/d", "a b/ü?#%", "a//b", "a..b"] {
            assert!(client.check_key(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn parts_grow_past_ten_thousand() {
        let client = storage()
            .transport(FnTransport::new(|_| Ok(http::Response::new(Vec::new()))))
            .build_client()
            .unwrap();
        assert_eq!(client.part_plan(20 * MIB), (5 * MIB, 4));
        assert_eq!(client.part_plan(20 * MIB + 1), (5 * MIB, 5));
        let (part, parts) = client.part_plan(100_000 * MIB);
        assert_eq!(part, 10 * MIB);
        assert_eq!(parts, 10_000);
        let (part, parts) = client.part_plan(MAX_OBJECT_SIZE);
        assert!(parts <= MAX_PARTS && part <= MAX_PART_SIZE && part % MIB == 0);
    }

    #[test]
    fn debug_hides_secrets() {
        let s = storage().transport(FnTransport::new(|_| Ok(http::Response::new(Vec::new()))));
        s.check_bucket().unwrap();
        let text = format!("{s:?} {:?}", s.build_client().unwrap());
        for secret in ["AKIDEXAMPLE", "wJalrXUtnFEMI", "FwoGZXIvYXdzEXAMPLE"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("a-bucket"), "{text}");
        let s = S3Storage::new("http://me:pw@h:9000/x", "b");
        assert!(!format!("{s:?}").contains("pw"));
    }

    /// A client whose transport answers with `reply(method, query)`; the requests' methods
    /// and queries are logged.
    fn scripted(
        reply: impl Fn(&str, &str) -> (u16, &'static str) + Send + Sync + 'static,
    ) -> (S3Client, Arc<Mutex<Vec<String>>>) {
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = Arc::clone(&log);
        let transport = FnTransport::new(move |req: http::Request<Vec<u8>>| {
            let (method, query) = (req.method().to_string(), req.uri().query().unwrap_or(""));
            let query: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("X-Amz-"))
                .collect();
            let query = query.join("&");
            seen.lock().unwrap().push(format!("{method} {query}"));
            let (status, body) = reply(&method, &query);
            Ok(http::Response::builder()
                .status(status)
                .header("etag", "\"0123\"")
                .body(body.as_bytes().to_vec())
                .unwrap())
        });
        let client = storage()
            .transport(transport)
            .retry(
                RetryPolicy::default()
                    .initial_backoff(Duration::from_millis(1))
                    .max_backoff(Duration::from_millis(2)),
            )
            .build_client()
            .unwrap();
        (client, log)
    }

    fn temp_file(name: &str, len: usize) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mbi-s3-unit-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, vec![7u8; len]).unwrap();
        file
    }

    #[test]
    fn a_secret_across_the_quote_cut_is_hidden_whole() {
        let (client, _) = scripted(|_, _| (200, ""));
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        // The secret starts 12 bytes before the cut and ends after it.
        let body = format!("{}{secret}-and-more text past the cut", "a".repeat(500));
        let reply = http::Response::new(body.into_bytes());
        let err = client.undecodable("no UploadId", "http://h/b/k", &reply);
        let Error::Decode { snippet, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*snippet, format!("{}***-and-more", "a".repeat(500)));
        assert!(!snippet.contains("wJal"), "{snippet}");
        // Cut on a character boundary, never inside one.
        let body = format!("{}é{secret}", "a".repeat(SNIPPET_BYTES - 1));
        let err = client.undecodable(
            "no UploadId",
            "http://h/b/k",
            &http::Response::new(body.into_bytes()),
        );
        let Error::Decode { snippet, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*snippet, "a".repeat(SNIPPET_BYTES - 1));
    }

    #[test]
    fn malformed_and_oversized_replies_are_typed_errors() {
        let file = temp_file("malformed", 6 << 20);
        // A CreateMultipartUpload reply without an UploadId: nothing to abort.
        let (client, log) = scripted(|_, _| (200, "<html>not S3</html>"));
        let err = client.put_object(&file, "k").unwrap_err();
        assert!(
            matches!(&err, Error::Decode { reason, status: 200, .. } if reason.contains("UploadId")),
            "{err:?}"
        );
        assert_eq!(log.lock().unwrap().len(), 1);
        // An error reply over the size searched: the status still makes a Storage error.
        let huge: &'static str = Box::leak(
            format!("<Error><Code>X</Code>{}", "x".repeat(MAX_XML_REPLY)).into_boxed_str(),
        );
        let (client, _) = scripted(move |_, _| (409, huge));
        let err = client.put_object(&file, "k").unwrap_err();
        assert!(
            matches!(&err, Error::Storage { status: 409, code, .. } if code.is_empty()),
            "{err:?}"
        );
        std::fs::remove_dir_all(file.parent().unwrap()).ok();
    }

    #[test]
    fn a_completion_that_fails_in_a_200_is_retried_then_aborted() {
        let file = temp_file("complete", (10 << 20) + 1);
        let (client, log) = scripted(|method, query| {
            match (method, query) {
            ("POST", "uploads=1") => (
                200,
                "<InitiateMultipartUploadResult><UploadId>id&amp;1</UploadId></InitiateMultipartUploadResult>",
            ),
            ("POST", _) => (
                200,
                "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>try again</Message></Error>",
            ),
            _ => (200, ""),
        }
        });
        let err = client.put_object(&file, "k").unwrap_err();
        assert!(
            matches!(&err, Error::Storage { operation: "multipart upload completion", status: 200, code, attempts: 3, .. } if code == "InternalError"),
            "{err:?}"
        );
        let log = log.lock().unwrap();
        let kinds: Vec<&str> = log.iter().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(
            kinds,
            ["POST", "PUT", "PUT", "PUT", "POST", "POST", "POST", "DELETE"]
        );
        assert!(log.last().unwrap().contains("uploadId=id%261"), "{log:?}");
        std::fs::remove_dir_all(file.parent().unwrap()).ok();
    }

    #[test]
    fn requests_are_signed_with_content_md5_and_errors_are_typed() {
        use std::sync::Mutex;
        let seen: Arc<Mutex<Vec<http::Request<Vec<u8>>>>> = Arc::default();
        let log = Arc::clone(&seen);
        let transport = FnTransport::new(move |req: http::Request<Vec<u8>>| {
            let reply = if req.method() == http::Method::HEAD {
                http::Response::builder().status(404).body(Vec::new())
            } else {
                http::Response::builder().status(403).body(
                    b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
                      <Message>bad sig for wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
                      X-Amz-Signature=0123</Message></Error>"
                        .to_vec(),
                )
            };
            log.lock().unwrap().push(req);
            Ok(reply.unwrap())
        });
        let s = storage().transport(transport).retry(RetryPolicy::none());
        let err = s.check_bucket().unwrap_err();
        assert!(
            matches!(&err, Error::Storage { status: 404, code, operation: "bucket check", .. } if code == "NoSuchBucket"),
            "{err:?}"
        );
        assert!(err.to_string().contains("bucket does not exist"), "{err}");

        let dir = std::env::temp_dir().join(format!("mbi-s3-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("1.json");
        std::fs::write(&file, b"{\"rows\":[]}").unwrap();
        let err = s.upload_file(&file, "p/u/1.json").unwrap_err();
        std::fs::remove_dir_all(&dir).ok();
        let text = format!("{err} {err:?}");
        assert!(text.contains("SignatureDoesNotMatch"), "{text}");
        for secret in ["wJalrXUtnFEMI", "0123", "FwoGZXIvYXdzEXAMPLE"] {
            assert!(!text.contains(secret), "{text}");
        }
        let seen = seen.lock().unwrap();
        let put = &seen[1];
        assert_eq!(put.method(), http::Method::PUT);
        assert_eq!(
            put.headers()["content-md5"],
            content_md5(b"{\"rows\":[]}").as_str()
        );
        let query = put.uri().query().unwrap();
        assert!(
            query.contains("X-Amz-SignedHeaders=content-md5%3Bhost"),
            "{query}"
        );
        assert!(query.contains("X-Amz-Security-Token="), "{query}");
        assert_eq!(put.uri().path(), "/a-bucket/p/u/1.json");
    }
}
