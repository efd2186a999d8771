#!/usr/bin/env python3
"""pymilvus 3.0.2 `LocalBulkWriter` writing the rows of `benches/writer.rs` to Parquet: the
reference figure for `cargo bench --features writer --bench writer`.

Run (a virtualenv with pymilvus[bulk-writer]==3.0.2; tools/writer_diff.sh makes one at
/tmp/mbi-pymilvus-3.0.2):

    python3 -m venv /tmp/mbi-bench-venv
    /tmp/mbi-bench-venv/bin/pip install 'pymilvus[bulk-writer]==3.0.2'
    /tmp/mbi-bench-venv/bin/python tools/bench_pymilvus_writer.py [--rows N] [--repeat K]
        [--chunk-size BYTES] [--ndarray]

Rows: {id: Int64 (primary key), vector: FloatVector(768), title: VarChar(256), score: Float},
100 000 by default, generated before the timing (numpy's PCG64 with a fixed seed: uniform
floats in [-1, 1), titles of 20 to 40 characters from the same word list as the Rust
benchmark; the same kind of rows, not the same bits). Vectors are handed over as Python lists
of floats (`--ndarray`: float32 numpy arrays, which pymilvus turns into lists).

Timed: `LocalBulkWriter(...)`, `append_row` for every row, then `commit()`. With the default
chunk_size (128 MiB) pymilvus flushes a chunk in a background thread whenever the buffer
passes it; `commit()` first waits for such a flush (polling every second, as pymilvus does),
then flushes the rest and joins that thread, so when it returns every file exists; the script
checks that the files hold all the rows. Each repeat writes to a fresh temporary directory,
removed afterwards. Prints the time and rows/s of each repeat and the best.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq
from pymilvus import CollectionSchema, DataType, FieldSchema
from pymilvus.bulk_writer import BulkFileType, LocalBulkWriter

DIM = 768
WORDS = [
    "vector", "search", "milvus", "import", "bulk", "parquet", "arrow", "index", "query",
    "rust", "float", "schema", "column", "segment", "collection", "embedding",
]


def make_rows(n, seed, as_ndarray):
    rng = np.random.default_rng(seed)
    vectors = (rng.random((n, DIM), dtype=np.float32) * 2.0 - 1.0).astype(np.float32)
    lengths = rng.integers(20, 41, size=n)
    words = rng.integers(0, len(WORDS), size=(n, 12))
    scores = (rng.random(n, dtype=np.float32) * 2.0 - 1.0) * 100.0
    rows = []
    for i in range(n):
        title = " ".join(WORDS[w] for w in words[i])[: lengths[i]]
        rows.append({
            "id": i,
            "vector": vectors[i] if as_ndarray else vectors[i].tolist(),
            "title": title,
            "score": float(scores[i]),
        })
    return rows


def schema():
    return CollectionSchema(fields=[
        FieldSchema(name="id", dtype=DataType.INT64, is_primary=True),
        FieldSchema(name="vector", dtype=DataType.FLOAT_VECTOR, dim=DIM),
        FieldSchema(name="title", dtype=DataType.VARCHAR, max_length=256),
        FieldSchema(name="score", dtype=DataType.FLOAT),
    ])


def run_once(rows, chunk_size, base_dir):
    out = tempfile.mkdtemp(prefix="mbi-bench-pymilvus-", dir=base_dir)
    try:
        start = time.perf_counter()
        writer = LocalBulkWriter(schema=schema(), local_path=out, chunk_size=chunk_size,
                                 file_type=BulkFileType.PARQUET)
        for row in rows:
            writer.append_row(row)
        writer.commit()
        elapsed = time.perf_counter() - start
        files = [f for group in writer.batch_files for f in group]
        missing = [f for f in files if not os.path.isfile(f)]
        if missing:
            sys.exit(f"missing files after commit: {missing}")
        written = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        if written != len(rows):
            sys.exit(f"{written} rows in the files, {len(rows)} appended")
        size = sum(os.path.getsize(f) for f in files)
        return elapsed, len(files), size
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk-size", type=int, default=128 << 20)
    ap.add_argument("--ndarray", action="store_true", help="vectors as float32 numpy arrays")
    ap.add_argument("--seed", type=int, default=0x5EED)
    ap.add_argument("--dir", default=None, help="where to write (default: the temp dir)")
    args = ap.parse_args()

    import pymilvus
    logging.getLogger("pymilvus.bulk_writer").setLevel(logging.WARNING)  # per-flush INFO lines
    print(f"pymilvus {pymilvus.__version__}, {args.rows} rows, chunk_size "
          f"{args.chunk_size >> 20} MiB, vectors as {'ndarray' if args.ndarray else 'list'}",
          flush=True)
    best = None
    for k in range(args.repeat):
        # pymilvus replaces row values in place (ndarray -> list): fresh rows every repeat.
        rows = make_rows(args.rows, args.seed, args.ndarray)
        elapsed, nfiles, size = run_once(rows, args.chunk_size, args.dir)
        del rows
        print(f"  run {k + 1}: {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s "
              f"({nfiles} files, {size / 1e6:.0f} MB)", flush=True)
        best = elapsed if best is None else min(best, elapsed)
    print(f"best: {best:.2f} s, {args.rows / best:,.0f} rows/s")


if __name__ == "__main__":
    main()
