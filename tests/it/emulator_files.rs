//! The emulator with a data root reads the files an import lists, as Milvus 2.5/2.6 does:
//! files written by `BulkWriter` import with their true row counts and sizes; every check —
//! missing file, bad extension or grouping, unreadable Parquet/JSON/NumPy/CSV, columns that do
//! not match the schema, an auto-id primary key present, a path out of the data root — ends the
//! job `Failed` with the server's reason (or, for what the proxy checks, refuses the create).

use std::fs;
use std::path::Path;
use std::time::Duration;

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, Timing};
use milvus_bulk_import::writer::{
    BulkFileType, BulkWriter, CollectionSchema, DataType, FieldSchema,
};
use milvus_bulk_import::{
    BulkImportApi, BulkImportRequest, Error, ImportJobState, ImportProgress, JobRequest,
};
use serde_json::{json, Value};

use crate::common::tempdir::TempDir;

// ------------------------------------------------------------------------------- helpers

/// An emulator whose bucket is `root`, knowing `collections`; jobs move only when told.
fn start(root: &Path, collections: &[(&str, &CollectionSchema)]) -> (Emulator, BulkImportApi) {
    let mut config = EmulatorConfig::milvus()
        .timing(Timing::Manual)
        .data_root(root);
    for (name, schema) in collections {
        config = config.collection(*name, (*schema).clone());
    }
    let emulator = Emulator::start(config).expect("the emulator starts");
    let api = BulkImportApi::builder(emulator.url())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (emulator, api)
}

/// Creates a job importing `files` into `collection`, runs it to its end, and describes it.
fn import(
    emulator: &Emulator,
    api: &BulkImportApi,
    request: BulkImportRequest,
) -> (ImportProgress, Value) {
    let id = api
        .bulk_import(&request)
        .expect("create")
        .into_data()
        .job_id;
    assert!(emulator.advance(&id, 10));
    let reply = api
        .get_import_progress(&JobRequest::new(&id))
        .expect("describe");
    let raw = reply.response().json().unwrap();
    (reply.into_data(), raw)
}

/// The job's failure reason (asserting that it failed).
fn failure(emulator: &Emulator, api: &BulkImportApi, collection: &str, files: &[&str]) -> String {
    let groups: Vec<Vec<String>> = files.iter().map(|f| vec![f.to_string()]).collect();
    let (progress, raw) = import(
        emulator,
        api,
        BulkImportRequest::new(collection).files(groups),
    );
    assert_eq!(progress.state, ImportJobState::Failed, "{raw}");
    assert_eq!(progress.imported_rows, Some(0));
    let reason = progress.reason.expect("a failed job has a reason");
    assert_eq!(raw["data"]["details"][0]["state"], "Failed");
    assert_eq!(raw["data"]["details"][0]["reason"], reason.as_str());
    reason
}

/// The create's refusal: (code, message).
fn refusal(api: &BulkImportApi, request: BulkImportRequest) -> (i64, String) {
    match api.bulk_import(&request) {
        Err(Error::Api { code, message, .. }) => (code, message),
        other => panic!("expected the create to be refused, got {other:?}"),
    }
}

/// Writes `rows` with a `BulkWriter` of `file_type` into `root/data` and returns its batch
/// files (absolute paths inside `root`).
fn write(
    root: &Path,
    schema: &CollectionSchema,
    file_type: BulkFileType,
    rows: &[Value],
    chunk_size: usize,
) -> Vec<Vec<String>> {
    let mut writer = BulkWriter::builder(schema, root.join("data"))
        .file_type(file_type)
        .chunk_size(chunk_size)
        .build()
        .expect("writer");
    for row in rows {
        writer.append_row(row).expect("row");
    }
    writer.commit().expect("commit");
    writer.batch_files()
}

fn bytes_on_disk(groups: &[Vec<String>]) -> u64 {
    groups
        .iter()
        .flatten()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

/// Every type the writer writes to row-based files, with nulls, defaults and dynamic keys.
fn rich_schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("b", DataType::Bool))
        .field(FieldSchema::new("i8", DataType::Int8))
        .field(FieldSchema::new("i16", DataType::Int16))
        .field(FieldSchema::new("i32", DataType::Int32))
        .field(FieldSchema::new("f", DataType::Float))
        .field(FieldSchema::new("d", DataType::Double).nullable(true))
        .field(FieldSchema::new("s", DataType::VarChar).max_length(32))
        .field(FieldSchema::new("t", DataType::Text))
        .field(FieldSchema::new("j", DataType::Json).nullable(true))
        .field(
            FieldSchema::new("a", DataType::Array)
                .element_type(DataType::VarChar)
                .max_capacity(4)
                .max_length(8),
        )
        .field(
            FieldSchema::new("ai", DataType::Array)
                .element_type(DataType::Int32)
                .max_capacity(3)
                .nullable(true),
        )
        .field(FieldSchema::new("fv", DataType::FloatVector).dim(4))
        .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16))
        .field(FieldSchema::new("f16", DataType::Float16Vector).dim(2))
        .field(FieldSchema::new("bf16", DataType::BFloat16Vector).dim(2))
        .field(FieldSchema::new("i8v", DataType::Int8Vector).dim(3))
        .field(FieldSchema::new("sp", DataType::SparseFloatVector))
        .field(FieldSchema::new("dflt", DataType::Int64).default_value(json!(7)))
        .enable_dynamic_field(true)
}

