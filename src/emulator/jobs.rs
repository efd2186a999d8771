//! The emulator's job store: import jobs and how they move through their states.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::{Flavor, Timing};
use crate::ImportJobState;

/// Where a job is in its life. Import progress moves 0 → 25 → 50 → 75, then the job ends.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stage {
    Pending,
    Importing(u32),
    Uncommitted,
    Committing,
    Completed,
    Failed(String),
    /// A state seeded by a test that the lifecycle does not produce (e.g. `None`); stays put.
    Other(String),
}

impl Stage {
    pub(crate) fn state(&self) -> ImportJobState {
        match self {
            Stage::Pending => ImportJobState::Pending,
            Stage::Importing(_) => ImportJobState::Importing,
            Stage::Uncommitted => ImportJobState::Uncommitted,
            Stage::Committing => ImportJobState::Committing,
            Stage::Completed => ImportJobState::Completed,
            Stage::Failed(_) => ImportJobState::Failed,
            Stage::Other(name) => ImportJobState::from(name.as_str()),
        }
    }

    fn progress(&self) -> u32 {
        match self {
            Stage::Pending | Stage::Failed(_) | Stage::Other(_) => 0,
            Stage::Importing(p) => *p,
            Stage::Uncommitted | Stage::Committing => 99,
            Stage::Completed => 100,
        }
    }
}

/// One import job.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) db: String,
    /// Zilliz Cloud: the cluster id, or `project/region`; empty on Milvus.
    pub(crate) target: String,
    pub(crate) collection: String,
    /// Source groups: Milvus `files`, Zilliz `objectUrls` / `dataPaths` / `[objectUrl]`.
    pub(crate) sources: Vec<Vec<String>>,
    pub(crate) two_phase: bool,
    /// Set when a source path holds the failure marker: the job fails at the end of importing.
    pub(crate) fail_reason: Option<String>,
    pub(crate) stage: Stage,
    pub(crate) aborted: bool,
    created: SystemTime,
    completed: Option<SystemTime>,
    /// When the stage last changed (for [`Timing::RealTime`]).
    changed: Instant,
    /// Rows and bytes of each source group, in `sources` order.
    groups: Vec<GroupSize>,
    /// The idempotency key (scope, key) that names this job, if any.
    key: Option<(String, String)>,
    /// About how many bytes the job takes in memory.
    bytes: usize,
}

/// The rows and bytes of one source group (one file, or the `.npy` files of one batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GroupSize {
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
}

/// What a new job is made from.
pub(crate) struct NewJob {
    pub(crate) db: String,
    pub(crate) target: String,
    pub(crate) collection: String,
    pub(crate) sources: Vec<Vec<String>>,
    pub(crate) two_phase: bool,
    pub(crate) fail_reason: Option<String>,
    pub(crate) stage: Stage,
    /// The true size of each source group when the emulator read the files; `None` gives
    /// every group the configured rows per file (and 128 bytes a row).
    pub(crate) sizes: Option<Vec<GroupSize>>,
}

impl NewJob {
    /// About how many bytes the job will take in memory.
    fn bytes(&self) -> usize {
        let strings = self.db.len() + self.target.len() + self.collection.len();
        let sources: usize = self
            .sources
            .iter()
            .map(|g| 24 + g.iter().map(|p| 24 + p.len()).sum::<usize>())
            .sum();
        256 + strings + sources + 16 * self.sources.len()
    }
}

impl Job {
    /// Moves up to `steps` steps, stopping early once the stage no longer changes.
    pub(crate) fn advance(&mut self, steps: u32) {
        for _ in 0..steps {
            let before = self.stage.clone();
            self.step();
            if self.stage == before {
                break;
            }
        }
    }

    /// Moves one step along the lifecycle; terminal and waiting stages stay put.
    pub(crate) fn step(&mut self) {
        let next = match &self.stage {
            Stage::Pending => Stage::Importing(25),
            Stage::Importing(p) if *p < 75 => Stage::Importing(p + 25),
            Stage::Importing(_) => match (&self.fail_reason, self.two_phase) {
                (Some(reason), _) => Stage::Failed(reason.clone()),
                (None, true) => Stage::Uncommitted,
                (None, false) => Stage::Completed,
            },
            Stage::Committing => Stage::Completed,
            Stage::Uncommitted | Stage::Completed | Stage::Failed(_) | Stage::Other(_) => return,
        };
        self.set_stage(next);
    }

    pub(crate) fn set_stage(&mut self, stage: Stage) {
        if matches!(stage, Stage::Completed | Stage::Failed(_)) && self.completed.is_none() {
            self.completed = Some(SystemTime::now());
        }
        self.stage = stage;
        self.changed = Instant::now();
    }

