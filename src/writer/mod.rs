//! Rows in, import files out: [`BulkWriter`] writes the Parquet, JSON, JSONL, CSV and NumPy
//! files Milvus bulk import reads, with the columns, types and values pymilvus 3.0's
//! `LocalBulkWriter` writes for the same rows.
//!
//! ```
//! # fn main() -> Result<(), milvus_bulk_import::Error> {
//! use milvus_bulk_import::writer::{BulkFileType, BulkWriter, CollectionSchema, DataType, FieldSchema};
//! use serde_json::json;
//!
//! let schema = CollectionSchema::new()
//!     .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
//!     .field(FieldSchema::new("vector", DataType::FloatVector).dim(4))
//!     .field(FieldSchema::new("title", DataType::VarChar).max_length(256))
//!     .field(FieldSchema::new("tags", DataType::Array).element_type(DataType::VarChar)
//!         .max_capacity(8).max_length(32))
//!     .field(FieldSchema::new("price", DataType::Double).nullable(true))
//!     .field(FieldSchema::new("stock", DataType::Int32).default_value(json!(0)))
//!     .enable_dynamic_field(true);
//! # let dir = std::env::temp_dir().join(format!("mbi-doc-{}", std::process::id()));
//! let mut writer = BulkWriter::builder(&schema, &dir)    // a local directory (created if missing)
//!     .file_type(BulkFileType::Parquet)
//!     .chunk_size(128 << 20)                              // a new file past 128 MiB of rows
//!     .build()?;
//! writer.append_row(&json!({"id": 1, "vector": [0.1, 0.2, 0.3, 0.4], "title": "a", "tags": ["x"]}))?;
//!
//! #[derive(serde::Serialize)]
//! struct Book { id: i64, vector: [f32; 4], title: String, tags: Vec<String>, price: Option<f64> }
//! writer.append_row(&Book { id: 2, vector: [0.5; 4], title: "b".into(), tags: vec![], price: Some(9.5) })?;
//!
//! writer.commit()?;                                       // writes what is buffered
//! let files: Vec<Vec<String>> = writer.batch_files();    // [["<dir>/<uuid>/1.parquet"]]
//! assert_eq!(files.len(), 1);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! # Rows
//!
//! `append_row` takes any `T: Serialize` that serializes as a map or a struct:
//! `serde_json::Value` objects, `HashMap`s, `#[derive(Serialize)]` structs (written straight
//! into typed columns, without a `serde_json::Value` per row). Each value is checked against
//! its field, and a bad row is an [`Error::InvalidRow`] naming the row's index, the field and
//! what is wrong; the writer stays usable and the rows buffered before it are kept.
//!
//! | field type | accepted | rejected |
//! |---|---|---|
//! | `Bool` | `true`/`false` | numbers, strings |
//! | `Int8`…`Int64` | integers in the type's range | floats, out-of-range integers (an `Int64` beyond i64 too) |
//! | `Float`, `Double` | numbers; integers that the type holds exactly (2²⁴ + 1 is not a `Float`) | NaN, ±inf, a `Float` beyond f32's range |
//! | `VarChar` | strings of at most `max_length` characters (Unicode code points, as pymilvus counts; Milvus itself counts UTF-8 bytes, so a non-ASCII string can pass here and still be refused by the server) | longer strings |
//! | `Text`, `Geometry`, `Timestamptz` | strings | anything else |
//! | `JSON` | any JSON value; a string is parsed as JSON (as pymilvus does) | a string that is not JSON |
//! | `Array` | lists of at most `max_capacity` elements of `element_type` | longer lists, wrong elements |
//! | `FloatVector` | `dim` numbers (f32 or f64) | other lengths, NaN, ±inf, values beyond f32 |
//! | `BinaryVector` | `dim` bits (0/1 or bools), or `dim/8` packed bytes (a list of 0–255, or `serde_bytes`) | other values or lengths |
//! | `Float16Vector`, `BFloat16Vector` | `dim` numbers (rounded to nearest even), or `2·dim` little-endian bytes | values that overflow the type, NaN |
//! | `Int8Vector` | `dim` integers in [-128, 127] | out-of-range values |
//! | `SparseFloatVector` | `{"index": value, …}` or `{"indices": […], "values": […]}`, indices in [0, 2³²−2] | empty, negative or repeated indices, non-finite values |
//!
//! A field left out or given `null` gets its default value if it has one, else a null if it
//! is nullable, else the row is rejected. The auto-id primary key and function outputs must be
//! left out. Keys outside the schema go into the dynamic field (`$meta`, merged with a `$meta`
//! object in the row; later keys win) when the schema has one; otherwise the row is rejected,
//! unless [`ignore_unknown_fields`](BulkWriterBuilder::ignore_unknown_fields) is set.
//!
//! # Files and formats
//!
//! Files go to `<dir>/<uuid>/<n>.<ext>` (NumPy: the folder `<n>/` with one `<column>.npy` per
//! column), a new one whenever the buffered rows pass `chunk_size` bytes as pymilvus estimates
//! them (4 bytes per `Float`, `4·dim` per float vector, characters of a string, …). A file is
//! written under a hidden temporary name and renamed when complete, so an error or a crash
//! never leaves a half file where an import would read it. Writing happens in the caller's
//! thread, in `append_row` (when a chunk fills) or `commit`, and its errors are returned there.
//! Nothing is lost then: the rows stay buffered (or, when only the upload failed, the written
//! file stays pending), `append_row` refuses new rows with an error saying so, and `commit`
//! tries again. **Rows not committed when the writer is dropped are not written** (as in
//! pymilvus): call [`commit`](BulkWriter::commit).
//!
//! | format | Milvus 2.3 | 2.4 | 2.5 / 2.6 | 3.x | cannot hold |
//! |---|---|---|---|---|---|
//! | [`Parquet`](BulkFileType::Parquet) (default) | late 2.3.x | yes | yes | yes | — |
//! | [`Json`](BulkFileType::Json) (`{"rows": [...]}`) | yes | yes | yes | yes | — |
//! | [`Csv`](BulkFileType::Csv) | no | no | yes | yes | — |
//! | [`Numpy`](BulkFileType::Numpy) | yes | yes | yes | yes | arrays, sparse vectors, nulls |
//! | [`Jsonl`](BulkFileType::Jsonl) | no | no | no | yes | — |
//!
//! Nullable fields need Milvus 2.5+, nullable vectors 3.x. `Float16Vector`/`BFloat16Vector`
//! are written in the byte form every server since 2.4 reads (2 bytes per dimension, little
//! endian: Parquet `list<uint8>`, NumPy `|u1 (n, 2·dim)`); [`Float16Form::Float`] writes
//! pymilvus's float form (`list<float>`, `<f4`), which only Milvus 3.x reads.
//!
//! # Differences from pymilvus
//!
//! Where pymilvus 3.0.2 loses or corrupts data, this writer does not:
//!
//! - **Errors are returned**, from `append_row` or `commit`; pymilvus logs flush and upload
//!   errors in a background thread and reports success.
//! - **Nullable `Int64` with a null** keeps its exact values in Parquet (pymilvus goes through
//!   float64: `2**60 + 1` becomes `2**60`).
//! - **NaN and ±inf are rejected** (pymilvus writes `NaN` into JSON, which no JSON reader
//!   takes, and a null into Parquet); so is a `Float` beyond f32's range (pymilvus: `inf`), an
//!   `Int8Vector` value beyond i8 and an `Int64` beyond i64 (pymilvus: a failed flush).
//! - **A null `JSON` or sparse value is a null** in Parquet (pymilvus: the string `"null"`).
//! - **NumPy files never hold nulls** (pymilvus pickles the column, which Milvus cannot read):
//!   a null is an error at `append_row`; arrays and sparse vectors are an error at `build()`.
//! - **Float16/BFloat16 vectors default to the byte form** (see above), and a chunk never mixes
//!   forms (pymilvus corrupts a chunk that mixes float lists and byte arrays).
//! - **A `JSON` value that is not an object** is written to JSON/JSONL files as a string
//!   holding its JSON (Milvus 2.4–2.6 reject bare arrays and numbers there, and parse strings).
//! - **Keys outside the schema are an error** without a dynamic field (pymilvus drops them
//!   silently); [`ignore_unknown_fields`](BulkWriterBuilder::ignore_unknown_fields) restores
//!   pymilvus's behaviour.
//! - **CSV**: an empty string in a nullable string field would be read back as null with the
//!   default null key `""`, so it is rejected; fields holding `\r` are quoted.
//! - **Integers are accepted for `Float`/`Double`** when exactly representable (pymilvus
//!   rejects `1` for a `Float` field).
//! - `Float` values and float vectors are stored as f32 (what Milvus stores); JSON and CSV
//!   files print the shortest text that reads back as that f32 (`0.1`), where pymilvus prints
//!   the caller's double. JSON files keep nested values on one line (pymilvus indents them),
//!   and file numbers have no gaps for empty commits.