fn rich_row(i: i64) -> Value {
    let mut row = json!({
        "id": i, "b": i % 2 == 0, "i8": -(i % 100), "i16": i * 3, "i32": i * 1000,
        "f": i as f64 / 4.0, "s": format!("row, \"{i}\"\n"), "t": "héllo",
        "a": ["x", "yz"], "fv": [0.5, 1.0, -1.5, i as f64],
        "bv": [1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0],
        "f16": [0.5, -2.0], "bf16": [1.0, 3.0], "i8v": [-128, 0, 127],
        "sp": {"1": 0.5, "100": 0.25}, "extra": format!("dyn{i}"),
    });
    if i % 3 != 0 {
        row["d"] = json!(i as f64 * 1.5);
        row["j"] = json!({"k": [i, "v"]});
        row["ai"] = json!([1, 2, i % 7]);
        row["dflt"] = json!(i);
    }
    row
}

/// What NumPy files can hold: no arrays, sparse vectors or nulls.
fn numpy_schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("b", DataType::Bool))
        .field(FieldSchema::new("i16", DataType::Int16))
        .field(FieldSchema::new("f", DataType::Float))
        .field(FieldSchema::new("d", DataType::Double))
        .field(FieldSchema::new("s", DataType::VarChar).max_length(32))
        .field(FieldSchema::new("j", DataType::Json))
        .field(FieldSchema::new("fv", DataType::FloatVector).dim(4))
        .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16))
        .field(FieldSchema::new("f16", DataType::Float16Vector).dim(2))
        .field(FieldSchema::new("i8v", DataType::Int8Vector).dim(3))
        .enable_dynamic_field(true)
}

fn numpy_row(i: i64) -> Value {
    json!({
        "id": i, "b": i % 2 == 0, "i16": i, "f": 0.25, "d": i as f64, "s": format!("é{i}"),
        "j": {"i": i}, "fv": [0.5, 1.0, -1.5, 2.0],
        "bv": [1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0], "f16": [0.5, -2.0],
        "i8v": [1, 2, 3], "extra": i,
    })
}

/// A small schema for the failure cases.
fn small_schema() -> CollectionSchema {
    CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("title", DataType::VarChar).max_length(16))
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(4))
}

fn small_row(i: i64) -> Value {
    json!({"id": i, "title": format!("t{i}"), "vec": [0.0, 1.0, 2.0, 3.0]})
}

fn rows(n: i64, row: fn(i64) -> Value) -> Vec<Value> {
    (0..n).map(row).collect()
}

// ------------------------------------------------------------------------------- writer files

/// N rows written by the writer in `file_type` import Completed with the true counts.
fn writer_files_import(file_type: BulkFileType, schema: &CollectionSchema, row: fn(i64) -> Value) {
    const N: i64 = 137;
    let root = TempDir::created("emulator-files");
    // A small chunk size: several files, whose counts add up.
    let files = write(root.path(), schema, file_type, &rows(N, row), 4 << 10);
    assert!(
        files.len() > 1,
        "{file_type:?}: expected several files, got {files:?}"
    );
    let (emulator, api) = start(root.path(), &[("c", schema)]);

    // As the writer returns them (absolute, inside the data root) …
    let (progress, raw) = import(
        &emulator,
        &api,
        BulkImportRequest::new("c").files(files.clone()),
    );
    assert_eq!(
        progress.state,
        ImportJobState::Completed,
        "{file_type:?}: {raw}"
    );
    assert_eq!(progress.total_rows, Some(N as u64), "{file_type:?}");
    assert_eq!(progress.imported_rows, Some(N as u64), "{file_type:?}");
    assert_eq!(
        progress.file_size,
        Some(bytes_on_disk(&files)),
        "{file_type:?}"
    );
    assert_eq!(progress.details.len(), files.len());
    let mut detail_rows = 0;
    for (detail, group) in progress.details.iter().zip(&files) {
        assert_eq!(
            detail.file_size,
            Some(bytes_on_disk(std::slice::from_ref(group)))
        );
        assert_eq!(detail.total_rows, detail.imported_rows);
        assert!(detail.total_rows.unwrap() > 0);
        detail_rows += detail.total_rows.unwrap();
    }
    assert_eq!(detail_rows, N as u64);

    // … and relative to it, as a bucket key.
    let relative: Vec<Vec<String>> = files
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|p| {
                    Path::new(p)
                        .strip_prefix(root.path())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .collect();
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files(relative));
    assert_eq!(progress.state, ImportJobState::Completed);
    assert_eq!(progress.total_rows, Some(N as u64));
}

