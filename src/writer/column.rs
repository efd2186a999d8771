//! Typed column buffers: each file column's values, validity and pymilvus's size accounting.
//!
//! A row is pushed column by column; if any value is rejected every column is cut back to
//! the previous row count ([`Column::truncate`]), so the buffer never holds half a row.

use serde_json::Value;

use super::schema::{DataType, FieldSchema};
use super::text;

/// How a column's values are checked and stored.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    /// VarChar (with a limit in code points), Text, Geometry, Timestamptz.
    Str {
        max_chars: Option<u32>,
    },
    /// JSON text (`json.dumps` of the value).
    Json,
    Array {
        element: DataType,
        max_capacity: u32,
        max_chars: Option<u32>,
    },
    FloatVector {
        dim: usize,
    },
    BinaryVector {
        dim: usize,
    },
    /// Float16 / BFloat16: bytes (2 per dimension, little endian) or f32 (`as_float`).
    Half {
        dim: usize,
        bf16: bool,
        as_float: bool,
    },
    Int8Vector {
        dim: usize,
    },
    /// Sparse vector as JSON text.
    Sparse,
    /// The dynamic field, JSON object text.
    Meta,
}

/// A growable, truncatable list of strings in one allocation.
#[derive(Debug, Default)]
pub(crate) struct Strings {
    pub data: String,
    /// End offset of each string in `data`.
    pub ends: Vec<usize>,
}

impl Strings {
    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len());
    }
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    fn truncate(&mut self, n: usize) {
        self.ends.truncate(n);
        self.data.truncate(self.ends.last().copied().unwrap_or(0));
    }
}

/// The stored values of a column (vectors flattened, `dim` or `dim/8` or `2·dim` per row).
#[derive(Debug)]
pub(crate) enum Values {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Str(Strings),
    Bytes(Vec<u8>),
    /// Array fields: `offsets[i]..offsets[i+1]` are row i's items.
    List {
        offsets: Vec<usize>,
        items: Box<Values>,
    },
}

impl Values {
    fn for_scalar(t: DataType) -> Values {
        match t {
            DataType::Bool => Values::Bool(Vec::new()),
            DataType::Int8 => Values::I8(Vec::new()),
            DataType::Int16 => Values::I16(Vec::new()),
            DataType::Int32 => Values::I32(Vec::new()),
            DataType::Int64 => Values::I64(Vec::new()),
            DataType::Float => Values::F32(Vec::new()),
            DataType::Double => Values::F64(Vec::new()),
            _ => Values::Str(Strings::default()),
        }
    }

    /// Cuts to `n` items (rows for scalars, elements for flattened vectors).
    fn truncate(&mut self, n: usize) {
        match self {
            Values::Bool(v) => v.truncate(n),
            Values::I8(v) => v.truncate(n),
            Values::I16(v) => v.truncate(n),
            Values::I32(v) => v.truncate(n),
            Values::I64(v) => v.truncate(n),
            Values::F32(v) => v.truncate(n),
            Values::F64(v) => v.truncate(n),
            Values::Str(v) => v.truncate(n),
            Values::Bytes(v) => v.truncate(n),
            Values::List { offsets, items } => {
                offsets.truncate(n + 1);
                items.truncate(*offsets.last().unwrap_or(&0));
            }
        }
    }

    fn clear(&mut self) {
        self.truncate(0);
        if let Values::List { offsets, .. } = self {
            offsets.clear();
            offsets.push(0);
        }
    }

    /// Pushes a scalar item of type `t` (also array elements); returns pymilvus's size.
    fn push_scalar(&mut self, t: DataType, v: Scalar<'_>) -> Result<u64, String> {
        match (self, v) {
            (Values::Bool(out), Scalar::Bool(b)) => {
                out.push(b);
                Ok(1)
            }
            (Values::I8(out), Scalar::Int(i)) => {
                out.push(int_in(i, t)?);
                Ok(1)
            }
            (Values::I16(out), Scalar::Int(i)) => {
                out.push(int_in(i, t)?);
                Ok(2)
            }
            (Values::I32(out), Scalar::Int(i)) => {
                out.push(int_in(i, t)?);
                Ok(4)
            }
            (Values::I64(out), Scalar::Int(i)) => {
                out.push(int_in(i, t)?);
                Ok(8)
            }
            (Values::F32(out), v @ (Scalar::Int(_) | Scalar::Float(_))) => {
                out.push(to_f32(v)?);
                Ok(4)
            }
            (Values::F64(out), v @ (Scalar::Int(_) | Scalar::Float(_))) => {
                out.push(to_f64(v)?);
                Ok(8)
            }
            (Values::Str(out), Scalar::Str(s)) => {
                out.push(s);
                Ok(s.chars().count() as u64)
            }
            (_, v) => Err(format!("expected {}, got {}", expected(t), v.describe())),
        }
    }
}

