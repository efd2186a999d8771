//! [`Error`], the one error type of every operation, and [`TransportError`], what a
//! [`Transport`](crate::Transport) reports when an exchange fails.

use std::fmt;

use crate::response::Response;

/// Everything that can go wrong in a call, from a bad argument to a server's refusal.
///
/// Each variant says which step failed: the request was rejected before sending
/// ([`InvalidRequest`](Error::InvalidRequest)), the client could not be built
/// ([`Config`](Error::Config)), the exchange itself failed ([`Transport`](Error::Transport)),
/// the server answered with an HTTP error ([`HttpStatus`](Error::HttpStatus)) or a Milvus error
/// code ([`Api`](Error::Api)), or the reply could not be understood ([`Decode`](Error::Decode)).
///
/// How a reply is classified:
///
/// | reply | error |
/// |---|---|
/// | status outside 200–299, body a JSON object with an integer `code` | [`Api`](Error::Api), keeping both the status and the code |
/// | any other status outside 200–299 (plain text, HTML, empty) | [`HttpStatus`](Error::HttpStatus) |
/// | 2xx, `code` neither `0` nor the legacy `200`-with-`data` | [`Api`](Error::Api) |
/// | 2xx that is not a `{"code": …}` envelope, or whose `data` does not fit | [`Decode`](Error::Decode) |
///
/// No `Display` or `Debug` output of an error contains the API key, an object-store secret key,
/// access key or token, or the signature, credential or token of a presigned object URL: the
/// client scrubs them from any server text it quotes, typed fields included (a job's `reason`,
/// `details`, unknown fields), whichever way the server spells them (JSON escapes such as `\/`
/// or `\u00XX`, percent-encoding, HTML references, trimmed of the caller's whitespace).
///
/// `Display` never passes on a terminal control sequence from the server: control characters
/// (ESC, CR, LF, the rest of C0 but TAB, DEL, C1), bidirectional overrides and line separators
/// in server text are written as visible escapes (`\u{1b}`, `\r`, `\n`).
///
/// ```
/// use milvus_bulk_import::Error;
///
/// fn explain(err: &Error) -> String {
///     match (err.status(), err.api_code()) {
///         (Some(401), _) | (_, Some(1800)) => "check MILVUS_TOKEN".to_string(),
///         _ if err.is_timeout() => "the server is slow; try again".to_string(),
///         _ => err.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be sent, or its reply could not be received: connection refused,
    /// timeout, TLS failure, connection dropped mid-body, reply over the size limit.
    #[error("request to {url} failed{}: {source}", after(*attempts))]
    Transport {
        /// The endpoint that was called.
        url: String,
        /// Attempts made (more than 1 when the call was retried).
        attempts: u32,
        /// What the transport reported.
        #[source]
        source: TransportError,
    },

    /// The server answered with an HTTP status outside 200–299 and a body that is not a Milvus
    /// error envelope (for example the plain-text `404 page not found` of a server too old for
    /// the v2 REST API).
    #[error("HTTP {status} from {url}{}: {}", after(*attempts), Clean(body))]
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// Attempts made (more than 1 when the call was retried).
        attempts: u32,
        /// The endpoint that was called.
        url: String,
        /// The start of the reply body (lossy UTF-8, at most 512 bytes, secrets scrubbed).
        body: String,
        /// The whole reply, for its headers and body.
        response: Box<Response>,
    },

    /// The server answered with a Milvus / Zilliz error code, such as `1100` (invalid
    /// parameter), `2100` (import failed / job not found) or, with HTTP 401, `1800`.
    #[error("API error {code} (HTTP {status}) from {url}{}: {}", after(*attempts), Clean(message))]
    Api {
        /// The envelope's `code`.
        code: i64,
        /// Attempts made (more than 1 when the call was retried).
        attempts: u32,
        /// The envelope's `message` (empty when the server sent none; secrets scrubbed).
        message: String,
        /// The HTTP status the envelope came with (200 for most Milvus errors).
        status: u16,
        /// The endpoint that was called.
        url: String,
        /// The whole reply, for its headers and body.
        response: Box<Response>,
    },

    /// The reply could not be understood: not JSON, not an envelope, or a `data` object
    /// whose fields have the wrong types.
    #[error(
        "could not decode the reply from {url} (HTTP {status}){}: {}; body starts: {}",
        after(*attempts),
        Clean(reason),
        Quoted(snippet)
    )]
    Decode {
        /// What did not fit.
        reason: String,
        /// Attempts made (more than 1 when the call was retried).
        attempts: u32,
        /// The HTTP status of the reply.
        status: u16,
        /// The endpoint that was called.
        url: String,
        /// The start of the reply body (lossy UTF-8, at most 512 bytes, secrets scrubbed).
        snippet: String,
        /// The whole reply, when the error came from an operation.
        response: Option<Box<Response>>,
    },

    /// The request was rejected before anything was sent (empty job id, empty collection name,
    /// page size or page 0, a database name that cannot be an HTTP header value, …).
    #[error("invalid request: {}", Clean(.0))]
    InvalidRequest(String),

    /// [`wait_for_import`](crate::BulkImportApi::wait_for_import): the job ended `Failed`.
    #[error("import job {} failed: {}", Clean(job_id), Clean(reason))]
    ImportFailed {
        /// The job.
        job_id: String,
        /// The server's reason (empty if it gave none; secrets scrubbed).
        reason: String,
        /// The job's last progress (secrets scrubbed from every string in it).
        progress: Box<crate::ImportProgress>,
    },

    /// [`wait_for_import`](crate::BulkImportApi::wait_for_import): the job had not ended when
    /// the timeout passed.
    #[error("import job {} had not finished after {waited:?}{}", Clean(job_id), last.as_ref().map(|p| format!(" (last seen: {} {}%)", Clean(p.state.as_str()), p.progress.unwrap_or(0))).unwrap_or_default())]
    WaitTimedOut {
        /// The job.
        job_id: String,
        /// How long it was waited for.
        waited: std::time::Duration,
        /// The last progress seen, if any poll succeeded (secrets scrubbed from every string in
        /// it).
        last: Option<Box<crate::ImportProgress>>,
    },

    /// [`list_all_import_jobs`](crate::BulkImportApi::list_all_import_jobs): the server still
    /// announced more jobs after the iterator's page limit
    /// ([`ImportJobPages::max_pages`](crate::ImportJobPages::max_pages), 1 000 pages by
    /// default). The records of those pages were yielded; this error ends the iteration.
    #[error(
        "listing stopped after {pages} pages ({records} jobs) while the server still announced \
         more; if that many are expected, raise the limit with ImportJobPages::max_pages"
    )]
    TooManyPages {
        /// The pages fetched (the limit).
        pages: u32,
        /// The jobs yielded from them.
        records: u64,
    },

    /// The client could not be built (bad URL, no transport, conflicting settings, an API key
    /// that cannot be an HTTP header value, …).
    #[error("invalid configuration: {}", Clean(.0))]
    Config(String),

    /// [`writer`](crate::writer): the collection schema cannot be written for (no primary
    /// key, a vector without `dim`, an `Array` without element type, a format that cannot hold
    /// a field, …) or could not be parsed.
    #[error("invalid schema: {}", Clean(.0))]
    Schema(String),

    /// [`writer`](crate::writer): a row was rejected. The writer stays usable and the rows
    /// buffered before it are intact.
    #[error("row {row}{}: {}", field.as_ref().map(|f| format!(", field '{}'", Clean(f))).unwrap_or_default(), Clean(reason))]
    InvalidRow {
        /// The row's index among all rows given to the writer (0-based, rejected ones included).
        row: u64,
        /// The field at fault, if the problem is in one field.
        field: Option<String>,
        /// What is wrong.
        reason: String,
    },

    /// An object store (an S3-compatible bucket, a Zilliz Cloud volume's bucket) refused a
    /// request: the HTTP status and the store's error code and message (for example
    /// `403 SignatureDoesNotMatch`, `404 NoSuchBucket`). Never holds a key, a token or a
    /// request signature.
    #[error("object store refused {operation} of {}: HTTP {status}{}{}: {}", Quoted(key), if code.is_empty() { String::new() } else { format!(" {}", Clean(code)) }, after(*attempts), Clean(message))]
    Storage {
        /// What was being done (`"upload"`, `"bucket check"`, `"multipart upload"`, …).
        operation: &'static str,
        /// The bucket-relative key or bucket concerned.
        key: String,
        /// The HTTP status.
        status: u16,
        /// The store's error code (`NoSuchBucket`, `AccessDenied`, …), or empty.
        code: String,
        /// The store's message (scrubbed of secrets), or empty.
        message: String,
        /// Attempts made (more than 1 when the request was retried).
        attempts: u32,
    },

    /// [`writer`](crate::writer): a file or directory could not be written or read.
    #[error("{action} {}: {source}", Clean(&path.display().to_string()))]
    Io {
        /// What was being done (`"writing"`, `"creating directory"`, …).
        action: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// " after N attempts" for a retried call, nothing otherwise.
fn after(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

/// Server text made safe for a terminal: control characters (C0 but TAB, DEL, C1), bidi
/// overrides and line separators are written as `\n`, `\r` or `\u{..}` escapes, so that a
/// reply cannot move the cursor, clear the screen, set the clipboard (OSC 52) or overwrite the
/// line it is printed on.
pub(crate) struct Clean<'a>(pub(crate) &'a str);

/// True for the characters [`Clean`] escapes.
pub(crate) fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

impl fmt::Display for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(is_unsafe) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                _ => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// Server text in double quotes, escaped as Rust's `Debug` escapes it, and with every
/// character [`Clean`] escapes escaped as well.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let debug = format!("{:?}", self.0);
        fmt::Display::fmt(&Clean(&debug), f)
    }
}

