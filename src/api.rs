//! [`BulkImportApi`], the client, and its [`BulkImportApiBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

use crate::envelope::{decode, FromData};
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::events;
use crate::model::{ImportJobCreated, ImportJobList, ImportProgress};
use crate::redact::Secrets;
use crate::request::{BulkImportRequest, JobRequest, ListImportJobsRequest, Operation};
use crate::response::{ApiResponse, Response};
use crate::retry::{retryable, Retries, RetryPolicy, Safety};
use crate::secret::Secret;
use crate::transport::CallDeadline;
use crate::transport::Transport;

/// The `User-Agent` every request carries.
const USER_AGENT_VALUE: &str = concat!("milvus-bulk-import/", env!("CARGO_PKG_VERSION"));

/// The operations the client calls, one row each: the method, the path, and whether a failed
/// attempt may be sent again. A request that carries an idempotency key is safe to repeat
/// whatever its row says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Create,
    Describe,
    List,
    Commit,
    Abort,
    /// Feature `writer`: a collection's schema.
    #[cfg(feature = "writer")]
    DescribeCollection,
    /// Zilliz Cloud volumes (src/volume.rs); describe and delete name the volume in the path.
    VolumeCreate,
    VolumeList,
    VolumeDescribe,
    VolumeDelete,
    VolumeApply,
}

impl Endpoint {
    /// The table.
    #[rustfmt::skip]
    fn row(self) -> (http::Method, &'static str, Safety) {
        use http::Method;
        use Safety::{Once, Repeatable};
        match self {
            Endpoint::Create =>             (Method::POST,   "/v2/vectordb/jobs/import/create",   Once),
            Endpoint::Describe =>           (Method::POST,   "/v2/vectordb/jobs/import/describe", Repeatable),
            Endpoint::List =>               (Method::POST,   "/v2/vectordb/jobs/import/list",     Repeatable),
            Endpoint::Commit =>             (Method::POST,   "/v2/vectordb/jobs/import/commit",   Once),
            Endpoint::Abort =>              (Method::POST,   "/v2/vectordb/jobs/import/abort",    Once),
            #[cfg(feature = "writer")]
            Endpoint::DescribeCollection => (Method::POST,   "/v2/vectordb/collections/describe", Repeatable),
            Endpoint::VolumeCreate =>       (Method::POST,   "/v2/volumes/create",                Once),
            Endpoint::VolumeList =>         (Method::GET,    "/v2/volumes",                       Repeatable),
            Endpoint::VolumeDescribe =>     (Method::GET,    "/v2/volumes",                       Repeatable),
            Endpoint::VolumeDelete =>       (Method::DELETE, "/v2/volumes",                       Once),
            Endpoint::VolumeApply =>        (Method::POST,   "/v2/volumes/apply",                 Repeatable),
        }
    }

    fn method(self) -> http::Method {
        self.row().0
    }

    /// The path below the base URL; the request's [`Operation::path_tail`] follows it.
    fn path(self) -> &'static str {
        self.row().1
    }

    /// Whether a failed attempt may be sent again (see [`retryable`]).
    fn safety(self) -> Safety {
        self.row().2
    }

    /// The secrets a reply carries (`apply`'s temporary credentials), which no error made
    /// from it may quote.
    fn reply_secrets(self, body: &[u8]) -> Vec<String> {
        match self {
            Endpoint::VolumeApply => crate::volume::apply_reply_secrets(body),
            _ => Vec::new(),
        }
    }
}

/// A client for the import-jobs REST API of Milvus (2.4+) and Zilliz Cloud.
///
/// Cheap to clone (clones share the transport and its connection pool), `Send + Sync`, and
/// blocking: each call returns when the whole reply is in. A call sends one request per attempt:
/// a failure its operation may repeat is retried under the client's
/// [`RetryPolicy`](crate::RetryPolicy) (by default up to 3 attempts; see the crate docs,
/// "Retries and the deadline"). `Debug` never shows the API key.
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
    api_key: Secret,
    /// The API key in every form to scrub from error text.
    secrets: Secrets,
    authorization: HeaderValue,
    transport: Box<dyn Transport>,
    retry: RetryPolicy,
    deadline: Option<Duration>,
}

/// Written out only because the transport has no `Debug`; the key is a [`Secret`].
impl fmt::Debug for BulkImportApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("BulkImportApi")
            .field("base_url", &inner.base_url)
            .field("api_key", &inner.api_key)
            .finish_non_exhaustive()
    }
}

