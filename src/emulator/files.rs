//! The emulator's file reader: what a Milvus 2.5/2.6 server does with the
//! files an import lists, done on a local directory, the emulator's "bucket".
//!
//! Two steps, as on the server:
//!
//! * [`check_file_types`] — the proxy's check when the job is created (a refusal is the
//!   create's reply, code 2100): one extension per group, a known extension (`.json`,
//!   `.parquet`, `.csv`, `.npy`; `.jsonl` is Milvus 3.x only and refused, as 2.x does), one file
//!   per group for the row-based formats.
//! * [`read_groups`] — the pre-import that reads every file (a failure ends the job `Failed`
//!   with the reason): the file must exist inside the data root and parse; its columns must
//!   match the collection's schema (every required field present, no field the schema does not
//!   have unless it has a dynamic field, no auto-id primary key or function output, the right
//!   types, vector dimensions, string lengths and array capacities, no null in a non-nullable
//!   field). The result is each group's true row count (read from the data) and bytes on disk.
//!
//! The reasons are the server's texts (`merr` wraps: each `importing data failed` suffix is one
//! wrap, as Milvus prints them); where the server's text comes from a library (Go's JSON or
//! Arrow readers) the detail is this reader's own. This is a server reading files, so it uses
//! the schema's public types only, never the writer's internals.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType as Arrow, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::jobs::GroupSize;
use crate::writer::{CollectionSchema, DataType, FieldSchema, DYNAMIC_FIELD_NAME};

/// `merr.ErrImportFailed`'s text: one per wrap.
const FAILED: &str = "importing data failed";
/// MinIO's answer for a key that is not there.
const NO_SUCH_KEY: &str = "The specified key does not exist.";
/// MinIO's answer for a key with `..` segments (a path that would leave the bucket).
const BAD_KEY: &str = "Object name contains unsupported characters.";

fn wrap(message: impl std::fmt::Display) -> String {
    format!("{message}: {FAILED}")
}

/// The readers Milvus 2.5/2.6 has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Parquet,
    Numpy,
    Csv,
}

/// Go's `filepath.Ext`: from the last `.` of the last path element, dot included.
fn extension(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rfind('.').map_or("", |i| &name[i..])
}

/// `importutilv2.GetFileType` of Milvus 2.5/2.6.
fn file_type(group: &[String]) -> Result<Format, String> {
    let Some(first) = group.first() else {
        return Err(wrap("no file to import"));
    };
    let ext = extension(first);
    if let Some(other) = group.iter().find(|p| extension(p) != ext) {
        return Err(wrap(format!(
            "inconsistency in file types, ({first}) vs ({other})"
        )));
    }
    let (format, name) = match ext {
        ".json" => (Format::Json, "JSON"),
        ".npy" => (Format::Numpy, "Numpy"),
        ".parquet" => (Format::Parquet, "Parquet"),
        ".csv" => (Format::Csv, "CSV"),
        _ => {
            return Err(wrap(format!(
                "unexpected file type, files=[{}]",
                group.join(" ")
            )))
        }
    };
    if format != Format::Numpy && group.len() != 1 {
        return Err(wrap(format!("for {name} import, accepts only one file")));
    }
    Ok(format)
}

/// The proxy's check of a create request's `files`: extensions and grouping.
pub(crate) fn check_file_types(groups: &[Vec<String>]) -> Result<(), String> {
    groups
        .iter()
        .try_for_each(|group| file_type(group).map(drop))
}

/// The data root, as configured and with symbolic links resolved.
pub(crate) struct Root {
    given: PathBuf,
    real: PathBuf,
}

impl Root {
    pub(crate) fn new(given: &Path) -> Root {
        Root {
            given: given.to_path_buf(),
            real: given.canonicalize().unwrap_or_else(|_| given.to_path_buf()),
        }
    }

    /// The file `key` names: a path relative to the root, or an absolute path inside it (what a
    /// local writer's `batch_files()` holds). `Err` is the object store's answer.
    fn resolve(&self, key: &str) -> Result<PathBuf, &'static str> {
        let path = Path::new(key);
        let relative = if path.is_absolute() {
            path.strip_prefix(&self.real)
                .or_else(|_| path.strip_prefix(&self.given))
                .map_err(|_| BAD_KEY)?
        } else {
            path
        };
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(BAD_KEY);
        }
        match self.real.join(relative).canonicalize() {
            // A symbolic link out of the root is refused like `..`.
            Ok(real) if !real.starts_with(&self.real) => Err(BAD_KEY),
            Ok(real) if real.is_file() => Ok(real),
            _ => Err(NO_SUCH_KEY),
        }
    }
}

/// The reason an open of `key` failed, as each reader words it.
fn open_error(format: Format, key: &str, answer: &str) -> String {
    let io = if answer == NO_SUCH_KEY {
        format!("{answer}: key not found[key={key}]")
    } else {
        format!("{answer}: IO failed[key={key}]")
    };
    match format {
        Format::Json => wrap(format!("read json file failed, path={key}, err={io}")),
        Format::Csv => wrap(format!("read csv file failed, path={key}, err={io}")),
        Format::Parquet => io,
        Format::Numpy => wrap(format!("failed to read the file '{key}', error: {io}")),
    }
}

/// Reads every group of an import into `schema`: the true rows and bytes of each, or the
/// reason the server would fail the job with. `options` are the create's (`sep`, `nullkey`
/// for CSV).
pub(crate) fn read_groups(
    root: &Root,
    schema: &CollectionSchema,
    groups: &[Vec<String>],
    options: &BTreeMap<String, String>,
) -> Result<Vec<GroupSize>, String> {
    let ctx = Ctx::new(schema, options);
    groups
        .iter()
        .map(|group| {
            let format = file_type(group)?;
            let mut files = Vec::with_capacity(group.len());
            let mut bytes = 0u64;
            for key in group {
                let path = root
                    .resolve(key)
                    .map_err(|answer| open_error(format, key, answer))?;
                bytes = bytes.saturating_add(std::fs::metadata(&path).map_or(0, |m| m.len()));
                files.push((key.as_str(), path));
            }
            let rows = match format {
                Format::Json => read_json(&ctx, &files[0].1)?,
                Format::Csv => read_csv(&ctx, &files[0].1)?,
                Format::Parquet => read_parquet(&ctx, &files[0].1)?,
                Format::Numpy => read_numpy(&ctx, &files)?,
            };
            Ok(GroupSize { rows, bytes })
        })
        .collect()
}

/// What every reader needs: the schema, and which fields a file may carry.
struct Ctx<'a> {
    schema: &'a CollectionSchema,
    /// Fields a file carries: neither an auto-id primary key nor a function output.
    fields: HashMap<&'a str, &'a FieldSchema>,
    auto_pk: Option<&'a str>,
    dynamic: bool,
    /// The CSV `sep` option, checked when a CSV file is read.
    sep: Option<String>,
    null_key: String,
}

impl<'a> Ctx<'a> {
    fn new(schema: &'a CollectionSchema, options: &BTreeMap<String, String>) -> Self {
        Ctx {
            schema,
            fields: schema
                .fields
                .iter()
                .filter(|f| !is_auto_pk(f) && !f.function_output)
                .map(|f| (f.name.as_str(), f))
                .collect(),
            auto_pk: schema
                .fields
                .iter()
                .find(|f| is_auto_pk(f))
                .map(|f| f.name.as_str()),
            dynamic: schema.enable_dynamic_field,
            sep: options.get("sep").cloned(),
            null_key: options.get("nullkey").cloned().unwrap_or_default(),
        }
    }