    /// Under [`Timing::RealTime`], catches up with the clock.
    fn catch_up(&mut self, timing: Timing, now: Instant) {
        if let Timing::RealTime(total) = timing {
            let interval = (total / 4).max(Duration::from_millis(1));
            while now.duration_since(self.changed) >= interval {
                let before = self.stage.clone();
                let changed = self.changed + interval;
                let was_done = self.completed.is_some();
                self.step();
                if self.stage == before {
                    break;
                }
                if !was_done && self.completed.is_some() {
                    // It ended at `changed`, not now, when it is first looked at.
                    self.completed = SystemTime::now().checked_sub(now.duration_since(changed));
                }
                self.changed = changed;
            }
        }
    }

    fn total_rows(&self) -> u64 {
        self.groups
            .iter()
            .fold(0u64, |sum, g| sum.saturating_add(g.rows))
    }

    fn file_size(&self) -> u64 {
        self.groups
            .iter()
            .fold(0u64, |sum, g| sum.saturating_add(g.bytes))
    }

    fn imported_rows(&self) -> u64 {
        match self.stage {
            Stage::Uncommitted | Stage::Committing | Stage::Completed => self.total_rows(),
            Stage::Importing(p) => percent_of(self.total_rows(), p),
            Stage::Pending | Stage::Failed(_) | Stage::Other(_) => 0,
        }
    }

    fn file_name(group: &[String]) -> String {
        // Milvus formats the group with Go's `%v`: `[a.npy b.npy]`.
        format!("[{}]", group.join(" "))
    }

    fn complete_time(&self) -> String {
        self.completed.map(rfc3339).unwrap_or_default()
    }

    fn reason(&self) -> &str {
        match &self.stage {
            Stage::Failed(reason) => reason,
            Stage::Other(name) if name == "None" => "unknown import job state",
            _ => "",
        }
    }

    /// Writes the record of this job in a `list` reply (a JSON object) to `out`.
    pub(crate) fn write_record(&self, flavor: Flavor, out: &mut Vec<u8>) {
        let state = self.stage.state();
        let milvus = flavor == Flavor::Milvus;
        let record = Record {
            job_id: &self.id,
            collection_name: &self.collection,
            state: state.as_str(),
            progress: milvus.then(|| self.stage.progress()),
            reason: Some(self.reason()).filter(|r| milvus && !r.is_empty()),
        };
        write_json(out, &record);
    }

    /// Writes the `data` of a `describe` reply (a JSON object) to `out`, without building it
    /// first: a job with many files costs its reply's size, not many times that.
    pub(crate) fn write_describe(&self, flavor: Flavor, out: &mut Vec<u8>) {
        let state = self.stage.state();
        let complete_time = self.complete_time();
        let reason = self.reason();
        let details = Details {
            job: self,
            flavor,
            complete_time: &complete_time,
        };
        match flavor {
            Flavor::Milvus => write_json(
                out,
                &MilvusDescribe {
                    job_id: &self.id,
                    collection_name: &self.collection,
                    create_time: rfc3339(self.created),
                    complete_time: &complete_time,
                    state: state.as_str(),
                    progress: self.stage.progress(),
                    imported_rows: self.imported_rows(),
                    total_rows: self.total_rows(),
                    reason: Some(reason).filter(|r| !r.is_empty()),
                    file_size: self.file_size(),
                    details,
                },
            ),
            Flavor::Cloud => {
                let names: Vec<&str> = self.sources.iter().flatten().map(String::as_str).collect();
                write_json(
                    out,
                    &CloudDescribe {
                        job_id: &self.id,
                        collection_name: &self.collection,
                        file_name: names.join(","),
                        file_size: self.file_size(),
                        state: state.as_str(),
                        progress: self.stage.progress(),
                        complete_time: &complete_time,
                        reason,
                        total_rows: self.total_rows(),
                        details,
                    },
                )
            }
        }
    }
}

/// Serializes `value` to the end of `out`.
fn write_json(out: &mut Vec<u8>, value: &impl Serialize) {
    // Writing these plain structs to a Vec cannot fail.
    serde_json::to_writer(out, value).expect("serializable");
}

/// A job in a `list` reply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    job_id: &'a str,
    collection_name: &'a str,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// A Milvus `describe` reply's `data`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MilvusDescribe<'a> {
    job_id: &'a str,
    collection_name: &'a str,
    create_time: String,
    complete_time: &'a str,
    state: &'a str,
    progress: u32,
    imported_rows: u64,
    total_rows: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    file_size: u64,
    details: Details<'a>,
}

/// A Zilliz Cloud `describe` reply's `data`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloudDescribe<'a> {
    job_id: &'a str,
    collection_name: &'a str,
    file_name: String,
    file_size: u64,
    state: &'a str,
    progress: u32,
    complete_time: &'a str,
    reason: &'a str,
    total_rows: u64,
    details: Details<'a>,
}