/// One operation ready to send, and to send again: what `call` makes of an [`Endpoint`] and
/// an [`Operation`].
struct Exchange {
    endpoint: Endpoint,
    url: String,
    /// Where the path starts in `url` (after the base URL).
    path_start: usize,
    /// `url`, parsed once for every attempt.
    uri: http::Uri,
    /// The headers every attempt sends.
    headers: http::HeaderMap,
    body: Vec<u8>,
    safety: Safety,
    /// The API key's and the request's.
    secrets: Secrets,
}

impl Exchange {
    /// The exchange for `request`, or [`Error::InvalidRequest`] (before anything is sent)
    /// when its URL or headers cannot be built.
    fn new(inner: &Inner, endpoint: Endpoint, request: &impl Operation) -> Result<Self, Error> {
        let body = request.body()?;
        let tail = request.path_tail()?;
        let idempotency_key = request.idempotency_key();
        let request_secrets = request.secrets();
        let request_secrets: Vec<&str> = request_secrets.iter().map(|s| &**s).collect();
        let url = format!("{}{}{tail}", inner.base_url, endpoint.path());
        let invalid = |e: &dyn fmt::Display| {
            Error::invalid_request(format!("cannot build the HTTP request to {url}: {e}"))
        };
        let uri = http::Uri::try_from(url.as_str()).map_err(|e| invalid(&e))?;
        let mut headers = http::HeaderMap::with_capacity(7);
        headers.insert(AUTHORIZATION, inner.authorization.clone());
        if endpoint.method() == http::Method::POST {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        let db_name = request.db_name();
        if !db_name.is_empty() {
            let value = HeaderValue::from_str(db_name).map_err(|e| invalid(&e))?;
            headers.insert(HeaderName::from_static("db-name"), value);
        }
        if let Some(key) = idempotency_key {
            let value = HeaderValue::from_str(key).map_err(|e| invalid(&e))?;
            headers.insert(HeaderName::from_static("idempotency-key"), value);
        }
        Ok(Exchange {
            endpoint,
            path_start: inner.base_url.len(),
            url,
            uri,
            headers,
            body,
            safety: match idempotency_key {
                Some(_) => Safety::Repeatable,
                None => endpoint.safety(),
            },
            secrets: inner.secrets.with(&request_secrets),
        })
    }

    /// The path, for the log (no query: it may name a project).
    fn path(&self) -> &str {
        let path = &self.url[self.path_start..];
        path.split('?').next().unwrap_or(path)
    }
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
        BulkImportApiBuilder::new(url.into())
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
        self.call(Endpoint::Create, request)
    }

    /// Describes a job: state, progress, row counts, per-file details (pymilvus
    /// `get_import_progress`, endpoint `/describe`).
    pub fn get_import_progress(
        &self,
        request: &JobRequest,
    ) -> Result<ApiResponse<ImportProgress>, Error> {
        self.call(Endpoint::Describe, request)
    }

    /// [`get_import_progress`](Self::get_import_progress) that ends by `until` at the latest
    /// (or the client's own deadline, if sooner): a poll of
    /// [`wait_for_import`](Self::wait_for_import) gets only the time the wait has left.
    pub(crate) fn get_import_progress_until(
        &self,
        request: &JobRequest,
        until: Option<Instant>,
    ) -> Result<ApiResponse<ImportProgress>, Error> {
        self.call_until(Endpoint::Describe, request, until)
    }

    /// Lists jobs, one page on Zilliz Cloud, all of them on Milvus (pymilvus
    /// `list_import_jobs`).
    pub fn list_import_jobs(
        &self,
        request: &ListImportJobsRequest,
    ) -> Result<ApiResponse<ImportJobList>, Error> {
        self.call(Endpoint::List, request)
    }

    /// Commits a two-phase import that reached
    /// [`Uncommitted`](crate::ImportJobState::Uncommitted) (created with option
    /// `auto_commit` = `"false"`; newest Milvus servers only).
    pub fn commit_import(&self, request: &JobRequest) -> Result<ApiResponse<()>, Error> {
        self.call(Endpoint::Commit, request)
    }

    /// Aborts a two-phase import before it is committed; the job ends
    /// [`Failed`](crate::ImportJobState::Failed).
    pub fn abort_import(&self, request: &JobRequest) -> Result<ApiResponse<()>, Error> {
        self.call(Endpoint::Abort, request)
    }

