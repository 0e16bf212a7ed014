"""Thin I/O for model quality: SageMaker-format ground truth in, run files out (captured predictions:
`predictions`).

Ground truth is SageMaker's: JSON lines under `{GroundTruthS3Uri}/yyyy/mm/dd/hh/…`, dated by when the label was
collected, each `{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "…"},
"eventVersion": "0"}`. A capture record matches by its `inferenceId` when it has one, else by its `eventId`.
The window follows the spec's label delay: it ends `labelDelay` before now, and labels are read up to now.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from modelmonitor.analyzer.base.arrowlib import pa
from modelmonitor.analyzer.base.errors import AnalyzerInputError, RecordError
from modelmonitor.analyzer.quality.model_quality import (
    Labels,
    ModelQualityError,
    ModelQualityResult,
)
from modelmonitor.analyzer.read.columnar_files import (
    MAGIC_BYTES,
    ColumnarFormat,
    columnar_kind,
    open_s3_object,
    record_batches,
)
from modelmonitor.analyzer.read.payloads import payload_text
from modelmonitor.analyzer.read.records import S3Reader, hour_prefixes, iter_s3_objects, json_record

_HOUR_PATH = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/")


class GroundTruthError(ModelQualityError):
    """A capture or ground-truth record that cannot be read; names the record and the reason."""


def load_record(line: bytes | str, where: str) -> dict[str, Any]:
    try:
        return json_record(line, where)
    except RecordError as err:
        raise GroundTruthError(str(err)) from err


def decode_payload(payload: Any, where: str) -> tuple[str, str]:
    try:
        return payload_text(payload, where)
    except RecordError as err:
        raise GroundTruthError(str(err)) from err


def s3_objects(s3: S3Reader, prefixes: Iterable[str]) -> Iterator[tuple[str, datetime | None, list[bytes]]]:
    try:
        yield from iter_s3_objects(s3, prefixes)
    except RecordError as err:
        raise GroundTruthError(str(err)) from err


@dataclass(frozen=True)
class QualityWindow:
    start: datetime
    end: datetime
    evaluation_time: datetime
    """Labels collected after this instant are late (not used, counted)."""


def quality_window(now: datetime, *, period_seconds: int, label_delay_seconds: int) -> QualityWindow:
    """The window a model-quality run judges: whole hours ending `label_delay` before `now`."""
    if now.tzinfo is None:
        raise GroundTruthError("model-quality window: `now` must be timezone-aware (UTC)")
    now = now.astimezone(UTC)
    end = (now - timedelta(seconds=label_delay_seconds)).replace(minute=0, second=0, microsecond=0)
    return QualityWindow(start=end - timedelta(seconds=period_seconds), end=end, evaluation_time=now)


def hour_of_key(key: str) -> datetime:
    """The collection hour a ground-truth object is filed under (its `yyyy/mm/dd/hh/` path part)."""
    match = _HOUR_PATH.search(key)
    if match is None:
        raise GroundTruthError(f"{key}: not under a yyyy/mm/dd/hh/ prefix (SageMaker's ground-truth layout)")
    year, month, day, hour = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, tzinfo=UTC)


def _json_path(value: Any, path: str, where: str) -> Any:
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise GroundTruthError(f"{where}: attribute {path!r} not found in the JSON output (at {part!r})")
    return value


def extract(text: str, kind: str, attribute: str | None, where: str) -> str:
    """The value at `attribute` (CSV column index, or JSON key / dotted path) of one endpoint output."""
    if kind == "JSON":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as err:
            raise GroundTruthError(f"{where}: output is not JSON: {err}") from err
        if attribute is not None:
            value = _json_path(value, attribute, where)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, dict | list) or value is None:
            raise GroundTruthError(f"{where}: output value at {attribute or 'the root'} is not a scalar; "
                                   "set inferenceAttribute/probabilityAttribute to a JSON key or dotted path")
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len(rows) > 1:
        raise GroundTruthError(f"{where}: output holds {len(rows)} rows; ground truth matches one prediction per "
                               "captured request (event id)")
    fields = rows[0] if rows else []
    column = 0
    if attribute is not None:
        if not attribute.isdigit():
            raise GroundTruthError(f"{where}: CSV output needs a column index as attribute, got {attribute!r}")
        column = int(attribute)
    if column >= len(fields):
        raise GroundTruthError(f"{where}: CSV output has {len(fields)} column(s), no index {column}")
    return fields[column].strip()


def record_time(text: Any, where: str) -> datetime:
    if not isinstance(text, str):
        raise GroundTruthError(f"{where}: eventMetadata.inferenceTime missing")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise GroundTruthError(f"{where}: inferenceTime {text!r} is not ISO-8601") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_labels(objects: Iterable[tuple[str, datetime | None, Iterable[bytes | str]]]) -> Labels:
    """Labels from (key, collection time or None, lines) per ground-truth object; None: the key's hour."""
    ids: list[str] = []
    values: list[str] = []
    arrived: list[datetime] = []
    for key, collected, lines in objects:
        when = collected if collected is not None else hour_of_key(key)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{key} line {number}"
            record = load_record(line, where)
            event_id = (record.get("eventMetadata") or {}).get("eventId")
            if not isinstance(event_id, str) or not event_id:
                raise GroundTruthError(f"{where}: eventMetadata.eventId missing")
            text, kind = decode_payload(record.get("groundTruthData"), f"{where} groundTruthData")
            ids.append(event_id)
            values.append(extract(text, kind, None, where))
            arrived.append(when)
    return Labels(ids=ids, values=values, arrived=arrived)