/// A `describe` reply's `details`, one per source group, serialized as they are made.
struct Details<'a> {
    job: &'a Job,
    flavor: Flavor,
    complete_time: &'a str,
}

/// One source group in `details`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Detail<'a> {
    file_name: String,
    file_size: u64,
    progress: u32,
    complete_time: &'a str,
    state: &'a str,
    imported_rows: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl Serialize for Details<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let job = self.job;
        let reason = job.reason();
        serializer.collect_seq(job.sources.iter().zip(&job.groups).map(|(group, size)| {
            let (state, progress, imported) = match &job.stage {
                Stage::Pending | Stage::Other(_) => ("Pending", 0, 0),
                Stage::Importing(p) => ("InProgress", *p, percent_of(size.rows, *p)),
                Stage::Failed(_) => ("Failed", 0, 0),
                _ => ("Completed", 100, size.rows),
            };
            let milvus = self.flavor == Flavor::Milvus;
            Detail {
                file_name: Job::file_name(group),
                file_size: size.bytes,
                progress,
                complete_time: self.complete_time,
                state,
                imported_rows: imported,
                total_rows: milvus.then_some(size.rows),
                reason: Some(reason).filter(|r| !milvus || !r.is_empty()),
            }
        }))
    }
}

/// Jobs kept at most (the default of [`Jobs::set_max_jobs`]).
pub(crate) const MAX_JOBS: usize = 10_000;
/// About how many bytes of jobs are kept at most.
const MAX_JOB_BYTES: usize = 256 << 20;

static SEEDS: AtomicU64 = AtomicU64::new(1);

/// All jobs, in creation order, with the idempotency keys that point at them. At most
/// [`set_max_jobs`](Self::set_max_jobs) jobs (and about [`MAX_JOB_BYTES`]) are kept: the oldest
/// finished ones make room for new ones.
#[derive(Debug)]
pub(crate) struct Jobs {
    /// By sequence number: creation order.
    jobs: BTreeMap<u64, Job>,
    by_id: HashMap<String, u64>,
    /// (scope: target, database and collection; Idempotency-Key) → job id.
    idempotency: HashMap<(String, String), String>,
    next_seq: u64,
    next_id: u64,
    rng: u64,
    flavor: Flavor,
    timing: Timing,
    rows_per_group: u64,
    max_jobs: usize,
    /// The sum of the jobs' [`Job::bytes`].
    bytes: usize,
}

impl Jobs {
    pub(crate) fn new(flavor: Flavor, timing: Timing, rows_per_group: u64) -> Self {
        Jobs {
            jobs: BTreeMap::new(),
            by_id: HashMap::new(),
            idempotency: HashMap::new(),
            next_seq: 0,
            // Milvus ids are large decimal int64s; start from a realistic one.
            next_id: 453_240_863_839_750_922,
            // Each emulator in a process gets its own id sequence.
            rng: 0x9E37_79B9_7F4A_7C15 ^ SEEDS.fetch_add(0x2545_F491, Ordering::Relaxed),
            flavor,
            timing,
            rows_per_group,
            max_jobs: MAX_JOBS,
            bytes: 0,
        }
    }

    /// Keep at most `max` jobs (at least 1).
    pub(crate) fn set_max_jobs(&mut self, max: usize) {
        self.max_jobs = max.max(1);
    }

    fn new_id(&mut self) -> String {
        match self.flavor {
            Flavor::Milvus => {
                let id = self.next_id;
                self.next_id += 1;
                id.to_string()
            }
            Flavor::Cloud => {
                const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
                let mut id = String::from("job-");
                for _ in 0..21 {
                    // xorshift64*: deterministic, good enough for ids.
                    self.rng ^= self.rng >> 12;
                    self.rng ^= self.rng << 25;
                    self.rng ^= self.rng >> 27;
                    let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
                    id.push(ALPHABET[(r >> 32) as usize % ALPHABET.len()] as char);
                }
                id
            }
        }
    }

    /// Makes room for `new`, dropping the oldest finished (`Completed` or `Failed`) jobs while
    /// the store is full; false if it is still full (every job kept is unfinished).
    pub(crate) fn make_room(&mut self, new: &NewJob) -> bool {
        let need = new.bytes();
        let now = Instant::now();
        while self.jobs.len() >= self.max_jobs || self.bytes + need > MAX_JOB_BYTES {
            let timing = self.timing;
            let oldest = self.jobs.iter_mut().find_map(|(&seq, job)| {
                job.catch_up(timing, now);
                matches!(job.stage, Stage::Completed | Stage::Failed(_)).then_some(seq)
            });
            let Some(seq) = oldest else {
                return false;
            };
            self.remove(seq);
        }
        true
    }