    /// The CSV separator: the `sep` option (one character, not `\0`, `\n`, `\r`, `"` or
    /// U+FFFD), `,` by default (`importutilv2.GetCSVSep`).
    fn csv_sep(&self) -> Result<char, String> {
        let Some(sep) = &self.sep else {
            return Ok(',');
        };
        let mut chars = sep.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !matches!(c, '\0' | '\n' | '\r' | '"' | '\u{FFFD}') => Ok(c),
            _ => Err(wrap(format!(
                "unsupported csv separator: {sep}, only supports single character and cannot \
                 be \\0, \\n, \\r, \" or \\ufffd"
            ))),
        }
    }

    /// Fields a file must carry: the others are nullable or have a default.
    fn required(&self) -> impl Iterator<Item = &'a FieldSchema> + '_ {
        self.schema
            .fields
            .iter()
            .filter(|f| self.fields.contains_key(f.name.as_str()))
            .filter(|f| !f.nullable && f.default_value.is_none())
    }
}

fn is_auto_pk(f: &FieldSchema) -> bool {
    f.primary_key && f.auto_id
}

fn auto_pk_error(name: &str) -> String {
    wrap(format!(
        "the primary key '{name}' is auto-generated, no need to provide"
    ))
}

fn function_output_error(name: &str) -> String {
    wrap(format!(
        "the field '{name}' is output by function, no need to provide"
    ))
}

fn nullable_vector_error() -> String {
    "not support nullable in vector: invalid parameter".to_string()
}

// ------------------------------------------------------------------ values (JSON and CSV)

/// Go's `%T` of a value decoded by `encoding/json` with `UseNumber`.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "json.Number",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's `%v` of such a value.
fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_value).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_value(v)))
                .collect();
            format!("map[{}]", items.join(" "))
        }
    }
}

fn type_error(f: &FieldSchema, v: &Value) -> String {
    wrap(format!(
        "expected type '{}' for field '{}', got type '{}' with value '{}'",
        f.data_type,
        f.name,
        go_type(v),
        go_value(v)
    ))
}

fn dim_error(f: &FieldSchema, expected: u64, got: usize) -> String {
    wrap(format!(
        "expected dim '{expected}' for field '{}' with type '{}', got dim '{got}'",
        f.name, f.data_type
    ))
}

fn varchar_length(f: &FieldSchema, s: &str) -> Result<(), String> {
    match f.max_length {
        Some(max) if s.len() > max as usize => Err(format!(
            "value length({}) for field {} exceeds max_length({max})",
            s.len(),
            f.name
        )),
        _ => Ok(()),
    }
}

/// `strconv.ParseInt(text, 0, bits)`.
fn parse_int(text: &str, bits: u32) -> Result<i64, String> {
    let invalid = || format!("strconv.ParseInt: parsing {text:?}: invalid syntax");
    let range = || format!("strconv.ParseInt: parsing {text:?}: value out of range");
    let n: i128 = text.parse().map_err(|_| {
        if !text.is_empty()
            && text
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit())
        {
            range()
        } else {
            invalid()
        }
    })?;
    let limit = 1i128 << (bits - 1);
    if n < -limit || n >= limit {
        return Err(range());
    }
    Ok(n as i64)
}

/// `strconv.ParseFloat(text, 32 or 64)`.
fn parse_float(text: &str, single: bool) -> Result<f64, String> {
    let bits = if single { 32 } else { 64 };
    let x: f64 = text
        .parse()
        .map_err(|_| format!("strconv.ParseFloat: parsing {text:?}: invalid syntax"))?;
    if x.is_finite() && single && x.abs() > f32::MAX as f64 {
        return Err(format!(
            "strconv.ParseFloat: parsing {text:?}: value out of range (bitSize {bits})"
        ));
    }
    Ok(x)
}

/// [`parse_int`] of a JSON number's text, the text written only when it is refused.
fn int_number(n: &serde_json::Number, bits: u32) -> Result<i64, String> {
    let limit = 1i128 << (bits - 1);
    match n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
    {
        Some(i) if -limit <= i && i < limit => Ok(i as i64),
        _ => parse_int(&n.to_string(), bits),
    }
}

/// [`parse_float`] of a JSON number's text, the text written only when it is refused (a
/// number's text reads back as the number's `f64`).
fn float_number(n: &serde_json::Number, single: bool) -> Result<f64, String> {
    match n.as_f64() {
        Some(x) if !(single && x.is_finite() && x.abs() > f32::MAX as f64) => Ok(x),
        _ => parse_float(&n.to_string(), single),
    }
}

fn check_finite(x: f64) -> Result<(), String> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "value '{x}' is not a number or infinity: invalid parameter"
        ))
    }
}

/// An integer element or scalar of `bits` bits.
fn int_value(f: &FieldSchema, v: &Value, bits: u32) -> Result<i64, String> {
    match v {
        Value::Number(n) => int_number(n, bits),
        other => Err(type_error(f, other)),
    }
}

fn float_value(f: &FieldSchema, v: &Value, single: bool) -> Result<f64, String> {
    match v {
        Value::Number(n) => float_number(n, single),
        other => Err(type_error(f, other)),
    }
}

/// A value of field `f` as a JSON row holds it (`rowParser.parseEntity`).
fn check_value(f: &FieldSchema, v: &Value) -> Result<(), String> {
    if v.is_null() && f.default_value.is_some() {
        return Ok(());
    }
    if f.nullable {
        if f.data_type.is_vector() {
            return Err(nullable_vector_error());
        }
        if v.is_null() {
            return Ok(());
        }
    }
    let check_vector = |expected: u64, each: &dyn Fn(&Value) -> Result<(), String>| {
        let Value::Array(items) = v else {
            return Err(type_error(f, v));
        };
        if items.len() as u64 != expected {
            return Err(dim_error(f, u64::from(f.dim.unwrap_or(0)), items.len()));
        }
        items.iter().try_for_each(each)
    };
    let dim = u64::from(f.dim.unwrap_or(0));
    match f.data_type {
        DataType::Bool => v.is_boolean().then_some(()).ok_or_else(|| type_error(f, v)),
        DataType::Int8 => int_value(f, v, 8).map(drop),
        DataType::Int16 => int_value(f, v, 16).map(drop),
        DataType::Int32 => int_value(f, v, 32).map(drop),
        DataType::Int64 => int_value(f, v, 64).map(drop),
        DataType::Float => float_value(f, v, true).and_then(check_finite),
        DataType::Double => float_value(f, v, false).and_then(check_finite),
        DataType::VarChar | DataType::Text | DataType::Geometry | DataType::Timestamptz => {
            match v {
                Value::String(s) if f.data_type == DataType::VarChar && !f.nullable => {
                    varchar_length(f, s)
                }
                Value::String(_) => Ok(()),
                other => Err(type_error(f, other)),
            }
        }
        DataType::Json => match v {
            Value::String(s) => serde_json::from_str::<IgnoredAny>(s)
                .map(drop)
                .map_err(|e| e.to_string()),
            Value::Object(_) => Ok(()),
            other => Err(type_error(f, other)),
        },
        DataType::Array => {
            let Value::Array(items) = v else {
                return Err(type_error(f, v));
            };
            if let Some(cap) = f.max_capacity {
                if items.len() > cap as usize {
                    return Err(format!(
                        "array capacity({}) for field {} exceeds max_capacity({cap})",
                        items.len(),
                        f.name
                    ));
                }
            }
            let element = f.element_type.unwrap_or(DataType::Int64);
            let element_error = |item: &Value| {
                wrap(format!(
                    "expected element type '{element}' in array field, got type '{}' with value '{}'",
                    go_type(item),
                    go_value(item)
                ))
            };
            items.iter().try_for_each(|item| match (element, item) {
                (DataType::Bool, Value::Bool(_)) => Ok(()),
                (DataType::Int8 | DataType::Int16 | DataType::Int32, Value::Number(n)) => {
                    int_number(n, 32).map(drop)
                }
                (DataType::Int64, Value::Number(n)) => int_number(n, 64).map(drop),
                (DataType::Float, Value::Number(n)) => float_number(n, true).map(drop),
                (DataType::Double, Value::Number(n)) => float_number(n, false).map(drop),
                (DataType::VarChar, Value::String(s)) => varchar_length(f, s),
                (DataType::Text, Value::String(_)) => Ok(()),
                _ => Err(element_error(item)),
            })
        }
        DataType::FloatVector => {
            check_vector(dim, &|x| float_value(f, x, true).and_then(check_finite))
        }
        DataType::Float16Vector | DataType::BFloat16Vector => {
            check_vector(dim, &|x| float_value(f, x, true).and_then(check_finite))
        }
        DataType::BinaryVector => {
            let Value::Array(items) = v else {
                return Err(type_error(f, v));
            };
            if items.len() as u64 != dim / 8 {
                return Err(dim_error(f, dim, items.len() * 8));
            }
            items.iter().try_for_each(|x| match x {
                Value::Number(n) => byte_number(n),
                other => Err(type_error(f, other)),
            })
        }
        DataType::Int8Vector => check_vector(dim, &|x| int_value(f, x, 8).map(drop)),
        DataType::SparseFloatVector => match v {
            Value::Object(map) => check_sparse(map),
            other => Err(type_error(f, other)),
        },
    }
}

