//! [`CollectionSchema`], [`FieldSchema`] and [`DataType`]: the collection a writer writes for,
//! declared in code or parsed from what the server (or pymilvus) says about it.

use serde::de::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::Error;

/// The type of a field, as Milvus names it.
///
/// [`code()`](DataType::code) is the protobuf enum value (pymilvus's `DataType` integers) and
/// [`name()`](DataType::name) the name the REST API uses (`"FloatVector"`).
///
/// ```
/// use milvus_bulk_import::writer::DataType;
///
/// assert_eq!(DataType::from_name("FloatVector"), Some(DataType::FloatVector));
/// assert_eq!(DataType::from_code(21), Some(DataType::VarChar));
/// assert_eq!(DataType::Int64.code(), 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `Bool` (1).
    Bool,
    /// `Int8` (2).
    Int8,
    /// `Int16` (3).
    Int16,
    /// `Int32` (4).
    Int32,
    /// `Int64` (5); may be the primary key.
    Int64,
    /// `Float` (10), 32-bit.
    Float,
    /// `Double` (11).
    Double,
    /// `VarChar` (21): a string of at most `max_length`; may be the primary key.
    VarChar,
    /// `Array` (22): a list of at most `max_capacity` values of `element_type`.
    Array,
    /// `JSON` (23): any JSON value.
    Json,
    /// `Geometry` (24): a string (WKT).
    Geometry,
    /// `Text` (25): a string without a length limit.
    Text,
    /// `Timestamptz` (26): a string (ISO 8601 with a time zone).
    Timestamptz,
    /// `BinaryVector` (100): `dim` bits.
    BinaryVector,
    /// `FloatVector` (101): `dim` 32-bit floats.
    FloatVector,
    /// `Float16Vector` (102): `dim` IEEE half-precision floats.
    Float16Vector,
    /// `BFloat16Vector` (103): `dim` bfloat16 floats.
    BFloat16Vector,
    /// `SparseFloatVector` (104): index → value pairs, no `dim`.
    SparseFloatVector,
    /// `Int8Vector` (105): `dim` signed bytes.
    Int8Vector,
}

const TYPES: [(DataType, i64, &str); 19] = [
    (DataType::Bool, 1, "Bool"),
    (DataType::Int8, 2, "Int8"),
    (DataType::Int16, 3, "Int16"),
    (DataType::Int32, 4, "Int32"),
    (DataType::Int64, 5, "Int64"),
    (DataType::Float, 10, "Float"),
    (DataType::Double, 11, "Double"),
    (DataType::VarChar, 21, "VarChar"),
    (DataType::Array, 22, "Array"),
    (DataType::Json, 23, "JSON"),
    (DataType::Geometry, 24, "Geometry"),
    (DataType::Text, 25, "Text"),
    (DataType::Timestamptz, 26, "Timestamptz"),
    (DataType::BinaryVector, 100, "BinaryVector"),
    (DataType::FloatVector, 101, "FloatVector"),
    (DataType::Float16Vector, 102, "Float16Vector"),
    (DataType::BFloat16Vector, 103, "BFloat16Vector"),
    (DataType::SparseFloatVector, 104, "SparseFloatVector"),
    (DataType::Int8Vector, 105, "Int8Vector"),
];

impl DataType {
    /// The protobuf enum value (the integer pymilvus's `DataType` has).
    pub fn code(self) -> i64 {
        TYPES.iter().find(|t| t.0 == self).map(|t| t.1).unwrap_or(0)
    }

