//! Typed replies: [`ImportJobCreated`], [`ImportProgress`], [`ImportJobList`] and their parts.
//!
//! The parsers read all three reply dialects (open-source Milvus v2, Zilliz Cloud v2, legacy
//! Zilliz v1) and are lenient exactly where servers disagree: `progress` may be an integer, a
//! numeric string or a float (floored); `jobId` a string or a number; counts integers or numeric
//! strings. A field of any other wrong type is a decode error, never a panic. Fields without a
//! typed home are kept in `extra`.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

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

/// Builds a reply type from the envelope's `data` member. Errors are human-readable reasons.
pub(crate) trait FromData: Sized {
    fn from_data(data: Option<Value>) -> Result<Self, String>;
}

impl FromData for () {
    fn from_data(_: Option<Value>) -> Result<Self, String> {
        Ok(())
    }
}

impl FromData for ImportJobCreated {
    fn from_data(data: Option<Value>) -> Result<Self, String> {
        let mut data = object(data, "data")?;
        let job_id = match job_id(&mut data, "jobId")? {
            Some(id) => Some(id),
            // Early Milvus 2.4 builds spelled it `jobID`.
            None => job_id(&mut data, "jobID")?,
        };
        Ok(ImportJobCreated {
            job_id: job_id.ok_or("data has no jobId")?,
        })
    }
}

impl FromData for ImportJobList {
    fn from_data(data: Option<Value>) -> Result<Self, String> {
        let mut data = object(data, "data")?;
        let records = match data.remove("records") {
            Some(Value::Null) | None => data.remove("tasks"),
            some => some,
        };
        let records = match records {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| record(item).map_err(|e| format!("records[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("records is {}, not a list", kind(&other))),
        };
        Ok(ImportJobList {
            records,
            count: count(&mut data, "count")?,
            current_page: count(&mut data, "currentPage")?,
            page_size: count(&mut data, "pageSize")?,
        })
    }
}

impl FromData for ImportProgress {
    fn from_data(data: Option<Value>) -> Result<Self, String> {
        let mut data = object(data, "data")?;
        let details = match data.remove("details") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| file_progress(item).map_err(|e| format!("details[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("details is {}, not a list", kind(&other))),
        };
        Ok(ImportProgress {
            job_id: job_id(&mut data, "jobId")?.ok_or("data has no jobId")?,
            collection_name: string(&mut data, "collectionName")?.unwrap_or_default(),
            state: state(&mut data)?,
            progress: progress(&mut data, "progress")?,
            imported_rows: count(&mut data, "importedRows")?,
            total_rows: count(&mut data, "totalRows")?,
            file_size: count(&mut data, "fileSize")?,
            file_name: non_empty(string(&mut data, "fileName")?),
            create_time: non_empty(string(&mut data, "createTime")?),
            complete_time: non_empty(string(&mut data, "completeTime")?),
            reason: non_empty(string(&mut data, "reason")?),
            details,
            extra: data,
        })
    }
}

fn record(item: Value) -> Result<ImportJobRecord, String> {
    let mut item = object(Some(item), "record")?;
    Ok(ImportJobRecord {
        job_id: job_id(&mut item, "jobId")?.ok_or("no jobId")?,
        collection_name: string(&mut item, "collectionName")?.unwrap_or_default(),
        state: state(&mut item)?,
        progress: progress(&mut item, "progress")?,
        reason: non_empty(string(&mut item, "reason")?),
        extra: item,
    })
}

fn file_progress(item: Value) -> Result<ImportFileProgress, String> {
    let mut item = object(Some(item), "detail")?;
    Ok(ImportFileProgress {
        file_name: non_empty(string(&mut item, "fileName")?),
        file_size: count(&mut item, "fileSize")?,
        state: non_empty(string(&mut item, "state")?),
        progress: progress(&mut item, "progress")?,
        imported_rows: count(&mut item, "importedRows")?,
        total_rows: count(&mut item, "totalRows")?,
        complete_time: non_empty(string(&mut item, "completeTime")?),
        reason: non_empty(string(&mut item, "reason")?),
        extra: item,
    })
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn object(value: Option<Value>, what: &str) -> Result<Map<String, Value>, String> {
    match value {
        Some(Value::Object(map)) => Ok(map),
        None => Err(format!("{what} is missing")),
        Some(other) => Err(format!("{what} is {}, not an object", kind(&other))),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.is_empty())
}

fn string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{key} is {}, not a string", kind(&other))),
    }
}

fn job_id(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(format!("{key} is empty")),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(other) => Err(format!(
            "{key} is {}, not a string or an integer",
            kind(&other)
        )),
    }
}

fn state(map: &mut Map<String, Value>) -> Result<ImportJobState, String> {
    Ok(string(map, "state")?
        .map(ImportJobState::from)
        .unwrap_or_else(|| ImportJobState::Unknown(String::new())))
}

/// A non-negative integer: a JSON integer, an integral float, or a numeric string.
fn count(map: &mut Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    let value = match map.remove(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let parsed = match &value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| is_whole(*f)).map(|f| f as u64)),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| format!("{key} is {value}, not a non-negative integer"))
}

fn is_whole(f: f64) -> bool {
    f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < u64::MAX as f64
}

/// A percentage: an integer, a float (floored, so 99.9 never reads as done) or a numeric string.
fn progress(map: &mut Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    let value = match map.remove(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let number = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match number {
        Some(f) if f.is_finite() && (0.0..=f64::from(u32::MAX)).contains(&f) => {
            Ok(Some(f.floor() as u32))
        }
        _ => Err(format!("{key} is {value}, not a percentage")),
    }
}