// The constructors: every `Error` is built through one of these, so that what each variant
// holds (a quote cut to 512 bytes, scrubbed of the request's secrets; `attempts` 1 until the
// retry loop says otherwise) is decided here once. (The binaries, outside the crate, build
// the public variants themselves.)
impl Error {
    /// [`Error::Transport`]: the exchange with `url` failed (one attempt).
    pub(crate) fn transport(url: impl Into<String>, source: TransportError) -> Self {
        Error::Transport {
            url: url.into(),
            attempts: 1,
            source,
        }
    }

    /// [`Error::HttpStatus`]: `response` has an error status and no Milvus envelope. Quotes the
    /// start of its body and keeps it.
    pub(crate) fn http_status(response: Response) -> Self {
        Error::HttpStatus {
            attempts: 1,
            status: response.status_code(),
            url: response.url().to_string(),
            body: response.snippet(),
            response: Box::new(response),
        }
    }

    /// [`Error::Api`]: `response` carries the Milvus error `code` with `message` (quoted:
    /// scrubbed and cut like a body quote). Keeps the reply.
    pub(crate) fn api(code: i64, message: String, response: Response) -> Self {
        let total = message.len();
        Error::Api {
            attempts: 1,
            code,
            message: response.quote(&message, total),
            status: response.status_code(),
            url: response.url().to_string(),
            response: Box::new(response),
        }
    }

