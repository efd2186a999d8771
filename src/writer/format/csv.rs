//! CSV as pymilvus writes it through pandas (`to_csv(sep=…, na_rep=nullkey, index=False)`):
//! a header of column names, `True`/`False` for bools, `str(np.float32)` for Float, Python's
//! repr for Double, raw UTF-8 strings, JSON text for vectors, arrays, JSON and `$meta`, the
//! null key for nulls, and minimal quoting. One difference: a field holding a carriage return
//! is quoted (Python's csv module leaves a lone `\r` bare, which splits the row for readers).

use std::fmt::Write as _;
use std::io::Write;

use super::{push_cell_json, put, text, Chunk};
use crate::writer::column::{Kind, Values};

pub(super) fn write(chunk: &Chunk<'_>, out: &mut impl Write) -> std::io::Result<()> {
    let sep = chunk.csv_separator;
    let mut line = String::new();
    let mut cell = String::new();
    for (c, col) in chunk.columns.iter().enumerate() {
        if c > 0 {
            line.push(sep);
        }
        quote_into(&mut line, &col.name, sep);
    }
    line.push('\n');
    put(out, &line)?;
    for i in 0..chunk.rows {
        line.clear();
        for (c, col) in chunk.columns.iter().enumerate() {
            if c > 0 {
                line.push(sep);
            }
            if col.is_null(i) {
                if chunk.columns.len() == 1 && chunk.csv_null_key.is_empty() {
                    line.push_str("\"\""); // a lone empty field would read as a blank line
                } else {
                    quote_into(&mut line, chunk.csv_null_key, sep);
                }
                continue;
            }
            cell.clear();
            match (&col.kind, &col.values) {
                (Kind::Bool, Values::Bool(v)) => cell.push_str(if v[i] { "True" } else { "False" }),
                (Kind::Float, Values::F32(v)) => text::push_numpy_f32(&mut cell, v[i]),
                (Kind::Double, Values::F64(v)) => text::push_float(&mut cell, v[i]),
                (Kind::Int8, Values::I8(v)) => {
                    let _ = write!(cell, "{}", v[i]);
                }
                (Kind::Int16, Values::I16(v)) => {
                    let _ = write!(cell, "{}", v[i]);
                }
                (Kind::Int32, Values::I32(v)) => {
                    let _ = write!(cell, "{}", v[i]);
                }
                (Kind::Int64, Values::I64(v)) => {
                    let _ = write!(cell, "{}", v[i]);
                }
                (Kind::Str { .. }, Values::Str(v)) => cell.push_str(v.get(i)),
                _ => push_cell_json(&mut cell, col, i, false),
            }
            if chunk.columns.len() == 1 && cell.is_empty() {
                line.push_str("\"\""); // a lone empty field would read as a blank line
            } else {
                quote_into(&mut line, &cell, sep);
            }
        }
        line.push('\n');
        put(out, &line)?;
    }
    Ok(())
}

/// Appends `s`, quoted (with `"` doubled) when it holds the separator, a quote or a line break.
fn quote_into(line: &mut String, s: &str, sep: char) {
    if s.contains([sep, '"', '\n', '\r']) {
        line.push('"');
        for c in s.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        line.push('"');
    } else {
        line.push_str(s);
    }
}
