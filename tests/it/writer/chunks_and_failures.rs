//! Chunks and files: splitting at the chunk size inside `append_row`, the buffered-size estimate,
//! NumPy batch files, the writer's folder; and what happens when writing fails (rows kept, no
//! partial files left).

use super::*;

/// Every file (not directory) under `dir`, recursively, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn assert_no_partial_files(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                !name.ends_with(".partial"),
                "left behind: {}",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
}

// ================================================================ chunks and batch_files

fn id_vector_schema() -> CollectionSchema {
    // pymilvus's estimate: 8 (Int64) + 4·5 (FloatVector dim 5) = 28 bytes a row.
    one_field("v", FieldSchema::new("v", DataType::FloatVector).dim(5))
}

fn id_vector_row(id: i64) -> Value {
    json!({"id": id, "v": [0.5, 1.0, 1.5, 2.0, 2.5]})
}

fn assert_uuid(name: &str) {
    let b = name.as_bytes();
    assert_eq!(b.len(), 36, "{name}");
    for (i, c) in b.iter().enumerate() {
        if [8, 13, 18, 23].contains(&i) {
            assert_eq!(*c, b'-', "{name}");
        } else {
            assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{name}");
        }
    }
    assert_eq!(b[14], b'4', "version 4: {name}");
}

#[test]
fn splits_files_at_chunk_size_inside_append_row() {
    let dir = TempDir::created("split");
    let mut w = builder(&id_vector_schema(), dir.path(), BulkFileType::Jsonl)
        .chunk_size(40)
        .build()
        .unwrap();
    assert_eq!(w.data_path().parent(), Some(dir.path()));
    assert_uuid(&w.data_path().file_name().unwrap().to_string_lossy());

    w.append_row(&id_vector_row(1)).unwrap();
    assert_eq!(w.buffered_size(), 28);
    assert_eq!(w.buffered_rows(), 1);
    assert!(w.batch_files().is_empty());
    // 56 > 40: the second row goes into the chunk, which is written before append_row returns.
    w.append_row(&id_vector_row(2)).unwrap();
    assert_eq!((w.buffered_rows(), w.buffered_size()), (0, 0));
    let first = w.data_path().join("1.jsonl");
    assert_eq!(w.batch_files(), [[first.display().to_string()]]);
    assert!(first.is_file());
    for id in 3..=5 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    assert_eq!(w.batch_files().len(), 2);
    assert_eq!(w.buffered_rows(), 1);
    w.commit().unwrap();
    assert_eq!(w.total_rows(), 5);

    let files = w.batch_files();
    let want: Vec<Vec<String>> = (1..=3)
        .map(|n| {
            vec![w
                .data_path()
                .join(format!("{n}.jsonl"))
                .display()
                .to_string()]
        })
        .collect();
    assert_eq!(files, want);
    let ids: Vec<Vec<Value>> = files
        .iter()
        .map(|f| col_of(&read_jsonl(Path::new(&f[0])), "id"))
        .collect();
    assert_eq!(
        ids,
        [
            vec![json!(1), json!(2)],
            vec![json!(3), json!(4)],
            vec![json!(5)]
        ]
    );
    assert_eq!(
        files_under(w.data_path()),
        ["1.jsonl", "2.jsonl", "3.jsonl"]
    );
}

#[test]
fn chunk_limit_is_strictly_greater() {
    // 2 rows = 56 bytes, not above 56: the chunk closes after the third row (84 > 56).
    let dir = TempDir::created("split-strict");
    let mut w = builder(&id_vector_schema(), dir.path(), BulkFileType::Parquet)
        .chunk_size(56)
        .build()
        .unwrap();
    for id in 1..=7 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    w.commit().unwrap();
    let counts: Vec<usize> = w
        .batch_files()
        .iter()
        .map(|f| read_parquet(Path::new(&f[0])).rows.len())
        .collect();
    assert_eq!(counts, [3, 3, 1]);
}