#[test]
fn parquet_written_by_the_writer_imports_with_true_counts() {
    writer_files_import(BulkFileType::Parquet, &rich_schema(), rich_row);
}

#[test]
fn json_written_by_the_writer_imports_with_true_counts() {
    writer_files_import(BulkFileType::Json, &rich_schema(), rich_row);
}

#[test]
fn csv_written_by_the_writer_imports_with_true_counts() {
    writer_files_import(BulkFileType::Csv, &rich_schema(), rich_row);
}

#[test]
fn numpy_written_by_the_writer_imports_with_true_counts() {
    writer_files_import(BulkFileType::Numpy, &numpy_schema(), numpy_row);
}

#[test]
fn csv_with_another_separator_and_null_key_needs_the_matching_options() {
    let root = TempDir::created("emulator-files");
    let schema = rich_schema();
    let mut writer = BulkWriter::builder(&schema, root.path().join("data"))
        .file_type(BulkFileType::Csv)
        .csv_separator('|')
        .csv_null_key("NULL")
        .build()
        .unwrap();
    for row in rows(10, rich_row) {
        writer.append_row(&row).unwrap();
    }
    writer.commit().unwrap();
    let files = writer.batch_files();
    let (emulator, api) = start(root.path(), &[("c", &schema)]);
    let (progress, raw) = import(
        &emulator,
        &api,
        BulkImportRequest::new("c")
            .files(files.clone())
            .option("sep", "|")
            .option("nullkey", "NULL"),
    );
    assert_eq!(progress.state, ImportJobState::Completed, "{raw}");
    assert_eq!(progress.total_rows, Some(10));
    // A separator of two characters is refused.
    let (progress, _) = import(
        &emulator,
        &api,
        BulkImportRequest::new("c")
            .files(files.clone())
            .option("sep", "||"),
    );
    assert!(
        progress
            .reason
            .as_deref()
            .unwrap()
            .starts_with("unsupported csv separator: ||"),
        "{progress:?}"
    );
    // Read with the default separator, the header is one unknown column.
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files(files));
    assert_eq!(progress.state, ImportJobState::Failed);
    assert!(
        progress
            .reason
            .as_deref()
            .unwrap()
            .starts_with("value of field is missed"),
        "{progress:?}"
    );
}

#[test]
fn several_groups_and_formats_add_up() {
    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let parquet = write(
        root.path(),
        &schema,
        BulkFileType::Parquet,
        &rows(5, small_row),
        1 << 20,
    );
    let json = write(
        root.path(),
        &schema,
        BulkFileType::Json,
        &rows(7, small_row),
        1 << 20,
    );
    let numpy = write(
        root.path(),
        &schema,
        BulkFileType::Numpy,
        &rows(11, small_row),
        1 << 20,
    );
    let all: Vec<Vec<String>> = parquet.into_iter().chain(json).chain(numpy).collect();
    assert_eq!(all.len(), 3);
    let (emulator, api) = start(root.path(), &[("c", &schema)]);
    let (progress, _) = import(
        &emulator,
        &api,
        BulkImportRequest::new("c").files(all.clone()),
    );
    assert_eq!(progress.state, ImportJobState::Completed);
    assert_eq!(progress.total_rows, Some(23));
    assert_eq!(progress.file_size, Some(bytes_on_disk(&all)));
    let per_group: Vec<Option<u64>> = progress.details.iter().map(|d| d.total_rows).collect();
    assert_eq!(per_group, [Some(5), Some(7), Some(11)]);
    // The NumPy group's name lists its files, Go-style.
    assert!(progress.details[2]
        .file_name
        .as_deref()
        .unwrap()
        .contains(".npy "));
}

#[test]
fn importing_moves_through_the_lifecycle_with_the_true_counts() {
    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let files = write(
        root.path(),
        &schema,
        BulkFileType::Parquet,
        &rows(40, small_row),
        1 << 20,
    );
    let emulator = Emulator::start(
        EmulatorConfig::milvus()
            .data_root(root.path())
            .collection("c", schema),
    )
    .unwrap();
    let api = BulkImportApi::new(emulator.url(), "").unwrap();
    let id = api
        .bulk_import(&BulkImportRequest::new("c").files(files))
        .unwrap()
        .into_data()
        .job_id;
    let mut seen = Vec::new();
    loop {
        let p = api
            .get_import_progress(&JobRequest::new(&id))
            .unwrap()
            .into_data();
        seen.push((p.state.clone(), p.imported_rows));
        assert_eq!(p.total_rows, Some(40));
        if p.state.is_terminal() {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            (ImportJobState::Pending, Some(0)),
            (ImportJobState::Importing, Some(10)),
            (ImportJobState::Importing, Some(20)),
            (ImportJobState::Importing, Some(30)),
            (ImportJobState::Completed, Some(40)),
        ]
    );
}

// ------------------------------------------------------------------------------- refused at create