    /// The name the REST API uses (`"Int64"`, `"VarChar"`, `"JSON"`, `"FloatVector"`, …).
    pub fn name(self) -> &'static str {
        TYPES
            .iter()
            .find(|t| t.0 == self)
            .map(|t| t.2)
            .unwrap_or("")
    }

    /// The type with this protobuf enum value, if the writer supports it.
    pub fn from_code(code: i64) -> Option<DataType> {
        TYPES.iter().find(|t| t.1 == code).map(|t| t.0)
    }

    /// The type with this REST name (case-insensitive; pymilvus's upper-case names such as
    /// `FLOAT_VECTOR` are accepted too), if the writer supports it.
    pub fn from_name(name: &str) -> Option<DataType> {
        let folded: String = name.chars().filter(|c| *c != '_').collect();
        TYPES
            .iter()
            .find(|t| t.2.eq_ignore_ascii_case(&folded))
            .map(|t| t.0)
    }

    /// Whether this is a vector type (dense or sparse).
    pub fn is_vector(self) -> bool {
        matches!(
            self,
            DataType::BinaryVector
                | DataType::FloatVector
                | DataType::Float16Vector
                | DataType::BFloat16Vector
                | DataType::SparseFloatVector
                | DataType::Int8Vector
        )
    }

    /// Whether the value is a string (VarChar, Text, Geometry, Timestamptz).
    pub(crate) fn is_string(self) -> bool {
        matches!(
            self,
            DataType::VarChar | DataType::Text | DataType::Geometry | DataType::Timestamptz
        )
    }

    fn is_array_element(self) -> bool {
        matches!(
            self,
            DataType::Bool
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Float
                | DataType::Double
                | DataType::VarChar
                | DataType::Text
        )
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One field of a collection: its name, type and options.
///
/// Built with chained setters; the fields are public to read.
///
/// ```
/// use milvus_bulk_import::writer::{DataType, FieldSchema};
///
/// let title = FieldSchema::new("title", DataType::VarChar).max_length(256);
/// assert_eq!(title.max_length, Some(256));
/// let tags = FieldSchema::new("tags", DataType::Array)
///     .element_type(DataType::VarChar)
///     .max_capacity(8)
///     .max_length(32)
///     .nullable(true);
/// assert!(tags.nullable);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FieldSchema {
    /// The field's name (a column name in every file).
    pub name: String,
    /// Its type.
    pub data_type: DataType,
    /// Whether it is the primary key (exactly one field is).
    pub primary_key: bool,
    /// Whether the server generates the primary key (rows then must not carry it).
    pub auto_id: bool,
    /// The dimension of a dense vector (bits for `BinaryVector`).
    pub dim: Option<u32>,
    /// The longest `VarChar` (or `VarChar` array element), in characters.
    pub max_length: Option<u32>,
    /// The most elements an `Array` holds.
    pub max_capacity: Option<u32>,
    /// The type of an `Array`'s elements.
    pub element_type: Option<DataType>,
    /// Whether a row may leave the field out (or give `null`).
    pub nullable: bool,
    /// The value written when a row leaves the field out.
    pub default_value: Option<Value>,
    /// Whether the field is computed by a server-side function (such as BM25's sparse output):
    /// rows must not carry it and files do not have its column.
    pub function_output: bool,
}