    /// Describes a collection and returns its schema (feature `writer`): `POST
    /// /v2/vectordb/collections/describe`, parsed into the
    /// [`CollectionSchema`](crate::writer::CollectionSchema) a
    /// [`BulkWriter`](crate::writer::BulkWriter) writes for. Reads the reply of Milvus 2.4–2.6
    /// and Zilliz Cloud clusters (success `code` 0, or 200 on early 2.4 builds); an unknown
    /// collection is an [`Error::Api`] with code 100. Safe to retry.
    ///
    /// ```no_run
    /// # #[cfg(feature = "ureq")]
    /// # fn main() -> Result<(), milvus_bulk_import::Error> {
    /// use milvus_bulk_import::{BulkImportApi, DescribeCollectionRequest};
    /// use milvus_bulk_import::writer::BulkWriter;
    ///
    /// let api = BulkImportApi::new("http://127.0.0.1:19530", "root:Milvus")?;
    /// let schema = api
    ///     .describe_collection(&DescribeCollectionRequest::new("books").db_name("db1"))?
    ///     .into_data();
    /// let mut writer = BulkWriter::builder(&schema, "staging").build()?;
    /// # let _ = &mut writer;
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "ureq"))]
    /// # fn main() {}
    /// ```
    #[cfg(feature = "writer")]
    #[cfg_attr(docsrs, doc(cfg(feature = "writer")))]
    pub fn describe_collection(
        &self,
        request: &crate::DescribeCollectionRequest,
    ) -> Result<ApiResponse<crate::writer::CollectionSchema>, Error> {
        self.call(Endpoint::DescribeCollection, request)
    }

    /// Sends a request that is not an API call (a Zilliz volume's uploads) through this
    /// client's transport.
    #[cfg(feature = "writer")]
    pub(crate) fn send_raw(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.inner.transport.send(request)
    }

    /// This client's retry policy.
    #[cfg(feature = "writer")]
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The one path every operation takes (the import calls above, the volume calls of
    /// src/volume.rs): build the request, send it, decode the reply, and retry what the
    /// [`RetryPolicy`] and the operation's safety allow.
    pub(crate) fn call<T: FromData>(
        &self,
        endpoint: Endpoint,
        request: &impl Operation,
    ) -> Result<ApiResponse<T>, Error> {
        self.call_until(endpoint, request, None)
    }

    /// [`call`](Self::call), ended by `until` at the latest (the caller's own deadline, such as
    /// a wait's timeout) as well as by the client's deadline.
    ///
    /// Logs (crate `log`, target this module): each attempt at `debug`, each retry and its
    /// wait at `info`, giving up on a failure that could have been retried at `warn`. The
    /// events name the method, the path, the attempt, the HTTP status, API code or transport
    /// error kind, and durations; never a header, a body or a secret.
    fn call_until<T: FromData>(
        &self,
        endpoint: Endpoint,
        request: &impl Operation,
        until: Option<Instant>,
    ) -> Result<ApiResponse<T>, Error> {
        let inner = &*self.inner;
        let exchange = Exchange::new(inner, endpoint, request)?;
        let method = endpoint.method();
        let path = exchange.path();
        let started = Instant::now();
        let deadline = match (inner.deadline.and_then(|d| started.checked_add(d)), until) {
            (Some(own), Some(until)) => Some(own.min(until)),
            (own, until) => own.or(until),
        };
        let mut retries = Retries::new(&inner.retry, started, deadline);
        loop {
            let attempt = retries.start();
            let sent = Instant::now();
            let result = self.attempt(&exchange, deadline);
            let (status, transport_error) = match &result {
                Ok(reply) => (Some(reply.response().status_code()), None),
                Err(Error::Transport { source, .. }) => (None, Some(source.kind())),
                Err(err) => (err.status(), None),
            };
            events::Attempt {
                method: &method,
                path,
                attempt,
                status,
                transport_error,
                elapsed: sent.elapsed(),
            }
            .log(module_path!(), Some(&Outcome(&result)));
            let err = match result {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let Some(retry_after) = retryable(&err, exchange.safety) else {
                return Err(err.with_attempts(attempt));
            };
            let what = (&method, path);
            match retries.next_wait(retry_after) {
                Ok(wait) => {
                    let failure = Failure(&err);
                    let server_chose = retry_after.is_some();
                    events::retrying(module_path!(), what, attempt, &failure, wait, server_chose);
                    std::thread::sleep(wait);
                }
                Err(why) => {
                    let elapsed = started.elapsed();
                    events::giving_up(module_path!(), what, attempt, elapsed, why, &Failure(&err));
                    return Err(err.with_attempts(attempt));
                }
            }
        }
    }

    /// One exchange: build the request, send it, decode the reply.
    fn attempt<T: FromData>(
        &self,
        exchange: &Exchange,
        deadline: Option<Instant>,
    ) -> Result<ApiResponse<T>, Error> {
        let inner = &*self.inner;
        let url = exchange.url.as_str();
        let transport_error = |source| Error::transport(url, source);
        if let Some(deadline) = deadline {
            if Instant::now() >= deadline {
                return Err(transport_error(TransportError::new(
                    TransportErrorKind::Timeout,
                    "the call's deadline passed",
                )));
            }
        }
        // Built in place rather than through `http::request::Builder`, which moves the whole
        // request at each step: this is on every call's path. The URI and headers were made
        // once for the call.
        let mut request = http::Request::new(exchange.body.clone());
        *request.method_mut() = exchange.endpoint.method();
        *request.uri_mut() = exchange.uri.clone();
        *request.headers_mut() = exchange.headers.clone();
        if let Some(deadline) = deadline {
            request.extensions_mut().insert(CallDeadline(deadline));
        }

        let started = Instant::now();
        let reply = inner.transport.send(request).map_err(transport_error)?;
        let found = exchange.endpoint.reply_secrets(reply.body());
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        let secrets = exchange.secrets.with(&found);
        decode(Response::new(
            reply,
            url.to_string(),
            started.elapsed(),
            secrets,
        ))
    }
}

/// An attempt's outcome as the log shows it: the HTTP status, or what failed.
struct Outcome<'a, T>(&'a Result<ApiResponse<T>, Error>);

