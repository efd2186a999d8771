//! The cloud flavor's Zilliz Cloud volumes (`/v2/volumes/…`): create, list, describe, delete,
//! and `apply`, which hands out the credentials of the S3 endpoint the configuration names
//! ([`EmulatorConfig::volume_store`]). Volumes are kept in memory; the files uploaded into them
//! live in that S3 server, under `volumes/<name>/`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::{json, Map, Value};

use super::jobs::rfc3339;
use super::service::{Incoming, Reply};
use super::EmulatorConfig;
use crate::Secret;

/// Where the volume endpoints live.
const PREFIX: &str = "/v2/volumes";

// Zilliz documents no codes for its volume calls; these are the emulator's choice, in the
// style of its v2 codes (HTTP 200, `{"code", "message"}`). The paging and project codes are
// the documented ones.
const INVALID_REGION: i64 = 96001;
const INVALID_PROJECT: i64 = 96005;
const INVALID_PAGE_SIZE: i64 = 96008;
const INVALID_CURRENT_PAGE: i64 = 96009;
const VOLUME_NOT_FOUND: i64 = 96101;
const VOLUME_EXISTS: i64 = 96102;
const INVALID_VOLUME_NAME: i64 = 96103;
const INVALID_PARAMETER: i64 = 1100;
const BAD_FORMAT: i64 = 1801;

/// The object store `apply` hands out credentials for, and the limits it announces.
#[derive(Clone, Debug)]
pub(crate) struct VolumeSettings {
    endpoint: String,
    bucket: String,
    access_key: Secret,
    secret_key: Secret,
    region: String,
    cloud: String,
    ttl: Duration,
    max_content_length: u64,
    max_file_number: u64,
}

impl Default for VolumeSettings {
    /// MinIO's defaults (`http://127.0.0.1:9000`, `minioadmin`), bucket `a-bucket`, one hour.
    fn default() -> Self {
        VolumeSettings {
            endpoint: "http://127.0.0.1:9000".into(),
            bucket: "a-bucket".into(),
            access_key: Secret::new("minioadmin"),
            secret_key: Secret::new("minioadmin"),
            region: "us-east-1".into(),
            cloud: "aws".into(),
            ttl: Duration::from_secs(3600),
            max_content_length: 1 << 30,
            max_file_number: 1000,
        }
    }
}

// Volume settings of the cloud flavor.
impl EmulatorConfig {
    /// Cloud flavor: the S3 server whose credentials `POST /v2/volumes/apply` hands out —
    /// `endpoint_url` (a URL, e.g. `http://127.0.0.1:9000`), `bucket`, the access and secret
    /// key, and the region. Objects of volume `v` go under `volumes/v/` in that bucket.
    /// Default: MinIO's defaults (`http://127.0.0.1:9000`, bucket `a-bucket`, `minioadmin` /
    /// `minioadmin`, `us-east-1`). The session token handed out is a fake one, new for each
    /// `apply` (S3 servers that do not check tokens ignore it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use milvus_bulk_import::emulator::{Emulator, EmulatorConfig};
    /// use milvus_bulk_import::{BulkImportApi, CreateVolumeRequest};
    ///
    /// let emulator = Emulator::start(
    ///     EmulatorConfig::cloud()
    ///         .volume_store("http://127.0.0.1:9000", "a-bucket", "minioadmin", "minioadmin", "us-east-1")
    ///         .volume_credentials_ttl(Duration::from_secs(900)),
    /// )?;
    /// # #[cfg(feature = "ureq")]
    /// # {
    /// let volumes = BulkImportApi::new(emulator.url(), "any-key")?.volumes();
    /// volumes.create_volume(&CreateVolumeRequest::new("proj-1", "aws-us-west-2", "my-volume"))?;
    /// let applied = volumes.apply_volume("my-volume", "books/")?.into_data();
    /// assert_eq!(applied.volume_prefix, "volumes/my-volume/");
    /// assert_eq!(applied.credentials.tmp_ak, "minioadmin");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn volume_store(
        mut self,
        endpoint_url: impl Into<String>,
        bucket: impl Into<String>,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        let settings = &mut self.inner.volumes;
        settings.endpoint = endpoint_url.into();
        settings.bucket = bucket.into();
        settings.access_key = Secret::new(access_key);
        settings.secret_key = Secret::new(secret_key);
        settings.region = region.into();
        self
    }

    /// Cloud flavor: how long `apply`'s credentials are valid — their `expireTime` is this
    /// long after the `apply` (default one hour). Clients re-apply 5 minutes before that, so
    /// anything shorter makes them re-apply for every file.
    pub fn volume_credentials_ttl(mut self, ttl: Duration) -> Self {
        self.inner.volumes.ttl = ttl;
        self
    }

    /// Cloud flavor: the `condition` `apply` announces — `maxContentLength` in bytes and
    /// `maxFileNumber` (defaults 1 GiB and 1000). The emulator does not enforce them; clients
    /// do.
    pub fn volume_limits(mut self, max_content_length: u64, max_file_number: u64) -> Self {
        self.inner.volumes.max_content_length = max_content_length;
        self.inner.volumes.max_file_number = max_file_number;
        self
    }

    /// Cloud flavor: the `cloud` `apply` reports (default `aws`; `gcp` makes clients use
    /// OAuth, `ali` Aliyun OSS).
    pub fn volume_cloud(mut self, cloud: impl Into<String>) -> Self {
        self.inner.volumes.cloud = cloud.into();
        self
    }
}

