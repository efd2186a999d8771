//! A row in: a `serde::Serializer` that writes any `T: Serialize` map or struct straight into
//! the column buffers (no `serde_json::Value` per row), checking each value against its field.
//!
//! JSON fields, sparse vectors and dynamic keys are the exception: their values are taken as
//! `serde_json::Value`s, since they are JSON in the files anyway.

use std::collections::HashMap;
use std::fmt;

use serde::ser::{self, Impossible, Serialize};
use serde_json::Value;

use super::column::{expected, Column, Kind, ListPush, Scalar};

/// What a row key is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    Column(usize),
    AutoId,
    FunctionOutput,
    Meta,
}

/// Why a row was rejected: the field (if the problem is in one) and what is wrong.
#[derive(Debug)]
pub(crate) struct RowError {
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for RowError {}

impl ser::Error for RowError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        RowError {
            field: None,
            reason: msg.to_string(),
        }
    }
}

fn in_field(field: &str, reason: String) -> RowError {
    RowError {
        field: Some(field.to_string()),
        reason,
    }
}

/// The per-row state while a row's keys arrive.
pub(crate) struct RowSink<'a> {
    pub columns: &'a mut [Column],
    pub slots: &'a HashMap<String, Slot>,
    pub seen: &'a mut [bool],
    /// `Some` when the schema has a dynamic field: this row's dynamic keys, in order.
    pub dynamic: Option<&'a mut Vec<(String, Value)>>,
    pub ignore_unknown: bool,
    pub size: u64,
    /// Bytes stored beyond pymilvus's estimate (JSON text longer than counted).
    pub extra: u64,
}

impl RowSink<'_> {
    fn put<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), RowError> {
        match self.slots.get(key).copied() {
            Some(Slot::Column(i)) => {
                if self.seen[i] {
                    return Err(in_field(key, "is given twice".into()));
                }
                let col = &mut self.columns[i];
                let pushed = match col.kind {
                    Kind::Json | Kind::Sparse => {
                        let v = to_value(key, value)?;
                        // A JSON field given the text "null" holds null, as JSON says.
                        let null_text =
                            matches!(&v, Value::String(t) if t.trim() == "null") && matches!(col.kind, Kind::Json);
                        if v.is_null() || null_text {
                            None
                        } else if matches!(col.kind, Kind::Json) {
                            Some(col.push_json(&v))
                        } else {
                            Some(col.push_sparse(&v))
                        }
                    }
                    _ => value
                        .serialize(ValueSer { col })
                        .map_err(|e| in_field(key, e.reason))?
                        .map(Ok),
                };
                if let Some(size) = pushed {
                    let size = size.map_err(|e| in_field(key, e))?;
                    self.size += size;
                    if matches!(col.kind, Kind::Json | Kind::Sparse) {
                        self.extra += col.last_len().saturating_sub(size);
                    }
                    self.seen[i] = true;
                }
                Ok(())
            }
            Some(Slot::AutoId) => {
                if to_value(key, value)?.is_null() {
                    Ok(())
                } else {
                    Err(in_field(
                        key,
                        "is the auto-id primary key: the server generates it, leave it out".into(),
                    ))
                }
            }
            Some(Slot::FunctionOutput) => {
                if to_value(key, value)?.is_null() {
                    Ok(())
                } else {
                    Err(in_field(
                        key,
                        "is a function's output: the server computes it, leave it out".into(),
                    ))
                }
            }
            Some(Slot::Meta) if self.dynamic.is_some() => match to_value(key, value)? {
                Value::Null => Ok(()),
                Value::Object(map) => {
                    for (k, v) in map {
                        self.set_dynamic(k, v);
                    }
                    Ok(())
                }
                other => Err(in_field(
                    key,
                    format!("must be a JSON object (the dynamic field), got {}", kind_of(&other)),
                )),
            },
            _ if self.dynamic.is_some() => {
                let v = to_value(key, value)?;
                self.set_dynamic(key.to_string(), v);
                Ok(())
            }
            _ if self.ignore_unknown => Ok(()),
            _ => Err(in_field(
                key,
                "is not in the schema, and the schema has no dynamic field (enable_dynamic_field, or ignore_unknown_fields on the writer)".into(),
            )),
        }
    }

    fn set_dynamic(&mut self, key: String, value: Value) {
        let dynamic = self.dynamic.as_mut().expect("checked by the caller");
        match dynamic.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => dynamic.push((key, value)),
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The value as JSON; NaN and ±inf anywhere in it are an error (serde_json would quietly turn
/// them into `null`).
fn to_value<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Value, RowError> {
    value
        .serialize(FiniteCheck)
        .map_err(|e| in_field(key, e.reason))?;
    serde_json::to_value(value).map_err(|e| in_field(key, format!("cannot be read as JSON: {e}")))
}

/// Walks a value and fails on the first non-finite float.
struct FiniteCheck;

impl FiniteCheck {
    fn float(x: f64) -> Result<(), RowError> {
        if x.is_finite() {
            Ok(())
        } else {
            Err(ser::Error::custom(format!(
                "holds {x}, which JSON cannot hold (Milvus rejects NaN and infinite values)"
            )))
        }
    }
}

macro_rules! accept {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), RowError> { Ok(()) })*
    };
}