#[test]
fn buffered_size_is_pymilvus_estimate() {
    let dir = TempDir::created("size");
    let mut w = build(&all_types_schema(), dir.path(), BulkFileType::Parquet);
    let rows = all_types_rows();
    // Row 0: 8 id + 1 b + 1 i8 + 2 i16 + 4 i32 + 8 i64 + 4 f + 8 d + 10 s + 11 t + 11 g
    // + 20 tz + 20 j (json.dumps with \u00e9) + 6 arr_i + 4 arr_s (characters) + 12 fv + 2 bv
    // + 8 hv + 8 bfv (4·dim for float input) + 3 i8v + 24 sp (12 per entry) + 4 dflt
    // + 5 dflt_s + 1 nb; dynamic keys count nothing.
    w.append_row(&rows[0]).unwrap();
    assert_eq!(w.buffered_size(), 185);
    // Row 1: nulls and defaults count nothing: 8+1+1+2+4 + 4 f + 8 d + 12+2+8+8+3.
    w.append_row(&rows[1]).unwrap();
    assert_eq!(w.buffered_size(), 185 + 61);
    // Row 2: "[1, 2]" is 6 characters of JSON text; sparse indices/values counts 24.
    w.append_row(&rows[2]).unwrap();
    assert_eq!(
        w.buffered_size(),
        185 + 61
            + (8 + 1
                + 1
                + 2
                + 4
                + 8
                + 4
                + 8
                + 1
                + 1
                + 11
                + 25
                + 6
                + 2
                + 12
                + 2
                + 8
                + 8
                + 3
                + 24
                + 1)
    );
    // Bytes input counts what it is: dim/8 for binary, 2·dim for half floats.
    let dir2 = TempDir::created("size-bytes");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("bv", DataType::BinaryVector).dim(16))
        .field(FieldSchema::new("hv", DataType::Float16Vector).dim(2));
    let mut w = build(&schema, dir2.path(), BulkFileType::Parquet);
    w.append_row(&BytesRow {
        id: 1,
        bv: Bytes(vec![1, 2]),
        hv: Bytes(vec![0, 60, 0, 64]),
    })
    .unwrap();
    assert_eq!(w.buffered_size(), 8 + 2 + 4);
}

#[test]
fn commit_with_nothing_buffered_writes_nothing() {
    let dir = TempDir::created("empty-commit");
    let mut w = build(&id_vector_schema(), dir.path(), BulkFileType::Csv);
    w.commit().unwrap();
    assert!(w.batch_files().is_empty());
    assert!(files_under(w.data_path()).is_empty());
    w.append_row(&id_vector_row(1)).unwrap();
    w.commit().unwrap();
    w.commit().unwrap();
    w.commit().unwrap();
    w.append_row(&id_vector_row(2)).unwrap();
    w.commit().unwrap();
    // File numbers have no gaps for empty commits.
    assert_eq!(files_under(w.data_path()), ["1.csv", "2.csv"]);
    assert_eq!(w.batch_files().len(), 2);
}

#[test]
fn numpy_batch_files_are_column_groups() {
    let dir = TempDir::created("numpy-groups");
    let schema = id_vector_schema().enable_dynamic_field(true);
    let mut w = builder(&schema, dir.path(), BulkFileType::Numpy)
        .chunk_size(40)
        .build()
        .unwrap();
    for id in 1..=3 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    w.commit().unwrap();
    let want: Vec<Vec<String>> = (1..=2)
        .map(|n| {
            ["id", "v", "$meta"]
                .iter()
                .map(|c| {
                    w.data_path()
                        .join(format!("{n}/{c}.npy"))
                        .display()
                        .to_string()
                })
                .collect()
        })
        .collect();
    assert_eq!(w.batch_files(), want);
    assert_eq!(read_npy(&w.data_path().join("1/id.npy")).i64s(), [1, 2]);
    assert_eq!(read_npy(&w.data_path().join("2/id.npy")).i64s(), [3]);
    let v = read_npy(&w.data_path().join("2/v.npy"));
    assert_eq!(v.shape, [1, 5]);
    assert_eq!(v.f32s(), [0.5, 1.0, 1.5, 2.0, 2.5]);
    assert_no_partial_files(w.data_path());
}

// ================================================================ failed writes

