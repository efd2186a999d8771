//! [`BulkImportApi::wait_for_import`] and its [`WaitOptions`].

use std::cell::RefCell;
use std::fmt;
use std::thread;
use std::time::{Duration, Instant};

use crate::api::BulkImportApi;
use crate::error::Error;
use crate::model::{ImportJobState, ImportProgress};
use crate::request::JobRequest;
use crate::response::ApiResponse;
use crate::retry::is_transient;

/// The shortest [`WaitOptions::interval`] accepted: anything shorter would poll in a hot loop.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// How [`BulkImportApi::wait_for_import`] polls.
///
/// ```
/// use std::time::Duration;
/// use milvus_bulk_import::WaitOptions;
///
/// let options = WaitOptions::new()
///     .interval(Duration::from_secs(5))
///     .timeout(Duration::from_secs(30 * 60))
///     .on_progress(|p| eprintln!("{} {:?}%", p.state, p.progress));
/// # let _ = options;
/// ```
#[must_use]
pub struct WaitOptions<'a> {
    interval: Duration,
    timeout: Option<Duration>,
    on_progress: Option<ProgressCallback<'a>>,
}

/// The `on_progress` callback; a `RefCell` so that `wait_for_import` can take `&WaitOptions`.
type ProgressCallback<'a> = RefCell<Box<dyn FnMut(&ImportProgress) + 'a>>;

impl<'a> WaitOptions<'a> {
    /// Poll every 2 s at first, growing gently (×1.2 a poll, up to 5× the interval), with no
    /// timeout and no callback.
    pub fn new() -> Self {
        WaitOptions {
            interval: Duration::from_secs(2),
            timeout: None,
            on_progress: None,
        }
    }

    /// The first wait between two polls (default 2 s); later waits grow gently up to 5× this.
    ///
    /// At least 1 ms: with a shorter one (zero included)
    /// [`wait_for_import`](BulkImportApi::wait_for_import) fails with
    /// [`Error::InvalidRequest`] before polling, rather than poll in a hot loop.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Give up after this long with an error whose [`is_timeout()`](Error::is_timeout) is true
    /// and that carries the last progress seen (default: wait as long as it takes).
    ///
    /// The limit holds for the whole wait, a poll in flight included: each poll gets at most
    /// the time that is left (passed on as the call's deadline, which the built-in transport
    /// enforces and a custom one sees as a [`CallDeadline`](crate::CallDeadline)), so a silent
    /// or slow server cannot stretch the wait.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Called with each progress that differs from the one before (state, percentage or row
    /// counts), the first one included.
    pub fn on_progress(mut self, f: impl FnMut(&ImportProgress) + 'a) -> Self {
        self.on_progress = Some(RefCell::new(Box::new(f)));
        self
    }
}

impl Default for WaitOptions<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// What `on_progress` compares to decide that something changed.
fn fingerprint(p: &ImportProgress) -> (&ImportJobState, Option<u32>, Option<u64>, Option<u64>) {
    (&p.state, p.progress, p.imported_rows, p.total_rows)
}

impl BulkImportApi {
    /// Polls [`get_import_progress`](Self::get_import_progress) until the job ends, and
    /// returns the last describe reply — the raw [`Response`](crate::Response) and the typed
    /// [`ImportProgress`] — like every other call:
    ///
    /// * `Completed` → `Ok` with the final reply;
    /// * `Failed` → [`Error::ImportFailed`] with the job id and the server's reason;
    /// * `Uncommitted` (a two-phase job) → `Ok`: it will not move until committed or aborted;
    /// * the [timeout](WaitOptions::timeout) passes → [`Error::WaitTimedOut`] (its
    ///   `is_timeout()` is true) with the last progress seen; a poll in flight then is cut off.
    ///
    /// An [interval](WaitOptions::interval) under 1 ms is refused with
    /// [`Error::InvalidRequest`] before anything is sent. The progress in an error is scrubbed
    /// of the client's secrets (its reason, details and unknown fields included).
    ///
    /// Each poll is retried as the client's [`RetryPolicy`](crate::RetryPolicy) says; a poll
    /// that still fails for a passing reason (what the policy retries for a read: connection
    /// refused, reset or timed out, HTTP 429, 502, 503, 504) is tried again at the next
    /// interval, and any other error ends the wait.
    ///
    /// ```no_run
    /// # use milvus_bulk_import::{BulkImportApi, JobRequest, WaitOptions};
    /// # #[cfg(feature = "ureq")]
    /// # fn main() -> Result<(), milvus_bulk_import::Error> {
    /// # let api = BulkImportApi::new("http://127.0.0.1:19530", "root:Milvus")?;
    /// let done = api.wait_for_import(
    ///     &JobRequest::new("453240863839750922"),
    ///     &WaitOptions::new().on_progress(|p| println!("{} {:?}%", p.state, p.progress)),
    /// )?;
    /// println!("{} rows imported", done.data().imported_rows.unwrap_or(0));
    /// println!("{}", done.response().text()); // the server's own JSON
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "ureq"))]
    /// # fn main() {}
    /// ```
    pub fn wait_for_import(
        &self,
        request: &JobRequest,
        options: &WaitOptions<'_>,
    ) -> Result<ApiResponse<ImportProgress>, Error> {
        if options.interval < MIN_INTERVAL {
            return Err(Error::invalid_request(format!(
                "the wait interval must be at least 1 ms, not {:?} (a shorter one would poll \
                 in a hot loop)",
                options.interval
            )));
        }
        let started = Instant::now();
        // None: no timeout, or one too long to represent.
        let end = options.timeout.and_then(|t| started.checked_add(t));
        let mut interval = options.interval;
        let longest = options.interval.saturating_mul(5);
        // The last reply of a job still under way.
        let mut last: Option<ApiResponse<ImportProgress>> = None;
        let timed_out = |last: Option<ApiResponse<ImportProgress>>| {
            Error::wait_timed_out(request.job_id(), started.elapsed(), last.map(scrubbed))
        };
        loop {
            match self.get_import_progress_until(request, end) {
                Ok(reply) => {
                    let changed = last
                        .as_ref()
                        .is_none_or(|l| fingerprint(l.data()) != fingerprint(reply.data()));
                    if changed {
                        if let Some(callback) = &options.on_progress {
                            (callback.borrow_mut())(reply.data());
                        }
                    }
                    match reply.data().state {
                        ImportJobState::Completed | ImportJobState::Uncommitted => {
                            return Ok(reply)
                        }
                        ImportJobState::Failed => {
                            return Err(Error::import_failed(request.job_id(), scrubbed(reply)));
                        }
                        _ => last = Some(reply),
                    }
                }
                Err(err) if is_transient(&err) => {}
                // The poll was cut off because the wait's time ran out.
                Err(Error::Transport { .. }) if end.is_some_and(|end| Instant::now() >= end) => {}
                Err(err) => return Err(err),
            }
            if let Some(end) = end {
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(timed_out(last));
                }
                if left <= interval {
                    // No time would be left for another poll.
                    thread::sleep(left);
                    return Err(timed_out(last));
                }
            }
            thread::sleep(interval);
            interval = Duration::try_from_secs_f64(interval.as_secs_f64() * 1.2)
                .unwrap_or(longest)
                .min(longest)
                .max(options.interval);
        }
    }
}

/// The progress of `reply` for an error: scrubbed of the secrets the reply must not show.
fn scrubbed(reply: ApiResponse<ImportProgress>) -> ImportProgress {
    let secrets = reply.response().secrets().clone();
    let mut progress = reply.into_data();
    secrets.scrub_progress(&mut progress);
    progress
}
