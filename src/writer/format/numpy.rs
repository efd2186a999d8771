//! NumPy: one `.npy` file (format 1.0, C order, little endian) per column in the folder `<n>/`,
//! named after the column, with the dtypes pymilvus writes: `|b1`, `|i1`, `<i2`, `<i4`, `<i8`,
//! `<f4`, `<f8`, `<U{longest}` for strings, JSON and `$meta`, `(n, dim)` matrices for vectors.
//! The folder is written under a hidden name and renamed when every column is complete.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{write_atomically, Chunk};
use crate::writer::column::{Column, Kind, Values};
use crate::Error;

pub(super) fn write(chunk: &Chunk<'_>, dir: &Path, n: u64) -> Result<Vec<PathBuf>, Error> {
    let final_dir = dir.join(n.to_string());
    let tmp_dir = dir.join(format!(".{n}.partial"));
    let _ = fs::remove_dir_all(&tmp_dir);
    fs::create_dir(&tmp_dir)
        .map_err(|source| Error::io("creating directory", tmp_dir.clone(), source))?;
    let result = (|| {
        for col in chunk.columns {
            let path = tmp_dir.join(format!("{}.npy", col.name));
            write_atomically(&path, |out| write_column(col, chunk.rows, out))?;
        }
        fs::rename(&tmp_dir, &final_dir)
            .map_err(|source| Error::io("renaming into place", final_dir.clone(), source))
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp_dir);
        return Err(e);
    }
    Ok(chunk
        .columns
        .iter()
        .map(|c| final_dir.join(format!("{}.npy", c.name)))
        .collect())
}

fn header(
    out: &mut impl Write,
    descr: &str,
    rows: usize,
    width: Option<usize>,
) -> std::io::Result<()> {
    let shape = match width {
        Some(w) => format!("({rows}, {w})"),
        None => format!("({rows},)"),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + dict + '\n' is a multiple of 64.
    let total = 10 + dict.len() + 1;
    dict.extend(std::iter::repeat_n(' ', (64 - total % 64) % 64));
    dict.push('\n');
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&(dict.len() as u16).to_le_bytes())?;
    out.write_all(dict.as_bytes())
}

/// Bytes gathered before each write of a numeric column.
const WRITE_BUF: usize = 64 << 10;

/// Writes `values` as their little-endian bytes, gathered through one 64 KiB buffer.
fn write_le<T: Copy, const N: usize>(
    out: &mut impl Write,
    values: &[T],
    to_le: impl Fn(T) -> [u8; N],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(WRITE_BUF.min(values.len() * N));
    for batch in values.chunks(WRITE_BUF / N) {
        buf.clear();
        for x in batch {
            buf.extend_from_slice(&to_le(*x));
        }
        out.write_all(&buf)?;
    }
    Ok(())
}

fn write_column(col: &Column, rows: usize, out: &mut impl Write) -> std::io::Result<()> {
    let w = col.width();
    let matrix = matches!(
        col.kind,
        Kind::FloatVector { .. }
            | Kind::BinaryVector { .. }
            | Kind::Half { .. }
            | Kind::Int8Vector { .. }
    );
    let width = matrix.then_some(w);
    match &col.values {
        Values::Bool(v) => {
            header(out, "|b1", rows, width)?;
            write_le(out, v, |b| [b as u8])
        }
        Values::I8(v) => {
            header(out, "|i1", rows, width)?;
            write_le(out, v, |x| [x as u8])
        }
        Values::I16(v) => {
            header(out, "<i2", rows, width)?;
            write_le(out, v, i16::to_le_bytes)
        }
        Values::I32(v) => {
            header(out, "<i4", rows, width)?;
            write_le(out, v, i32::to_le_bytes)
        }
        Values::I64(v) => {
            header(out, "<i8", rows, width)?;
            write_le(out, v, i64::to_le_bytes)
        }
        Values::F32(v) => {
            header(out, "<f4", rows, width)?;
            write_le(out, v, f32::to_le_bytes)
        }
        Values::F64(v) => {
            header(out, "<f8", rows, width)?;
            write_le(out, v, f64::to_le_bytes)
        }
        Values::Bytes(v) => {
            header(out, "|u1", rows, width)?;
            out.write_all(v)
        }
        Values::Str(v) => {
            let longest = (0..v.len())
                .map(|i| v.get(i).chars().count())
                .max()
                .unwrap_or(0)
                .max(1);
            header(out, &format!("<U{longest}"), rows, None)?;
            let mut buf = Vec::with_capacity(longest * 4);
            for i in 0..v.len() {
                buf.clear();
                let s = v.get(i);
                for c in s.chars() {
                    buf.extend_from_slice(&(c as u32).to_le_bytes());
                }
                buf.resize(longest * 4, 0);
                out.write_all(&buf)?;
            }
            Ok(())
        }
        Values::List { .. } => Err(std::io::Error::other(format!(
            "column '{}': NumPy files cannot hold arrays",
            col.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_le_matches_element_by_element_across_buffer_refills() {
        let values: Vec<f64> = (0..(WRITE_BUF / 8 * 2 + 3))
            .map(|i| i as f64 * 0.5)
            .collect();
        let mut got = Vec::new();
        write_le(&mut got, &values, f64::to_le_bytes).unwrap();
        let want: Vec<u8> = values.iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(got, want);

        let flags = [true, false, true];
        let mut got = Vec::new();
        write_le(&mut got, &flags, |b| [b as u8]).unwrap();
        assert_eq!(got, [1, 0, 1]);

        let mut got = Vec::new();
        write_le(&mut got, &[] as &[i32], i32::to_le_bytes).unwrap();
        assert!(got.is_empty());
    }
}