/// A binary vector's byte (`strconv.ParseUint(text, 0, 8)` of the number's text, the text
/// written only when it is refused).
fn byte_number(n: &serde_json::Number) -> Result<(), String> {
    match n.as_u64() {
        Some(b) if b <= 255 => Ok(()),
        Some(_) => Err(format!(
            "strconv.ParseUint: parsing {:?}: value out of range",
            n.to_string()
        )),
        None => Err(format!(
            "strconv.ParseUint: parsing {:?}: invalid syntax",
            n.to_string()
        )),
    }
}

/// A sparse vector: `{"indices": [...], "values": [...]}` or `{"index": value, ...}`.
fn check_sparse(map: &serde_json::Map<String, Value>) -> Result<(), String> {
    let index_ok = |n: &Value| n.as_u64().is_some_and(|i| i < u64::from(u32::MAX));
    let value_ok = |x: &Value| x.as_f64().is_some_and(f64::is_finite);
    if let (Some(indices), Some(values), 2) = (map.get("indices"), map.get("values"), map.len()) {
        let (Some(indices), Some(values)) = (indices.as_array(), values.as_array()) else {
            return Err(
                "Invalid JSON format for sparse vector: indices and values must be \
                        arrays: invalid parameter"
                    .into(),
            );
        };
        if indices.len() != values.len() {
            return Err(format!(
                "indices and values length mismatch, indices: {}, values: {}: invalid parameter",
                indices.len(),
                values.len()
            ));
        }
        if !indices.iter().all(index_ok) || !values.iter().all(value_ok) {
            return Err("invalid sparse float vector index or value: invalid parameter".into());
        }
        return Ok(());
    }
    for (key, value) in map {
        if !key.parse::<u64>().is_ok_and(|i| i < u64::from(u32::MAX)) {
            return Err(format!(
                "failed to parse index key '{key}' of sparse vector: invalid parameter"
            ));
        }
        if !value_ok(value) {
            return Err(format!(
                "invalid value {value} for index {key} of sparse vector: invalid parameter"
            ));
        }
    }
    Ok(())
}

/// One row of a JSON file (`rowParser.Parse`): the inner reason when it is refused.
fn check_json_row(ctx: &Ctx<'_>, row: &Value) -> Result<(), String> {
    let Value::Object(map) = row else {
        return Err(wrap(
            "invalid JSON format, each row should be a key-value map",
        ));
    };
    if let Some(pk) = ctx.auto_pk.filter(|pk| map.contains_key(*pk)) {
        return Err(auto_pk_error(pk));
    }
    let mut dynamic_keys: Vec<&str> = Vec::new();
    let mut meta: Option<&Value> = None;
    for (key, value) in map {
        if let Some(f) = ctx.fields.get(key.as_str()) {
            check_value(f, value)?;
        } else if ctx.dynamic {
            if key == DYNAMIC_FIELD_NAME {
                meta = Some(value);
            } else {
                dynamic_keys.push(key);
            }
        } else {
            return Err(wrap(format!("the field '{key}' is not defined in schema")));
        }
    }
    if let Some(f) = ctx.required().find(|f| !map.contains_key(&f.name)) {
        return Err(wrap(format!("value of field '{}' is missed", f.name)));
    }
    if let Some(meta) = meta {
        let parsed;
        let object = match meta {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(o)) => {
                    parsed = o;
                    &parsed
                }
                _ => {
                    return Err(wrap(
                        "illegal value for dynamic field, not a JSON format string",
                    ))
                }
            },
            Value::Object(o) => o,
            _ => return Err(wrap("illegal value for dynamic field, not a JSON object")),
        };
        if let Some(key) = object.keys().find(|k| dynamic_keys.contains(&k.as_str())) {
            return Err(wrap(format!("duplicated key is not allowed, key={key}")));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ JSON

/// The top of a JSON file: `{"rows": [...]}` (the key in any case) or a bare list of rows.
struct JsonFile<'c, 'a>(Rows<'c, 'a>);

impl<'de> DeserializeSeed<'de> for JsonFile<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonFile<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("'{' or '['")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Ok(()); // `{}`: no rows
        };
        if !key.eq_ignore_ascii_case("rows") {
            *self.0.stop = Some(wrap(format!(
                "invalid JSON format, the root key should be 'rows', but get '{key}'"
            )));
            return Err(de::Error::custom("refused"));
        }
        map.next_value_seed(self.0)?;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.visit_seq(seq)
    }
}

/// The rows list, checked one row at a time (the file is never held whole).
struct Rows<'c, 'a> {
    ctx: &'c Ctx<'a>,
    rows: &'c mut u64,
    stop: &'c mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Rows<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<Value>()? {
            if let Err(reason) = check_json_row(self.ctx, &row) {
                *self.stop = Some(wrap(format!("failed to parse row, error: {reason}")));
                return Err(de::Error::custom("refused"));
            }
            *self.rows += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        *self.stop = Some(wrap("invalid JSON format, rows list should begin with '['"));
        Err(de::Error::custom("refused"))
    }
}

fn read_json(ctx: &Ctx<'_>, path: &Path) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| wrap(format!("failed to open JSON file: {e}")))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(file));
    let mut rows = 0;
    let mut stop = None;
    let result = JsonFile(Rows {
        ctx,
        rows: &mut rows,
        stop: &mut stop,
    })
    .deserialize(&mut de);
    match (result, stop) {
        (_, Some(reason)) => Err(reason),
        (Ok(()), None) => Ok(rows),
        (Err(e), None) if e.classify() == serde_json::error::Category::Data && rows == 0 => Err(
            wrap("invalid JSON format, the content should be started with '{' or '['"),
        ),
        (Err(e), None) if rows == 0 && e.line() == 1 && e.column() <= 1 => Err(wrap(format!(
            "init failed, failed to decode JSON, error: {e}"
        ))),
        (Err(e), None) => Err(wrap(format!("failed to decode row, error: {e}"))),
    }
}

// ------------------------------------------------------------------ CSV

/// `encoding/csv` records: `sep`-separated, `"` quoting with `""` inside, quoted line breaks,
/// `\r\n` or `\n` line ends, blank lines skipped; errors worded as Go's.
struct CsvRecords<'t> {
    text: &'t str,
    pos: usize,
    line: usize,
    sep: char,
}

