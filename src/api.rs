//! [`BulkImportApi`], the client, and its [`BulkImportApiBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

use crate::error::Error;
use crate::model::{FromData, ImportJobCreated, ImportJobList, ImportProgress};
use crate::redact::Secrets;
use crate::request::{BulkImportRequest, JobRequest, ListImportJobsRequest};
use crate::response::{decode, ApiResponse, Response};
use crate::transport::Transport;

/// The `User-Agent` every request carries.
const USER_AGENT_VALUE: &str = concat!("milvus-bulk-import/", env!("CARGO_PKG_VERSION"));

/// The default timeout of the built-in transport (pymilvus's).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The longest timeout accepted: a day. (Longer ones overflow the clock arithmetic of some
/// platforms; an import call that takes a day is dead.)
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks a timeout setting: longer than zero, at most [`MAX_TIMEOUT`].
pub(crate) fn check_timeout(what: &str, timeout: Duration) -> Result<(), Error> {
    if timeout.is_zero() {
        return Err(Error::Config(format!(
            "the {what} must be longer than zero"
        )));
    }
    if timeout > MAX_TIMEOUT {
        return Err(Error::Config(format!(
            "the {what} of {timeout:?} is longer than the maximum of 24 h"
        )));
    }
    Ok(())
}

/// The five import-job endpoints.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    Create,
    Describe,
    List,
    Commit,
    Abort,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Create => "/v2/vectordb/jobs/import/create",
            Endpoint::Describe => "/v2/vectordb/jobs/import/describe",
            Endpoint::List => "/v2/vectordb/jobs/import/list",
            Endpoint::Commit => "/v2/vectordb/jobs/import/commit",
            Endpoint::Abort => "/v2/vectordb/jobs/import/abort",
        }
    }
}

/// A client for the import-jobs REST API of Milvus (2.4+) and Zilliz Cloud.
///
/// Cheap to clone (clones share the transport and its connection pool), `Send + Sync`, and
/// blocking: each call sends exactly one request and returns when the whole reply is in.
/// `Debug` never shows the API key.
///
/// ```no_run
/// # #[cfg(feature = "ureq")]
/// # fn main() -> Result<(), milvus_bulk_import::Error> {
/// use milvus_bulk_import::{BulkImportApi, ListImportJobsRequest};
///
/// let api = BulkImportApi::new("https://api.cloud.zilliz.com", "YOUR_API_KEY")?;
/// let jobs = api.list_import_jobs(&ListImportJobsRequest::new().cluster_id("inxx-xxxxxxxxxxxxxxx"))?;
/// for job in &jobs.data().records {
///     println!("{} {} {}", job.job_id, job.collection_name, job.state);
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "ureq"))]
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct BulkImportApi {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    has_api_key: bool,
    /// The API key in every form to scrub from error text.
    secrets: Secrets,
    authorization: HeaderValue,
    transport: Box<dyn Transport>,
}

impl BulkImportApi {
    /// A client for `url` with `api_key` and the default transport (ureq, 20 s timeouts).
    ///
    /// `url` is the server's base URL: `http://127.0.0.1:19530` for Milvus,
    /// `https://api.cloud.zilliz.com` (or `.com.cn`) for Zilliz Cloud. `api_key` is a Zilliz
    /// API key, Milvus's `user:password`, or `""` when Milvus runs without authentication.
    #[cfg(feature = "ureq")]
    pub fn new(url: impl Into<String>, api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder(url).api_key(api_key).build()
    }

    /// Settings for a client of `url`; see [`BulkImportApiBuilder`].
    pub fn builder(url: impl Into<String>) -> BulkImportApiBuilder {
        BulkImportApiBuilder {
            url: url.into(),
            api_key: String::new(),
            timeout: None,
            transport: None,
        }
    }

    /// The base URL requests go to (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Creates an import job (pymilvus `bulk_import`).
    ///
    /// ```no_run
    /// # use milvus_bulk_import::{BulkImportApi, BulkImportRequest};
    /// # #[cfg(feature = "ureq")]
    /// # fn main() -> Result<(), milvus_bulk_import::Error> {
    /// # let api = BulkImportApi::new("http://127.0.0.1:19530", "root:Milvus")?;
    /// let created = api.bulk_import(
    ///     &BulkImportRequest::new("my_collection").files(vec![vec!["1.parquet".to_string()]]),
    /// )?;
    /// println!("job {}", created.data().job_id);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "ureq"))]
    /// # fn main() {}
    /// ```
    pub fn bulk_import(
        &self,
        request: &BulkImportRequest,
    ) -> Result<ApiResponse<ImportJobCreated>, Error> {
        let body = request.to_body()?;
        self.call(Endpoint::Create, body, request.db(), &request.secrets())
    }