mod column;
mod format;
mod row;
mod schema;
mod storage;
mod text;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::Error;
use column::Column;
use row::{RowSer, RowSink, Slot};
use storage::Remote;

pub use schema::{CollectionSchema, DataType, FieldSchema, DYNAMIC_FIELD_NAME};
pub use storage::S3Storage;
pub use storage::VolumeStorage;

/// The kind of file a [`BulkWriter`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkFileType {
    /// Apache Parquet (`.parquet`), Snappy-compressed; Milvus 2.3.x+.
    #[default]
    Parquet,
    /// JSON (`.json`): `{"rows": [...]}`; every Milvus version.
    Json,
    /// NumPy (`.npy`): one file per column in a folder per chunk; no arrays, sparse vectors
    /// or nulls.
    Numpy,
    /// CSV (`.csv`); Milvus 2.5+.
    Csv,
    /// JSON Lines (`.jsonl`); Milvus 3.x.
    Jsonl,
}

impl BulkFileType {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            BulkFileType::Parquet => "parquet",
            BulkFileType::Json => "json",
            BulkFileType::Numpy => "npy",
            BulkFileType::Csv => "csv",
            BulkFileType::Jsonl => "jsonl",
        }
    }
}

/// How `Float16Vector` and `BFloat16Vector` values are written to Parquet and NumPy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Float16Form {
    /// 2 bytes per dimension, little endian (Parquet `list<uint8>`, NumPy `|u1`): what every
    /// Milvus since 2.4 reads. The values are rounded to nearest even, as the server rounds.
    #[default]
    Bytes,
    /// 32-bit floats (Parquet `list<float>`, NumPy `<f4`), as pymilvus writes float input:
    /// only Milvus 3.x reads it.
    Float,
}