impl<T> fmt::Display for Outcome<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ok(reply) => write!(f, "HTTP {}", reply.response().status_code()),
            Err(err) => Failure(err).fmt(f),
        }
    }
}

/// A failed attempt as the log shows it: status, API code or transport error kind, never the
/// server's text (it may quote the request).
struct Failure<'a>(&'a Error);

impl fmt::Display for Failure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Transport { source, .. } => write!(f, "transport error: {}", source.kind()),
            Error::Api { code, status, .. } => write!(f, "API error {code} (HTTP {status})"),
            Error::HttpStatus { status, .. } => write!(f, "HTTP {status}"),
            Error::Decode { status, .. } => write!(f, "undecodable reply (HTTP {status})"),
            Error::InvalidRequest(_) => f.write_str("invalid request"),
            _ => f.write_str("error"),
        }
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
#[must_use]
pub struct BulkImportApiBuilder {
    url: String,
    api_key: Secret,
    transport: Option<Box<dyn Transport>>,
    retry: RetryPolicy,
    deadline: Option<Duration>,
    builtin: BuiltIn,
}

/// The settings of the built-in transport given to a [`BulkImportApiBuilder`].
#[derive(Debug, Default)]
struct BuiltIn {
    /// The first of its setters called: with a custom transport too, `build()` names it.
    first: Option<&'static str>,
    /// `connect_timeout()` was called, so `timeout()` leaves the connect timeout alone.
    connect_timeout_set: bool,
    settings: BuiltInSettings,
}

#[cfg(feature = "ureq")]
type BuiltInSettings = crate::UreqTransportBuilder;

/// Without feature `ureq` there is no built-in transport: its settings are only named (a
/// custom transport given too is refused), their values kept nowhere.
#[cfg(not(feature = "ureq"))]
#[derive(Debug, Default)]
struct BuiltInSettings;

#[cfg(not(feature = "ureq"))]
impl BuiltInSettings {
    fn timeout(self, _: Duration) -> Self {
        self
    }
    fn connect_timeout(self, _: Duration) -> Self {
        self
    }
    fn max_response_bytes(self, _: u64) -> Self {
        self
    }
    fn max_idle_connections(self, _: usize) -> Self {
        self
    }
}

impl BulkImportApiBuilder {
    pub(crate) fn new(url: String) -> Self {
        BulkImportApiBuilder {
            url,
            api_key: Secret::default(),
            transport: None,
            retry: RetryPolicy::default(),
            deadline: None,
            builtin: BuiltIn::default(),
        }
    }

