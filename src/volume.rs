//! Zilliz Cloud volumes: [`VolumeApi`] for the volume REST calls (create, list, describe,
//! delete, and `apply` for temporary upload credentials), their request and reply types.
//!
//! A volume is Zilliz Cloud's own object storage for import files: upload files into it (with
//! the temporary credentials `apply` hands out, or with
//! [`VolumeStorage`](crate::writer::VolumeStorage) straight from a
//! [`BulkWriter`](crate::writer::BulkWriter)), then import them with
//! [`BulkImportRequest::volume_name`](crate::BulkImportRequest::volume_name) and
//! [`data_paths`](crate::BulkImportRequest::data_paths).
//!
//! [`VolumeApi`] is a view of a [`BulkImportApi`]: the same base URL, API key, transport, TLS
//! settings, timeouts and [`RetryPolicy`](crate::RetryPolicy), the same [`Error`]s and
//! [`ApiResponse`]s.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::Endpoint;
use crate::envelope::FromData;
use crate::error::Error;
use crate::request::{check_paging, to_json, Operation};
use crate::response::ApiResponse;
use crate::secret::Secret;
use crate::BulkImportApi;

/// The Zilliz Cloud volume calls (`/v2/volumes/…`), made through a [`BulkImportApi`]'s
/// transport, key and retry policy.
///
/// | call | wire | retried |
/// |---|---|---|
/// | [`create_volume`](Self::create_volume) | `POST /v2/volumes/create` | like a create without idempotency key |
/// | [`list_volumes`](Self::list_volumes) | `GET /v2/volumes?projectId=…&currentPage=…&pageSize=…[&type=…]` | like a read |
/// | [`describe_volume`](Self::describe_volume) | `GET /v2/volumes/{name}` | like a read |
/// | [`delete_volume`](Self::delete_volume) | `DELETE /v2/volumes/{name}` | like a commit |
/// | [`apply_volume`](Self::apply_volume) | `POST /v2/volumes/apply` | like a read |
///
/// ```no_run
/// # #[cfg(feature = "ureq")]
/// # fn main() -> Result<(), milvus_bulk_import::Error> {
/// use milvus_bulk_import::{BulkImportApi, CreateVolumeRequest, ListVolumesRequest, VolumeApi};
///
/// let volumes = VolumeApi::new(BulkImportApi::new("https://api.cloud.zilliz.com", "API_KEY")?);
/// volumes.create_volume(&CreateVolumeRequest::new("proj-xxxx", "aws-us-west-2", "my-volume"))?;
/// for volume in &volumes.list_volumes(&ListVolumesRequest::new("proj-xxxx"))?.data().volumes {
///     println!("{} {:?}", volume.volume_name, volume.status);
/// }
/// let applied = volumes.apply_volume("my-volume", "books/")?;
/// println!("upload to {}/{}", applied.data().endpoint, applied.data().volume_prefix);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "ureq"))]
/// # fn main() {}
/// ```
#[derive(Clone, Debug)]
pub struct VolumeApi {
    api: BulkImportApi,
}

impl From<BulkImportApi> for VolumeApi {
    fn from(api: BulkImportApi) -> Self {
        VolumeApi::new(api)
    }
}

impl BulkImportApi {
    /// The volume calls of this client (Zilliz Cloud): a [`VolumeApi`] sharing its transport,
    /// key and retry policy.
    pub fn volumes(&self) -> VolumeApi {
        VolumeApi::new(self.clone())
    }
}

impl VolumeApi {
    /// Volume calls through `api`, whose URL is the Zilliz Cloud control plane
    /// (`https://api.cloud.zilliz.com`, or `.com.cn`) and whose key is an API key.
    pub fn new(api: BulkImportApi) -> Self {
        VolumeApi { api }
    }

    /// The client the calls go through.
    pub fn api(&self) -> &BulkImportApi {
        &self.api
    }