/// Settings for a [`BulkWriter`]; from [`BulkWriter::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct BulkWriterBuilder {
    schema: CollectionSchema,
    dir: PathBuf,
    file_type: BulkFileType,
    chunk_size: u64,
    float16_form: Float16Form,
    csv_separator: char,
    csv_null_key: String,
    ignore_unknown_fields: bool,
    /// Where finished files go, and the key prefix there.
    remote: Option<(Arc<dyn Remote>, String)>,
}

impl BulkWriterBuilder {
    /// Uploads each finished file to the S3-compatible bucket `storage` under the key
    /// `prefix/<uuid>/<file>` (NumPy: `prefix/<uuid>/<n>/<column>.npy`), then deletes the
    /// local copy; `batch_files()` then holds these bucket-relative keys, what open-source
    /// Milvus takes in `bulk_import`'s `files`. `build()` checks the bucket once; upload
    /// errors are returned by the call that wrote the file (`append_row` or `commit`), and
    /// the next call tries the upload again. See [`S3Storage`].
    pub fn remote(self, storage: S3Storage, prefix: impl Into<String>) -> Self {
        self.with_remote(Arc::new(storage.into_remote()), prefix)
    }

    /// Uploads each finished file into the Zilliz Cloud volume `volume` under
    /// `path/<uuid>/<file>` (NumPy: `path/<uuid>/<n>/<column>.npy`), with the temporary
    /// credentials the volume hands out, then deletes the local copy; `batch_files()` then
    /// holds these volume paths, the `data_paths` of
    /// [`BulkImportRequest::volume_name`](crate::BulkImportRequest::volume_name). `build()`
    /// applies for credentials once. See [`VolumeStorage`].
    pub fn volume(self, volume: VolumeStorage, path: impl Into<String>) -> Self {
        let path = path.into();
        self.with_remote(Arc::new(volume.scoped(&path)), path)
    }

