//! Parquet through Apache arrow-rs, with the Arrow types pymilvus writes: every column
//! optional, `list<T>` with child `element` for arrays and vectors, `string` for JSON, sparse
//! vectors and `$meta`, Snappy, row groups sized by pymilvus's formula. Vector columns skip
//! dictionary encoding and statistics (random floats gain nothing from either).

use std::io::Write;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    Int8Array, ListArray, RecordBatch, StringArray, UInt8Array,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::Chunk;
use crate::writer::column::{Column, Kind, Strings, Values};

/// pymilvus's row-group size: 32 MiB worth of its estimated row size, within [1000, 1e6].
pub(crate) fn row_group_rows(size: u64, rows: usize) -> usize {
    let per_row = size / rows.max(1) as u64 + 1;
    ((32u64 << 20) / per_row).clamp(1000, 1_000_000) as usize
}

fn element(t: ArrowType) -> ArrowType {
    ArrowType::List(Arc::new(Field::new("element", t, true)))
}

fn arrow_type(col: &Column) -> ArrowType {
    match (&col.kind, &col.values) {
        (Kind::Array { .. }, Values::List { items, .. }) => element(item_type(items)),
        (Kind::FloatVector { .. }, _) => element(ArrowType::Float32),
        (Kind::BinaryVector { .. }, _) => element(ArrowType::UInt8),
        (Kind::Half { as_float, .. }, _) => element(if *as_float {
            ArrowType::Float32
        } else {
            ArrowType::UInt8
        }),
        (Kind::Int8Vector { .. }, _) => element(ArrowType::Int8),
        (_, values) => item_type(values),
    }
}

fn item_type(values: &Values) -> ArrowType {
    match values {
        Values::Bool(_) => ArrowType::Boolean,
        Values::I8(_) => ArrowType::Int8,
        Values::I16(_) => ArrowType::Int16,
        Values::I32(_) => ArrowType::Int32,
        Values::I64(_) => ArrowType::Int64,
        Values::F32(_) => ArrowType::Float32,
        Values::F64(_) => ArrowType::Float64,
        Values::Str(_) => ArrowType::Utf8,
        Values::Bytes(_) => ArrowType::UInt8,
        Values::List { items, .. } => element(item_type(items)),
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("Parquet: {e}"))
}

/// i32 offsets, rebased to start at 0.
fn offsets(ends: impl Iterator<Item = usize>, start: usize) -> std::io::Result<OffsetBuffer<i32>> {
    let mut out = vec![0i32];
    for end in ends {
        out.push(i32::try_from(end - start).map_err(|_| io("a row group's column passed 2 GiB"))?);
    }
    Ok(OffsetBuffer::new(ScalarBuffer::from(out)))
}

/// Items `a..b` of a flat value list as an Arrow array, with `nulls` (`None` for list items).
fn items(
    values: &Values,
    a: usize,
    b: usize,
    nulls: Option<NullBuffer>,
) -> std::io::Result<ArrayRef> {
    Ok(match values {
        Values::Bool(v) => Arc::new(BooleanArray::new(BooleanBuffer::from(&v[a..b]), nulls)),
        Values::I8(v) => Arc::new(Int8Array::new(ScalarBuffer::from(v[a..b].to_vec()), nulls)),
        Values::I16(v) => Arc::new(Int16Array::new(ScalarBuffer::from(v[a..b].to_vec()), nulls)),
        Values::I32(v) => Arc::new(Int32Array::new(ScalarBuffer::from(v[a..b].to_vec()), nulls)),
        Values::I64(v) => Arc::new(Int64Array::new(ScalarBuffer::from(v[a..b].to_vec()), nulls)),
        Values::F32(v) => Arc::new(Float32Array::new(
            ScalarBuffer::from(v[a..b].to_vec()),
            nulls,
        )),
        Values::F64(v) => Arc::new(Float64Array::new(
            ScalarBuffer::from(v[a..b].to_vec()),
            nulls,
        )),
        Values::Bytes(v) => Arc::new(UInt8Array::new(ScalarBuffer::from(v[a..b].to_vec()), nulls)),
        Values::Str(s) => strings(s, a, b, nulls)?,
        Values::List { .. } => return Err(io("nested lists are not supported")),
    })
}

