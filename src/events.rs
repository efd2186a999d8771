//! The `log` events of the crate's two call paths (the API calls of `api.rs`, the uploads of
//! `writer/storage/s3.rs`), written once here: one [`Attempt`] event per exchange (`debug`),
//! [`retrying`] (`info`) and [`giving_up`] (`warn`).
//!
//! Each event is a `debug` record whose message reads
//! `POST /v2/vectordb/jobs/import/list attempt 1: HTTP 200 in 1.2ms` and whose key-values
//! (the `log` crate's `kv`) carry the same facts for programs: `method`, `path`, `attempt`,
//! `status` (the reply's HTTP status; absent when the exchange failed), `transport_error` (the
//! [`TransportErrorKind`] when it failed) and `elapsed_ms`. The path never has a query (a
//! presigned URL's signature lives there); no header, body or secret is logged.

use std::fmt;
use std::time::Duration;

use log::kv::{self, Key, Value, VisitSource};
use log::{Level, Metadata, Record};

use crate::error::TransportErrorKind;
use crate::retry::GiveUp;

/// One exchange, as its `debug` event tells it.
pub(crate) struct Attempt<'a> {
    /// The request's method.
    pub(crate) method: &'a http::Method,
    /// The request's path, without its query.
    pub(crate) path: &'a str,
    /// Which attempt of the call this was, from 1.
    pub(crate) attempt: u32,
    /// The reply's HTTP status; `None` when no reply came.
    pub(crate) status: Option<u16>,
    /// Why no reply came.
    pub(crate) transport_error: Option<TransportErrorKind>,
    /// How long the exchange took.
    pub(crate) elapsed: Duration,
}

impl Attempt<'_> {
    /// Emits the event under `target` (the caller's `module_path!()`); `outcome` is the
    /// message's verdict when the caller knows more than the status ("API error 1100 (HTTP
    /// 200)"); by default it is "HTTP 200" or "transport error: timed out".
    pub(crate) fn log(&self, target: &str, outcome: Option<&dyn fmt::Display>) {
        if Level::Debug > log::STATIC_MAX_LEVEL || Level::Debug > log::max_level() {
            return;
        }
        let metadata = Metadata::builder()
            .level(Level::Debug)
            .target(target)
            .build();
        let logger = log::logger();
        if !logger.enabled(&metadata) {
            return;
        }
        logger.log(
            &Record::builder()
                .metadata(metadata)
                .args(format_args!(
                    "{} {} attempt {}: {} in {:?}",
                    self.method,
                    self.path,
                    self.attempt,
                    outcome.unwrap_or(self),
                    self.elapsed
                ))
                .module_path(Some(target))
                .key_values(self)
                .build(),
        );
    }
}

/// The default verdict: the status, or the transport error's kind.
impl fmt::Display for Attempt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, self.transport_error) {
            (Some(status), _) => write!(f, "HTTP {status}"),
            (None, Some(kind)) => write!(f, "transport error: {kind}"),
            (None, None) => f.write_str("no reply"),
        }
    }
}

impl kv::Source for Attempt<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), kv::Error> {
        visitor.visit_pair(Key::from("method"), Value::from(self.method.as_str()))?;
        visitor.visit_pair(Key::from("path"), Value::from(self.path))?;
        visitor.visit_pair(Key::from("attempt"), Value::from(self.attempt))?;
        if let Some(status) = self.status {
            visitor.visit_pair(Key::from("status"), Value::from(status))?;
        }
        if let Some(kind) = &self.transport_error {
            visitor.visit_pair(Key::from("transport_error"), Value::from_display(kind))?;
        }
        let ms = self.elapsed.as_secs_f64() * 1000.0;
        visitor.visit_pair(Key::from("elapsed_ms"), Value::from(ms))
    }
}

/// A failed attempt that is tried again after `wait`: an `info` event,
/// `POST /v2/…/list: attempt 1 failed (HTTP 503); retrying in 480ms` (`(Retry-After)` appended
/// when the server chose the wait).
pub(crate) fn retrying(
    target: &str,
    (method, path): (&http::Method, &str),
    attempt: u32,
    failure: &dyn fmt::Display,
    wait: Duration,
    server_chose: bool,
) {
    log::info!(
        target: target,
        "{method} {path}: attempt {attempt} failed ({failure}); retrying in {wait:?}{}",
        if server_chose { " (Retry-After)" } else { "" }
    );
}

/// A failure that could have been retried and is not: a `warn` event,
/// `POST /v2/…/list: giving up after 3 attempts in 21.5s (no retries left): HTTP 503`.
pub(crate) fn giving_up(
    target: &str,
    (method, path): (&http::Method, &str),
    attempts: u32,
    elapsed: Duration,
    why: GiveUp,
    failure: &dyn fmt::Display,
) {
    log::warn!(
        target: target,
        "{method} {path}: giving up after {attempts} attempt{} in {elapsed:?} ({why}): {failure}",
        if attempts == 1 { "" } else { "s" }
    );
}
