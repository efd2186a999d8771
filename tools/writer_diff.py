#!/usr/bin/env python3
"""Differential test: pymilvus 3.0.2 `LocalBulkWriter` against this crate's `BulkWriter`.

Both writers get the same schema and rows; their Parquet / JSON / JSONL / CSV / NumPy files are
read back with pyarrow, numpy, json and csv and compared column by column: names and order,
Arrow / Parquet / NumPy types, and values. Only the deliberate differences listed in
/work/shared/docs/writer-spec.md and in DEVIATIONS below are accepted, and for those the Rust
behaviour is asserted (not merely tolerated).

Run through tools/writer_diff.sh (it makes the virtualenv and builds the Rust example), or:

    VENV/bin/python tools/writer_diff.py --rust-bin target/debug/examples/write_rows \
        [--keep DIR] [--only CASE[/FORMAT],...] [--lax-key-order] [-v]

Cases: all_types (41 columns: every scalar, Array of every element type, every vector type,
nullable and default fields, `$meta`) in Parquet/JSON/JSONL/CSV and its NumPy-safe subset;
float16_float_form (Rust --float16 float, Parquet/NumPy); nullable_vectors; unknown_key_no_dynamic;
csv_sep_nullkey (sep "|", nullkey "NULL"); chunked (chunk_size 1000: same files, same rows).
Ends with "K passed, F failed" (one per case/format) and exits 1 on any mismatch.

Rust side interface (examples/write_rows.rs):
    write_rows --schema SCHEMA.json --format parquet|json|jsonl|csv|numpy --out DIR
               [--chunk-size BYTES] [--float16 bytes|float] ROWS.jsonl
    stdout: {"data_path": "DIR/<uuid>", "batch_files": [["DIR/<uuid>/1.parquet"], ...]}

DEVIATIONS (the Rust writer on purpose differs from pymilvus 3.0.2; each is asserted):
  D1 Float16/BFloat16 vectors default to the bytes form (little endian): Parquet list<uint8>
     (2*dim), NumPy |u1 (n, 2*dim), JSON/JSONL/CSV the decoded floats. The reference is the input
     double rounded to nearest even f16/bf16 directly, as numpy / ml_dtypes cast (no f32 step).
     With --float16 float, Parquet/NumPy must equal pymilvus (float32) exactly.
  D2 FLOAT scalars / Array<Float> elements / FloatVector values in JSON, JSONL and CSV JSON cells
     are f32-shortest text: compared as float32 (bit patterns, so -0.0 != 0.0).
  D3 A non-object value of a JSON field is a string holding the JSON text in JSON/JSONL files.
  D4 A null in a nullable JSON field or nullable sparse vector is an Arrow null in Parquet
     (pymilvus writes the string "null").
  D5 Nullable Int64 with a null in the chunk is exact in Rust's Parquet (pymilvus goes through
     float64 and loses precision: 2**60+1 -> 2**60).
  D6 JSON text (JSON files' layout, JSON cells in Parquet/CSV/NumPy, `$meta`) may be laid out
     differently: compared after parsing (object key order included), and NumPy JSON / `$meta`
     columns only need a `<U` dtype of any width.
"""

import argparse
import copy
import csv
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback

import ml_dtypes
import numpy as np
import pyarrow.parquet as pq
import pymilvus
from pymilvus import CollectionSchema, DataType, FieldSchema
from pymilvus.bulk_writer import BulkFileType, LocalBulkWriter

logging.disable(logging.WARNING)  # pymilvus logs every flush at INFO; keep its errors

DT = DataType
META = "$meta"
FORMATS = {
    "parquet": BulkFileType.PARQUET,
    "json": BulkFileType.JSON,
    "jsonl": BulkFileType.JSONL,
    "csv": BulkFileType.CSV,
    "numpy": BulkFileType.NUMPY,
}

# --------------------------------------------------------------------------------------------
# Schemas and rows
# --------------------------------------------------------------------------------------------


def F(name, dtype, **kw):
    return (name, dtype, kw)


MAIN_FIELDS = [
    F("id", DT.INT64, is_primary=True, auto_id=False),
    F("f_bool", DT.BOOL),
    F("f_int8", DT.INT8),
    F("f_int16", DT.INT16),
    F("f_int32", DT.INT32),
    F("f_float", DT.FLOAT),
    F("f_double", DT.DOUBLE),
    F("f_varchar", DT.VARCHAR, max_length=64),
    F("f_text", DT.TEXT),
    F("f_geo", DT.GEOMETRY),
    F("f_tstz", DT.TIMESTAMPTZ),
    F("f_json", DT.JSON),
    F("a_bool", DT.ARRAY, element_type=DT.BOOL, max_capacity=4),
    F("a_int8", DT.ARRAY, element_type=DT.INT8, max_capacity=4),
    F("a_int16", DT.ARRAY, element_type=DT.INT16, max_capacity=4),
    F("a_int32", DT.ARRAY, element_type=DT.INT32, max_capacity=4),
    F("a_int64", DT.ARRAY, element_type=DT.INT64, max_capacity=4),
    F("a_float", DT.ARRAY, element_type=DT.FLOAT, max_capacity=4),
    F("a_double", DT.ARRAY, element_type=DT.DOUBLE, max_capacity=4),
    F("a_varchar", DT.ARRAY, element_type=DT.VARCHAR, max_capacity=4, max_length=16),
    F("v_float", DT.FLOAT_VECTOR, dim=4),
    F("v_bin", DT.BINARY_VECTOR, dim=16),
    F("v_f16", DT.FLOAT16_VECTOR, dim=8),
    F("v_bf16", DT.BFLOAT16_VECTOR, dim=8),
    F("v_sparse", DT.SPARSE_FLOAT_VECTOR),
    F("v_int8", DT.INT8_VECTOR, dim=8),
    F("n_bool", DT.BOOL, nullable=True),
    F("n_int32", DT.INT32, nullable=True),
    F("n_int64", DT.INT64, nullable=True),
    F("n_float", DT.FLOAT, nullable=True),
    F("n_double", DT.DOUBLE, nullable=True),
    F("n_varchar", DT.VARCHAR, max_length=32, nullable=True),
    F("n_array", DT.ARRAY, element_type=DT.INT32, max_capacity=4, nullable=True),
    F("n_json", DT.JSON, nullable=True),
    F("d_int32", DT.INT32, default_value=7),
    F("d_float", DT.FLOAT, default_value=0.1),
    F("d_varchar", DT.VARCHAR, max_length=16, default_value="dflt é"),
    F("d_bool", DT.BOOL, default_value=True),
    F("d_double", DT.DOUBLE, default_value=2.5),
    F("nd_varchar", DT.VARCHAR, max_length=16, nullable=True, default_value="nd"),
]

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
BIG = 2**60 + 1  # loses precision through float64 (pymilvus nullable Int64 Parquet)
EMOJI = "\U0001F600"
# f16 / bf16 probes: RNE ties and a value just above a tie that an f64 -> f32 -> f16 conversion
# (double rounding) would round down: numpy and ml_dtypes convert f64 directly.
F16_TIE = 1 + 2**-11
F16_ABOVE_TIE = 1 + 2**-11 + 2**-40
BF16_TIE = 1 + 2**-8
BF16_ABOVE_TIE = 1 + 2**-8 + 2**-40