impl CsvRecords<'_> {
    fn next_record(&mut self) -> Option<Result<(usize, Vec<String>), String>> {
        // Skip blank lines.
        loop {
            let rest = &self.text[self.pos..];
            if rest.is_empty() {
                return None;
            }
            if let Some(after) = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
            {
                self.pos = self.text.len() - after.len();
                self.line += 1;
                continue;
            }
            break;
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = self.text[self.pos..].char_indices().peekable();
        let base = self.pos;
        let mut column = 0usize;
        let mut at_field_start = true;
        let mut quoted = false;
        let mut end = self.text.len();
        let mut record_done = false;
        while let Some((i, c)) = chars.next() {
            column += 1;
            if quoted {
                if c == '"' {
                    if chars.peek().map(|&(_, n)| n) == Some('"') {
                        chars.next();
                        column += 1;
                        field.push('"');
                    } else {
                        quoted = false;
                        // After the closing quote: a separator or the line's end.
                        match chars.peek().map(|&(_, n)| n) {
                            None => {}
                            Some(n) if n == self.sep || n == '\n' || n == '\r' => {}
                            Some(_) => {
                                return Some(Err(format!(
                                    "parse error on line {}, column {}: extraneous or missing \" in quoted-field",
                                    self.line, column + 1
                                )))
                            }
                        }
                    }
                } else {
                    if c == '\n' {
                        self.line += 1;
                        column = 0;
                    }
                    field.push(c);
                }
                continue;
            }
            if c == '"' && at_field_start {
                quoted = true;
                at_field_start = false;
                continue;
            }
            if c == '"' {
                return Some(Err(format!(
                    "parse error on line {}, column {column}: bare \" in non-quoted-field",
                    self.line
                )));
            }
            if c == self.sep {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
                continue;
            }
            if c == '\n' || (c == '\r' && chars.peek().map(|&(_, n)| n) == Some('\n')) {
                if c == '\r' {
                    chars.next();
                }
                end = base + i + if c == '\r' { 2 } else { 1 };
                self.line += 1;
                record_done = true;
                break;
            }
            at_field_start = false;
            field.push(c);
        }
        if quoted {
            return Some(Err(format!(
                "parse error on line {}, column {column}: extraneous or missing \" in quoted-field",
                self.line
            )));
        }
        if !record_done {
            end = self.text.len();
        }
        fields.push(field);
        self.pos = end;
        Some(Ok((start_line, fields)))
    }
}

/// A CSV cell of field `f`: the text as `csv.rowParser.parseEntity` reads it.
fn check_csv_cell(ctx: &Ctx<'_>, f: &FieldSchema, text: &str) -> Result<(), String> {
    let type_error = || {
        format!(
            "expected type '{}' for field '{}', got type 'string' with value '{text}'",
            f.data_type, f.name
        )
    };
    if f.nullable && text == ctx.null_key {
        return if f.data_type.is_vector() {
            Err(nullable_vector_error())
        } else {
            Ok(())
        };
    }
    match f.data_type {
        DataType::Bool => match text {
            "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false"
            | "False" => Ok(()),
            _ => Err(type_error()),
        },
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let bits = match f.data_type {
                DataType::Int8 => 8,
                DataType::Int16 => 16,
                DataType::Int32 => 32,
                _ => 64,
            };
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(type_error());
            }
            parse_int(text.trim_start_matches('+'), bits)
                .map(drop)
                .map_err(|_| type_error())
        }
        DataType::Float | DataType::Double => {
            let x = parse_float(text, f.data_type == DataType::Float).map_err(|_| type_error())?;
            check_finite(x)
        }
        DataType::VarChar => varchar_length(f, text),
        DataType::Text | DataType::Geometry | DataType::Timestamptz => Ok(()),
        DataType::Json => serde_json::from_str::<IgnoredAny>(text)
            .map(drop)
            .map_err(|e| e.to_string()),
        _ => {
            // Vectors, arrays and sparse vectors are JSON text.
            let value: Value = serde_json::from_str(text).map_err(|_| type_error())?;
            if value.is_null() {
                return Err(type_error());
            }
            check_value(f, &value).map_err(|e| {
                if e.starts_with("expected type") {
                    type_error()
                } else {
                    e
                }
            })
        }
    }
}

fn read_csv(ctx: &Ctx<'_>, path: &Path) -> Result<u64, String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| wrap(format!("failed to read csv file, error: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| wrap("failed to read csv file, error: the file is not valid UTF-8"))?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut records = CsvRecords {
        text,
        pos: 0,
        line: 1,
        sep: ctx.csv_sep()?,
    };
    let header = match records.next_record() {
        None => return Err(wrap("failed to read csv header, error: EOF")),
        Some(Err(e)) => return Err(wrap(format!("failed to read csv header, error: {e}"))),
        Some(Ok((_, header))) => header,
    };
    // The header (`csv.NewRowParser`).
    if let Some(pk) = ctx.auto_pk.filter(|pk| header.iter().any(|h| h == pk)) {
        return Err(auto_pk_error(pk));
    }
    if let Some(f) = ctx
        .schema
        .fields
        .iter()
        .find(|f| f.function_output && header.contains(&f.name))
    {
        return Err(function_output_error(&f.name));
    }
    if let Some(f) = ctx.required().find(|f| !header.contains(&f.name)) {
        return Err(wrap(format!("value of field is missed: '{}'", f.name)));
    }
    let columns: Vec<Option<&FieldSchema>> = header
        .iter()
        .map(|h| ctx.fields.get(h.as_str()).copied())
        .collect();
    let mut rows = 0u64;
    while let Some(record) = records.next_record() {
        let (line, record) =
            record.map_err(|e| wrap(format!("failed to read csv file, error: {e}")))?;
        if record.len() != header.len() {
            return Err(wrap(format!(
                "failed to read csv file, error: record on line {line}: wrong number of fields"
            )));
        }
        let row_error = |e: String| wrap(format!("failed to parse row, error: {e}"));
        for ((name, field), text) in header.iter().zip(&columns).zip(&record) {
            match field {
                Some(f) => check_csv_cell(ctx, f, text).map_err(row_error)?,
                None if ctx.dynamic => {
                    if name == DYNAMIC_FIELD_NAME
                        && !matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(_)))
                    {
                        return Err(row_error(
                            "illegal value for dynamic field, not a JSON format string".into(),
                        ));
                    }
                }
                None => {
                    return Err(row_error(format!(
                        "the field '{name}' is not defined in schema"
                    )))
                }
            }
        }
        rows += 1;
    }
    Ok(rows)
}

// ------------------------------------------------------------------ Parquet

/// Arrow's type name as Go's arrow library prints it (`list<item: float, nullable>`).
fn go_arrow(t: &Arrow) -> String {
    match t {
        Arrow::Null => "null".into(),
        Arrow::Boolean => "bool".into(),
        Arrow::Int8 => "int8".into(),
        Arrow::Int16 => "int16".into(),
        Arrow::Int32 => "int32".into(),
        Arrow::Int64 => "int64".into(),
        Arrow::UInt8 => "uint8".into(),
        Arrow::UInt16 => "uint16".into(),
        Arrow::UInt32 => "uint32".into(),
        Arrow::UInt64 => "uint64".into(),
        Arrow::Float16 => "float16".into(),
        Arrow::Float32 => "float".into(),
        Arrow::Float64 => "double".into(),
        Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View => "utf8".into(),
        Arrow::Binary | Arrow::LargeBinary | Arrow::BinaryView => "binary".into(),
        Arrow::List(f) | Arrow::LargeList(f) => format!("list<{}>", go_field(f)),
        Arrow::FixedSizeList(f, n) => format!("fixed_size_list<{}>[{n}]", go_field(f)),
        Arrow::Struct(fields) => {
            let inner: Vec<String> = fields.iter().map(|f| go_field(f)).collect();
            format!("struct<{}>", inner.join(", "))
        }
        other => other.to_string().to_lowercase(),
    }
}

fn go_field(f: &Field) -> String {
    let nullable = if f.is_nullable() { ", nullable" } else { "" };
    format!("{}: {}{nullable}", f.name(), go_arrow(f.data_type()))
}