impl ser::Serializer for FiniteCheck {
    type Ok = ();
    type Error = RowError;
    type SerializeSeq = FiniteCheck;
    type SerializeTuple = FiniteCheck;
    type SerializeTupleStruct = FiniteCheck;
    type SerializeTupleVariant = FiniteCheck;
    type SerializeMap = FiniteCheck;
    type SerializeStruct = FiniteCheck;
    type SerializeStructVariant = FiniteCheck;

    accept!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str)
    );
    fn serialize_f32(self, v: f32) -> Result<(), RowError> {
        Self::float(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), RowError> {
        Self::float(v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), RowError> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), RowError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), RowError> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, RowError> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, RowError> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, RowError> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, RowError> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, RowError> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, RowError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, RowError> {
        Ok(self)
    }
}

macro_rules! finite_compound {
    ($($trait:ident { $($method:ident($($k:ty),*)),* })*) => {
        $(impl ser::$trait for FiniteCheck {
            type Ok = ();
            type Error = RowError;
            $(fn $method<T: Serialize + ?Sized>(&mut self, $(_: $k,)* v: &T) -> Result<(), RowError> {
                v.serialize(FiniteCheck)
            })*
            fn end(self) -> Result<(), RowError> {
                Ok(())
            }
        })*
    };
}

