//! [`RetryPolicy`]: when and how often a failed call is tried again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, TransportErrorKind};

/// How failed calls are retried: exponential backoff with full jitter, within a total budget.
///
/// Every import call is a `POST`, so what is safe to repeat is decided per operation:
///
/// | operation | retried on |
/// |---|---|
/// | `get_import_progress`, `list_import_jobs`, and `bulk_import` with an [idempotency key](crate::BulkImportRequest::idempotency_key) | connection refused, timeouts, connections dropped mid-reply; HTTP 429, 502, 503, 504 |
/// | `bulk_import` without a key, `commit_import`, `abort_import` | only what cannot have reached the server (connection refused), and 429 or 503 that carry `Retry-After` |
///
/// A `Retry-After` header (seconds or an HTTP date) replaces the computed backoff, clamped to
/// [`max_backoff`](Self::max_backoff) and to what is left of the budget. The attempts made are
/// on the error ([`Error::attempts`]).
///
/// ```
/// use std::time::Duration;
/// use milvus_bulk_import::{BulkImportApi, FnTransport, RetryPolicy, http};
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(10))
///     .total_timeout(Duration::from_secs(120));
/// let api = BulkImportApi::builder("http://127.0.0.1:19530")
///     .retry(policy)
/// #   .transport(FnTransport::new(|_| Ok(http::Response::new(Vec::new()))))
///     .build()?;
/// # let _ = api;
/// # Ok::<(), milvus_bulk_import::Error>(())
/// ```
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    total_timeout: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 500 ms initial backoff, 20 s cap, 60 s in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            total_timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (default 3; 0 is taken as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry (default 500 ms); it doubles each retry, and each
    /// wait is drawn at random between zero and that (full jitter).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest single wait, `Retry-After` included (default 20 s).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts after this long from the first attempt (default 60 s).
    pub fn total_timeout(mut self, budget: Duration) -> Self {
        self.total_timeout = budget;
        self
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn budget(&self) -> Duration {
        self.total_timeout
    }

    /// The wait before retry number `retry` (1 for the first retry): `Retry-After` when the
    /// server gave one, else full jitter over the doubled backoff; at most `max_backoff`.
    pub(crate) fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let wait = match retry_after {
            Some(after) => after,
            None => {
                let exp = self.initial_backoff.saturating_mul(
                    1u32.checked_shl(retry.saturating_sub(1))
                        .unwrap_or(u32::MAX),
                );
                let ceiling = exp.min(self.max_backoff);
                Duration::try_from_secs_f64(ceiling.as_secs_f64() * random_fraction())
                    .unwrap_or(ceiling)
            }
        };
        wait.min(self.max_backoff)
    }
}

/// A uniformly random number in [0, 1), from the standard library's per-process random keys.
fn random_fraction() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// 64 random bits: the standard library's per-process random keys hashing a call counter, the
/// clock and the process id (not for secrets).
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// How safe an operation is to repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reads, and creates with an idempotency key.
    Repeatable,
    /// Creates without a key, commits and aborts: only what cannot have reached the server.
    Once,
}

/// Whether `err` is worth another attempt, and the server's `Retry-After` if it sent one.
pub(crate) fn retryable(err: &Error, safety: Safety) -> Option<Option<Duration>> {
    let retry_after = err.response().and_then(|r| {
        r.headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after)
    });
    let status = match err {
        Error::Transport { source, .. } => {
            return match (source.kind(), safety) {
                (TransportErrorKind::Connect, _) => Some(None),
                (
                    TransportErrorKind::Timeout | TransportErrorKind::Interrupted,
                    Safety::Repeatable,
                ) => Some(None),
                _ => None,
            };
        }
        _ => err.status()?,
    };
    match (status, safety) {
        (429 | 502 | 503 | 504, Safety::Repeatable) => Some(retry_after),
        (429 | 503, Safety::Once) if retry_after.is_some() => Some(retry_after),
        _ => None,
    }
}

/// `Retry-After`: delay-seconds, or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the epoch of an IMF-fixdate (RFC 9110 §5.6.7).
fn parse_http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as i64);
    u64::try_from(days)
        .ok()
        .map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date, month 1..=12 (Howard Hinnant's
/// days-from-civil algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `err` is a passing failure (the network, or a server that is busy or restarting):
/// what a read is retried on, so that [`wait_for_import`](crate::BulkImportApi::wait_for_import)
/// polls through exactly what the retry table calls passing.
pub(crate) fn is_transient(err: &Error) -> bool {
    retryable(err, Safety::Repeatable).is_some()
}

/// The retry state of one call: how many attempts it has made, and until when it may retry.
/// Both call loops (the API's, the S3 uploads') ask it, so the budget arithmetic is written
/// once.
pub(crate) struct Retries<'a> {
    policy: &'a RetryPolicy,
    /// No retry starts after this (`None`: no limit, or one too far to represent).
    end: Option<Instant>,
    attempt: u32,
}

