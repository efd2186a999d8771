//! [`BulkImportApi`], the client, and its [`BulkImportApiBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};

use crate::error::{Error, TransportError, TransportErrorKind};
use crate::model::{FromData, ImportJobCreated, ImportJobList, ImportProgress};
use crate::redact::Secrets;
use crate::request::{BulkImportRequest, JobRequest, ListImportJobsRequest};
use crate::response::{decode, ApiResponse, Response};
use crate::retry::{retryable, RetryPolicy, Safety};
use crate::secret::Secret;
use crate::transport::CallDeadline;
use crate::transport::Transport;

/// The `User-Agent` every request carries.
const USER_AGENT_VALUE: &str = concat!("milvus-bulk-import/", env!("CARGO_PKG_VERSION"));

/// The endpoints the client calls: the five import-job ones, and (feature `writer`) the
/// collection describe that yields a schema.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    Create,
    Describe,
    List,
    Commit,
    Abort,
    #[cfg(feature = "writer")]
    DescribeCollection,
    /// Zilliz Cloud volumes (src/volume.rs); the call's [`Route`] adds the rest of the path.
    Volumes,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Create => "/v2/vectordb/jobs/import/create",
            Endpoint::Describe => "/v2/vectordb/jobs/import/describe",
            Endpoint::List => "/v2/vectordb/jobs/import/list",
            Endpoint::Commit => "/v2/vectordb/jobs/import/commit",
            Endpoint::Abort => "/v2/vectordb/jobs/import/abort",
            #[cfg(feature = "writer")]
            Endpoint::DescribeCollection => "/v2/vectordb/collections/describe",
            Endpoint::Volumes => "/v2/volumes",
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
    retry: RetryPolicy,
    deadline: Option<Duration>,
}

/// One operation's request, as `call` needs it.
struct Call<'a> {
    endpoint: Endpoint,
    body: Vec<u8>,
    db_name: &'a str,
    secrets: &'a [&'a str],
    safety: Safety,
    idempotency_key: Option<&'a str>,
}

/// How a call reaches its endpoint. The import calls POST a JSON body to the endpoint's path
/// ([`Route::POST`]); the volume calls (src/volume.rs) also GET and DELETE, below a path.
pub(crate) struct Route<'a> {
    pub(crate) method: http::Method,
    /// Appended to the endpoint's path: `/create`, `/{name}`, `?projectId=…`.
    pub(crate) tail: &'a str,
    /// Finds strings in a reply that no error may quote (`apply`'s temporary credentials).
    pub(crate) reply_secrets: Option<FindSecrets>,
}

/// Reads the secrets out of a reply body.
pub(crate) type FindSecrets = fn(&[u8]) -> Vec<String>;