#[test]
fn commit_into_a_removed_folder_fails_and_keeps_rows() {
    let dir = TempDir::created("io-removed");
    let mut w = build(&id_vector_schema(), dir.path(), BulkFileType::Parquet);
    for id in 1..=3 {
        w.append_row(&id_vector_row(id)).unwrap();
    }
    fs::remove_dir(w.data_path()).unwrap();
    let err = w.commit().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(!w.data_path().exists(), "no file appears");
    assert!(w.batch_files().is_empty());
    assert_eq!(w.buffered_rows(), 3);
    // Until the failed chunk is written, new rows are refused (not piled up).
    let refused = w.append_row(&id_vector_row(4)).unwrap_err();
    assert!(matches!(refused, Error::InvalidRequest(_)), "{refused:?}");
    assert!(refused.to_string().contains("commit()"), "{refused}");

    fs::create_dir(w.data_path()).unwrap();
    w.commit().unwrap();
    w.append_row(&id_vector_row(4)).unwrap();
    w.commit().unwrap();
    let pq = read_parquet(&w.data_path().join("1.parquet"));
    assert_eq!(pq.col("id"), [json!(1), json!(2), json!(3)]);
    let pq = read_parquet(&w.data_path().join("2.parquet"));
    assert_eq!(pq.col("id"), [json!(4)]);
    assert_eq!(files_under(w.data_path()), ["1.parquet", "2.parquet"]);
}

#[test]
fn commit_when_the_folder_is_a_file_fails_and_keeps_rows() {
    for ft in [BulkFileType::Json, BulkFileType::Numpy] {
        let dir = TempDir::created("io-file");
        let mut w = build(&id_vector_schema(), dir.path(), ft);
        w.append_row(&id_vector_row(1)).unwrap();
        fs::remove_dir(w.data_path()).unwrap();
        fs::write(w.data_path(), b"in the way").unwrap();
        let err = w.commit().unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{ft:?}: {err:?}");
        assert_eq!(fs::read(w.data_path()).unwrap(), b"in the way");
        assert_eq!(w.buffered_rows(), 1);

        fs::remove_file(w.data_path()).unwrap();
        fs::create_dir(w.data_path()).unwrap();
        w.commit().unwrap();
        assert_eq!(w.batch_files().len(), 1);
        assert_eq!(w.buffered_rows(), 0);
        assert_no_partial_files(w.data_path());
    }
}

#[test]
fn a_file_that_cannot_be_renamed_into_place_leaves_nothing_behind() {
    // The final name is taken by a (non-empty) directory: the rename fails after the data was
    // written under the temporary name, which must be removed.
    for ft in [
        BulkFileType::Csv,
        BulkFileType::Parquet,
        BulkFileType::Numpy,
    ] {
        let dir = TempDir::created("io-rename");
        let mut w = build(&id_vector_schema(), dir.path(), ft);
        w.append_row(&id_vector_row(1)).unwrap();
        let target = match ft {
            BulkFileType::Numpy => w.data_path().join("1"),
            _ => w.data_path().join(format!("1.{}", ft.extension())),
        };
        fs::create_dir(&target).unwrap();
        fs::write(target.join("blocker"), b"x").unwrap();
        let err = w.commit().unwrap_err();
        match &err {
            Error::Io { action, .. } => assert!(action.contains("renam"), "{ft:?}: {err}"),
            other => panic!("{ft:?}: expected Io, got {other:?}"),
        }
        assert_no_partial_files(w.data_path());
        assert_eq!(
            files_under(w.data_path()).len(),
            1,
            "only the blocker: {ft:?}"
        );
        assert_eq!(w.buffered_rows(), 1);

        fs::remove_dir_all(&target).unwrap();
        assert!(
            w.append_row(&id_vector_row(2)).is_err(),
            "refused until commit"
        );
        w.commit().unwrap();
        assert_no_partial_files(w.data_path());
        let files = w.batch_files();
        assert_eq!(files.len(), 1, "{ft:?}");
        let ids: Vec<i64> = match ft {
            BulkFileType::Csv => read_csv(Path::new(&files[0][0]), ',')
                .col("id")
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            BulkFileType::Parquet => read_parquet(Path::new(&files[0][0]))
                .col("id")
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect(),
            _ => read_npy(Path::new(&files[0][0])).i64s(),
        };
        assert_eq!(ids, [1], "{ft:?}");
    }
}