/// Why a call that could be retried is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The policy's attempts are used up.
    NoAttemptsLeft,
    /// The next attempt could not start before the budget or the deadline ends.
    OutOfTime,
}

impl std::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GiveUp::NoAttemptsLeft => "no retries left",
            GiveUp::OutOfTime => "the retry budget or deadline would pass before the next one",
        })
    }
}

impl<'a> Retries<'a> {
    /// A call that starts at `started` under `policy`, ended at `deadline` at the latest.
    pub(crate) fn new(
        policy: &'a RetryPolicy,
        started: Instant,
        deadline: Option<Instant>,
    ) -> Self {
        let end = match (started.checked_add(policy.budget()), deadline) {
            (Some(budget), Some(deadline)) => Some(budget.min(deadline)),
            (budget, deadline) => budget.or(deadline),
        };
        Retries {
            policy,
            end,
            attempt: 0,
        }
    }

    /// Counts an attempt about to start; returns its number (from 1).
    pub(crate) fn start(&mut self) -> u32 {
        self.attempt += 1;
        self.attempt
    }

    /// After the current attempt failed in a way that may be retried: how long to wait before
    /// the next one (the policy's backoff or the server's `Retry-After`, within what is left
    /// of the budget), or why there is no next one. A backoff that would reach the end gives
    /// up; a server's `Retry-After` is honoured up to the end.
    pub(crate) fn next_wait(&self, retry_after: Option<Duration>) -> Result<Duration, GiveUp> {
        if self.attempt >= self.policy.attempts() {
            return Err(GiveUp::NoAttemptsLeft);
        }
        let wait = self.policy.backoff(self.attempt, retry_after);
        let Some(end) = self.end else {
            return Ok(wait);
        };
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || (retry_after.is_none() && wait >= left) {
            return Err(GiveUp::OutOfTime);
        }
        Ok(wait.min(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_civil_counts_from_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1994, 11, 6), 9_075);
    }

    #[test]
    fn retries_stop_when_the_attempts_are_used_up() {
        let policy = RetryPolicy::default()
            .max_attempts(2)
            .initial_backoff(Duration::from_millis(10));
        let mut retries = Retries::new(&policy, Instant::now(), None);
        assert_eq!(retries.start(), 1);
        let wait = retries.next_wait(None).unwrap();
        assert!(wait <= Duration::from_millis(10), "{wait:?}");
        assert_eq!(retries.start(), 2);
        assert_eq!(retries.next_wait(None), Err(GiveUp::NoAttemptsLeft));
    }

    #[test]
    fn retries_stop_at_the_deadline_but_honour_retry_after_up_to_it() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_secs(10));
        let now = Instant::now();
        // A backoff that would reach the deadline gives up...
        let mut retries = Retries::new(&policy, now, Some(now + Duration::from_millis(50)));
        retries.start();
        let backoff = retries.next_wait(None);
        assert!(
            backoff == Err(GiveUp::OutOfTime) || backoff.unwrap() < Duration::from_millis(50),
            "{backoff:?}"
        );
        // ...a server's Retry-After is cut to what is left.
        let wait = retries.next_wait(Some(Duration::from_secs(5))).unwrap();
        assert!(wait <= Duration::from_millis(50), "{wait:?}");
        // Past the deadline, nothing starts.
        let past = Retries::new(&policy, now, Some(now));
        assert_eq!(past.next_wait(Some(Duration::ZERO)), Err(GiveUp::OutOfTime));
        assert!(GiveUp::OutOfTime.to_string().contains("deadline"));
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        // A date in the past means now.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        for bad in [
            "soon",
            "-1",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun 06 Nov 1994",
        ] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_is_jittered_below_the_doubled_ceiling_and_the_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        for _ in 0..200 {
            assert!(policy.backoff(1, None) <= Duration::from_millis(100));
            assert!(policy.backoff(2, None) <= Duration::from_millis(200));
            assert!(policy.backoff(9, None) <= Duration::from_millis(300));
        }
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(9))),
            Duration::from_millis(300)
        );
        assert_eq!(RetryPolicy::none().attempts(), 1);
        // Extreme settings neither overflow nor panic.
        let extreme = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX)
            .total_timeout(Duration::MAX);
        let _ = extreme.backoff(u32::MAX, None);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}
