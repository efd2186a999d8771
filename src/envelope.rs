//! What a Milvus reply means: the `{"code": …, "message": …, "data": …}` envelope, the rules
//! that tell success from failure (the table in [`Error`]'s docs), and how `data` becomes a
//! typed value (`FromData`).
//!
//! Every operation's reply passes through `decode`, which reads the body once, straight into
//! the typed value in the usual case, and says which error a reply is. The
//! typed values themselves are in `model.rs` (and `volume.rs`); the raw reply is
//! [`Response`], and the errors are built by `Error`'s constructors in `error.rs`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::error::Category;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::Error;
use crate::response::{ApiResponse, Response};

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

/// The schema of a REST v2 `collections/describe` reply's `data`.
#[cfg(feature = "writer")]
impl FromData for crate::writer::CollectionSchema {
    fn deserialize_data<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <crate::writer::CollectionSchema as Deserialize>::deserialize(d)
    }
}

/// Reads `data` from raw JSON (when it came before `code`, or in the legacy `code: 200` form).
fn from_raw<T: FromData>(data: &RawValue) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(data.get());
    T::deserialize_data(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|e| format!("data: {e}"))
}

/// [`FromData`] as a seed, for reading `data` in place; errors start with `data: `.
struct DataSeed<T>(PhantomData<T>);

impl<'de, T: FromData> DeserializeSeed<'de> for DataSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize_data(d).map_err(|e| de::Error::custom(format_args!("data: {e}")))
    }
}

/// An object key, borrowed from the reply when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

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

/// `data` as read in one pass with the envelope: typed in place when `code: 0` came first (the
/// usual order), raw otherwise (read once more when the code turns out to allow it).
enum Data<'a, T> {
    Typed(T),
    Raw(&'a RawValue),
}

/// The Milvus envelope, `{"code": …, "message": …, "data": …}`. Only a JSON object is an
/// envelope (a derived impl would also take a list as the fields in order).
struct Envelope<'a, T> {
    code: Option<Value>,
    message: Option<Value>,
    data: Option<Data<'a, T>>,
}

/// Reads an envelope; `data` is decoded in place only for a 2xx reply (`success`).
struct EnvelopeSeed<T> {
    success: bool,
    marker: PhantomData<T>,
}

impl<'de, T: FromData> DeserializeSeed<'de> for EnvelopeSeed<T> {
    type Value = Envelope<'de, T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: FromData> Visitor<'de> for EnvelopeSeed<T> {
    type Value = Envelope<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            code: None,
            message: None,
            data: None,
        };
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "code" => envelope.code = map.next_value()?,
                "message" => envelope.message = map.next_value()?,
                "data"
                    if self.success
                        && envelope.code.as_ref().and_then(Value::as_i64) == Some(0) =>
                {
                    envelope.data = Some(Data::Typed(
                        map.next_value_seed(DataSeed::<T>(PhantomData))?,
                    ));
                }
                "data" => {
                    envelope.data = map.next_value::<Option<&'de RawValue>>()?.map(Data::Raw);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

/// Applies the envelope rules to a reply and parses its `data` into `T`.
///
/// * status outside 200–299: a JSON object with an integer `code` is [`Error::Api`], anything
///   else [`Error::HttpStatus`];
/// * 2xx: success is `code == 0`, or the legacy `code == 200` with a `data` object; any other
///   `code` is [`Error::Api`]; a body that is not such an envelope is [`Error::Decode`].
///
/// One pass over the body in the usual case: `data` is decoded in place, straight into `T`.
pub(crate) fn decode<T: FromData>(response: Response) -> Result<ApiResponse<T>, Error> {
    let status = response.status_code();
    let success = (200..300).contains(&status);

    // `data` may borrow from the body; the outcome is computed first, then the body moves
    // into the value or the error.
    enum Outcome<T> {
        Data(T),
        Api(i64, Option<Value>),
        Http,
        Decode(String),
    }
    let parsed = {
        let mut de = serde_json::Deserializer::from_slice(response.content());
        let seed = EnvelopeSeed::<T> {
            success,
            marker: PhantomData,
        };
        seed.deserialize(&mut de)
            .and_then(|envelope| de.end().map(|()| envelope))
    };
    let outcome = match parsed {
        Ok(envelope) => {
            let code = envelope.code.as_ref().and_then(Value::as_i64);
            match (code, envelope.data) {
                (Some(code), _) if !success => Outcome::Api(code, envelope.message),
                (None, _) if !success => Outcome::Http,
                (None, _) => Outcome::Decode(
                    "the reply has no integer `code`: not a Milvus envelope".to_string(),
                ),
                (Some(0), Some(Data::Typed(data))) => Outcome::Data(data),
                (Some(0), None) => match T::missing() {
                    Ok(data) => Outcome::Data(data),
                    Err(reason) => Outcome::Decode(reason),
                },
                (Some(0), Some(Data::Raw(raw))) => match from_raw(raw) {
                    Ok(data) => Outcome::Data(data),
                    Err(reason) => Outcome::Decode(reason),
                },
                (Some(200), Some(Data::Raw(raw))) if raw.get().starts_with('{') => {
                    match from_raw(raw) {
                        Ok(data) => Outcome::Data(data),
                        Err(reason) => Outcome::Decode(reason),
                    }
                }
                (Some(code), _) => Outcome::Api(code, envelope.message),
            }
        }
        Err(_) if !success => Outcome::Http,
        Err(e) => {
            let text = e.to_string();
            Outcome::Decode(if text.starts_with("data: ") {
                text
            } else if e.classify() == Category::Data {
                format!("the reply is not a JSON object: {text}")
            } else {
                format!("the reply is not JSON: {text}")
            })
        }
    };
    match outcome {
        Outcome::Data(data) => Ok(ApiResponse::new(response, data)),
        Outcome::Api(code, message) => {
            let message = match message {
                Some(Value::String(s)) => s,
                None | Some(Value::Null) => String::new(),
                Some(other) => other.to_string(),
            };
            Err(Error::api(code, message, response))
        }
        Outcome::Http => Err(Error::http_status(response)),
        Outcome::Decode(reason) => Err(Error::decode(reason, response)),
    }
}