/// What Milvus 2.6's `convertToArrowDataType` expects for a field, in Go's spelling.
fn expected_arrow(f: &FieldSchema) -> String {
    fn scalar(t: DataType) -> &'static str {
        match t {
            DataType::Bool => "bool",
            DataType::Int8 => "int8",
            DataType::Int16 => "int16",
            DataType::Int32 => "int32",
            DataType::Int64 => "int64",
            DataType::Float => "float",
            DataType::Double => "double",
            _ => "utf8",
        }
    }
    let list = |item: &str| format!("list<item: {item}, nullable>");
    match f.data_type {
        DataType::Array => list(scalar(f.element_type.unwrap_or(DataType::Int64))),
        DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector => {
            list("uint8")
        }
        DataType::FloatVector => list("float"),
        DataType::Int8Vector => list("int8"),
        t => scalar(t).into(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    UInt8,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    Str,
    Binary,
    List,
    Struct,
    Null,
    Other,
}

fn kind(t: &Arrow) -> Kind {
    match t {
        Arrow::Boolean => Kind::Bool,
        Arrow::UInt8 => Kind::UInt8,
        Arrow::Int8 => Kind::Int8,
        Arrow::Int16 => Kind::Int16,
        Arrow::Int32 => Kind::Int32,
        Arrow::Int64 => Kind::Int64,
        Arrow::Float32 => Kind::Float,
        Arrow::Float64 => Kind::Double,
        Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View => Kind::Str,
        Arrow::Binary | Arrow::LargeBinary | Arrow::BinaryView => Kind::Binary,
        Arrow::List(_) | Arrow::LargeList(_) | Arrow::FixedSizeList(_, _) => Kind::List,
        Arrow::Struct(_) => Kind::Struct,
        Arrow::Null => Kind::Null,
        _ => Kind::Other,
    }
}

fn list_item(t: &Arrow) -> Option<&Arrow> {
    match t {
        Arrow::List(f) | Arrow::LargeList(f) | Arrow::FixedSizeList(f, _) => Some(f.data_type()),
        _ => None,
    }
}

/// Whether values of arrow type `src` can be read into a scalar of kind `dst`
/// (`isArrowDataTypeConvertible`).
fn convertible(src: Kind, dst: Kind) -> bool {
    use Kind::*;
    let arithmetic = |k| matches!(k, Int8 | Int16 | Int32 | Int64 | Float | Double);
    let floating = |k| matches!(k, Float | Double);
    match src {
        Bool => dst == Bool,
        UInt8 => dst == UInt8,
        Int8 => arithmetic(dst),
        Int16 => arithmetic(dst) && dst != Int8,
        Int32 => arithmetic(dst) && !matches!(dst, Int8 | Int16),
        Int64 => floating(dst) || dst == Int64,
        Float | Double => floating(dst),
        Str => dst == Str,
        _ => false,
    }
}

fn scalar_kind(t: DataType) -> Kind {
    match t {
        DataType::Bool => Kind::Bool,
        DataType::Int8 => Kind::Int8,
        DataType::Int16 => Kind::Int16,
        DataType::Int32 => Kind::Int32,
        DataType::Int64 => Kind::Int64,
        DataType::Float => Kind::Float,
        DataType::Double => Kind::Double,
        _ => Kind::Str,
    }
}

/// Whether a column of arrow type `t` can hold field `f`.
fn column_fits(f: &FieldSchema, t: &Arrow) -> bool {
    let src = kind(t);
    if src == Kind::Null {
        return f.nullable || f.default_value.is_some();
    }
    let item = list_item(t).map(kind);
    match f.data_type {
        DataType::Array => {
            let element = scalar_kind(f.element_type.unwrap_or(DataType::Int64));
            item.is_some_and(|i| convertible(i, element))
        }
        DataType::BinaryVector | DataType::Float16Vector | DataType::BFloat16Vector => {
            src == Kind::Binary || item == Some(Kind::UInt8)
        }
        DataType::FloatVector => item.is_some_and(|i| convertible(i, Kind::Float)),
        DataType::Int8Vector => item.is_some_and(|i| convertible(i, Kind::Int8)),
        DataType::SparseFloatVector => match t {
            Arrow::Struct(fields) => {
                let list_of = |name: &str, ok: &dyn Fn(&Arrow) -> bool| {
                    fields
                        .iter()
                        .find(|f| f.name() == name)
                        .and_then(|f| list_item(f.data_type()))
                        .is_some_and(ok)
                };
                list_of("indices", &|t| {
                    matches!(
                        t,
                        Arrow::Int32 | Arrow::UInt32 | Arrow::Int64 | Arrow::UInt64
                    )
                }) && list_of("values", &|t| matches!(t, Arrow::Float32 | Arrow::Float64))
            }
            _ => src == Kind::Str,
        },
        t => convertible(src, scalar_kind(t)),
    }
}

/// The schema checks of `parquet.CreateFieldReaders` (`isSchemaEqual` first).
fn check_parquet_schema(ctx: &Ctx<'_>, schema: &Schema) -> Result<(), String> {
    let not_equal = |e: String| wrap(format!("schema not equal, err={e}"));
    for f in &ctx.schema.fields {
        if is_auto_pk(f) || f.function_output {
            continue;
        }
        match schema.field_with_name(&f.name) {
            Err(_) if f.nullable || f.default_value.is_some() => {}
            Err(_) => {
                return Err(not_equal(wrap(format!(
                    "field '{}' not in arrow schema",
                    f.name
                ))))
            }
            Ok(column) if !column_fits(f, column.data_type()) => {
                return Err(not_equal(wrap(format!(
                    "field '{}' type mis-match, expect arrow type '{}', get arrow data type '{}'",
                    f.name,
                    expected_arrow(f),
                    go_arrow(column.data_type())
                ))))
            }
            Ok(_) => {}
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for column in schema.fields() {
        let name = column.name().as_str();
        match ctx.schema.get_field(name) {
            Some(f) if is_auto_pk(f) => return Err(auto_pk_error(name)),
            Some(f) if f.function_output => return Err(function_output_error(name)),
            Some(_) => {}
            None if name == DYNAMIC_FIELD_NAME && ctx.dynamic => {
                if kind(column.data_type()) != Kind::Str {
                    return Err(wrap(format!(
                        "expect 'JSON' type for field '{DYNAMIC_FIELD_NAME}', but got '{}' type",
                        go_arrow(column.data_type())
                    )));
                }
            }
            None => {
                return Err(wrap(format!(
                    "the field: {name} is not in schema, if it's a dynamic field, please \
                     reformat data by bulk_writer"
                )))
            }
        }
        if seen.contains(&name) {
            return Err(wrap(format!("there is multi field with name: {name}")));
        }
        seen.push(name);
    }
    Ok(())
}

/// Per-row checks of a batch: nulls in non-nullable fields, vector lengths, string lengths,
/// array capacities.
fn check_parquet_batch(ctx: &Ctx<'_>, batch: &RecordBatch) -> Result<(), String> {
    for (column, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let Some(f) = ctx.fields.get(column.name().as_str()) else {
            continue;
        };
        if array.null_count() > 0 && !f.nullable && f.default_value.is_none() {
            return Err(wrap(format!(
                "the field '{}' is not nullable but the file contains null value",
                f.name
            )));
        }
        if array.null_count() > 0 && f.nullable && f.data_type.is_vector() {
            return Err(nullable_vector_error());
        }
        let dim = u64::from(f.dim.unwrap_or(0));
        let width = match f.data_type {
            DataType::FloatVector | DataType::Int8Vector => Some(dim),
            DataType::BinaryVector => Some(dim / 8),
            DataType::Float16Vector | DataType::BFloat16Vector => Some(dim * 2),
            _ => None,
        };
        if let Some(width) = width {
            if let Some(got) = lengths(array).find(|&n| n as u64 != width) {
                return Err(wrap(format!(
                    "length of vector is not aligned: expected {width} but got {got}, data type: {}",
                    f.data_type
                )));
            }
        }
        if f.data_type == DataType::Array {
            if let (Some(cap), Some(got)) = (f.max_capacity, lengths(array).max()) {
                if got > cap as usize {
                    return Err(format!(
                        "array capacity({got}) for field {} exceeds max_capacity({cap})",
                        f.name
                    ));
                }
            }
        }
        if f.data_type == DataType::VarChar {
            check_strings(f, array.as_ref(), 0..array.len())?;
        }
        if f.data_type == DataType::Array && f.element_type == Some(DataType::VarChar) {
            if let Some((values, ranges)) = list_elements(array) {
                ranges
                    .into_iter()
                    .try_for_each(|range| check_strings(f, values, range))?;
            }
        }
    }
    Ok(())
}

/// `value(i)` of a string array in any of arrow's three layouts (`Utf8`, `LargeUtf8`,
/// `Utf8View`).
fn string_values<'a>(array: &'a dyn Array) -> Option<Box<dyn Fn(usize) -> &'a str + 'a>> {
    if let Some(strings) = array.as_string_opt::<i32>() {
        return Some(Box::new(|i| strings.value(i)));
    }
    if let Some(strings) = array.as_string_opt::<i64>() {
        return Some(Box::new(|i| strings.value(i)));
    }
    if let Some(strings) = array.as_string_view_opt() {
        return Some(Box::new(|i| strings.value(i)));
    }
    None
}

/// The `max_length` check of `f` on the non-null strings at `range` of `array` (nothing when
/// it holds no strings).
fn check_strings(
    f: &FieldSchema,
    array: &dyn Array,
    range: std::ops::Range<usize>,
) -> Result<(), String> {
    let Some(value) = string_values(array) else {
        return Ok(());
    };
    range
        .filter(|&i| array.is_valid(i))
        .try_for_each(|i| varchar_length(f, value(i)))
}

/// The values of a list array and, for each non-null list, the range of its elements.
fn list_elements(array: &ArrayRef) -> Option<(&dyn Array, Vec<std::ops::Range<usize>>)> {
    let valid = |i: usize| !array.is_null(i);
    if let Some(list) = array.as_list_opt::<i32>() {
        let offsets = list.value_offsets();
        let ranges = (0..list.len())
            .filter(|&i| valid(i))
            .map(|i| offsets[i] as usize..offsets[i + 1] as usize)
            .collect();
        return Some((list.values().as_ref(), ranges));
    }
    if let Some(list) = array.as_list_opt::<i64>() {
        let offsets = list.value_offsets();
        let ranges = (0..list.len())
            .filter(|&i| valid(i))
            .map(|i| offsets[i] as usize..offsets[i + 1] as usize)
            .collect();
        return Some((list.values().as_ref(), ranges));
    }
    if let Some(list) = array.as_fixed_size_list_opt() {
        let n = list.value_length() as usize;
        let ranges = (0..list.len())
            .filter(|&i| valid(i))
            .map(|i| {
                let start = list.value_offset(i) as usize;
                start..start + n
            })
            .collect();
        return Some((list.values().as_ref(), ranges));
    }
    None
}

/// The length of each non-null list (or binary value) in `array`.
fn lengths(array: &ArrayRef) -> Box<dyn Iterator<Item = usize> + '_> {
    let valid = move |i: usize| !array.is_null(i);
    if let Some(list) = array.as_list_opt::<i32>() {
        let offsets = list.value_offsets();
        return Box::new(
            (0..list.len())
                .filter(move |&i| valid(i))
                .map(move |i| (offsets[i + 1] - offsets[i]) as usize),
        );
    }
    if let Some(list) = array.as_list_opt::<i64>() {
        let offsets = list.value_offsets();
        return Box::new(
            (0..list.len())
                .filter(move |&i| valid(i))
                .map(move |i| (offsets[i + 1] - offsets[i]) as usize),
        );
    }
    if let Some(list) = array.as_fixed_size_list_opt() {
        let n = list.value_length() as usize;
        return Box::new((0..list.len()).filter(move |&i| valid(i)).map(move |_| n));
    }
    if let Some(binary) = array.as_binary_opt::<i32>() {
        return Box::new(binary.iter().flatten().map(<[u8]>::len));
    }
    if let Some(binary) = array.as_binary_opt::<i64>() {
        return Box::new(binary.iter().flatten().map(<[u8]>::len));
    }
    Box::new(std::iter::empty())
}

fn read_parquet(ctx: &Ctx<'_>, path: &Path) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| wrap(format!("new parquet reader failed, err={e}")))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| wrap(format!("new parquet reader failed, err={e}")))?;
    check_parquet_schema(ctx, builder.schema())?;
    let reader = builder
        .build()
        .map_err(|e| wrap(format!("new parquet file reader failed, err={e}")))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| wrap(format!("failed to read parquet file, err={e}")))?;
        check_parquet_batch(ctx, &batch)?;
        rows += batch.num_rows() as u64;
    }
    Ok(rows)
}

