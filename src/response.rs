//! [`Response`], the raw reply (like Python's `requests.Response`), and [`ApiResponse`], the
//! raw reply together with its typed value. What a reply *means* (success, a Milvus error code,
//! an HTTP error) is decided in `envelope.rs`; this file only carries the reply.
//!
//! [`Error`] and [`Response`] refer to each other on purpose, as in Python's `requests`: an
//! error made from a reply keeps it ([`Error::response`] gives it back, for its headers and
//! body), and a reply can be turned into an error ([`Response::raise_for_status`], and
//! [`Response::json`] when the body does not fit). The errors themselves are built by `Error`'s
//! constructors in `error.rs`, which quote the body through `Response::snippet` and
//! `Response::quote`, scrubbed of the request's secrets.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::redact::Secrets;

/// How much of a body an error quotes.
const SNIPPET_BYTES: usize = 512;

/// A reply as received: status, headers, body, URL and timing, like Python's
/// `requests.Response`.
///
/// ```
/// # use milvus_bulk_import::{http, BulkImportApi, FnTransport, ListImportJobsRequest};
/// # let api = BulkImportApi::builder("http://127.0.0.1:19530")
/// #     .transport(FnTransport::new(|_| Ok(http::Response::new(
/// #         br#"{"code":0,"data":{"records":[]}}"#.to_vec()))))
/// #     .build()?;
/// let reply = api.list_import_jobs(&ListImportJobsRequest::new())?;
/// let raw = reply.response();
/// assert_eq!(raw.status_code(), 200);
/// assert!(raw.ok());
/// assert_eq!(raw.reason(), "OK");
/// assert_eq!(raw.url(), "http://127.0.0.1:19530/v2/vectordb/jobs/import/list");
/// let json: serde_json::Value = raw.json()?;
/// assert_eq!(json["code"], 0);
/// # Ok::<(), milvus_bulk_import::Error>(())
/// ```
#[derive(Clone)]
pub struct Response {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: Vec<u8>,
    url: String,
    elapsed: Duration,
    /// What to scrub from any error text made from this reply.
    secrets: Secrets,
}

impl Response {
    /// A reply to a request that carried `secrets`. Header values that echo one are marked
    /// sensitive, so `Debug` prints `Sensitive` for them; `headers()` still returns them.
    pub(crate) fn new(
        raw: http::Response<Vec<u8>>,
        url: String,
        elapsed: Duration,
        secrets: Secrets,
    ) -> Self {
        let (mut parts, body) = raw.into_parts();
        for value in parts.headers.values_mut() {
            if secrets.appear_in(value.as_bytes()) {
                value.set_sensitive(true);
            }
        }
        Response {
            status: parts.status,
            headers: parts.headers,
            body,
            url,
            elapsed,
            secrets,
        }
    }

    /// The HTTP status code, e.g. `200`.
    pub fn status_code(&self) -> u16 {
        self.status.as_u16()
    }

    /// The reply headers.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// The body as text (invalid UTF-8 replaced by `U+FFFD`).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body as bytes.
    pub fn content(&self) -> &[u8] {
        &self.body
    }

    /// The body parsed as JSON into any type: `serde_json::Value` for the whole reply,
    /// unknown fields included, or a struct of your own.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::decode_borrowed(format!("the body is not the JSON asked for: {e}"), self)
        })
    }

    /// The URL that was called.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// True when the status is below 400, as in `requests`.
    pub fn ok(&self) -> bool {
        self.status.as_u16() < 400
    }

    /// The status's canonical reason phrase, e.g. `"Not Found"` (empty for unknown codes).
    pub fn reason(&self) -> &str {
        self.status.canonical_reason().unwrap_or("")
    }

    /// Time from sending the request to having the whole reply body.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// `Ok(self)` when the status is below 400, otherwise [`Error::HttpStatus`], as in
    /// `requests`.
    pub fn raise_for_status(&self) -> Result<&Self, Error> {
        if self.ok() {
            Ok(self)
        } else {
            Err(Error::http_status(self.clone()))
        }
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &self.url)
            .field("elapsed", &self.elapsed)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What every operation returns: the raw [`Response`] and the typed value parsed from it.
#[derive(Clone, Debug)]
pub struct ApiResponse<T> {
    response: Response,
    data: T,
}

impl<T> ApiResponse<T> {
    /// A reply and the value read from it.
    pub(crate) fn new(response: Response, data: T) -> Self {
        ApiResponse { response, data }
    }

    /// The raw reply.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The typed value.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The typed value, dropping the raw reply.
    pub fn into_data(self) -> T {
        self.data
    }
}

impl Response {
    /// The start of the body as text, secrets scrubbed (before cutting, so that no part of a
    /// secret that crosses the cut survives).
    pub(crate) fn snippet(&self) -> String {
        self.quote(&String::from_utf8_lossy(&self.body), self.body.len())
    }

    /// What no error made from this reply may show.
    pub(crate) fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// `text` (from a reply of `total` bytes) scrubbed and cut to a quotable length (only as
    /// much of it is scrubbed as the quote keeps).
    pub(crate) fn quote(&self, text: &str, total: usize) -> String {
        let (mut text, cut) = self.secrets.scrub_limited(text, SNIPPET_BYTES);
        if cut {
            text.push_str(&format!("… ({total} bytes in all)"));
        }
        text
    }
}
