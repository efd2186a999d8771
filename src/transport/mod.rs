//! The HTTP layer: the [`Transport`] trait, its impls for smart pointers, and [`FnTransport`],
//! which turns a closure into a transport.

use std::sync::Arc;

use crate::error::TransportError;

#[cfg(feature = "ureq")]
mod tls;
#[cfg(feature = "ureq")]
pub(crate) mod ureq;

/// Sends one HTTP request and returns its reply, whatever the status.
///
/// This is the crate's only seam to the network. [`BulkImportApi`](crate::BulkImportApi) builds
/// a complete `http::Request` (method, absolute URL, headers, JSON body) and hands it over; the
/// transport returns the reply with its whole body. A transport returns `Ok` for **every** HTTP
/// status, 404 and 500 included: status codes, Milvus error envelopes and retries are decided
/// in one place, the API layer (which calls `send` once per attempt of its
/// [`RetryPolicy`](crate::RetryPolicy)). `Err` is only for exchanges that did not complete, and
/// its [`TransportErrorKind`](crate::TransportErrorKind) decides whether the attempt is retried.
///
/// **Do not follow redirects.** Every request carries the API key in its `Authorization`
/// header; a transport that follows a `3xx` would send the key to whatever host the reply
/// names. Return the `3xx` reply as it is (the client reports it as an
/// [`Error::HttpStatus`](crate::Error::HttpStatus)), as the built-in transport does.
///
/// Implemented by [`UreqTransport`](crate::UreqTransport) (feature `ureq`, the default),
/// [`MockTransport`](crate::MockTransport) (feature `mock`), `Arc<T>` and `Box<T>` of any
/// transport, and [`FnTransport`] for closures.
///
/// A custom transport, for example one that adds a proxy-authorization header and delegates:
///
/// ```
/// use milvus_bulk_import::{http, Transport, TransportError};
///
/// struct WithProxyAuth<T>(T);
///
/// impl<T: Transport> Transport for WithProxyAuth<T> {
///     fn send(
///         &self,
///         mut request: http::Request<Vec<u8>>,
///     ) -> Result<http::Response<Vec<u8>>, TransportError> {
///         request.headers_mut().insert(
///             "proxy-authorization",
///             http::HeaderValue::from_static("Basic dXNlcjpwYXNz"),
///         );
///         self.0.send(request)
///     }
/// }
/// # let _ = WithProxyAuth(milvus_bulk_import::FnTransport::new(|_req| {
/// #     Ok(http::Response::new(Vec::new()))
/// # }));
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the reply, with `Ok` for every HTTP status.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (**self).send(request)
    }
}

/// An `http::Request` extension: the instant by which the whole call must be done, set when
/// [`BulkImportApiBuilder::deadline`](crate::BulkImportApiBuilder::deadline) is. The built-in
/// transport cuts an exchange off there; a custom transport may read it with
/// `request.extensions().get::<CallDeadline>()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallDeadline(pub std::time::Instant);

/// A [`Transport`] made from a closure.
///
/// Handy for tests and for adapting another HTTP client in a few lines. (A blanket impl of
/// `Transport` for closures would clash with the impl for `Box<T>`, hence this small wrapper.)
///
/// ```
/// use milvus_bulk_import::{http, BulkImportApi, FnTransport, JobRequest};
///
/// let transport = FnTransport::new(|request: http::Request<Vec<u8>>| {
///     assert_eq!(request.uri().path(), "/v2/vectordb/jobs/import/commit");
///     Ok(http::Response::new(br#"{"code":0,"data":{}}"#.to_vec()))
/// });
/// let api = BulkImportApi::builder("http://127.0.0.1:19530").transport(transport).build()?;
/// api.commit_import(&JobRequest::new("453240863839750922"))?;
/// # Ok::<(), milvus_bulk_import::Error>(())
/// ```
#[derive(Clone)]
pub struct FnTransport<F> {
    f: F,
}

impl<F> FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> + Send + Sync,
{
    /// Wraps `f`, which is called once per request.
    pub fn new(f: F) -> Self {
        FnTransport { f }
    }
}

impl<F> Transport for FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> + Send + Sync,
{
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (self.f)(request)
    }
}

impl<F> std::fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnTransport")
    }
}

/// The longest timeout accepted: a day. (Longer ones overflow the clock arithmetic of some
/// platforms; an import call that takes a day is dead.)
pub(crate) const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Checks a timeout setting: longer than zero, at most [`MAX_TIMEOUT`].
pub(crate) fn check_timeout(
    what: &str,
    timeout: std::time::Duration,
) -> Result<(), crate::error::Error> {
    if timeout.is_zero() {
        return Err(crate::error::Error::config(format!(
            "the {what} must be longer than zero"
        )));
    }
    if timeout > MAX_TIMEOUT {
        return Err(crate::error::Error::config(format!(
            "the {what} of {timeout:?} is longer than the maximum of 24 h"
        )));
    }
    Ok(())
}