// ------------------------------------------------------------------ NumPy

/// A `.npy` header: dtype, order, shape, and where the data starts.
struct NpyHeader {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
    data_offset: u64,
}

/// Parses the header of a `.npy` file (format versions 1.0, 2.0 and 3.0).
fn parse_npy_header(file: &mut File) -> Result<NpyHeader, String> {
    let mut prefix = [0u8; 12];
    let mut got = 0;
    while got < prefix.len() {
        match file.read(&mut prefix[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(e.to_string()),
        }
    }
    if got < 10 || &prefix[..6] != b"\x93NUMPY" {
        return Err("npy: invalid magic string".into());
    }
    let (len, start) = match prefix[6] {
        1 => (u64::from(u16::from_le_bytes([prefix[8], prefix[9]])), 10u64),
        2 | 3 if got >= 12 => (
            u64::from(u32::from_le_bytes([
                prefix[8], prefix[9], prefix[10], prefix[11],
            ])),
            12u64,
        ),
        major => return Err(format!("npy: invalid major version number ({major})")),
    };
    // numpy writes headers of a few hundred bytes; refuse absurd lengths before allocating.
    if len > 1 << 20 {
        return Err(format!("npy: header length {len} is too large"));
    }
    let mut header = vec![0u8; len as usize];
    let skip = (start as usize).min(got);
    let already = &prefix[skip..got];
    let copied = already.len().min(header.len());
    header[..copied].copy_from_slice(&already[..copied]);
    file.read_exact(&mut header[copied..])
        .map_err(|_| "npy: header is shorter than its declared length".to_string())?;
    let text = String::from_utf8_lossy(&header);
    let dict = text.trim().trim_end_matches(',');
    let descr = dict_value(dict, "descr")
        .and_then(|v| {
            let v = v.trim();
            let quote = v.chars().next().filter(|c| *c == '\'' || *c == '"')?;
            Some(v[1..].split(quote).next()?.to_string())
        })
        .ok_or("npy: the header has no string 'descr'")?;
    let fortran_order = match dict_value(dict, "fortran_order").map(str::trim) {
        Some("True") => true,
        Some("False") => false,
        _ => return Err("npy: the header has no 'fortran_order'".into()),
    };
    let shape_text = dict_value(dict, "shape")
        .map(str::trim)
        .and_then(|v| v.strip_prefix('('))
        .and_then(|v| v.split(')').next())
        .ok_or("npy: the header has no 'shape'")?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<u64>())
        .collect::<Result<Vec<u64>, _>>()
        .map_err(|_| format!("npy: invalid shape ({shape_text})"))?;
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
        data_offset: start + len,
    })
}

