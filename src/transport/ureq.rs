//! [`UreqTransport`], the built-in blocking transport on ureq 3.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ::ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
use ::ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};

use crate::api::check_timeout;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::transport::{CallDeadline, Transport};

mod resolve;
mod tcp;

/// The default transport: a keep-alive [ureq](https://docs.rs/ureq/3) agent with rustls.
///
/// * one connection pool, shared by every clone (and so by every clone of the
///   [`BulkImportApi`](crate::BulkImportApi) that owns it), keeping up to 32 idle keep-alive
///   connections per host: enough for as many threads sharing the client
///   ([`max_idle_connections`](UreqTransportBuilder::max_idle_connections));
/// * no thread per call: an IP address is not looked up, and a host name's addresses are
///   kept for 15 s (the longest ureq keeps an idle connection); a lookup that is needed runs
///   on a thread of its own only so that the connect timeout can cut it short, shared by the
///   calls that need the same name at the same time;
/// * a [`CallDeadline`] bounds the whole exchange: name lookup, connecting, sending the body
///   and reading the reply, whatever pace the server reads or writes at;
/// * every HTTP status is returned as a reply, never as an error;
/// * redirects are not followed (a `3xx` is returned as it is: an import request must not be
///   replayed to another host with its API key);
/// * connect timeout and read timeout (the longest wait for any one read, as in Python's
///   `requests`) default to 20 s, pymilvus's default;
/// * the reply body is read to its end, up to a limit (16 MiB by default); a larger reply is a
///   [`TransportErrorKind::BodyTooLarge`] error, refused from its `Content-Length` when it has
///   one, and after at most `limit` bytes otherwise.
///
/// ```
/// use std::time::Duration;
/// use milvus_bulk_import::{BulkImportApi, UreqTransport};
///
/// let transport = UreqTransport::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(60))
///     .max_response_bytes(64 << 20)
///     .build()?;
/// let api = BulkImportApi::builder("http://127.0.0.1:19530")
///     .api_key("root:Milvus")
///     .transport(transport)
///     .build()?;
/// # let _ = api;
/// # Ok::<(), milvus_bulk_import::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UreqTransport {
    agent: ::ureq::Agent,
    /// With extra CA certificates *added* to the built-in roots: `agent` trusts the bundle,
    /// this one the built-in roots (see [`UreqTransport::send`]).
    fallback: Option<Fallback>,
    max_response_bytes: u64,
}

#[derive(Clone, Debug)]
struct Fallback {
    agent: ::ureq::Agent,
    /// The last server certificate was accepted by `agent` only: try it first.
    prefer: Arc<AtomicBool>,
}

/// Settings for a [`UreqTransport`]; see [`UreqTransport::builder`].
///
/// Its `Debug` output shows where TLS material comes from, never the material itself.
#[derive(Clone, Debug)]
pub struct UreqTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: u64,
    ca_bundles: Vec<Material>,
    replace_roots: bool,
    client_identity: Option<(Material, Material)>,
    danger_accept_invalid_certs: bool,
    max_idle_connections: usize,
}

/// PEM given in memory or by path; read and checked in [`UreqTransportBuilder::build`].
#[derive(Clone)]
enum Material {
    Pem(Vec<u8>),
    Path(PathBuf),
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Material::Pem(pem) => write!(f, "<{} bytes of PEM>", pem.len()),
            Material::Path(path) => write!(f, "{:?}", path),
        }
    }
}

impl Material {
    /// Where it comes from, for error messages (never its content).
    fn describe(&self, what: &str) -> String {
        match self {
            Material::Pem(_) => format!("the {what} PEM"),
            Material::Path(path) => format!("the {what} file {}", path.display()),
        }
    }

    fn read(&self, what: &str) -> Result<Vec<u8>, Error> {
        match self {
            Material::Pem(pem) => Ok(pem.clone()),
            Material::Path(path) => std::fs::read(path).map_err(|err| {
                Error::Config(format!("cannot read {}: {err}", self.describe(what)))
            }),
        }
    }