    fn remove(&mut self, seq: u64) {
        let Some(job) = self.jobs.remove(&seq) else {
            return;
        };
        self.by_id.remove(&job.id);
        if let Some(key) = job.key {
            if self.idempotency.get(&key) == Some(&job.id) {
                self.idempotency.remove(&key);
            }
        }
        self.bytes -= job.bytes;
    }

    /// Adds a job and returns its id, [making room](Self::make_room) for it (past the cap if no
    /// finished job can go).
    pub(crate) fn insert(&mut self, new: NewJob) -> String {
        self.make_room(&new);
        let bytes = new.bytes();
        let id = self.new_id();
        let default = GroupSize {
            rows: self.rows_per_group,
            bytes: self.rows_per_group.saturating_mul(128),
        };
        let groups = match new.sizes {
            Some(sizes) if sizes.len() == new.sources.len() => sizes,
            _ => vec![default; new.sources.len()],
        };
        let mut job = Job {
            id: id.clone(),
            db: new.db,
            target: new.target,
            collection: new.collection,
            sources: new.sources,
            two_phase: new.two_phase,
            fail_reason: new.fail_reason,
            stage: Stage::Pending,
            aborted: false,
            created: SystemTime::now(),
            completed: None,
            changed: Instant::now(),
            groups,
            key: None,
            bytes,
        };
        job.set_stage(new.stage);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += bytes;
        self.by_id.insert(id.clone(), seq);
        self.jobs.insert(seq, job);
        id
    }

    pub(crate) fn idempotent(&self, scope: &str, key: &str) -> Option<&str> {
        self.idempotency
            .get(&(scope.to_string(), key.to_string()))
            .map(String::as_str)
    }

    pub(crate) fn remember(&mut self, scope: &str, key: &str, id: &str) {
        let key = (scope.to_string(), key.to_string());
        if let Some(job) = self.by_id.get(id).and_then(|seq| self.jobs.get_mut(seq)) {
            job.key = Some(key.clone());
        }
        self.idempotency.insert(key, id.to_string());
    }

    /// The job `id`, brought up to date with the clock.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Job> {
        let timing = self.timing;
        let seq = self.by_id.get(id)?;
        let job = self.jobs.get_mut(seq)?;
        job.catch_up(timing, Instant::now());
        Some(job)
    }

    /// Jobs for which `keep` is true, brought up to date with the clock, in creation order.
    pub(crate) fn matching(&mut self, keep: impl Fn(&Job) -> bool) -> Vec<&Job> {
        let now = Instant::now();
        let timing = self.timing;
        for job in self.jobs.values_mut() {
            job.catch_up(timing, now);
        }
        self.jobs.values().filter(|job| keep(job)).collect()
    }

    pub(crate) fn timing(&self) -> Timing {
        self.timing
    }

    pub(crate) fn advance_all(&mut self, steps: u32) {
        for job in self.jobs.values_mut() {
            job.advance(steps);
        }
    }
}

/// `p` percent of `n`, without overflow.
fn percent_of(n: u64, p: u32) -> u64 {
    (u128::from(n) * u128::from(p) / 100) as u64
}

/// `t` as RFC 3339 in UTC, to the second (`2025-01-16T08:42:09Z`).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        let at = |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_737_016_929), "2025-01-16T08:42:09Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    }

    fn job(two_phase: bool, fail: bool) -> Jobs {
        let mut jobs = Jobs::new(Flavor::Milvus, Timing::Manual, 1000);
        jobs.insert(NewJob {
            db: "default".into(),
            target: String::new(),
            collection: "c".into(),
            sources: vec![vec!["a.parquet".into()], vec!["b.parquet".into()]],
            two_phase,
            fail_reason: fail.then(|| "bad file".to_string()),
            stage: Stage::Pending,
            sizes: None,
        });
        jobs
    }

    #[test]
    fn lifecycle_ends_completed_uncommitted_or_failed() {
        for (two_phase, fail, end) in [
            (false, false, Stage::Completed),
            (true, false, Stage::Uncommitted),
            (false, true, Stage::Failed("bad file".into())),
        ] {
            let mut jobs = job(two_phase, fail);
            let mut seen = Vec::new();
            for _ in 0..6 {
                let j = jobs.get_mut("453240863839750922").unwrap();
                seen.push(j.stage.clone());
                j.step();
            }
            assert_eq!(
                seen[..5],
                [
                    Stage::Pending,
                    Stage::Importing(25),
                    Stage::Importing(50),
                    Stage::Importing(75),
                    end.clone()
                ]
            );
            assert_eq!(seen[5], end, "terminal and waiting stages stay put");
        }
    }

    #[test]
    fn cloud_ids_look_like_zilliz_ids_and_differ() {
        let mut jobs = Jobs::new(Flavor::Cloud, Timing::Manual, 1);
        let a = jobs.new_id();
        let b = jobs.new_id();
        assert!(a.starts_with("job-") && a.len() == 25, "{a}");
        assert_ne!(a, b);
    }
}
