"""Batch transform data capture read as AWS documents it ("Capture data from batch transform job",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html): manifests under
`input/yyyy/mm/dd/hh/` and `output/yyyy/mm/dd/hh/` shaped `[{"prefix": "s3://…/"}, "dummy_0.csv", …]`, outputs named
`<input>.out`, and with GenerateInferenceId the CSV output's last two columns (or the JSON fields
SageMakerInferenceId / SageMakerInferenceTime) carrying the inference id and the job's start time — the guide's own
example lines are used below. End to end on moto: the model-quality join reads the job through the same reader as
an endpoint's captures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws

from modelmonitor.analyzer.base.errors import RecordError
from modelmonitor.analyzer.quality.ground_truth import read_labels
from modelmonitor.analyzer.quality.model_quality import evaluate
from modelmonitor.analyzer.quality.predictions import read_predictions
from modelmonitor.analyzer.read.batch_transform import (
    PairingCounts,
    capture_records,
    input_objects,
    parse_manifest,
    split_output,
)

BUCKET = "mm-batch"
CAPTURE = f"s3://{BUCKET}/capture"
START = datetime(2022, 8, 26, 13, tzinfo=UTC)         # the guide's example: a job started 2022-8-26 13:00 UTC


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _job(s3: Any, *, with_ids: bool = True, drop_output: bool = False) -> None:
    inputs = {"dummy_0.csv": ["5.1,3.5", "4.9,3.0", "6.2,2.9"], "dummy_1.csv": ["7.0,3.2"]}
    outputs = {"dummy_0.csv.out": ["0", "1", "0"], "dummy_1.csv.out": ["1"]}
    ids = iter(["1f1d57b1-2e6f-488c-8c30-db4e6d757861", "22445434-0c67-45e9-bb4d-bd1bf26561e6",
                "3c1d57b1-2e6f-488c-8c30-db4e6d757862", "4d445434-0c67-45e9-bb4d-bd1bf26561e7"])
    for name, lines in inputs.items():
        s3.put_object(Bucket=BUCKET, Key=f"data/in/{name}", Body="\n".join(lines) + "\n")
    for name, lines in outputs.items():
        body = [f"{line}, {next(ids)},2022-08-26T13:00:15Z" if with_ids else line for line in lines]
        s3.put_object(Bucket=BUCKET, Key=f"data/out/{name}", Body="\n".join(body) + "\n")
    s3.put_object(Bucket=BUCKET, Key="capture/input/2022/08/26/13/manifest-a.jsonl",
                  Body=json.dumps([{"prefix": f"s3://{BUCKET}/data/in/"}, *inputs]))
    listed = [n for n in outputs if not (drop_output and n == "dummy_1.csv.out")]
    s3.put_object(Bucket=BUCKET, Key="capture/output/2022/08/26/13/manifest-b.jsonl",
                  Body=json.dumps([{"prefix": f"s3://{BUCKET}/data/out/"}, *listed]))


def test_the_guides_manifest_and_output_lines() -> None:
    manifest = b'[{"prefix":"s3://in/"}, "dummy_0.csv", "dummy_1.csv"]'
    assert parse_manifest(manifest, "m") == ["s3://in/dummy_0.csv", "s3://in/dummy_1.csv"]
    assert parse_manifest(b'{"prefix":"s3://in"}\n"a.csv"\n', "m") == ["s3://in/a.csv"]
    assert split_output("0, 1f1d57b1-2e6f-488c-8c30-db4e6d757861,2022-08-30T00:49:15Z", "text/csv", "w") == \
        ("0", "1f1d57b1-2e6f-488c-8c30-db4e6d757861", "2022-08-30T00:49:15Z")
    line = ('{"output": 0, "SageMakerInferenceId": "1f1d57b1-2e6f-488c-8c30-db4e6d757861", '
            '"SageMakerInferenceTime": "2022-08-30T00:49:15Z"}')
    assert split_output(line, "application/jsonlines", "w") == \
        ('{"output":0}', "1f1d57b1-2e6f-488c-8c30-db4e6d757861", "2022-08-30T00:49:15Z")
    with pytest.raises(RecordError, match="starts with"):
        parse_manifest(b'["dummy_0.csv"]', "m")


def test_records_pair_inputs_with_outputs_and_feed_the_model_quality_join(s3: Any) -> None:
    _job(s3)
    records = list(capture_records(s3, CAPTURE, START, START + timedelta(hours=1)))
    assert [r["captureData"]["endpointInput"]["data"] for r in records] == ["5.1,3.5", "4.9,3.0", "6.2,2.9",
                                                                             "7.0,3.2"]
    assert [r["captureData"]["endpointOutput"]["data"] for r in records] == ["0", "1", "0", "1"]
    assert records[0]["eventMetadata"]["inferenceId"] == "1f1d57b1-2e6f-488c-8c30-db4e6d757861"
    predictions = read_predictions([orjson.dumps(r) for r in records], inference_attribute=None)
    labels = read_labels([("gt/2022/08/26/14/labels.jsonl", START + timedelta(hours=1), [json.dumps({
        "groundTruthData": {"data": value, "encoding": "CSV"}, "eventMetadata": {"eventId": event},
        "eventVersion": "0"}) for event, value in (("1f1d57b1-2e6f-488c-8c30-db4e6d757861", "0"),
                                                   ("22445434-0c67-45e9-bb4d-bd1bf26561e6", "0"))])])
    result = evaluate(predictions, labels, problem_type="BinaryClassification")
    assert result.coverage.matched == 2 and result.metrics["accuracy"] == 0.5
    assert input_objects(s3, CAPTURE, START, START + timedelta(hours=1)) == [
        f"s3://{BUCKET}/data/in/dummy_0.csv", f"s3://{BUCKET}/data/in/dummy_1.csv"]


def test_a_job_outside_the_window_or_without_its_output_is_left_out_and_counted(s3: Any) -> None:
    _job(s3, drop_output=True)
    counts = PairingCounts()
    records = list(capture_records(s3, CAPTURE, START, START + timedelta(hours=1), counts=counts))
    assert len(records) == 3 and counts.objects_without_output == 1
    assert list(capture_records(s3, CAPTURE, START + timedelta(hours=1), START + timedelta(hours=2))) == []


def test_without_generated_ids_the_jobs_hour_stands_in(s3: Any) -> None:
    _job(s3, with_ids=False)
    record = next(capture_records(s3, CAPTURE, START, START + timedelta(hours=1)))
    assert record["eventMetadata"]["inferenceTime"] == "2022-08-26T13:00:00Z"
    assert record["eventMetadata"]["inferenceId"] == f"s3://{BUCKET}/data/in/dummy_0.csv#1"


# Two jobs whose inputs share a file name (first written by an outside review against code that paired outputs
# with inputs by file name alone). TransformOutput.S3OutputPath (SageMaker API reference, botocore's sagemaker model):
# "For every S3 object used as input for the transform job, batch transform stores the transformed data with an
# .out suffix in a corresponding subfolder in the location in the output prefix": one job over dated folders, or two
# jobs of a window that each read their day's `part-0.csv`, have outputs of the same file name in different
# folders. Each manifest lists its job's objects relative to its own prefix (the guide above).

def _dated_job(s3: Any, day: str, request: str, prediction: str, manifest: str, output_manifest: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"data/in/{day}/part-0.csv", Body=f"{request}\n")
    s3.put_object(Bucket=BUCKET, Key=f"data/out/{day}/part-0.csv.out", Body=f"{prediction}\n")
    s3.put_object(Bucket=BUCKET, Key=f"capture/input/2022/08/26/13/{manifest}",
                  Body=json.dumps([{"prefix": f"s3://{BUCKET}/data/in/{day}/"}, "part-0.csv"]))
    s3.put_object(Bucket=BUCKET, Key=f"capture/output/2022/08/26/13/{output_manifest}",
                  Body=json.dumps([{"prefix": f"s3://{BUCKET}/data/out/{day}/"}, "part-0.csv.out"]))


def _pairs(s3: Any, counts: PairingCounts) -> list[tuple[str, str]]:
    records = capture_records(s3, CAPTURE, START, START + timedelta(hours=1), counts=counts)
    return sorted((r["captureData"]["endpointInput"]["data"], r["captureData"]["endpointOutput"]["data"])
                  for r in records)


def test_same_file_name_in_two_jobs_pairs_each_input_with_its_own_output(s3: Any) -> None:
    _dated_job(s3, "day1", "1.0,2.0", "0", "day1-5.jsonl", "day1-5.jsonl")
    _dated_job(s3, "day2", "9.0,8.0", "1", "day2-40.jsonl", "day2-40.jsonl")
    counts = PairingCounts()
    assert _pairs(s3, counts) == [("1.0,2.0", "0"), ("9.0,8.0", "1")]
    assert counts == PairingCounts()


def test_jobs_that_cannot_be_told_apart_are_left_out_and_counted_never_crossed(s3: Any) -> None:
    # Manifests of different names on each side: both output manifests fit both input manifests.
    _dated_job(s3, "day1", "1.0,2.0", "0", "in-a.jsonl", "out-a.jsonl")
    _dated_job(s3, "day2", "9.0,8.0", "1", "in-b.jsonl", "out-b.jsonl")
    counts = PairingCounts()
    assert _pairs(s3, counts) == []
    assert counts.objects_without_output == 2 and counts.jobs_ambiguous == 2
    assert "2 input object(s) left out" in (counts.note() or "")
