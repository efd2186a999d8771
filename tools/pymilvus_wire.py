#!/usr/bin/env python3
"""Record what pymilvus sends for each bulk-import call style.

Writes tests/fixtures/pymilvus_wire.json, which tests/it/wire.rs compares against the requests this
crate builds for the same inputs. Nothing is sent over the network: `requests.post` is replaced
by a recorder that answers `{"code": 0, "data": {}}`.

    python3 -m venv /tmp/pyv && /tmp/pyv/bin/pip install pymilvus==3.0.2
    /tmp/pyv/bin/python tools/pymilvus_wire.py > tests/fixtures/pymilvus_wire.json

pymilvus 3.0.2 has no commit_import/abort_import (they are on its master branch only); their
bodies are the describe body (wire-protocol.md §10.2) and tests/it/wire.rs checks them by hand.
"""
import json
import sys
from importlib.metadata import version

import requests

import importlib.util
import pymilvus

# pymilvus.bulk_writer's __init__ insists on the Parquet/object-store extras; the REST wrapper
# itself needs only `requests`, so load that one file directly.
_spec = importlib.util.spec_from_file_location(
    "bulk_import", pymilvus.__path__[0] + "/bulk_writer/bulk_import.py"
)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
bulk_import, get_import_progress, list_import_jobs = (
    _mod.bulk_import, _mod.get_import_progress, _mod.list_import_jobs
)

CALLS = []


class _Reply:
    status_code = 200

    def json(self):
        return {"code": 0, "data": {}}


def _record(url, headers=None, json=None, timeout=None, **_):
    CALLS.append({"url": url, "headers": dict(headers or {}), "body": json, "timeout": timeout})
    return _Reply()


requests.post = _record

OSS = "http://127.0.0.1:19530"
CLOUD = "https://api.cloud.zilliz.com"
URLS = [["s3://bucket-name/parquet-folder-1/1.parquet"], ["s3://bucket-name/parquet-folder-3/"]]

CASES = [
    ("create_milvus_minimal", bulk_import,
     dict(url=OSS, collection_name="my_collection", files=[["1.parquet"]])),
    ("create_milvus_full", bulk_import,
     dict(url=OSS, api_key="root:Milvus", db_name="db1", collection_name="my_collection",
          partition_name="p1", files=[["parquet-folder/1.parquet"], ["a.npy", "b.npy"]],
          options={"timeout": "300s", "auto_commit": "false"})),
    ("create_cloud_object_urls", bulk_import,
     dict(url=CLOUD, api_key="YOUR_API_KEY", cluster_id="in0x-xxx", collection_name="my_collection",
          object_urls=URLS, access_key="your-access-key", secret_key="your-secret-key",
          token="your-token")),
    ("create_cloud_object_url", bulk_import,
     dict(url=CLOUD, api_key="YOUR_API_KEY", cluster_id="in0x-xxx", collection_name="my_collection",
          object_url="s3://bucket-name/1.parquet", access_key="ak", secret_key="sk")),
    ("create_cloud_volume", bulk_import,
     dict(url=CLOUD, api_key="YOUR_API_KEY", cluster_id="in0x-xxx", db_name="db1",
          collection_name="my_collection", partition_name="p1", volume_name="my_volume",
          data_paths=[["parquet-folder/1.parquet"], ["parquet-folder-2/"]])),
    ("create_cloud_project", bulk_import,
     dict(url=CLOUD, api_key="YOUR_API_KEY", project_id="proj-xxx", region_id="aws-us-west-2",
          collection_name="my_collection", object_urls=URLS, access_key="ak", secret_key="sk")),
    ("describe_milvus", get_import_progress,
     dict(url=OSS, api_key="root:Milvus", job_id="448707763884413158", db_name="db1")),
    ("describe_milvus_default_db", get_import_progress,
     dict(url=OSS, job_id="448707763884413158")),
    ("describe_cloud_cluster", get_import_progress,
     dict(url=CLOUD, api_key="YOUR_API_KEY", job_id="job-0123456789abcdef", cluster_id="in0x-xxx")),
    ("describe_cloud_project", get_import_progress,
     dict(url=CLOUD, api_key="YOUR_API_KEY", job_id="job-0123456789abcdef", project_id="proj-xxx",
          region_id="aws-us-west-2")),
    ("list_defaults", list_import_jobs, dict(url=OSS)),
    ("list_milvus", list_import_jobs,
     dict(url=OSS, api_key="root:Milvus", collection_name="my_collection", db_name="db1")),
    ("list_cloud_cluster", list_import_jobs,
     dict(url=CLOUD, api_key="YOUR_API_KEY", cluster_id="inxx-xxxxxxxxxxxxxxx", page_size=50,
          current_page=3)),
    ("list_cloud_project", list_import_jobs,
     dict(url=CLOUD, api_key="YOUR_API_KEY", project_id="proj-xxx", region_id="aws-us-west-2")),
]

out = {"pymilvus": version("pymilvus"), "cases": []}
for name, fn, kwargs in CASES:
    CALLS.clear()
    fn(**kwargs)
    (call,) = CALLS
    out["cases"].append({"name": name, "function": fn.__name__, "inputs": kwargs, **call})
json.dump(out, sys.stdout, indent=2)
sys.stdout.write("\n")
