"""Ground truth filed as Parquet or Arrow IPC (one row per label), next to SageMaker's JSON lines, from (moto) S3."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from modelmonitor.analyzer.quality.ground_truth import GroundTruthError, quality_window, read_ground_truth_s3

NOW = datetime(2026, 11, 25, 12, 5, tzinfo=UTC)
WINDOW = quality_window(NOW, period_seconds=3600, label_delay_seconds=3600)


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=2)
    return sink.getvalue()


def _arrow_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


@mock_aws
def test_parquet_and_arrow_ground_truth_next_to_json_lines() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="gt-bucket")
    # SageMaker's record layout as nested columns (what Spark or pyarrow write from the JSON lines) ...
    nested = pa.table({
        "groundTruthData": pa.array([{"data": "1", "encoding": "CSV"}, {"data": "0", "encoding": "CSV"},
                                     {"data": "[1]", "encoding": "JSON"}]),
        "eventMetadata": pa.array([{"eventId": "a"}, {"eventId": "b"}, {"eventId": "c"}]),
        "eventVersion": ["0", "0", "0"]})
    # ... and a flat table of ids and typed labels.
    flat = pa.table({"eventId": ["d", "e"], "label": pa.array([1, 0], pa.int64())})
    s3.put_object(Bucket="gt-bucket", Key="labels/2026/11/25/10/a.parquet", Body=_parquet(nested))
    s3.put_object(Bucket="gt-bucket", Key="labels/2026/11/25/10/b.arrows", Body=_arrow_stream(flat))
    s3.put_object(Bucket="gt-bucket", Key="labels/2026/11/25/11/c.jsonl", Body=json.dumps(
        {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "f"},
         "eventVersion": "0"}).encode())
    labels = read_ground_truth_s3(s3, "s3://gt-bucket/labels", WINDOW)
    assert list(labels.ids) == ["a", "b", "c", "d", "e", "f"]
    assert list(labels.values) == ["1", "0", "1", "1", "0", "1"]
    assert list(labels.arrived) == [datetime(2026, 11, 25, 10, tzinfo=UTC)] * 5 + [datetime(2026, 11, 25, 11,
                                                                                             tzinfo=UTC)]


@mock_aws
def test_corrupt_or_unlabelled_parquet_ground_truth_names_the_object() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="gt-bucket")
    good = _parquet(pa.table({"eventId": ["a"], "label": ["1"]}))
    s3.put_object(Bucket="gt-bucket", Key="labels/2026/11/25/10/bad.parquet", Body=good[:-12] + b"\x00" * 12)
    with pytest.raises(GroundTruthError, match=r"bad\.parquet: not a readable Parquet file"):
        read_ground_truth_s3(s3, "s3://gt-bucket/labels", WINDOW)
    s3.delete_object(Bucket="gt-bucket", Key="labels/2026/11/25/10/bad.parquet")
    s3.put_object(Bucket="gt-bucket", Key="labels/2026/11/25/10/x.parquet",
                  Body=_parquet(pa.table({"id": ["a"], "label": ["1"]})))
    with pytest.raises(GroundTruthError, match=r"x\.parquet: no event id column \(looked for eventMetadata\.eventId, "
                                               r"eventId; found id, label\)"):
        read_ground_truth_s3(s3, "s3://gt-bucket/labels", WINDOW)
