//! [`Response`], the raw reply (like Python's `requests.Response`), and [`ApiResponse`], the
//! raw reply together with its typed value; plus the envelope rules that tell success from
//! failure.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::Error;
use crate::model::{from_raw, DataSeed, FromData, Key};
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
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            attempts: 1,
            reason: {
                let reason = format!("the body is not the JSON asked for: {e}");
                let total = reason.len();
                self.quote(reason, total)
            },
            status: self.status_code(),
            url: self.url.clone(),
            snippet: self.snippet(),
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
                attempts: 1,
                status: self.status_code(),
                url: self.url.clone(),
                body: self.snippet(),
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

impl Response {
    /// The start of the body as text, secrets scrubbed (before cutting, so that no part of a
    /// secret that crosses the cut survives).
    fn snippet(&self) -> String {
        self.quote(
            String::from_utf8_lossy(&self.body).into_owned(),
            self.body.len(),
        )
    }

    /// What no error made from this reply may show.
    pub(crate) fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// `text` (from a reply of `total` bytes) scrubbed and cut to a quotable length.
    fn quote(&self, text: String, total: usize) -> String {
        let mut text = self.secrets.scrub(text);
        if text.len() > SNIPPET_BYTES {
            let mut cut = SNIPPET_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str(&format!("… ({total} bytes in all)"));
        }
        text
    }
}

/// `data` as read in one pass with the envelope: typed in place when `code: 0` came first (the
/// usual order), raw otherwise (read once more when the code turns out to allow it).
enum Data<'a, T> {
    Typed(T),
    Raw(&'a RawValue),
}

/// The Milvus envelope, `{"code": …, "message": …, "data": …}`. Only a JSON object is an
/// envelope (a derived impl would also take a list as the fields in order).
struct Envelope<'a, T> {
    code: Option<Value>,
    message: Option<Value>,
    data: Option<Data<'a, T>>,
}

/// Reads an envelope; `data` is decoded in place only for a 2xx reply (`success`).
struct EnvelopeSeed<T> {
    success: bool,
    marker: PhantomData<T>,
}

impl<'de, T: FromData> DeserializeSeed<'de> for EnvelopeSeed<T> {
    type Value = Envelope<'de, T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: FromData> Visitor<'de> for EnvelopeSeed<T> {
    type Value = Envelope<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            code: None,
            message: None,
            data: None,
        };
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "code" => envelope.code = map.next_value()?,
                "message" => envelope.message = map.next_value()?,
                "data"
                    if self.success
                        && envelope.code.as_ref().and_then(Value::as_i64) == Some(0) =>
                {
                    envelope.data = Some(Data::Typed(
                        map.next_value_seed(DataSeed::<T>(PhantomData))?,
                    ));
                }
                "data" => {
                    envelope.data = map.next_value::<Option<&'de RawValue>>()?.map(Data::Raw);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

/// Applies the envelope rules to a reply and parses its `data` into `T`.
///
/// * status outside 200–299: a JSON object with an integer `code` is [`Error::Api`], anything
///   else [`Error::HttpStatus`];
/// * 2xx: success is `code == 0`, or the legacy `code == 200` with a `data` object; any other
///   `code` is [`Error::Api`]; a body that is not such an envelope is [`Error::Decode`].
///
/// One pass over the body in the usual case: `data` is decoded in place, straight into `T`.
pub(crate) fn decode<T: FromData>(response: Response) -> Result<ApiResponse<T>, Error> {
    let status = response.status_code();
    let success = (200..300).contains(&status);

    // `data` may borrow from the body; the outcome is computed first, then the body moves
    // into the value or the error.
    enum Outcome<T> {
        Data(T),
        Api(i64, Option<Value>),
        Http,
        Decode(String),
    }
    let parsed = {
        let mut de = serde_json::Deserializer::from_slice(&response.body);
        let seed = EnvelopeSeed::<T> {
            success,
            marker: PhantomData,
        };
        seed.deserialize(&mut de)
            .and_then(|envelope| de.end().map(|()| envelope))
    };
    let outcome = match parsed {
        Ok(envelope) => {
            let code = envelope.code.as_ref().and_then(Value::as_i64);
            match (code, envelope.data) {
                (Some(code), _) if !success => Outcome::Api(code, envelope.message),
                (None, _) if !success => Outcome::Http,
                (None, _) => Outcome::Decode(
                    "the reply has no integer `code`: not a Milvus envelope".to_string(),
                ),
                (Some(0), Some(Data::Typed(data))) => Outcome::Data(data),
                (Some(0), None) => match T::missing() {
                    Ok(data) => Outcome::Data(data),
                    Err(reason) => Outcome::Decode(reason),
                },
                (Some(0), Some(Data::Raw(raw))) => match from_raw(raw) {
                    Ok(data) => Outcome::Data(data),
                    Err(reason) => Outcome::Decode(reason),
                },
                (Some(200), Some(Data::Raw(raw))) if raw.get().starts_with('{') => {
                    match from_raw(raw) {
                        Ok(data) => Outcome::Data(data),
                        Err(reason) => Outcome::Decode(reason),
                    }
                }
                (Some(code), _) => Outcome::Api(code, envelope.message),
            }
        }
        Err(_) if !success => Outcome::Http,
        Err(e) => {
            let text = e.to_string();
            Outcome::Decode(if text.starts_with("data: ") {
                text
            } else if e.classify() == Category::Data {
                format!("the reply is not a JSON object: {text}")
            } else {
                format!("the reply is not JSON: {text}")
            })
        }
    };
    match outcome {
        Outcome::Data(data) => Ok(ApiResponse { response, data }),
        Outcome::Api(code, message) => {
            let message = match message {
                Some(Value::String(s)) => s,
                None | Some(Value::Null) => String::new(),
                Some(other) => other.to_string(),
            };
            let total = message.len();
            Err(Error::Api {
                attempts: 1,
                code,
                message: response.quote(message, total),
                status,
                url: response.url.clone(),
                response: Box::new(response),
            })
        }
        Outcome::Http => Err(Error::HttpStatus {
            attempts: 1,
            status,
            url: response.url.clone(),
            body: response.snippet(),
            response: Box::new(response),
        }),
        Outcome::Decode(reason) => Err(Error::Decode {
            attempts: 1,
            // A reason can quote a value from the reply: scrubbed and cut like a body quote.
            reason: {
                let total = reason.len();
                response.quote(reason, total)
            },
            status,
            url: response.url.clone(),
            snippet: response.snippet(),
            response: Some(Box::new(response)),
        }),
    }
}
