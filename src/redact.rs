//! [`Secrets`]: the strings that must never appear in error text or `Debug` output, and the
//! scrubbing that removes them from server text the client quotes, in whatever spelling the
//! server chose.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::model::{ImportFileProgress, ImportJobState, ImportProgress};

/// Parts shorter than this (the password half of `user:password`) are not scrubbed on their
/// own: they would blank out ordinary words. The whole key always is.
const MIN_PART: usize = 4;

/// At most this many backslashes before an escape letter are read as layers of escaping
/// (`\/`, `\\/`, `\\\/`, …: a secret inside JSON inside JSON).
const MAX_BACKSLASHES: usize = 8;

/// The secrets of one call (API key, object-store keys and token, signed-URL parameters).
///
/// Each is looked for as given, trimmed of surrounding whitespace, and (for `user:password`)
/// its password half; and each character of it in any spelling a server may use: as is,
/// JSON-escaped (`\/`, `\"`, `\\`, `\n`, `\u002f`, a surrogate pair, with one or more layers of
/// backslashes), `\x2f`, percent-encoded (`%2F`, `%2f`) or as an HTML character reference
/// (`&#47;`, `&#x2F;`, `&amp;`). A match is replaced whole by `***`.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// `None`: nothing to hide (the common case of a client without an API key).
    inner: Option<Arc<Inner>>,
}

struct Inner {
    /// The secrets as given, for [`Secrets::with`].
    given: Vec<Box<str>>,
    /// What is looked for: each given secret, trimmed, and its password half; longest first.
    forms: Vec<Box<[char]>>,
    /// The bytes a match can start with.
    starts: [bool; 256],
}