#[test]
fn unknown_collection_is_refused_with_code_100() {
    let root = TempDir::created("emulator-files");
    let (_emulator, api) = start(root.path(), &[]);
    assert_eq!(
        refusal(&api, BulkImportRequest::new("nope").files([["a.parquet"]])),
        (
            100,
            "collection not found[database=default][collection=nope]".to_string()
        )
    );
    // A collection created at run time is known.
    _emulator.create_collection("nope", small_schema());
    let (code, _) = refusal(&api, BulkImportRequest::new("nope").files([["a.txt"]]));
    assert_eq!(code, 2100);
}

#[test]
fn bad_extensions_and_groups_are_refused_with_code_2100() {
    let root = TempDir::created("emulator-files");
    let (emulator, api) = start(root.path(), &[("c", &small_schema())]);
    let cases: [(Vec<Vec<&str>>, &str); 6] = [
        (
            vec![vec!["a.txt"]],
            "unexpected file type, files=[a.txt]: importing data failed",
        ),
        (
            vec![vec!["ok.parquet"], vec!["noext"]],
            "unexpected file type, files=[noext]: importing data failed",
        ),
        // JSON Lines is a Milvus 3.x format; 2.x servers refuse the extension.
        (
            vec![vec!["1.jsonl"]],
            "unexpected file type, files=[1.jsonl]: importing data failed",
        ),
        (
            vec![vec!["a.json", "b.json"]],
            "for JSON import, accepts only one file: importing data failed",
        ),
        (
            vec![vec!["a.parquet", "b.parquet"]],
            "for Parquet import, accepts only one file: importing data failed",
        ),
        (
            vec![vec!["a.npy", "b.csv"]],
            "inconsistency in file types, (a.npy) vs (b.csv): importing data failed",
        ),
    ];
    for (files, message) in cases {
        assert_eq!(
            refusal(&api, BulkImportRequest::new("c").files(files.clone())),
            (2100, message.to_string()),
            "{files:?}"
        );
    }
    // Nothing was created.
    assert!(api
        .list_import_jobs(&milvus_bulk_import::ListImportJobsRequest::new())
        .unwrap()
        .data()
        .records
        .is_empty());
    drop(emulator);
}

#[test]
fn jsonl_written_by_the_writer_is_refused_as_on_milvus_2() {
    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let files = write(
        root.path(),
        &schema,
        BulkFileType::Jsonl,
        &rows(3, small_row),
        1 << 20,
    );
    let (_emulator, api) = start(root.path(), &[("c", &schema)]);
    let (code, message) = refusal(&api, BulkImportRequest::new("c").files(files));
    assert_eq!(code, 2100);
    assert!(
        message.starts_with("unexpected file type, files=["),
        "{message}"
    );
}

// ------------------------------------------------------------------------------- failed jobs

#[test]
fn missing_files_fail_the_job() {
    let root = TempDir::created("emulator-files");
    let (emulator, api) = start(root.path(), &[("c", &small_schema())]);
    assert_eq!(
        failure(&emulator, &api, "c", &["nope.parquet"]),
        "The specified key does not exist.: key not found[key=nope.parquet]"
    );
    assert_eq!(
        failure(&emulator, &api, "c", &["dir/nope.json"]),
        "read json file failed, path=dir/nope.json, err=The specified key does not exist.: key \
         not found[key=dir/nope.json]: importing data failed"
    );
    assert_eq!(
        failure(&emulator, &api, "c", &["nope.csv"]),
        "read csv file failed, path=nope.csv, err=The specified key does not exist.: key not \
         found[key=nope.csv]: importing data failed"
    );
    // A directory is not an object either.
    fs::create_dir_all(root.path().join("adir.parquet")).unwrap();
    assert!(failure(&emulator, &api, "c", &["adir.parquet"])
        .starts_with("The specified key does not exist."));
    // One missing column file of a NumPy batch.
    let files = write(
        root.path(),
        &small_schema(),
        BulkFileType::Numpy,
        &rows(3, small_row),
        1 << 20,
    );
    let mut group = files[0].clone();
    group.push(format!("{}/missing.npy", root.path().display()));
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files([group]));
    assert_eq!(progress.state, ImportJobState::Failed);
    assert!(progress
        .reason
        .unwrap()
        .starts_with("failed to read the file '"));
}

#[test]
fn paths_out_of_the_data_root_fail_the_job() {
    let outer = TempDir::created("emulator-files");
    let root = outer.path().join("bucket");
    fs::create_dir_all(&root).unwrap();
    // A readable, valid file right outside the root.
    let schema = small_schema();
    let outside = write(
        outer.path(),
        &schema,
        BulkFileType::Json,
        &rows(2, small_row),
        1 << 20,
    );
    let inside_name = Path::new(&outside[0][0])
        .strip_prefix(outer.path())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let (emulator, api) = start(&root, &[("c", &schema)]);
    let escape = format!("../{inside_name}");
    assert_eq!(
        failure(&emulator, &api, "c", &[&escape]),
        format!(
            "read json file failed, path={escape}, err=Object name contains unsupported \
             characters.: IO failed[key={escape}]: importing data failed"
        )
    );
    // Hidden in the middle of a path, or absolute outside the root.
    let sneaky = format!("data/../../{inside_name}");
    assert!(failure(&emulator, &api, "c", &[&sneaky]).contains("unsupported characters"));
    assert!(failure(&emulator, &api, "c", &[&outside[0][0]]).contains("unsupported characters"));
    // A symbolic link inside the root pointing out of it.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside[0][0], root.join("link.json")).unwrap();
        assert!(failure(&emulator, &api, "c", &["link.json"]).contains("unsupported characters"));
    }
}

