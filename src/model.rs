//! Typed replies: [`ImportJobCreated`], [`ImportProgress`], [`ImportJobList`] and their parts.
//!
//! The parsers read all three reply dialects (open-source Milvus v2, Zilliz Cloud v2, legacy
//! Zilliz v1) and are lenient exactly where servers disagree: `progress` may be an integer, a
//! numeric string or a float (floored); `jobId` a string or a number; counts integers or numeric
//! strings. A field of any other wrong type is a decode error naming the field, never a panic.
//! Fields without a typed home are kept in `extra`.
//!
//! Decoding streams from the reply bytes straight into these types (serde visitors), without an
//! intermediate `serde_json::Value` tree: only fields kept in `extra` become `Value`s.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
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

/// A reply type read from the envelope's `data` member, straight from the reply bytes.
pub(crate) trait FromData: Sized {
    /// Reads `data`.
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;

    /// The value for a success reply without `data`.
    fn missing() -> Result<Self, String> {
        Err("data is missing".into())
    }
}

impl FromData for () {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| ())
    }

    fn missing() -> Result<Self, String> {
        Ok(())
    }
}

impl FromData for ImportJobCreated {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CreatedWire::deserialize(d).map(|w| w.0)
    }
}

impl FromData for ImportJobList {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ListWire::deserialize(d).map(|w| w.0)
    }
}

impl FromData for ImportProgress {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ProgressWire::deserialize(d).map(|w| w.0)
    }
}

/// The schema of a REST v2 `collections/describe` reply's `data`.
#[cfg(feature = "writer")]
impl FromData for crate::writer::CollectionSchema {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <crate::writer::CollectionSchema as Deserialize>::deserialize(d)
    }
}

/// Reads `data` from raw JSON (when it came before `code`, or in the legacy `code: 200` form).
pub(crate) fn from_raw<T: FromData>(data: &RawValue) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(data.get());
    T::deserialize_data(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|e| format!("data: {e}"))
}

/// [`FromData`] as a seed, for reading `data` in place; errors start with `data: `.
pub(crate) struct DataSeed<T>(pub(crate) std::marker::PhantomData<T>);

impl<'de, T: FromData> DeserializeSeed<'de> for DataSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize_data(d).map_err(|e| de::Error::custom(format_args!("data: {e}")))
    }
}

// ---- wire types: private Deserialize impls with the leniency described above ----

/// An object key, borrowed from the reply when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(v.to_string().into()))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads the value of `key` as `T`, naming the key in any error.
fn value<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    key: &str,
) -> Result<T, A::Error> {
    map.next_value::<T>()
        .map_err(|e| de::Error::custom(format_args!("{key}: {e}")))
}

/// A string field; `null` is absent, an empty string is kept (callers decide).
fn string<'de, A: MapAccess<'de>>(map: &mut A, key: &str) -> Result<Option<String>, A::Error> {
    value::<A, Option<String>>(map, key)
}

/// A job id: a non-empty string, or an integer (written as decimal).
struct JobId(Option<String>);