def bits(*ones, n=16):
    return [1 if i in ones else 0 for i in range(n)]


MAIN_ROWS = [
    {  # row 0: minimums, unicode, every nullable set, defaults given, extra dynamic keys
        "id": I64_MIN,
        "f_bool": True,
        "f_int8": -128,
        "f_int16": -32768,
        "f_int32": -(2**31),
        "f_float": 3e38,
        "f_double": 1e-300,
        "f_varchar": "h\u00e9llo, \u4e16\u754c " + EMOJI,
        "f_text": "",
        "f_geo": "POINT (1 2)",
        "f_tstz": "2025-01-02T03:04:05Z",
        "f_json": {
            "a": 1,
            "b": [1.5, "x", None, True],
            "u": "\u00e9\u4e16" + EMOJI + "\n\t\"\u0001",
            "nested": {"big": I64_MAX, "neg": I64_MIN, "u64": 2**64 - 1, "f": 1e300,
                       "tiny": 5e-324, "e": {}, "l": []},
            "z_last": 0.1,
        },
        "a_bool": [True, False, True],
        "a_int8": [-128, 127],
        "a_int16": [-32768, 32767, 0],
        "a_int32": [-(2**31), 2**31 - 1, 0],
        "a_int64": [I64_MIN, I64_MAX, BIG],
        "a_float": [0.1, -0.0, 3e38, 1 / 3],
        "a_double": [1e-300, 1e300, -0.0, 0.1],
        "a_varchar": ["\u00e9", "\u4e16\u754c", EMOJI, ""],
        "v_float": [0.1, -0.0, 3e38, 1e-40],
        "v_bin": bits(0, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        "v_f16": [0.1, 0.5, -1.0, 65504.0, 1 / 3, -0.0, 6e-8, F16_TIE],
        "v_bf16": [0.1, 3e38, -1.0, 1 / 3, -0.0, 1e-39, BF16_TIE, 1 + 3 * 2**-8],
        "v_sparse": {100: 0.25, 1: 0.5, 7: 1.0},
        "v_int8": [-128, 127, 0, 1, -1, 5, 100, -100],
        "n_bool": False,
        "n_int32": -5,
        "n_int64": BIG,
        "n_float": 999999.97,
        "n_double": -2.25,
        "n_varchar": "nv \u00e9 " + EMOJI,
        "n_array": [1, 2, 3],
        "n_json": {"z": 1, "a": [None]},
        "d_int32": 11,
        "d_float": 0.75,
        "d_varchar": "given",
        "d_bool": False,
        "d_double": 9.5,
        "nd_varchar": "nd given",
        "dyn_int": 1,
        "dyn_str": "hello \u00e9 \u4e16\u754c " + EMOJI,
        "dyn_big": I64_MAX,
    },
    {  # row 1: maximums, quotes/control chars, empty arrays, explicit None nullables, $meta only
        "id": I64_MAX,
        "f_bool": False,
        "f_int8": 127,
        "f_int16": 32767,
        "f_int32": 2**31 - 1,
        "f_float": -0.0,
        "f_double": 1e300,
        "f_varchar": "q\"uo'te,\n\tline2\r\nend",
        "f_text": ("Long text \u4e16\u754c, \"quoted\" " * 8).strip(),
        "f_geo": "LINESTRING (0 0, 1 1)",
        "f_tstz": "2025-01-02T03:04:05+08:00",
        "f_json": [1, "a", None, {"n": 2}],
        "a_bool": [],
        "a_int8": [],
        "a_int16": [],
        "a_int32": [],
        "a_int64": [],
        "a_float": [],
        "a_double": [],
        "a_varchar": [],
        "v_float": [1 / 3, 2.0, -1.5, 1e-8],
        "v_bin": bits(4, 5, 6, 7, 8, 9, 10, 11),
        "v_f16": [1.0, 2.0, 3.0, 4.0, -2.5, 2**-14, 1 + 3 * 2**-11, F16_ABOVE_TIE],
        "v_bf16": [1.0, -2.0, 0.5, 1e30, -1e-30, 7.0, 1.5, BF16_ABOVE_TIE],
        "v_sparse": {"indices": [3, 4294967294], "values": [0.1, 0.2]},
        "v_int8": [0, 0, 0, 0, 0, 0, 0, 0],
        "n_bool": None,
        "n_int32": None,
        "n_int64": None,
        "n_float": None,
        "n_double": None,
        "n_varchar": None,
        "n_array": None,
        "n_json": None,
        "$meta": {"m_key": [1, 2], "extra": None, "uni": "\u00e9\n" + EMOJI},
    },
    {  # row 2: nullables absent, defaults explicitly None, JSON given as a string, $meta collision
        "id": 0,
        "$meta": {"a": 1, "keep": "k"},
        "f_bool": True,
        "f_int8": 0,
        "f_int16": -1,
        "f_int32": 0,
        "f_float": 0.1,
        "f_double": -0.0,
        "f_varchar": "",
        "f_text": "tab\there",
        "f_geo": "POLYGON ((0 0, 1 0, 1 1, 0 0))",
        "f_tstz": "1970-01-01T00:00:00Z",
        "f_json": '{"u": "\u00e9", "k": [1, 2]}',  # parsed by the writer (key order kept)
        "a_bool": [False],
        "a_int8": [0],
        "a_int16": [1],
        "a_int32": [2],
        "a_int64": [3],
        "a_float": [1e-8],
        "a_double": [1 / 3],
        "a_varchar": ["a,b", "q\"q"],
        "v_float": [0.0, 1.0, -1.0, 123456789.0],
        "v_bin": bits(),
        "v_f16": [0.0, -0.0, 0.25, -0.25, 100.0, 1e-3, 0.3, 7.5],
        "v_bf16": [0.0, -0.0, 0.25, -0.25, 100.0, 1e-3, 0.3, 7.5],
        "v_sparse": {5: 1 / 3, 0: 0.001},
        "v_int8": [1, 2, 3, 4, 5, 6, 7, 8],
        "d_int32": None,
        "d_float": None,
        "d_varchar": None,
        "d_bool": None,
        "d_double": None,
        "nd_varchar": None,
        "a": 2,
    },
    {  # row 3: JSON string holding a number, some nullables set, defaults absent
        "id": 1,
        "f_bool": False,
        "f_int8": -1,
        "f_int16": 2,
        "f_int32": -3,
        "f_float": 1 / 3,
        "f_double": 1 / 3,
        "f_varchar": "plain",
        "f_text": "x",
        "f_geo": "POINT (-1.5 2.25)",
        "f_tstz": "2024-02-29T23:59:59.999999Z",
        "f_json": "5",
        "a_bool": [True],
        "a_int8": [1, 2, 3, 4],
        "a_int16": [5],
        "a_int32": [6],
        "a_int64": [7],
        "a_float": [1.5],
        "a_double": [5e-324],
        "a_varchar": ["x"],
        "v_float": [999999.97, 1e6, 1e-4, -3e38],
        "v_bin": bits(15),
        "v_f16": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        "v_bf16": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        "v_sparse": {4294967294: 1e-3},
        "v_int8": [-1, -2, -3, -4, -5, -6, -7, -8],
        "n_bool": True,
        "n_int32": 2**31 - 1,
        "n_float": 1e-8,
        "n_double": 1e16,
        "n_varchar": "x,y",
        "n_array": [],
        "n_json": [],
        "dyn_list": [1, "two", {"three": 3.0}],
    },
    {  # row 4: JSON string holding a string, no dynamic data at all
        "id": 2,
        "f_bool": True,
        "f_int8": 5,
        "f_int16": 6,
        "f_int32": 7,
        "f_float": 1e-40,
        "f_double": 5e-324,
        "f_varchar": EMOJI * 3,
        "f_text": "\u00e9",
        "f_geo": "POINT (0 0)",
        "f_tstz": "2025-01-02T03:04:05.123+05:30",
        "f_json": '"just a string \u00e9"',
        "a_bool": [False, False],
        "a_int8": [-5],
        "a_int16": [-6],
        "a_int32": [-7],
        "a_int64": [-8],
        "a_float": [-2.5],
        "a_double": [1e16],
        "a_varchar": [""],
        "v_float": [0.5, 0.25, 0.125, 0.0625],
        "v_bin": bits(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        "v_f16": [0.5, 0.25, 0.125, 0.0625, 6e-5, -65504.0, 0.999, 2.0],
        "v_bf16": [0.5, 0.25, 0.125, 0.0625, -3e38, 1e-38, 0.999, 2.0],
        "v_sparse": {"indices": [9], "values": [0.75]},
        "v_int8": [127, 127, 127, 127, -128, -128, -128, -128],
        "n_bool": None,
        "n_int64": -BIG,
        "n_float": 1e6,
        "n_varchar": "\u4e16\u754c",
        "n_array": [-(2**31)],
        "n_json": {},
    },
    {  # row 5: JSON bool given as text, empty object, misc
        "id": 3,
        "f_bool": False,
        "f_int8": 100,
        "f_int16": 1000,
        "f_int32": 100000,
        "f_float": 123456789.0,
        "f_double": 1e16,
        "f_varchar": "end",
        "f_text": "multi\nline\ttext \"q\"",
        "f_geo": "MULTIPOINT ((1 1), (2 2))",
        "f_tstz": "2025-12-31T23:59:59Z",
        "f_json": "true",
        "a_bool": [True, True, True, True],
        "a_int8": [127],
        "a_int16": [-32768],
        "a_int32": [123456],
        "a_int64": [BIG, -BIG],
        "a_float": [3e38, -3e38],
        "a_double": [-1e-300],
        "a_varchar": ["\u00e9\u00e9\u00e9", "a", "b", "c"],
        "v_float": [1.1, 2.2, 3.3, 4.4],
        "v_bin": bits(0, 15),
        "v_f16": [1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8],
        "v_bf16": [1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8],
        "v_sparse": {3: 0.5, 2: 0.25, 1: 0.125},
        "v_int8": [10, -10, 20, -20, 30, -30, 40, -40],
        "n_bool": True,
        "n_int32": 0,
        "n_int64": 0,
        "n_double": 0.1,
        "n_json": {"k": "v"},
        "f_extra": {"deep": {"er": [1.25, None]}},
        "$meta": {"from_meta": True},
    },
]

# NumPy: no Array, no sparse, no nullable column that gets a null (nullable fields that have a
# default never hold a null, so nd_varchar stays).
NUMPY_DROP = {
    n
    for n, dt, kw in MAIN_FIELDS
    if dt in (DT.ARRAY, DT.SPARSE_FLOAT_VECTOR) or (kw.get("nullable") and "default_value" not in kw)
}
NUMPY_FIELDS = [f for f in MAIN_FIELDS if f[0] not in NUMPY_DROP]
NUMPY_ROWS = [{k: v for k, v in r.items() if k not in NUMPY_DROP} for r in MAIN_ROWS]

# Nullable vectors (the writers accept them; Milvus <= 2.6 readers do not), no dynamic field.
NVEC_FIELDS = [
    F("id", DT.INT64, is_primary=True, auto_id=False),
    F("nv_float", DT.FLOAT_VECTOR, dim=4, nullable=True),
    F("nv_bin", DT.BINARY_VECTOR, dim=8, nullable=True),
    F("nv_int8", DT.INT8_VECTOR, dim=4, nullable=True),
    F("nv_sparse", DT.SPARSE_FLOAT_VECTOR, nullable=True),
]
NVEC_ROWS = [
    {"id": 10, "nv_float": [0.5, -0.5, 1e-8, 2.0], "nv_bin": bits(0, 7, n=8),
     "nv_int8": [1, -1, 127, -128], "nv_sparse": {1: 0.25, 2: 0.5}},
    {"id": 11, "nv_float": None, "nv_bin": None, "nv_int8": None, "nv_sparse": None},
    {"id": 12},
    {"id": 13, "nv_float": [0.1, 0.2, 0.3, 0.4], "nv_bin": bits(n=8), "nv_int8": [0, 0, 0, 0],
     "nv_sparse": {"indices": [1], "values": [0.1]}},
]


# Without a dynamic field pymilvus silently drops keys that are not fields (writer-spec 2.4).
UNKNOWN_KEY_ROWS = [
    {"id": 20, "nv_float": [1.0, 2.0, 3.0, 4.0], "nv_bin": bits(n=8), "nv_int8": [1, 2, 3, 4],
     "nv_sparse": {1: 0.5}, "not_a_field": "dropped"},
]


def chunk_rows():
    """Main rows three times (unique ids): enough for several chunks."""
    out = []
    for k in range(3):
        for i, r in enumerate(MAIN_ROWS):
            r = copy.deepcopy(r)
            if k:
                r["id"] = 100 * k + i
            out.append(r)
    return out


# --------------------------------------------------------------------------------------------
# Schema helpers
# --------------------------------------------------------------------------------------------


class Col:
    """What the comparison needs to know about one output column."""

    def __init__(self, name, dtype, kw):
        self.name = name
        self.dtype = dtype
        self.elem = kw.get("element_type")
        self.nullable = bool(kw.get("nullable"))
        self.dim = kw.get("dim")

    @property
    def is_json_text(self):  # JSON-valued column (JSON field or $meta)
        return self.dtype == DT.JSON

    @property
    def is_f16(self):
        return self.dtype in (DT.FLOAT16_VECTOR, DT.BFLOAT16_VECTOR)

    @property
    def half_dtype(self):
        return np.dtype("<f2") if self.dtype == DT.FLOAT16_VECTOR else np.dtype(ml_dtypes.bfloat16)

    @property
    def num_prof(self):
        """How numbers inside this column's text values compare."""
        if self.dtype in (DT.FLOAT, DT.FLOAT_VECTOR) or self.elem == DT.FLOAT:
            return "f32"  # D2
        if self.dtype == DT.DOUBLE or self.elem == DT.DOUBLE:
            return "f64"
        return "exact"


def build_schema(fields, dynamic):
    fs = []
    for name, dtype, kw in fields:
        fs.append(FieldSchema(name=name, dtype=dtype, **kw))
    schema = CollectionSchema(fields=fs, enable_dynamic_field=dynamic)
    d = schema.to_dict()
    out_fields = []
    for fd, (name, dtype, kw) in zip(d["fields"], fields):
        assert fd["name"] == name
        fd = dict(fd)
        fd["type"] = int(fd["type"])
        if "element_type" in fd:
            fd["element_type"] = int(fd["element_type"])
        fd.pop("default_value", None)
        if "default_value" in kw:
            fd["default_value"] = kw["default_value"]
        out_fields.append(fd)
    d["fields"] = out_fields
    cols = [Col(n, dt, kw) for n, dt, kw in fields]
    if dynamic:
        cols.append(Col(META, DT.JSON, {}))
    return schema, d, cols


# --------------------------------------------------------------------------------------------
# Running the writers
# --------------------------------------------------------------------------------------------


class CaseError(Exception):
    pass


def run_pymilvus(schema, rows, fmt, out_dir, chunk_size=None, config=None):
    os.makedirs(out_dir, exist_ok=True)
    kw = {"chunk_size": chunk_size} if chunk_size else {}
    if config:
        kw["config"] = config
    w = LocalBulkWriter(schema=schema, local_path=out_dir, file_type=FORMATS[fmt], **kw)
    for r in rows:
        w.append_row(copy.deepcopy(r))  # pymilvus mutates the row
        if chunk_size:
            time.sleep(0.01)  # let an async flush end, else commit() polls once per second
    w.commit()
    batch = [[str(f) for f in g] for g in w.batch_files]
    data_path = str(w.data_path)
    del w
    if not batch:
        raise CaseError("pymilvus wrote no file (its flush thread failed; see stderr)")
    return data_path, batch


def run_rust(rust_bin, schema_json, rows, fmt, out_dir, extra):
    os.makedirs(out_dir, exist_ok=True)
    sp = os.path.join(out_dir, "schema.json")
    rp = os.path.join(out_dir, "rows.jsonl")
    with open(sp, "w") as f:
        json.dump(schema_json, f, indent=1)
    with open(rp, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    cmd = [rust_bin, "--schema", sp, "--format", fmt, "--out", out_dir, *extra, rp]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise CaseError(f"rust writer exited {p.returncode}: {p.stderr.strip()[:2000]}")
    try:
        res = json.loads(p.stdout)
        data_path, batch = res["data_path"], res["batch_files"]
    except Exception as e:
        raise CaseError(f"rust writer stdout is not the expected JSON ({e}): {p.stdout[:500]!r}")
    if not os.path.isabs(data_path):
        data_path = os.path.abspath(data_path)
    batch = [[os.path.abspath(f) for f in g] for g in batch]
    return data_path, batch


# --------------------------------------------------------------------------------------------
# Value comparison
# --------------------------------------------------------------------------------------------


def f32bits(x):
    return int(np.array([x], dtype=np.float64).astype(np.float32).view(np.uint32)[0])


def f64bits(x):
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


LAX_KEY_ORDER = False  # --lax-key-order: nested objects compare as unordered maps


def deq(a, b, prof="exact", path=""):
    """Ordered deep equality of JSON-like values. Returns None or a description."""
    where = path or "value"
    if a is None or b is None:
        return None if a is None and b is None else f"{where}: {a!r} != {b!r}"
    if isinstance(a, bool) or isinstance(b, bool):
        ok = type(a) is bool and type(b) is bool and a == b
        return None if ok else f"{where}: {a!r} != {b!r}"
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return f"{where}: {a!r} != {b!r}"
        if (sorted(a) != sorted(b)) if LAX_KEY_ORDER else (list(a) != list(b)):
            return f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            r = deq(a[k], b[k], prof, f"{path}.{k}")
            if r:
                return r
        return None
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return f"{where}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            r = deq(x, y, prof, f"{path}[{i}]")
            if r:
                return r
        return None
    if is_num(a) and is_num(b):
        if prof == "f32":
            ok = f32bits(a) == f32bits(b)
        elif prof == "f64":
            ok = f64bits(a) == f64bits(b) and (type(a) is type(b) or abs(a) < 2**53)
        elif type(a) is not type(b):
            ok = False
        elif isinstance(a, float):
            ok = f64bits(a) == f64bits(b)
        else:
            ok = a == b
        return None if ok else f"{where}: {a!r} != {b!r}"
    ok = type(a) is type(b) and a == b
    return None if ok else f"{where}: {a!r} != {b!r}"


def loads_strict(text):
    def hook(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError(f"duplicate key {k!r}")
            d[k] = v
        return d

    def bad_const(c):
        raise ValueError(f"non-JSON constant {c}")

    return json.loads(text, object_pairs_hook=hook, parse_constant=bad_const)


def half_ref(col, values):
    """float16/bfloat16 bits of the input doubles (RNE, direct from f64 like numpy/ml_dtypes)."""
    return np.array(values, dtype=np.float64).astype(col.half_dtype).view(np.uint16)


def check_half_floats(col, rs_vals, input_vals):
    """D1, text formats: Rust prints the decoded f16/bf16 values; they must read back (as f32)
    to exactly the RNE-rounded input."""
    if not isinstance(rs_vals, list) or len(rs_vals) != len(input_vals):
        return f"expected {len(input_vals)} decoded {col.half_dtype} floats, got {rs_vals!r}"
    if not all(is_num(x) for x in rs_vals):
        return f"non-numeric item in {rs_vals!r}"
    want = half_ref(col, input_vals).astype(np.uint16)
    got32 = np.array(rs_vals, dtype=np.float64).astype(np.float32)
    back = got32.astype(col.half_dtype)
    if not np.array_equal(back.astype(np.float32).view(np.uint32), got32.view(np.uint32)):
        return f"{rs_vals!r} are not all exactly {col.half_dtype} values"
    if not np.array_equal(back.view(np.uint16), want):
        exp = want.view(col.half_dtype).astype(np.float64).tolist()
        return f"decoded {rs_vals!r} != RNE {col.half_dtype} of input {exp!r}"
    return None


def check_half_bytes(col, rs_bytes, input_vals):
    """D1, Parquet/NumPy: 2*dim little-endian bytes of the RNE-rounded input."""
    want = half_ref(col, input_vals).astype("<u2").tobytes()
    got = bytes(bytearray(int(x) for x in rs_bytes))
    if got != want:
        return f"bytes {list(got)} != RNE {col.half_dtype} bytes {list(want)} of input {input_vals!r}"
    return None


# --------------------------------------------------------------------------------------------
# Comparison state
# --------------------------------------------------------------------------------------------


class Diff:
    def __init__(self, case, fmt):
        self.case = case
        self.fmt = fmt
        self.items = []
        self.notes = []

    def add(self, column, row, msg, pm=None, rs=None):
        self.items.append({"case": self.case, "format": self.fmt, "column": column, "row": row,
                           "msg": msg, "pymilvus": pm, "rust": rs})

    def note(self, msg):
        self.notes.append(f"[{self.case}/{self.fmt}] {msg}")


def short(v, n=160):
    s = repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."


# --------------------------------------------------------------------------------------------
# Per-format comparison
# --------------------------------------------------------------------------------------------


def compare_parquet(diff, cols, pm_path, rs_path, inputs, f16_mode):
    pm_pf, rs_pf = pq.ParquetFile(pm_path), pq.ParquetFile(rs_path)
    pm_s, rs_s = pm_pf.schema_arrow, rs_pf.schema_arrow
    pm_names, rs_names = pm_s.names, rs_s.names
    if pm_names != rs_names:
        diff.add("*", None, "column names/order differ", pm_names, rs_names)
        return
    if pm_names != [c.name for c in cols]:
        diff.add("*", None, "pymilvus columns are not the schema order", pm_names,
                 [c.name for c in cols])
    byname = {c.name: c for c in cols}
    bytes_cols = set()
    for name in pm_names:
        c = byname[name]
        pf, rf = pm_s.field(name), rs_s.field(name)
        want = str(pf.type)
        if c.is_f16 and f16_mode == "bytes":
            want = want.replace("float", "uint8")  # D1
            bytes_cols.add(name)
        if str(rf.type) != want:
            diff.add(name, None, "arrow type", str(pf.type), str(rf.type))
        if rf.nullable != pf.nullable:
            diff.add(name, None, "arrow field nullability", pf.nullable, rf.nullable)
    # Parquet leaf columns: path, physical type, logical type, definition/repetition levels
    def leaves(pf):
        out = {}
        for i in range(len(pf.schema)):
            cs = pf.schema.column(i)
            out[cs.path.split(".")[0]] = out.get(cs.path.split(".")[0], []) + [
                (cs.path, cs.physical_type, str(cs.logical_type), cs.max_definition_level,
                 cs.max_repetition_level)]
        return out

    pl, rl = leaves(pm_pf), leaves(rs_pf)
    for name in pm_names:
        if name in bytes_cols:
            # D1: list<uint8> like pymilvus's bytes form (INT32, Int(8, unsigned))
            want = [(p, "INT32", "Int(bitWidth=8, isSigned=false)", d, r)
                    for (p, _t, _l, d, r) in pl.get(name, [])]
        else:
            want = pl.get(name)
        if rl.get(name) != want:
            diff.add(name, None, "parquet leaf schema (path, physical, logical, def, rep)",
                     want, rl.get(name))
    # row groups
    pg = [pm_pf.metadata.row_group(i).num_rows for i in range(pm_pf.metadata.num_row_groups)]
    rg = [rs_pf.metadata.row_group(i).num_rows for i in range(rs_pf.metadata.num_row_groups)]
    if pg != rg:
        diff.add("*", None, "row groups (rows per group)", pg, rg)

    pm_t, rs_t = pm_pf.read(), rs_pf.read()
    if pm_t.num_rows != rs_t.num_rows:
        diff.add("*", None, "row count", pm_t.num_rows, rs_t.num_rows)
        return
    pm_rows, rs_rows = pm_t.to_pylist(), rs_t.to_pylist()
    pm_has_null_big = False
    for pr, rr in zip(pm_rows, rs_rows):
        rid = pr.get("id")
        inp = inputs.get(rid)
        if rr.get("id") != rid:
            diff.add("id", rid, "row order / id", rid, rr.get("id"))
            continue
        for name in pm_names:
            c = byname[name]
            pv, rv = pr[name], rr[name]
            if c.is_json_text or c.dtype == DT.SPARSE_FLOAT_VECTOR:
                if pv == "null" and c.nullable:  # D4
                    if rv is not None:
                        diff.add(name, rid, "null JSON/sparse must be an arrow null (D4)", pv, rv)
                    continue
                if not isinstance(pv, str) or not isinstance(rv, str):
                    diff.add(name, rid, "JSON text cell", pv, rv)
                    continue
                try:
                    r = deq(loads_strict(pv), loads_strict(rv), "exact")
                except ValueError as e:
                    r = f"unparsable JSON: {e}"
                if r:
                    diff.add(name, rid, r, pv, rv)
            elif name in bytes_cols:
                if rv is None or inp is None:
                    diff.add(name, rid, "missing value", pv, rv)
                    continue
                r = check_half_bytes(c, rv, inp[name])
                if r:
                    diff.add(name, rid, "D1 " + r, pv, rv)
                r = deq([float(np.float32(x)) for x in inp[name]], pv, "exact")
                if r:
                    diff.add(name, rid, "pymilvus float form != f32(input): " + r, pv, None)
            elif name == "n_int64":
                want = None if inp is None else inp.get(name)
                if rv != want or type(rv) is not type(want):
                    diff.add(name, rid, "D5: Rust must keep the exact Int64", want, rv)
                if pv != want:
                    pm_has_null_big = True
            else:
                r = deq(pv, rv, "exact")
                if r:
                    diff.add(name, rid, r, pv, rv)
    if "n_int64" in pm_names:
        vals = [(inputs.get(r["id"]) or {}).get("n_int64") for r in pm_rows]
        if None in vals and any(v is not None and abs(v) > 2**53 for v in vals):
            if pm_has_null_big:
                diff.note("n_int64: pymilvus lost Int64 precision as documented (D5); Rust exact")
            else:
                diff.add("n_int64", None, "D5 canary: pymilvus Parquet was expected to lose "
                         "Int64 precision (null + 2**60+1 in one chunk) and did not")


def compare_json_rows(diff, cols, pm_rows, rs_rows, inputs):
    if len(pm_rows) != len(rs_rows):
        diff.add("*", None, "row count", len(pm_rows), len(rs_rows))
        return
    byname = {c.name: c for c in cols}
    for pr, rr in zip(pm_rows, rs_rows):
        rid = pr.get("id")
        if not isinstance(rr, dict):
            diff.add("*", rid, "row is not an object", None, short(rr))
            continue
        if list(pr) != list(rr):
            diff.add("*", rid, "row keys/order", list(pr), list(rr))
        if list(pr) != [c.name for c in cols]:
            diff.add("*", rid, "pymilvus row keys are not the schema order", list(pr),
                     [c.name for c in cols])
        inp = inputs.get(rid)
        for name in pr:
            if name not in rr:
                continue
            c = byname[name]
            pv, rv = pr[name], rr[name]
            if c.is_json_text and name != META and pv is not None and not isinstance(pv, dict):
                # D3: non-object JSON values are a string holding the JSON text
                if not isinstance(rv, str):
                    diff.add(name, rid, "D3: non-object JSON must be a JSON-text string", pv, rv)
                    continue
                try:
                    r = deq(pv, loads_strict(rv), "exact")
                except ValueError as e:
                    r = f"unparsable JSON text: {e}"
                if r:
                    diff.add(name, rid, "D3 " + r, pv, rv)
            elif c.is_f16 and pv is not None:
                r = deq(inp[name], pv, "exact") if inp else "no input row"
                if r:
                    diff.add(name, rid, "pymilvus float form != input: " + r, pv, None)
                r = check_half_floats(c, rv, inp[name]) if inp else "no input row"
                if r:
                    diff.add(name, rid, "D1 " + r, pv, rv)
            else:
                r = deq(pv, rv, c.num_prof)
                if r:
                    diff.add(name, rid, r, short(pv), short(rv))


def compare_json_file(diff, cols, pm_path, rs_path, inputs):
    with open(pm_path, encoding="utf-8") as f:
        pm = loads_strict(f.read())
    try:
        with open(rs_path, encoding="utf-8") as f:
            rs = loads_strict(f.read())
    except ValueError as e:
        diff.add("*", None, f"Rust JSON file does not parse: {e}")
        return
    if not isinstance(rs, dict) or list(rs) != ["rows"] or not isinstance(rs["rows"], list):
        diff.add("*", None, 'top level must be {"rows": [...]}', list(pm), short(rs))
        return
    compare_json_rows(diff, cols, pm["rows"], rs["rows"], inputs)


def compare_jsonl_file(diff, cols, pm_path, rs_path, inputs):
    def read(p):
        with open(p, encoding="utf-8", newline="") as f:
            text = f.read()
        if text and not text.endswith("\n"):
            diff.add("*", None, f"{os.path.basename(p)} does not end with a newline")
        return [loads_strict(line) for line in text.split("\n") if line.strip()]

    pm = read(pm_path)
    try:
        rs = read(rs_path)
    except ValueError as e:
        diff.add("*", None, f"Rust JSONL file does not parse: {e}")
        return
    compare_json_rows(diff, cols, pm, rs, inputs)


CSV_TEXT_TYPES = {DT.BOOL, DT.INT8, DT.INT16, DT.INT32, DT.INT64, DT.FLOAT, DT.DOUBLE,
                  DT.VARCHAR, DT.TEXT, DT.GEOMETRY, DT.TIMESTAMPTZ}


def compare_csv_file(diff, cols, pm_path, rs_path, inputs, sep=",", nullkey=""):
    def read(p):
        with open(p, encoding="utf-8", newline="") as f:
            return list(csv.reader(f, delimiter=sep))

    pm, rs = read(pm_path), read(rs_path)
    if not rs:
        diff.add("*", None, "Rust CSV is empty")
        return
    if pm[0] != rs[0]:
        diff.add("*", None, "CSV header", pm[0], rs[0])
        return
    header = pm[0]
    if header != [c.name for c in cols]:
        diff.add("*", None, "pymilvus header is not the schema order", header,
                 [c.name for c in cols])
    if len(pm) != len(rs):
        diff.add("*", None, "CSV row count", len(pm) - 1, len(rs) - 1)
        return
    byname = {c.name: c for c in cols}
    for prow, rrow in zip(pm[1:], rs[1:]):
        rid = int(prow[0]) if prow and prow[0] else None
        if len(rrow) != len(header):
            diff.add("*", rid, "CSV cell count", len(prow), len(rrow))
            continue
        inp = inputs.get(rid)
        for name, pv, rv in zip(header, prow, rrow):
            c = byname[name]
            if c.dtype in CSV_TEXT_TYPES:
                if pv != rv:
                    diff.add(name, rid, "CSV cell text", pv, rv)
                continue
            if pv == nullkey or rv == nullkey:
                if pv != rv:
                    diff.add(name, rid, "CSV null cell", pv, rv)
                continue
            try:
                pj, rj = loads_strict(pv), loads_strict(rv)
            except ValueError as e:
                diff.add(name, rid, f"CSV JSON cell does not parse: {e}", pv, rv)
                continue
            if c.is_f16:
                r = deq(inp[name], pj, "exact") if inp else "no input row"
                if r:
                    diff.add(name, rid, "pymilvus float form != input: " + r, pv, None)
                r = check_half_floats(c, rj, inp[name]) if inp else "no input row"
                if r:
                    diff.add(name, rid, "D1 " + r, pv, rv)
                continue
            r = deq(pj, rj, c.num_prof)
            if r:
                diff.add(name, rid, r, short(pv), short(rv))


def npy_version(path):
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:6] != b"\x93NUMPY":
        return None
    return (head[6], head[7])


def compare_numpy_group(diff, cols, pm_files, rs_files, inputs, f16_mode):
    pm_names = [os.path.basename(p) for p in pm_files]
    rs_names = [os.path.basename(p) for p in rs_files]
    if pm_names != rs_names:
        diff.add("*", None, ".npy files / order in batch_files", pm_names, rs_names)
    if pm_names != [c.name + ".npy" for c in cols]:
        diff.add("*", None, "pymilvus files are not the schema order", pm_names,
                 [c.name + ".npy" for c in cols])
    byname = {c.name: c for c in cols}
    rs_by = {os.path.basename(p): p for p in rs_files}
    pm_ids = rs_ids = None
    for pf in pm_files:
        fname = os.path.basename(pf)
        if fname not in rs_by:
            continue
        name = fname[: -len(".npy")]
        c = byname[name]
        rf = rs_by[fname]
        if npy_version(pf) != npy_version(rf):
            diff.add(name, None, ".npy format version", npy_version(pf), npy_version(rf))
        pa_ = np.load(pf, allow_pickle=False)
        try:
            ra = np.load(rf, allow_pickle=False)
        except ValueError as e:
            diff.add(name, None, f"Rust .npy does not load without pickle: {e}")
            continue
        if name == "id":
            pm_ids, rs_ids = pa_.tolist(), ra.tolist()
        if c.is_f16 and f16_mode == "bytes":
            want = ("|u1", (pa_.shape[0], 2 * c.dim))
            if (ra.dtype.str, ra.shape) != want:
                diff.add(name, None, "D1 dtype/shape", want, (ra.dtype.str, ra.shape))
                continue
            ids = pm_ids if pm_ids is not None else [None] * ra.shape[0]
            for i, rid in enumerate(ids):
                inp = inputs.get(rid)
                if inp is None:
                    diff.add(name, rid, "no input row for id")
                    continue
                r = check_half_bytes(c, ra[i].tolist(), inp[name])
                if r:
                    diff.add(name, rid, "D1 " + r, pa_[i].tolist(), ra[i].tolist())
            continue
        if c.is_json_text:
            # D6: any <U width; values compared parsed
            if ra.dtype.kind != "U" or ra.shape != pa_.shape:
                diff.add(name, None, "dtype/shape (JSON text, any <U width)",
                         (pa_.dtype.str, pa_.shape), (ra.dtype.str, ra.shape))
                continue
            for i, (pv, rv) in enumerate(zip(pa_.tolist(), ra.tolist())):
                try:
                    r = deq(loads_strict(pv), loads_strict(rv), "exact")
                except ValueError as e:
                    r = f"unparsable JSON: {e}"
                if r:
                    diff.add(name, pm_ids[i] if pm_ids else i, r, pv, rv)
            continue
        if (ra.dtype.str, ra.shape) != (pa_.dtype.str, pa_.shape):
            diff.add(name, None, "dtype/shape", (pa_.dtype.str, pa_.shape),
                     (ra.dtype.str, ra.shape))
            continue
        if ra.dtype.kind == "U":
            if pa_.tolist() != ra.tolist():
                for i, (pv, rv) in enumerate(zip(pa_.tolist(), ra.tolist())):
                    if pv != rv:
                        diff.add(name, pm_ids[i] if pm_ids else i, "string value", pv, rv)
        elif pa_.tobytes() != ra.tobytes():
            for i in range(pa_.shape[0]):
                if pa_[i].tobytes() != ra[i].tobytes():
                    diff.add(name, pm_ids[i] if pm_ids else i, "value bits",
                             pa_[i].tolist(), ra[i].tolist())
    if pm_ids is not None and rs_ids is not None and pm_ids != rs_ids:
        diff.add("id", None, "row order", pm_ids, rs_ids)


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


def rel_groups(data_path, batch):
    return [[os.path.relpath(f, data_path) for f in g] for g in batch]


def run_case(args, work, case, fmt, fields, rows, dynamic, rust_extra=(), chunk_size=None,
             f16_mode="bytes", csv_opts=None):
    diff = Diff(case, fmt)
    schema, schema_json, cols = build_schema(fields, dynamic)
    inputs = {r["id"]: r for r in rows}
    base = os.path.join(work, f"{case}-{fmt}")
    sep, nullkey = (csv_opts or (",", ""))
    config = {"sep": sep, "nullkey": nullkey} if csv_opts else None
    pm_dp, pm_batch = run_pymilvus(schema, rows, fmt, os.path.join(base, "pymilvus"), chunk_size,
                                   config)
    extra = list(rust_extra)
    if chunk_size:
        extra += ["--chunk-size", str(chunk_size)]
    if csv_opts:
        extra += ["--csv-sep", sep, "--csv-null", nullkey]
    rs_dp, rs_batch = run_rust(args.rust_bin, schema_json, rows, fmt, os.path.join(base, "rust"),
                               extra)
    pm_rel, rs_rel = rel_groups(pm_dp, pm_batch), rel_groups(rs_dp, rs_batch)
    if os.path.dirname(rs_dp) != os.path.join(base, "rust"):
        diff.add("*", None, "data_path must be OUT/<uuid>", None, rs_dp)
    if pm_rel != rs_rel:
        diff.add("*", None, "batch_files (relative to data_path)", pm_rel, rs_rel)
    for f in (x for g in rs_batch for x in g):
        if not os.path.isfile(f):
            diff.add("*", None, "file listed in batch_files does not exist", None, f)
    if diff.items:
        return diff, cols
    for pg, rg in zip(pm_batch, rs_batch):
        if fmt == "numpy":
            compare_numpy_group(diff, cols, pg, rg, inputs, f16_mode)
            continue
        pf, rf = pg[0], rg[0]
        if fmt == "parquet":
            compare_parquet(diff, cols, pf, rf, inputs, f16_mode)
        elif fmt == "json":
            compare_json_file(diff, cols, pf, rf, inputs)
        elif fmt == "jsonl":
            compare_jsonl_file(diff, cols, pf, rf, inputs)
        elif fmt == "csv":
            compare_csv_file(diff, cols, pf, rf, inputs, sep, nullkey)
    if len(pm_batch) > 1:
        diff.note(f"{len(pm_batch)} chunks: {[os.path.basename(g[0]) for g in pm_batch]}")
    return diff, cols


ROW_FORMATS = ("parquet", "json", "jsonl", "csv")
CASES = (
    # every type, nulls, defaults, dynamic fields, unicode, extreme values
    [("all_types", f, dict(fields=MAIN_FIELDS, rows=MAIN_ROWS, dynamic=True))
     for f in ROW_FORMATS]
    + [("all_types", "numpy", dict(fields=NUMPY_FIELDS, rows=NUMPY_ROWS, dynamic=True))]
    # D1: with --float16 float, Parquet / NumPy equal pymilvus's float form exactly
    + [("float16_float_form", "parquet",
        dict(fields=MAIN_FIELDS, rows=MAIN_ROWS, dynamic=True, rust_extra=["--float16", "float"],
             f16_mode="float")),
       ("float16_float_form", "numpy",
        dict(fields=NUMPY_FIELDS, rows=NUMPY_ROWS, dynamic=True,
             rust_extra=["--float16", "float"], f16_mode="float"))]
    # nullable float / binary / int8 / sparse vectors, no dynamic field
    + [("nullable_vectors", f, dict(fields=NVEC_FIELDS, rows=NVEC_ROWS, dynamic=False))
       for f in ROW_FORMATS]
    # a key that is not a field, without a dynamic field: pymilvus drops it; Rust rejects the
    # row by default (deliberate, tested in tests/it/writer/validation.rs) and drops it with --ignore-unknown
    + [("unknown_key_no_dynamic", "jsonl",
        dict(fields=NVEC_FIELDS, rows=UNKNOWN_KEY_ROWS, dynamic=False,
             rust_extra=["--ignore-unknown"]))]
    # CSV with pymilvus config {"sep": "|", "nullkey": "NULL"} (Rust --csv-sep / --csv-null)
    + [("csv_sep_nullkey", "csv",
        dict(fields=MAIN_FIELDS, rows=MAIN_ROWS, dynamic=True, csv_opts=("|", "NULL")))]
    # chunk_size splitting: same files, same rows per file
    + [("chunked", f, dict(fields=MAIN_FIELDS, rows=chunk_rows(), dynamic=True,
                           chunk_size=1000))
       for f in ("jsonl", "csv")]
)


def print_mismatch(m, indent="  "):
    print(f"{indent}column={m['column']} row(id)={m['row']}: {m['msg']}")
    if m["pymilvus"] is not None or m["rust"] is not None:
        print(f"{indent}  pymilvus: {short(m['pymilvus'], 400)}")
        print(f"{indent}  rust:     {short(m['rust'], 400)}")


def main():
    global LAX_KEY_ORDER
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rust-bin", required=True, help="path of target/.../examples/write_rows")
    ap.add_argument("--keep", help="write both writers' files under this directory and keep them")
    ap.add_argument("--only", help="comma-separated case names or case/format pairs to run")
    ap.add_argument("--lax-key-order", action="store_true",
                    help="compare objects nested in values (JSON fields, $meta, sparse) as "
                         "unordered maps; a row's column order stays strict")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every mismatch")
    args = ap.parse_args()
    args.rust_bin = os.path.abspath(args.rust_bin)
    LAX_KEY_ORDER = args.lax_key_order
    assert pymilvus.__version__ == "3.0.2", f"need pymilvus 3.0.2, have {pymilvus.__version__}"

    if args.keep:
        work = os.path.abspath(args.keep)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    else:
        work = tempfile.mkdtemp(prefix="writer-diff-")
    only = set(args.only.split(",")) if args.only else None

    t0 = time.time()
    passed = failed = 0
    mismatches = []
    formats, ncols = set(), len(MAIN_FIELDS) + 1  # + $meta
    for case, fmt, kw in CASES:
        if only and case not in only and f"{case}/{fmt}" not in only:
            continue
        label = f"{case}/{fmt}"
        formats.add(fmt)
        try:
            diff, _cols = run_case(args, work, case, fmt, **kw)
        except CaseError as e:
            failed += 1
            mismatches.append({"case": case, "format": fmt, "column": "*", "row": None,
                               "msg": str(e), "pymilvus": None, "rust": None})
            print(f"FAIL {label}: {e}")
            continue
        except Exception:
            failed += 1
            tb = traceback.format_exc()
            mismatches.append({"case": case, "format": fmt, "column": "*", "row": None,
                               "msg": "harness error: " + tb.strip().splitlines()[-1],
                               "pymilvus": None, "rust": None})
            print(f"FAIL {label}: harness error\n{tb}")
            continue
        if args.verbose:
            for n in diff.notes:
                print("note", n)
        if diff.items:
            failed += 1
            mismatches.extend(diff.items)
            print(f"FAIL {label}: {len(diff.items)} mismatch(es)")
            if args.verbose:
                for m in diff.items:
                    print_mismatch(m)
        else:
            passed += 1
            print(f"ok   {label}")

    # distinct mismatches: same column and message, wherever they occur
    groups = {}
    for m in mismatches:
        groups.setdefault((m["column"], m["msg"]), []).append(m)
    if groups:
        print(f"writer-diff: {len(groups)} distinct mismatch(es)"
              + ("" if args.verbose else " (-v prints every one)") + ":")
        for (_col, _msg), ms in groups.items():
            where = sorted({f"{m['case']}/{m['format']}" for m in ms})
            rows = sorted({str(m["row"]) for m in ms if m["row"] is not None})
            print(f"- in {', '.join(where)}" + (f"; rows(id) {', '.join(rows)}" if rows else ""))
            print_mismatch(ms[0], "    ")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"writer-diff: files kept in {work}")
    print(f"writer-diff: {len(formats)} formats x {ncols} columns compared, "
          f"{len(mismatches)} mismatches ({time.time() - t0:.1f}s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