    /// Describes a job: state, progress, row counts, per-file details (pymilvus
    /// `get_import_progress`, endpoint `/describe`).
    pub fn get_import_progress(
        &self,
        request: &JobRequest,
    ) -> Result<ApiResponse<ImportProgress>, Error> {
        let body = request.to_body()?;
        self.call(Endpoint::Describe, body, request.db(), &[])
    }

    /// Lists jobs, one page on Zilliz Cloud, all of them on Milvus (pymilvus
    /// `list_import_jobs`).
    pub fn list_import_jobs(
        &self,
        request: &ListImportJobsRequest,
    ) -> Result<ApiResponse<ImportJobList>, Error> {
        let body = request.to_body()?;
        self.call(Endpoint::List, body, request.db(), &[])
    }

    /// Commits a two-phase import that reached
    /// [`Uncommitted`](crate::ImportJobState::Uncommitted) (created with option
    /// `auto_commit` = `"false"`; newest Milvus servers only).
    pub fn commit_import(&self, request: &JobRequest) -> Result<ApiResponse<()>, Error> {
        let body = request.to_body()?;
        self.call(Endpoint::Commit, body, request.db(), &[])
    }

    /// Aborts a two-phase import before it is committed; the job ends
    /// [`Failed`](crate::ImportJobState::Failed).
    pub fn abort_import(&self, request: &JobRequest) -> Result<ApiResponse<()>, Error> {
        let body = request.to_body()?;
        self.call(Endpoint::Abort, body, request.db(), &[])
    }

    /// The one path every operation takes: build the request, send it once, decode the reply.
    fn call<T: FromData>(
        &self,
        endpoint: Endpoint,
        body: Vec<u8>,
        db_name: &str,
        request_secrets: &[&str],
    ) -> Result<ApiResponse<T>, Error> {
        let inner = &*self.inner;
        let url = format!("{}{}", inner.base_url, endpoint.path());
        let mut builder = http::Request::post(url.as_str())
            .header(AUTHORIZATION, inner.authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        if !db_name.is_empty() {
            builder = builder.header("DB-Name", db_name);
        }
        let request = builder.body(body).map_err(|e| {
            Error::InvalidRequest(format!("cannot build the HTTP request to {url}: {e}"))
        })?;

        let started = Instant::now();
        let reply = match inner.transport.send(request) {
            Ok(reply) => reply,
            Err(source) => return Err(Error::Transport { url, source }),
        };
        let secrets = inner.secrets.with(request_secrets);
        decode(Response::new(reply, url, started.elapsed(), secrets))
    }
}

impl fmt::Debug for BulkImportApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkImportApi")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &redacted(self.inner.has_api_key))
            .finish_non_exhaustive()
    }
}

fn redacted(present: bool) -> &'static str {
    if present {
        "<redacted>"
    } else {
        ""
    }
}

/// Settings for a [`BulkImportApi`], from [`BulkImportApi::builder`].
///
/// ```
/// # #[cfg(feature = "ureq")]
/// # fn main() -> Result<(), milvus_bulk_import::Error> {
/// use std::time::Duration;
/// use milvus_bulk_import::BulkImportApi;
///
/// let api = BulkImportApi::builder("http://127.0.0.1:19530/")
///     .api_key("root:Milvus")
///     .timeout(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(api.base_url(), "http://127.0.0.1:19530");
/// assert!(!format!("{api:?}").contains("Milvus\""));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "ureq"))]
/// # fn main() {}
/// ```
pub struct BulkImportApiBuilder {
    url: String,
    api_key: String,
    timeout: Option<Duration>,
    transport: Option<Box<dyn Transport>>,
}