/// The text after `'key':` in a Python dict literal, up to the next top-level key.
fn dict_value<'t>(dict: &'t str, key: &str) -> Option<&'t str> {
    for quote in ['\'', '"'] {
        let pattern = format!("{quote}{key}{quote}");
        if let Some(at) = dict.find(&pattern) {
            let rest = dict[at + pattern.len()..].trim_start().strip_prefix(':')?;
            // Up to the next `, '` that starts a key, outside parentheses.
            let mut depth = 0i32;
            let mut in_str: Option<char> = None;
            for (i, c) in rest.char_indices() {
                match (in_str, c) {
                    (Some(q), c) if c == q => in_str = None,
                    (Some(_), _) => {}
                    (None, '\'' | '"') => in_str = Some(c),
                    (None, '(' | '[') => depth += 1,
                    (None, ')' | ']') => depth -= 1,
                    (None, ',' | '}') if depth == 0 => return Some(&rest[..i]),
                    _ => {}
                }
            }
            return Some(rest);
        }
    }
    None
}

/// `convertNumpyType`: the Milvus type a dtype reads as, and its item size in bytes.
fn numpy_type(descr: &str) -> Result<(DataType, u64), String> {
    let plain = descr.trim_start_matches(['<', '>', '|', '=']);
    let t = match plain {
        "b1" | "bool" => (DataType::Bool, 1),
        "u1" | "uint8" => (DataType::BinaryVector, 1),
        "i1" | "int8" => (DataType::Int8, 1),
        "i2" | "int16" => (DataType::Int16, 2),
        "i4" | "int32" => (DataType::Int32, 4),
        "i8" | "int64" => (DataType::Int64, 8),
        "f4" | "float32" => (DataType::Float, 4),
        "f8" | "float64" => (DataType::Double, 8),
        _ => {
            let (unit, digits) = match plain.as_bytes().first() {
                Some(b'U') => (4, &plain[1..]),
                Some(b'S' | b'a') => (1, &plain[1..]),
                _ => (0, ""),
            };
            match digits.parse::<u64>() {
                Ok(n) if unit > 0 && n <= 1 << 24 => (DataType::VarChar, unit * n),
                _ => return Err(format!("the numpy file dtype '{descr}' is not supported")),
            }
        }
    };
    Ok(t)
}

/// `numpy.validateHeader`.
fn validate_npy(f: &FieldSchema, header: &NpyHeader) -> Result<(DataType, u64), String> {
    let (element, size) = numpy_type(&header.descr).map_err(|e| {
        wrap(format!(
            "unexpected numpy header for field '{}': '{e}'",
            f.name
        ))
    })?;
    let shape = &header.shape;
    let element_error = || {
        wrap(format!(
            "expected element type '{}' for field '{}', got type '{}'",
            f.data_type,
            f.name,
            element.name()
        ))
    };
    let shape_error = |expected: usize| {
        wrap(format!(
            "expected shape '{expected}' for {} field '{}', got shape '{}'",
            f.data_type,
            f.name,
            shape.len()
        ))
    };
    let dim_error = |got: u64, expected: u64| {
        wrap(format!(
            "expected dim '{expected}' for {} field '{}', got dim '{got}'",
            f.data_type, f.name
        ))
    };
    let dim = u64::from(f.dim.unwrap_or(0));
    let vector = |want: &[DataType], width: u64, reported: &dyn Fn(u64) -> u64| {
        if !want.contains(&element) {
            return Err(element_error());
        }
        if shape.len() != 2 {
            return Err(shape_error(2));
        }
        if shape[1] != width {
            return Err(dim_error(reported(shape[1]), dim));
        }
        Ok(())
    };
    match f.data_type {
        DataType::FloatVector => vector(&[DataType::Float, DataType::Double], dim, &|n| n)?,
        DataType::Float16Vector | DataType::BFloat16Vector => {
            vector(&[DataType::BinaryVector], dim * 2, &|n| n)?
        }
        DataType::BinaryVector => vector(&[DataType::BinaryVector], dim / 8, &|n| n * 8)?,
        DataType::Int8Vector => vector(&[DataType::Int8], dim, &|n| n)?,
        DataType::VarChar
        | DataType::Json
        | DataType::Text
        | DataType::Geometry
        | DataType::Timestamptz => {
            if element != DataType::VarChar {
                return Err(element_error());
            }
            if shape.len() != 1 {
                return Err(shape_error(1));
            }
        }
        DataType::Array | DataType::SparseFloatVector => {
            return Err(wrap(format!("unsupported data type: {}", f.data_type)))
        }
        t => {
            if element != t {
                return Err(element_error());
            }
            if shape.len() != 1 {
                return Err(shape_error(1));
            }
        }
    }
    Ok((element, size))
}

/// The longest string (in UTF-8 bytes) in a `<U`/`S` column, read from its data.
fn longest_string(file: &mut File, descr: &str, rows: u64, size: u64) -> Result<usize, String> {
    let big_endian = descr.starts_with('>');
    let utf32 = descr
        .trim_start_matches(['<', '>', '|', '='])
        .starts_with('U');
    let mut reader = BufReader::new(file);
    if rows == 0 {
        return Ok(0);
    }
    let mut item = vec![0u8; size as usize];
    let mut longest = 0usize;
    for _ in 0..rows {
        reader.read_exact(&mut item).map_err(|e| e.to_string())?;
        let len = if utf32 {
            let mut len = 0;
            for unit in item.chunks_exact(4) {
                let bytes = [unit[0], unit[1], unit[2], unit[3]];
                let code = if big_endian {
                    u32::from_be_bytes(bytes)
                } else {
                    u32::from_le_bytes(bytes)
                };
                if code == 0 {
                    break;
                }
                len += char::from_u32(code)
                    .ok_or("invalid UTF-32 code point")?
                    .len_utf8();
            }
            len
        } else {
            item.iter().position(|&b| b == 0).unwrap_or(item.len())
        };
        longest = longest.max(len);
    }
    Ok(longest)
}

