//! [`UreqTransport`], the built-in blocking transport on ureq 3.

use std::io;
use std::time::Duration;

use crate::api::check_timeout;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::transport::Transport;

/// The default transport: a keep-alive [ureq](https://docs.rs/ureq/3) agent with rustls.
///
/// * one connection pool, shared by every clone (and so by every clone of the
///   [`BulkImportApi`](crate::BulkImportApi) that owns it);
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
#[derive(Clone, Debug)]
pub struct UreqTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: u64,
}

impl UreqTransport {
    /// The default connect and read timeout: 20 s, as pymilvus.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
    /// The default limit on a reply body: 16 MiB.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;

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

    /// The largest reply body to accept, in bytes. Default 16 MiB.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Checks the settings and builds the transport and its connection pool.
    ///
    /// Fails with [`Error::Config`] for a timeout of zero or over 24 h, or a reply limit of 0.
    pub fn build(self) -> Result<UreqTransport, Error> {
        check_timeout("connect timeout", self.connect_timeout)?;
        check_timeout("timeout", self.timeout)?;
        if self.max_response_bytes == 0 {
            return Err(Error::Config(
                "the reply limit must be at least 1 byte".into(),
            ));
        }
        Ok(self.agent())
    }

    fn agent(self) -> UreqTransport {
        let connect = Some(self.connect_timeout);
        let io = Some(self.timeout);
        let agent = ::ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_resolve(connect)
            .timeout_connect(connect)
            .timeout_per_read(io)
            .timeout_per_write(io)
            .build()
            .new_agent();
        UreqTransport {
            agent,
            max_response_bytes: self.max_response_bytes,
        }
    }
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let response = self.agent.run(request).map_err(from_ureq)?;
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
        E::Tls(_) | E::Pem(_) | E::Rustls(_) => TransportErrorKind::Tls,
        E::Io(io) => io_kind(io),
        E::Protocol(_) => TransportErrorKind::Interrupted,
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, err)
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

/// rustls reports handshake and certificate failures as `InvalidData` I/O errors that wrap a
/// `rustls::Error`; we don't depend on rustls directly, so recognise it by its message.
fn is_tls(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::InvalidData
        && err.get_ref().is_some_and(|inner| {
            let text = inner.to_string();
            text.contains("certificate") || text.contains("handshake") || text.contains("TLS")
        })
}