    /// The PEM items, or a message that names the source but quotes none of it.
    fn items(&self, what: &str) -> Result<Vec<PemItem<'static>>, Error> {
        let pem = self.read(what)?;
        if pem.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Config(format!("{} is empty", self.describe(what))));
        }
        ::ureq::tls::parse_pem(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::Config(format!("{} is not valid PEM", self.describe(what))))
    }

    fn certificates(&self, what: &str) -> Result<Vec<Certificate<'static>>, Error> {
        let certs: Vec<_> = self
            .items(what)?
            .into_iter()
            .filter_map(|item| match item {
                PemItem::Certificate(cert) => Some(cert),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Error::Config(format!(
                "{} holds no certificate (no `BEGIN CERTIFICATE` block)",
                self.describe(what)
            )));
        }
        for (i, cert) in certs.iter().enumerate() {
            if der::spki(cert.der()).is_none() {
                return Err(Error::Config(format!(
                    "certificate {} in {} is not a valid X.509 certificate",
                    i + 1,
                    self.describe(what)
                )));
            }
        }
        Ok(certs)
    }

    fn private_key(&self) -> Result<PrivateKey<'static>, Error> {
        let mut keys = self
            .items("client key")?
            .into_iter()
            .filter_map(|item| match item {
                PemItem::PrivateKey(key) => Some(key),
                _ => None,
            });
        let key = keys.next().ok_or_else(|| {
            Error::Config(format!(
                "{} holds no private key (an unencrypted PKCS#8, PKCS#1 or SEC1 PEM block)",
                self.describe("client key")
            ))
        })?;
        if keys.next().is_some() {
            return Err(Error::Config(format!(
                "{} holds more than one private key",
                self.describe("client key")
            )));
        }
        Ok(key)
    }
}

impl UreqTransport {
    /// The default connect and read timeout: 20 s, as pymilvus.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
    /// The default limit on a reply body: 16 MiB.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;
    /// The default number of idle keep-alive connections kept per host: 32, enough for as
    /// many threads sharing one client.
    pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 32;

    /// A transport with the default settings.
    pub fn new() -> Self {
        UreqTransportBuilder::default().agent()
    }

    /// Settings to start from: 20 s timeouts, a 16 MiB reply limit.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// The largest reply body this transport accepts.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        UreqTransportBuilder {
            connect_timeout: UreqTransport::DEFAULT_TIMEOUT,
            timeout: UreqTransport::DEFAULT_TIMEOUT,
            max_response_bytes: UreqTransport::DEFAULT_MAX_RESPONSE_BYTES,
            ca_bundles: Vec::new(),
            replace_roots: false,
            client_identity: None,
            danger_accept_invalid_certs: false,
            max_idle_connections: UreqTransport::DEFAULT_MAX_IDLE_CONNECTIONS,
        }
    }
}

