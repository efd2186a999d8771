//! `milvus-import write` and `milvus-import import`, run as subprocesses: every file format
//! from a file and from stdin, read back; bad rows and schemas; chunking and the float16 form;
//! `import` to a real S3 server (`s3s-fs` in-process, verifying Signature V4) against the
//! Milvus-flavor emulator reading that bucket (true row counts), with the schema from a file
//! or from the server, credentials from flags or `AWS_*` variables; `import --volume` against
//! the cloud flavor; and the exit codes (0 ok, 1 API/HTTP/transport/data error, 2 usage,
//! config or schema). No secret ever shows in stdout or stderr.
//!
//! The variables the binary reads are removed (`MILVUS_*`, `ZILLIZ_CLUSTER_ID`, `AWS_*`),
//! `TMPDIR` points at a per-test directory (so a default staging directory left behind
//! shows), and every run is killed after 20 s.

use std::fs;
use std::path::Path;

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, Timing};
use milvus_bulk_import::writer::CollectionSchema;
use milvus_bulk_import::{BulkImportApi, CreateVolumeRequest};
use s3_server::{S3Server, ACCESS_KEY, SECRET_KEY};
use serde_json::{json, Value};

use crate::common::cli::{at, bin};
use crate::common::paths::CREATE;
use crate::common::s3 as s3_server;
use crate::common::tempdir::{files_under, TempDir};

const DESCRIBE_COLLECTION: &str = "/v2/vectordb/collections/describe";
const CLUSTER: &str = "in01-cli-writer";
const PROJECT: &str = "proj-cli";
const REGION: &str = "aws-us-west-2";
const SESSION_TOKEN: &str = "session-token-Zq81xv";
const WRONG_SECRET: &str = "wrong-secret-Yb7/kk+3";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The collection's schema as a REST `collections/describe` `data` object.
const SCHEMA: &str = r#"{
  "collectionName": "books",
  "enableDynamicField": false,
  "fields": [
    {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
    {"name": "vector", "type": "FloatVector", "params": [{"key": "dim", "value": "4"}]},
    {"name": "title", "type": "VarChar", "params": [{"key": "max_length", "value": "64"}]}
  ]
}"#;

fn schema() -> CollectionSchema {
    CollectionSchema::from_json(SCHEMA).expect("the test schema parses")
}

fn row(i: i64) -> Value {
    let f = i as f64;
    json!({"id": i, "vector": [f, f + 0.5, 2.0 * f, 0.25], "title": format!("book {i}")})
}

/// `n` rows as JSON Lines.
fn jsonl(n: i64) -> String {
    (0..n).map(|i| format!("{}\n", row(i))).collect()
}

/// A row read back from a file equals `row(i)` (numbers compared as f64).
#[track_caller]
fn assert_row(got: &Value, i: i64) {
    let want = row(i);
    assert_eq!(got["id"].as_i64(), Some(i), "{got}");
    assert_eq!(got["title"], want["title"], "{got}");
    let vector: Vec<f64> = got["vector"]
        .as_array()
        .unwrap_or_else(|| panic!("no vector: {got}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let expected: Vec<f64> = want["vector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(vector, expected, "{got}");
    assert_eq!(got.as_object().unwrap().len(), 3, "{got}");
}

/// The `.npy` header's text (dict with descr, fortran_order, shape).
fn npy_header(path: &str) -> String {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{path}");
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    String::from_utf8_lossy(&bytes[start..start + len]).into_owned()
}

/// Rows in a Parquet file, and its column names.
fn parquet_rows(path: &str) -> (i64, Vec<String>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(fs::File::open(path).unwrap()).expect("Parquet");
    let meta = reader.metadata().file_metadata();
    let names = meta
        .schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    (meta.num_rows(), names)
}

/// The physical types of a Parquet file's leaf columns (`INT64`, `FLOAT`, …).
fn parquet_leaf_types(path: &str) -> Vec<String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(fs::File::open(path).unwrap()).expect("Parquet");
    let schema = reader.metadata().file_metadata().schema_descr();
    (0..schema.num_columns())
        .map(|i| schema.column(i).physical_type().to_string())
        .collect()
}

/// The rows of a JSON (`{"rows": [...]}`), JSONL or CSV file written for `row(first..)`.
fn read_back(format: &str, path: &str) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap();
    match format {
        "json" => serde_json::from_str::<Value>(&text).unwrap()["rows"]
            .as_array()
            .expect("{\"rows\": [...]}")
            .clone(),
        "jsonl" => text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect(),
        "csv" => {
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("id,vector,title"), "{text}");
            // `<id>,"<vector as JSON>",<title>`: the vector holds commas, so it is quoted.
            lines
                .map(|l| {
                    let (id, rest) = l.split_once(',').unwrap();
                    let (vector, title) = rest.rsplit_once(',').unwrap();
                    let vector = vector
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or_else(|| panic!("vector not quoted: {l}"));
                    json!({
                        "id": id.parse::<i64>().unwrap(),
                        "vector": serde_json::from_str::<Value>(vector).unwrap(),
                        "title": title,
                    })
                })
                .collect()
        }
        other => panic!("cannot read {other} back as rows"),
    }
}

/// A Milvus-flavor emulator knowing `books`, reading its files from `bucket` of `s3`.
fn milvus_over(s3: &S3Server, bucket: &str) -> Emulator {
    Emulator::start(
        EmulatorConfig::milvus()
            .timing(Timing::PerPoll)
            .collection("books", schema())
            .data_root(s3.bucket_dir(bucket)),
    )
    .expect("emulator")
}