impl BulkImportApiBuilder {
    /// The credential, sent as `Authorization: Bearer <api_key>`: a Zilliz Cloud API key, or
    /// Milvus's `user:password`. Default `""` (Milvus without authentication).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into();
        self
    }

    /// Connect and read timeout of the built-in transport (default 20 s, as pymilvus). A custom
    /// [`transport`](Self::transport) owns its own timeouts, so setting both is a
    /// configuration error.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends requests through `transport` instead of the built-in one. Pass an `Arc` to keep a
    /// handle on it.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Box::new(transport));
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// Fails with [`Error::Config`] when the URL is not an absolute `http`/`https` URL (or
    /// carries credentials, a query or a fragment), when the API key cannot be an HTTP header
    /// value, when the timeout is zero or combined with a custom transport, or when there is no
    /// transport (feature `ureq` off and none given).
    pub fn build(self) -> Result<BulkImportApi, Error> {
        let base_url = base_url(&self.url)?;
        let mut authorization =
            HeaderValue::try_from(format!("Bearer {}", self.api_key)).map_err(|_| {
                Error::Config(
                    "the API key contains characters that cannot be sent in an HTTP header".into(),
                )
            })?;
        authorization.set_sensitive(true);
        if let Some(timeout) = self.timeout {
            check_timeout("timeout", timeout)?;
        }
        let transport = match (self.transport, self.timeout) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "timeout() configures the built-in transport; a custom transport owns its \
                     own timeouts, so set them there"
                        .into(),
                ))
            }
            (Some(transport), None) => transport,
            (None, timeout) => default_transport(timeout.unwrap_or(DEFAULT_TIMEOUT))?,
        };
        Ok(BulkImportApi {
            inner: Arc::new(Inner {
                base_url,
                has_api_key: !self.api_key.is_empty(),
                secrets: Secrets::new([self.api_key.as_str()]),
                authorization,
                transport,
            }),
        })
    }
}

#[cfg(feature = "ureq")]
fn default_transport(timeout: Duration) -> Result<Box<dyn Transport>, Error> {
    Ok(Box::new(
        crate::UreqTransport::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?,
    ))
}

#[cfg(not(feature = "ureq"))]
fn default_transport(_timeout: Duration) -> Result<Box<dyn Transport>, Error> {
    Err(Error::Config(
        "no transport: enable the `ureq` feature or pass one with .transport()".into(),
    ))
}

impl fmt::Debug for BulkImportApiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = if has_userinfo(&self.url) {
            "<a URL with credentials>"
        } else {
            &self.url
        };
        f.debug_struct("BulkImportApiBuilder")
            .field("url", &url)
            .field("api_key", &redacted(!self.api_key.is_empty()))
            .field("timeout", &self.timeout)
            .field(
                "transport",
                &if self.transport.is_some() {
                    "custom"
                } else {
                    "built-in"
                },
            )
            .finish()
    }
}

/// True when the authority part of `url` carries `user:password@` (scheme or not).
fn has_userinfo(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
}

/// Checks `url` and returns it without a trailing `/`, keeping any path prefix.
fn base_url(url: &str) -> Result<String, Error> {
    let trimmed = url.trim();
    if has_userinfo(trimmed) {
        // Checked first and not echoed: the user part may hold a password.
        return Err(Error::Config(
            "the URL must not carry credentials; pass them with api_key()".into(),
        ));
    }
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| Error::Config(format!("{trimmed:?} is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        Some(other) => {
            return Err(Error::Config(format!(
                "{trimmed:?}: the scheme must be http or https, not {other}"
            )))
        }
        None => {
            return Err(Error::Config(format!(
                "{trimmed:?} has no scheme: write http://{trimmed} or https://{trimmed}"
            )))
        }
    }
    let authority = uri
        .authority()
        .ok_or_else(|| Error::Config(format!("{trimmed:?} has no host")))?;
    if authority.host().is_empty() {
        return Err(Error::Config(format!("{trimmed:?} has no host")));
    }
    if uri.query().is_some() || trimmed.contains('#') {
        return Err(Error::Config(format!(
            "{trimmed:?}: the base URL must not have a query or fragment"
        )));
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::{base_url, BulkImportApi, BulkImportApiBuilder};
    use std::fmt;

    #[test]
    fn client_is_clone_send_sync_debug_and_builder_is_send() {
        fn client<T: Clone + Send + Sync + fmt::Debug + 'static>() {}
        fn builder<T: Send + fmt::Debug>() {}
        client::<BulkImportApi>();
        builder::<BulkImportApiBuilder>();
    }

    #[test]
    fn base_url_keeps_prefix_and_drops_trailing_slash() {
        assert_eq!(base_url("http://h:19530/").unwrap(), "http://h:19530");
        assert_eq!(base_url("https://gw/milvus/").unwrap(), "https://gw/milvus");
        assert_eq!(
            base_url(" https://gw/milvus ").unwrap(),
            "https://gw/milvus"
        );
    }

    #[test]
    fn base_url_rejects_what_cannot_work() {
        for bad in [
            "",
            "127.0.0.1:19530",
            "ftp://h",
            "http://",
            "https://h/?x=1",
            "https://h/#f",
            "not a url",
        ] {
            assert!(base_url(bad).is_err(), "{bad:?} accepted");
        }
        for with_password in [
            "https://user:hunter2@h",
            "ftp://user:hunter2@h",
            "user:hunter2@h:19530",
            "http://user:hunter2@",
            "http://user:hunter2@h:notaport/x",
        ] {
            let err = base_url(with_password).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
