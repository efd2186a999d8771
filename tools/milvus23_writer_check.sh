#!/usr/bin/env bash
# milvus23_writer_check.sh: files written by the Rust BulkWriter (example `write_rows`, feature `writer`)
# must import into a real Milvus 2.3.5 server and read back value for value.
#
# Usage:  tools/milvus23_writer_check.sh [WORKDIR]
#         tools/milvus23_writer_check.sh --prepare-only WORKDIR
#           writes WORKDIR/out (the writer's files) and WORKDIR/expected.json, checks that the
#           files are what write_rows reported, and stops there: .ci/run then runs
#           ../shared/tools/milvus23-import-check.sh WORKDIR/out WORKDIR/expected.json itself.
#
# Writes WORKDIR/schema.json (pymilvus to_dict form of the fixed schema of the import check), rows.jsonl
# and expected.json, runs target/debug/examples/write_rows for the formats json, parquet and numpy into
# WORKDIR/out/<format>/, then runs ../shared/tools/milvus23-import-check.sh WORKDIR/out expected.json
# (path relative to the repository root), which prints "OK <file> <rows>" or "FAIL <file> <reason>" per
# import. Milvus 2.3 reads neither JSONL nor CSV, so those formats are not checked here.
#
# Needs root (the server runs in a private network namespace). Without root, or when `unshare -n` is
# not possible, prints "SKIPPED: ..." and exits 0. Otherwise exits with the check's status (0 all OK,
# 1 a FAIL, 2 setup error); 2 also when the writer produced no files for a format.
# WORKDIR defaults to a temporary directory, removed at the end unless KEEP=1 (KEEP=1 and VERBOSE=1 are
# also passed to the import check: keep the server's run dir, print timings).
# Run time: cargo build, then about 15 s (5 s more on a first run; the first run also creates the
# server's virtualenv from PyPI, 1-2 min).
#
# Rows: the five rows of the check's --make-samples plus three of extreme values. i64::MAX is not used as
# an id: Milvus 2.3.5 imports such a row (counted in the import state) but no query ever returns it,
# also for files written by pymilvus; i64::MAX - 1 and i64::MIN work.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHECK=$ROOT/../shared/tools/milvus23-import-check.sh
say() { echo "milvus23_writer_check: $*" >&2; }
skip() {
  echo "SKIPPED: milvus 2.3.5 import check (needs root for a network namespace)"
  say "skipped: $1"
  exit 0
}