/// The `files` / `dataPaths` etc. of the create requests the emulator received.
fn create_bodies(emulator: &Emulator) -> Vec<Value> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.path == CREATE)
        .map(|r| r.json.expect("a JSON create body"))
        .collect()
}

/// Asserts `files` is one single-file group per chunk, each `<prefix>/<uuid>/<n>.<ext>` with
/// one uuid; returns the keys.
#[track_caller]
fn keys_of(files: &[Vec<String>], prefix: &str, ext: &str) -> Vec<String> {
    let uuid = files[0][0]
        .strip_prefix(&format!("{prefix}/"))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("not under {prefix}/<uuid>/: {files:?}"))
        .to_string();
    assert_eq!(uuid.len(), 36, "{uuid}");
    for (n, group) in files.iter().enumerate() {
        assert_eq!(group, &[format!("{prefix}/{uuid}/{}.{ext}", n + 1)]);
    }
    files.iter().flatten().cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// write
// ---------------------------------------------------------------------------------------------

#[test]
fn write_every_format_from_a_file_and_from_stdin() {
    let dir = TempDir::created("formats");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(3));
    for format in ["parquet", "json", "jsonl", "csv", "numpy"] {
        let mut written: Vec<Vec<Vec<u8>>> = Vec::new();
        for source in ["file", "stdin"] {
            let out_dir = dir.join(&format!("{format}-{source}"));
            let out_dir = out_dir.to_str().unwrap();
            let args = [
                "write",
                "--schema",
                schema.as_str(),
                "--format",
                format,
                "--out",
                out_dir,
            ];
            let out = match source {
                "file" => {
                    let mut all = args.to_vec();
                    all.push(rows.as_str());
                    bin(&all).go()
                }
                _ => {
                    let mut all = args.to_vec();
                    all.push("-");
                    bin(&all).stdin(jsonl(3)).go()
                }
            };
            out.ok();
            assert!(
                out.stderr
                    .starts_with("wrote 3 rows into 1 file group(s) under "),
                "{out:#?}"
            );
            let files = out.batch_files();
            assert_eq!(files.len(), 1, "{format} {source}: {out:#?}");
            let group = &files[0];
            for file in group {
                assert!(file.starts_with(out_dir), "{file}");
                assert!(Path::new(file).is_file(), "{file}");
            }
            match format {
                "parquet" => {
                    assert_eq!(group.len(), 1);
                    assert!(group[0].ends_with("/1.parquet"), "{group:?}");
                    let (n, columns) = parquet_rows(&group[0]);
                    assert_eq!(n, 3);
                    assert_eq!(columns, ["id", "vector", "title"]);
                }
                "numpy" => {
                    let names: Vec<&str> = group
                        .iter()
                        .map(|f| f.rsplit('/').next().unwrap())
                        .collect();
                    assert_eq!(names, ["id.npy", "vector.npy", "title.npy"]);
                    assert!(group.iter().all(|f| f.contains("/1/")), "{group:?}");
                    assert!(npy_header(&group[0]).contains("'shape': (3,)"));
                    assert!(npy_header(&group[1]).contains("'shape': (3, 4)"));
                }
                _ => {
                    assert_eq!(group.len(), 1);
                    assert!(group[0].ends_with(&format!("/1.{format}")), "{group:?}");
                    let back = read_back(format, &group[0]);
                    assert_eq!(back.len(), 3, "{back:?}");
                    for (i, got) in back.iter().enumerate() {
                        assert_row(got, i as i64);
                    }
                }
            }
            written.push(group.iter().map(|f| fs::read(f).unwrap()).collect());
        }
        // From a file or from stdin: the same bytes.
        assert_eq!(written[0], written[1], "{format}");
    }
}

#[test]
fn write_reads_stdin_when_no_file_is_named_and_skips_blank_lines() {
    let dir = TempDir::created("stdin-default");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let out_dir = dir.join("out");
    let input = format!("\n{}\n   \n{}", row(0), row(1));
    let out = bin(&[
        "write",
        "--schema",
        &schema,
        "--format",
        "jsonl",
        "--out",
        out_dir.to_str().unwrap(),
        "--output",
        "json",
    ])
    .stdin(input)
    .go();
    out.ok();
    let files = out.batch_files();
    let back = read_back("jsonl", &files[0][0]);
    assert_eq!(back.len(), 2);
    assert_row(&back[0], 0);
    assert_row(&back[1], 1);
}

#[test]
fn write_table_output_prints_one_group_a_line() {
    let dir = TempDir::created("table");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(4));
    let out_dir = dir.join("out");
    let out = bin(&[
        "write",
        "--schema",
        &schema,
        "--format",
        "numpy",
        "--chunk-size",
        "1",
        "--out",
        out_dir.to_str().unwrap(),
        "--output",
        "table",
        &rows,
    ])
    .go();
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{out:#?}");
    for (n, line) in lines.iter().enumerate() {
        let files: Vec<&str> = line.split(' ').collect();
        assert_eq!(files.len(), 3, "{line}");
        for (file, column) in files.iter().zip(["id", "vector", "title"]) {
            assert!(
                file.ends_with(&format!("/{}/{column}.npy", n + 1)),
                "{line}"
            );
            assert!(Path::new(file).is_file(), "{file}");
            assert!(npy_header(file).contains("'shape': (1,"), "{file}");
        }
    }
}

