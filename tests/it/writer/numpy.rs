//! NumPy: every supported type written as one `.npy` file per field and read back with a small
//! `.npy` parser, and the float16 form.

use super::*;

/// NumPy holds no arrays, sparse vectors or nulls.
fn numpy_schema() -> CollectionSchema {
    use DataType as T;
    CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("b", T::Bool))
        .field(FieldSchema::new("i8", T::Int8))
        .field(FieldSchema::new("i16", T::Int16))
        .field(FieldSchema::new("i32", T::Int32))
        .field(FieldSchema::new("f", T::Float))
        .field(FieldSchema::new("d", T::Double))
        .field(FieldSchema::new("s", T::VarChar).max_length(16))
        .field(FieldSchema::new("t", T::Text))
        .field(FieldSchema::new("j", T::Json))
        .field(FieldSchema::new("fv", T::FloatVector).dim(3))
        .field(FieldSchema::new("bv", T::BinaryVector).dim(16))
        .field(FieldSchema::new("hv", T::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", T::BFloat16Vector).dim(2))
        .field(FieldSchema::new("i8v", T::Int8Vector).dim(3))
        .field(FieldSchema::new("dflt", T::Int32).default_value(json!(42)))
        .field(FieldSchema::new("nb", T::Bool).nullable(true))
        .enable_dynamic_field(true)
}

const NUMPY_COLUMNS: [&str; 18] = [
    "id", "b", "i8", "i16", "i32", "f", "d", "s", "t", "j", "fv", "bv", "hv", "bfv", "i8v", "dflt",
    "nb", "$meta",
];

fn numpy_rows() -> Vec<Value> {
    vec![
        v(
            r#"{"id": 1, "b": true, "i8": -128, "i16": 32767, "i32": -7, "f": 0.1, "d": 0.1,
              "s": "héllo", "t": "世界", "j": {"k": "é"}, "fv": [0.1, -1.5, 3],
              "bv": [1,0,1,0,0,0,0,1, 1,1,1,1,1,1,1,1], "hv": [0.1, -2.0], "bfv": [0.1, 1.0],
              "i8v": [-128, 0, 127], "nb": false, "extra": 7}"#,
        ),
        v(
            r#"{"id": 2, "b": false, "i8": 127, "i16": -1, "i32": 2147483647, "f": 1, "d": -2.5,
              "s": "", "t": "a", "j": [1, 2], "fv": [0, 0, 0],
              "bv": [0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0], "hv": [65504, -0.5], "bfv": [-1, 0],
              "i8v": [1, -1, 0], "dflt": 5, "nb": true}"#,
        ),
    ]
}

#[test]
fn numpy_files_hold_every_supported_type() {
    let dir = TempDir::created("numpy-all");
    let mut w = build(&numpy_schema(), dir.path(), BulkFileType::Numpy);
    for row in numpy_rows() {
        w.append_row(&row).unwrap();
    }
    w.commit().unwrap();
    let files = w.batch_files();
    assert_eq!(files.len(), 1);
    let folder = w.data_path().join("1");
    let want: Vec<String> = NUMPY_COLUMNS
        .iter()
        .map(|c| folder.join(format!("{c}.npy")).display().to_string())
        .collect();
    assert_eq!(files[0], want, "one file per column, in column order");
    let npy = |name: &str| read_npy(&folder.join(format!("{name}.npy")));
    let check = |name: &str, descr: &str, shape: &[usize]| {
        let f = npy(name);
        assert_eq!(
            (f.descr.as_str(), f.shape.as_slice()),
            (descr, shape),
            "{name}"
        );
        f
    };

    assert_eq!(check("id", "<i8", &[2]).i64s(), [1, 2]);
    assert_eq!(check("b", "|b1", &[2]).data, [1, 0]);
    assert_eq!(check("i8", "|i1", &[2]).i8s(), [-128, 127]);
    assert_eq!(check("i16", "<i2", &[2]).i16s(), [32767, -1]);
    assert_eq!(check("i32", "<i4", &[2]).i32s(), [-7, i32::MAX]);
    assert_eq!(check("f", "<f4", &[2]).f32s(), [0.1f32, 1.0]);
    assert_eq!(check("d", "<f8", &[2]).f64s(), [0.1, -2.5]);
    assert_eq!(check("s", "<U5", &[2]).strings(), ["héllo", ""]);
    assert_eq!(check("t", "<U2", &[2]).strings(), ["世界", "a"]);
    let j: Vec<Value> = npy("j").strings().iter().map(|s| v(s)).collect();
    assert_eq!(j, [json!({"k": "é"}), json!([1, 2])]);
    assert!(npy("j").descr.starts_with("<U"));
    assert_eq!(
        check("fv", "<f4", &[2, 3]).f32s(),
        [0.1f32, -1.5, 3.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(check("bv", "|u1", &[2, 2]).data, [161, 255, 0, 0]);
    assert_eq!(
        check("hv", "|u1", &[2, 4]).data,
        [102, 46, 0, 192, 255, 123, 0, 184]
    );
    assert_eq!(
        check("bfv", "|u1", &[2, 4]).data,
        [205, 61, 128, 63, 128, 191, 0, 0]
    );
    assert_eq!(check("i8v", "|i1", &[2, 3]).i8s(), [-128, 0, 127, 1, -1, 0]);
    assert_eq!(check("dflt", "<i4", &[2]).i32s(), [42, 5]);
    assert_eq!(check("nb", "|b1", &[2]).data, [0, 1]);
    let meta: Vec<Value> = npy("$meta").strings().iter().map(|s| v(s)).collect();
    assert_eq!(meta, [json!({"extra": 7}), json!({})]);
}

#[test]
fn numpy_float16_float_form() {
    let dir = TempDir::created("numpy-f16-float");
    let schema = CollectionSchema::new()
        .field(pk())
        .field(FieldSchema::new("hv", DataType::Float16Vector).dim(2))
        .field(FieldSchema::new("bfv", DataType::BFloat16Vector).dim(2));
    let mut w = builder(&schema, dir.path(), BulkFileType::Numpy)
        .float16_form(Float16Form::Float)
        .build()
        .unwrap();
    w.append_row(&json!({"id": 1, "hv": [0.1, -2.0], "bfv": [0.1, 1.0]}))
        .unwrap();
    w.append_row(&json!({"id": 2, "hv": [65504, -0.5], "bfv": [-1, 0]}))
        .unwrap();
    w.commit().unwrap();
    let hv = read_npy(&w.data_path().join("1/hv.npy"));
    assert_eq!(
        (hv.descr.as_str(), hv.shape.as_slice()),
        ("<f4", &[2, 2][..])
    );
    assert_eq!(hv.f32s(), [0.1f32, -2.0, 65504.0, -0.5]);
    let bfv = read_npy(&w.data_path().join("1/bfv.npy"));
    assert_eq!(bfv.descr, "<f4");
    assert_eq!(bfv.f32s(), [0.1f32, 1.0, -1.0, 0.0]);
}