pub(super) fn expected(t: DataType) -> &'static str {
    match t {
        DataType::Bool => "true or false",
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => "an integer",
        DataType::Float | DataType::Double => "a number",
        DataType::Array => "a list",
        DataType::Json => "a JSON value",
        DataType::SparseFloatVector => "an object of index: value pairs",
        t if t.is_vector() => "a list of numbers",
        _ => "a string",
    }
}

/// A value as the serializer hands it over.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scalar<'a> {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
    Bytes(&'a [u8]),
}

impl Scalar<'_> {
    pub fn describe(&self) -> String {
        match self {
            Scalar::Bool(b) => format!("the bool {b}"),
            Scalar::Int(i) => format!("the integer {i}"),
            Scalar::Float(x) => format!("the number {x}"),
            Scalar::Str(s) => {
                let short: String = s.chars().take(32).collect();
                if short.len() < s.len() {
                    format!("the string {short:?}…")
                } else {
                    format!("the string {short:?}")
                }
            }
            Scalar::Bytes(b) => format!("{} bytes", b.len()),
        }
    }
}

fn int_in<T: TryFrom<i128>>(i: i128, t: DataType) -> Result<T, String> {
    T::try_from(i).map_err(|_| format!("{i} is out of range for {t}"))
}

/// Integers are taken for floats only when exactly representable.
fn to_f32(v: Scalar<'_>) -> Result<f32, String> {
    match v {
        Scalar::Int(i) if (i as f32) as i128 == i => Ok(i as f32),
        Scalar::Int(i) => Err(format!("{i} cannot be stored exactly as a 32-bit float")),
        Scalar::Float(x) if x.is_nan() => Err("NaN is not allowed (Milvus rejects it)".into()),
        Scalar::Float(x) if x.is_infinite() => Err(format!(
            "{x} is not allowed (Milvus rejects infinite values)"
        )),
        Scalar::Float(x) if !(x as f32).is_finite() => {
            Err(format!("{x} is out of range for a 32-bit float"))
        }
        Scalar::Float(x) => Ok(x as f32),
        other => Err(format!("expected a number, got {}", other.describe())),
    }
}

fn to_f64(v: Scalar<'_>) -> Result<f64, String> {
    match v {
        Scalar::Int(i) if (i as f64) as i128 == i => Ok(i as f64),
        Scalar::Int(i) => Err(format!("{i} cannot be stored exactly as a double")),
        Scalar::Float(x) if x.is_nan() => Err("NaN is not allowed (Milvus rejects it)".into()),
        Scalar::Float(x) if x.is_infinite() => Err(format!(
            "{x} is not allowed (Milvus rejects infinite values)"
        )),
        Scalar::Float(x) => Ok(x),
        other => Err(format!("expected a number, got {}", other.describe())),
    }
}

/// One column of the buffer.
#[derive(Debug)]
pub(crate) struct Column {
    pub name: String,
    pub data_type: DataType,
    pub kind: Kind,
    pub values: Values,
    /// `Some` for nullable fields: `false` marks a null row.
    pub validity: Option<Vec<bool>>,
    pub default: Option<Value>,
    /// The file type cannot hold nulls (NumPy).
    pub nulls_forbidden: bool,
    /// CSV: a string equal to this would read back as null.
    pub csv_null_key: Option<String>,
}