    /// Creates a volume (pymilvus `create_volume`). A second volume of the same name is
    /// refused by the server.
    pub fn create_volume(
        &self,
        request: &CreateVolumeRequest,
    ) -> Result<ApiResponse<VolumeCreated>, Error> {
        self.api.call(Endpoint::VolumeCreate, request)
    }

    /// Lists the volumes of a project, one page (pymilvus `list_volumes`).
    pub fn list_volumes(
        &self,
        request: &ListVolumesRequest,
    ) -> Result<ApiResponse<VolumeList>, Error> {
        self.api.call(Endpoint::VolumeList, request)
    }

    /// Describes one volume (pymilvus `describe_volume`).
    pub fn describe_volume(&self, volume_name: &str) -> Result<ApiResponse<VolumeInfo>, Error> {
        self.api
            .call(Endpoint::VolumeDescribe, &VolumeName(volume_name))
    }

    /// Deletes a volume and the files in it (pymilvus `delete_volume`).
    pub fn delete_volume(&self, volume_name: &str) -> Result<ApiResponse<()>, Error> {
        self.api
            .call(Endpoint::VolumeDelete, &VolumeName(volume_name))
    }

    /// Asks for temporary credentials to upload under `path` in the volume (pymilvus
    /// `apply_volume`). `path` is normalised as pymilvus does: backslashes become `/`, empty and
    /// `.` segments go, a `..` segment is refused, and a non-empty result ends with `/`
    /// (`"/books"` → `"books/"`, `""` or `"/"` → `""`, the volume's root).
    ///
    /// The reply's keys and token are secrets: `Debug` of the reply hides them, and errors
    /// made from it never quote them. [`Response::text`](crate::Response::text) is the raw
    /// reply and does show them.
    pub fn apply_volume(
        &self,
        volume_name: &str,
        path: &str,
    ) -> Result<ApiResponse<VolumeCredentials>, Error> {
        check_name(volume_name)?;
        let request = ApplyVolume {
            volume_name,
            path: volume_dir(path)?,
        };
        self.api.call(Endpoint::VolumeApply, &request)
    }
}

/// A volume named in the path (`/v2/volumes/{name}`): describe and delete.
struct VolumeName<'a>(&'a str);

impl Operation for VolumeName<'_> {
    fn body(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }

    fn path_tail(&self) -> Result<String, Error> {
        name_segment(self.0)
    }
}

/// The body of `apply`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplyVolume<'a> {
    volume_name: &'a str,
    path: String,
}

impl Operation for ApplyVolume<'_> {
    fn body(&self) -> Result<Vec<u8>, Error> {
        to_json(self)
    }
}

/// A volume path as a directory, the way pymilvus's `_convert_dir_path` makes it: `""` for the
/// volume's root, otherwise `a/b/`; `..` is refused.
pub(crate) fn volume_dir(path: &str) -> Result<String, Error> {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                return Err(Error::invalid_request(format!(
                    "the volume path {path:?} must not escape the volume root (`..`)"
                )))
            }
            s => {
                out.push_str(s);
                out.push('/');
            }
        }
    }
    Ok(out)
}

fn check_name(volume_name: &str) -> Result<(), Error> {
    if volume_name.trim().is_empty() {
        return Err(Error::invalid_request("volume name must not be empty"));
    }
    Ok(())
}

