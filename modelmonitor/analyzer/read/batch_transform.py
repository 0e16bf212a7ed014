"""Batch transform data capture, as "Capture data from batch transform job" documents it
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html):

- `DestinationS3Uri/input/yyyy/mm/dd/hh/…` and `…/output/yyyy/mm/dd/hh/…` hold *manifests*, not data: each lists the
  job's source objects as `[{"prefix": "s3://…/"}, "dummy_0.csv", "dummy_1.csv", …]`; the hour is the job's start.
- With `GenerateInferenceId`, each output record carries an inference id and the job's start time: the last two
  columns of a CSV line, or the fields `SageMakerInferenceId` / `SageMakerInferenceTime` of a JSON record.
- Batch transform writes the output of `x.csv` as `x.csv.out`, one output line per input line (SplitType Line,
  AssembleWith Line) ("Use batch transform to get inferences from large datasets", same guide).

`capture_records` turns a window of such jobs into the endpoint capture records every other reader already takes
(`captureData.endpointInput/endpointOutput`, `eventMetadata.inferenceId/inferenceTime`), so data quality, model
quality and bias read batch transform jobs through the same code as endpoints.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError, RecordError
from modelmonitor.analyzer.read.records import S3Reader, hour_prefixes
from modelmonitor.analyzer.read.sources import DataObject, s3_client, split_s3

INFERENCE_ID_FIELD = "SageMakerInferenceId"
INFERENCE_TIME_FIELD = "SageMakerInferenceTime"
OUTPUT_SUFFIX = ".out"


def parse_manifest(body: bytes, where: str) -> list[str]:
    """A capture manifest → the s3:// URIs it lists. The guide calls it a JSONL file and shows one JSON array; both
    an array and JSON lines (prefix object first, then names) are read."""
    text = body.decode("utf-8").strip()
    try:
        items: list[Any] = orjson.loads(text) if text.startswith("[") else \
            [orjson.loads(line) for line in text.splitlines() if line.strip()]
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"{where}: not a batch transform capture manifest ({exc})") from exc
    if not items or not isinstance(items[0], dict) or not isinstance(items[0].get("prefix"), str):
        raise RecordError(f"{where}: a capture manifest starts with {{\"prefix\": \"s3://…/\"}}")
    prefix = items[0]["prefix"]
    if not prefix.endswith("/"):
        prefix += "/"
    names = items[1:]
    if not all(isinstance(name, str) and name for name in names):
        raise RecordError(f"{where}: a capture manifest lists object names (strings) after its prefix")
    return [prefix + name for name in names]


@dataclass(frozen=True)
class Manifest:
    uri: str
    hour: datetime
    """The hour prefix it is filed under: the job's start."""
    objects: list[str]


def manifests(s3: S3Reader, capture_uri: str, side: str, start: datetime, end: datetime) -> Iterator[Manifest]:
    """The manifests of the jobs that started in [start, end) (whole hours: a job's hour is its start's)."""
    base = f"{capture_uri.rstrip('/')}/{side}"
    last = end - timedelta(microseconds=1)
    for prefix_uri in hour_prefixes(base, start, last):
        bucket, _, prefix = prefix_uri[5:].partition("/")
        hour = datetime.strptime(prefix_uri[-14:-1], "%Y/%m/%d/%H").replace(tzinfo=UTC)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                uri = f"s3://{bucket}/{item['Key']}"
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                yield Manifest(uri, hour, parse_manifest(body, uri))


def input_objects(s3: S3Reader, capture_uri: str, start: datetime, end: datetime) -> list[str]:
    """The input objects of the window's jobs: what data quality reads as its dataset."""
    return [uri for manifest in manifests(s3, capture_uri, "input", start, end) for uri in manifest.objects]


def input_data_objects(capture_uri: str, start: datetime, end: datetime, s3: Any = None) -> list[DataObject]:
    """The window's jobs' input objects with their sizes: data quality's dataset for a batch transform source (the
    inputs are plain datasets — no capture records, no per-record time: the job's hour places them)."""
    client = s3 if s3 is not None else s3_client()
    objects = []
    for uri in input_objects(client, capture_uri, start, end):
        bucket, key = split_s3(uri)
        objects.append(DataObject(uri, int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])))
    return objects