fn read_numpy(ctx: &Ctx<'_>, files: &[(&str, PathBuf)]) -> Result<u64, String> {
    // `numpy.CreateReaders`: one file per field, named after it.
    let stem = |key: &str| {
        let name = key.rsplit(['/', '\\']).next().unwrap_or(key);
        name.strip_suffix(".npy").unwrap_or(name).to_string()
    };
    let mut by_field: Vec<(&FieldSchema, &str, &Path)> = Vec::new();
    let mut meta: Option<(&str, &Path)> = None;
    for (key, path) in files {
        let name = stem(key);
        match ctx.schema.get_field(&name) {
            Some(f) if is_auto_pk(f) => return Err(auto_pk_error(&name)),
            Some(f) if f.function_output => return Err(function_output_error(&name)),
            Some(f) if matches!(f.data_type, DataType::Array | DataType::SparseFloatVector) => {
                return Err(wrap(format!(
                    "unsupported importing numpy files for collection with data type: {}",
                    f.data_type
                )))
            }
            Some(f) => by_field.push((f, key, path)),
            None if name == DYNAMIC_FIELD_NAME && ctx.dynamic => meta = Some((key, path)),
            None => return Err(wrap(format!("the field '{name}' is not defined in schema"))),
        }
    }
    for f in ctx.schema.fields.iter().filter(|f| {
        ctx.fields.contains_key(f.name.as_str()) && !f.nullable && f.default_value.is_none()
    }) {
        if matches!(f.data_type, DataType::Array | DataType::SparseFloatVector) {
            return Err(wrap(format!(
                "unsupported importing numpy files for collection with data type: {}",
                f.data_type
            )));
        }
        if !by_field.iter().any(|(g, _, _)| g.name == f.name) {
            let mut keys: Vec<&str> = files.iter().map(|(k, _)| *k).collect();
            keys.sort_unstable();
            return Err(wrap(format!(
                "no file for field: {}, files: [{}]",
                f.name,
                keys.join(" ")
            )));
        }
    }
    let meta_field = FieldSchema::new(DYNAMIC_FIELD_NAME, DataType::Json);
    let mut counts: Vec<(&str, u64)> = Vec::new();
    let columns = by_field
        .iter()
        .map(|(f, key, path)| (*f, *key, *path))
        .chain(meta.map(|(key, path)| (&meta_field, key, path)));
    for (f, key, path) in columns {
        let mut file = File::open(path)
            .map_err(|e| wrap(format!("failed to read the file '{key}', error: {e}")))?;
        let header = parse_npy_header(&mut file).map_err(|e| {
            wrap(format!(
                "failed to parse the numpy header of field '{}', error: {e}",
                f.name
            ))
        })?;
        if header.fortran_order {
            return Err(wrap(format!(
                "the numpy file of field '{}' is in Fortran order: only C order is supported",
                f.name
            )));
        }
        let (element, size) = validate_npy(f, &header)?;
        let rows = header.shape.first().copied().unwrap_or(0);
        let items = header
            .shape
            .iter()
            .try_fold(1u64, |n, d| n.checked_mul(*d))
            .and_then(|n| n.checked_mul(size));
        let available = std::fs::metadata(path)
            .map_or(0, |m| m.len())
            .saturating_sub(header.data_offset);
        if items.is_none_or(|need| need > available) {
            return Err(wrap(format!(
                "failed to read numpy data of field '{}', error: unexpected EOF",
                f.name
            )));
        }
        if element == DataType::VarChar && f.data_type == DataType::VarChar && !f.nullable {
            if let Some(max) = f.max_length {
                let longest =
                    longest_string(&mut file, &header.descr, rows, size).map_err(|e| {
                        wrap(format!(
                            "failed to read numpy data of field '{}', error: {e}",
                            f.name
                        ))
                    })?;
                if longest > max as usize {
                    return Err(format!(
                        "value length({longest}) for field {} exceeds max_length({max})",
                        f.name
                    ));
                }
            }
        }
        counts.push((f.name.as_str(), rows));
    }
    // `CheckRowsEqual`.
    let Some(&(first, rows)) = counts.first() else {
        return Ok(0);
    };
    if let Some(&(other, n)) = counts.iter().find(|(_, n)| *n != rows) {
        return Err(wrap(format!(
            "imported rows are not aligned, field '{other}' with '{n}' rows, field '{first}' with \
             '{rows}' rows"
        )));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extensions_and_groups_follow_get_file_type() {
        let groups = |g: &[&[&str]]| -> Vec<Vec<String>> {
            g.iter()
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .collect()
        };
        assert!(check_file_types(&groups(&[&["a.parquet"], &["d/a.npy", "d/b.npy"]])).is_ok());
        assert_eq!(
            check_file_types(&groups(&[&["a.jsonl"]])).unwrap_err(),
            "unexpected file type, files=[a.jsonl]: importing data failed"
        );
        assert_eq!(
            check_file_types(&groups(&[&["a.json", "b.json"]])).unwrap_err(),
            "for JSON import, accepts only one file: importing data failed"
        );
        assert_eq!(
            check_file_types(&groups(&[&["a.npy", "b.csv"]])).unwrap_err(),
            "inconsistency in file types, (a.npy) vs (b.csv): importing data failed"
        );
        assert_eq!(extension("dir.x/file"), "");
    }

    #[test]
    fn csv_records_follow_encoding_csv() {
        let mut r = CsvRecords {
            text: "a,b\n\n\"x,\"\"y\"\"\",\"multi\nline\"\r\nlast,\n",
            pos: 0,
            line: 1,
            sep: ',',
        };
        assert_eq!(r.next_record().unwrap().unwrap().1, ["a", "b"]);
        assert_eq!(
            r.next_record().unwrap().unwrap(),
            (3, vec!["x,\"y\"".to_string(), "multi\nline".to_string()])
        );
        assert_eq!(r.next_record().unwrap().unwrap().1, ["last", ""]);
        assert!(r.next_record().is_none());
        let mut bad = CsvRecords {
            text: "a,b\"c\n",
            pos: 0,
            line: 1,
            sep: ',',
        };
        assert!(bad.next_record().unwrap().unwrap_err().contains("bare \""));
    }

    #[test]
    fn go_formatting_of_values() {
        assert_eq!(go_value(&json!([1, "a", null])), "[1 a <nil>]");
        assert_eq!(go_type(&json!({"a": 1})), "map[string]interface {}");
        assert_eq!(
            parse_int("300", 8).unwrap_err(),
            "strconv.ParseInt: parsing \"300\": value out of range"
        );
        assert!(parse_int("1.5", 64).unwrap_err().contains("invalid syntax"));
    }

    #[test]
    fn json_numbers_are_checked_as_their_text_is() {
        let numbers = json!([
            0,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            32767,
            32768,
            -32769,
            2147483647,
            2147483648u64,
            -2147483649i64,
            i64::MAX,
            i64::MIN,
            u64::MAX,
            0.0,
            -0.0,
            1.5,
            -2.5,
            1e20,
            1e-7,
            3.4e38,
            3.5e38,
            -3.5e38,
            1e308,
            9007199254740993u64
        ]);
        for v in numbers.as_array().unwrap() {
            let Value::Number(n) = v else { unreachable!() };
            let text = n.to_string();
            for bits in [8, 16, 32, 64] {
                assert_eq!(int_number(n, bits), parse_int(&text, bits), "{text} {bits}");
            }
            for single in [true, false] {
                assert_eq!(
                    float_number(n, single),
                    parse_float(&text, single),
                    "{text}"
                );
            }
            let byte = match text.parse::<u64>() {
                Ok(b) if b <= 255 => Ok(()),
                Ok(_) => Err(format!(
                    "strconv.ParseUint: parsing {text:?}: value out of range"
                )),
                Err(_) => Err(format!(
                    "strconv.ParseUint: parsing {text:?}: invalid syntax"
                )),
            };
            assert_eq!(byte_number(n), byte, "{text}");
        }
        assert_eq!(
            int_number(json!(1.5).as_number().unwrap(), 64).unwrap_err(),
            "strconv.ParseInt: parsing \"1.5\": invalid syntax"
        );
        assert_eq!(
            float_number(json!(3.5e38).as_number().unwrap(), true).unwrap_err(),
            "strconv.ParseFloat: parsing \"3.5e+38\": value out of range (bitSize 32)"
        );
    }

    #[test]
    fn longest_string_measures_utf32_as_utf8() {
        let root = std::env::temp_dir().join(format!("emu-longest-{}", std::process::id()));
        let mut bytes = Vec::new();
        for s in ["ab", "é€😀", ""] {
            let mut units: Vec<u32> = s.chars().map(u32::from).collect();
            units.resize(3, 0);
            bytes.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        }
        std::fs::write(&root, &bytes).unwrap();
        let longest = longest_string(&mut File::open(&root).unwrap(), "<U3", 3, 12);
        let bad = {
            std::fs::write(&root, 0xD800u32.to_le_bytes()).unwrap();
            longest_string(&mut File::open(&root).unwrap(), "<U1", 1, 4)
        };
        let _ = std::fs::remove_file(&root);
        assert_eq!(longest, Ok("é€😀".len()));
        assert_eq!(bad.unwrap_err(), "invalid UTF-32 code point");
    }

    #[test]
    fn npy_dict_values() {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        assert_eq!(dict_value(dict, "descr").map(str::trim), Some("'<f4'"));
        assert_eq!(dict_value(dict, "shape").map(str::trim), Some("(3, 4)"));
        assert_eq!(numpy_type("<U12").unwrap(), (DataType::VarChar, 48));
        assert!(numpy_type("|O").is_err());
    }
}