#[test]
fn unreadable_files_fail_the_job() {
    let root = TempDir::created("emulator-files");
    let (emulator, api) = start(root.path(), &[("c", &small_schema())]);

    let garbage = root.file("garbage.parquet", b"PAR1 this is not parquet");
    let reason = failure(&emulator, &api, "c", &[&garbage]);
    assert!(
        reason.starts_with("new parquet reader failed, err="),
        "{reason}"
    );
    assert!(reason.ends_with(": importing data failed"), "{reason}");

    let not_json = root.file("bad.json", "rows: nope");
    let reason = failure(&emulator, &api, "c", &[&not_json]);
    assert!(
        reason.starts_with("init failed, failed to decode JSON"),
        "{reason}"
    );
    let truncated = root.file(
        "cut.json",
        r#"{"rows": [{"id": 1, "title": "a", "vec": [1,2"#,
    );
    let reason = failure(&emulator, &api, "c", &[&truncated]);
    assert!(
        reason.starts_with("failed to decode row, error: "),
        "{reason}"
    );
    let scalar = root.file("scalar.json", "42");
    assert_eq!(
        failure(&emulator, &api, "c", &[&scalar]),
        "invalid JSON format, the content should be started with '{' or '[': importing data failed"
    );
    let root_key = root.file("key.json", r#"{"data": []}"#);
    assert_eq!(
        failure(&emulator, &api, "c", &[&root_key]),
        "invalid JSON format, the root key should be 'rows', but get 'data': importing data failed"
    );

    let bad_npy = root.file("batch/id.npy", b"not numpy at all");
    root.file("batch/title.npy", b"");
    root.file("batch/vec.npy", b"");
    let (progress, _) = import(
        &emulator,
        &api,
        BulkImportRequest::new("c").files([["batch/id.npy", "batch/title.npy", "batch/vec.npy"]]),
    );
    let reason = progress.reason.unwrap();
    assert!(
        reason.starts_with("failed to parse the numpy header of field '")
            && reason.contains("npy: invalid magic string"),
        "{reason} ({bad_npy})"
    );

    let bare_quote = root.file("quote.csv", "id,title,vec\n1,a\"b,\"[1,2,3,4]\"\n");
    let reason = failure(&emulator, &api, "c", &[&bare_quote]);
    assert_eq!(
        reason,
        "failed to read csv file, error: parse error on line 2, column 4: bare \" in \
         non-quoted-field: importing data failed"
    );
    let ragged = root.file("ragged.csv", "id,title,vec\n1,a\n");
    assert_eq!(
        failure(&emulator, &api, "c", &[&ragged]),
        "failed to read csv file, error: record on line 2: wrong number of fields: importing \
         data failed"
    );
    let empty = root.file("empty.csv", "");
    assert_eq!(
        failure(&emulator, &api, "c", &[&empty]),
        "failed to read csv header, error: EOF: importing data failed"
    );
}

#[test]
fn schema_mismatches_fail_the_job() {
    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let (emulator, api) = start(root.path(), &[("c", &schema)]);

    // A required field missing, in each format.
    let without_title = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(4));
    let row = |i: i64| json!({"id": i, "vec": [0.0, 1.0, 2.0, 3.0]});
    let parquet = write(
        root.path(),
        &without_title,
        BulkFileType::Parquet,
        &rows(2, row),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&parquet[0][0]]),
        "schema not equal, err=field 'title' not in arrow schema: importing data failed: \
         importing data failed"
    );
    let json_file = write(
        root.path(),
        &without_title,
        BulkFileType::Json,
        &rows(2, row),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&json_file[0][0]]),
        "failed to parse row, error: value of field 'title' is missed: importing data failed: \
         importing data failed"
    );
    let csv = write(
        root.path(),
        &without_title,
        BulkFileType::Csv,
        &rows(2, row),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&csv[0][0]]),
        "value of field is missed: 'title': importing data failed"
    );
    let numpy = write(
        root.path(),
        &without_title,
        BulkFileType::Numpy,
        &rows(2, row),
        1 << 20,
    );
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files(numpy));
    assert!(
        progress
            .reason
            .as_deref()
            .unwrap()
            .starts_with("no file for field: title, files: ["),
        "{progress:?}"
    );

    // The wrong vector dimension.
    let dim3 = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("title", DataType::VarChar).max_length(16))
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(3));
    let row3 = |i: i64| json!({"id": i, "title": "t", "vec": [0.0, 1.0, 2.0]});
    let parquet = write(
        root.path(),
        &dim3,
        BulkFileType::Parquet,
        &rows(2, row3),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&parquet[0][0]]),
        "length of vector is not aligned: expected 4 but got 3, data type: FloatVector: \
         importing data failed"
    );
    let json_file = write(
        root.path(),
        &dim3,
        BulkFileType::Json,
        &rows(2, row3),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&json_file[0][0]]),
        "failed to parse row, error: expected dim '4' for field 'vec' with type 'FloatVector', \
         got dim '3': importing data failed: importing data failed"
    );
    let csv = write(
        root.path(),
        &dim3,
        BulkFileType::Csv,
        &rows(2, row3),
        1 << 20,
    );
    assert!(
        failure(&emulator, &api, "c", &[&csv[0][0]]).contains("expected dim '4' for field 'vec'")
    );
    let numpy = write(
        root.path(),
        &dim3,
        BulkFileType::Numpy,
        &rows(2, row3),
        1 << 20,
    );
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files(numpy));
    assert_eq!(
        progress.reason.as_deref(),
        Some("expected dim '4' for FloatVector field 'vec', got dim '3': importing data failed")
    );

    // A wrong type.
    let title_int = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(FieldSchema::new("title", DataType::Int64))
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(4));
    let row_int = |i: i64| json!({"id": i, "title": 5, "vec": [0.0, 1.0, 2.0, 3.0]});
    let parquet = write(
        root.path(),
        &title_int,
        BulkFileType::Parquet,
        &rows(2, row_int),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&parquet[0][0]]),
        "schema not equal, err=field 'title' type mis-match, expect arrow type 'utf8', get \
         arrow data type 'int64': importing data failed: importing data failed"
    );
    let json_file = write(
        root.path(),
        &title_int,
        BulkFileType::Json,
        &rows(2, row_int),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&json_file[0][0]]),
        "failed to parse row, error: expected type 'VarChar' for field 'title', got type \
         'json.Number' with value '5': importing data failed: importing data failed"
    );
    let numpy = write(
        root.path(),
        &title_int,
        BulkFileType::Numpy,
        &rows(2, row_int),
        1 << 20,
    );
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files(numpy));
    assert_eq!(
        progress.reason.as_deref(),
        Some("expected element type 'VarChar' for field 'title', got type 'Int64': importing data failed")
    );
    let bad_cell = root.file("cell.csv", "id,title,vec\nx,a,\"[1,2,3,4]\"\n");
    assert_eq!(
        failure(&emulator, &api, "c", &[&bad_cell]),
        "failed to parse row, error: expected type 'Int64' for field 'id', got type 'string' \
         with value 'x': importing data failed"
    );

    // A string over max_length (16 bytes).
    let long = root.file(
        "long.json",
        json!({"rows": [{"id": 1, "title": "x".repeat(17), "vec": [0, 1, 2, 3]}]}).to_string(),
    );
    assert_eq!(
        failure(&emulator, &api, "c", &[&long]),
        "failed to parse row, error: value length(17) for field title exceeds max_length(16): \
         importing data failed"
    );
}

