//! The public vocabulary of the replies: [`ImportJobState`], [`ImportJobCreated`],
//! [`ImportProgress`], [`ImportJobList`] and their parts.
//!
//! They are read from all three reply dialects (open-source Milvus v2, Zilliz Cloud v2, legacy
//! Zilliz v1), leniently exactly where servers disagree: `progress` may be an integer, a numeric
//! string or a float (floored); `jobId` a string or a number; counts integers or numeric
//! strings. A field of any other wrong type is a decode error naming the field, never a panic.
//! Fields without a typed home are kept in `extra`. The readers that do this live in
//! `model/wire.rs`; what the envelope around them means is decided in `envelope.rs`.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

mod wire;

/// A job's state as the server reports it.
///
/// The legacy Zilliz v1 names map to the current ones (`ImportPending` → `Pending`,
/// `ImportRunning` → `Importing`, `ImportCompleted` → `Completed`, `ImportFailed` → `Failed`);
/// anything else is kept in [`Unknown`](ImportJobState::Unknown), never an error.
///
/// ```
/// use milvus_bulk_import::ImportJobState;
///
/// let state: ImportJobState = "ImportCompleted".parse().unwrap();
/// assert_eq!(state, ImportJobState::Completed);
/// assert!(state.is_terminal());
/// assert_eq!(state.to_string(), "Completed");
///
/// let odd = ImportJobState::from("Sorting");
/// assert_eq!(odd, ImportJobState::Unknown("Sorting".into()));
/// assert_eq!(odd.as_str(), "Sorting");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImportJobState {
    /// Waiting to be scheduled.
    Pending,
    /// Running: reading files, sorting, building indexes (progress rises to 99).
    Importing,
    /// Two-phase import: data is ready and waits for
    /// [`commit_import`](crate::BulkImportApi::commit_import) or
    /// [`abort_import`](crate::BulkImportApi::abort_import).
    Uncommitted,
    /// Two-phase import: committed, being made visible.
    Committing,
    /// Done: all rows imported (terminal).
    Completed,
    /// Failed or aborted; see the reply's `reason` (terminal).
    Failed,
    /// A state this crate does not know (for example `None`), kept as the server wrote it.
    Unknown(String),
}

impl ImportJobState {
    /// The wire name: `"Pending"`, `"Importing"`, …; for `Unknown(s)`, `s`.
    pub fn as_str(&self) -> &str {
        match self {
            ImportJobState::Pending => "Pending",
            ImportJobState::Importing => "Importing",
            ImportJobState::Uncommitted => "Uncommitted",
            ImportJobState::Committing => "Committing",
            ImportJobState::Completed => "Completed",
            ImportJobState::Failed => "Failed",
            ImportJobState::Unknown(s) => s,
        }
    }

    /// True for [`Completed`](Self::Completed) and [`Failed`](Self::Failed): the job will not
    /// change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, ImportJobState::Completed | ImportJobState::Failed)
    }

    fn known(s: &str) -> Option<Self> {
        Some(match s {
            "Pending" | "ImportPending" => ImportJobState::Pending,
            "Importing" | "ImportRunning" => ImportJobState::Importing,
            "Uncommitted" => ImportJobState::Uncommitted,
            "Committing" => ImportJobState::Committing,
            "Completed" | "ImportCompleted" => ImportJobState::Completed,
            "Failed" | "ImportFailed" => ImportJobState::Failed,
            _ => return None,
        })
    }
}

impl fmt::Display for ImportJobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ImportJobState {
    fn from(s: &str) -> Self {
        Self::known(s).unwrap_or_else(|| ImportJobState::Unknown(s.to_string()))
    }
}

impl From<String> for ImportJobState {
    fn from(s: String) -> Self {
        Self::known(&s).unwrap_or(ImportJobState::Unknown(s))
    }
}

impl FromStr for ImportJobState {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(s))
    }
}