#[test]
fn a_failed_split_in_append_row_keeps_the_row() {
    let dir = TempDir::created("io-split");
    let mut w = builder(&id_vector_schema(), dir.path(), BulkFileType::Jsonl)
        .chunk_size(40)
        .build()
        .unwrap();
    w.append_row(&id_vector_row(1)).unwrap();
    fs::remove_dir(w.data_path()).unwrap();
    // The row is taken, then writing the full chunk fails: the error is returned and both
    // rows stay buffered.
    let err = w.append_row(&id_vector_row(2)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!((w.buffered_rows(), w.total_rows()), (2, 2));
    fs::create_dir(w.data_path()).unwrap();
    w.commit().unwrap();
    let rows = read_jsonl(&w.data_path().join("1.jsonl"));
    assert_eq!(col_of(&rows, "id"), [json!(1), json!(2)]);
}

// ================================================================ the writer's folder

#[test]
fn folder_is_removed_on_drop_when_nothing_was_written() {
    let dir = TempDir::created("drop");
    let nested = dir.path().join("a/b"); // created with its parents
    let w = build(&id_vector_schema(), &nested, BulkFileType::Parquet);
    let data_path = w.data_path().to_path_buf();
    assert!(data_path.is_dir());
    drop(w);
    assert!(!data_path.exists());
    assert!(nested.is_dir(), "only the writer's own folder goes");

    // Rows never committed are not written (as in pymilvus), and the folder goes too.
    let mut w = build(&id_vector_schema(), &nested, BulkFileType::Parquet);
    w.append_row(&id_vector_row(1)).unwrap();
    let data_path = w.data_path().to_path_buf();
    drop(w);
    assert!(!data_path.exists());

    // Written files stay.
    let mut w = build(&id_vector_schema(), &nested, BulkFileType::Parquet);
    w.append_row(&id_vector_row(1)).unwrap();
    w.commit().unwrap();
    let data_path = w.data_path().to_path_buf();
    drop(w);
    assert_eq!(files_under(&data_path), ["1.parquet"]);
}

#[test]
fn each_writer_gets_its_own_folder() {
    let dir = TempDir::created("uuid");
    let a = build(&id_vector_schema(), dir.path(), BulkFileType::Json);
    let b = build(&id_vector_schema(), dir.path(), BulkFileType::Json);
    assert_ne!(a.data_path(), b.data_path());
    assert_eq!(a.file_type(), BulkFileType::Json);
    assert_eq!(BulkFileType::default(), BulkFileType::Parquet);
    assert_eq!(
        [
            BulkFileType::Parquet,
            BulkFileType::Json,
            BulkFileType::Jsonl,
            BulkFileType::Csv,
            BulkFileType::Numpy
        ]
        .map(BulkFileType::extension),
        ["parquet", "json", "jsonl", "csv", "npy"]
    );
}

#[test]
fn what_pymilvus_does_not_count_still_ends_a_chunk() {
    // 28 estimated bytes a row, but ~600 bytes of dynamic keys: the chunk ends when the rows
    // hold twice chunk_size, so memory stays bounded.
    let schema = id_vector_schema().enable_dynamic_field(true);
    let dir = TempDir::created("extra-bytes");
    let mut w = builder(&schema, dir.path(), BulkFileType::Jsonl)
        .chunk_size(1000)
        .build()
        .unwrap();
    let note = "n".repeat(600);
    for id in 1..=3 {
        let mut row = id_vector_row(id);
        row["note"] = json!(note);
        w.append_row(&row).unwrap();
        assert!(w.batch_files().is_empty(), "row {id}");
    }
    let mut row = id_vector_row(4);
    row["note"] = json!(note);
    w.append_row(&row).unwrap();
    assert_eq!(w.batch_files().len(), 1, "4 rows hold ~2.5 KB > 2 x 1000");
    assert_eq!(w.buffered_rows(), 0);
}