/// A Parquet file of `columns` (built with arrow directly: the writer never writes a string
/// over `max_length`, nor large or view strings), saved as `name` in `root`.
fn arrow_parquet(
    root: &TempDir,
    name: &str,
    columns: Vec<(&str, arrow_array::ArrayRef)>,
) -> String {
    let batch = arrow_array::RecordBatch::try_from_iter(columns).unwrap();
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    root.file(name, bytes)
}

#[test]
fn parquet_strings_over_max_length_fail_the_job_in_every_string_layout() {
    use std::sync::Arc;

    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::types::Float32Type;
    use arrow_array::{
        ArrayRef, Int64Array, LargeStringArray, ListArray, StringArray, StringViewArray,
    };

    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let tagged = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(
            FieldSchema::new("tags", DataType::Array)
                .element_type(DataType::VarChar)
                .max_capacity(4)
                .max_length(8),
        )
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(4));
    let (emulator, api) = start(root.path(), &[("c", &schema), ("tagged", &tagged)]);
    let ids = || Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef;
    let vectors = || {
        let vector = Some(vec![Some(0.0), Some(1.0), Some(2.0), Some(3.0)]);
        Arc::new(ListArray::from_iter_primitive::<Float32Type, _, _>(vec![
            vector.clone(),
            vector,
        ])) as ArrayRef
    };
    let long = "x".repeat(17);
    let titles: [(&str, ArrayRef); 3] = [
        (
            "utf8.parquet",
            Arc::new(StringArray::from(vec!["t", &long])),
        ),
        (
            "large.parquet",
            Arc::new(LargeStringArray::from(vec!["t", &long])),
        ),
        (
            "view.parquet",
            Arc::new(StringViewArray::from(vec!["t", &long])),
        ),
    ];
    for (name, title) in titles {
        let file = arrow_parquet(
            &root,
            name,
            vec![("id", ids()), ("title", title), ("vec", vectors())],
        );
        assert_eq!(
            failure(&emulator, &api, "c", &[&file]),
            "value length(17) for field title exceeds max_length(16)",
            "{name}"
        );
    }
    // Within the limit, each layout imports.
    let fits: [(&str, ArrayRef); 2] = [
        (
            "large_ok.parquet",
            Arc::new(LargeStringArray::from(vec!["t", "x"])),
        ),
        (
            "view_ok.parquet",
            Arc::new(StringViewArray::from(vec!["t", "x"])),
        ),
    ];
    for (name, title) in fits {
        let file = arrow_parquet(
            &root,
            name,
            vec![("id", ids()), ("title", title), ("vec", vectors())],
        );
        let (progress, raw) = import(&emulator, &api, BulkImportRequest::new("c").files([[file]]));
        assert_eq!(progress.state, ImportJobState::Completed, "{raw}");
        assert_eq!(progress.imported_rows, Some(2), "{raw}");
    }

    // An array element over the field's max_length (8 bytes), in the second row.
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.append_value([Some("a"), Some("b")]);
    tags.append_value([Some("c"), Some("x".repeat(9).as_str())]);
    let file = arrow_parquet(
        &root,
        "tags.parquet",
        vec![
            ("id", ids()),
            ("tags", Arc::new(tags.finish()) as ArrayRef),
            ("vec", vectors()),
        ],
    );
    assert_eq!(
        failure(&emulator, &api, "tagged", &[&file]),
        "value length(9) for field tags exceeds max_length(8)"
    );
}