impl Secrets {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut given: Vec<Box<str>> = Vec::new();
        let mut forms: Vec<Box<[char]>> = Vec::new();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            if given.iter().any(|g| &**g == secret) {
                continue;
            }
            given.push(secret.into());
            let trimmed = secret.trim();
            let password = |s: &'a str| {
                s.split_once(':')
                    .map(|(_, password)| password)
                    .filter(|p| p.chars().count() >= MIN_PART)
            };
            let candidates = [
                Some(secret),
                Some(trimmed),
                password(secret),
                password(trimmed),
                password(secret).map(str::trim),
            ];
            for form in candidates.into_iter().flatten() {
                let chars: Box<[char]> = form.chars().collect();
                if !chars.is_empty() && !forms.contains(&chars) {
                    forms.push(chars);
                }
            }
        }
        if forms.is_empty() {
            return Secrets::default();
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let mut starts = [false; 256];
        for form in &forms {
            let mut buf = [0u8; 4];
            starts[usize::from(form[0].encode_utf8(&mut buf).as_bytes()[0])] = true;
        }
        for b in [b'\\', b'%', b'&'] {
            starts[usize::from(b)] = true;
        }
        Secrets {
            inner: Some(Arc::new(Inner {
                given,
                forms,
                starts,
            })),
        }
    }

    /// These secrets plus `more` (sharing the allocation when `more` adds nothing).
    pub(crate) fn with(&self, more: &[&str]) -> Self {
        if more.iter().all(|s| s.is_empty()) {
            return self.clone();
        }
        let mut all: Vec<&str> = match &self.inner {
            Some(inner) => inner.given.iter().map(|g| &**g).collect(),
            None => Vec::new(),
        };
        all.extend_from_slice(more);
        Secrets::new(all)
    }

    /// The end of the longest secret that starts at `text[at]`, if one does.
    fn match_at(inner: &Inner, text: &[u8], at: usize, scratch: &mut Scratch) -> Option<usize> {
        if !inner.starts[usize::from(text[at])] {
            return None;
        }
        inner
            .forms
            .iter()
            .filter_map(|form| match_form(text, at, form, scratch))
            .max()
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn scrub(&self, text: String) -> String {
        let Some(inner) = &self.inner else {
            return text;
        };
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::new();
        let mut scratch = Scratch::default();
        let (mut copied, mut i) = (0, 0);
        while i < bytes.len() {
            match Self::match_at(inner, bytes, i, &mut scratch) {
                Some(end) => {
                    out.extend_from_slice(&bytes[copied..i]);
                    out.extend_from_slice(b"***");
                    (copied, i) = (end, end);
                }
                None => i += 1,
            }
        }
        if copied == 0 {
            return text;
        }
        out.extend_from_slice(&bytes[copied..]);
        // Matches start and end on character boundaries, so this is UTF-8; lossy just in case.
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }

    /// The first `max` bytes (cut on a character boundary) of `text` with every secret replaced
    /// by `***`, and whether anything was cut off: the same as a full [`scrub`](Self::scrub)
    /// followed by the cut, without scrubbing (or copying) more than the kept part needs.
    ///
    /// A match only looks forward, so the output up to any point does not depend on what comes
    /// after it; and since the cut is made on the scrubbed text, a secret that crosses it is
    /// replaced whole, never partly shown.
    pub(crate) fn scrub_limited(&self, text: &str, max: usize) -> (String, bool) {
        let Some(inner) = &self.inner else {
            return cut(text, max);
        };
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::new();
        let mut scratch = Scratch::default();
        let (mut copied, mut i) = (0, 0);
        // Stop once more than `max` bytes are made: enough to keep `max` and to know there is more.
        while i < bytes.len() && out.len() + (i - copied) <= max {
            match Self::match_at(inner, bytes, i, &mut scratch) {
                Some(end) => {
                    out.extend_from_slice(&bytes[copied..i]);
                    out.extend_from_slice(b"***");
                    (copied, i) = (end, end);
                }
                None => i += 1,
            }
        }
        if copied == 0 {
            return cut(text, max);
        }
        out.extend_from_slice(&bytes[copied..i]);
        // More than `max` bytes were made whenever the scan stopped early.
        let was_cut = out.len() > max;
        if was_cut {
            // The scan may have stopped inside a character: keep only whole ones.
            let mut end = max;
            while end > 0 && out[end] & 0xC0 == 0x80 {
                end -= 1;
            }
            out.truncate(end);
        }
        // Matches start and end on character boundaries, so this is UTF-8; lossy just in case.
        let out =
            String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into());
        (out, was_cut)
    }

    /// Scrubs `text` in place.
    pub(crate) fn scrub_in_place(&self, text: &mut String) {
        if self.inner.is_some() {
            *text = self.scrub(std::mem::take(text));
        }
    }

    /// True when `bytes` contain any secret.
    pub(crate) fn appear_in(&self, bytes: &[u8]) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        let mut scratch = Scratch::default();
        (0..bytes.len()).any(|i| Self::match_at(inner, bytes, i, &mut scratch).is_some())
    }

    /// Scrubs every string of `value`, object keys included.
    pub(crate) fn scrub_value(&self, value: &mut Value) {
        if self.inner.is_none() {
            return;
        }
        match value {
            Value::String(s) => self.scrub_in_place(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_value(v)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (mut key, mut v) in old {
                    self.scrub_in_place(&mut key);
                    self.scrub_value(&mut v);
                    map.insert(key, v);
                }
            }
            _ => {}
        }
    }

    fn scrub_map(&self, map: &mut serde_json::Map<String, Value>) {
        let mut value = Value::Object(std::mem::take(map));
        self.scrub_value(&mut value);
        if let Value::Object(scrubbed) = value {
            *map = scrubbed;
        }
    }

    fn scrub_option(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.scrub_in_place(text);
        }
    }

    /// Scrubs every string a progress carries (reason, names, times, state, details, unknown
    /// fields), before it goes into an error.
    pub(crate) fn scrub_progress(&self, p: &mut ImportProgress) {
        if self.inner.is_none() {
            return;
        }
        self.scrub_in_place(&mut p.job_id);
        self.scrub_in_place(&mut p.collection_name);
        if let ImportJobState::Unknown(state) = &mut p.state {
            self.scrub_in_place(state);
        }
        for text in [
            &mut p.file_name,
            &mut p.create_time,
            &mut p.complete_time,
            &mut p.reason,
        ] {
            self.scrub_option(text);
        }
        self.scrub_map(&mut p.extra);
        for d in &mut p.details {
            self.scrub_detail(d);
        }
    }

    fn scrub_detail(&self, d: &mut ImportFileProgress) {
        for text in [
            &mut d.file_name,
            &mut d.state,
            &mut d.complete_time,
            &mut d.reason,
        ] {
            self.scrub_option(text);
        }
        self.scrub_map(&mut d.extra);
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.inner.as_ref().map_or(0, |i| i.forms.len());
        write!(f, "Secrets({n} hidden)")
    }
}