/// The reply to [`bulk_import`](crate::BulkImportApi::bulk_import).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportJobCreated {
    /// The new job's id: a decimal int64 as a string on Milvus, `job-…` on Zilliz Cloud.
    pub job_id: String,
}

/// The reply to [`list_import_jobs`](crate::BulkImportApi::list_import_jobs).
///
/// The paging fields are `None` on open-source Milvus, which does not page.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportJobList {
    /// The jobs (`data.records`, or the legacy `data.tasks`).
    pub records: Vec<ImportJobRecord>,
    /// Zilliz Cloud: `count`.
    pub count: Option<u64>,
    /// Zilliz Cloud: the page returned (`currentPage`).
    pub current_page: Option<u64>,
    /// Zilliz Cloud: the page size used (`pageSize`).
    pub page_size: Option<u64>,
}

/// One job in an [`ImportJobList`].
#[derive(Clone, Debug, PartialEq)]
pub struct ImportJobRecord {
    /// The job id (`jobId`).
    pub job_id: String,
    /// The target collection (`collectionName`; empty if the server sent none).
    pub collection_name: String,
    /// The state (`state`; `Unknown("")` if the server sent none).
    pub state: ImportJobState,
    /// Percent done (`progress`), when the server sends it (Zilliz Cloud lists may not).
    pub progress: Option<u32>,
    /// Why the job failed (`reason`); `None` when absent or empty.
    pub reason: Option<String>,
    /// Every other field of the record, as sent.
    pub extra: Map<String, Value>,
}

/// The reply to [`get_import_progress`](crate::BulkImportApi::get_import_progress).
///
/// Empty strings (such as `completeTime` before the job ends, or Zilliz's `reason: ""`) are
/// `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportProgress {
    /// The job id (`jobId`).
    pub job_id: String,
    /// The target collection (`collectionName`).
    pub collection_name: String,
    /// The state (`state`).
    pub state: ImportJobState,
    /// Percent done (`progress`).
    pub progress: Option<u32>,
    /// Rows imported so far (`importedRows`).
    pub imported_rows: Option<u64>,
    /// Rows in all the job's files (`totalRows`).
    pub total_rows: Option<u64>,
    /// Bytes in all the job's files (`fileSize`).
    pub file_size: Option<u64>,
    /// Zilliz Cloud: the source file (`fileName`).
    pub file_name: Option<String>,
    /// When the job was created (`createTime`, RFC 3339).
    pub create_time: Option<String>,
    /// When the job ended (`completeTime`, RFC 3339).
    pub complete_time: Option<String>,
    /// Why the job failed (`reason`).
    pub reason: Option<String>,
    /// Progress per source file (`details`; empty when absent).
    pub details: Vec<ImportFileProgress>,
    /// Every other field, as sent.
    pub extra: Map<String, Value>,
}

/// Progress of one source file (or one group of `.npy` files) in an [`ImportProgress`].
#[derive(Clone, Debug, PartialEq)]
pub struct ImportFileProgress {
    /// The file (`fileName`; Milvus writes the group as a bracketed list, `"[5.parquet]"`).
    pub file_name: Option<String>,
    /// Its size in bytes (`fileSize`).
    pub file_size: Option<u64>,
    /// Its task state as sent (`state`). Per-file states use their own vocabulary
    /// (`Pending`, `InProgress`, `Completed`, `Failed`, `Retry`, `None`), so this stays a string.
    pub state: Option<String>,
    /// Percent done (`progress`).
    pub progress: Option<u32>,
    /// Rows imported from this file (`importedRows`).
    pub imported_rows: Option<u64>,
    /// Rows in this file (`totalRows`).
    pub total_rows: Option<u64>,
    /// When this file was done (`completeTime`).
    pub complete_time: Option<String>,
    /// Why this file failed (`reason`).
    pub reason: Option<String>,
    /// Every other field, as sent.
    pub extra: Map<String, Value>,
}