#[test]
fn columns_outside_the_schema_need_a_dynamic_field() {
    let root = TempDir::created("emulator-files");
    let strict = small_schema();
    let dynamic = small_schema().enable_dynamic_field(true);
    let row = |i: i64| json!({"id": i, "title": "t", "vec": [0.0, 1.0, 2.0, 3.0], "extra": i});
    let (emulator, api) = start(root.path(), &[("strict", &strict), ("dynamic", &dynamic)]);
    let json_file = root.file("extra.json", json!({"rows": rows(3, row)}).to_string());
    assert_eq!(
        failure(&emulator, &api, "strict", &[&json_file]),
        "failed to parse row, error: the field 'extra' is not defined in schema: importing \
         data failed: importing data failed"
    );
    let (progress, _) = import(
        &emulator,
        &api,
        BulkImportRequest::new("dynamic").files([[&json_file]]),
    );
    assert_eq!(progress.state, ImportJobState::Completed);
    assert_eq!(progress.total_rows, Some(3));

    // Files the writer wrote with a dynamic field carry `$meta`.
    for file_type in [
        BulkFileType::Parquet,
        BulkFileType::Csv,
        BulkFileType::Numpy,
    ] {
        let files = write(root.path(), &dynamic, file_type, &rows(3, row), 1 << 20);
        let (progress, _) = import(
            &emulator,
            &api,
            BulkImportRequest::new("dynamic").files(files.clone()),
        );
        assert_eq!(progress.state, ImportJobState::Completed, "{file_type:?}");
        let (progress, _) = import(
            &emulator,
            &api,
            BulkImportRequest::new("strict").files(files),
        );
        assert_eq!(progress.state, ImportJobState::Failed, "{file_type:?}");
        let reason = progress.reason.unwrap();
        assert!(reason.contains("$meta"), "{file_type:?}: {reason}");
    }
}

#[test]
fn an_auto_id_primary_key_in_the_files_fails_the_job() {
    let root = TempDir::created("emulator-files");
    let auto = CollectionSchema::new()
        .field(
            FieldSchema::new("id", DataType::Int64)
                .primary_key(true)
                .auto_id(true),
        )
        .field(FieldSchema::new("title", DataType::VarChar).max_length(16))
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(4));
    let (emulator, api) = start(root.path(), &[("auto", &auto)]);
    let expected =
        "the primary key 'id' is auto-generated, no need to provide: importing data failed";
    for file_type in [
        BulkFileType::Parquet,
        BulkFileType::Csv,
        BulkFileType::Numpy,
    ] {
        // Written for the same fields without auto id: the files carry `id`.
        let files = write(
            root.path(),
            &small_schema(),
            file_type,
            &rows(2, small_row),
            1 << 20,
        );
        let (progress, _) = import(&emulator, &api, BulkImportRequest::new("auto").files(files));
        assert_eq!(progress.reason.as_deref(), Some(expected), "{file_type:?}");
    }
    let files = write(
        root.path(),
        &small_schema(),
        BulkFileType::Json,
        &rows(2, small_row),
        1 << 20,
    );
    assert_eq!(
        failure(&emulator, &api, "auto", &[&files[0][0]]),
        format!("failed to parse row, error: {expected}: importing data failed")
    );
    // Written for the collection itself (no `id` column): they import.
    for file_type in [
        BulkFileType::Parquet,
        BulkFileType::Json,
        BulkFileType::Csv,
        BulkFileType::Numpy,
    ] {
        let row = |i: i64| json!({"title": format!("t{i}"), "vec": [0.0, 1.0, 2.0, 3.0]});
        let files = write(root.path(), &auto, file_type, &rows(4, row), 1 << 20);
        let (progress, raw) = import(&emulator, &api, BulkImportRequest::new("auto").files(files));
        assert_eq!(
            progress.state,
            ImportJobState::Completed,
            "{file_type:?}: {raw}"
        );
        assert_eq!(progress.total_rows, Some(4));
    }
}