    /// [`Error::Decode`]: `response` could not be understood, for `reason`. Keeps the reply.
    pub(crate) fn decode(reason: String, response: Response) -> Self {
        let mut error = Error::decode_borrowed(reason, &response);
        if let Error::Decode { response: kept, .. } = &mut error {
            *kept = Some(Box::new(response));
        }
        error
    }

    /// [`Error::Decode`] about a reply the caller keeps (such as [`Response::json`]): the same
    /// text as [`decode`](Error::decode), without the reply.
    pub(crate) fn decode_borrowed(reason: String, response: &Response) -> Self {
        // A reason can quote a value from the reply: scrubbed and cut like a body quote.
        let total = reason.len();
        Error::decode_parts(
            response.quote(&reason, total),
            response.status_code(),
            response.url(),
            response.snippet(),
        )
    }

    /// [`Error::Decode`] of a reply that is not a [`Response`] (an object store's): the caller
    /// has scrubbed `reason` and `snippet`, and `url` shows no secret.
    pub(crate) fn decode_parts(
        reason: impl Into<String>,
        status: u16,
        url: impl Into<String>,
        snippet: String,
    ) -> Self {
        Error::Decode {
            reason: reason.into(),
            attempts: 1,
            status,
            url: url.into(),
            snippet,
            response: None,
        }
    }