impl Column {
    pub fn for_field(f: &FieldSchema, half_as_float: bool) -> Column {
        let dim = f.dim.unwrap_or(0) as usize;
        let (kind, values) = match f.data_type {
            DataType::Bool => (Kind::Bool, Values::Bool(Vec::new())),
            DataType::Int8 => (Kind::Int8, Values::I8(Vec::new())),
            DataType::Int16 => (Kind::Int16, Values::I16(Vec::new())),
            DataType::Int32 => (Kind::Int32, Values::I32(Vec::new())),
            DataType::Int64 => (Kind::Int64, Values::I64(Vec::new())),
            DataType::Float => (Kind::Float, Values::F32(Vec::new())),
            DataType::Double => (Kind::Double, Values::F64(Vec::new())),
            DataType::VarChar => (
                Kind::Str {
                    max_chars: f.max_length,
                },
                Values::Str(Strings::default()),
            ),
            DataType::Text | DataType::Geometry | DataType::Timestamptz => (
                Kind::Str { max_chars: None },
                Values::Str(Strings::default()),
            ),
            DataType::Json => (Kind::Json, Values::Str(Strings::default())),
            DataType::Array => {
                let element = f.element_type.unwrap_or(DataType::Int64);
                (
                    Kind::Array {
                        element,
                        max_capacity: f.max_capacity.unwrap_or(0),
                        max_chars: if element == DataType::VarChar {
                            f.max_length
                        } else {
                            None
                        },
                    },
                    Values::List {
                        offsets: vec![0],
                        items: Box::new(Values::for_scalar(element)),
                    },
                )
            }
            DataType::FloatVector => (Kind::FloatVector { dim }, Values::F32(Vec::new())),
            DataType::BinaryVector => (Kind::BinaryVector { dim }, Values::Bytes(Vec::new())),
            DataType::Float16Vector | DataType::BFloat16Vector => (
                Kind::Half {
                    dim,
                    bf16: f.data_type == DataType::BFloat16Vector,
                    as_float: half_as_float,
                },
                if half_as_float {
                    Values::F32(Vec::new())
                } else {
                    Values::Bytes(Vec::new())
                },
            ),
            DataType::Int8Vector => (Kind::Int8Vector { dim }, Values::I8(Vec::new())),
            DataType::SparseFloatVector => (Kind::Sparse, Values::Str(Strings::default())),
        };
        Column {
            name: f.name.clone(),
            data_type: f.data_type,
            kind,
            values,
            validity: f.nullable.then(Vec::new),
            default: f.default_value.clone().filter(|v| !v.is_null()),
            nulls_forbidden: false,
            csv_null_key: None,
        }
    }

    pub fn meta() -> Column {
        Column {
            name: super::schema::DYNAMIC_FIELD_NAME.to_string(),
            data_type: DataType::Json,
            kind: Kind::Meta,
            values: Values::Str(Strings::default()),
            validity: None,
            default: None,
            nulls_forbidden: false,
            csv_null_key: None,
        }
    }

    /// Items per row of a fixed-width column (vectors), 1 for scalars and strings.
    pub fn width(&self) -> usize {
        match self.kind {
            Kind::FloatVector { dim } | Kind::Int8Vector { dim } => dim,
            Kind::BinaryVector { dim } => dim / 8,
            Kind::Half { dim, as_float, .. } => {
                if as_float {
                    dim
                } else {
                    2 * dim
                }
            }
            _ => 1,
        }
    }

    /// Cuts the column back to `rows` rows.
    pub fn truncate(&mut self, rows: usize) {
        let items = rows * self.width();
        self.values.truncate(items);
        if let Some(v) = &mut self.validity {
            v.truncate(rows);
        }
    }

    /// Empties the column, keeping its allocations.
    pub fn clear(&mut self) {
        self.values.clear();
        if let Some(v) = &mut self.validity {
            v.clear();
        }
    }

