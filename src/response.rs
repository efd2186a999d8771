//! [`Response`], the raw reply (like Python's `requests.Response`), and [`ApiResponse`], the
//! raw reply together with its typed value; plus the envelope rules that tell success from
//! failure.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::model::{kind, FromData};

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
}

impl Response {
    pub(crate) fn new(raw: http::Response<Vec<u8>>, url: String, elapsed: Duration) -> Self {
        let (parts, body) = raw.into_parts();
        Response {
            status: parts.status,
            headers: parts.headers,
            body,
            url,
            elapsed,
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
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            reason: format!("the body is not the JSON asked for: {e}"),
            status: self.status_code(),
            url: self.url.clone(),
            snippet: snippet(&self.body, &[]),
            response: None,
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
            Err(Error::HttpStatus {
                status: self.status_code(),
                url: self.url.clone(),
                body: snippet(&self.body, &[]),
                response: Box::new(self.clone()),
            })
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

/// The start of `body` as text, with each secret replaced by `***`.
pub(crate) fn snippet(body: &[u8], secrets: &[&str]) -> String {
    let cut = body.len().min(SNIPPET_BYTES);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        // A cut inside a UTF-8 sequence shows as U+FFFD; that is fine for a snippet.
        text.push_str(&format!("… ({} bytes in all)", body.len()));
    }
    scrub(text, secrets)
}

/// Replaces every non-empty secret in `text` by `***`.
pub(crate) fn scrub(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, "***");
        }
    }
    text
}

/// Marks every reply header that echoes a secret as sensitive, so that `Debug` of the reply (and
/// of any error holding it) prints `Sensitive` instead; `headers()` still returns the value.
fn hide_echoed_secrets(headers: &mut http::HeaderMap, secrets: &[&str]) {
    for value in headers.values_mut() {
        let bytes = value.as_bytes();
        let echoes = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .any(|s| bytes.windows(s.len()).any(|w| w == s.as_bytes()));
        if echoes {
            value.set_sensitive(true);
        }
    }
}

/// Applies the envelope rules to a reply and parses its `data` into `T`.
///
/// * status outside 200–299: a JSON object with an integer `code` is [`Error::Api`], anything
///   else [`Error::HttpStatus`];
/// * 2xx: success is `code == 0`, or the legacy `code == 200` with a `data` object; any other
///   `code` is [`Error::Api`]; a body that is not such an envelope is [`Error::Decode`].
pub(crate) fn decode<T: FromData>(
    mut response: Response,
    secrets: &[&str],
) -> Result<ApiResponse<T>, Error> {
    hide_echoed_secrets(&mut response.headers, secrets);
    let status = response.status_code();
    let parsed: Result<Value, _> = serde_json::from_slice(&response.body);
    let decode_error = |reason: String, response: Response| Error::Decode {
        reason: scrub(reason, secrets),
        status,
        url: response.url.clone(),
        snippet: snippet(&response.body, secrets),
        response: Some(Box::new(response)),
    };
    let api_error = |code: i64, message: Option<&Value>, response: Response| Error::Api {
        code,
        message: scrub(
            match message {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => String::new(),
                Some(other) => other.to_string(),
            },
            secrets,
        ),
        status,
        url: response.url.clone(),
        response: Box::new(response),
    };

    if !(200..300).contains(&status) {
        if let Ok(Value::Object(map)) = &parsed {
            if let Some(code) = map.get("code").and_then(Value::as_i64) {
                return Err(api_error(code, map.get("message"), response));
            }
        }
        return Err(Error::HttpStatus {
            status,
            url: response.url.clone(),
            body: snippet(&response.body, secrets),
            response: Box::new(response),
        });
    }

    let mut map = match parsed {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            let reason = format!("the reply is {}, not a JSON object", kind(&other));
            return Err(decode_error(reason, response));
        }
        Err(e) => {
            return Err(decode_error(
                format!("the reply is not JSON: {e}"),
                response,
            ))
        }
    };
    let code = match map.get("code").and_then(Value::as_i64) {
        Some(code) => code,
        None => {
            let reason = "the reply has no integer `code`: not a Milvus envelope".to_string();
            return Err(decode_error(reason, response));
        }
    };
    let success = code == 0 || (code == 200 && matches!(map.get("data"), Some(Value::Object(_))));
    if !success {
        return Err(api_error(code, map.get("message"), response));
    }
    match T::from_data(map.remove("data")) {
        Ok(data) => Ok(ApiResponse { response, data }),
        Err(reason) => Err(decode_error(reason, response)),
    }
}