finite_compound! {
    SerializeSeq { serialize_element() }
    SerializeTuple { serialize_element() }
    SerializeTupleStruct { serialize_field() }
    SerializeTupleVariant { serialize_field() }
    SerializeMap { serialize_key(), serialize_value() }
    SerializeStruct { serialize_field(&'static str) }
    SerializeStructVariant { serialize_field(&'static str) }
}

macro_rules! reject {
    ($what:expr; $($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            Err(ser::Error::custom($what))
        })*
    };
}

/// Refuses the listed generic and compound `Serializer` methods with an error: either a
/// message (`reject_compound!(MSG; serialize_seq, ...)`) or an expression of the serializer
/// (`reject_compound!(self => self.mismatch("..."); serialize_map, ...)`).
macro_rules! reject_compound {
    (@one $s:ident, $err:expr, serialize_some) => {
        fn serialize_some<T: Serialize + ?Sized>($s, _: &T) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_newtype_variant) => {
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            $s,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_seq) => {
        fn serialize_seq($s, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_tuple) => {
        fn serialize_tuple($s, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_tuple_struct) => {
        fn serialize_tuple_struct(
            $s,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_tuple_variant) => {
        fn serialize_tuple_variant(
            $s,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_map) => {
        fn serialize_map($s, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_struct) => {
        fn serialize_struct(
            $s,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Self::Error> {
            Err($err)
        }
    };
    (@one $s:ident, $err:expr, serialize_struct_variant) => {
        fn serialize_struct_variant(
            $s,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Self::Error> {
            Err($err)
        }
    };
    ($s:ident => $err:expr; $($method:ident),* $(,)?) => {
        $(reject_compound!(@one $s, $err, $method);)*
    };
    ($what:expr; $($method:ident),* $(,)?) => {
        $(reject_compound!(@one self, ser::Error::custom($what), $method);)*
    };
}

/// Integer `Serializer` methods that hand the value on as `Scalar::Int` through `self.$push`.
macro_rules! scalars {
    ($push:ident; $($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<Self::Ok, Self::Error> {
            self.$push(Scalar::Int(v.into()))
        })*
    };
}

// ---------------------------------------------------------------- the row itself

/// Serializes a whole row: a map or a struct.
pub(crate) struct RowSer<'s, 'a>(pub &'s mut RowSink<'a>);

const NOT_A_ROW: &str = "a row must be a map or a struct";

impl<'s, 'a> ser::Serializer for RowSer<'s, 'a> {
    type Ok = ();
    type Error = RowError;
    type SerializeSeq = Impossible<(), RowError>;
    type SerializeTuple = Impossible<(), RowError>;
    type SerializeTupleStruct = Impossible<(), RowError>;
    type SerializeTupleVariant = Impossible<(), RowError>;
    type SerializeMap = RowMap<'s, 'a>;
    type SerializeStruct = RowMap<'s, 'a>;
    type SerializeStructVariant = Impossible<(), RowError>;

    fn serialize_map(self, _: Option<usize>) -> Result<RowMap<'s, 'a>, RowError> {
        Ok(RowMap {
            sink: self.0,
            key: String::new(),
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<RowMap<'s, 'a>, RowError> {
        Ok(RowMap {
            sink: self.0,
            key: String::new(),
        })
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), RowError> {
        value.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), RowError> {
        value.serialize(self)
    }
    reject!(NOT_A_ROW; serialize_bool(bool), serialize_i8(i8), serialize_i16(i16),
        serialize_i32(i32), serialize_i64(i64), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_f32(f32), serialize_f64(f64),
        serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]), serialize_none(),
        serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str));
    reject_compound!(NOT_A_ROW; serialize_newtype_variant, serialize_seq, serialize_tuple,
        serialize_tuple_struct, serialize_tuple_variant, serialize_struct_variant);
}

pub(crate) struct RowMap<'s, 'a> {
    sink: &'s mut RowSink<'a>,
    key: String,
}

impl ser::SerializeMap for RowMap<'_, '_> {
    type Ok = ();
    type Error = RowError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), RowError> {
        self.key.clear();
        key.serialize(KeySer(&mut self.key))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RowError> {
        let key = std::mem::take(&mut self.key);
        let result = self.sink.put(&key, value);
        self.key = key;
        result
    }
    fn end(self) -> Result<(), RowError> {
        Ok(())
    }
}

impl ser::SerializeStruct for RowMap<'_, '_> {
    type Ok = ();
    type Error = RowError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), RowError> {
        self.sink.put(key, value)
    }
    fn end(self) -> Result<(), RowError> {
        Ok(())
    }
}

/// Captures a map key (strings, chars, and unit variants).
struct KeySer<'k>(&'k mut String);

const NOT_A_KEY: &str = "a row's keys must be strings";

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = RowError;
    type SerializeSeq = Impossible<(), RowError>;
    type SerializeTuple = Impossible<(), RowError>;
    type SerializeTupleStruct = Impossible<(), RowError>;
    type SerializeTupleVariant = Impossible<(), RowError>;
    type SerializeMap = Impossible<(), RowError>;
    type SerializeStruct = Impossible<(), RowError>;
    type SerializeStructVariant = Impossible<(), RowError>;

    fn serialize_str(self, v: &str) -> Result<(), RowError> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), RowError> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<(), RowError> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), RowError> {
        value.serialize(self)
    }
    reject!(NOT_A_KEY; serialize_bool(bool), serialize_i8(i8), serialize_i16(i16),
        serialize_i32(i32), serialize_i64(i64), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_f32(f32), serialize_f64(f64),
        serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str));
    reject_compound!(NOT_A_KEY; serialize_some, serialize_newtype_variant, serialize_seq,
        serialize_tuple, serialize_tuple_struct, serialize_tuple_variant, serialize_map,
        serialize_struct, serialize_struct_variant);
}

// ---------------------------------------------------------------- one field's value

/// Serializes one field's value into its column. `Ok(None)` means the value was null.
struct ValueSer<'c> {
    col: &'c mut Column,
}

fn err(reason: String) -> RowError {
    RowError {
        field: None,
        reason,
    }
}

impl<'c> ValueSer<'c> {
    fn scalar(self, v: Scalar<'_>) -> Result<Option<u64>, RowError> {
        self.col.push_scalar(v).map(Some).map_err(err)
    }
    fn mismatch(self, what: &str) -> RowError {
        err(format!(
            "expected {}, got {what}",
            expected(self.col.data_type)
        ))
    }
}

impl<'c> ser::Serializer for ValueSer<'c> {
    type Ok = Option<u64>;
    type Error = RowError;
    type SerializeSeq = ListSer<'c>;
    type SerializeTuple = ListSer<'c>;
    type SerializeTupleStruct = ListSer<'c>;
    type SerializeTupleVariant = Impossible<Option<u64>, RowError>;
    type SerializeMap = Impossible<Option<u64>, RowError>;
    type SerializeStruct = Impossible<Option<u64>, RowError>;
    type SerializeStructVariant = Impossible<Option<u64>, RowError>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Bool(v))
    }
    scalars!(scalar; serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64));
    fn serialize_i128(self, v: i128) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Int(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Self::Ok, RowError> {
        match i128::try_from(v) {
            Ok(i) => self.scalar(Scalar::Int(i)),
            Err(_) => Err(err(format!("{v} is out of range"))),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok, RowError> {
        let mut buf = [0u8; 4];
        self.scalar(Scalar::Str(v.encode_utf8(&mut buf)))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Str(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Bytes(v))
    }
    fn serialize_none(self) -> Result<Self::Ok, RowError> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, RowError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, RowError> {
        Ok(None)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, RowError> {
        Ok(None)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, RowError> {
        self.scalar(Scalar::Str(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Self::Ok, RowError> {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<ListSer<'c>, RowError> {
        let ValueSer { col } = self;
        Ok(ListSer {
            list: col.begin_list().map_err(err)?,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<ListSer<'c>, RowError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<ListSer<'c>, RowError> {
        self.serialize_seq(Some(len))
    }
    reject_compound!(self => self.mismatch("an enum variant"); serialize_newtype_variant,
        serialize_tuple_variant, serialize_struct_variant);
    reject_compound!(self => self.mismatch("an object"); serialize_map, serialize_struct);
}

/// A list value's elements, pushed one by one.
pub(crate) struct ListSer<'c> {
    list: ListPush<'c>,
}

impl ListSer<'_> {
    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RowError> {
        value.serialize(ElemSer {
            list: &mut self.list,
        })
    }
}

impl ser::SerializeSeq for ListSer<'_> {
    type Ok = Option<u64>;
    type Error = RowError;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RowError> {
        self.element(value)
    }
    fn end(self) -> Result<Option<u64>, RowError> {
        self.list.finish().map(Some).map_err(err)
    }
}

impl ser::SerializeTuple for ListSer<'_> {
    type Ok = Option<u64>;
    type Error = RowError;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RowError> {
        self.element(value)
    }
    fn end(self) -> Result<Option<u64>, RowError> {
        self.list.finish().map(Some).map_err(err)
    }
}

impl ser::SerializeTupleStruct for ListSer<'_> {
    type Ok = Option<u64>;
    type Error = RowError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), RowError> {
        self.element(value)
    }
    fn end(self) -> Result<Option<u64>, RowError> {
        self.list.finish().map(Some).map_err(err)
    }
}

/// One element of a list value: a scalar.
struct ElemSer<'l, 'c> {
    list: &'l mut ListPush<'c>,
}

const NESTED: &str = "list elements must be numbers, bools or strings, not nested values";
const NULL_ELEMENT: &str = "list elements cannot be null";

impl ElemSer<'_, '_> {
    fn push(self, v: Scalar<'_>) -> Result<(), RowError> {
        self.list.push(v).map_err(err)
    }
}

impl ser::Serializer for ElemSer<'_, '_> {
    type Ok = ();
    type Error = RowError;
    type SerializeSeq = Impossible<(), RowError>;
    type SerializeTuple = Impossible<(), RowError>;
    type SerializeTupleStruct = Impossible<(), RowError>;
    type SerializeTupleVariant = Impossible<(), RowError>;
    type SerializeMap = Impossible<(), RowError>;
    type SerializeStruct = Impossible<(), RowError>;
    type SerializeStructVariant = Impossible<(), RowError>;

    fn serialize_bool(self, v: bool) -> Result<(), RowError> {
        self.push(Scalar::Bool(v))
    }
    scalars!(push; serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64));
    #[inline]
    fn serialize_f32(self, v: f32) -> Result<(), RowError> {
        self.list.push_float(v.into()).map_err(err)
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Result<(), RowError> {
        self.list.push_float(v).map_err(err)
    }
    fn serialize_char(self, v: char) -> Result<(), RowError> {
        let mut buf = [0u8; 4];
        self.push(Scalar::Str(v.encode_utf8(&mut buf)))
    }
    fn serialize_str(self, v: &str) -> Result<(), RowError> {
        self.push(Scalar::Str(v))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<(), RowError> {
        self.push(Scalar::Str(v))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), RowError> {
        value.serialize(self)
    }
    reject!(NESTED; serialize_bytes(&[u8]));
    reject!(NULL_ELEMENT; serialize_none(), serialize_unit(), serialize_unit_struct(&'static str));
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), RowError> {
        value.serialize(self)
    }
    reject_compound!(NESTED; serialize_newtype_variant, serialize_seq, serialize_tuple,
        serialize_tuple_struct, serialize_tuple_variant, serialize_map, serialize_struct,
        serialize_struct_variant);
}
