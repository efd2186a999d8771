//! Numbers and JSON as Python prints them: `repr(float)`, `str(np.float32)`, and
//! `json.dumps(value)` (separators `", "` / `": "`, `ensure_ascii`), so text files match
//! pymilvus's byte for byte where that is cheap.

use std::fmt::{self, LowerExp, Write as _};

use serde_json::Value;

/// A fixed stack buffer that `write!` fills; the longest `{:e}` of an f64 is 24 bytes
/// (`-2.2250738585072014e-308`).
struct StackText {
    buf: [u8; 32],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        Self {
            buf: [0; 32],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are copied in, so the bytes are valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The significant digits of a float, held as the two slices around the mantissa's `.`
/// (`1.25e-3` → "1" and "25"), so they are laid out without being copied together.
#[derive(Clone, Copy)]
struct Digits<'a> {
    head: &'a str,
    tail: &'a str,
}

impl Digits<'_> {
    fn len(self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Appends digits `from..to` of the whole sequence.
    fn push(self, out: &mut String, from: usize, to: usize) {
        let split = self.head.len();
        if from < split {
            out.push_str(&self.head[from..to.min(split)]);
        }
        if to > split {
            out.push_str(&self.tail[from.max(split) - split..to - split]);
        }
    }
}

/// Splits the shortest round-trip text of a float into (negative, digits, decimal exponent),
/// `1.25e-3` → (false, "125", -3).
fn shortest(text: &str) -> (bool, Digits<'_>, i32) {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = rest.split_once('e').unwrap_or((rest, "0"));
    let (head, tail) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    (neg, Digits { head, tail }, exp.parse().unwrap_or(0))
}

/// Lays out digits the way Python's float repr does: positional when `lo <= exp < hi`,
/// otherwise `d.ddde±XX`.
fn layout(out: &mut String, neg: bool, digits: Digits<'_>, exp: i32, sci: bool) {
    let len = digits.len();
    if neg {
        out.push('-');
    }
    if sci {
        digits.push(out, 0, 1);
        if len > 1 {
            out.push('.');
            digits.push(out, 1, len);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if len <= int_len {
            digits.push(out, 0, len);
            out.extend(std::iter::repeat_n('0', int_len - len));
            out.push_str(".0");
        } else {
            digits.push(out, 0, int_len);
            out.push('.');
            digits.push(out, int_len, len);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        digits.push(out, 0, len);
    }
}

/// Formats `x` as its shortest round-trip `{:e}` text on the stack and lays it out, scientific
/// when `sci(exp)` says so.
fn push_with<T: LowerExp>(out: &mut String, x: T, sci: impl FnOnce(i32) -> bool) {
    let mut text = StackText::new();
    let _ = write!(text, "{x:e}");
    let (neg, digits, exp) = shortest(text.as_str());
    layout(out, neg, digits, exp, sci(exp));
}

/// Python's float layout of the shortest text that reads back as the same value: for an f64
/// that is `repr(x)` (`0.1`, `1.0`, `1e-08`, `1e+16`, `-0.0`); for an f32 it is the text used
/// for f32 values inside JSON (vectors, Float fields).
pub(crate) fn push_float<T: LowerExp>(out: &mut String, x: T) {
    push_with(out, x, |exp| !(-4..16).contains(&exp));
}

/// `str(np.float32(x))` (numpy 2): shortest f32 digits, scientific when the value is below
/// 1e-4 or at least 1e6 in magnitude.
pub(crate) fn push_numpy_f32(out: &mut String, x: f32) {
    let a = (x as f64).abs();
    let sci = a != 0.0 && !(1e-4..1e6).contains(&a);
    push_with(out, x, |_| sci);
}

/// A JSON string literal as `json.dumps` writes it with `ensure_ascii=True`.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// `json.dumps(value)`: `{"a": 1, "b": [1.5, "x"]}`.
pub(crate) fn push_json(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                push_float(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => push_json_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => push_json_object(out, map.iter()),
    }
}

/// `json.dumps` of an object given as (key, value) pairs in order.
pub(crate) fn push_json_object<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
) {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_str(out, k);
        out.push_str(": ");
        push_json(out, v);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64s(x: f64) -> String {
        let mut s = String::new();
        push_float(&mut s, x);
        s
    }
    fn np32(x: f32) -> String {
        let mut s = String::new();
        push_numpy_f32(&mut s, x);
        s
    }

    #[test]
    fn python_repr_of_doubles() {
        let cases = [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (1e-8, "1e-08"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (123456789.0, "123456789.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e300, "1e+300"),
            (3e38, "3e+38"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (2.5e-7, "2.5e-07"),
            (1.5e200, "1.5e+200"),
            (999999.97, "999999.97"),
            (0.10000000149011612, "0.10000000149011612"),
        ];
        for (x, want) in cases {
            assert_eq!(f64s(x), want, "{x:e}");
        }
    }

    #[test]
    fn numpy_str_of_float32() {
        let cases = [
            (0.1f32, "0.1"),
            (1.1f32, "1.1"),
            (3.0f32, "3.0"),
            (1e6f32, "1e+06"),
            (123456789.0f32, "1.2345679e+08"),
            (9999999.0f32, "9.999999e+06"),
            (0.0001f32, "1e-04"),
            (0.00001f32, "1e-05"),
            (999999.94f32, "999999.94"),
            (0.00011f32, "0.00011"),
            (0.0f32, "0.0"),
            (-0.0f32, "-0.0"),
        ];
        for (x, want) in cases {
            assert_eq!(np32(x), want, "{x:e}");
        }
    }

    #[test]
    fn longest_floats_fit_the_stack_buffer() {
        assert_eq!(f64s(-f64::MIN_POSITIVE), "-2.2250738585072014e-308");
        assert_eq!(f64s(-f64::MAX), "-1.7976931348623157e+308");
        assert_eq!(f64s(5e-324), "5e-324");
        let mut s = String::new();
        push_float(&mut s, -f32::MIN_POSITIVE);
        assert_eq!(s, "-1.1754944e-38");
    }

    #[test]
    fn json_dumps_ensure_ascii() {
        let mut s = String::new();
        push_json(
            &mut s,
            &serde_json::json!({"k": "é 世界 😀 \n\t\"\\\u{7f}\u{1}", "n": [1, 1.5, null, true]}),
        );
        assert_eq!(
            s,
            r#"{"k": "\u00e9 \u4e16\u754c \ud83d\ude00 \n\t\"\\\u007f\u0001", "n": [1, 1.5, null, true]}"#
        );
    }
}