/// `/{name}`, percent-encoded.
fn name_segment(volume_name: &str) -> Result<String, Error> {
    check_name(volume_name)?;
    Ok(format!("/{}", encode(volume_name)))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Create a volume: `POST /v2/volumes/create`, pymilvus's `create_volume`.
///
/// The body is `{"projectId", "regionId", "volumeName"}` plus `type`, `storageIntegrationId`
/// and `path` when set (omitted otherwise, as pymilvus does).
///
/// ```
/// use milvus_bulk_import::CreateVolumeRequest;
///
/// // A volume Zilliz Cloud manages.
/// let managed = CreateVolumeRequest::new("proj-xxxx", "aws-us-west-2", "my-volume");
/// // A volume over a bucket of your own (a storage integration), under a folder.
/// let external = CreateVolumeRequest::new("proj-xxxx", "aws-us-west-2", "ext-volume")
///     .volume_type("EXTERNAL")
///     .storage_integration_id("integ-xxxx")
///     .path("imports/");
/// # let _ = (managed, external);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[must_use]
pub struct CreateVolumeRequest {
    project_id: String,
    region_id: String,
    volume_name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    volume_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_integration_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

impl CreateVolumeRequest {
    /// A volume named `volume_name` in project `project_id`, region `region_id` (such as
    /// `aws-us-west-2`).
    pub fn new(
        project_id: impl Into<String>,
        region_id: impl Into<String>,
        volume_name: impl Into<String>,
    ) -> Self {
        CreateVolumeRequest {
            project_id: project_id.into(),
            region_id: region_id.into(),
            volume_name: volume_name.into(),
            volume_type: None,
            storage_integration_id: None,
            path: None,
        }
    }

    /// The volume's type (`type`): `MANAGED` (the server's default) or `EXTERNAL`.
    pub fn volume_type(mut self, volume_type: impl Into<String>) -> Self {
        self.volume_type = Some(volume_type.into());
        self
    }

    /// `EXTERNAL` volumes: the storage integration holding the bucket
    /// (`storageIntegrationId`).
    pub fn storage_integration_id(mut self, id: impl Into<String>) -> Self {
        self.storage_integration_id = Some(id.into());
        self
    }

    /// `EXTERNAL` volumes: the folder in the bucket (`path`, ending with `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl Operation for CreateVolumeRequest {
    fn body(&self) -> Result<Vec<u8>, Error> {
        for (value, what) in [
            (&self.project_id, "project id"),
            (&self.region_id, "region id"),
            (&self.volume_name, "volume name"),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid_request(format!("{what} must not be empty")));
            }
        }
        to_json(self)
    }
}

/// List a project's volumes: `GET /v2/volumes?projectId=…&currentPage=…&pageSize=…[&type=…]`,
/// pymilvus's `list_volumes` (defaults: page 1 of 10).
///
/// ```
/// use milvus_bulk_import::ListVolumesRequest;
///
/// let request = ListVolumesRequest::new("proj-xxxx").volume_type("MANAGED").page_size(50);
/// # let _ = request;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct ListVolumesRequest {
    project_id: String,
    current_page: u32,
    page_size: u32,
    volume_type: Option<String>,
}

impl ListVolumesRequest {
    /// The first page of 10 volumes of project `project_id`.
    pub fn new(project_id: impl Into<String>) -> Self {
        ListVolumesRequest {
            project_id: project_id.into(),
            current_page: 1,
            page_size: 10,
            volume_type: None,
        }
    }

    /// The page to fetch (`currentPage`, from 1, default 1).
    pub fn current_page(mut self, current_page: u32) -> Self {
        self.current_page = current_page;
        self
    }

    /// Volumes per page (`pageSize`, default 10).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Only volumes of this type (`type`: `MANAGED` or `EXTERNAL`).
    pub fn volume_type(mut self, volume_type: impl Into<String>) -> Self {
        self.volume_type = Some(volume_type.into());
        self
    }

    fn to_query(&self) -> Result<String, Error> {
        if self.project_id.trim().is_empty() {
            return Err(Error::invalid_request("project id must not be empty"));
        }
        check_paging(self.page_size, self.current_page)?;
        let mut query = format!(
            "?projectId={}&currentPage={}&pageSize={}",
            encode(&self.project_id),
            self.current_page,
            self.page_size
        );
        if let Some(volume_type) = &self.volume_type {
            query.push_str("&type=");
            query.push_str(&encode(volume_type));
        }
        Ok(query)
    }
}