    /// Whether row `i` is null.
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.as_ref().is_some_and(|v| !v[i])
    }

    fn mark_valid(&mut self) {
        if let Some(v) = &mut self.validity {
            v.push(true);
        }
    }

    /// A null row: placeholder values and a cleared validity bit.
    pub fn push_null(&mut self) -> Result<(), String> {
        if self.validity.is_none() {
            return Err("is missing: the field is not nullable and has no default value".into());
        }
        if self.nulls_forbidden {
            return Err("is null, and NumPy files cannot hold nulls (use Parquet, JSON or CSV, or give the field a default value)".into());
        }
        let width = self.width();
        if let Some(validity) = &mut self.validity {
            validity.push(false);
        }
        match &mut self.values {
            Values::Bool(v) => v.push(false),
            Values::I8(v) => v.extend(std::iter::repeat_n(0, width)),
            Values::I16(v) => v.push(0),
            Values::I32(v) => v.push(0),
            Values::I64(v) => v.push(0),
            Values::F32(v) => v.extend(std::iter::repeat_n(0.0, width)),
            Values::F64(v) => v.push(0.0),
            Values::Str(v) => v.push(""),
            Values::Bytes(v) => v.extend(std::iter::repeat_n(0, width)),
            Values::List { offsets, .. } => offsets.push(*offsets.last().unwrap_or(&0)),
        }
        Ok(())
    }

    /// Fills a left-out field with its default value (no size, as in pymilvus).
    pub fn push_default(&mut self) -> Result<bool, String> {
        let Some(default) = self.default.clone() else {
            return Ok(false);
        };
        let scalar = match &default {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Scalar::Int(i.into()),
                None => Scalar::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Scalar::Str(s),
            other => return Err(format!("has an unusable default value {other}")),
        };
        // Floats given as integers are fine for a default of a Float/Double field.
        let scalar = match (self.data_type, scalar) {
            (DataType::Float | DataType::Double, Scalar::Int(i)) => Scalar::Float(i as f64),
            (_, s) => s,
        };
        self.push_scalar(scalar)?;
        Ok(true)
    }

    /// A scalar value for this column; returns the size pymilvus counts for it.
    pub fn push_scalar(&mut self, v: Scalar<'_>) -> Result<u64, String> {
        let size = match (&self.kind, v) {
            (Kind::Str { max_chars }, Scalar::Str(s)) => {
                let chars = s.chars().count();
                if let Some(max) = max_chars {
                    if chars > *max as usize {
                        return Err(format!(
                            "is {chars} characters long, over its max_length {max}"
                        ));
                    }
                }
                if self.validity.is_some() && self.csv_null_key.as_deref() == Some(s) {
                    return Err(format!(
                        "is {s:?}, which is the CSV null key: Milvus would import it as null (choose another csv_null_key, and pass it to bulk_import as option nullkey)"
                    ));
                }
                let Values::Str(out) = &mut self.values else {
                    unreachable!("string column")
                };
                out.push(s);
                chars as u64
            }
            (
                Kind::Bool
                | Kind::Int8
                | Kind::Int16
                | Kind::Int32
                | Kind::Int64
                | Kind::Float
                | Kind::Double,
                v,
            ) => self.values.push_scalar(self.data_type, v)?,
            (Kind::BinaryVector { dim }, Scalar::Bytes(b)) => {
                if b.len() * 8 != *dim {
                    return Err(format!(
                        "has {} bytes: a binary vector of dim {dim} takes {} bytes (or a list of {dim} bits)",
                        b.len(),
                        dim / 8
                    ));
                }
                let Values::Bytes(out) = &mut self.values else {
                    unreachable!("bytes column")
                };
                out.extend_from_slice(b);
                (dim / 8) as u64
            }
            (
                Kind::Half {
                    dim,
                    bf16,
                    as_float,
                },
                Scalar::Bytes(b),
            ) => {
                let (dim, bf16, as_float) = (*dim, *bf16, *as_float);
                if b.len() != 2 * dim {
                    return Err(format!(
                        "has {} bytes: a {} of dim {dim} takes {} bytes (or a list of {dim} numbers)",
                        b.len(),
                        self.data_type,
                        2 * dim
                    ));
                }
                for pair in b.chunks_exact(2) {
                    let bits = u16::from_le_bytes([pair[0], pair[1]]);
                    let x = half_to_f32(bits, bf16);
                    if !x.is_finite() {
                        return Err(format!("holds {x}, which Milvus rejects"));
                    }
                    if as_float {
                        let Values::F32(out) = &mut self.values else {
                            unreachable!("f32 column")
                        };
                        out.push(x);
                    }
                }
                if !as_float {
                    let Values::Bytes(out) = &mut self.values else {
                        unreachable!("bytes column")
                    };
                    out.extend_from_slice(b);
                }
                (2 * dim) as u64
            }
            (_, v) => {
                return Err(format!(
                    "expected {}, got {}",
                    expected(self.data_type),
                    v.describe()
                ))
            }
        };
        self.mark_valid();
        Ok(size)
    }

    /// A JSON field's value: strings are parsed as JSON (as pymilvus does).
    pub fn push_json(&mut self, v: &Value) -> Result<u64, String> {
        let mut text = String::new();
        let size = match v {
            Value::String(s) => {
                let parsed: Value = serde_json::from_str(s)
                    .map_err(|e| format!("is a string that is not JSON: {e}"))?;
                text::push_json(&mut text, &parsed);
                s.chars().count() as u64
            }
            other => {
                text::push_json(&mut text, other);
                text.len() as u64
            }
        };
        self.push_text(&text);
        Ok(size)
    }

    /// The dynamic field's object; returns the bytes stored.
    pub fn push_meta(&mut self, entries: &[(String, Value)]) -> usize {
        let mut text = String::new();
        text::push_json_object(&mut text, entries.iter().map(|(k, v)| (k, v)));
        self.push_text(&text);
        text.len()
    }

    /// The stored length of the last text value (JSON, sparse), in bytes.
    pub fn last_len(&self) -> u64 {
        match &self.values {
            Values::Str(s) if s.len() > 0 => s.get(s.len() - 1).len() as u64,
            _ => 0,
        }
    }

    /// A sparse vector: `{"index": value, …}` or `{"indices": […], "values": […]}`.
    pub fn push_sparse(&mut self, v: &Value) -> Result<u64, String> {
        let Value::Object(map) = v else {
            return Err(format!(
                "expected an object of index: value pairs (or indices and values lists), got {}",
                short(v)
            ));
        };
        // Indices are numbers in the indices/values form, and decimal strings as object keys.
        let index = |k: &Value| -> Result<u32, String> {
            let n = match k {
                Value::Number(n) => n.as_u64(),
                Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse::<u64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if n < u32::MAX as u64 => Ok(n as u32),
                _ => Err(format!(
                    "has index {k}: indices are integers from 0 to 4294967294"
                )),
            }
        };
        let value = |x: &Value| -> Result<(), String> {
            match x.as_f64() {
                Some(f) if f.is_finite() && (f as f32).is_finite() => Ok(()),
                _ => Err(format!("has value {x}: values are finite 32-bit floats")),
            }
        };
        let mut seen = std::collections::HashSet::new();
        let size = if map.len() == 2 && map.contains_key("indices") && map.contains_key("values") {
            let (Some(idx), Some(vals)) = (map["indices"].as_array(), map["values"].as_array())
            else {
                return Err("'indices' and 'values' must be lists".into());
            };
            if idx.len() != vals.len() {
                return Err(format!(
                    "has {} indices and {} values: they must pair up",
                    idx.len(),
                    vals.len()
                ));
            }
            if idx.is_empty() {
                return Err("is empty: Milvus does not accept empty sparse vectors".into());
            }
            for (i, x) in idx.iter().zip(vals) {
                if i.is_string() {
                    return Err(format!("has index {i}: indices are integers, not strings"));
                }
                if !seen.insert(index(i)?) {
                    return Err(format!("has index {i} twice"));
                }
                value(x)?;
            }
            24
        } else {
            if map.is_empty() {
                return Err("is empty: Milvus does not accept empty sparse vectors".into());
            }
            for (k, x) in map {
                if !seen.insert(index(&Value::String(k.clone()))?) {
                    return Err(format!("has index {k} twice"));
                }
                value(x)?;
            }
            12 * map.len() as u64
        };
        let mut text = String::new();
        text::push_json(&mut text, v);
        self.push_text(&text);
        Ok(size)
    }

    fn push_text(&mut self, text: &str) {
        let Values::Str(out) = &mut self.values else {
            unreachable!("text column")
        };
        out.push(text);
        self.mark_valid();
    }

    /// Starts a list value (vector or array); see [`ListPush`].
    pub fn begin_list(&mut self) -> Result<ListPush<'_>, String> {
        match self.kind {
            Kind::FloatVector { .. }
            | Kind::BinaryVector { .. }
            | Kind::Half { .. }
            | Kind::Int8Vector { .. }
            | Kind::Array { .. } => Ok(ListPush {
                col: self,
                n: 0,
                size: 0,
                raw: Vec::new(),
            }),
            _ => Err(format!("expected {}, got a list", expected(self.data_type))),
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// Rounds a double to f16 / bf16 bits, once, to nearest even: through f32 rounded to odd
/// (24 bits keep enough to round again correctly), so values near a tie are not rounded twice.
pub(crate) fn half_bits(x: f64, bf16: bool) -> u16 {
    let mut t = x as f32;
    if t.is_finite() && f64::from(t) != x {
        let mut bits = t.to_bits();
        if f64::from(t).abs() > x.abs() {
            bits -= 1; // toward zero
        }
        t = f32::from_bits(bits | 1);
    }
    if bf16 {
        half::bf16::from_f32(t).to_bits()
    } else {
        half::f16::from_f32(t).to_bits()
    }
}

/// Decodes an f16 / bf16 bit pattern.
pub(crate) fn half_to_f32(bits: u16, bf16: bool) -> f32 {
    if bf16 {
        half::bf16::from_bits(bits).to_f32()
    } else {
        half::f16::from_bits(bits).to_f32()
    }
}

/// Pushes the elements of one list value (a vector or an Array field value).
pub(crate) struct ListPush<'c> {
    col: &'c mut Column,
    n: usize,
    size: u64,
    /// A binary vector's values until its length says bits or bytes.
    raw: Vec<u8>,
}