    /// Uploads each finished file to `remote` under `prefix/<uuid>/…`, then deletes it locally.
    pub(crate) fn with_remote(
        mut self,
        remote: Arc<dyn Remote>,
        prefix: impl Into<String>,
    ) -> Self {
        self.remote = Some((remote, prefix.into()));
        self
    }

    /// The kind of file to write (default [`BulkFileType::Parquet`]).
    pub fn file_type(mut self, file_type: BulkFileType) -> Self {
        self.file_type = file_type;
        self
    }

    /// Starts a new file once the buffered rows pass this many bytes, counted as pymilvus
    /// counts them (default 128 MiB, as `LocalBulkWriter`). What pymilvus does not count
    /// (dynamic keys, escapes in JSON text) is capped too: a file also starts when the rows
    /// hold twice this, so the buffer stays within about two chunks.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes as u64;
        self
    }

    /// How float16/bfloat16 vectors go into Parquet and NumPy files (default
    /// [`Float16Form::Bytes`]).
    pub fn float16_form(mut self, form: Float16Form) -> Self {
        self.float16_form = form;
        self
    }

    /// The CSV separator (default `,`). Pass the same to `bulk_import` as option `sep` when
    /// it is not `,`. A quote, a line break or NUL cannot be one.
    pub fn csv_separator(mut self, separator: char) -> Self {
        self.csv_separator = separator;
        self
    }

    /// The CSV text of a null (default empty). Pass the same to `bulk_import` as option
    /// `nullkey` when it is not empty.
    pub fn csv_null_key(mut self, null_key: impl Into<String>) -> Self {
        self.csv_null_key = null_key.into();
        self
    }

    /// Drops row keys that are not in the schema when the schema has no dynamic field, as
    /// pymilvus does, instead of rejecting the row.
    pub fn ignore_unknown_fields(mut self, yes: bool) -> Self {
        self.ignore_unknown_fields = yes;
        self
    }

    /// Checks the schema and the settings, creates the directory (and its parents) if
    /// missing, and a fresh `<uuid>` folder in it for this writer's files.
    pub fn build(mut self) -> Result<BulkWriter, Error> {
        self.schema.check()?;
        let numpy = self.file_type == BulkFileType::Numpy;
        if numpy {
            for f in self.schema.fields.iter().filter(|f| f.has_column()) {
                if matches!(f.data_type, DataType::Array | DataType::SparseFloatVector) {
                    return Err(Error::schema(format!(
                        "field '{}' is {}: NumPy files cannot hold it (use Parquet, JSON or CSV)",
                        f.name, f.data_type
                    )));
                }
            }
        }
        if self.file_type == BulkFileType::Csv {
            let sep = self.csv_separator;
            if matches!(sep, '"' | '\n' | '\r' | '\0' | '\u{fffd}') {
                return Err(Error::config(format!(
                    "{sep:?} cannot be the CSV separator"
                )));
            }
            if self.csv_null_key.contains(['\n', '\r', '"']) || self.csv_null_key.contains(sep) {
                return Err(Error::config(
                    "the CSV null key cannot hold the separator, a quote or a line break",
                ));
            }
            let key = self.csv_null_key.as_str();
            let looks_like_a_value = key.parse::<f64>().is_ok()
                || matches!(key, "True" | "False" | "true" | "false" | "null")
                || key.starts_with(['[', '{', '"']);
            if looks_like_a_value {
                if let Some(f) = self
                    .schema
                    .fields
                    .iter()
                    .find(|f| f.nullable && f.has_column() && !f.data_type.is_string())
                {
                    return Err(Error::config(format!(
                        "the CSV null key {key:?} is also a value of nullable field '{}': Milvus would read that value as null",
                        f.name
                    )));
                }
            }
        }
        if self.chunk_size == 0 {
            return Err(Error::config("chunk_size must be above 0"));
        }
        let half_as_float = self.float16_form == Float16Form::Float;
        let mut columns = Vec::new();
        let mut slots = HashMap::new();
        for f in &self.schema.fields {
            let slot = if f.primary_key && f.auto_id {
                Slot::AutoId
            } else if f.function_output {
                Slot::FunctionOutput
            } else {
                let mut col = Column::for_field(f, half_as_float);
                col.nulls_forbidden = numpy;
                if self.file_type == BulkFileType::Csv && f.nullable {
                    col.csv_null_key = Some(self.csv_null_key.clone());
                }
                columns.push(col);
                Slot::Column(columns.len() - 1)
            };
            slots.insert(f.name.clone(), slot);
        }
        let data_columns = columns.len();
        if self.schema.enable_dynamic_field {
            columns.push(Column::meta());
            slots.insert(DYNAMIC_FIELD_NAME.to_string(), Slot::Meta);
        }
        if let Some((remote, prefix)) = &mut self.remote {
            *prefix = normalize_prefix(prefix)?;
            remote.check()?;
        }
        let uuid = uuid_v4();
        let data_path = self.dir.join(&uuid);
        std::fs::create_dir_all(&data_path)
            .map_err(|source| Error::io("creating directory", data_path.clone(), source))?;
        Ok(BulkWriter {
            seen: vec![false; data_columns],
            data_columns,
            columns,
            slots,
            dynamic: Vec::new(),
            settings: self,
            uuid,
            data_path,
            pending: Vec::new(),
            rows: 0,
            size: 0,
            extra: 0,
            write_failed: false,
            total_rows: 0,
            appended: 0,
            next_file: 1,
            batch_files: Vec::new(),
        })
    }
}