#[test]
fn chunk_size_splits_the_rows_into_several_groups() {
    let dir = TempDir::created("chunks");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(5));
    let out_dir = dir.join("out");
    for (chunk_size, groups) in [("1", 5), ("100000", 1)] {
        let out = bin(&[
            "write",
            "--schema",
            &schema,
            "--format",
            "json",
            "--chunk-size",
            chunk_size,
            "--out",
            out_dir.to_str().unwrap(),
            &rows,
        ])
        .go();
        out.ok();
        let files = out.batch_files();
        assert_eq!(files.len(), groups, "{out:#?}");
        let mut next = 0;
        for (n, group) in files.iter().enumerate() {
            assert_eq!(group.len(), 1);
            assert!(group[0].ends_with(&format!("/{}.json", n + 1)), "{group:?}");
            for got in read_back("json", &group[0]) {
                assert_row(&got, next);
                next += 1;
            }
        }
        assert_eq!(next, 5);
        assert!(
            out.stderr
                .contains(&format!("wrote 5 rows into {groups} file group(s)")),
            "{out:#?}"
        );
    }
}

#[test]
fn float16_vectors_as_bytes_by_default_or_as_floats() {
    let dir = TempDir::created("float16");
    let schema = dir.write_arg(
        "schema.json",
        r#"{"fields": [
            {"name": "id", "type": "Int64", "primaryKey": true},
            {"name": "f16", "type": "Float16Vector", "params": [{"key": "dim", "value": "2"}]},
            {"name": "bf16", "type": "BFloat16Vector", "params": [{"key": "dim", "value": "2"}]}
        ]}"#,
    );
    let rows = dir.write_arg(
        "rows.jsonl",
        "{\"id\": 1, \"f16\": [0.5, -1.0], \"bf16\": [0.5, -1.0]}\n",
    );
    let write = |format: &str, extra: &[&str]| {
        let out_dir = dir.join(&format!("{format}{}", extra.join("")));
        let mut args = vec![
            "write",
            "--schema",
            &schema,
            "--format",
            format,
            "--out",
            out_dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.push(&rows);
        let out = bin(&args).go();
        out.ok();
        out.batch_files().remove(0)
    };

    // JSON Lines (like JSON and CSV) holds the values as numbers in either form, as pymilvus
    // writes them.
    for form in ["bytes", "float"] {
        let files = write("jsonl", &["--float16", form]);
        let back = read_back("jsonl", &files[0]);
        assert_eq!(back[0]["f16"], json!([0.5, -1.0]), "{form}: {back:?}");
        assert_eq!(back[0]["bf16"], json!([0.5, -1.0]), "{form}: {back:?}");
    }
    // Parquet and NumPy: float32 values with `--float16 float`, ...
    let files = write("numpy", &["--float16", "float"]);
    assert!(files[1].ends_with("/f16.npy"), "{files:?}");
    let header = npy_header(&files[1]);
    assert!(header.contains("'descr': '<f4'"), "{header}");
    assert!(header.contains("'shape': (1, 2)"), "{header}");
    let files = write("parquet", &["--float16", "float"]);
    assert_eq!(parquet_leaf_types(&files[0])[1..], ["FLOAT", "FLOAT"]);
    // ... else 2 little-endian bytes per dimension (the default, and said explicitly).
    for extra in [&[][..], &["--float16", "bytes"]] {
        let files = write("numpy", extra);
        let header = npy_header(&files[1]);
        assert!(header.contains("'descr': '|u1'"), "{header}");
        assert!(header.contains("'shape': (1, 4)"), "{header}");
        let bytes = fs::read(&files[1]).unwrap();
        // f16: 0.5 = 0x3800, -1.0 = 0xBC00.
        assert_eq!(bytes[bytes.len() - 4..], [0x00, 0x38, 0x00, 0xBC]);
        let bytes = fs::read(&files[2]).unwrap();
        // bf16: 0.5 = 0x3F00, -1.0 = 0xBF80.
        assert_eq!(bytes[bytes.len() - 4..], [0x00, 0x3F, 0x80, 0xBF]);
        let files = write("parquet", extra);
        assert_eq!(parquet_leaf_types(&files[0])[1..], ["INT32", "INT32"]);
    }
    // A bad --float16 value is a usage error.
    let out = bin(&[
        "write",
        "--schema",
        &schema,
        "--out",
        "x",
        "--float16",
        "half",
        &rows,
    ])
    .go();
    assert_eq!(out.code, 2, "{out:#?}");
}

#[test]
fn a_bad_row_exits_1_naming_the_row_and_the_field() {
    let dir = TempDir::created("bad-row");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let out_dir = dir.join("out");
    let write = |input: String| {
        bin(&[
            "write",
            "--schema",
            &schema,
            "--format",
            "parquet",
            "--out",
            out_dir.to_str().unwrap(),
            "-",
        ])
        .stdin(input)
        .go()
    };

    // A vector of the wrong length in the second row.
    let out = write(format!(
        "{}\n{}\n{}\n",
        row(0),
        json!({"id": 1, "vector": [1.0, 2.0, 3.0], "title": "short"}),
        row(2)
    ));
    let line = out.fails(1);
    assert!(line.contains("writing the rows (line 2) failed"), "{line}");
    assert!(line.contains("row 1, field 'vector'"), "{line}");
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert!(
        files_under(&out_dir).is_empty(),
        "{:?}",
        files_under(&out_dir)
    );

    // A field the schema lacks (no dynamic field).
    let out = write(format!(
        "{}\n",
        json!({"id": 0, "vector": [1, 2, 3, 4], "title": "t", "price": 9})
    ));
    let line = out.fails(1);
    assert!(line.contains("row 0") && line.contains("price"), "{line}");

    // A missing field, and a string too long.
    let out = write(format!("{}\n", json!({"id": 0, "vector": [1, 2, 3, 4]})));
    assert!(out.fails(1).contains("'title'"), "{out:#?}");
    let long = "x".repeat(65);
    let out = write(format!(
        "{}\n",
        json!({"id": 0, "vector": [1, 2, 3, 4], "title": long})
    ));
    assert!(out.fails(1).contains("row 0, field 'title'"), "{out:#?}");

    // A line that is not JSON: its line number.
    let out = write(format!("{}\n{{\"id\": 1,\n", row(0)));
    let line = out.fails(1);
    assert!(line.contains("line 2 is not JSON"), "{line}");
    assert!(files_under(&out_dir).is_empty());

    // A row that is not an object.
    let out = write("[1, 2, 3]\n".into());
    assert!(out.fails(1).contains("row 0"), "{out:#?}");
}