    /// [`Error::InvalidRequest`]: the request was rejected before sending.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Error::InvalidRequest(message.into())
    }

    /// [`Error::Config`]: the client (or writer, or store) could not be built.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    /// [`Error::Schema`]: the collection schema cannot be written for, or not parsed.
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // writer only
    pub(crate) fn schema(message: impl Into<String>) -> Self {
        Error::Schema(message.into())
    }

    /// [`Error::InvalidRow`]: row `row` (0-based) was rejected, for `reason`, in `field` if the
    /// problem is in one field.
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // writer only
    pub(crate) fn invalid_row(row: u64, field: Option<String>, reason: impl Into<String>) -> Self {
        Error::InvalidRow {
            row,
            field,
            reason: reason.into(),
        }
    }

    /// [`Error::Storage`]: an object store refused `operation` on `key` with HTTP `status`,
    /// its error `code` and `message` (already scrubbed by the caller; one attempt).
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // writer only
    pub(crate) fn storage(
        operation: &'static str,
        key: impl Into<String>,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Storage {
            operation,
            key: key.into(),
            status,
            code: code.into(),
            message: message.into(),
            attempts: 1,
        }
    }

    /// [`Error::Io`]: `action` (`"writing"`, `"creating directory"`, …) on `path` failed.
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // writer only
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<std::path::PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// [`Error::ImportFailed`]: job `job_id` ended `Failed`; the reason is the progress's
    /// (empty if none). The caller has scrubbed `progress`.
    pub(crate) fn import_failed(
        job_id: impl Into<String>,
        progress: crate::ImportProgress,
    ) -> Self {
        Error::ImportFailed {
            job_id: job_id.into(),
            reason: progress.reason.clone().unwrap_or_default(),
            progress: Box::new(progress),
        }
    }

    /// [`Error::WaitTimedOut`]: job `job_id` had not ended after `waited`; `last` is the last
    /// progress seen, scrubbed by the caller.
    pub(crate) fn wait_timed_out(
        job_id: impl Into<String>,
        waited: std::time::Duration,
        last: Option<crate::ImportProgress>,
    ) -> Self {
        Error::WaitTimedOut {
            job_id: job_id.into(),
            waited,
            last: last.map(Box::new),
        }
    }

    /// [`Error::TooManyPages`]: listing stopped after `pages` pages and `records` jobs.
    pub(crate) fn too_many_pages(pages: u32, records: u64) -> Self {
        Error::TooManyPages { pages, records }
    }
}

