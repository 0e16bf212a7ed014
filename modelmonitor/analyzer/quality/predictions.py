"""Captured predictions of a window, read for the join with ground truth: the capture records in the window (our
own attribution traffic left out), each request's prediction — and, for bias, its request row — decoded by the
payload mapping, a record preprocessor, or the attributes over the raw response; endpoint captures or batch
transform jobs' manifests."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import RecordError
from modelmonitor.analyzer.quality.ground_truth import (
    GroundTruthError,
    QualityWindow,
    decode_payload,
    extract,
    load_record,
    record_time,
    s3_objects,
)
from modelmonitor.analyzer.quality.model_quality import Predictions
from modelmonitor.analyzer.read.batch_transform import BatchCapture, capture_records
from modelmonitor.analyzer.read.batches import Row
from modelmonitor.analyzer.read.payloads import PayloadMapping, payload_rows
from modelmonitor.analyzer.read.preprocessor import Preprocessor
from modelmonitor.analyzer.read.records import S3Reader, hour_prefixes, is_synthetic
from modelmonitor.analyzer.read.sources import Window

OutputRows = Callable[[dict[str, Any]], list[Row]]
"""A capture record → the rows of its response, when `spec.payload` says how: the output mapping
(`read.payloads.payload_rows`) or the record preprocessor (`read.preprocessor`)."""


def output_rows_reader(mapping: PayloadMapping | None, preprocessor: Preprocessor | None) -> OutputRows | None:
    if preprocessor is not None:
        return preprocessor.rows
    side = mapping.output if mapping is not None else None
    if side is None:
        return None
    return lambda record: payload_rows(record["captureData"]["endpointOutput"], side)


def _row_value(row: Row, attribute: str | None, where: str) -> str:
    """The value at `attribute` of a decoded response row: a column name, or a column index of a positional row."""
    if isinstance(row, dict):
        if attribute is None and len(row) == 1:
            return next(iter(row.values()))
        if attribute is None or attribute not in row:
            raise GroundTruthError(f"{where}: the response's columns are {sorted(row)}; set inferenceAttribute/"
                                   f"probabilityAttribute to one of them (got {attribute!r})")
        return row[attribute]
    column = int(attribute) if attribute is not None and attribute.isdigit() else 0 if attribute is None else -1
    if not 0 <= column < len(row):
        raise GroundTruthError(f"{where}: the response has {len(row)} positional column(s), no {attribute!r}")
    return row[column]


def _one_row(rows_of: OutputRows, record: dict[str, Any], where: str, side: str = "response") -> Row:
    try:
        rows = rows_of(record)
    except (RecordError, KeyError, TypeError, ValueError) as err:
        raise GroundTruthError(f"{where}: {side} not readable with spec.payload: {err}") from err
    if len(rows) != 1:
        raise GroundTruthError(f"{where}: {side} holds {len(rows)} rows; ground truth matches one prediction per "
                               "captured request (event id)")
    return rows[0]


InputRows = OutputRows
"""A capture record → the rows of its request (`input_rows_reader`)."""


def input_rows_reader(mapping: PayloadMapping | None, preprocessor: Preprocessor | None) -> InputRows:
    """How a request becomes its row: the record preprocessor's row, else `spec.payload`'s input side, else the
    shape rules (`read.payloads.payload_rows`)."""
    if preprocessor is not None:
        return preprocessor.rows
    side = mapping.input if mapping is not None else None
    return lambda record: payload_rows(record["captureData"]["endpointInput"], side)


def window_records(lines: Iterable[bytes | str], *, start: datetime | None = None, end: datetime | None = None,
                   source: str = "<captures>") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, match id, record) of the capture records whose inferenceTime falls in [start, end), leaving out our
    own feature-attribution requests (`read.records.is_synthetic`); the match id is the inferenceId, else the
    eventId."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        record = load_record(line, where)
        if is_synthetic(record):
            continue  # not the endpoint's traffic, never labelled
        metadata = record.get("eventMetadata") or {}
        moment = record_time(metadata.get("inferenceTime"), where)
        if (start is not None and moment < start) or (end is not None and moment >= end):
            continue
        match_id = metadata.get("inferenceId") or metadata.get("eventId")
        if not isinstance(match_id, str) or not match_id:
            raise GroundTruthError(f"{where}: neither eventMetadata.inferenceId nor eventId is set")
        yield where, match_id, record


def capture_lines_s3(s3: S3Reader, capture_uri: str, window: QualityWindow | Window,
                     batch: BatchCapture | None = None) -> list[bytes]:
    """The capture lines of a window: `{capture_uri}/yyyy/mm/dd/hh/*.jsonl` of its hours, or with `batch`, the
    records of the batch transform jobs whose capture manifests fall in it."""
    if batch is not None:
        return [orjson.dumps(record) for record in capture_records(
            s3, capture_uri, window.start, window.end, content_type=batch.content_type, accept=batch.accept)]
    hours = hour_prefixes(capture_uri, window.start, window.end - timedelta(microseconds=1))
    return [line for _key, _modified, object_lines in s3_objects(s3, hours) for line in object_lines]


def read_predictions(lines: Iterable[bytes | str], *, inference_attribute: str | None,
                     probability_attribute: str | None = None, start: datetime | None = None,
                     end: datetime | None = None, source: str = "<captures>",
                     output_rows: OutputRows | None = None, input_rows: InputRows | None = None) -> Predictions:
    """Predictions of the capture records whose inferenceTime falls in [start, end); `output_rows` decodes each
    response as `spec.payload` says (else the attributes address the raw response: JSON path or CSV column).
    With `input_rows`, each prediction keeps its request's row too (one row per request, like the prediction)."""
    ids: list[str] = []
    predicted: list[str | None] = []
    scores: list[float] = []
    inputs: list[Row] | None = [] if input_rows is not None else None
    for where, match_id, record in window_records(lines, start=start, end=end, source=source):
        value_of: Callable[[str | None], str]
        if output_rows is not None:
            row = _one_row(output_rows, record, where)
            value_of = functools.partial(_row_value, row, where=where)
        else:
            output = (record.get("captureData") or {}).get("endpointOutput")
            text, kind = decode_payload(output, f"{where} captureData.endpointOutput")
            value_of = functools.partial(extract, text, kind, where=where)
        if inputs is not None and input_rows is not None:
            inputs.append(_one_row(input_rows, record, where, "request"))
        ids.append(match_id)
        if inference_attribute is not None or probability_attribute is None:
            predicted.append(value_of(inference_attribute))
        else:
            predicted.append(None)
        if probability_attribute is not None:
            raw = value_of(probability_attribute)
            try:
                scores.append(float(raw))
            except ValueError as err:
                raise GroundTruthError(f"{where}: probability {raw!r} is not a number") from err
    return Predictions(ids=ids, predicted=predicted, scores=scores if probability_attribute is not None else None,
                       inputs=inputs)


def read_predictions_s3(s3: S3Reader, capture_uri: str, window: QualityWindow, *, inference_attribute: str | None,
                        probability_attribute: str | None = None, output_rows: OutputRows | None = None,
                        input_rows: InputRows | None = None, batch: BatchCapture | None = None) -> Predictions:
    """Predictions of the window from `{capture_uri}/yyyy/mm/dd/hh/*.jsonl` (only the window's hours listed), or
    with `batch`, of the batch transform jobs whose capture manifests fall in the window."""
    return read_predictions(capture_lines_s3(s3, capture_uri, window, batch), inference_attribute=inference_attribute,
                            probability_attribute=probability_attribute, start=window.start, end=window.end,
                            source=capture_uri, output_rows=output_rows, input_rows=input_rows)


