//! [`VolumeStorage`]: finished files uploaded into a Zilliz Cloud volume, with the temporary
//! credentials `POST /v2/volumes/apply` hands out, through the crate's S3 client
//! ([`S3Client`](super::s3::S3Client)).

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::s3::{S3Client, S3Storage};
use super::Remote;
use crate::error::{Error, TransportError};
use crate::secret::Secret;
use crate::transport::Transport;
use crate::volume::volume_dir;
use crate::{BulkImportApi, VolumeApi, VolumeCredentials};

/// Credentials are renewed this long before they expire (as pymilvus does).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A Zilliz Cloud volume that a [`BulkWriter`](super::super::BulkWriter) uploads its files to;
/// give it to [`BulkWriterBuilder::volume`](super::super::BulkWriterBuilder::volume).
///
/// ```no_run
/// # #[cfg(feature = "ureq")]
/// # fn main() -> Result<(), milvus_bulk_import::Error> {
/// use milvus_bulk_import::writer::{BulkWriter, CollectionSchema, DataType, FieldSchema, VolumeStorage};
/// use milvus_bulk_import::{BulkImportApi, BulkImportRequest};
///
/// let schema = CollectionSchema::new()
///     .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
///     .field(FieldSchema::new("vector", DataType::FloatVector).dim(2));
/// let volume = VolumeStorage::new("https://api.cloud.zilliz.com", "API_KEY", "my-volume");
/// let mut writer = BulkWriter::builder(&schema, "staging")
///     .volume(volume, "books/")          // the folder in the volume
///     .build()?;                         // applies for upload credentials
/// writer.append_row(&serde_json::json!({"id": 1, "vector": [0.5, 1.0]}))?;
/// writer.commit()?;                      // written, uploaded, deleted locally
/// let data_paths = writer.batch_files(); // [["books/<uuid>/1.parquet"]]
///
/// let api = BulkImportApi::new("https://api.cloud.zilliz.com", "API_KEY")?;
/// api.bulk_import(
///     &BulkImportRequest::new("books")
///         .cluster_id("in01-xxxxxxxxxxxxxxx")
///         .volume_name("my-volume")
///         .data_paths(data_paths),
/// )?;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "ureq"))]
/// # fn main() {}
/// ```
///
/// # What it does
///
/// * The writer's `build()` asks `POST /v2/volumes/apply` for credentials to upload under the
///   writer's folder: a volume that does not exist, or a key that may not use it, fails there.
/// * Each finished file goes to the bucket and endpoint the reply names, at object key
///   `volumePrefix` + `<path>/<uuid>/<file>` — NumPy files keep their `<n>/` folder
///   (pymilvus's `VolumeBulkWriter` drops it, so that the second chunk overwrites the first).
///   `batch_files()` holds the volume paths `<path>/<uuid>/<file>`, the `data_paths` of the
///   import.
/// * The same credentials serve every file until 5 minutes before their `expireTime`, or until
///   `maxFileNumber` files went up with them; then it applies again. A refusal with HTTP 403
///   or code `ExpiredToken` also makes it apply again and retry that file once.
/// * A file larger than the reply's `maxContentLength` is an
///   [`Error::InvalidRequest`] before anything is sent.
/// * The REST calls and the uploads go through the same [`BulkImportApi`]: its transport (TLS
///   settings, timeouts, a custom or mock transport) and its [`RetryPolicy`](crate::RetryPolicy)
///   apply to both. The upload itself is the S3 one of
///   [`S3Storage`](super::S3Storage): Signature V4, `Content-MD5`, single `PUT` up to 5 MiB,
///   multipart above.
///
/// # Clouds
///
/// | `cloud` in the `apply` reply | covered | how |
/// |---|---|---|
/// | `aws` | yes | S3 with the temporary key and session token (`X-Amz-Security-Token`); virtual-hosted URLs on `*.amazonaws.com` (`s3.amazonaws.com` becomes `s3.<region>.amazonaws.com`) |
/// | `ali` (Aliyun OSS) | yes, public endpoint | OSS's S3-compatible API with the STS token; virtual-hosted URLs on `*.aliyuncs.com`. pymilvus may switch to the `oss-<region>-internal` endpoint when it is reachable (inside Alibaba Cloud); this always uses the endpoint the reply names |
/// | `tc` and other S3-compatible stores | yes | as `aws`, path-style URLs unless the host is AWS's or Aliyun's |
/// | `gcp` | **no** | the token is an OAuth bearer token for GCS, not S3 credentials: `build()` fails with an [`Error::Config`] saying so |
/// | `azure` | not known to exist | treated as S3-compatible |
///
/// An `endpoint` without a scheme (`s3.amazonaws.com`, what Zilliz sends) is reached over
/// HTTPS, as pymilvus does; one with a scheme (the [emulator](crate::emulator)'s
/// `http://127.0.0.1:…`) is used as given.
///
/// # Secrets
///
/// The API key, the temporary keys and the session token never appear in `Debug` output nor
/// in errors.
#[must_use]
pub struct VolumeStorage {
    source: Source,
    volume_name: String,
    /// The writer's folder in the volume (normalised), set by
    /// [`BulkWriterBuilder::volume`](super::super::BulkWriterBuilder::volume).
    path: String,
    api: OnceLock<VolumeApi>,
    state: Mutex<Option<Applied>>,
}

