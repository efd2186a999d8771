//! [`Secret`]: a string that `Debug` never shows (API keys, object-store keys, tokens).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What `Debug` prints in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// A string that must never be shown: an API key, an object-store key, a session token.
///
/// `Debug` prints `"<redacted>"` (or `""` when the secret is empty, so an unset key is visible
/// as unset), so a struct holding one can `#[derive(Debug)]` safely. There is no `Display`:
/// the value is reachable only through [`Secret::secret`], which makes every use of it a
/// deliberate one. `Serialize` writes the plain string (it is the value the server needs) and
/// `Deserialize` reads one.
///
/// ```
/// use milvus_bulk_import::Secret;
///
/// let key = Secret::new("root:Milvus");
/// assert_eq!(format!("{key:?}"), "\"<redacted>\"");
/// assert_eq!(key.secret(), "root:Milvus");
/// assert_eq!(format!("{:?}", Secret::default()), "\"\"");
/// assert_eq!(serde_json::to_string(&key).unwrap(), "\"root:Milvus\"");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Call it only where the value is sent, never to show it.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string (unset).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value, consuming the wrapper.
    pub fn into_secret(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.0.is_empty() { "" } else { REDACTED };
        fmt::Debug::fmt(shown, f)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_and_shows_unset() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s:#?}").contains("hunter2"));
        assert_eq!(format!("{:?}", Some(s)), "Some(\"<redacted>\")");
        assert_eq!(format!("{:?}", Secret::from("")), "\"\"");
    }

    #[test]
    fn serde_round_trips_the_plain_string() {
        let s: Secret = serde_json::from_str("\"a\\\"b\"").unwrap();
        assert_eq!(s.secret(), "a\"b");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"a\\\"b\"");
    }
}