impl FieldSchema {
    /// A field with no options set.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        FieldSchema {
            name: name.into(),
            data_type,
            primary_key: false,
            auto_id: false,
            dim: None,
            max_length: None,
            max_capacity: None,
            element_type: None,
            nullable: false,
            default_value: None,
            function_output: false,
        }
    }

    /// Makes the field the primary key (`Int64` or `VarChar`).
    #[must_use]
    pub fn primary_key(mut self, yes: bool) -> Self {
        self.primary_key = yes;
        self
    }

    /// Lets the server generate the primary key.
    #[must_use]
    pub fn auto_id(mut self, yes: bool) -> Self {
        self.auto_id = yes;
        self
    }

    /// The dimension of a dense vector (a multiple of 8 for `BinaryVector`).
    #[must_use]
    pub fn dim(mut self, dim: u32) -> Self {
        self.dim = Some(dim);
        self
    }

    /// The longest `VarChar` value, in characters (Unicode code points, as pymilvus counts).
    #[must_use]
    pub fn max_length(mut self, max_length: u32) -> Self {
        self.max_length = Some(max_length);
        self
    }

    /// The most elements an `Array` value may hold.
    #[must_use]
    pub fn max_capacity(mut self, max_capacity: u32) -> Self {
        self.max_capacity = Some(max_capacity);
        self
    }

    /// The type of an `Array`'s elements: `Bool`, an integer type, `Float`, `Double`,
    /// `VarChar` (with `max_length`) or `Text`.
    #[must_use]
    pub fn element_type(mut self, element_type: DataType) -> Self {
        self.element_type = Some(element_type);
        self
    }

    /// Lets rows leave the field out or give `null`.
    #[must_use]
    pub fn nullable(mut self, yes: bool) -> Self {
        self.nullable = yes;
        self
    }

    /// The value a row that leaves the field out (or gives `null`) gets. Allowed for `Bool`,
    /// integers, `Float`, `Double` and `VarChar`, as in Milvus.
    #[must_use]
    pub fn default_value(mut self, value: Value) -> Self {
        self.default_value = Some(value);
        self
    }

    /// Marks the field as a server-side function's output (no column in the files).
    #[must_use]
    pub fn function_output(mut self, yes: bool) -> Self {
        self.function_output = yes;
        self
    }

    /// Whether the files have a column for this field.
    pub(crate) fn has_column(&self) -> bool {
        !(self.function_output || (self.primary_key && self.auto_id))
    }
}

/// A collection's fields, in order, and whether it has a dynamic field.
///
/// Declare it in code, or parse what the server says: the `data` object of a REST v2
/// `collections/describe` reply (or the whole reply), or pymilvus's
/// `CollectionSchema.to_dict()` written as JSON.
///
/// ```
/// use milvus_bulk_import::writer::{CollectionSchema, DataType, FieldSchema};
///
/// let declared = CollectionSchema::new()
///     .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
///     .field(FieldSchema::new("vector", DataType::FloatVector).dim(4))
///     .enable_dynamic_field(true);
///
/// let described = CollectionSchema::from_json(r#"{
///     "collectionName": "books", "enableDynamicField": true, "autoId": false,
///     "fields": [
///         {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
///         {"name": "vector", "type": "FloatVector", "params": [{"key": "dim", "value": "4"}]}
///     ]
/// }"#)?;
/// assert_eq!(declared, described);
/// # Ok::<(), milvus_bulk_import::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CollectionSchema {
    /// The fields, in the collection's order.
    pub fields: Vec<FieldSchema>,
    /// Whether rows may carry keys outside the schema (kept in the hidden `$meta` JSON field).
    pub enable_dynamic_field: bool,
}

/// The name of the hidden JSON field that holds a row's dynamic keys.
pub const DYNAMIC_FIELD_NAME: &str = "$meta";

impl CollectionSchema {
    /// An empty schema.
    pub fn new() -> Self {
        CollectionSchema::default()
    }

    /// Adds a field after the ones already there.
    #[must_use]
    pub fn field(mut self, field: FieldSchema) -> Self {
        self.fields.push(field);
        self
    }

    /// Keeps keys outside the schema in the dynamic field (`$meta`).
    #[must_use]
    pub fn enable_dynamic_field(mut self, yes: bool) -> Self {
        self.enable_dynamic_field = yes;
        self
    }

    /// The field with this name.
    pub fn get_field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The primary key field.
    pub fn primary_field(&self) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.primary_key)
    }

    /// Parses a schema from JSON text: a REST v2 `collections/describe` reply or its `data`
    /// object (Milvus 2.4–2.6, Zilliz Cloud), or pymilvus's `CollectionSchema.to_dict()`
    /// (types as integers, params as a dict, `default_value` as a plain JSON value).
    ///
    /// Unknown keys and unknown params are ignored. A field of a type the writer cannot write,
    /// or struct fields, are an error. The schema is not checked here; see
    /// [`check`](CollectionSchema::check).
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::schema(format!("the schema is not JSON: {e}")))?;
        Self::from_value(&value)
    }

    /// [`from_json`](CollectionSchema::from_json) from a parsed value.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        parse_schema(value).map_err(Error::schema)
    }

    /// Checks that a writer can write files for this schema: fields present and named once,
    /// one primary key of type `Int64` or `VarChar`, a `dim` on each dense vector (a multiple
    /// of 8 for binary ones), a `max_length` on each `VarChar`, an element type and capacity on
    /// each `Array`, defaults that fit their field. [`BulkWriterBuilder::build`](super::BulkWriterBuilder::build)
    /// calls it.
    pub fn check(&self) -> Result<(), Error> {
        check_schema(self).map_err(Error::schema)
    }
}