impl Operation for ListVolumesRequest {
    fn body(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }

    fn path_tail(&self) -> Result<String, Error> {
        self.to_query()
    }
}

/// The reply to [`create_volume`](VolumeApi::create_volume).
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeCreated {
    /// The new volume's name (`volumeName`; empty if the server sent none).
    pub volume_name: String,
    /// Every other field, as sent.
    pub extra: Map<String, Value>,
}

/// One volume, as [`describe_volume`](VolumeApi::describe_volume) and
/// [`list_volumes`](VolumeApi::list_volumes) report it.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeInfo {
    /// The name (`volumeName`).
    pub volume_name: String,
    /// `MANAGED` or `EXTERNAL` (`type`).
    pub volume_type: Option<String>,
    /// The cloud region (`regionId`).
    pub region_id: Option<String>,
    /// `EXTERNAL` volumes: the storage integration (`storageIntegrationId`).
    pub storage_integration_id: Option<String>,
    /// `EXTERNAL` volumes: the folder in the bucket (`path`).
    pub path: Option<String>,
    /// The volume's status (`status`, e.g. `RUNNING`).
    pub status: Option<String>,
    /// When it was created (`createTime`).
    pub create_time: Option<String>,
    /// Every other field, as sent.
    pub extra: Map<String, Value>,
}

/// The reply to [`list_volumes`](VolumeApi::list_volumes).
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeList {
    /// The volumes of this page (`volumes`).
    pub volumes: Vec<VolumeInfo>,
    /// `count`.
    pub count: Option<u64>,
    /// The page returned (`currentPage`).
    pub current_page: Option<u64>,
    /// The page size used (`pageSize`).
    pub page_size: Option<u64>,
}

/// The reply to [`apply_volume`](VolumeApi::apply_volume): where to upload and with which
/// temporary credentials.
///
/// Objects go to bucket [`bucket_name`](Self::bucket_name) at
/// [`endpoint`](Self::endpoint), under [`volume_prefix`](Self::volume_prefix) followed by the
/// volume path; the import then names the volume path alone (`data_paths`).
/// `Debug` hides the credentials.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeCredentials {
    /// The volume (`volumeName`).
    pub volume_name: String,
    /// The key prefix of the volume's objects in the bucket (`volumePrefix`, ends with `/`).
    pub volume_prefix: String,
    /// The object store's endpoint (`endpoint`): a host such as `s3.amazonaws.com`
    /// (HTTPS), or a URL.
    pub endpoint: String,
    /// The bucket (`bucketName`).
    pub bucket_name: String,
    /// The bucket's region (`region`).
    pub region: String,
    /// The cloud (`cloud`): `aws`, `gcp`, `ali`, `tc`, `azure`, …
    pub cloud: String,
    /// Upload limits (`condition`).
    pub condition: VolumeCondition,
    /// The temporary credentials (`credentials`).
    pub credentials: TemporaryCredentials,
    /// Every other field, as sent (Java's SDK also reads `uploadPath`).
    pub extra: Map<String, Value>,
}

/// The upload limits of a [`VolumeCredentials`] (`condition`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeCondition {
    /// The largest upload in bytes (`maxContentLength`).
    pub max_content_length: Option<u64>,
    /// The most files one application may upload (`maxFileNumber`).
    pub max_file_number: Option<u64>,
}

/// Temporary object-store credentials from [`apply_volume`](VolumeApi::apply_volume)
/// (`credentials`). `Debug` shows only the expiry time.
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// The access key id (`tmpAK`).
    pub tmp_ak: String,
    /// The secret access key (`tmpSK`).
    pub tmp_sk: String,
    /// The session token (`sessionToken`); on GCP an OAuth access token.
    pub session_token: String,
    /// When they expire (`expireTime`, RFC 3339, e.g. `2099-12-31T23:59:59Z`).
    pub expire_time: String,
}