    /// Applies `set` to the built-in transport's settings; `setting` names it if it is the
    /// first (a custom [`transport`](Self::transport) owns its own settings).
    fn builtin(
        mut self,
        setting: &'static str,
        set: impl FnOnce(BuiltInSettings) -> BuiltInSettings,
    ) -> Self {
        self.builtin.first.get_or_insert(setting);
        self.builtin.settings = set(self.builtin.settings);
        self
    }

    /// The credential, sent as `Authorization: Bearer <api_key>`: a Zilliz Cloud API key, or
    /// Milvus's `user:password`. Default `""` (Milvus without authentication).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Secret::new(api_key);
        self
    }

    /// Read timeout of the built-in transport: the longest wait for any one read or write
    /// (default 20 s, as pymilvus). Without [`connect_timeout`](Self::connect_timeout) it is the
    /// connect timeout too. A custom [`transport`](Self::transport) owns its own timeouts, so
    /// setting both is a configuration error.
    pub fn timeout(self, timeout: Duration) -> Self {
        let connect_too = !self.builtin.connect_timeout_set;
        self.builtin("timeout", |settings| {
            let settings = settings.timeout(timeout);
            if connect_too {
                settings.connect_timeout(timeout)
            } else {
                settings
            }
        })
    }

    /// Connect timeout of the built-in transport: name resolution, TCP connect and TLS
    /// handshake, each (default: the [`timeout`](Self::timeout), 20 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.builtin.connect_timeout_set = true;
        self.builtin("connect_timeout", |s| s.connect_timeout(timeout))
    }

    /// The largest reply body the built-in transport accepts (default 16 MiB). A larger reply
    /// is refused with a [`TransportErrorKind::BodyTooLarge`] error, after at most this many
    /// bytes (at once, when its `Content-Length` says so).
    pub fn max_response_bytes(self, limit: usize) -> Self {
        self.builtin("max_response_bytes", |s| s.max_response_bytes(limit as u64))
    }

    /// How many idle keep-alive connections the built-in transport keeps per host for the next
    /// calls (default 32; see
    /// [`UreqTransportBuilder::max_idle_connections`](crate::UreqTransportBuilder::max_idle_connections)).
    /// Size it to the number of threads that share the client: a call that finds no idle
    /// connection opens a new one.
    pub fn max_idle_connections(self, connections: usize) -> Self {
        self.builtin("max_idle_connections", |s| {
            s.max_idle_connections(connections)
        })
    }

    /// TLS: trust the CA certificates in `pem` (one or more PEM certificates), in addition to
    /// the built-in roots unless [`replace_roots(true)`](Self::replace_roots). Read and checked
    /// in [`build`](Self::build).
    #[cfg(feature = "ureq")]
    pub fn ca_bundle_pem(self, pem: impl Into<Vec<u8>>) -> Self {
        self.builtin("ca_bundle_pem", |s| s.ca_bundle_pem(pem))
    }

    /// TLS: like [`ca_bundle_pem`](Self::ca_bundle_pem), from a file read in `build()`.
    #[cfg(feature = "ureq")]
    pub fn ca_bundle_path(self, path: impl AsRef<std::path::Path>) -> Self {
        self.builtin("ca_bundle_path", |s| s.ca_bundle_path(path))
    }

    /// TLS: trust only the CA bundle, not the built-in roots (default `false`).
    #[cfg(feature = "ureq")]
    pub fn replace_roots(self, replace: bool) -> Self {
        self.builtin("replace_roots", |s| s.replace_roots(replace))
    }

    /// Mutual TLS: present this client certificate chain and private key (PEM). The key must
    /// match the certificate; `build()` checks it. Never shown by `Debug` or in errors.
    #[cfg(feature = "ureq")]
    pub fn client_identity_pem(
        self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.builtin("client_identity_pem", |s| {
            s.client_identity_pem(cert_pem, key_pem)
        })
    }

    /// Mutual TLS: like [`client_identity_pem`](Self::client_identity_pem), from files read in
    /// `build()`.
    #[cfg(feature = "ureq")]
    pub fn client_identity_paths(
        self,
        cert: impl AsRef<std::path::Path>,
        key: impl AsRef<std::path::Path>,
    ) -> Self {
        self.builtin("client_identity_paths", |s| {
            s.client_identity_paths(cert, key)
        })
    }

    /// TLS: accept any server certificate — for lab servers only, like Python's
    /// `verify=False`. Default `false`.
    #[cfg(feature = "ureq")]
    pub fn danger_accept_invalid_certs(self, accept: bool) -> Self {
        self.builtin("danger_accept_invalid_certs", |s| {
            s.danger_accept_invalid_certs(accept)
        })
    }

    /// A limit on a whole call, retries and waits between them included: when it passes the
    /// call ends with an error whose [`is_timeout()`](Error::is_timeout) is true. The built-in
    /// transport also cuts off an exchange in flight at the deadline; other transports see it
    /// as a [`CallDeadline`] request extension. Default: none (each exchange is still bounded
    /// by the timeouts).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How failed calls are retried (default [`RetryPolicy::default()`]: 3 attempts;
    /// [`RetryPolicy::none()`] for a single one).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
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
    /// value, when a timeout or the deadline is zero or over 24 h, when a setting of the
    /// built-in transport is combined with a custom transport, when TLS material does not
    /// load, or when there is no transport (feature `ureq` off and none given).
    pub fn build(self) -> Result<BulkImportApi, Error> {
        let base_url = base_url(&self.url)?;
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", self.api_key.secret()))
            .map_err(|_| {
                Error::config(
                    "the API key contains characters that cannot be sent in an HTTP header",
                )
            })?;
        authorization.set_sensitive(true);
        if let Some(deadline) = self.deadline {
            crate::transport::check_timeout("deadline", deadline)?;
        }
        let transport = match (self.transport, self.builtin.first) {
            (Some(_), Some(setting)) => {
                return Err(Error::config(format!(
                    "{setting}() configures the built-in transport; a custom transport owns its \
                     own settings, so set them there"
                )))
            }
            (Some(transport), None) => transport,
            #[cfg(feature = "ureq")]
            (None, _) => Box::new(self.builtin.settings.build()?),
            #[cfg(not(feature = "ureq"))]
            (None, _) => {
                return Err(Error::config(
                    "no transport: enable the `ureq` feature or pass one with .transport()",
                ))
            }
        };
        Ok(BulkImportApi {
            inner: Arc::new(Inner {
                base_url,
                api_key: self.api_key.clone(),
                secrets: Secrets::new([self.api_key.secret()]),
                authorization,
                transport,
                retry: self.retry,
                deadline: self.deadline,
            }),
        })
    }
}

