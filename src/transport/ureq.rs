//! [`UreqTransport`], the built-in blocking transport on ureq 3.

use std::io;
use std::path::Path;
use std::time::Duration;

use ::ureq::tls::TlsConfig;
use ::ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};

use crate::error::{Error, TransportError, TransportErrorKind};
use crate::transport::tls::{Material, TlsSettings};
use crate::transport::{check_timeout, CallDeadline, Transport};

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
    max_response_bytes: u64,
}

/// Settings for a [`UreqTransport`]; see [`UreqTransport::builder`].
///
/// Its `Debug` output shows where TLS material comes from, never the material itself.
#[must_use]
#[derive(Clone, Debug)]
pub struct UreqTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: u64,
    max_idle_connections: usize,
    tls: TlsSettings,
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
        UreqTransportBuilder::default().agent(TlsConfig::default())
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
            max_idle_connections: UreqTransport::DEFAULT_MAX_IDLE_CONNECTIONS,
            tls: TlsSettings::default(),
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
    /// They are *added* to the built-in roots (Mozilla's, as `webpki-roots` ships them) unless
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
        self.tls.ca_bundles.push(Material::Pem(pem.into()));
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
        self.tls
            .ca_bundles
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
        self.tls.replace_roots = replace;
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
        self.tls.client_identity = Some((
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
        self.tls.client_identity = Some((
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
        self.tls.danger_accept_invalid_certs = accept;
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
            return Err(Error::config("the reply limit must be at least 1 byte"));
        }
        let tls = self.tls.config()?;
        Ok(self.agent(tls))
    }

    fn agent(self, tls: TlsConfig) -> UreqTransport {
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
        let resolver = resolve::CachingResolver::default();
        UreqTransport {
            agent: ::ureq::Agent::with_parts(config, connector, resolver),
            max_response_bytes: self.max_response_bytes,
        }
    }
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let response = run(&self.agent, request).map_err(from_ureq)?;
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
/// our certificate) as I/O errors that wrap a `rustls::Error`.
fn is_tls(err: &io::Error) -> bool {
    let mut cause = err
        .get_ref()
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    while let Some(err) = cause {
        if err.is::<rustls::Error>() {
            return true;
        }
        // An `io::Error`'s `source()` skips the error it wraps.
        cause = match err.downcast_ref::<io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}
