#!/usr/bin/env python3
"""Drive pymilvus's own bulk-import functions against the emulator binary.

    cargo build --features emulator --bin milvus-import-emulator
    ./target/debug/milvus-import-emulator --auth root:Milvus --complete-after 1s &   # prints URL
    /tmp/pyv/bin/python tools/pymilvus_against_emulator.py http://127.0.0.1:PORT

(See tools/pymilvus_wire.py for making the virtualenv.) Exits non-zero if any step differs
from what a real Milvus server would give pymilvus.
"""
import importlib.util
import sys
import time

import pymilvus

# pymilvus.bulk_writer's __init__ wants the Parquet extras; the REST wrapper needs only requests.
_spec = importlib.util.spec_from_file_location(
    "bulk_import", pymilvus.__path__[0] + "/bulk_writer/bulk_import.py"
)
m = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(m)

url, key = sys.argv[1], "root:Milvus"
resp = m.bulk_import(url=url, api_key=key, collection_name="books", files=[["a.parquet"], ["b.parquet"]])
job = resp.json()["data"]["jobId"]
assert job.isdigit(), job
seen = []
for _ in range(100):
    data = m.get_import_progress(url=url, api_key=key, job_id=job).json()["data"]
    seen.append((data["state"], data["progress"]))
    if data["state"] in ("Completed", "Failed"):
        break
    time.sleep(0.2)
print("states seen:", seen)
assert seen[-1] == ("Completed", 100), seen
assert data["importedRows"] == data["totalRows"] == 2000, data
records = m.list_import_jobs(url=url, api_key=key).json()["data"]["records"]
assert [r["jobId"] for r in records] == [job], records
for call, expected in [
    (lambda: m.list_import_jobs(url=url, api_key="root:wrong"), "status code: 401"),
    (lambda: m.get_import_progress(url=url, api_key=key, job_id="999"), "code: 2100"),
]:
    try:
        call()
    except Exception as err:  # pymilvus raises MilvusException
        assert expected in str(err), err
    else:
        raise AssertionError(f"expected an error containing {expected!r}")
print("pymilvus works against the emulator")