/// Where the REST client comes from.
#[derive(Clone)]
enum Source {
    Settings { endpoint: String, api_key: Secret },
    Api(VolumeApi),
}

/// Credentials in use.
struct Applied {
    credentials: VolumeCredentials,
    /// The volume path they were applied for (a directory, `""` for the root).
    path: String,
    /// When they expire, if the reply said so readably.
    expires: Option<SystemTime>,
    client: Arc<S3Client>,
    /// Files uploaded with them.
    files: u64,
}

impl VolumeStorage {
    /// The volume `volume_name` of the Zilliz Cloud control plane at `cloud_endpoint`
    /// (`https://api.cloud.zilliz.com`, or `.com.cn`), with API key `api_key`; the client is
    /// built with default settings (feature `ureq`) when the writer is built, and its errors
    /// show there.
    pub fn new(
        cloud_endpoint: impl Into<String>,
        api_key: impl Into<String>,
        volume_name: impl Into<String>,
    ) -> Self {
        Self::with_source(
            Source::Settings {
                endpoint: cloud_endpoint.into(),
                api_key: Secret::new(api_key),
            },
            volume_name.into(),
        )
    }

    /// The volume `volume_name`, reached through `api` (a [`BulkImportApi`] or a
    /// [`VolumeApi`]): its transport, TLS settings, timeouts and retry policy serve the REST
    /// calls and the uploads.
    pub fn from_api(api: impl Into<VolumeApi>, volume_name: impl Into<String>) -> Self {
        Self::with_source(Source::Api(api.into()), volume_name.into())
    }

    fn with_source(source: Source, volume_name: String) -> Self {
        VolumeStorage {
            source,
            volume_name,
            path: String::new(),
            api: OnceLock::new(),
            state: Mutex::new(None),
        }
    }

    /// The volume's name.
    pub fn volume_name(&self) -> &str {
        &self.volume_name
    }

    /// This storage for a writer whose files go under `path` in the volume.
    pub(crate) fn scoped(mut self, path: &str) -> Self {
        self.path = path.to_string();
        self
    }

    fn api(&self) -> Result<&VolumeApi, Error> {
        if let Some(api) = self.api.get() {
            return Ok(api);
        }
        let api = match &self.source {
            Source::Api(api) => api.clone(),
            Source::Settings { endpoint, api_key } => VolumeApi::new(
                BulkImportApi::builder(endpoint.as_str())
                    .api_key(api_key.secret())
                    .build()?,
            ),
        };
        Ok(self.api.get_or_init(|| api))
    }

    /// Applies for credentials to upload under `path` (a directory) and builds their client.
    fn apply(&self, path: &str) -> Result<Applied, Error> {
        let api = self.api()?;
        let credentials = api.apply_volume(&self.volume_name, path)?.into_data();
        let client = s3_client(api.api(), &credentials)?;
        Ok(Applied {
            expires: parse_rfc3339(&credentials.credentials.expire_time),
            credentials,
            path: path.to_string(),
            client: Arc::new(client),
            files: 0,
        })
    }

    /// The credentials to upload `key` with: the current ones while they cover `key`, have
    /// more than 5 minutes left and have uploaded fewer than `maxFileNumber` files; otherwise
    /// new ones (for the writer's folder, or the key's own folder outside it).
    fn current(&self, key: &str, force: bool) -> Result<(Arc<S3Client>, VolumeCredentials), Error> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = |a: &Applied| {
            let limit = a.credentials.condition.max_file_number;
            key.starts_with(&a.path)
                && a.expires
                    .is_none_or(|at| SystemTime::now() + REFRESH_MARGIN < at)
                && limit.is_none_or(|n| a.files < n)
        };
        if force || !state.as_ref().is_some_and(fresh) {
            let scope = volume_dir(&self.path)?;
            let path = if key.starts_with(&scope) {
                scope
            } else {
                key.rsplit_once('/')
                    .map_or(String::new(), |(dir, _)| format!("{dir}/"))
            };
            *state = Some(self.apply(&path)?);
        }
        let applied = state.as_mut().expect("credentials were just applied for");
        if applied.credentials.condition.max_file_number == Some(0) {
            return Err(Error::invalid_request(format!(
                "volume {:?} accepts no files (its maxFileNumber is 0)",
                self.volume_name
            )));
        }
        Ok((applied.client.clone(), applied.credentials.clone()))
    }

    fn count_file(&self) {
        if let Some(applied) = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            applied.files += 1;
        }
    }
}