/// `text` cut to at most `max` bytes on a character boundary, and whether anything was cut.
fn cut(text: &str, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text.to_string(), false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_string(), true)
}

/// The working lists of [`match_form`], made once per scan and reused at every position.
#[derive(Default)]
struct Scratch {
    /// Where the characters matched so far can end.
    ends: Vec<usize>,
    /// Where the next character can end.
    next: Vec<usize>,
}

/// The end of the longest spelling of `form` that starts at `text[at]`, if there is one.
///
/// The positions that the characters read so far can end at are carried along together (a
/// character may have spellings of several lengths), so no input makes this backtrack.
fn match_form(text: &[u8], at: usize, form: &[char], scratch: &mut Scratch) -> Option<usize> {
    let Scratch { ends, next } = scratch;
    ends.clear();
    ends.push(at);
    for &c in form {
        next.clear();
        for &p in ends.iter() {
            char_ends(text, p, c, next);
        }
        if next.is_empty() {
            return None;
        }
        next.sort_unstable();
        next.dedup();
        std::mem::swap(ends, next);
    }
    ends.last().copied()
}

/// Pushes onto `out` the end of each spelling of `c` that starts at `text[p]`.
fn char_ends(text: &[u8], p: usize, c: char, out: &mut Vec<usize>) {
    let rest = &text[p..];
    let mut buf = [0u8; 4];
    let literal = c.encode_utf8(&mut buf).as_bytes();
    if rest.starts_with(literal) {
        out.push(p + literal.len());
    }
    match rest.first() {
        Some(b'\\') => escaped(text, p, c, out),
        Some(b'%') => {
            // Every UTF-8 byte of `c` as `%XX`.
            let mut q = p;
            for &byte in literal {
                match text.get(q..q + 3) {
                    Some([b'%', hi, lo]) if hex_value(&[*hi, *lo]) == Some(u32::from(byte)) => {
                        q += 3
                    }
                    _ => return,
                }
            }
            out.push(q);
        }
        Some(b'&') => {
            if let Some((decoded, len)) = html_reference(rest) {
                if decoded == c {
                    out.push(p + len);
                }
            }
        }
        _ => {}
    }
}