impl<'de> Deserialize<'de> for CollectionSchema {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        parse_schema(&value).map_err(serde::de::Error::custom)
    }
}

fn check_schema(schema: &CollectionSchema) -> Result<(), String> {
    if schema.fields.is_empty() {
        return Err("the schema has no fields".into());
    }
    let primaries: Vec<&FieldSchema> = schema.fields.iter().filter(|f| f.primary_key).collect();
    match primaries.as_slice() {
        [] => return Err("the schema has no primary key field".into()),
        [pk] => {
            if !matches!(pk.data_type, DataType::Int64 | DataType::VarChar) {
                return Err(format!(
                    "primary key field '{}' is {}: it must be Int64 or VarChar",
                    pk.name, pk.data_type
                ));
            }
            if pk.nullable {
                return Err(format!(
                    "primary key field '{}' cannot be nullable",
                    pk.name
                ));
            }
            if pk.default_value.is_some() {
                return Err(format!(
                    "primary key field '{}' cannot have a default value",
                    pk.name
                ));
            }
        }
        many => {
            let names: Vec<&str> = many.iter().map(|f| f.name.as_str()).collect();
            return Err(format!(
                "the schema has {} primary key fields ({}): exactly one is allowed",
                many.len(),
                names.join(", ")
            ));
        }
    }
    if !schema.fields.iter().any(|f| f.has_column()) && !schema.enable_dynamic_field {
        return Err("every field is generated by the server: there is nothing to write".into());
    }
    for (i, f) in schema.fields.iter().enumerate() {
        let name = &f.name;
        if name.is_empty() {
            return Err(format!("field {i} has an empty name"));
        }
        if name != DYNAMIC_FIELD_NAME && !valid_field_name(name) {
            return Err(format!(
                "field name {name:?} is not valid: Milvus field names start with a letter or '_' and hold only letters, digits and '_' (at most 255)"
            ));
        }
        if name == DYNAMIC_FIELD_NAME {
            return Err(format!(
                "'{DYNAMIC_FIELD_NAME}' is reserved for the dynamic field: use enable_dynamic_field(true)"
            ));
        }
        if schema.fields[..i].iter().any(|g| g.name == *name) {
            return Err(format!("field '{name}' is declared twice"));
        }
        if f.auto_id && !f.primary_key {
            return Err(format!(
                "field '{name}' has auto_id but is not the primary key"
            ));
        }
        let t = f.data_type;
        match t {
            DataType::FloatVector
            | DataType::BinaryVector
            | DataType::Float16Vector
            | DataType::BFloat16Vector
            | DataType::Int8Vector => match f.dim {
                None | Some(0) => {
                    return Err(format!("vector field '{name}' ({t}) needs a dim above 0"))
                }
                Some(d) if t == DataType::BinaryVector && d % 8 != 0 => {
                    return Err(format!(
                        "binary vector field '{name}' has dim {d}: it must be a multiple of 8"
                    ))
                }
                _ => {}
            },
            DataType::VarChar => match f.max_length {
                None | Some(0) => {
                    return Err(format!("VarChar field '{name}' needs a max_length above 0"))
                }
                _ => {}
            },
            DataType::Array => {
                let Some(e) = f.element_type else {
                    return Err(format!("Array field '{name}' needs an element_type"));
                };
                if !e.is_array_element() {
                    return Err(format!(
                        "Array field '{name}' has element type {e}: arrays hold Bool, Int8, Int16, Int32, Int64, Float, Double, VarChar or Text"
                    ));
                }
                if matches!(f.max_capacity, None | Some(0)) {
                    return Err(format!("Array field '{name}' needs a max_capacity above 0"));
                }
                if e == DataType::VarChar && matches!(f.max_length, None | Some(0)) {
                    return Err(format!(
                        "Array field '{name}' of VarChar needs a max_length above 0"
                    ));
                }
            }
            _ => {}
        }
        if let Some(default) = &f.default_value {
            if default.is_null() {
                if !f.nullable {
                    return Err(format!(
                        "field '{name}' has a null default value but is not nullable"
                    ));
                }
            } else {
                check_default(f, default)?;
            }
        }
    }
    Ok(())
}