/// One volume.
#[derive(Clone, Debug)]
struct Volume {
    project: String,
    region: String,
    kind: String,
    integration: Option<String>,
    path: Option<String>,
    created: SystemTime,
}

/// The volumes, by name.
#[derive(Default)]
pub(crate) struct Volumes {
    volumes: BTreeMap<String, Volume>,
}

/// True for the paths this module answers.
pub(crate) fn is_volume_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/v2/volumes/")
}

/// A JSON object body, or the binding error.
fn bind(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Reply::error(
            BAD_FORMAT,
            "can only accept json format request, the body must be a JSON object",
        )),
        Err(e) => Err(Reply::error(
            BAD_FORMAT,
            format!("can only accept json format request, error: {e}"),
        )),
    }
}

/// A string field: absent or `null` is `""`.
fn field(map: &Map<String, Value>, key: &str) -> Result<String, Reply> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Reply::error(
            BAD_FORMAT,
            format!("can only accept json format request, error: {key} must be a string"),
        )),
    }
}

/// Percent-decodes a path segment or query value (`+` is a space in a query).
fn decode(text: &str, query: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if query && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string's parameters (later ones win).
fn query_params(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Zilliz's rule for volume names, as the emulator applies it: 1–64 letters, digits, `-`
/// and `_`, starting with a letter.
fn check_name(name: &str) -> Result<(), Reply> {
    let valid = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Reply::error(
            INVALID_VOLUME_NAME,
            format!(
                "Invalid volumeName {name:?}. A volume name has 1 to 64 letters, digits, \
                 hyphens and underscores, and starts with a letter."
            ),
        ))
    }
}

/// A fresh fake session token.
fn session_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("emulator-session-{n}-{nanos:x}")
}

impl Volumes {
    /// Answers a volume request (already authenticated). Unknown paths and methods get the
    /// same plain-text 404 as any other unknown route.
    pub(crate) fn handle(&mut self, settings: &VolumeSettings, request: &Incoming) -> Reply {
        let rest = &request.path[PREFIX.len()..];
        let result = match (request.method.as_str(), rest) {
            ("POST", "/create") => bind(&request.body).and_then(|b| self.create(&b)),
            ("POST", "/apply") => bind(&request.body).and_then(|b| self.apply(settings, &b)),
            ("GET", "" | "/") => self.list(&request.query),
            ("GET", name) if !name[1..].contains('/') => self.describe(&decode(&name[1..], false)),
            ("DELETE", name) if name.len() > 1 && !name[1..].contains('/') => {
                self.delete(&decode(&name[1..], false))
            }
            _ => return Reply::text(404, "404 page not found"),
        };
        result.unwrap_or_else(|reply| reply)
    }

    fn get(&self, name: &str) -> Result<&Volume, Reply> {
        self.volumes.get(name).ok_or_else(|| {
            Reply::error(
                VOLUME_NOT_FOUND,
                format!("Volume {name} not found. Please use the ListVolumes API to obtain your volumes."),
            )
        })
    }

    fn create(&mut self, body: &Map<String, Value>) -> Result<Reply, Reply> {
        let project = field(body, "projectId")?;
        let region = field(body, "regionId")?;
        let name = field(body, "volumeName")?;
        let kind = match field(body, "type")?.as_str() {
            "" | "MANAGED" => "MANAGED".to_string(),
            "EXTERNAL" => "EXTERNAL".to_string(),
            other => {
                return Err(Reply::error(
                    INVALID_PARAMETER,
                    format!("invalid parameter: type {other:?} is neither MANAGED nor EXTERNAL"),
                ))
            }
        };
        let integration = Some(field(body, "storageIntegrationId")?).filter(|s| !s.is_empty());
        let path = Some(field(body, "path")?).filter(|s| !s.is_empty());
        if project.is_empty() {
            return Err(Reply::error(
                INVALID_PROJECT,
                "Invalid projectId. The projectId should be like proj-xxxxxxxx.",
            ));
        }
        if region.is_empty() {
            return Err(Reply::error(INVALID_REGION, "Invalid RegionId."));
        }
        check_name(&name)?;
        if kind == "EXTERNAL" {
            if integration.is_none() || path.is_none() {
                return Err(Reply::error(
                    INVALID_PARAMETER,
                    "invalid parameter: an EXTERNAL volume needs storageIntegrationId and path",
                ));
            }
            if path.as_deref().is_some_and(|p| !p.ends_with('/')) {
                return Err(Reply::error(
                    INVALID_PARAMETER,
                    "invalid parameter: path must end with '/'",
                ));
            }
        }
        if self.volumes.contains_key(&name) {
            return Err(Reply::error(
                VOLUME_EXISTS,
                format!("Volume {name} already exists."),
            ));
        }
        self.volumes.insert(
            name.clone(),
            Volume {
                project,
                region,
                kind,
                integration,
                path,
                created: SystemTime::now(),
            },
        );
        Ok(Reply::ok(json!({ "volumeName": name })))
    }

