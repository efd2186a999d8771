//! Columns → one finished file per format. Each format is one file here; they share the cell
//! text (how a value looks inside JSON) and the write-then-rename that keeps half-written
//! files out of sight.

mod csv;
mod json;
mod numpy;
mod parquet;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::column::{half_to_f32, Column, Kind, Values};
use super::text;
use super::BulkFileType;
use crate::Error;

/// What a format needs besides the columns.
pub(crate) struct Chunk<'a> {
    pub columns: &'a [Column],
    pub rows: usize,
    /// pymilvus's estimated bytes of the chunk (drives Parquet row groups).
    pub size: u64,
    pub csv_separator: char,
    pub csv_null_key: &'a str,
}

/// Writes `chunk` as file number `n` under `dir`; returns the files written (NumPy: one per
/// column, in column order).
pub(crate) fn write(
    file_type: BulkFileType,
    chunk: &Chunk<'_>,
    dir: &Path,
    n: u64,
) -> Result<Vec<PathBuf>, Error> {
    match file_type {
        BulkFileType::Numpy => numpy::write(chunk, dir, n),
        other => {
            let path = dir.join(format!("{n}.{}", other.extension()));
            write_atomically(&path, |out| match other {
                BulkFileType::Parquet => parquet::write(chunk, out),
                BulkFileType::Json => json::write(chunk, out, false),
                BulkFileType::Jsonl => json::write(chunk, out, true),
                BulkFileType::Csv => csv::write(chunk, out),
                BulkFileType::Numpy => unreachable!("handled above"),
            })?;
            Ok(vec![path])
        }
    }
}

/// The hidden name a file is written under before it is complete.
fn partial_name(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    path.with_file_name(format!(".{name}.partial"))
}

/// Writes `path` under a hidden temporary name, syncs it, then renames it into place; on any
/// error the temporary file is removed and `path` never appears.
pub(crate) fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), Error> {
    let tmp = partial_name(path);
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        body(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("writing", path.to_path_buf(), source));
    }
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        Error::io("renaming into place", path.to_path_buf(), source)
    })
}

/// The JSON text of row `i` of a column, as `json.dumps` writes it (`null` for a null).
/// `json_as_value`: a JSON field's value goes in as JSON when it is an object and as a string
/// holding its JSON text otherwise (JSON files: Milvus 2.4–2.6 reject non-object values there);
/// without it the field's JSON text is written as is.
pub(crate) fn push_cell_json(out: &mut String, col: &Column, i: usize, json_as_value: bool) {
    if col.is_null(i) {
        out.push_str("null");
        return;
    }
    let w = col.width();
    match (&col.kind, &col.values) {
        (Kind::Json, Values::Str(s)) => {
            let t = s.get(i);
            if !json_as_value || t.starts_with('{') {
                out.push_str(t);
            } else {
                text::push_json_str(out, t);
            }
        }
        (Kind::Sparse | Kind::Meta, Values::Str(s)) => out.push_str(s.get(i)),
        (Kind::Array { .. }, Values::List { offsets, items }) => {
            out.push('[');
            for (n, j) in (offsets[i]..offsets[i + 1]).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                push_item(out, items, j);
            }
            out.push(']');
        }
        (Kind::Half { bf16, as_float, .. }, values) if !*as_float => {
            let Values::Bytes(b) = values else {
                unreachable!("half bytes column")
            };
            out.push('[');
            for (n, pair) in b[i * w..(i + 1) * w].chunks_exact(2).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                // The exact value of the half float, as pymilvus prints a decoded byte-form vector.
                let x = half_to_f32(u16::from_le_bytes([pair[0], pair[1]]), *bf16);
                text::push_float(out, f64::from(x));
            }
            out.push(']');
        }
        (
            Kind::FloatVector { .. }
            | Kind::BinaryVector { .. }
            | Kind::Half { .. }
            | Kind::Int8Vector { .. },
            values,
        ) => {
            out.push('[');
            for (n, j) in (i * w..(i + 1) * w).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                push_item(out, values, j);
            }
            out.push(']');
        }
        (_, values) => push_item(out, values, i),
    }
}

/// One scalar item as JSON text.
fn push_item(out: &mut String, values: &Values, j: usize) {
    use std::fmt::Write as _;
    match values {
        Values::Bool(v) => out.push_str(if v[j] { "true" } else { "false" }),
        Values::I8(v) => {
            let _ = write!(out, "{}", v[j]);
        }
        Values::I16(v) => {
            let _ = write!(out, "{}", v[j]);
        }
        Values::I32(v) => {
            let _ = write!(out, "{}", v[j]);
        }
        Values::I64(v) => {
            let _ = write!(out, "{}", v[j]);
        }
        Values::F32(v) => text::push_float(out, v[j]),
        Values::F64(v) => text::push_float(out, v[j]),
        Values::Str(v) => text::push_json_str(out, v.get(j)),
        Values::Bytes(v) => {
            let _ = write!(out, "{}", v[j]);
        }
        Values::List { .. } => out.push_str("null"),
    }
}

/// Writes all of `s` to `out`.
fn put(out: &mut impl Write, s: &str) -> std::io::Result<()> {
    out.write_all(s.as_bytes())
}
