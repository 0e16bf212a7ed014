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
import logging
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

log = logging.getLogger(__name__)


def parse_manifest(body: bytes, where: str) -> list[str]:
    """A capture manifest → the s3:// URIs it lists (`manifest_entries`)."""
    prefix, names = manifest_entries(body, where)
    return [prefix + name for name in names]


def manifest_entries(body: bytes, where: str) -> tuple[str, list[str]]:
    """A capture manifest → (its prefix, ending in "/"; the object names relative to it). The guide calls it a JSONL
    file and shows one JSON array; both an array and JSON lines (prefix object first, then names) are read."""
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
    return prefix, list(names)


@dataclass(frozen=True)
class Manifest:
    uri: str
    hour: datetime
    """The hour prefix it is filed under: the job's start."""
    prefix: str
    names: list[str]
    """The objects' paths relative to `prefix`."""

    @property
    def objects(self) -> list[str]:
        return [self.prefix + name for name in self.names]

    @property
    def file_name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


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
                yield Manifest(uri, hour, *manifest_entries(body, uri))


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
    """Input objects whose `.out` object their job's output manifest does not list (a failed or running job), or
    whose job's output manifest cannot be told apart from another job's: left out, never paired with a guess."""
    records_unpaired: int = 0
    """Input lines beyond the output's line count, or the reverse: left out, never misaligned."""
    jobs_ambiguous: int = 0
    """Input manifests with more than one output manifest that could be their job's (or sharing one with another)."""

    def note(self) -> str | None:
        if not (self.objects_without_output or self.records_unpaired):
            return None
        return (f"batch transform: {self.objects_without_output} input object(s) left out without their job's output"
                f" ({self.jobs_ambiguous} job(s) whose output manifest is ambiguous), {self.records_unpaired} "
                "record(s) left out where an output's line count differs from its input's")


def _could_be_outputs_of(output: Manifest, job: Manifest) -> bool:
    """Every object of `output` is the `.out` of an object of `job` at the same relative path (TransformOutput's
    S3OutputPath: "a corresponding subfolder in the location in the output prefix")."""
    expected = {name + OUTPUT_SUFFIX for name in job.names}
    return bool(output.names) and set(output.names) <= expected


def pair_jobs(inputs: list[Manifest], outputs: list[Manifest]) -> list[tuple[Manifest, Manifest | None, bool]]:
    """(input manifest, its job's output manifest or None, whether None because several could be). Both are filed
    under the job's start hour; the output manifest of the same file name is taken when it fits, else the only one
    that fits this input manifest and no other unpaired one of the hour. Object names alone never pair jobs: two
    jobs may both read a `part-0.csv`."""
    fits = {i.uri: [o for o in outputs if o.hour == i.hour and _could_be_outputs_of(o, i)] for i in inputs}
    by_name: dict[str, Manifest] = {}
    for job in inputs:
        same = [o for o in fits[job.uri] if o.file_name == job.file_name]
        if len(same) == 1:
            by_name[job.uri] = same[0]
    claimed = {o.uri for o in by_name.values()}
    pairs: list[tuple[Manifest, Manifest | None, bool]] = []
    for job in inputs:
        if job.uri in by_name:
            pairs.append((job, by_name[job.uri], False))
            continue
        left = [o for o in fits[job.uri] if o.uri not in claimed]
        unique = len(left) == 1 and not any(other is not job and other.uri not in by_name and left[0] in fits[other.uri]
                                            for other in inputs)
        pairs.append((job, left[0] if unique else None, bool(left) and not unique))
    return pairs


def capture_records(s3: S3Reader, capture_uri: str, start: datetime, end: datetime, *, content_type: str = "text/csv",
                    accept: str = "text/csv", counts: PairingCounts | None = None) -> Iterator[dict[str, Any]]:
    """Endpoint-style capture records of the window's batch transform jobs: each input object paired with the
    output object at the same path relative to its job's output manifest's prefix, then line by line."""
    counts = counts if counts is not None else PairingCounts()
    jobs = pair_jobs(list(manifests(s3, capture_uri, "input", start, end)),
                     list(manifests(s3, capture_uri, "output", start, end)))
    encoding = "JSON" if "json" in content_type else "CSV"
    out_encoding = "JSON" if "json" in accept else "CSV"
    for manifest, job_output, ambiguous in jobs:
        counts.jobs_ambiguous += ambiguous
        produced = set(job_output.names) if job_output is not None else set()
        for name in manifest.names:
            input_uri = manifest.prefix + name
            if job_output is None or name + OUTPUT_SUFFIX not in produced:
                counts.objects_without_output += 1
                continue
            output_uri = job_output.prefix + name + OUTPUT_SUFFIX
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
    note = counts.note()
    if note is not None:
        log.warning(note)