impl ListPush<'_> {
    /// A number for a float vector, inline and without the `Scalar` / `to_f32` round trip per
    /// element. Anything else (another kind, too many values, NaN, ±inf, beyond f32) goes
    /// through [`push`](Self::push): same checks, same messages.
    #[inline]
    pub fn push_float(&mut self, x: f64) -> Result<(), String> {
        if let (Kind::FloatVector { dim }, Values::F32(out)) =
            (&self.col.kind, &mut self.col.values)
        {
            let y = x as f32;
            if self.n < *dim && y.is_finite() {
                out.push(y);
                self.n += 1;
                return Ok(());
            }
        }
        self.push_float_slow(x)
    }

    #[cold]
    #[inline(never)]
    fn push_float_slow(&mut self, x: f64) -> Result<(), String> {
        self.push(Scalar::Float(x))
    }

    pub fn push(&mut self, v: Scalar<'_>) -> Result<(), String> {
        let i = self.n;
        match (&self.col.kind, &mut self.col.values) {
            (Kind::FloatVector { dim }, Values::F32(out)) => {
                if i >= *dim {
                    return Err(format!("has more than {dim} values (its dim)"));
                }
                let x = to_f32(v).map_err(|e| format!("value {i}: {e}"))?;
                out.push(x);
            }
            (Kind::Int8Vector { dim }, Values::I8(out)) => {
                if i >= *dim {
                    return Err(format!("has more than {dim} values (its dim)"));
                }
                match v {
                    Scalar::Int(x) => out.push(
                        i8::try_from(x)
                            .map_err(|_| format!("value {i}: {x} is out of range for Int8"))?,
                    ),
                    other => {
                        return Err(format!(
                            "value {i}: expected an integer, got {}",
                            other.describe()
                        ))
                    }
                }
            }
            (Kind::BinaryVector { dim }, _) => {
                // `dim` bits, or `dim / 8` packed bytes: kept raw until the length tells which.
                if i >= *dim {
                    return Err(format!("has more than {dim} values (its dim)"));
                }
                let x = match v {
                    Scalar::Bool(b) => u8::from(b),
                    Scalar::Int(x) if (0..=255).contains(&x) => x as u8,
                    other => {
                        return Err(format!(
                            "value {i}: expected a bit (0, 1, a bool) or a byte (0-255), got {}",
                            other.describe()
                        ))
                    }
                };
                self.raw.push(x);
            }
            (Kind::Half { dim, bf16, .. }, values) => {
                if i >= *dim {
                    return Err(format!("has more than {dim} values (its dim)"));
                }
                // Rounded once, from the caller's value (as numpy / ml_dtypes round).
                let x = to_f64(v).map_err(|e| format!("value {i}: {e}"))?;
                let bits = half_bits(x, *bf16);
                if !half_to_f32(bits, *bf16).is_finite() {
                    return Err(format!(
                        "value {i}: {x} is out of range for {}",
                        self.col.data_type
                    ));
                }
                match values {
                    Values::F32(out) => out.push(x as f32),
                    Values::Bytes(out) => out.extend_from_slice(&bits.to_le_bytes()),
                    _ => unreachable!("half column"),
                }
            }
            (
                Kind::Array {
                    element,
                    max_capacity,
                    max_chars,
                },
                Values::List { items, .. },
            ) => {
                if i >= *max_capacity as usize {
                    return Err(format!(
                        "has more than {max_capacity} elements (its max_capacity)"
                    ));
                }
                if let (Some(max), Scalar::Str(s)) = (max_chars, v) {
                    let chars = s.chars().count();
                    if chars > *max as usize {
                        return Err(format!(
                            "element {i} is {chars} characters long, over its max_length {max}"
                        ));
                    }
                }
                self.size += items
                    .push_scalar(*element, v)
                    .map_err(|e| format!("element {i}: {e}"))?;
            }
            _ => unreachable!("begin_list checked the kind"),
        }
        self.n += 1;
        Ok(())
    }

    /// Ends the list: checks its length and returns pymilvus's size for it.
    pub fn finish(self) -> Result<u64, String> {
        let n = self.n;
        let size = match &mut self.col.kind {
            Kind::FloatVector { dim } | Kind::Int8Vector { dim } | Kind::Half { dim, .. }
                if n != *dim =>
            {
                return Err(format!("has {n} values: its dim is {dim}"));
            }
            Kind::BinaryVector { dim } => {
                let dim = *dim;
                let Values::Bytes(out) = &mut self.col.values else {
                    unreachable!("binary vector column")
                };
                if n == dim {
                    if let Some(j) = self.raw.iter().position(|b| *b > 1) {
                        return Err(format!(
                            "bit {j} is {}: a list of {dim} values holds bits (0 or 1)",
                            self.raw[j]
                        ));
                    }
                    for byte in self.raw.chunks(8) {
                        out.push(
                            byte.iter()
                                .enumerate()
                                .fold(0u8, |acc, (k, bit)| acc | (bit << (7 - k))),
                        );
                    }
                } else if n == dim / 8 {
                    out.extend_from_slice(&self.raw);
                } else {
                    return Err(format!(
                        "has {n} values: a binary vector of dim {dim} takes {dim} bits or {} bytes",
                        dim / 8
                    ));
                }
                (dim / 8) as u64
            }
            Kind::FloatVector { dim } | Kind::Half { dim, .. } => 4 * *dim as u64,
            Kind::Int8Vector { dim } => *dim as u64,
            Kind::Array { .. } => {
                if let Values::List { offsets, items } = &mut self.col.values {
                    offsets.push(items_len(items));
                }
                self.size
            }
            _ => unreachable!("begin_list checked the kind"),
        };
        self.col.mark_valid();
        Ok(size)
    }
}