/// Written out because the fields are public `String`s; each shows as a [`Secret`] does.
impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |value: &str| Secret::new(value);
        f.debug_struct("TemporaryCredentials")
            .field("tmp_ak", &hide(&self.tmp_ak))
            .field("tmp_sk", &hide(&self.tmp_sk))
            .field("session_token", &hide(&self.session_token))
            .field("expire_time", &self.expire_time)
            .finish()
    }
}

// ---- decoding: `data` as a JSON object, read field by field, leniently ----

/// Takes `key` from `map` as a string; absent or `null` is `None`.
fn opt_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{key}: expected a string, found {other}")),
    }
}

fn string(map: &mut Map<String, Value>, key: &str) -> Result<String, String> {
    opt_string(map, key).map(Option::unwrap_or_default)
}

/// A secret string: the error never quotes the value.
fn secret(map: &mut Map<String, Value>, key: &str) -> Result<String, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("{key}: expected a string")),
    }
}

/// A non-negative integer: a number or a numeric string.
fn count(map: &mut Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(v), _) => Ok(Some(v)),
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64 => {
                Ok(Some(f as u64))
            }
            _ => Err(format!("{key}: expected a non-negative integer, found {n}")),
        },
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{key}: expected a non-negative integer, found {s:?}")),
        Some(other) => Err(format!(
            "{key}: expected a non-negative integer, found {other}"
        )),
    }
}

fn object(map: &mut Map<String, Value>, key: &str) -> Result<Map<String, Value>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(format!("{key}: expected an object")),
    }
}

fn data_map<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(D::Error::custom("expected an object")),
    }
}

impl VolumeInfo {
    fn from_map(mut map: Map<String, Value>) -> Result<Self, String> {
        Ok(VolumeInfo {
            volume_name: string(&mut map, "volumeName")?,
            volume_type: opt_string(&mut map, "type")?,
            region_id: opt_string(&mut map, "regionId")?,
            storage_integration_id: opt_string(&mut map, "storageIntegrationId")?,
            path: opt_string(&mut map, "path")?,
            status: opt_string(&mut map, "status")?,
            create_time: opt_string(&mut map, "createTime")?,
            extra: map,
        })
    }
}

impl FromData for VolumeInfo {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        VolumeInfo::from_map(data_map(d)?).map_err(D::Error::custom)
    }
}

impl FromData for VolumeCreated {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = data_map(d)?;
        Ok(VolumeCreated {
            volume_name: string(&mut map, "volumeName").map_err(D::Error::custom)?,
            extra: map,
        })
    }

    fn missing() -> Result<Self, String> {
        Ok(VolumeCreated {
            volume_name: String::new(),
            extra: Map::new(),
        })
    }
}

impl FromData for VolumeList {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = data_map(d)?;
        let list = (|| {
            let volumes = match map.remove("volumes") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::Object(o) => {
                            VolumeInfo::from_map(o).map_err(|e| format!("volumes[{i}].{e}"))
                        }
                        _ => Err(format!("volumes[{i}]: expected an object")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("volumes: expected a list".to_string()),
            };
            Ok(VolumeList {
                volumes,
                count: count(&mut map, "count")?,
                current_page: count(&mut map, "currentPage")?,
                page_size: count(&mut map, "pageSize")?,
            })
        })();
        list.map_err(D::Error::custom)
    }
}