/// Writes rows into import files; see the [module docs](self).
///
/// ```
/// # fn main() -> Result<(), milvus_bulk_import::Error> {
/// use milvus_bulk_import::writer::{BulkFileType, BulkWriter, CollectionSchema, DataType, FieldSchema};
/// use milvus_bulk_import::Error;
///
/// let schema = CollectionSchema::new()
///     .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
///     .field(FieldSchema::new("v", DataType::FloatVector).dim(2));
/// # let dir = std::env::temp_dir().join(format!("mbi-doc2-{}", std::process::id()));
/// let mut writer = BulkWriter::builder(&schema, &dir).file_type(BulkFileType::Json).build()?;
/// writer.append_row(&serde_json::json!({"id": 1, "v": [0.5, 1.0]}))?;
/// let err = writer.append_row(&serde_json::json!({"id": 2, "v": [0.5]})).unwrap_err();
/// assert!(matches!(err, Error::InvalidRow { row: 1, .. }));
/// assert_eq!(err.to_string(), "row 1, field 'v': has 1 values: its dim is 2");
/// writer.commit()?;
/// assert_eq!(writer.total_rows(), 1);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(())
/// # }
/// ```
pub struct BulkWriter {
    settings: BulkWriterBuilder,
    uuid: String,
    data_path: PathBuf,
    /// Files written locally whose upload has not finished, one group per chunk: (local
    /// file, key, uploaded).
    pending: Vec<Vec<(PathBuf, String, bool)>>,
    /// File columns in order: the schema's (less auto-id and function outputs), then `$meta`.
    columns: Vec<Column>,
    /// How many of `columns` are schema fields (the rest is `$meta`).
    data_columns: usize,
    slots: HashMap<String, Slot>,
    seen: Vec<bool>,
    dynamic: Vec<(String, Value)>,
    rows: usize,
    size: u64,
    /// Bytes the buffered rows hold beyond pymilvus's estimate (dynamic keys, escaped JSON).
    extra: u64,
    /// A chunk could not be written or uploaded: rows are refused until `commit` succeeds.
    write_failed: bool,
    total_rows: u64,
    appended: u64,
    next_file: u64,
    batch_files: Vec<Vec<String>>,
}

impl fmt::Debug for BulkWriter {
    /// A summary (not the buffered rows).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkWriter")
            .field("file_type", &self.settings.file_type)
            .field("data_path", &self.data_path)
            .field(
                "remote",
                &self.settings.remote.as_ref().map(|(r, p)| (r, p)),
            )
            .field("buffered_rows", &self.rows)
            .field("buffered_size", &self.size)
            .field("total_rows", &self.total_rows)
            .field("files", &self.batch_files.len())
            .field("pending_uploads", &self.pending.len())
            .field("write_failed", &self.write_failed)
            .finish()
    }
}