/// Milvus's rule for field names (they also become NumPy file names, so nothing else may pass).
fn valid_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 255
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_default(f: &FieldSchema, v: &Value) -> Result<(), String> {
    let name = &f.name;
    let bad = |what: &str| {
        Err(format!(
            "field '{name}' ({}) has default value {v}: {what}",
            f.data_type
        ))
    };
    let int_range = |lo: i64, hi: i64| match v.as_i64() {
        Some(i) if (lo..=hi).contains(&i) => Ok(()),
        _ => bad(&format!("expected an integer in [{lo}, {hi}]")),
    };
    match f.data_type {
        DataType::Bool if v.is_boolean() => Ok(()),
        DataType::Bool => bad("expected true or false"),
        DataType::Int8 => int_range(i8::MIN.into(), i8::MAX.into()),
        DataType::Int16 => int_range(i16::MIN.into(), i16::MAX.into()),
        DataType::Int32 => int_range(i32::MIN.into(), i32::MAX.into()),
        DataType::Int64 => int_range(i64::MIN, i64::MAX),
        DataType::Float | DataType::Double => match v.as_f64() {
            Some(x) if x.is_finite() && (f.data_type == DataType::Double || x.abs() <= f32::MAX as f64) => Ok(()),
            _ => bad("expected a finite number"),
        },
        DataType::VarChar => match v.as_str() {
            Some(s) if s.chars().count() <= f.max_length.unwrap_or(0) as usize => Ok(()),
            Some(_) => bad("longer than max_length"),
            None => bad("expected a string"),
        },
        _ => bad("Milvus supports default values on Bool, integer, Float, Double and VarChar fields only"),
    }
}

// ---------------------------------------------------------------- parsing

fn parse_schema(value: &Value) -> Result<CollectionSchema, String> {
    let Some(mut obj) = value.as_object() else {
        return Err("a schema must be a JSON object".into());
    };
    // A whole describe reply: {"code": 0, "data": {...}}.
    if let (Some(Value::Object(data)), true) = (obj.get("data"), obj.contains_key("code")) {
        obj = data;
    }
    for key in ["structFields", "struct_fields", "struct_array_fields"] {
        if obj
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            return Err(format!(
                "the schema has struct fields ('{key}'), which this writer does not support"
            ));
        }
    }
    let fields = obj
        .get("fields")
        .and_then(Value::as_array)
        .ok_or("the schema has no 'fields' list")?;
    let dynamic = flag(obj, &["enableDynamicField", "enable_dynamic_field"])?;
    let mut outputs: Vec<String> = Vec::new();
    if let Some(functions) = obj.get("functions").and_then(Value::as_array) {
        for func in functions {
            for key in ["outputFieldNames", "output_field_names"] {
                if let Some(names) = func.get(key).and_then(Value::as_array) {
                    outputs.extend(names.iter().filter_map(Value::as_str).map(String::from));
                }
            }
        }
    }
    let mut schema = CollectionSchema::new().enable_dynamic_field(dynamic);
    for (i, raw) in fields.iter().enumerate() {
        let Some(raw) = raw.as_object() else {
            return Err(format!("field {i} is not an object"));
        };
        if flag(raw, &["is_dynamic", "isDynamic"])? {
            continue; // pymilvus lists the hidden `$meta` field with is_dynamic
        }
        let mut field = parse_field(raw).map_err(|e| {
            let name = raw.get("name").and_then(Value::as_str).unwrap_or("?");
            format!("field {i} ('{name}'): {e}")
        })?;
        if outputs.contains(&field.name) {
            field.function_output = true;
        }
        schema.fields.push(field);
    }
    Ok(schema)
}