_EVENT_ID_COLUMNS = ("eventMetadata.eventId", "eventId")
_LABEL_COLUMNS = ("groundTruthData.data", "label")
_ENCODING_COLUMN = "groundTruthData.encoding"


def _label_text(value: Any) -> str:
    """A label's text as the JSON-lines path would see it: booleans 1/0 (as `extract` makes them), floats by
    `repr`, null as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def _optional_column(table: Any, choices: tuple[str, ...]) -> list[Any] | None:
    for name in choices:
        if name in table.column_names:
            return list(table.column(name).to_pylist())
    return None


def _column(table: Any, choices: tuple[str, ...], what: str, where: str) -> list[Any]:
    found = _optional_column(table, choices)
    if found is None:
        raise GroundTruthError(f"{where}: no {what} column (looked for {', '.join(choices)}; found "
                               f"{', '.join(table.column_names) or 'none'})")
    return found


def read_columnar_labels(key: str, collected: datetime | None, handle: Any, kind: ColumnarFormat) -> Labels:
    """Labels from one Parquet or Arrow IPC ground-truth object, a row group (or record batch) at a time."""
    when = collected if collected is not None else hour_of_key(key)
    ids: list[str] = []
    values: list[str] = []
    row = 0
    try:
        for batch in record_batches(handle, kind, key):
            table = pa.Table.from_batches([batch]).flatten()  # struct fields become "parent.child" columns
            event_ids = _column(table, _EVENT_ID_COLUMNS, "event id", key)
            labels = _column(table, _LABEL_COLUMNS, "label", key)
            encodings = _optional_column(table, (_ENCODING_COLUMN,))
            for i, (event_id, label) in enumerate(zip(event_ids, labels, strict=True)):
                where = f"{key} row {row + i + 1}"
                if not isinstance(event_id, str) or not event_id:
                    raise GroundTruthError(f"{where}: event id missing")
                text = _label_text(label)
                if encodings is not None and "groundTruthData.data" in table.column_names:
                    text, encoding = decode_payload({"data": text, "encoding": encodings[i] or "CSV"}, where)
                    text = extract(text, encoding, None, where)
                ids.append(event_id)
                values.append(text)
            row += table.num_rows
    except AnalyzerInputError as err:
        raise GroundTruthError(str(err)) from err
    return Labels(ids=ids, values=values, arrived=[when] * len(ids))


def _ground_truth_objects(s3: S3Reader, prefixes: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(s3:// URI, size) of every object under the given s3:// hour prefixes."""
    for prefix_uri in prefixes:
        if not prefix_uri.startswith("s3://"):
            raise GroundTruthError(f"not an s3:// URI: {prefix_uri!r}")
        bucket, _, prefix = prefix_uri[5:].partition("/")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield f"s3://{bucket}/{item['Key']}", int(item["Size"])


def read_ground_truth_s3(s3: S3Reader, ground_truth_uri: str, window: QualityWindow) -> Labels:
    """Every label filed from the window's start hour through the evaluation hour (later ones count as late):
    SageMaker's JSON lines, or Parquet / Arrow IPC objects (`read_columnar_labels`)."""
    parts: list[Labels] = []
    for uri, size in _ground_truth_objects(s3, hour_prefixes(ground_truth_uri, window.start,
                                                             window.evaluation_time)):
        key = uri.split("/", 3)[3]
        if size == 0:
            continue
        with open_s3_object(uri, size, s3) as handle:
            kind = columnar_kind(handle.read(MAGIC_BYTES))
            handle.seek(0)
            if kind is None:
                parts.append(read_labels([(key, None, handle.read().splitlines())]))
            else:
                parts.append(read_columnar_labels(key, None, handle, kind))
    return Labels(ids=[i for p in parts for i in p.ids], values=[v for p in parts for v in p.values],
                  arrived=[a for p in parts for a in p.arrived])


def write_outputs(result: ModelQualityResult, *, output_dir: Path, metrics_dir: Path | None, endpoint: str,
                  schedule: str, evaluation_time: datetime) -> list[Path]:
    """`statistics.json`, `constraint_violations.json` and (when publishing) the CloudWatch metric lines."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in (("statistics.json", result.statistics(evaluation_time=evaluation_time)),
                           ("constraint_violations.json", result.violations_document())):
        path = output_dir / name
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        written.append(path)
    if metrics_dir is not None:
        metrics_dir.mkdir(parents=True, exist_ok=True)
        path = metrics_dir / "cloudwatch_metrics.jsonl"
        records = result.metric_records(endpoint=endpoint, schedule=schedule, timestamp=evaluation_time)
        path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
        written.append(path)
    return written