def dataset_format(content_type: str) -> str:
    """The reader format of a batch job's input (its ContentType): JSON lines or headerless CSV."""
    return "jsonl" if "json" in content_type else "csv"


def _lines(s3: S3Reader, uri: str) -> list[str]:
    bucket, _, key = uri[5:].partition("/")
    return [line for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8").splitlines()
            if line.strip()]


def split_output(line: str, content_type: str, where: str) -> tuple[str, str | None, str | None]:
    """(the model's output, inference id, inference time) of one output line; ids are None without
    GenerateInferenceId (a JSON record without the fields, or a CSV line whose last column is not a time)."""
    if "json" in content_type:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise RecordError(f"{where}: output line is not JSON ({exc})") from exc
        if not isinstance(record, dict):
            return line, None, None
        inference_id, moment = record.pop(INFERENCE_ID_FIELD, None), record.pop(INFERENCE_TIME_FIELD, None)
        return orjson.dumps(record).decode(), inference_id, moment
    fields = next(csv.reader(io.StringIO(line)), [])
    if len(fields) >= 3 and fields[-1].strip().endswith("Z") and "T" in fields[-1]:
        output = io.StringIO()
        csv.writer(output, lineterminator="").writerow(fields[:-2])
        return output.getvalue(), fields[-2].strip(), fields[-1].strip()
    return line, None, None


@dataclass(frozen=True)
class BatchCapture:
    """A monitor of batch transform jobs: the content types of the jobs' input and output (the transform job's
    ContentType and Accept), set by the engine's environment (`capture_kind: batchTransform`)."""

    content_type: str = "text/csv"
    accept: str = "text/csv"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> BatchCapture | None:
        kind = env.get("capture_kind", "endpoint") or "endpoint"
        if kind == "endpoint":
            return None
        if kind != "batchTransform":
            raise AnalyzerInputError(f"capture_kind must be endpoint or batchTransform, got {kind!r}")
        return cls(content_type=env.get("batch_content_type") or "text/csv",
                   accept=env.get("batch_accept") or "text/csv")


@dataclass
class PairingCounts:
    objects_without_output: int = 0
    """Input objects whose `.out` object the window's output manifests do not list (a failed or running job)."""
    records_unpaired: int = 0
    """Input lines beyond the output's line count, or the reverse: left out, never misaligned."""


def capture_records(s3: S3Reader, capture_uri: str, start: datetime, end: datetime, *, content_type: str = "text/csv",
                    accept: str = "text/csv", counts: PairingCounts | None = None) -> Iterator[dict[str, Any]]:
    """Endpoint-style capture records of the window's batch transform jobs, input and output paired line by line."""
    counts = counts if counts is not None else PairingCounts()
    outputs = {uri.rsplit("/", 1)[-1]: uri for manifest in manifests(s3, capture_uri, "output", start, end)
               for uri in manifest.objects}
    encoding = "JSON" if "json" in content_type else "CSV"
    out_encoding = "JSON" if "json" in accept else "CSV"
    for manifest in manifests(s3, capture_uri, "input", start, end):
        for input_uri in manifest.objects:
            output_uri = outputs.get(input_uri.rsplit("/", 1)[-1] + OUTPUT_SUFFIX)
            if output_uri is None:
                counts.objects_without_output += 1
                continue
            in_lines, out_lines = _lines(s3, input_uri), _lines(s3, output_uri)
            counts.records_unpaired += abs(len(in_lines) - len(out_lines))
            for number, (request, response) in enumerate(zip(in_lines, out_lines, strict=False), start=1):
                output, inference_id, moment = split_output(response, accept, f"{output_uri} line {number}")
                # Without GenerateInferenceId a record has no id of its own: its object and line stand in (ground
                # truth cannot match it, data quality and a window's bias pre-training metrics do not need one).
                metadata = {"eventId": f"{input_uri}#{number}", "inferenceId": inference_id or f"{input_uri}#{number}",
                            "inferenceTime": moment or manifest.hour.strftime("%Y-%m-%dT%H:%M:%SZ")}
                yield {"captureData": {
                    "endpointInput": {"observedContentType": content_type, "mode": "INPUT", "data": request,
                                      "encoding": encoding},
                    "endpointOutput": {"observedContentType": accept, "mode": "OUTPUT", "data": output,
                                       "encoding": out_encoding}},
                    "eventMetadata": metadata, "eventVersion": "0"}