#[test]
fn nulls_need_a_nullable_field_or_a_default() {
    let root = TempDir::created("emulator-files");
    let nullable = CollectionSchema::new()
        .field(FieldSchema::new("id", DataType::Int64).primary_key(true))
        .field(
            FieldSchema::new("title", DataType::VarChar)
                .max_length(16)
                .nullable(true),
        )
        .field(FieldSchema::new("vec", DataType::FloatVector).dim(4));
    let row = |i: i64| {
        let title = if i % 2 == 0 { json!(null) } else { json!("t") };
        json!({"id": i, "title": title, "vec": [0.0, 1.0, 2.0, 3.0]})
    };
    let parquet = write(
        root.path(),
        &nullable,
        BulkFileType::Parquet,
        &rows(4, row),
        1 << 20,
    );
    let (emulator, api) = start(
        root.path(),
        &[("strict", &small_schema()), ("nullable", &nullable)],
    );
    let (progress, _) = import(
        &emulator,
        &api,
        BulkImportRequest::new("nullable").files(parquet.clone()),
    );
    assert_eq!(progress.state, ImportJobState::Completed);
    assert_eq!(
        failure(&emulator, &api, "strict", &[&parquet[0][0]]),
        "the field 'title' is not nullable but the file contains null value: importing data failed"
    );
    let json_file = root.file(
        "null.json",
        json!([{"id": 1, "title": null, "vec": [0, 1, 2, 3]}]).to_string(),
    );
    assert_eq!(
        failure(&emulator, &api, "strict", &[&json_file]),
        "failed to parse row, error: expected type 'VarChar' for field 'title', got type '<nil>' \
         with value '<nil>': importing data failed: importing data failed"
    );
    // A bare list of rows is accepted too.
    let (progress, _) = import(
        &emulator,
        &api,
        BulkImportRequest::new("nullable").files([[&json_file]]),
    );
    assert_eq!(progress.state, ImportJobState::Completed);
    assert_eq!(progress.total_rows, Some(1));
}

#[test]
fn numpy_columns_of_different_lengths_fail_the_job() {
    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let three = write(
        root.path(),
        &schema,
        BulkFileType::Numpy,
        &rows(3, small_row),
        1 << 20,
    );
    let two = write(
        root.path(),
        &schema,
        BulkFileType::Numpy,
        &rows(2, small_row),
        1 << 20,
    );
    // id and title from the 3-row batch, vec from the 2-row one.
    let group: Vec<String> = three[0]
        .iter()
        .filter(|p| !p.ends_with("vec.npy"))
        .chain(two[0].iter().filter(|p| p.ends_with("vec.npy")))
        .cloned()
        .collect();
    let (emulator, api) = start(root.path(), &[("c", &schema)]);
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files([group]));
    let reason = progress.reason.unwrap();
    assert!(
        reason.starts_with("imported rows are not aligned, field '"),
        "{reason}"
    );
    // A truncated data section.
    let cut = root.path().join("cut");
    fs::create_dir_all(&cut).unwrap();
    let mut group = Vec::new();
    for path in &three[0] {
        let target = cut.join(Path::new(path).file_name().unwrap());
        let mut bytes = fs::read(path).unwrap();
        if path.ends_with("id.npy") {
            bytes.truncate(bytes.len() - 4);
        }
        fs::write(&target, bytes).unwrap();
        group.push(target.to_string_lossy().into_owned());
    }
    let (progress, _) = import(&emulator, &api, BulkImportRequest::new("c").files([group]));
    assert_eq!(
        progress.reason.as_deref(),
        Some(
            "failed to read numpy data of field 'id', error: unexpected EOF: importing data failed"
        )
    );
}

#[test]
fn the_failure_marker_still_applies_to_good_files() {
    let root = TempDir::created("emulator-files");
    let schema = small_schema();
    let files = write(
        root.path(),
        &schema,
        BulkFileType::Json,
        &rows(2, small_row),
        1 << 20,
    );
    let name = Path::new(&files[0][0]).file_name().unwrap();
    let failing = root.path().join("fail-here").join(name);
    fs::create_dir_all(failing.parent().unwrap()).unwrap();
    fs::copy(&files[0][0], &failing).unwrap();
    let (emulator, api) = start(root.path(), &[("c", &schema)]);
    let key = format!("fail-here/{}", name.to_string_lossy());
    let reason = failure(&emulator, &api, "c", &[&key]);
    assert!(reason.contains("injected failure"), "{reason}");
}