fn items_len(v: &Values) -> usize {
    match v {
        Values::Bool(v) => v.len(),
        Values::I8(v) => v.len(),
        Values::I16(v) => v.len(),
        Values::I32(v) => v.len(),
        Values::I64(v) => v.len(),
        Values::F32(v) => v.len(),
        Values::F64(v) => v.len(),
        Values::Str(v) => v.len(),
        Values::Bytes(v) => v.len(),
        Values::List { offsets, .. } => offsets.len() - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::half_bits;

    #[test]
    fn halves_round_once_to_nearest_even() {
        // Just above a tie: rounding through f32 first would land on the tie and round down.
        assert_eq!(
            half_bits(1.0 + 2f64.powi(-11) + 2f64.powi(-40), false),
            0x3c01
        );
        assert_eq!(
            half_bits(1.0 + 2f64.powi(-8) + 2f64.powi(-40), true),
            0x3f81
        );
        // Exact ties go to even.
        assert_eq!(half_bits(1.0 + 2f64.powi(-11), false), 0x3c00);
        assert_eq!(half_bits(0.1, false), 0x2e66);
        assert_eq!(half_bits(0.1, true), 0x3dcd);
        assert_eq!(half_bits(-2.5, false), 0xc100);
        assert_eq!(half_bits(65504.0, false), 0x7bff);
        assert!(half::f16::from_bits(half_bits(70000.0, false)).is_infinite());
    }
}