impl BulkWriter {
    /// A writer for `schema` whose files go under `dir` (a local directory, created if
    /// missing).
    pub fn builder(schema: &CollectionSchema, dir: impl AsRef<Path>) -> BulkWriterBuilder {
        BulkWriterBuilder {
            schema: schema.clone(),
            dir: dir.as_ref().to_path_buf(),
            file_type: BulkFileType::Parquet,
            chunk_size: 128 << 20,
            float16_form: Float16Form::Bytes,
            csv_separator: ',',
            csv_null_key: String::new(),
            ignore_unknown_fields: false,
            remote: None,
        }
    }

    /// Adds a row: any value that serializes as a map or a struct. A bad row is an
    /// [`Error::InvalidRow`] and changes nothing. When the buffered rows pass `chunk_size`, they
    /// are written to a file (and uploaded) before this returns. If that fails, the error is
    /// returned — the row itself was taken, do not add it again — the rows stay buffered (or
    /// the file pending upload), and further rows are refused with an
    /// [`Error::InvalidRequest`] until [`commit`](Self::commit) succeeds.
    pub fn append_row<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(), Error> {
        if self.write_failed {
            return Err(Error::invalid_request(
                "an earlier chunk could not be written or uploaded (its error was returned then): call commit() to retry it before adding rows",
            ));
        }
        let index = self.appended;
        self.appended += 1;
        match self.take_row(row) {
            Ok((size, extra)) => {
                self.rows += 1;
                self.size += size;
                self.extra += extra;
                self.total_rows += 1;
            }
            Err(e) => {
                for col in &mut self.columns {
                    col.truncate(self.rows);
                }
                return Err(Error::invalid_row(index, e.field, e.reason));
            }
        }
        // pymilvus's rule, plus a cap on what its estimate leaves out, so memory stays bounded.
        let chunk = self.settings.chunk_size;
        if self.size > chunk || self.size + self.extra > chunk.saturating_mul(2) {
            self.flush()?;
        }
        Ok(())
    }

    /// Takes one row into the columns; returns (pymilvus's size, bytes beyond it).
    fn take_row<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(u64, u64), row::RowError> {
        self.seen.fill(false);
        self.dynamic.clear();
        let (data, meta) = self.columns.split_at_mut(self.data_columns);
        let mut sink = RowSink {
            columns: data,
            slots: &self.slots,
            seen: &mut self.seen,
            dynamic: if meta.is_empty() {
                None
            } else {
                Some(&mut self.dynamic)
            },
            ignore_unknown: self.settings.ignore_unknown_fields,
            size: 0,
            extra: 0,
        };
        row.serialize(RowSer(&mut sink))?;
        let (size, mut extra) = (sink.size, sink.extra);
        for (i, col) in data.iter_mut().enumerate() {
            if self.seen[i] {
                continue;
            }
            let filled = col
                .push_default()
                .and_then(|done| if done { Ok(()) } else { col.push_null() });
            filled.map_err(|reason| row::RowError {
                field: Some(col.name.clone()),
                reason,
            })?;
        }
        if let Some(meta) = meta.first_mut() {
            extra += meta.push_meta(&self.dynamic) as u64;
        }
        Ok((size, extra))
    }

    /// Writes the buffered rows to a file now (nothing when none are buffered), after uploading
    /// any file an earlier failure left pending. Errors are returned, never swallowed: the rows
    /// then stay buffered (or the file pending) and a later `commit` retries.
    pub fn commit(&mut self) -> Result<(), Error> {
        self.flush()
    }

    fn flush(&mut self) -> Result<(), Error> {
        let result = self.try_flush();
        self.write_failed = result.is_err();
        result
    }

    fn try_flush(&mut self) -> Result<(), Error> {
        // Uploads left over from a failed attempt go first, in order.
        self.upload_pending()?;
        if self.rows == 0 {
            return Ok(());
        }
        let chunk = format::Chunk {
            columns: &self.columns,
            rows: self.rows,
            size: self.size + self.extra,
            csv_separator: self.settings.csv_separator,
            csv_null_key: &self.settings.csv_null_key,
        };
        let files = format::write(
            self.settings.file_type,
            &chunk,
            &self.data_path,
            self.next_file,
        )?;
        self.next_file += 1;
        for col in &mut self.columns {
            col.clear();
        }
        self.rows = 0;
        self.size = 0;
        self.extra = 0;
        match &self.settings.remote {
            None => self.batch_files.push(
                files
                    .into_iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect(),
            ),
            Some((_, prefix)) => {
                let group = files
                    .into_iter()
                    .map(|p| {
                        let relative = p
                            .strip_prefix(&self.data_path)
                            .unwrap_or(&p)
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect::<Vec<_>>()
                            .join("/");
                        let key = storage::object_key(prefix, &self.uuid, &relative);
                        (p, key, false)
                    })
                    .collect();
                self.pending.push(group);
                self.upload_pending()?;
            }
        }
        Ok(())
    }