impl<'de> Deserialize<'de> for JobId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JobId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-empty string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JobId, E> {
                if v.is_empty() {
                    return Err(E::custom("is empty"));
                }
                Ok(JobId(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JobId, E> {
                Ok(JobId(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JobId, E> {
                Ok(JobId(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JobId, E> {
                // An integral number written as a float (`1e2`): exact below 2^53.
                if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
                    Ok(JobId(Some(format!("{}", v as i64))))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<JobId, E> {
                Ok(JobId(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A non-negative integer: a JSON integer, an integral float, or a numeric string (`""` and
/// `null` are absent).
struct Count(Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v)
                    .map(|v| Count(Some(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64 {
                    Ok(Count(Some(v as u64)))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                let t = v.trim();
                if t.is_empty() {
                    return Ok(Count(None));
                }
                t.parse()
                    .map(|v| Count(Some(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Count, E> {
                Ok(Count(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A percentage: an integer, a float (floored, so 99.9 never reads as done) or a numeric
/// string (`""` and `null` are absent).
struct Percent(Option<u32>);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl V {
            fn check<E: de::Error>(&self, v: f64, unexp: de::Unexpected<'_>) -> Result<Percent, E> {
                if v.is_finite() && (0.0..=f64::from(u32::MAX)).contains(&v) {
                    Ok(Percent(Some(v.floor() as u32)))
                } else {
                    Err(E::invalid_value(unexp, self))
                }
            }
        }
        impl Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a percentage")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Percent, E> {
                u32::try_from(v)
                    .map(|v| Percent(Some(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Percent, E> {
                u32::try_from(v)
                    .map(|v| Percent(Some(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Percent, E> {
                self.check(v, de::Unexpected::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Percent, E> {
                let t = v.trim();
                if t.is_empty() {
                    return Ok(Percent(None));
                }
                match t.parse::<f64>() {
                    Ok(f) => self.check(f, de::Unexpected::Str(v)),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Percent, E> {
                Ok(Percent(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A job state; `null` reads as absent (`Unknown("")`).
struct State(Option<ImportJobState>);

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = State;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<State, E> {
                Ok(State(Some(ImportJobState::from(v))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<State, E> {
                Ok(State(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn unknown_state(state: Option<ImportJobState>) -> ImportJobState {
    state.unwrap_or_else(|| ImportJobState::Unknown(String::new()))
}

/// A list read as wire type `W` and kept as `O`, whose errors name the list and the index:
/// `records[3]: progress: …`.
struct List<W, O> {
    name: &'static str,
    marker: std::marker::PhantomData<(W, O)>,
}

impl<W, O> List<W, O> {
    fn new(name: &'static str) -> Self {
        List {
            name,
            marker: std::marker::PhantomData,
        }
    }
}

impl<'de, W: Deserialize<'de> + Into<O>, O> DeserializeSeed<'de> for List<W, O> {
    type Value = Option<Vec<O>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, W: Deserialize<'de> + Into<O>, O> Visitor<'de> for List<W, O> {
    type Value = Option<Vec<O>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let i = items.len();
            match seq.next_element::<W>() {
                Ok(Some(item)) => items.push(item.into()),
                Ok(None) => return Ok(Some(items)),
                Err(e) => return Err(de::Error::custom(format_args!("{}[{i}]: {e}", self.name))),
            }
        }
    }
}

fn list<'de, A: MapAccess<'de>, W: Deserialize<'de> + Into<O>, O>(
    map: &mut A,
    name: &'static str,
) -> Result<Option<Vec<O>>, A::Error> {
    map.next_value_seed(List::<W, O>::new(name))
        .map_err(|e| de::Error::custom(named(name, e.to_string())))
}

/// An error about list `name`: errors inside an element already carry `name[i]`; a wrong type
/// for the list itself gets the name here.
fn named(name: &str, text: String) -> String {
    if text.starts_with(name) {
        text
    } else {
        format!("{name}: {text}")
    }
}

/// Implements `Deserialize` for a wire type through a map visitor `visit(map)`.
macro_rules! map_wire {
    ($wire:ident, $expecting:literal, |$map:ident| $body:block) => {
        impl<'de> Deserialize<'de> for $wire {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $wire;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<$wire, A::Error> {
                        $body
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

struct CreatedWire(ImportJobCreated);

map_wire!(CreatedWire, "an object", |map| {
    let (mut id, mut legacy) = (None, None);
    while let Some(Key(key)) = map.next_key::<Key<'_>>()? {
        match &*key {
            "jobId" => id = value::<A, JobId>(&mut map, "jobId")?.0,
            // Early Milvus 2.4 builds spelled it `jobID`.
            "jobID" => legacy = value::<A, JobId>(&mut map, "jobID")?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    let job_id = id
        .or(legacy)
        .ok_or_else(|| de::Error::custom("has no jobId"))?;
    Ok(CreatedWire(ImportJobCreated { job_id }))
});

struct RecordWire(ImportJobRecord);

impl From<RecordWire> for ImportJobRecord {
    fn from(w: RecordWire) -> Self {
        w.0
    }
}

map_wire!(RecordWire, "an object", |map| {
    let mut job_id = None;
    let mut collection_name = None;
    let mut state = None;
    let mut progress = None;
    let mut reason = None;
    let mut extra = Map::new();
    while let Some(Key(key)) = map.next_key::<Key<'_>>()? {
        match &*key {
            "jobId" => job_id = value::<A, JobId>(&mut map, "jobId")?.0,
            "collectionName" => collection_name = string(&mut map, "collectionName")?,
            "state" => state = value::<A, State>(&mut map, "state")?.0,
            "progress" => progress = value::<A, Percent>(&mut map, "progress")?.0,
            "reason" => reason = string(&mut map, "reason")?,
            _ => {
                let v = map.next_value::<Value>()?;
                extra.insert(key.into_owned(), v);
            }
        }
    }
    Ok(RecordWire(ImportJobRecord {
        job_id: job_id.ok_or_else(|| de::Error::custom("no jobId"))?,
        collection_name: collection_name.unwrap_or_default(),
        state: unknown_state(state),
        progress,
        reason: non_empty(reason),
        extra,
    }))
});

struct ListWire(ImportJobList);

map_wire!(ListWire, "an object", |map| {
    let (mut records, mut tasks) = (None, None);
    let (mut count, mut current_page, mut page_size) = (None, None, None);
    while let Some(Key(key)) = map.next_key::<Key<'_>>()? {
        match &*key {
            "records" => records = list::<A, RecordWire, _>(&mut map, "records")?,
            // Legacy v1 name; read only when there is no `records`, which wins.
            "tasks" if records.is_some() => {
                map.next_value::<IgnoredAny>()?;
            }
            "tasks" => tasks = map.next_value::<Option<&'de RawValue>>()?,
            "count" => count = value::<A, Count>(&mut map, "count")?.0,
            "currentPage" => current_page = value::<A, Count>(&mut map, "currentPage")?.0,
            "pageSize" => page_size = value::<A, Count>(&mut map, "pageSize")?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    // If a reply carries both, `records` wins.
    let records = match (records, tasks) {
        (Some(records), _) => records,
        (None, Some(tasks)) => {
            let mut de = serde_json::Deserializer::from_str(tasks.get());
            List::<RecordWire, ImportJobRecord>::new("tasks")
                .deserialize(&mut de)
                .map_err(|e| de::Error::custom(named("tasks", e.to_string())))?
                .unwrap_or_default()
        }
        (None, None) => Vec::new(),
    };
    Ok(ListWire(ImportJobList {
        records,
        count,
        current_page,
        page_size,
    }))
});

struct DetailWire(ImportFileProgress);

impl From<DetailWire> for ImportFileProgress {
    fn from(w: DetailWire) -> Self {
        w.0
    }
}

map_wire!(DetailWire, "an object", |map| {
    let mut d = ImportFileProgress {
        file_name: None,
        file_size: None,
        state: None,
        progress: None,
        imported_rows: None,
        total_rows: None,
        complete_time: None,
        reason: None,
        extra: Map::new(),
    };
    while let Some(Key(key)) = map.next_key::<Key<'_>>()? {
        match &*key {
            "fileName" => d.file_name = non_empty(string(&mut map, "fileName")?),
            "fileSize" => d.file_size = value::<A, Count>(&mut map, "fileSize")?.0,
            "state" => d.state = non_empty(string(&mut map, "state")?),
            "progress" => d.progress = value::<A, Percent>(&mut map, "progress")?.0,
            "importedRows" => d.imported_rows = value::<A, Count>(&mut map, "importedRows")?.0,
            "totalRows" => d.total_rows = value::<A, Count>(&mut map, "totalRows")?.0,
            "completeTime" => d.complete_time = non_empty(string(&mut map, "completeTime")?),
            "reason" => d.reason = non_empty(string(&mut map, "reason")?),
            _ => {
                let v = map.next_value::<Value>()?;
                d.extra.insert(key.into_owned(), v);
            }
        }
    }
    Ok(DetailWire(d))
});

struct ProgressWire(ImportProgress);

map_wire!(ProgressWire, "an object", |map| {
    let mut job_id = None;
    let mut state = None;
    let mut details = None;
    let mut p = ImportProgress {
        job_id: String::new(),
        collection_name: String::new(),
        state: ImportJobState::Pending,
        progress: None,
        imported_rows: None,
        total_rows: None,
        file_size: None,
        file_name: None,
        create_time: None,
        complete_time: None,
        reason: None,
        details: Vec::new(),
        extra: Map::new(),
    };
    while let Some(Key(key)) = map.next_key::<Key<'_>>()? {
        match &*key {
            "jobId" => job_id = value::<A, JobId>(&mut map, "jobId")?.0,
            "collectionName" => {
                p.collection_name = string(&mut map, "collectionName")?.unwrap_or_default()
            }
            "state" => state = value::<A, State>(&mut map, "state")?.0,
            "progress" => p.progress = value::<A, Percent>(&mut map, "progress")?.0,
            "importedRows" => p.imported_rows = value::<A, Count>(&mut map, "importedRows")?.0,
            "totalRows" => p.total_rows = value::<A, Count>(&mut map, "totalRows")?.0,
            "fileSize" => p.file_size = value::<A, Count>(&mut map, "fileSize")?.0,
            "fileName" => p.file_name = non_empty(string(&mut map, "fileName")?),
            "createTime" => p.create_time = non_empty(string(&mut map, "createTime")?),
            "completeTime" => p.complete_time = non_empty(string(&mut map, "completeTime")?),
            "reason" => p.reason = non_empty(string(&mut map, "reason")?),
            "details" => details = list::<A, DetailWire, _>(&mut map, "details")?,
            _ => {
                let v = map.next_value::<Value>()?;
                p.extra.insert(key.into_owned(), v);
            }
        }
    }
    p.job_id = job_id.ok_or_else(|| de::Error::custom("has no jobId"))?;
    p.state = unknown_state(state);
    p.details = details.unwrap_or_default();
    Ok(ProgressWire(p))
});

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.is_empty())
}
