#!/usr/bin/env bash
# Differential test of the `writer` feature against pymilvus 3.0.2's LocalBulkWriter.
#
#   tools/writer_diff.sh [writer_diff.py options: --keep DIR, --only CASE[/FORMAT],..., -v]
#
# Creates (once, then reused) a virtualenv with pymilvus[bulk_writer]==3.0.2 at
# ${MBI_PMV_VENV:-${TMPDIR:-/tmp}/mbi-pymilvus-3.0.2}, builds examples/write_rows.rs, and runs
# tools/writer_diff.py. Exits non-zero on any mismatch. Needs PyPI for the first run only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MBI_PMV_VENV:-${TMPDIR:-/tmp}/mbi-pymilvus-3.0.2}"
PY="$VENV/bin/python"

venv_ok() {
    [ -x "$PY" ] && "$PY" - >/dev/null 2>&1 <<'EOF'
import pymilvus, numpy, pyarrow.parquet, ml_dtypes, pandas
from pymilvus.bulk_writer import LocalBulkWriter, BulkFileType
assert pymilvus.__version__ == "3.0.2", pymilvus.__version__
EOF
}

if ! venv_ok; then
    echo "writer-diff: creating virtualenv $VENV with pymilvus[bulk_writer]==3.0.2" >&2
    if [ -e "$VENV" ]; then
        if [ ! -f "$VENV/pyvenv.cfg" ]; then
            echo "writer-diff: $VENV exists and is not a virtualenv; set MBI_PMV_VENV elsewhere" >&2
            exit 1
        fi
        rm -rf "$VENV"
    fi
    "${PYTHON:-python3}" -m venv "$VENV"
    # The extra is declared as `bulk-writer`; pip < 23.3 does not normalise `bulk_writer` to it
    # and would silently install pymilvus without pyarrow/ml_dtypes, so use the declared name.
    "$PY" -m pip install --quiet --disable-pip-version-check 'pymilvus[bulk-writer]==3.0.2'
    if ! venv_ok; then
        echo "writer-diff: virtualenv $VENV is incomplete after pip install" >&2
        exit 1
    fi
fi

echo "writer-diff: building examples/write_rows (--features writer)" >&2
(cd "$ROOT" && cargo build --quiet --example write_rows --features writer)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/write_rows"
if [ ! -x "$BIN" ]; then
    echo "writer-diff: $BIN was not built" >&2
    exit 1
fi

exec "$PY" "$ROOT/tools/writer_diff.py" --rust-bin "$BIN" "$@"