impl UreqTransportBuilder {
    /// How long to wait for name resolution, the TCP connection and the TLS handshake, each.
    /// Default 20 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long any single read or write may wait for the network once connected. Default
    /// 20 s. (Like `requests`' read timeout, this is not a bound on the whole call.)
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many idle keep-alive connections to keep per host, for the next calls (default
    /// [`DEFAULT_MAX_IDLE_CONNECTIONS`](UreqTransport::DEFAULT_MAX_IDLE_CONNECTIONS), 32);
    /// twice as many are kept over all hosts.
    ///
    /// Each call that finds no idle connection opens a new one (with `https`, a TLS handshake
    /// too), and one that finds the pool full closes its connection when it is done. Size it
    /// to the number of threads that share the client (each clone shares the pool). `0` keeps
    /// none: every call opens a connection.
    ///
    /// ```
    /// use milvus_bulk_import::UreqTransport;
    ///
    /// // 64 worker threads share one client.
    /// let transport = UreqTransport::builder().max_idle_connections(64).build()?;
    /// # let _ = transport;
    /// # Ok::<(), milvus_bulk_import::Error>(())
    /// ```
    pub fn max_idle_connections(mut self, connections: usize) -> Self {
        self.max_idle_connections = connections;
        self
    }

    /// The largest reply body to accept, in bytes. Default 16 MiB.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Also trust the CA certificates in this PEM bundle (one or more `BEGIN CERTIFICATE`
    /// blocks), for a server whose certificate a private CA signed.
    ///
    /// They are *added* to the built-in roots (Mozilla's, from `webpki-roots`) unless
    /// [`replace_roots(true)`](Self::replace_roots). Each call adds one more bundle. The PEM
    /// is checked by [`build`](Self::build): an empty bundle, or one that is not PEM or holds
    /// no certificate, is an [`Error::Config`] there.
    ///
    /// ```
    /// use milvus_bulk_import::{Error, UreqTransport};
    ///
    /// # fn pem() -> Vec<u8> { Vec::new() }
    /// let ca_pem: Vec<u8> = pem(); // e.g. std::fs::read("ca.pem")?
    /// let builder = UreqTransport::builder().ca_bundle_pem(ca_pem);
    /// # let _ = builder;
    ///
    /// // Checked when built: an empty bundle is refused.
    /// let err = UreqTransport::builder().ca_bundle_pem("").build().unwrap_err();
    /// assert!(matches!(err, Error::Config(_)));
    /// ```
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_bundles.push(Material::Pem(pem.into()));
        self
    }

    /// Like [`ca_bundle_pem`](Self::ca_bundle_pem), read from a file by
    /// [`build`](Self::build) (a file that cannot be read is an [`Error::Config`] there).
    ///
    /// ```
    /// use milvus_bulk_import::UreqTransport;
    ///
    /// let builder = UreqTransport::builder().ca_bundle_path("/etc/milvus/ca.pem");
    /// # let _ = builder;
    /// ```
    pub fn ca_bundle_path(mut self, path: impl AsRef<Path>) -> Self {
        self.ca_bundles
            .push(Material::Path(path.as_ref().to_path_buf()));
        self
    }

    /// With `true`, trust *only* the CA bundles given (no built-in roots). Default `false`.
    /// Without any bundle this has no effect.
    ///
    /// ```
    /// use milvus_bulk_import::UreqTransport;
    ///
    /// let builder = UreqTransport::builder()
    ///     .ca_bundle_path("/etc/milvus/ca.pem")
    ///     .replace_roots(true);
    /// # let _ = builder;
    /// ```
    pub fn replace_roots(mut self, replace: bool) -> Self {
        self.replace_roots = replace;
        self
    }

    /// Present this client certificate (PEM, optionally followed by its intermediates) and
    /// private key (an unencrypted PKCS#8, PKCS#1 or SEC1 PEM block) to servers that ask for
    /// one: mutual TLS.
    ///
    /// Checked by [`build`](Self::build): no certificate, no key, a key that does not match
    /// the certificate, or a key type the TLS library cannot sign with (RSA of 2048 bits or
    /// more, ECDSA P-256 or P-384, Ed25519) is an [`Error::Config`]. No error text ever
    /// includes key material, nor does the builder's `Debug`.
    ///
    /// ```
    /// use milvus_bulk_import::UreqTransport;
    ///
    /// # fn pem() -> Vec<u8> { Vec::new() }
    /// let (cert_pem, key_pem) = (pem(), pem()); // e.g. std::fs::read("client.pem")?
    /// let builder = UreqTransport::builder().client_identity_pem(cert_pem, key_pem);
    /// # let _ = builder;
    /// ```
    pub fn client_identity_pem(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.client_identity = Some((
            Material::Pem(cert_pem.into()),
            Material::Pem(key_pem.into()),
        ));
        self
    }

