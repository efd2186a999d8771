//! How the public reply types of [`model`](super) are read from the wire: private
//! `Deserialize` impls, lenient exactly where servers disagree, whose errors name the field
//! and the list index (`records[3]: progress: …`).
//!
//! They are hand-written visitors rather than derives: a derive with `#[serde(flatten)] extra`
//! would buffer every record into serde's `Content`, and the typed fields are read straight from
//! the reply bytes, without a `serde_json::Value` tree (only the fields kept in `extra` become
//! `Value`s).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{
    ImportFileProgress, ImportJobCreated, ImportJobList, ImportJobRecord, ImportJobState,
    ImportProgress,
};
use crate::envelope::{FromData, Key};

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

/// A number that servers send in more than one form: a JSON integer, a float or a numeric
/// string (`""` and `null` are absent). The implementors say which forms fit and how.
trait Numeric {
    /// The number kept.
    type Value;
    /// What the visitor expects, for error messages.
    const EXPECTING: &'static str;
    /// A JSON integer (a negative one never fits).
    fn from_u64(v: u64) -> Option<Self::Value>;
    /// A JSON float.
    fn from_f64(v: f64) -> Option<Self::Value>;
    /// A non-empty string, trimmed.
    fn from_text(t: &str) -> Option<Self::Value>;
}

/// The one visitor of every [`Numeric`]: a value outside `N`'s range is an invalid value,
/// naming what was sent.
struct NumericVisitor<N>(PhantomData<N>);

impl<N: Numeric> Visitor<'_> for NumericVisitor<N> {
    type Value = Option<N::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(N::EXPECTING)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        N::from_u64(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .ok()
            .and_then(N::from_u64)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        N::from_f64(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        N::from_text(t)
            .map(Some)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A non-negative integer: a JSON integer, an integral float, or an integer string (`""` and
/// `null` are absent).
struct Count(Option<u64>);

impl Numeric for Count {
    type Value = u64;
    const EXPECTING: &'static str = "a non-negative integer";
    fn from_u64(v: u64) -> Option<u64> {
        Some(v)
    }
    fn from_f64(v: f64) -> Option<u64> {
        (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64).then_some(v as u64)
    }
    fn from_text(t: &str) -> Option<u64> {
        t.parse().ok()
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumericVisitor::<Count>(PhantomData))
            .map(Count)
    }
}

/// A percentage: an integer, a float (floored, so 99.9 never reads as done) or a numeric
/// string (`""` and `null` are absent).
struct Percent(Option<u32>);

impl Numeric for Percent {
    type Value = u32;
    const EXPECTING: &'static str = "a percentage";
    fn from_u64(v: u64) -> Option<u32> {
        u32::try_from(v).ok()
    }
    fn from_f64(v: f64) -> Option<u32> {
        (v.is_finite() && (0.0..=f64::from(u32::MAX)).contains(&v)).then(|| v.floor() as u32)
    }
    fn from_text(t: &str) -> Option<u32> {
        t.parse::<f64>().ok().and_then(Self::from_f64)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumericVisitor::<Percent>(PhantomData))
            .map(Percent)
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
    marker: PhantomData<(W, O)>,
}

impl<W, O> List<W, O> {
    fn new(name: &'static str) -> Self {
        List {
            name,
            marker: PhantomData,
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

#[cfg(test)]
mod tests {
    use super::{Count, Percent};

    fn count(json: &str) -> Result<Option<u64>, String> {
        serde_json::from_str::<Count>(json)
            .map(|c| c.0)
            .map_err(|e| e.to_string())
    }

    fn percent(json: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<Percent>(json)
            .map(|p| p.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn counts_take_integers_integral_floats_and_integer_strings() {
        assert_eq!(count("7"), Ok(Some(7)));
        assert_eq!(count("7.0"), Ok(Some(7)));
        assert_eq!(count(r#"" 7 ""#), Ok(Some(7)));
        assert_eq!(count(r#""""#), Ok(None));
        assert_eq!(count("null"), Ok(None));
        let refused = [
            (
                "-3",
                "invalid value: integer `-3`, expected a non-negative integer",
            ),
            (
                "1.5",
                "invalid value: floating point `1.5`, expected a non-negative integer",
            ),
            (
                r#""1.5""#,
                "invalid value: string \"1.5\", expected a non-negative integer",
            ),
            (
                "true",
                "invalid type: boolean `true`, expected a non-negative integer",
            ),
        ];
        for (json, text) in refused {
            let err = count(json).unwrap_err();
            assert!(err.starts_with(text), "{json}: {err}");
        }
    }

    #[test]
    fn percentages_floor_floats_and_read_numeric_strings() {
        assert_eq!(percent("42"), Ok(Some(42)));
        assert_eq!(percent("99.9"), Ok(Some(99)));
        assert_eq!(percent(r#""99.9""#), Ok(Some(99)));
        assert_eq!(percent(r#"" ""#), Ok(None));
        assert_eq!(percent("null"), Ok(None));
        let refused = [
            ("-1", "invalid value: integer `-1`, expected a percentage"),
            (
                "4294967296",
                "invalid value: integer `4294967296`, expected a percentage",
            ),
            (
                "-0.5",
                "invalid value: floating point `-0.5`, expected a percentage",
            ),
            (
                r#""1e20""#,
                "invalid value: string \"1e20\", expected a percentage",
            ),
            (
                r#""abc""#,
                "invalid value: string \"abc\", expected a percentage",
            ),
            ("[]", "invalid type: sequence, expected a percentage"),
        ];
        for (json, text) in refused {
            let err = percent(json).unwrap_err();
            assert!(err.starts_with(text), "{json}: {err}");
        }
    }
}