impl Route<'_> {
    const POST: Route<'static> = Route {
        method: http::Method::POST,
        tail: "",
        reply_secrets: None,
    };
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
        let key = request.key();
        self.call(Call {
            endpoint: Endpoint::Create,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &request.secrets(),
            safety: if key.is_some() {
                Safety::Repeatable
            } else {
                Safety::Once
            },
            idempotency_key: key,
        })
    }

    /// Describes a job: state, progress, row counts, per-file details (pymilvus
    /// `get_import_progress`, endpoint `/describe`).
    pub fn get_import_progress(
        &self,
        request: &JobRequest,
    ) -> Result<ApiResponse<ImportProgress>, Error> {
        self.call(Call {
            endpoint: Endpoint::Describe,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &[],
            safety: Safety::Repeatable,
            idempotency_key: None,
        })
    }

    /// [`get_import_progress`](Self::get_import_progress) that ends by `until` at the latest
    /// (or the client's own deadline, if sooner): a poll of
    /// [`wait_for_import`](Self::wait_for_import) gets only the time the wait has left.
    pub(crate) fn get_import_progress_until(
        &self,
        request: &JobRequest,
        until: Option<Instant>,
    ) -> Result<ApiResponse<ImportProgress>, Error> {
        let call = Call {
            endpoint: Endpoint::Describe,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &[],
            safety: Safety::Repeatable,
            idempotency_key: None,
        };
        self.call_until(call, &Route::POST, until)
    }

    /// Lists jobs, one page on Zilliz Cloud, all of them on Milvus (pymilvus
    /// `list_import_jobs`).
    pub fn list_import_jobs(
        &self,
        request: &ListImportJobsRequest,
    ) -> Result<ApiResponse<ImportJobList>, Error> {
        self.call(Call {
            endpoint: Endpoint::List,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &[],
            safety: Safety::Repeatable,
            idempotency_key: None,
        })
    }

    /// Commits a two-phase import that reached
    /// [`Uncommitted`](crate::ImportJobState::Uncommitted) (created with option
    /// `auto_commit` = `"false"`; newest Milvus servers only).
    pub fn commit_import(&self, request: &JobRequest) -> Result<ApiResponse<()>, Error> {
        self.call(Call {
            endpoint: Endpoint::Commit,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &[],
            safety: Safety::Once,
            idempotency_key: None,
        })
    }

    /// Aborts a two-phase import before it is committed; the job ends
    /// [`Failed`](crate::ImportJobState::Failed).
    pub fn abort_import(&self, request: &JobRequest) -> Result<ApiResponse<()>, Error> {
        self.call(Call {
            endpoint: Endpoint::Abort,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &[],
            safety: Safety::Once,
            idempotency_key: None,
        })
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
        self.call(Call {
            endpoint: Endpoint::DescribeCollection,
            body: request.to_body()?,
            db_name: request.db(),
            secrets: &[],
            safety: Safety::Repeatable,
            idempotency_key: None,
        })
    }

    /// The one path every operation takes: build the request, send it, decode the reply, and
    /// retry what the [`RetryPolicy`] and the operation's safety allow.
    fn call<T: FromData>(&self, call: Call<'_>) -> Result<ApiResponse<T>, Error> {
        self.call_routed(call, &Route::POST)
    }

    /// A Zilliz Cloud volume call (src/volume.rs), through the same retry loop, headers and
    /// reply decoding as every operation.
    pub(crate) fn volume_call<T: FromData>(
        &self,
        route: &Route<'_>,
        body: Vec<u8>,
        safety: Safety,
    ) -> Result<ApiResponse<T>, Error> {
        let call = Call {
            endpoint: Endpoint::Volumes,
            body,
            db_name: "",
            secrets: &[],
            safety,
            idempotency_key: None,
        };
        self.call_routed(call, route)
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

    fn call_routed<T: FromData>(
        &self,
        call: Call<'_>,
        route: &Route<'_>,
    ) -> Result<ApiResponse<T>, Error> {
        self.call_until(call, route, None)
    }

    /// [`call_routed`](Self::call_routed), ended by `until` at the latest (the caller's own
    /// deadline, such as a wait's timeout) as well as by the client's deadline.
    fn call_until<T: FromData>(
        &self,
        call: Call<'_>,
        route: &Route<'_>,
        until: Option<Instant>,
    ) -> Result<ApiResponse<T>, Error> {
        let inner = &*self.inner;
        let url = format!("{}{}{}", inner.base_url, call.endpoint.path(), route.tail);
        let policy = &inner.retry;
        let started = Instant::now();
        // No retry starts after `end` (None: a budget too large to represent, i.e. no limit).
        let deadline = match (inner.deadline.and_then(|d| started.checked_add(d)), until) {
            (Some(own), Some(until)) => Some(own.min(until)),
            (own, until) => own.or(until),
        };
        let end = match (started.checked_add(policy.budget()), deadline) {
            (Some(budget), Some(deadline)) => Some(budget.min(deadline)),
            (budget, deadline) => budget.or(deadline),
        };
        let secrets = inner.secrets.with(call.secrets);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.attempt(&call, route, &url, deadline, secrets.clone());
            let err = match result {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let retry_after = match retryable(&err, call.safety) {
                Some(after) if attempt < policy.attempts() => after,
                _ => return Err(err.with_attempts(attempt)),
            };
            let left = end.map(|end| end.saturating_duration_since(Instant::now()));
            let wait = policy.backoff(attempt, retry_after);
            let too_late =
                left.is_some_and(|left| left.is_zero() || (retry_after.is_none() && wait >= left));
            if too_late {
                return Err(err.with_attempts(attempt));
            }
            // A server's Retry-After is honoured up to what is left of the budget.
            std::thread::sleep(left.map_or(wait, |left| wait.min(left)));
        }
    }

    /// One exchange: build the request, send it, decode the reply.
    fn attempt<T: FromData>(
        &self,
        call: &Call<'_>,
        route: &Route<'_>,
        url: &str,
        deadline: Option<Instant>,
        secrets: Secrets,
    ) -> Result<ApiResponse<T>, Error> {
        let inner = &*self.inner;
        let transport_error = |source| Error::Transport {
            url: url.to_string(),
            attempts: 1,
            source,
        };
        if let Some(deadline) = deadline {
            if Instant::now() >= deadline {
                return Err(transport_error(TransportError::new(
                    TransportErrorKind::Timeout,
                    "the call's deadline passed",
                )));
            }
        }
        // Built in place rather than through `http::request::Builder`, which moves the whole
        // request at each step: this is on every call's path.
        let invalid = |e: &dyn fmt::Display| {
            Error::InvalidRequest(format!("cannot build the HTTP request to {url}: {e}"))
        };
        let mut request = http::Request::new(call.body.clone());
        *request.method_mut() = route.method.clone();
        *request.uri_mut() = http::Uri::try_from(url).map_err(|e| invalid(&e))?;
        let headers = request.headers_mut();
        headers.reserve(7);
        headers.insert(AUTHORIZATION, inner.authorization.clone());
        if route.method == http::Method::POST {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        if !call.db_name.is_empty() {
            let value = HeaderValue::from_str(call.db_name).map_err(|e| invalid(&e))?;
            headers.insert(HeaderName::from_static("db-name"), value);
        }
        if let Some(key) = call.idempotency_key {
            let value = HeaderValue::from_str(key).map_err(|e| invalid(&e))?;
            headers.insert(HeaderName::from_static("idempotency-key"), value);
        }
        if let Some(deadline) = deadline {
            request.extensions_mut().insert(CallDeadline(deadline));
        }

        let started = Instant::now();
        let reply = inner.transport.send(request).map_err(transport_error)?;
        let secrets = match route.reply_secrets {
            Some(find) => {
                let found = find(reply.body());
                secrets.with(&found.iter().map(String::as_str).collect::<Vec<_>>())
            }
            None => secrets,
        };
        decode(Response::new(
            reply,
            url.to_string(),
            started.elapsed(),
            secrets,
        ))
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
                Error::Config(
                    "the API key contains characters that cannot be sent in an HTTP header".into(),
                )
            })?;
        authorization.set_sensitive(true);
        if let Some(deadline) = self.deadline {
            crate::transport::check_timeout("deadline", deadline)?;
        }
        let transport = match (self.transport, self.builtin.first) {
            (Some(_), Some(setting)) => {
                return Err(Error::Config(format!(
                    "{setting}() configures the built-in transport; a custom transport owns its \
                     own settings, so set them there"
                )))
            }
            (Some(transport), None) => transport,
            #[cfg(feature = "ureq")]
            (None, _) => Box::new(self.builtin.settings.build()?),
            #[cfg(not(feature = "ureq"))]
            (None, _) => {
                return Err(Error::Config(
                    "no transport: enable the `ureq` feature or pass one with .transport()".into(),
                ))
            }
        };
        Ok(BulkImportApi {
            inner: Arc::new(Inner {
                base_url,
                has_api_key: !self.api_key.is_empty(),
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
    // `http::Uri` takes any digits as a port, and an HTTP client given one it cannot use falls
    // back to the scheme's (`:99999` would send the request, API key and all, to port 80).
    // (`Authority::port` is `None` for a port out of range, so the text is read here.)
    let after_host = authority
        .as_str()
        .strip_prefix(authority.host())
        .unwrap_or_default();
    if let Some(digits) = after_host.strip_prefix(':') {
        if !digits.is_empty() && !matches!(digits.parse::<u16>(), Ok(1..)) {
            return Err(Error::Config(format!(
                "{trimmed:?}: the port {digits} is not a TCP port (1 to 65535)"
            )));
        }
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