    /// Like [`client_identity_pem`](Self::client_identity_pem), read from files by
    /// [`build`](Self::build). Both paths may name the same file if it holds both.
    ///
    /// ```
    /// use milvus_bulk_import::UreqTransport;
    ///
    /// let builder = UreqTransport::builder()
    ///     .client_identity_paths("/etc/milvus/client.pem", "/etc/milvus/client.key");
    /// # let _ = builder;
    /// ```
    pub fn client_identity_paths(mut self, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        self.client_identity = Some((
            Material::Path(cert.as_ref().to_path_buf()),
            Material::Path(key.as_ref().to_path_buf()),
        ));
        self
    }

    /// With `true`, accept any server certificate, expired, self-signed or for another host
    /// (like Python's `verify=False`). For lab servers only: the connection is encrypted but
    /// anyone on the path can read and change it, API key included. Default `false`; when
    /// `true`, CA bundles are still checked by [`build`](Self::build) but not used.
    ///
    /// ```
    /// use milvus_bulk_import::UreqTransport;
    ///
    /// let transport = UreqTransport::builder()
    ///     .danger_accept_invalid_certs(true)
    ///     .build()?;
    /// # let _ = transport;
    /// # Ok::<(), milvus_bulk_import::Error>(())
    /// ```
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self
    }

    /// Checks the settings, reads and checks the TLS material, and builds the transport and
    /// its connection pool.
    ///
    /// Fails with [`Error::Config`] for a timeout of zero or over 24 h, a reply limit of 0,
    /// or TLS material that cannot be read or used (see [`ca_bundle_pem`](Self::ca_bundle_pem)
    /// and [`client_identity_pem`](Self::client_identity_pem)).
    pub fn build(self) -> Result<UreqTransport, Error> {
        check_timeout("connect timeout", self.connect_timeout)?;
        check_timeout("timeout", self.timeout)?;
        if self.max_response_bytes == 0 {
            return Err(Error::Config(
                "the reply limit must be at least 1 byte".into(),
            ));
        }
        let mut bundle = Vec::new();
        for source in &self.ca_bundles {
            bundle.extend(source.certificates("CA bundle")?);
        }
        let client_cert = match &self.client_identity {
            None => None,
            Some((cert, key)) => Some(client_cert(cert, key)?),
        };
        Ok(self.transport(bundle, client_cert))
    }

    fn agent(self) -> UreqTransport {
        self.transport(Vec::new(), None)
    }

    fn transport(
        self,
        bundle: Vec<Certificate<'static>>,
        client_cert: Option<ClientCert>,
    ) -> UreqTransport {
        let tls = |roots: RootCerts| {
            TlsConfig::builder()
                .root_certs(roots)
                .client_cert(client_cert.clone())
                .disable_verification(self.danger_accept_invalid_certs)
                .build()
        };
        // One resolver for both agents: a name looked up by one serves the other.
        let resolver = resolve::CachingResolver::default();
        let new_agent = |tls: TlsConfig| {
            let connect = Some(self.connect_timeout);
            let io = Some(self.timeout);
            let config = ::ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_resolve(connect)
                .timeout_connect(connect)
                .timeout_per_read(io)
                .timeout_per_write(io)
                .max_idle_connections_per_host(self.max_idle_connections)
                .max_idle_connections(self.max_idle_connections.saturating_mul(2))
                .tls_config(tls)
                .build();
            // ureq's default chain (HTTP CONNECT proxy, TCP, rustls) with this crate's TCP
            // layer, which keeps the call's time limit in every phase (see tcp.rs).
            let connector =
                ().chain(ConnectProxyConnector::default())
                    .chain(tcp::TcpConnector)
                    .chain(RustlsConnector::default());
            ::ureq::Agent::with_parts(config, connector, resolver.clone())
        };
        let (agent, fallback) = if bundle.is_empty() || self.danger_accept_invalid_certs {
            (new_agent(tls(RootCerts::WebPki)), None)
        } else if self.replace_roots {
            (new_agent(tls(RootCerts::from(bundle))), None)
        } else {
            // ureq takes either its built-in roots or a given set, not both; and this crate
            // cannot read the built-in set. Trusting the union is the same as trusting a
            // chain that ends at a root of either set: one agent per set, the other tried
            // when the first rejects the server's certificate (before any request byte is
            // sent, so trying again is safe for every operation).
            let fallback = Fallback {
                agent: new_agent(tls(RootCerts::WebPki)),
                prefer: Arc::new(AtomicBool::new(false)),
            };
            (new_agent(tls(RootCerts::from(bundle))), Some(fallback))
        };
        UreqTransport {
            agent,
            fallback,
            max_response_bytes: self.max_response_bytes,
        }
    }
}