PREPARE_ONLY=""
if [ "${1:-}" = "--prepare-only" ]; then
  PREPARE_ONLY=1; shift
  [ $# -ge 1 ] || { say "--prepare-only needs WORKDIR"; exit 2; }
else
  [ "$(id -u)" = 0 ] || skip "not root"
  command -v unshare >/dev/null 2>&1 || skip "no unshare"
  unshare -n true >/dev/null 2>&1 || skip "unshare -n failed"
  [ -x "$CHECK" ] || [ -f "$CHECK" ] || { say "import check not found: $CHECK"; exit 2; }
fi

if [ $# -ge 1 ]; then
  WORK=$1; mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd)
  [ -z "$(ls -A "$WORK")" ] || { say "WORKDIR $WORK is not empty"; exit 2; }
  OWN_WORK=""
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/m23-writer.XXXXXX"); OWN_WORK=1
fi
cleanup() {
  local rc=$?
  if [ -n "$OWN_WORK" ]; then
    if [ "${KEEP:-}" = 1 ]; then say "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
trap cleanup EXIT

# ---------------------------------------------------------------- schema, rows, expected rows
cat > "$WORK/schema.json" <<'EOF'
{"fields": [{"name": "id", "type": 5, "is_primary": true, "auto_id": false}, {"name": "vec", "type": 101, "params": {"dim": 4}}, {"name": "name", "type": 21, "params": {"max_length": 64}}, {"name": "meta", "type": 23}, {"name": "flag", "type": 1}, {"name": "score", "type": 10}], "enable_dynamic_field": true}
EOF
# Rows 1-5: the import check's --make-samples ROWS (unicode, a 64-character name, an id of 2^62, a
# 2^53 + 1 integer in meta, nested meta, dynamic keys). Rows 6-8: i64::MAX - 1 and i64::MIN ids;
# f32::MAX, f32::MIN, f32::MIN_POSITIVE, the smallest subnormal and 2^24 + 1 (rounds to 2^24) in vec/score;
# a 64-byte name of 16 four-byte characters; control characters and escapes; empty meta key; i64 extremes,
# 1.0 vs 1, 1e300 and empty containers in meta and dynamic fields; a null dynamic value.
cat > "$WORK/rows.jsonl" <<'EOF'
{"id": 1, "vec": [0.1, 0.2, 0.3, 0.4], "name": "alpha", "meta": {"a": 1, "b": [1, 2, 3]}, "flag": true, "score": 0.5, "color": "red", "n": 7}
{"id": 2, "vec": [-1.5, 0.0, 1e-07, 3.25], "name": "ünïcødé ✓ 中文", "meta": {"nested": {"x": 1.5, "y": null}, "t": true}, "flag": false, "score": -2.75}
{"id": 4611686018427387904, "vec": [1.0, 2.0, 3.0, 4.0], "name": "", "meta": {}, "flag": true, "score": 3.14159, "color": "blue"}
{"id": -9, "vec": [123456.789, -0.333, 0.25, 10000000000.0], "name": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "meta": {"s": "quote \" and , comma", "big": 9007199254740993}, "flag": false, "score": 0.001, "tags": ["p", "q"], "obj": {"k": "v"}}
{"id": 0, "vec": [0.0, 0.0, 0.0, 0.0], "name": "line1\nline2, \"q\"", "meta": {"list": [{"a": 1}, {"b": 2}], "f": -0.1}, "flag": true, "score": 0.0, "n": -1}
{"id": 9223372036854775806, "vec": [3.4028234663852886e+38, -3.4028234663852886e+38, 1.1754943508222875e-38, 1.401298464324817e-45], "name": "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "meta": {"i64max": 9223372036854775807, "i64min": -9223372036854775808, "f": 1.0, "e": 1e+300, "deep": {"a": {"b": {"c": [[], {}, [null, true, false]]}}}}, "flag": false, "score": 3.4028234663852886e+38, "f1": 1.0, "i1": 1, "b1": true, "ключ": "значение", "neg": -9223372036854775808}
{"id": -9223372036854775808, "vec": [-0.0, 1e-30, -1e+30, 0.5], "name": "tab\there \\ back\\slash / é \u0001", "meta": {"": "empty key", "u": "\u00e9\ud83d\ude00"}, "flag": true, "score": -3.4028234663852886e+38, "nul": null, "empty_list": [], "empty_obj": {}}
{"id": 7, "vec": [1.401298464324817e-45, -1.401298464324817e-45, 16777217.0, 0.1], "name": "subnormal score", "meta": {"k": [1, 1.5, "s", false]}, "flag": false, "score": 1.401298464324817e-45}
EOF
awk 'BEGIN { print "[" } NR > 1 { print "," } { print } END { print "]" }' "$WORK/rows.jsonl" > "$WORK/expected.json"
NROWS=$(grep -c . "$WORK/rows.jsonl")

# ---------------------------------------------------------------- the Rust writer
if [ -n "${WRITE_ROWS:-}" ]; then   # testing this script: a stand-in for the example binary
  BIN=$WRITE_ROWS
else
  T0=$(date +%s)
  (cd "$ROOT" && cargo build --quiet --example write_rows --features writer)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/write_rows
  case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
  say "built $BIN ($(( $(date +%s) - T0 )) s)"
fi

mkdir -p "$WORK/out"
for fmt in json parquet numpy; do
  "$BIN" --schema "$WORK/schema.json" --format "$fmt" --out "$WORK/out/$fmt" "$WORK/rows.jsonl" > "$WORK/$fmt.stdout"
  echo "write_rows --format $fmt: $(cat "$WORK/$fmt.stdout")"
  n=$(find "$WORK/out/$fmt" -type f 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] || { say "write_rows --format $fmt wrote no files under $WORK/out/$fmt"; exit 2; }
done
# every file the check will import must be one that write_rows reported (no stray files)
python3 - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]
for fmt in ["json", "parquet", "numpy"]:
    out = json.load(open(f"{work}/{fmt}.stdout"))
    listed = set()
    for group in out["batch_files"]:
        for f in group:
            cands = [f, os.path.join(work, "out", fmt, f), os.path.join(out["data_path"], f)]
            p = next((c for c in cands if os.path.isfile(c)), None)
            if p is None: sys.exit(f"write_rows --format {fmt}: listed file {f} does not exist")
            listed.add(os.path.realpath(p))
    found = {os.path.realpath(os.path.join(r, f)) for r, _, fs in os.walk(f"{work}/out/{fmt}") for f in fs}
    if found != listed:
        sys.exit(f"write_rows --format {fmt}: files on disk {sorted(found - listed)} not listed, "
                 f"listed {sorted(listed - found)} not on disk")
PY

[ -z "$PREPARE_ONLY" ] || { say "prepared $WORK/out and $WORK/expected.json ($NROWS rows)"; exit 0; }

# ---------------------------------------------------------------- the import check
say "importing $(find "$WORK/out" -type f | wc -l) files ($NROWS rows each) into Milvus 2.3.5"
set +e
bash "$CHECK" "$WORK/out" "$WORK/expected.json" | tee "$WORK/check.out"
RC=${PIPESTATUS[0]}
set -e
if [ "$RC" = 0 ] && [ "$(grep -c "^OK .* $NROWS\$" "$WORK/check.out")" -lt 3 ]; then
  say "expected an OK line for each of json, parquet and numpy"; RC=1
fi
exit "$RC"
