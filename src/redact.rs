//! [`Secrets`]: the strings that must never appear in error text or `Debug` output, and the
//! scrubbing that removes them from server text the client quotes.

use std::fmt;
use std::sync::Arc;

/// Parts shorter than this (the password half of `user:password`) are not scrubbed on their
/// own: they would blank out ordinary words. The whole key always is.
const MIN_PART: usize = 4;

/// The secrets of one call (API key, object-store keys and token) in every form a server might
/// echo them in: as given, the password half of `user:password`, JSON-escaped, and with Go's
/// HTML-safe escapes (`\u003c`, `\u003e`, `\u0026`). Longest first, so that a longer form is
/// replaced before a shorter one inside it.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    forms: Arc<[Box<str>]>,
}

impl Secrets {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut forms: Vec<Box<str>> = Vec::new();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            let mut add = |form: &str| {
                if !form.is_empty() && !forms.iter().any(|f| &**f == form) {
                    forms.push(form.into());
                }
            };
            let password = secret
                .split_once(':')
                .map(|(_, password)| password)
                .filter(|p| p.len() >= MIN_PART);
            for base in std::iter::once(secret).chain(password) {
                add(base);
                let json = serde_json::to_string(base).unwrap_or_default();
                let json = json.trim_matches('"');
                add(json);
                add(&json
                    .replace('<', "\\u003c")
                    .replace('>', "\\u003e")
                    .replace('&', "\\u0026"));
            }
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        Secrets {
            forms: forms.into(),
        }
    }

    /// These secrets plus `more` (sharing the allocation when `more` adds nothing).
    pub(crate) fn with(&self, more: &[&str]) -> Self {
        if more.iter().all(|s| s.is_empty()) {
            return self.clone();
        }
        let mut all: Vec<&str> = self.forms.iter().map(|f| &**f).collect();
        all.extend_from_slice(more);
        Secrets::new(all)
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn scrub(&self, mut text: String) -> String {
        for form in self.forms.iter() {
            if text.contains(&**form) {
                text = text.replace(&**form, "***");
            }
        }
        text
    }

    /// True when `bytes` contain any secret.
    pub(crate) fn appear_in(&self, bytes: &[u8]) -> bool {
        self.forms.iter().any(|form| {
            let form = form.as_bytes();
            bytes.windows(form.len()).any(|w| w == form)
        })
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} hidden)", self.forms.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Secrets;

    #[test]
    fn scrubs_every_form_longest_first() {
        let secrets = Secrets::new(["root:Pa55<w>&rd", "", "AKIA\"X"]);
        let text = concat!(
            "key root:Pa55<w>&rd; password Pa55<w>&rd; json AKIA\\\"X; ",
            "go Pa55\\u003cw\\u003e\\u0026rd; raw AKIA\"X"
        );
        let scrubbed = secrets.scrub(text.to_string());
        assert_eq!(scrubbed, "key ***; password ***; json ***; go ***; raw ***");
    }

    #[test]
    fn short_password_halves_are_left_alone() {
        let secrets = Secrets::new(["root:abc"]);
        assert_eq!(secrets.scrub("abc root:abc".into()), "abc ***");
    }

    #[test]
    fn with_adds_request_secrets() {
        let secrets = Secrets::new(["api-key-1"]).with(&["", "secret-2"]);
        assert_eq!(secrets.scrub("api-key-1 secret-2".into()), "*** ***");
        assert!(secrets.appear_in(b"xx secret-2 yy"));
        assert!(!secrets.appear_in(b"nothing here"));
        assert_eq!(format!("{secrets:?}"), "Secrets(2 hidden)");
    }
}