/// Reads and checks a client certificate chain and its key.
fn client_cert(cert: &Material, key: &Material) -> Result<ClientCert, Error> {
    let chain = cert.certificates("client certificate")?;
    let private_key = key.private_key()?;
    let what = || cert.describe("client certificate");
    match der::key_matches(chain[0].der(), &private_key) {
        der::KeyCheck::Matches => Ok(ClientCert::new_with_certs(&chain, private_key)),
        der::KeyCheck::Mismatch => Err(Error::Config(format!(
            "the client private key does not match the public key of {}",
            what()
        ))),
        der::KeyCheck::Unsupported(why) => Err(Error::Config(format!(
            "unusable client identity ({}): {why}",
            what()
        ))),
    }
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let response = match &self.fallback {
            None => run(&self.agent, request).map_err(from_ureq)?,
            Some(fallback) => {
                let copy = copy_request(&request);
                let prefer_fallback = fallback.prefer.load(Ordering::Relaxed);
                let (first, second) = if prefer_fallback {
                    (&fallback.agent, &self.agent)
                } else {
                    (&self.agent, &fallback.agent)
                };
                match run(first, request) {
                    Err(err) if is_untrusted_certificate(&err) => {
                        let response = run(second, copy).map_err(from_ureq)?;
                        fallback.prefer.store(!prefer_fallback, Ordering::Relaxed);
                        response
                    }
                    other => other.map_err(from_ureq)?,
                }
            }
        };
        let (parts, mut body) = response.into_parts();
        let limit = self.max_response_bytes;
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = declared.filter(|&len| len > limit) {
            return Err(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("the reply declares {len} bytes, over the limit of {limit}"),
            ));
        }
        let bytes = body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(from_ureq)?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

fn copy_request(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

/// The server's certificate chain was refused by our verifier (the handshake stopped before
/// any request byte was sent).
fn is_untrusted_certificate(err: &::ureq::Error) -> bool {
    match err {
        ::ureq::Error::Rustls(inner) => inner.to_string().starts_with("invalid peer certificate"),
        ::ureq::Error::Io(io) => {
            io.kind() == io::ErrorKind::InvalidData
                && io
                    .get_ref()
                    .is_some_and(|inner| inner.to_string().starts_with("invalid peer certificate"))
        }
        _ => false,
    }
}

/// Runs `request` on `agent`, cut off at the request's [`CallDeadline`] when it has one.
fn run(
    agent: &::ureq::Agent,
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<::ureq::Body>, ::ureq::Error> {
    match request.extensions().get::<CallDeadline>().copied() {
        Some(CallDeadline(at)) => {
            let left = at.saturating_duration_since(std::time::Instant::now());
            let request = agent
                .configure_request(request)
                .timeout_global(Some(left.max(Duration::from_millis(1))))
                .build();
            agent.run(request)
        }
        None => agent.run(request),
    }
}

fn from_ureq(err: ::ureq::Error) -> TransportError {
    use ::ureq::Error as E;
    let kind = match &err {
        E::Timeout(_) => TransportErrorKind::Timeout,
        E::HostNotFound | E::ConnectionFailed => TransportErrorKind::Connect,
        E::BodyExceedsLimit(limit) => {
            return TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("the reply is over the limit of {limit} bytes"),
            )
        }
        E::LargeResponseHeader(_, limit) => {
            return TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("the reply's head is over the limit of {limit} bytes"),
            )
        }
        // ureq-proto's `HttpParseTooManyHeaders` (ureq does not export the type).
        E::Protocol(inner) if inner.to_string().contains("too many headers") => {
            return TransportError::new(
                TransportErrorKind::BodyTooLarge,
                "the reply has too many headers (ureq reads at most 128)",
            )
        }
        E::Tls(_) | E::Pem(_) | E::Rustls(_) => TransportErrorKind::Tls,
        E::Io(io) if is_unresolved_name(io) => TransportErrorKind::Connect,
        E::Io(io) => io_kind(io),
        // A reply that is not HTTP as it should be: asking again will not mend it.
        E::Protocol(_) => TransportErrorKind::Other,
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, err)
}