fn flag(obj: &Map<String, Value>, keys: &[&str]) -> Result<bool, String> {
    for key in keys {
        match obj.get(*key) {
            None | Some(Value::Null) => continue,
            Some(Value::Bool(b)) => return Ok(*b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => return Ok(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => return Ok(false),
            Some(other) => return Err(format!("'{key}' is {other}, not true or false")),
        }
    }
    Ok(false)
}

fn parse_type(v: &Value, key: &str) -> Result<(DataType, Option<u32>), String> {
    match v {
        Value::Number(n) => {
            let code = n
                .as_i64()
                .ok_or_else(|| format!("'{key}' {n} is not a type code"))?;
            DataType::from_code(code)
                .map(|t| (t, None))
                .ok_or_else(|| format!("type code {code} is not one the writer supports"))
        }
        Value::String(s) => {
            // Older v2 describes and v1 print "FloatVector(768)" / "VarChar(256)".
            let (base, size) = match s.split_once('(') {
                Some((base, rest)) => {
                    let n = rest
                        .trim_end_matches(')')
                        .trim()
                        .parse::<u32>()
                        .map_err(|_| format!("type '{s}' has an unreadable size"))?;
                    (base.trim(), Some(n))
                }
                None => (s.trim(), None),
            };
            let t = DataType::from_name(base)
                .or_else(|| base.parse::<i64>().ok().and_then(DataType::from_code))
                .ok_or_else(|| format!("type '{s}' is not one the writer supports"))?;
            Ok((t, size))
        }
        other => Err(format!("'{key}' is {other}, not a type")),
    }
}

fn parse_field(raw: &Map<String, Value>) -> Result<FieldSchema, String> {
    let name = raw.get("name").and_then(Value::as_str).ok_or("no 'name'")?;
    let (type_key, type_value) = ["type", "dataType", "data_type"]
        .iter()
        .find_map(|k| raw.get(*k).map(|v| (*k, v)))
        .ok_or("no 'type'")?;
    let (data_type, size) = parse_type(type_value, type_key)?;
    let mut field = FieldSchema::new(name, data_type);
    field.primary_key = flag(
        raw,
        &["primaryKey", "is_primary", "isPrimary", "isPrimaryKey"],
    )?;
    field.auto_id = flag(raw, &["autoId", "auto_id", "autoID"])?;
    field.nullable = flag(raw, &["nullable"])?;
    field.function_output = flag(raw, &["isFunctionOutput", "is_function_output"])?;
    if let Some(size) = size {
        if data_type == DataType::VarChar {
            field.max_length = Some(size);
        } else {
            field.dim = Some(size);
        }
    }
    if let Some(e) = raw.get("elementType").or_else(|| raw.get("element_type")) {
        if !e.is_null() {
            field.element_type = Some(parse_type(e, "elementType")?.0);
        }
    }
    // Params: a list of {key, value} (REST, values strings) or a dict (pymilvus); pymilvus's
    // to_dict may also put them at the top level of the field.
    let mut params: Vec<(String, Value)> = Vec::new();
    match raw.get("params").or_else(|| raw.get("typeParams")) {
        Some(Value::Array(list)) => {
            for kv in list {
                let key = kv.get("key").and_then(Value::as_str).unwrap_or_default();
                let value = kv
                    .get("value")
                    .cloned()
                    .unwrap_or(Value::String(String::new()));
                params.push((key.to_string(), value));
            }
        }
        Some(Value::Object(map)) => {
            params.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        _ => {}
    }
    for key in ["dim", "max_length", "max_capacity"] {
        if let Some(v) = raw.get(key) {
            params.push((key.to_string(), v.clone()));
        }
    }
    for (key, value) in params {
        let slot = match key.as_str() {
            "dim" => &mut field.dim,
            "max_length" => &mut field.max_length,
            "max_capacity" => &mut field.max_capacity,
            _ => continue,
        };
        let n = match &value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        let n = n
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("param '{key}' is {value}, not a size"))?;
        *slot = Some(n);
    }
    if let Some(d) = raw.get("defaultValue").or_else(|| raw.get("default_value")) {
        field.default_value = parse_default(d)?;
    }
    Ok(field)
}

/// A default value as the REST describe sends it (`{"Data":{"LongData":42}}`), in proto JSON
/// (`{"longData":"42"}`), or bare.
fn parse_default(v: &Value) -> Result<Option<Value>, String> {
    let inner = match v {
        Value::Object(map) => match map.get("Data").or_else(|| map.get("data")) {
            Some(Value::Object(data)) => data,
            _ => map,
        },
        Value::Null => return Ok(None),
        other => return Ok(Some(other.clone())),
    };
    let Some((key, value)) = inner.iter().next() else {
        return Ok(None);
    };
    let key = key.to_ascii_lowercase();
    let parsed = match key.as_str() {
        "booldata" => value.clone(),
        "intdata" | "longdata" => match value {
            Value::String(s) => s
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("default value {value} is not an integer"))?,
            other => other.clone(),
        },
        "floatdata" | "doubledata" => match value {
            Value::String(s) => s
                .parse::<f64>()
                .ok()
                .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number))
                .ok_or_else(|| format!("default value {value} is not a number"))?,
            other => other.clone(),
        },
        "stringdata" => value.clone(),
        // Defaults the writer cannot fill (bytes, timestamps): left out, so a row that leaves
        // such a field out is rejected (or null when nullable) rather than filled wrongly.
        _ => return Ok(None),
    };
    Ok(Some(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_codes_round_trip() {
        for (t, code, name) in TYPES {
            assert_eq!(DataType::from_code(code), Some(t));
            assert_eq!(DataType::from_name(name), Some(t));
            assert_eq!(t.code(), code);
            assert_eq!(t.name(), name);
        }
        assert_eq!(
            DataType::from_name("FLOAT_VECTOR"),
            Some(DataType::FloatVector)
        );
        assert_eq!(DataType::from_name("json"), Some(DataType::Json));
        assert_eq!(DataType::from_code(20), None); // String: not writable
    }

    #[test]
    fn defaults_in_every_wire_form() {
        assert_eq!(
            parse_default(&json!({"Data": {"LongData": 42}})).unwrap(),
            Some(json!(42))
        );
        assert_eq!(
            parse_default(&json!({"longData": "42"})).unwrap(),
            Some(json!(42))
        );
        assert_eq!(
            parse_default(&json!({"Data": {"FloatData": 1.5}})).unwrap(),
            Some(json!(1.5))
        );
        assert_eq!(parse_default(&json!("abc")).unwrap(), Some(json!("abc")));
        assert_eq!(
            parse_default(&json!({"Data": {"BoolData": true}})).unwrap(),
            Some(json!(true))
        );
        assert_eq!(
            parse_default(&json!({"Data": {"BytesData": "eyJ9"}})).unwrap(),
            None
        );
        assert_eq!(
            parse_default(&json!({"Data": {"TimestamptzData": 5}})).unwrap(),
            None
        );
    }

    #[test]
    fn sized_type_strings() {
        let f = parse_field(
            json!({"name": "v", "type": "FloatVector(5)"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(f.dim, Some(5));
        let f = parse_field(
            json!({"name": "s", "type": "VarChar(16)"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(f.max_length, Some(16));
    }
}