impl VolumeCredentials {
    fn from_map(mut map: Map<String, Value>) -> Result<Self, String> {
        let mut condition = object(&mut map, "condition")?;
        let mut credentials = match map.remove("credentials") {
            Some(Value::Object(o)) => o,
            None | Some(Value::Null) => return Err("credentials: missing".into()),
            Some(_) => return Err("credentials: expected an object".into()),
        };
        let credentials = TemporaryCredentials {
            tmp_ak: secret(&mut credentials, "tmpAK").map_err(|e| format!("credentials.{e}"))?,
            tmp_sk: secret(&mut credentials, "tmpSK").map_err(|e| format!("credentials.{e}"))?,
            session_token: secret(&mut credentials, "sessionToken")
                .map_err(|e| format!("credentials.{e}"))?,
            expire_time: string(&mut credentials, "expireTime")
                .map_err(|e| format!("credentials.{e}"))?,
        };
        let condition = VolumeCondition {
            max_content_length: count(&mut condition, "maxContentLength")
                .map_err(|e| format!("condition.{e}"))?,
            max_file_number: count(&mut condition, "maxFileNumber")
                .map_err(|e| format!("condition.{e}"))?,
        };
        Ok(VolumeCredentials {
            volume_name: string(&mut map, "volumeName")?,
            volume_prefix: string(&mut map, "volumePrefix")?,
            endpoint: string(&mut map, "endpoint")?,
            bucket_name: string(&mut map, "bucketName")?,
            region: string(&mut map, "region")?,
            cloud: string(&mut map, "cloud")?,
            condition,
            credentials,
            extra: map,
        })
    }
}

impl FromData for VolumeCredentials {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        VolumeCredentials::from_map(data_map(d)?).map_err(D::Error::custom)
    }
}

/// The secrets an `apply` reply carries (`data.credentials.{tmpAK,tmpSK,sessionToken}`), read
/// leniently from the raw bytes, so that no error made from the reply quotes them.
pub(crate) fn apply_reply_secrets(body: &[u8]) -> Vec<String> {
    let Ok(reply) = serde_json::from_slice::<Value>(body) else {
        // Not JSON: look for the values by hand, between quotes after each key.
        let text = String::from_utf8_lossy(body);
        return ["tmpAK", "tmpSK", "sessionToken"]
            .iter()
            .filter_map(|key| {
                let after = text.split_once(&format!("\"{key}\""))?.1;
                let value = after.trim_start().strip_prefix(':')?.trim_start();
                let value = value.strip_prefix('"')?;
                Some(value.split('"').next()?.to_string())
            })
            .filter(|s| !s.is_empty())
            .collect();
    };
    ["tmpAK", "tmpSK", "sessionToken"]
        .iter()
        .filter_map(|key| {
            reply
                .pointer(&format!("/data/credentials/{key}"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_dirs_normalise_like_pymilvus() {
        for (given, want) in [
            ("", ""),
            ("/", ""),
            ("/single/", "single/"),
            ("a\\b", "a/b/"),
            ("./a//b/.", "a/b/"),
            ("books", "books/"),
        ] {
            assert_eq!(volume_dir(given).unwrap(), want, "{given:?}");
        }
        assert!(volume_dir("a/../../b").is_err());
    }

    #[test]
    fn names_and_queries_are_percent_encoded() {
        assert_eq!(name_segment("my-volume_1").unwrap(), "/my-volume_1");
        assert_eq!(name_segment("a b/c").unwrap(), "/a%20b%2Fc");
        assert!(name_segment(" ").is_err());
        let query = ListVolumesRequest::new("proj 1")
            .volume_type("MANAGED")
            .to_query()
            .unwrap();
        assert_eq!(
            query,
            "?projectId=proj%201&currentPage=1&pageSize=10&type=MANAGED"
        );
    }

    #[test]
    fn secrets_are_found_in_malformed_replies_too() {
        let json = br#"{"code":0,"data":{"credentials":{"tmpAK":"AK1","tmpSK":"SK1","sessionToken":"T1"}}}"#;
        assert_eq!(apply_reply_secrets(json), ["AK1", "SK1", "T1"]);
        let broken =
            br#"{"code":0,"data":{"credentials":{"tmpAK": "AK1","tmpSK":"SK1","sessionToken":"T1""#;
        assert_eq!(apply_reply_secrets(broken), ["AK1", "SK1", "T1"]);
    }
}