/// Spellings of `c` that start with a backslash at `text[p]`.
fn escaped(text: &[u8], p: usize, c: char, out: &mut Vec<usize>) {
    let rest = &text[p..];
    let run = rest.iter().take_while(|&&b| b == b'\\').count();
    if c == '\\' {
        // An escaped backslash, in one or two layers of JSON.
        for n in [2, 4] {
            if run >= n {
                out.push(p + n);
            }
        }
    }
    if run > MAX_BACKSLASHES {
        return;
    }
    let letter = p + run;
    match text.get(letter) {
        Some(b'u') => {
            let Some(unit) = text.get(letter + 1..letter + 5).and_then(hex_value) else {
                return;
            };
            let end = letter + 5;
            let code = u32::from(c);
            if unit == code {
                out.push(end);
            } else if code > 0xFFFF {
                // A surrogate pair: `\uD83D\uDE00`.
                let v = code - 0x1_0000;
                let (high, low) = (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
                if unit != high {
                    return;
                }
                let run2 = text[end..].iter().take_while(|&&b| b == b'\\').count();
                let letter2 = end + run2;
                if (1..=MAX_BACKSLASHES).contains(&run2)
                    && text.get(letter2) == Some(&b'u')
                    && text.get(letter2 + 1..letter2 + 5).and_then(hex_value) == Some(low)
                {
                    out.push(letter2 + 5);
                }
            }
        }
        Some(b'x')
            if text.get(letter + 1..letter + 3).and_then(hex_value) == Some(u32::from(c)) =>
        {
            out.push(letter + 3);
        }
        Some(b'x') => {}
        Some(&e) => {
            let decoded = match e {
                b'/' => '/',
                b'"' => '"',
                b'\'' => '\'',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                _ => return,
            };
            if decoded == c {
                out.push(letter + 1);
            }
        }
        None => {}
    }
}

/// The value of `digits`, all ASCII hex digits (either case).
fn hex_value(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// An HTML character reference at the start of `text` (`&amp;`, `&#47;`, `&#x2F;`): the
/// character and the reference's length.
fn html_reference(text: &[u8]) -> Option<(char, usize)> {
    const NAMED: [(&[u8], char); 6] = [
        (b"&amp;", '&'),
        (b"&lt;", '<'),
        (b"&gt;", '>'),
        (b"&quot;", '"'),
        (b"&apos;", '\''),
        (b"&sol;", '/'),
    ];
    if let Some((name, c)) = NAMED.iter().find(|(name, _)| text.starts_with(name)) {
        return Some((*c, name.len()));
    }
    let rest = text.strip_prefix(b"&#")?;
    let (hex, digits) = match rest.first() {
        Some(b'x' | b'X') => (true, &rest[1..]),
        _ => (false, rest),
    };
    let n = digits
        .iter()
        .take(9)
        .take_while(|b| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
        .count();
    if n == 0 || digits.get(n) != Some(&b';') {
        return None;
    }
    let number = std::str::from_utf8(&digits[..n]).ok()?;
    let code = u32::from_str_radix(number, if hex { 16 } else { 10 }).ok()?;
    let len = 2 + usize::from(hex) + n + 1;
    Some((char::from_u32(code)?, len))
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

    #[test]
    fn every_spelling_of_a_secret_is_scrubbed() {
        let secrets = Secrets::new([" us:er/pa\\ss+wörd😀 \n"]);
        for spelling in [
            r"er/pa\ss+wörd😀",
            r"er\/pa\\ss+wörd😀",
            r"er\\\/pa\\\\ss+wörd😀",
            r"\u0065r\u002Fpa\u005css\u002bw\u00f6rd\uD83D\uDE00",
            r"\\u0065r\\u002fpa\\u005css+w\\u00F6rd\\ud83d\\ude00",
            r"er%2Fpa%5css%2Bw%C3%B6rd%F0%9F%98%80",
            r"er&#47;pa&#x5C;ss&#43;wörd&#x1F600;",
            r"\x65r\x2fpa\x5css+wörd😀",
            " us:er/pa\\ss+wörd😀 \n",
            r" us:er/pa\\ss+wörd😀 \n",
            "us:er/pa\\ss+wörd😀",
        ] {
            let text = format!("<{spelling}>");
            let scrubbed = secrets.scrub(text.clone());
            assert!(
                scrubbed.starts_with('<') && scrubbed.ends_with('>') && !scrubbed.contains("ss"),
                "{text} -> {scrubbed}"
            );
            assert!(secrets.appear_in(text.as_bytes()), "{text}");
        }
        // Near misses stay.
        for text in [
            "er/pa\\ss+word",
            "er%2Gpa",
            "er\\qpa",
            "&#x;",
            "\\\\\\\\\\\\\\\\\\u0065",
        ] {
            assert_eq!(secrets.scrub(text.to_string()), text);
        }
    }

    #[test]
    fn a_limited_scrub_is_a_full_scrub_then_a_cut() {
        let secrets = Secrets::new(["se/cret-key"]);
        let text = "ab se\\/cret-key é😀 se%2Fcret-key xyz";
        let full = secrets.scrub(text.to_string());
        for max in 0..=full.len() + 2 {
            let mut end = max.min(full.len());
            while !full.is_char_boundary(end) {
                end -= 1;
            }
            let expected = (full[..end].to_string(), max < full.len());
            assert_eq!(secrets.scrub_limited(text, max), expected, "max {max}");
        }
        // A secret that crosses the cut is replaced whole: none of it shows.
        let (quoted, cut) = secrets.scrub_limited("abcd se/cret-key and more", 8);
        assert_eq!((quoted.as_str(), cut), ("abcd ***", true));
        let (quoted, cut) = secrets.scrub_limited("abcd se/cret-key", 6);
        assert_eq!((quoted.as_str(), cut), ("abcd *", true));
        let none = Secrets::default();
        assert_eq!(none.scrub_limited("é", 1), (String::new(), true));
        assert_eq!(none.scrub_limited("é", 2), ("é".to_string(), false));
    }

    #[test]
    fn nothing_to_hide_costs_nothing() {
        let none = Secrets::new(["", ""]);
        assert!(none.inner.is_none());
        assert_eq!(none.scrub("a\\b%c&d".into()), "a\\b%c&d");
        assert!(!none.appear_in(b"anything"));
    }
}