/// Checks `local` against the `maxContentLength` of `credentials`.
fn check_size(local: &Path, credentials: &VolumeCredentials) -> Result<(), Error> {
    let Some(limit) = credentials.condition.max_content_length else {
        return Ok(());
    };
    let size = super::file_size(local)?;
    if size > limit {
        return Err(Error::invalid_request(format!(
            "{} is {size} bytes, over the {limit} bytes volume {:?} accepts per file \
             (maxContentLength): write smaller files (a lower chunk_size)",
            local.display(),
            credentials.volume_name
        )));
    }
    Ok(())
}

/// True when the object store refused the credentials: they expired, or were revoked.
fn credentials_refused(err: &Error) -> bool {
    matches!(
        err,
        Error::Storage { status, code, .. }
            if *status == 403
                || matches!(
                    code.as_str(),
                    "ExpiredToken" | "TokenRefreshRequired" | "InvalidToken" | "SecurityTokenExpired"
                )
    )
}

/// The endpoint URL an `apply` reply names: as given when it has a scheme, else HTTPS; AWS's
/// global endpoint made regional. And whether URLs are virtual-hosted (AWS, Aliyun OSS).
fn endpoint_url(credentials: &VolumeCredentials) -> (String, bool) {
    let endpoint = credentials.endpoint.trim().trim_end_matches('/');
    let mut url = if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("https://{endpoint}")
    };
    let host = url
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let region = credentials.region.trim();
    if host == "s3.amazonaws.com" && !region.is_empty() && region != "us-east-1" {
        url = url.replacen("s3.amazonaws.com", &format!("s3.{region}.amazonaws.com"), 1);
    }
    let virtual_hosted = host.ends_with("amazonaws.com") || host.ends_with("aliyuncs.com");
    (url, virtual_hosted)
}

/// The S3 client for the bucket and credentials of an `apply` reply, sending through `api`'s
/// transport under its retry policy.
fn s3_client(api: &BulkImportApi, credentials: &VolumeCredentials) -> Result<S3Client, Error> {
    if credentials.cloud.eq_ignore_ascii_case("gcp") {
        return Err(Error::config(format!(
            "volume {:?} is on GCP, whose uploads use OAuth tokens; this crate uploads to \
             S3-compatible stores only (AWS, Aliyun OSS, …)",
            credentials.volume_name
        )));
    }
    let (endpoint, virtual_hosted) = endpoint_url(credentials);
    let temporary = &credentials.credentials;
    let mut storage = S3Storage::new(endpoint, credentials.bucket_name.as_str())
        .credentials(temporary.tmp_ak.as_str(), temporary.tmp_sk.as_str())
        .virtual_hosted_style(virtual_hosted)
        .transport(ApiTransport(api.clone()))
        .retry(api.retry_policy().clone());
    if !temporary.session_token.is_empty() {
        storage = storage.session_token(temporary.session_token.as_str());
    }
    if !credentials.region.trim().is_empty() {
        storage = storage.region(credentials.region.trim());
    }
    storage.build_client()
}

/// A [`BulkImportApi`]'s transport, for the uploads.
struct ApiTransport(BulkImportApi);

impl Transport for ApiTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.0.send_raw(request)
    }
}

impl Remote for VolumeStorage {
    fn check(&self) -> Result<(), Error> {
        let scope = volume_dir(&self.path)?;
        let applied = self.apply(&scope)?;
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(applied);
        Ok(())
    }

    fn upload(&self, local: &Path, key: &str) -> Result<(), Error> {
        let (client, credentials) = self.current(key, false)?;
        check_size(local, &credentials)?;
        let object_key = format!("{}{key}", credentials.volume_prefix);
        match client.put_object(local, &object_key) {
            Err(err) if credentials_refused(&err) => {
                let (client, credentials) = self.current(key, true)?;
                check_size(local, &credentials)?;
                let object_key = format!("{}{key}", credentials.volume_prefix);
                client.put_object(local, &object_key)?;
            }
            result => result?,
        }
        self.count_file();
        Ok(())
    }
}