impl Error {
    /// How many attempts the call made before this error: more than 1 when it was retried
    /// (see [`RetryPolicy`](crate::RetryPolicy)); 1 for errors of a single exchange, 0 for errors
    /// raised before anything was sent.
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Transport { attempts, .. }
            | Error::HttpStatus { attempts, .. }
            | Error::Api { attempts, .. }
            | Error::Decode { attempts, .. }
            | Error::Storage { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    /// Records that the call made `n` attempts.
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            Error::Transport { attempts, .. }
            | Error::HttpStatus { attempts, .. }
            | Error::Api { attempts, .. }
            | Error::Decode { attempts, .. }
            | Error::Storage { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }

    /// The HTTP status of the reply behind this error, if there was a reply.
    ///
    /// ```
    /// # use milvus_bulk_import::Error;
    /// assert_eq!(Error::InvalidRequest("x".into()).status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::HttpStatus { status, .. }
            | Error::Api { status, .. }
            | Error::Decode { status, .. }
            | Error::Storage { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The Milvus / Zilliz error `code` of the reply, for [`Error::Api`].
    pub fn api_code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when a timeout ended the call: a transport timeout (connect or read), the server's
    /// own request timeout (HTTP 408, Milvus code `10001`), or a
    /// [`wait_for_import`](crate::BulkImportApi::wait_for_import) that ran out of time.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport { source, .. } => source.is_timeout(),
            Error::Api { code, status, .. } => *code == 10001 || *status == 408,
            Error::HttpStatus { status, .. } => *status == 408,
            Error::WaitTimedOut { .. } => true,
            _ => false,
        }
    }

    /// The server's reply behind this error, if the error came from one: use it for headers
    /// such as `X-Milvus-Trace-Id` or `Retry-After`, or for the whole body.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Error::HttpStatus { response, .. } | Error::Api { response, .. } => Some(response),
            Error::Decode { response, .. } => response.as_deref(),
            _ => None,
        }
    }
}

/// Why a [`Transport`](crate::Transport) could not complete an exchange.
///
/// Third-party transports build one with [`TransportError::new`] and pick the
/// [`TransportErrorKind`] that fits, so that callers see the same
/// [`Error::is_timeout`] answer whichever transport is plugged in.
///
/// ```
/// use milvus_bulk_import::{TransportError, TransportErrorKind};
///
/// let err = TransportError::new(TransportErrorKind::Timeout, "no reply within 5 s");
/// assert!(err.is_timeout());
/// assert_eq!(err.to_string(), "timed out: no reply within 5 s");
/// ```
#[derive(Debug, thiserror::Error)]
// A transport's message may quote what the server sent.
#[error("{kind}: {}", Clean(&source.to_string()))]
pub struct TransportError {
    kind: TransportErrorKind,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// The class of a [`TransportError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, name not resolved). The request
    /// cannot have reached the server.
    Connect,
    /// A connect or read timeout expired.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The connection broke after the request was (maybe) sent: reset, closed early, body cut
    /// short.
    Interrupted,
    /// The reply was larger than the transport's limit.
    BodyTooLarge,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    fn describe(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Tls => "TLS failure",
            TransportErrorKind::Interrupted => "connection interrupted",
            TransportErrorKind::BodyTooLarge => "reply too large",
            TransportErrorKind::Other => "transport error",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

impl TransportError {
    /// A transport error of `kind`, caused by `source` (any error, or a message).
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        TransportError {
            kind,
            source: source.into(),
        }
    }

    /// The class of failure.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// True for [`TransportErrorKind::Timeout`].
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_error_text_debug_and_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset\x1b[2J");
        let err = TransportError::new(TransportErrorKind::Interrupted, io);
        assert_eq!(err.to_string(), "connection interrupted: reset\\u{1b}[2J");
        assert_eq!(
            format!("{err:?}"),
            "TransportError { kind: Interrupted, source: Custom { kind: ConnectionReset, \
             error: \"reset\\u{1b}[2J\" } }"
        );
        let source = std::error::Error::source(&err).expect("a source");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(source.to_string(), "reset\x1b[2J");
    }

    #[test]
    fn clean_escapes_every_bidi_mark_the_cli_escapes() {
        // U+061C ARABIC LETTER MARK, U+200E/U+200F, the embeddings and overrides, the isolates.
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
            assert_eq!(
                Clean(&format!("a{c}b")).to_string(),
                format!("a\\u{{{:x}}}b", u32::from(c))
            );
        }
        assert_eq!(Clean("x\u{61c}y").to_string(), "x\\u{61c}y");
        assert!(!is_unsafe('\u{0627}'), "an Arabic letter is shown as it is");
        assert!(!is_unsafe('\t'));
    }
}