impl fmt::Debug for BulkImportApiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = if has_userinfo(&self.url) {
            "<a URL with credentials>"
        } else {
            &self.url
        };
        let transport = match self.transport {
            Some(_) => "custom",
            None => "built-in",
        };
        f.debug_struct("BulkImportApiBuilder")
            .field("url", &url)
            .field("api_key", &self.api_key)
            .field("retry", &self.retry)
            .field("deadline", &self.deadline)
            .field("builtin", &self.builtin)
            .field("transport", &transport)
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
        return Err(Error::config(
            "the URL must not carry credentials; pass them with api_key()",
        ));
    }
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| Error::config(format!("{trimmed:?} is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        Some(other) => {
            return Err(Error::config(format!(
                "{trimmed:?}: the scheme must be http or https, not {other}"
            )))
        }
        None => {
            return Err(Error::config(format!(
                "{trimmed:?} has no scheme: write http://{trimmed} or https://{trimmed}"
            )))
        }
    }
    let authority = uri
        .authority()
        .ok_or_else(|| Error::config(format!("{trimmed:?} has no host")))?;
    if authority.host().is_empty() {
        return Err(Error::config(format!("{trimmed:?} has no host")));
    }
    // `http::Uri` takes any digits as a port, and an HTTP client given one it cannot use falls
    // back to the scheme's (`:99999` would send the request, API key and all, to port 80).
    // (`Authority::port` is `None` for a port out of range, so the text is read here.)
    let after_host = authority
        .as_str()
        .strip_prefix(authority.host())
        .unwrap_or_default();
    if let Some(digits) = after_host.strip_prefix(':') {
        if !digits.is_empty() && !matches!(digits.parse::<u16>(), Ok(1..)) {
            return Err(Error::config(format!(
                "{trimmed:?}: the port {digits} is not a TCP port (1 to 65535)"
            )));
        }
    }
    if uri.query().is_some() || trimmed.contains('#') {
        return Err(Error::config(format!(
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

    #[test]
    fn base_url_rejects_a_port_that_is_not_a_tcp_port() {
        for bad in [
            "http://127.0.0.1:99999",
            "http://127.0.0.1:65536",
            "http://h:0",
            "https://h:4294967297/p",
            "http://[::1]:99999",
        ] {
            let err = base_url(bad).unwrap_err().to_string();
            assert!(err.contains("is not a TCP port"), "{bad}: {err}");
        }
        for good in [
            "http://h:1",
            "http://h:65535",
            "https://[::1]:19530",
            "http://h",
        ] {
            assert_eq!(base_url(good).unwrap(), good);
        }
    }
}

#[cfg(test)]
mod log_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, Once};
    use std::thread::{self, ThreadId};
    use std::time::Duration;

    use log::{Level, LevelFilter, Log, Metadata, Record};

    use crate::{BulkImportApi, FnTransport, ListImportJobsRequest, RetryPolicy};

    const API_KEY: &str = "root:Log-Secret-Key-42";

    /// Every record of the crate, with the thread that logged it (tests run side by side).
    static RECORDS: Mutex<Vec<(ThreadId, Level, String, String)>> = Mutex::new(Vec::new());
    /// The key-values of each record, `key=value` joined by spaces, in the order of `RECORDS`.
    static KEY_VALUES: Mutex<Vec<(ThreadId, String)>> = Mutex::new(Vec::new());

    struct Pairs(String);

    impl<'kvs> log::kv::VisitSource<'kvs> for Pairs {
        fn visit_pair(
            &mut self,
            key: log::kv::Key<'kvs>,
            value: log::kv::Value<'kvs>,
        ) -> Result<(), log::kv::Error> {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(&format!("{key}={value}"));
            Ok(())
        }
    }

    struct Collect;

    impl Log for Collect {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &Record<'_>) {
            let entry = (
                thread::current().id(),
                record.level(),
                record.target().to_string(),
                record.args().to_string(),
            );
            let mut pairs = Pairs(String::new());
            record.key_values().visit(&mut pairs).unwrap();
            let mut records = RECORDS.lock().unwrap();
            records.push(entry);
            KEY_VALUES
                .lock()
                .unwrap()
                .push((thread::current().id(), pairs.0));
        }

        fn flush(&self) {}
    }

    /// The records this thread logged since the last call.
    fn take_records() -> Vec<(Level, String, String)> {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            log::set_logger(&Collect).expect("no other logger in the unit tests");
            log::set_max_level(LevelFilter::Trace);
        });
        let me = thread::current().id();
        KEY_VALUES.lock().unwrap().retain(|(id, _)| *id != me);
        let mut records = RECORDS.lock().unwrap();
        let (mine, others) = records.drain(..).partition(|(id, ..)| *id == me);
        *records = others;
        mine.into_iter()
            .map(|(_, level, target, text)| (level, target, text))
            .collect()
    }

    /// A client whose server answers 503 to the first `failures` requests, then a job list.
    fn flaky(failures: usize, attempts: u32) -> BulkImportApi {
        let sent = AtomicUsize::new(0);
        let transport = FnTransport::new(move |_| {
            let reply = if sent.fetch_add(1, Ordering::SeqCst) < failures {
                http::Response::builder()
                    .status(503)
                    .body(format!("unavailable; key {API_KEY}").into_bytes())
            } else {
                http::Response::builder().body(br#"{"code":0,"data":{"records":[]}}"#.to_vec())
            };
            Ok(reply.unwrap())
        });
        let retry = RetryPolicy::default()
            .max_attempts(attempts)
            .initial_backoff(Duration::from_millis(1));
        BulkImportApi::builder("http://127.0.0.1:19530")
            .api_key(API_KEY)
            .retry(retry)
            .transport(transport)
            .build()
            .unwrap()
    }

    #[test]
    fn a_call_retried_once_logs_each_attempt_and_the_retry_and_no_secret() {
        take_records();
        flaky(1, 3)
            .list_import_jobs(&ListImportJobsRequest::new())
            .unwrap();
        let records = take_records();
        let shown: Vec<_> = records
            .iter()
            .map(|(level, _, text)| format!("{level} {text}"))
            .collect();
        assert_eq!(records.len(), 3, "{shown:#?}");
        let path = "POST /v2/vectordb/jobs/import/list";
        let (level, target, text) = &records[0];
        assert_eq!(
            (*level, target.as_str()),
            (Level::Debug, module_path!().trim_end_matches("::log_tests"))
        );
        assert!(
            text.starts_with(&format!("{path} attempt 1: HTTP 503 in ")),
            "{text}"
        );
        let (level, _, text) = &records[1];
        assert_eq!(*level, Level::Info);
        assert!(
            text.starts_with(&format!(
                "{path}: attempt 1 failed (HTTP 503); retrying in "
            )),
            "{text}"
        );
        let (level, _, text) = &records[2];
        assert_eq!(*level, Level::Debug);
        assert!(
            text.starts_with(&format!("{path} attempt 2: HTTP 200 in ")),
            "{text}"
        );
        for (_, _, text) in &records {
            assert!(!text.contains("Log-Secret-Key-42"), "{text}");
            assert!(!text.contains("unavailable"), "a body in {text}");
        }
    }

    #[test]
    fn attempts_carry_their_facts_as_key_values() {
        take_records();
        flaky(1, 3)
            .list_import_jobs(&ListImportJobsRequest::new())
            .unwrap();
        let me = thread::current().id();
        let pairs: Vec<String> = {
            // Taken before take_records() forgets them.
            let all = KEY_VALUES.lock().unwrap();
            all.iter()
                .filter(|(id, _)| *id == me)
                .map(|(_, kv)| kv.clone())
                .collect()
        };
        take_records();
        assert_eq!(pairs.len(), 3, "{pairs:#?}");
        let path = "path=/v2/vectordb/jobs/import/list";
        assert!(
            pairs[0].starts_with(&format!(
                "method=POST {path} attempt=1 status=503 elapsed_ms="
            )),
            "{}",
            pairs[0]
        );
        assert_eq!(pairs[1], "", "the retry event has no key-values");
        assert!(
            pairs[2].starts_with(&format!(
                "method=POST {path} attempt=2 status=200 elapsed_ms="
            )),
            "{}",
            pairs[2]
        );
        let ms: f64 = pairs[2].rsplit('=').next().unwrap().parse().unwrap();
        assert!(ms >= 0.0);
        // The duration is the last key-value of each attempt, in milliseconds: these local
        // attempts take far less than 10 s.
        for pair in [&pairs[0], &pairs[2]] {
            let last = pair.rsplit(' ').next().unwrap();
            let (key, value) = last.split_once('=').unwrap();
            assert_eq!(key, "elapsed_ms", "{pair}");
            let ms: f64 = value.parse().unwrap();
            assert!(ms.is_finite() && (0.0..10_000.0).contains(&ms), "{pair}");
        }
    }

    #[test]
    fn a_transport_failure_is_named_by_its_kind() {
        take_records();
        let transport = FnTransport::new(|_| {
            Err(crate::TransportError::new(
                crate::TransportErrorKind::Connect,
                "refused",
            ))
        });
        let api = BulkImportApi::builder("http://127.0.0.1:19530")
            .retry(RetryPolicy::none())
            .transport(transport)
            .build()
            .unwrap();
        api.list_import_jobs(&ListImportJobsRequest::new())
            .unwrap_err();
        let me = thread::current().id();
        let pairs: Vec<String> = KEY_VALUES
            .lock()
            .unwrap()
            .iter()
            .filter(|(id, _)| *id == me)
            .map(|(_, kv)| kv.clone())
            .collect();
        let records = take_records();
        assert_eq!(records.len(), 2, "{records:#?}");
        assert!(
            records[1].2.contains(": giving up after 1 attempt in "),
            "{}",
            records[1].2
        );
        assert!(
            records[0].2.contains("attempt 1: transport error: "),
            "{}",
            records[0].2
        );
        assert!(
            pairs[0].contains(" attempt=1 transport_error=") && !pairs[0].contains("status="),
            "{}",
            pairs[0]
        );
    }

    #[test]
    fn giving_up_is_a_warning() {
        take_records();
        let err = flaky(usize::MAX, 2)
            .list_import_jobs(&ListImportJobsRequest::new())
            .unwrap_err();
        assert_eq!(err.status(), Some(503));
        let records = take_records();
        let levels: Vec<Level> = records.iter().map(|(level, ..)| *level).collect();
        assert_eq!(
            levels,
            [Level::Debug, Level::Info, Level::Debug, Level::Warn],
            "{records:#?}"
        );
        let (_, _, text) = &records[3];
        assert!(
            text.starts_with("POST /v2/vectordb/jobs/import/list: giving up after 2 attempts in "),
            "{text}"
        );
        assert!(text.ends_with("(no retries left): HTTP 503"), "{text}");
        for (_, _, text) in &records {
            assert!(!text.contains("Log-Secret-Key-42"), "{text}");
        }
    }
}