#[test]
fn a_bad_schema_exits_2_and_a_missing_schema_file_is_named() {
    let dir = TempDir::created("bad-schema");
    let rows = dir.write_arg("rows.jsonl", jsonl(1));
    let out_dir = dir.join("out");
    let write = |schema: &str| {
        bin(&[
            "write",
            "--schema",
            schema,
            "--out",
            out_dir.to_str().unwrap(),
            &rows,
        ])
        .go()
    };
    for (name, text, says) in [
        (
            "no-pk.json",
            r#"{"fields": [{"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "4"}]}]}"#,
            "primary key",
        ),
        (
            "no-dim.json",
            r#"{"fields": [{"name": "id", "type": "Int64", "primaryKey": true},
                           {"name": "v", "type": "FloatVector"}]}"#,
            "dim",
        ),
        ("not-json.json", "fields: [id]", "not JSON"),
        (
            "unknown-type.json",
            r#"{"fields": [{"name": "id", "type": "Int64", "primaryKey": true},
                           {"name": "x", "type": "Quaternion"}]}"#,
            "Quaternion",
        ),
    ] {
        let schema = dir.write_arg(name, text);
        let out = write(&schema);
        let line = out.fails(2);
        assert!(line.contains("invalid schema"), "{name}: {line}");
        assert!(line.contains(says), "{name}: {line}");
        assert!(out.stdout.is_empty());
    }
    assert!(files_under(&out_dir).is_empty());

    // A schema file that does not exist: the path and the OS's reason, on one line.
    let missing = dir.join("no-such-schema.json");
    // (An I/O error: exit 1, like a missing rows file.)
    let out = write(missing.to_str().unwrap());
    let line = out.fails(1);
    assert!(
        line.contains("reading the schema failed") && line.contains("no-such-schema.json"),
        "{line}"
    );
    assert!(line.to_lowercase().contains("no such file"), "{line}");

    // A rows file that does not exist.
    let schema = dir.write_arg("schema.json", SCHEMA);
    let out = bin(&[
        "write",
        "--schema",
        &schema,
        "--out",
        out_dir.to_str().unwrap(),
        dir.join("no-rows.jsonl").to_str().unwrap(),
    ])
    .go();
    assert!(out.fails(1).contains("no-rows.jsonl"), "{out:#?}");

    // Usage: --schema and --out are required.
    for args in [
        &["write", "--out", "x"][..],
        &["write", "--schema", &schema],
        &[
            "write", "--schema", &schema, "--out", "x", "--format", "xml",
        ],
    ] {
        let out = bin(args).go();
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(out.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// import to S3 (Milvus flavor)
// ---------------------------------------------------------------------------------------------

#[test]
fn import_to_s3_with_a_schema_file_reports_true_row_counts() {
    const BUCKET: &str = "cli-schema-file";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = milvus_over(&s3, BUCKET);
    let dir = TempDir::created("import-file");
    let tmp = TempDir::created("tmp");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(7));
    let staging = dir.join("staging");
    let location = format!("s3://{BUCKET}/cli/books");
    let out = at(
        &emulator,
        &[
            "import",
            "--collection",
            "books",
            "--schema",
            &schema,
            "--s3",
            &location,
            "--s3-endpoint",
            &s3.endpoint,
            "--s3-access-key",
            ACCESS_KEY,
            "--s3-secret-key",
            SECRET_KEY,
            "--staging",
            staging.to_str().unwrap(),
            "--wait",
            "--interval",
            "10ms",
            "--output",
            "json",
            &rows,
        ],
    )
    .tmp(tmp.path())
    .go();
    out.ok().hides(&[SECRET_KEY]);

    // The object in the bucket, and the create's files: its key.
    let objects = s3.objects(BUCKET);
    assert_eq!(objects.len(), 1, "{objects:?}");
    let files = vec![vec![objects[0].clone()]];
    keys_of(&files, "cli/books", "parquet");
    let bodies = create_bodies(&emulator);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["collectionName"], "books");
    assert_eq!(bodies[0]["files"], json!(files));
    // No describe: the schema came from the file.
    assert!(emulator
        .requests()
        .iter()
        .all(|r| r.path != DESCRIBE_COLLECTION));

    // The create reply, then the final describe: the emulator read the file.
    let docs = out.json_stream();
    assert_eq!(docs.len(), 2, "{out:#?}");
    assert_eq!(docs[0]["code"], 0);
    let job = docs[0]["data"]["jobId"].as_str().expect("a job id");
    let data = &docs[1]["data"];
    assert_eq!(data["jobId"], job);
    assert_eq!(data["state"], "Completed", "{out:#?}");
    assert_eq!(data["importedRows"], 7, "{out:#?}");
    assert_eq!(data["totalRows"], 7, "{out:#?}");
    let size = s3.object(BUCKET, &objects[0]).unwrap().len();
    assert_eq!(data["fileSize"], size as u64, "{out:#?}");

    assert!(
        out.stderr
            .contains("wrote and uploaded 7 rows in 1 file group(s)"),
        "{out:#?}"
    );
    assert!(
        out.stderr.trim_end().ends_with("Completed 100% 7/7 rows"),
        "{out:#?}"
    );
    // Nothing left locally: not the staging directory, nothing in TMPDIR.
    assert!(!staging.exists(), "{:?}", files_under(&staging));
    assert!(files_under(tmp.path()).is_empty());
    assert!(s3.leftovers().is_empty());
}