    fn list(&self, query: &str) -> Result<Reply, Reply> {
        let params = query_params(query);
        let param = |key: &str| params.get(key).map(String::as_str).unwrap_or("");
        let project = param("projectId");
        if project.is_empty() {
            return Err(Reply::error(
                INVALID_PROJECT,
                "Invalid projectId. The projectId should be like proj-xxxxxxxx.",
            ));
        }
        let number = |key: &str, default: i64| match param(key) {
            "" => Some(default),
            text => text.parse::<i64>().ok(),
        };
        let page_size = number("pageSize", 10).filter(|n| (1..=100).contains(n));
        let Some(page_size) = page_size else {
            return Err(Reply::error(
                INVALID_PAGE_SIZE,
                "The parameter value for pageSize should be between 1 and 100.",
            ));
        };
        let Some(current_page) = number("currentPage", 1).filter(|n| *n >= 1) else {
            return Err(Reply::error(
                INVALID_CURRENT_PAGE,
                "The parameter currentPage should have a value between 1 and the maximum value \
                 of Int.",
            ));
        };
        let kind = param("type");
        let all: Vec<Value> = self
            .volumes
            .iter()
            .filter(|(_, v)| v.project == project && (kind.is_empty() || v.kind == kind))
            .map(|(name, v)| record(name, v))
            .collect();
        let start =
            usize::try_from((current_page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        let page: Vec<Value> = all
            .iter()
            .skip(start)
            .take(page_size as usize)
            .cloned()
            .collect();
        Ok(Reply::ok(json!({
            "count": all.len(),
            "currentPage": current_page,
            "pageSize": page_size,
            "volumes": page,
        })))
    }

    fn describe(&self, name: &str) -> Result<Reply, Reply> {
        let volume = self.get(name)?;
        Ok(Reply::ok(record(name, volume)))
    }

    fn delete(&mut self, name: &str) -> Result<Reply, Reply> {
        self.get(name)?;
        self.volumes.remove(name);
        Ok(Reply::ok(json!({ "volumeName": name })))
    }

    fn apply(
        &mut self,
        settings: &VolumeSettings,
        body: &Map<String, Value>,
    ) -> Result<Reply, Reply> {
        let name = field(body, "volumeName")?;
        let path = field(body, "path")?;
        if name.is_empty() {
            return Err(Reply::error(
                INVALID_PARAMETER,
                "invalid parameter: volumeName is required",
            ));
        }
        self.get(&name)?;
        if path.starts_with('/') || path.split('/').any(|s| s == "..") || path.contains('\\') {
            return Err(Reply::error(
                INVALID_PARAMETER,
                format!("invalid parameter: path {path:?} must be relative to the volume root"),
            ));
        }
        let expire = SystemTime::now() + settings.ttl;
        Ok(Reply::ok(json!({
            "volumeName": name,
            "volumePrefix": format!("volumes/{name}/"),
            "endpoint": settings.endpoint,
            "bucketName": settings.bucket,
            "region": settings.region,
            "cloud": settings.cloud,
            "condition": {
                "maxContentLength": settings.max_content_length,
                "maxFileNumber": settings.max_file_number,
            },
            "credentials": {
                "tmpAK": settings.access_key,
                "tmpSK": settings.secret_key,
                "sessionToken": session_token(),
                "expireTime": rfc3339(expire),
            },
        })))
    }
}

/// A volume as describe and list show it (Java's `VolumeInfo` fields).
fn record(name: &str, volume: &Volume) -> Value {
    let mut record = json!({
        "volumeName": name,
        "type": volume.kind,
        "regionId": volume.region,
        "status": "RUNNING",
        "createTime": rfc3339(volume.created),
    });
    if let Some(integration) = &volume.integration {
        record["storageIntegrationId"] = json!(integration);
    }
    if let Some(path) = &volume.path {
        record["path"] = json!(path);
    }
    record
}

#[cfg(test)]
mod tests {
    use super::{decode, query_params};

    #[test]
    fn queries_and_segments_are_decoded() {
        assert_eq!(decode("a%20b%2Fc", false), "a b/c");
        assert_eq!(decode("a+b", true), "a b");
        assert_eq!(decode("100%", false), "100%");
        assert_eq!(decode("%zz", false), "%zz");
        let params = query_params("projectId=proj%201&pageSize=5&type=");
        assert_eq!(params["projectId"], "proj 1");
        assert_eq!(params["pageSize"], "5");
        assert_eq!(params["type"], "");
    }
}