impl Clone for VolumeStorage {
    /// A storage with the same settings, which applies for its own credentials.
    fn clone(&self) -> Self {
        VolumeStorage {
            source: self.source.clone(),
            volume_name: self.volume_name.clone(),
            path: self.path.clone(),
            api: self.api.clone(),
            state: Mutex::new(None),
        }
    }
}

impl fmt::Debug for VolumeStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("VolumeStorage");
        match &self.source {
            Source::Settings { endpoint, api_key } => s
                .field("cloud_endpoint", endpoint)
                .field("api_key", api_key),
            Source::Api(api) => s.field("api", api.api()),
        };
        let applied = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.field("volume_name", &self.volume_name)
            .field("path", &self.path)
            .field(
                "credentials_expire",
                &applied
                    .as_ref()
                    .map(|a| a.credentials.credentials.expire_time.clone()),
            )
            .finish()
    }
}

/// An RFC 3339 time (`2099-12-31T23:59:59Z`, `…59.5+08:00`), or `None`.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let t = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = t.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let separators = [t.get(4), t.get(7), t.get(13), t.get(16)];
    if separators != [Some(&b'-'), Some(&b'-'), Some(&b':'), Some(&b':')]
        || !matches!(t.get(10), Some(b'T' | b't' | b' '))
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        rest = &fraction[digits..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = |a: u8, b: u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
            let minutes = value(*h1, *h2) * 60 + value(*m1, *m2);
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let days = crate::retry::days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TemporaryCredentials, VolumeCondition};

    #[test]
    fn expiry_times_parse() {
        let at =
            |s: &str| parse_rfc3339(s).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2025-01-16T08:42:09Z"), Some(1_737_016_929));
        assert_eq!(at("2025-01-16T16:42:09.123+08:00"), Some(1_737_016_929));
        assert_eq!(at("2000-02-29 00:00:00z"), Some(951_782_400));
        for bad in [
            "",
            "2025-01-16",
            "2025-13-01T00:00:00Z",
            "2025-01-16T08:42:09",
            "soon",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }

    fn applied(endpoint: &str, region: &str) -> VolumeCredentials {
        VolumeCredentials {
            volume_name: "v".into(),
            volume_prefix: "p/".into(),
            endpoint: endpoint.into(),
            bucket_name: "b".into(),
            region: region.into(),
            cloud: "aws".into(),
            condition: VolumeCondition {
                max_content_length: None,
                max_file_number: None,
            },
            credentials: TemporaryCredentials {
                tmp_ak: "AK".into(),
                tmp_sk: "SK".into(),
                session_token: "T".into(),
                expire_time: String::new(),
            },
            extra: Default::default(),
        }
    }

    #[test]
    fn endpoints_get_a_scheme_and_a_url_style() {
        let cases = [
            (
                "s3.amazonaws.com",
                "us-west-2",
                "https://s3.us-west-2.amazonaws.com",
                true,
            ),
            (
                "s3.amazonaws.com",
                "us-east-1",
                "https://s3.amazonaws.com",
                true,
            ),
            (
                "oss-cn-hangzhou.aliyuncs.com",
                "cn-hangzhou",
                "https://oss-cn-hangzhou.aliyuncs.com",
                true,
            ),
            (
                "http://127.0.0.1:9000/",
                "us-east-1",
                "http://127.0.0.1:9000",
                false,
            ),
            (
                "cos.ap-beijing.myqcloud.com",
                "ap-beijing",
                "https://cos.ap-beijing.myqcloud.com",
                false,
            ),
        ];
        for (endpoint, region, url, virtual_hosted) in cases {
            assert_eq!(
                endpoint_url(&applied(endpoint, region)),
                (url.to_string(), virtual_hosted),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn refusals_that_call_for_new_credentials() {
        let storage = |status, code: &str| Error::storage("upload", "k", status, code, "");
        assert!(credentials_refused(&storage(403, "AccessDenied")));
        assert!(credentials_refused(&storage(400, "ExpiredToken")));
        assert!(!credentials_refused(&storage(404, "NoSuchBucket")));
        assert!(!credentials_refused(&Error::invalid_request("x")));
    }

    #[test]
    fn debug_hides_the_key() {
        let storage = VolumeStorage::new("https://api.cloud.zilliz.com", "secret-key-1", "v");
        let shown = format!("{storage:?}");
        assert!(!shown.contains("secret-key-1"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