/// The host name could not be resolved: nothing was sent.
fn is_unresolved_name(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<resolve::NameNotResolved>())
}

fn io_kind(err: &io::Error) -> TransportErrorKind {
    use io::ErrorKind as K;
    match err.kind() {
        K::TimedOut | K::WouldBlock => TransportErrorKind::Timeout,
        K::ConnectionRefused
        | K::NotConnected
        | K::AddrNotAvailable
        | K::HostUnreachable
        | K::NetworkUnreachable => TransportErrorKind::Connect,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            TransportErrorKind::Interrupted
        }
        _ if is_tls(err) => TransportErrorKind::Tls,
        _ => TransportErrorKind::Other,
    }
}

/// rustls reports handshake and certificate failures (ours, or the server's alert refusing
/// our certificate) as `InvalidData` I/O errors that wrap a `rustls::Error`. This crate does
/// not depend on rustls, so it recognises one by how its `Display` starts (rustls 0.23).
fn is_tls(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::InvalidData
        && err
            .get_ref()
            .is_some_and(|inner| is_rustls_message(&inner.to_string()))
}

/// The start of each `rustls::Error` message that is about TLS itself.
const RUSTLS_MESSAGES: &[&str] = &[
    "received unexpected message",
    "received unexpected handshake message",
    "received corrupt message",
    "peer is incompatible",
    "peer misbehaved",
    "received fatal alert",
    "invalid peer certificate",
    "invalid certificate revocation list",
    "peer sent no certificates",
    "presented server name type wasn't supported",
    "cannot decrypt peer's message",
    "encrypted client hello failure",
    "cannot encrypt message",
    "peer sent excess record size",
    "handshake not complete",
    "peer doesn't support any known protocol",
    "keys may not be consistent",
];

fn is_rustls_message(text: &str) -> bool {
    RUSTLS_MESSAGES.iter().any(|start| text.starts_with(start))
}

/// Just enough DER to check a client key against its certificate without a crypto library:
/// the public key is read from the certificate and from the private key (RSA keys hold it,
/// EC and Ed25519 keys in the usual encodings carry it) and compared.
mod der {
    use super::PrivateKey;

    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    const OCTET_STRING: u8 = 0x04;
    const OID: u8 = 0x06;

    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