    /// Uploads what is pending, deleting each local copy once it is uploaded; a chunk's keys
    /// join `batch_files` when all its files are up.
    fn upload_pending(&mut self) -> Result<(), Error> {
        let Some((remote, _)) = &self.settings.remote else {
            return Ok(());
        };
        while let Some(group) = self.pending.first_mut() {
            for (local, key, done) in group.iter_mut() {
                if *done {
                    continue;
                }
                remote.upload(local, key)?;
                *done = true;
                std::fs::remove_file(&*local).map_err(|source| {
                    Error::io("removing the uploaded local copy", local.clone(), source)
                })?;
            }
            let group = self.pending.remove(0);
            if let Some(parent) = group.first().and_then(|(p, _, _)| p.parent()) {
                if parent != self.data_path {
                    let _ = std::fs::remove_dir(parent); // NumPy's `<n>/` folder
                }
            }
            self.batch_files
                .push(group.into_iter().map(|(_, key, _)| key).collect());
        }
        Ok(())
    }

    /// The files written so far, one group per file (NumPy: the column files of one chunk),
    /// in the shape [`BulkImportRequest::files`](crate::BulkImportRequest::files) takes.
    pub fn batch_files(&self) -> Vec<Vec<String>> {
        self.batch_files.clone()
    }

    /// The folder this writer's files go to: `<dir>/<uuid>`.
    pub fn data_path(&self) -> &Path {
        &self.data_path
    }

    /// Rows accepted so far (written or buffered).
    pub fn total_rows(&self) -> u64 {
        self.total_rows
    }

    /// Rows buffered and not yet written.
    pub fn buffered_rows(&self) -> usize {
        self.rows
    }

    /// The buffered rows' size as pymilvus estimates it (what `chunk_size` is compared with).
    pub fn buffered_size(&self) -> u64 {
        self.size
    }

    /// The file type this writer writes.
    pub fn file_type(&self) -> BulkFileType {
        self.settings.file_type
    }
}

impl Drop for BulkWriter {
    /// Removes the writer's `<uuid>` folder if it is empty (as pymilvus does), and with a
    /// remote storage the staging directory too when that is left empty.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.data_path);
        if self.settings.remote.is_some() {
            let _ = std::fs::remove_dir(&self.settings.dir);
        }
    }
}

/// A key prefix as `a/b` (no empty or `.` segments, `\\` read as `/`); `..` is refused.
fn normalize_prefix(prefix: &str) -> Result<String, Error> {
    let mut dir = crate::volume::volume_dir(prefix).map_err(|_| {
        Error::invalid_request(format!(
            "the remote prefix {prefix:?} holds '..', which would leave the bucket or volume folder"
        ))
    })?;
    // `a/b/` → `a/b`.
    dir.pop();
    Ok(dir)
}

/// A random (version 4) UUID from the standard library's per-process random keys.
fn uuid_v4() -> String {
    let words = [crate::retry::random_u64(), crate::retry::random_u64()];
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&words[0].to_le_bytes());
    b[8..].copy_from_slice(&words[1].to_le_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalized_and_dot_dot_refused() {
        for (given, want) in [
            ("", ""),
            ("/", ""),
            ("a", "a"),
            ("/a//b/./", "a/b"),
            ("a\\b\\", "a/b"),
        ] {
            assert_eq!(normalize_prefix(given).unwrap(), want, "{given:?}");
        }
        for given in ["..", "a/../b", "a\\..\\b"] {
            let err = normalize_prefix(given).unwrap_err().to_string();
            assert!(err.contains("holds '..'"), "{given:?}: {err}");
        }
    }

    #[test]
    fn uuids_are_version_4() {
        let (a, b) = (uuid_v4(), uuid_v4());
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{a}");
        assert_eq!(&a[14..15], "4", "{a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }
}