#[test]
fn import_with_the_schema_from_the_server_and_credentials_from_the_environment() {
    const BUCKET: &str = "cli-schema-server";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = milvus_over(&s3, BUCKET);
    let dir = TempDir::created("import-server");
    let tmp = TempDir::created("tmp");
    let location = format!("s3://{BUCKET}/from-env/");
    let out = at(
        &emulator,
        &[
            "import",
            "--collection",
            "books",
            "--s3",
            &location,
            "--format",
            "json",
            "--chunk-size",
            "1",
            "--wait",
            "--interval",
            "10ms",
            "--output",
            "table",
            "-",
        ],
    )
    .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ENDPOINT_URL", &s3.endpoint)
    .stdin(jsonl(3))
    .tmp(tmp.path())
    .go();
    out.ok().hides(&[SECRET_KEY]);

    // The schema was asked from the server first.
    let requests = emulator.requests();
    assert_eq!(requests[0].path, DESCRIBE_COLLECTION, "{requests:?}");
    assert_eq!(
        requests[0].json.as_ref().unwrap()["collectionName"],
        "books"
    );
    // One group per row (chunk size 1), each an object; the create lists their keys.
    let bodies = create_bodies(&emulator);
    assert_eq!(bodies.len(), 1);
    let files: Vec<Vec<String>> = serde_json::from_value(bodies[0]["files"].clone()).unwrap();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut keys = keys_of(&files, "from-env", "json");
    keys.sort();
    assert_eq!(s3.objects(BUCKET), keys);
    for (i, key) in files.iter().flatten().enumerate() {
        let text = String::from_utf8(s3.object(BUCKET, key).unwrap()).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_row(&back["rows"][0], i as i64);
    }
    // The table: the job, then its final progress with the true row count.
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{out:#?}");
    assert!(lines[0].starts_with("JOB ID") && lines[2].starts_with("JOB ID"));
    let job = lines[1].split_whitespace().next().unwrap();
    assert!(lines[1].ends_with("books"), "{out:#?}");
    assert!(lines[3].starts_with(job), "{out:#?}");
    assert!(
        lines[3].contains("Completed") && lines[3].contains("3/3 rows"),
        "{out:#?}"
    );
    // The default staging directory (under TMPDIR) is gone.
    assert!(
        files_under(tmp.path()).is_empty(),
        "{:?}",
        files_under(tmp.path())
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    drop(dir);
}

#[test]
fn import_without_wait_prints_the_create_reply_and_emulator_checks_the_format() {
    const BUCKET: &str = "cli-no-wait";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = milvus_over(&s3, BUCKET);
    let dir = TempDir::created("import-no-wait");
    let tmp = TempDir::created("tmp");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(2));
    let location = format!("s3://{BUCKET}");
    let import = |format: &str| {
        at(
            &emulator,
            &[
                "import",
                "--collection",
                "books",
                "--schema",
                &schema,
                "--s3",
                &location,
                "--s3-endpoint",
                &s3.endpoint,
                "--s3-access-key",
                ACCESS_KEY,
                "--s3-secret-key",
                SECRET_KEY,
                "--format",
                format,
                "--partition",
                "p1",
                "--option",
                "timeout=300s",
                &rows,
            ],
        )
        .tmp(tmp.path())
        .go()
    };
    // CSV at the bucket's root: one reply, the job created with the options.
    let out = import("csv");
    out.ok();
    let docs = out.json_stream();
    assert_eq!(docs.len(), 1, "{out:#?}");
    assert!(docs[0]["data"]["jobId"].is_string(), "{out:#?}");
    let body = &create_bodies(&emulator)[0];
    assert_eq!(body["partitionName"], "p1");
    assert_eq!(body["options"], json!({"timeout": "300s"}));
    let key = body["files"][0][0].as_str().unwrap().to_string();
    assert!(!key.starts_with('/') && key.ends_with("/1.csv"), "{key}");
    assert_eq!(s3.objects(BUCKET), [key]);

    // JSON Lines is uploaded, but a Milvus 2.x server (the emulator) refuses it at create:
    // the upload's summary line, then the error.
    let out = import("jsonl");
    assert_eq!(out.code, 1, "{out:#?}");
    let lines: Vec<&str> = out.stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert_eq!(lines[0], "wrote and uploaded 2 rows in 1 file group(s)");
    let line = lines[1];
    assert!(line.contains(".jsonl]"), "{line}");
    assert!(
        line.contains("creating an import job into books failed"),
        "{line}"
    );
    assert!(line.contains("2100"), "{line}");
    assert_eq!(s3.objects(BUCKET).len(), 2);
    assert!(files_under(tmp.path()).is_empty());
}

#[test]
fn wrong_credentials_exit_1_and_never_show_a_secret() {
    const BUCKET: &str = "cli-wrong-creds";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = milvus_over(&s3, BUCKET);
    let dir = TempDir::created("wrong-creds");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(2));
    let location = format!("s3://{BUCKET}/denied");
    let base = [
        "import",
        "--collection",
        "books",
        "--s3",
        location.as_str(),
        "--s3-endpoint",
        s3.endpoint.as_str(),
    ];
    let secrets = [WRONG_SECRET, SECRET_KEY, SESSION_TOKEN];

    // Flags, with a schema file: one line.
    let tmp = TempDir::created("tmp");
    let mut args = base.to_vec();
    args.extend([
        "--schema",
        schema.as_str(),
        "--s3-access-key",
        ACCESS_KEY,
        "--s3-secret-key",
        WRONG_SECRET,
        "--s3-session-token",
        SESSION_TOKEN,
        rows.as_str(),
    ]);
    let out = at(&emulator, &args).tmp(tmp.path()).go();
    let line = out.fails(1).to_string();
    out.hides(&secrets);
    assert!(line.contains("403"), "{line}");
    assert!(line.contains("bucket check"), "{line}");
    // Not the Milvus hints, which are about the import API's 401/403/404.
    assert!(!line.contains("hint:"), "{line}");
    assert!(out.stdout.is_empty(), "{out:#?}");
    let local_leftovers = files_under(tmp.path());

    // The environment, --verbose, the schema from the server: the last line is the error.
    let tmp_env = TempDir::created("tmp");
    let mut args = vec!["--verbose"];
    args.extend(base);
    args.push(&rows);
    let out = at(&emulator, &args)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", WRONG_SECRET)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_REGION", "us-east-1")
        .tmp(tmp_env.path())
        .go();
    let last = out.fails_after_progress(1);
    out.hides(&secrets);
    let lines: Vec<&str> = out.stderr.trim_end().lines().collect();
    assert!(
        lines[0].starts_with(&format!("POST {DESCRIBE_COLLECTION} 200 ")),
        "{out:#?}"
    );
    assert!(last.contains("403"), "{out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");

    // No credentials at all: refused as well.
    let tmp_none = TempDir::created("tmp");
    let mut args = base.to_vec();
    args.extend(["--schema", schema.as_str(), rows.as_str()]);
    let out = at(&emulator, &args).tmp(tmp_none.path()).go();
    out.fails(1);

    // A bucket that does not exist: the store's 404, without the --uri hint.
    let out = at(
        &emulator,
        &[
            "import",
            "--collection",
            "books",
            "--schema",
            &schema,
            "--s3",
            "s3://no-such-bucket/x",
            "--s3-endpoint",
            &s3.endpoint,
            "--s3-access-key",
            ACCESS_KEY,
            "--s3-secret-key",
            SECRET_KEY,
            &rows,
        ],
    )
    .tmp(tmp_none.path())
    .go();
    let line = out.fails(1);
    assert!(line.contains("404 NoSuchBucket"), "{line}");
    assert!(!line.contains("hint:"), "{line}");
    out.hides(&secrets);

    // Nothing reached the bucket or the import API.
    assert!(s3.objects(BUCKET).is_empty());
    assert!(s3.leftovers().is_empty());
    assert!(create_bodies(&emulator).is_empty());
    // Nothing left in the staging area either.
    assert!(
        local_leftovers.is_empty(),
        "left behind: {local_leftovers:?}"
    );
    assert!(files_under(tmp_env.path()).is_empty());
    assert!(files_under(tmp_none.path()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// import into a Zilliz volume (cloud flavor)
// ---------------------------------------------------------------------------------------------

#[test]
fn import_into_a_volume_sends_data_paths() {
    const BUCKET: &str = "cli-volumes";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = Emulator::start(
        EmulatorConfig::cloud()
            .cluster_id(CLUSTER)
            .timing(Timing::PerPoll)
            .collection("books", schema())
            .volume_store(&s3.endpoint, BUCKET, ACCESS_KEY, SECRET_KEY, "us-east-1"),
    )
    .expect("emulator");
    BulkImportApi::new(emulator.url(), "")
        .unwrap()
        .volumes()
        .create_volume(&CreateVolumeRequest::new(PROJECT, REGION, "vol"))
        .expect("create volume");
    emulator.clear_requests();
    let dir = TempDir::created("volume");
    let tmp = TempDir::created("tmp");
    let rows = dir.write_arg("rows.jsonl", jsonl(4));

    // The default path in the volume is the collection's name; the schema is the server's.
    let out = at(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "--verbose",
            "import",
            "--collection",
            "books",
            "--volume",
            "vol",
            "--wait",
            "--interval",
            "10ms",
            "--output",
            "json",
            &rows,
        ],
    )
    .tmp(tmp.path())
    .go();
    out.ok().hides(&[SECRET_KEY, "emulator-session-"]);
    let bodies = create_bodies(&emulator);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["clusterId"], CLUSTER);
    assert_eq!(bodies[0]["volumeName"], "vol");
    assert_eq!(bodies[0]["files"], Value::Null, "{}", bodies[0]);
    assert_eq!(bodies[0]["objectUrls"], Value::Null, "{}", bodies[0]);
    let paths: Vec<Vec<String>> = serde_json::from_value(bodies[0]["dataPaths"].clone()).unwrap();
    let paths = keys_of(&paths, "books", "parquet");
    let expected: Vec<String> = paths.iter().map(|p| format!("volumes/vol/{p}")).collect();
    assert_eq!(s3.objects(BUCKET), expected);
    let (n, _) = {
        let local = dir.join("object.parquet");
        fs::write(&local, s3.object(BUCKET, &expected[0]).unwrap()).unwrap();
        parquet_rows(local.to_str().unwrap())
    };
    assert_eq!(n, 4);
    let docs = out.json_stream();
    assert_eq!(docs.len(), 2, "{out:#?}");
    assert_eq!(docs[1]["data"]["state"], "Completed", "{out:#?}");
    assert!(
        out.stderr.contains("POST /v2/volumes/apply 200 "),
        "{out:#?}"
    );
    assert!(files_under(tmp.path()).is_empty());

    // A path of one's own.
    emulator.clear_requests();
    let out = at(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "import",
            "--collection",
            "books",
            "--volume",
            "vol",
            "--volume-path",
            "imports/2024",
            "--format",
            "json",
            &rows,
        ],
    )
    .tmp(tmp.path())
    .go();
    out.ok().hides(&[SECRET_KEY, "emulator-session-"]);
    let body = &create_bodies(&emulator)[0];
    let paths: Vec<Vec<String>> = serde_json::from_value(body["dataPaths"].clone()).unwrap();
    let paths = keys_of(&paths, "imports/2024", "json");
    assert!(s3
        .objects(BUCKET)
        .contains(&format!("volumes/vol/{}", paths[0])));

    // A volume that does not exist: the cloud's error, exit 1.
    let out = at(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "import",
            "--collection",
            "books",
            "--volume",
            "nope",
            &rows,
        ],
    )
    .tmp(tmp.path())
    .go();
    let line = out.fails(1);
    assert!(line.contains("96101") || line.contains("nope"), "{line}");
    assert!(
        line.contains("96101") && line.contains("Volume nope not found"),
        "{line}"
    );
    assert_eq!(create_bodies(&emulator).len(), 1);
    assert!(files_under(tmp.path()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// import errors
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unknown_collection_exits_1_with_the_servers_message() {
    let emulator =
        Emulator::start(EmulatorConfig::milvus().timing(Timing::PerPoll)).expect("emulator");
    let dir = TempDir::created("unknown");
    let tmp = TempDir::created("tmp");
    let rows = dir.write_arg("rows.jsonl", jsonl(1));
    let out = at(
        &emulator,
        &[
            "import",
            "--collection",
            "nope",
            "--s3",
            "s3://bucket/prefix",
            "--s3-endpoint",
            "http://127.0.0.1:9",
            &rows,
        ],
    )
    .tmp(tmp.path())
    .go();
    let line = out.fails(1);
    assert!(line.contains("describing collection nope failed"), "{line}");
    assert!(
        line.contains("can't find collection[database=default][collection=nope]"),
        "{line}"
    );
    assert!(line.contains("100"), "{line}");
    assert!(out.stdout.is_empty());
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, DESCRIBE_COLLECTION);
    assert!(files_under(tmp.path()).is_empty());
}

#[test]
fn import_usage_errors_exit_2_before_anything_is_sent() {
    let emulator = Emulator::start(EmulatorConfig::milvus()).expect("emulator");
    let dir = TempDir::created("usage");
    let tmp = TempDir::created("tmp");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(1));
    // An --s3 location without a bucket, or not an s3:// URL: one line, exit 2.
    for location in ["s3://", "s3:///prefix", "bucket/prefix", "https://bucket/x"] {
        let out = at(
            &emulator,
            &[
                "import",
                "--collection",
                "books",
                "--schema",
                &schema,
                "--s3",
                location,
                "--s3-endpoint",
                "http://127.0.0.1:9",
                &rows,
            ],
        )
        .tmp(tmp.path())
        .go();
        let line = out.fails(2);
        assert!(line.contains("--s3"), "{location}: {line}");
        assert!(out.stdout.is_empty());
    }
    // clap: neither or both targets, no collection, an unknown format. (`--volume-path` with
    // `--s3`, or `--s3-endpoint` with `--volume`, is not refused: their `requires` is waived by
    // clap because the required argument conflicts with the other target, which is present.)
    for args in [
        &["import", "--collection", "books", &rows][..],
        &[
            "import",
            "--collection",
            "books",
            "--s3",
            "s3://b/p",
            "--volume",
            "v",
            &rows,
        ],
        &["import", "--s3", "s3://b/p", &rows],
        &[
            "import",
            "--collection",
            "books",
            "--s3",
            "s3://b/p",
            "--format",
            "avro",
            &rows,
        ],
    ] {
        let out = at(&emulator, args).tmp(tmp.path()).go();
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(out.stdout.is_empty());
    }
    // A bad schema file: exit 2 as for write.
    let bad = dir.write_arg("bad.json", r#"{"fields": []}"#);
    let out = at(
        &emulator,
        &[
            "import",
            "--collection",
            "books",
            "--schema",
            &bad,
            "--s3",
            "s3://b/p",
            "--s3-endpoint",
            "http://127.0.0.1:9",
            &rows,
        ],
    )
    .tmp(tmp.path())
    .go();
    assert!(out.fails(2).contains("invalid schema"), "{out:#?}");
    assert!(emulator.requests().is_empty());
    assert!(files_under(tmp.path()).is_empty());
}

#[test]
fn a_bad_row_in_import_exits_1_before_any_job_is_created() {
    const BUCKET: &str = "cli-bad-row";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = milvus_over(&s3, BUCKET);
    let dir = TempDir::created("import-bad-row");
    let tmp = TempDir::created("tmp");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let location = format!("s3://{BUCKET}/p");
    let input = format!("{}\n{}\n{}\n", row(0), row(1), json!({"id": 2}));
    let out = at(
        &emulator,
        &[
            "import",
            "--collection",
            "books",
            "--schema",
            &schema,
            "--s3",
            &location,
            "--s3-endpoint",
            &s3.endpoint,
            "--s3-access-key",
            ACCESS_KEY,
            "--s3-secret-key",
            SECRET_KEY,
            "--chunk-size",
            "1",
            "-",
        ],
    )
    .stdin(input)
    .tmp(tmp.path())
    .go();
    let line = out.fails(1);
    assert!(line.contains("row 2, field 'vector'"), "{line}");
    assert!(out.stdout.is_empty());
    assert!(create_bodies(&emulator).is_empty());
    // The chunks written before the bad row were uploaded (and stay in the bucket); nothing
    // is left locally.
    assert_eq!(s3.objects(BUCKET).len(), 2, "{:?}", s3.objects(BUCKET));
    assert!(
        files_under(tmp.path()).is_empty(),
        "{:?}",
        files_under(tmp.path())
    );
}

#[test]
fn import_to_s3_on_zilliz_cloud_sends_object_urls_and_the_credentials() {
    const BUCKET: &str = "cli-cloud-s3";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = Emulator::start(
        EmulatorConfig::cloud()
            .cluster_id(CLUSTER)
            .timing(Timing::PerPoll)
            .collection("books", schema()),
    )
    .expect("emulator");
    let tmp = TempDir::created("tmp");
    let location = format!("s3://{BUCKET}/cloud");
    let out = at(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "--verbose",
            "import",
            "--collection",
            "books",
            "--s3",
            &location,
            "--s3-endpoint",
            &s3.endpoint,
            "-",
        ],
    )
    .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    .stdin(jsonl(2))
    .tmp(tmp.path())
    .go();
    out.ok().hides(&[SECRET_KEY]);
    let objects = s3.objects(BUCKET);
    assert_eq!(objects.len(), 1, "{objects:?}");
    let body = &create_bodies(&emulator)[0];
    // The cloud reads the user's bucket: the objects' URLs, and the keys to read them with.
    assert_eq!(
        body["objectUrls"],
        json!([[format!("{}/{BUCKET}/{}", s3.endpoint, objects[0])]])
    );
    assert_eq!(body["accessKey"], ACCESS_KEY);
    assert_eq!(body["secretKey"], SECRET_KEY);
    assert_eq!(body["files"], Value::Null);
    assert!(files_under(tmp.path()).is_empty());
}