    /// One TLV off the front of `input`.
    fn next<'a>(input: &mut &'a [u8]) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let (bytes, tail) = rest.split_at(n);
            rest = tail;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if rest.len() < len {
            return None;
        }
        let (body, tail) = rest.split_at(len);
        *input = tail;
        Some((tag, body))
    }

    fn expect<'a>(input: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
        match next(input)? {
            (t, body) if t == tag => Some(body),
            _ => None,
        }
    }

    /// The single TLV `input` holds, with nothing after it.
    fn whole(mut input: &[u8], tag: u8) -> Option<&[u8]> {
        let body = expect(&mut input, tag)?;
        input.is_empty().then_some(body)
    }

    fn bits(body: &[u8]) -> Option<&[u8]> {
        match body.split_first()? {
            (0, rest) => Some(rest),
            _ => None,
        }
    }

    fn unsigned(int: &[u8]) -> &[u8] {
        let zeros = int.iter().take_while(|&&b| b == 0).count();
        &int[zeros.min(int.len().saturating_sub(1))..]
    }

    /// A certificate's public key: algorithm OID, its parameters (a curve OID) and key bytes.
    pub(super) struct Spki<'a> {
        alg: &'a [u8],
        params: Option<&'a [u8]>,
        key: &'a [u8],
    }

    /// Reads the public key of an X.509 certificate; `None` if it is not one.
    pub(super) fn spki(cert: &[u8]) -> Option<Spki<'_>> {
        let mut cert = whole(cert, SEQUENCE)?;
        let mut tbs = expect(&mut cert, SEQUENCE)?;
        expect(&mut cert, SEQUENCE)?; // signature algorithm
        expect(&mut cert, BIT_STRING)?;
        if !cert.is_empty() {
            return None;
        }
        if tbs.first() == Some(&0xa0) {
            next(&mut tbs)?; // version
        }
        expect(&mut tbs, INTEGER)?; // serial
        for _ in 0..4 {
            expect(&mut tbs, SEQUENCE)?; // signature, issuer, validity, subject
        }
        let mut spki = expect(&mut tbs, SEQUENCE)?;
        let mut alg_id = expect(&mut spki, SEQUENCE)?;
        let alg = expect(&mut alg_id, OID)?;
        let params = match next(&mut alg_id) {
            Some((OID, curve)) => Some(curve),
            _ => None,
        };
        let key = bits(expect(&mut spki, BIT_STRING)?)?;
        Some(Spki { alg, params, key })
    }

    pub(super) enum KeyCheck {
        Matches,
        Mismatch,
        Unsupported(&'static str),
    }

    /// Does `key` belong to the certificate `cert` (already checked by [`spki`])?
    pub(super) fn key_matches(cert: &[u8], key: &PrivateKey<'_>) -> KeyCheck {
        let Some(spki) = spki(cert) else {
            return KeyCheck::Unsupported("the certificate is not valid X.509");
        };
        // The encoding (ureq does not export its `KeyKind`) from the second field:
        // PKCS#1 `n`, SEC1 `privateKey`, PKCS#8 `algorithm`.
        let second = whole(key.der(), SEQUENCE).and_then(|mut seq| {
            expect(&mut seq, INTEGER)?;
            next(&mut seq).map(|(tag, _)| tag)
        });
        let public = match second {
            Some(INTEGER) => rsa_public(key.der()).map(Public::Rsa),
            Some(OCTET_STRING) => sec1_public(key.der()).map(Public::Ec),
            Some(SEQUENCE) => pkcs8_public(key.der()),
            _ => Err(MALFORMED),
        };
        let public = match public {
            Ok(public) => public,
            Err(why) => return KeyCheck::Unsupported(why),
        };
        let matches = match (public, spki.alg) {
            (Public::Rsa((n, e)), RSA) => {
                let Some((cert_n, cert_e)) = rsa_spki(spki.key) else {
                    return KeyCheck::Unsupported("the certificate's RSA key is malformed");
                };
                if unsigned(n).len() < 256 {
                    return KeyCheck::Unsupported("RSA client keys must have at least 2048 bits");
                }
                unsigned(n) == unsigned(cert_n) && unsigned(e) == unsigned(cert_e)
            }
            (Public::Ec(point), EC) => {
                if !matches!(spki.params, Some(P256) | Some(P384)) {
                    return KeyCheck::Unsupported("only P-256 and P-384 EC keys are supported");
                }
                match point {
                    Some(point) => point == spki.key,
                    None => {
                        return KeyCheck::Unsupported(
                            "the EC private key does not include its public key, so it cannot \
                             be checked against the certificate; re-export it with it",
                        )
                    }
                }
            }
            (Public::Ed25519(point), ED25519) => match point {
                Some(point) => point == spki.key,
                None => {
                    return KeyCheck::Unsupported(
                        "the Ed25519 private key does not include its public key (PKCS#8 v1), \
                         so it cannot be checked against the certificate; use PKCS#8 v2",
                    )
                }
            },
            (_, RSA) | (_, EC) | (_, ED25519) => false,
            _ => {
                return KeyCheck::Unsupported(
                    "the certificate's key type is not supported (RSA, ECDSA P-256/P-384 or \
                     Ed25519)",
                )
            }
        };
        if matches {
            KeyCheck::Matches
        } else {
            KeyCheck::Mismatch
        }
    }

    enum Public<'a> {
        Rsa((&'a [u8], &'a [u8])),
        Ec(Option<&'a [u8]>),
        Ed25519(Option<&'a [u8]>),
    }

    const MALFORMED: &str = "the private key is malformed";

    /// `RSAPublicKey ::= SEQUENCE { n, e }`
    fn rsa_spki(key: &[u8]) -> Option<(&[u8], &[u8])> {
        let mut seq = whole(key, SEQUENCE)?;
        let n = expect(&mut seq, INTEGER)?;
        let e = expect(&mut seq, INTEGER)?;
        seq.is_empty().then_some((n, e))
    }

    /// `RSAPrivateKey ::= SEQUENCE { version, n, e, d, ... }`
    fn rsa_public(der: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
        let mut seq = whole(der, SEQUENCE).ok_or(MALFORMED)?;
        expect(&mut seq, INTEGER).ok_or(MALFORMED)?;
        let n = expect(&mut seq, INTEGER).ok_or(MALFORMED)?;
        let e = expect(&mut seq, INTEGER).ok_or(MALFORMED)?;
        Ok((n, e))
    }

    /// `ECPrivateKey ::= SEQUENCE { version, privateKey, [0] parameters OPTIONAL,
    /// [1] publicKey OPTIONAL }`
    fn sec1_public(der: &[u8]) -> Result<Option<&[u8]>, &'static str> {
        let mut seq = whole(der, SEQUENCE).ok_or(MALFORMED)?;
        expect(&mut seq, INTEGER).ok_or(MALFORMED)?;
        expect(&mut seq, OCTET_STRING).ok_or(MALFORMED)?;
        while let Some((tag, body)) = next(&mut seq) {
            if tag == 0xa1 {
                let point = whole(body, BIT_STRING).and_then(bits).ok_or(MALFORMED)?;
                return Ok(Some(point));
            }
        }
        Ok(None)
    }

    /// `OneAsymmetricKey ::= SEQUENCE { version, algorithm, privateKey,
    /// [0] attributes OPTIONAL, [1] IMPLICIT publicKey OPTIONAL }`
    fn pkcs8_public(der: &[u8]) -> Result<Public<'_>, &'static str> {
        let mut seq = whole(der, SEQUENCE).ok_or(MALFORMED)?;
        expect(&mut seq, INTEGER).ok_or(MALFORMED)?;
        let mut alg_id = expect(&mut seq, SEQUENCE).ok_or(MALFORMED)?;
        let alg = expect(&mut alg_id, OID).ok_or(MALFORMED)?;
        let inner = expect(&mut seq, OCTET_STRING).ok_or(MALFORMED)?;
        let mut public = None;
        while let Some((tag, body)) = next(&mut seq) {
            if tag == 0x81 {
                public = Some(bits(body).ok_or(MALFORMED)?);
            }
        }
        match alg {
            RSA => rsa_public(inner).map(Public::Rsa),
            EC => Ok(Public::Ec(sec1_public(inner)?.or(public))),
            ED25519 => Ok(Public::Ed25519(public)),
            _ => Err("the private key type is not supported (RSA, ECDSA P-256/P-384 or Ed25519)"),
        }
    }
}