fn strings(
    s: &Strings,
    a: usize,
    b: usize,
    nulls: Option<NullBuffer>,
) -> std::io::Result<ArrayRef> {
    let start = if a == 0 { 0 } else { s.ends[a - 1] };
    let end = if b == 0 { 0 } else { s.ends[b - 1] };
    let offsets = offsets(s.ends[a..b].iter().copied(), start)?;
    let data = Buffer::from(s.data.as_bytes()[start..end].to_vec());
    Ok(Arc::new(
        StringArray::try_new(offsets, data, nulls).map_err(io)?,
    ))
}

/// Rows `a..b` of a column as an Arrow array of `data_type` (the column's type in the file's
/// schema, [`arrow_type`]).
fn column_array(
    col: &Column,
    data_type: &ArrowType,
    a: usize,
    b: usize,
) -> std::io::Result<ArrayRef> {
    let nulls = col
        .validity
        .as_ref()
        .map(|v| NullBuffer::from(&v[a..b]))
        .filter(|n| n.null_count() > 0);
    let w = col.width();
    let list = |values: ArrayRef, offsets: OffsetBuffer<i32>| -> std::io::Result<ArrayRef> {
        let ArrowType::List(field) = data_type else {
            unreachable!("list column")
        };
        Ok(Arc::new(
            ListArray::try_new(Arc::clone(field), offsets, values, nulls.clone()).map_err(io)?,
        ))
    };
    match (&col.kind, &col.values) {
        (
            Kind::Array { .. },
            Values::List {
                offsets: offs,
                items: its,
            },
        ) => {
            let (ia, ib) = (offs[a], offs[b]);
            list(
                items(its, ia, ib, None)?,
                offsets(offs[a + 1..=b].iter().copied(), ia)?,
            )
        }
        (
            Kind::FloatVector { .. }
            | Kind::BinaryVector { .. }
            | Kind::Half { .. }
            | Kind::Int8Vector { .. },
            values,
        ) => list(
            items(values, a * w, b * w, None)?,
            offsets((a + 1..=b).map(|r| r * w), a * w)?,
        ),
        (_, values) => items(values, a, b, nulls),
    }
}

pub(super) fn write(chunk: &Chunk<'_>, out: &mut (impl Write + Send)) -> std::io::Result<()> {
    let schema = Arc::new(Schema::new(
        chunk
            .columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(c), true))
            .collect::<Vec<_>>(),
    ));
    let group = row_group_rows(chunk.size, chunk.rows);
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(group))
        .set_created_by(format!(
            "milvus-bulk-import version {}",
            env!("CARGO_PKG_VERSION")
        ));
    for col in chunk.columns {
        if matches!(
            col.kind,
            Kind::FloatVector { .. }
                | Kind::BinaryVector { .. }
                | Kind::Half { .. }
                | Kind::Int8Vector { .. }
        ) {
            let path = ColumnPath::new(vec![col.name.clone(), "list".into(), "element".into()]);
            props = props
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_statistics_enabled(path, EnabledStatistics::None);
        }
    }
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(props.build())).map_err(io)?;
    // Each row group goes to the ArrowWriter in slices of about 64Ki leaf values: arrow-rs
    // computes levels (and 8 bytes of indices per leaf value) for every `write` call, so one
    // call per row group would hold several times the row group's size on top of the buffer.
    let widest = chunk
        .columns
        .iter()
        .map(|c| c.width())
        .max()
        .unwrap_or(1)
        .max(1);
    let step = ((1usize << 16) / widest).clamp(1, group);
    let mut a = 0;
    while a < chunk.rows {
        let end = (a + group).min(chunk.rows);
        while a < end {
            let b = (a + step).min(end);
            let arrays = chunk
                .columns
                .iter()
                .zip(schema.fields())
                .map(|(c, field)| column_array(c, field.data_type(), a, b))
                .collect::<std::io::Result<Vec<_>>>()?;
            let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(io)?;
            writer.write(&batch).map_err(io)?;
            a = b;
        }
        writer.flush().map_err(io)?;
    }
    writer.close().map_err(io)?;
    Ok(())
}