#[test]
fn refused_volume_credentials_exit_1_without_secrets() {
    const BUCKET: &str = "cli-volume-denied";
    let s3 = S3Server::start(&[BUCKET]);
    // The emulator hands out a secret the S3 server does not accept.
    let emulator = Emulator::start(
        EmulatorConfig::cloud()
            .cluster_id(CLUSTER)
            .collection("books", schema())
            .volume_store(&s3.endpoint, BUCKET, ACCESS_KEY, WRONG_SECRET, "us-east-1"),
    )
    .expect("emulator");
    BulkImportApi::new(emulator.url(), "")
        .unwrap()
        .volumes()
        .create_volume(&CreateVolumeRequest::new(PROJECT, REGION, "vol"))
        .expect("create volume");
    let tmp = TempDir::created("tmp");
    for verbose in [false, true] {
        let mut args = vec!["--cluster-id", CLUSTER];
        if verbose {
            args.push("--verbose");
        }
        args.extend(["import", "--collection", "books", "--volume", "vol", "-"]);
        let out = at(&emulator, &args).stdin(jsonl(2)).tmp(tmp.path()).go();
        let last = out.fails_after_progress(1);
        out.hides(&[WRONG_SECRET, SECRET_KEY, "emulator-session-"]);
        assert!(last.contains("HTTP 403"), "{last}");
        assert!(!last.contains("hint:"), "{last}");
        if !verbose {
            out.fails(1);
        }
    }
    assert!(s3.objects(BUCKET).is_empty());
    assert!(create_bodies(&emulator).is_empty());
    // The default staging directory (under TMPDIR) is removed even though the upload failed.
    assert!(
        files_under(tmp.path()).is_empty(),
        "{:?}",
        files_under(tmp.path())
    );
}

// ---------------------------------------------------------------------------------------------
// A closed stderr (issue 11)
// ---------------------------------------------------------------------------------------------

#[test]
fn write_with_a_closed_stderr_still_prints_the_files() {
    let dir = TempDir::created("closed-stderr");
    let schema = dir.write_arg("schema.json", SCHEMA);
    let rows = dir.write_arg("rows.jsonl", jsonl(3));
    let out_dir = dir.join("out");
    let out = bin(&[
        "write",
        "--schema",
        &schema,
        "--format",
        "jsonl",
        "--out",
        out_dir.to_str().unwrap(),
        "--output",
        "json",
        &rows,
    ])
    .stderr_closed()
    .go();
    out.ok();
    let files = out.batch_files();
    assert_eq!(read_back("jsonl", &files[0][0]).len(), 3);
}

#[test]
fn import_with_a_closed_stderr_creates_and_waits_for_the_job() {
    // The "wrote and uploaded" line and the progress lines go nowhere; the import goes on.
    const BUCKET: &str = "cli-closed-stderr";
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = milvus_over(&s3, BUCKET);
    let tmp = TempDir::created("tmp");
    let location = format!("s3://{BUCKET}/closed");
    let out = at(
        &emulator,
        &[
            "--verbose",
            "import",
            "--collection",
            "books",
            "--schema",
            &TempDir::created("schema").write_arg("schema.json", SCHEMA),
            "--s3",
            &location,
            "--s3-endpoint",
            &s3.endpoint,
            "--s3-access-key",
            ACCESS_KEY,
            "--s3-secret-key",
            SECRET_KEY,
            "--wait",
            "--interval",
            "10ms",
            "--output",
            "json",
        ],
    )
    .stdin(jsonl(4))
    .tmp(tmp.path())
    .stderr_closed()
    .go();
    out.ok().hides(&[SECRET_KEY]);
    let docs = out.json_stream();
    assert_eq!(docs.len(), 2, "{out:#?}");
    assert_eq!(docs[1]["data"]["state"], "Completed", "{out:#?}");
    assert_eq!(docs[1]["data"]["importedRows"], 4, "{out:#?}");
    assert_eq!(create_bodies(&emulator).len(), 1);
    assert!(files_under(tmp.path()).is_empty());
}
