"""Payload decoders: one captured request or response body (SageMaker's `endpointInput` / `endpointOutput`:
`data`, `encoding`, `observedContentType`) → rows. Decoders for further content types and shapes belong here."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import RecordError
from modelmonitor.analyzer.read.batches import CaptureLayout, Row, fmt, split_csv

_LIST_KEYS = ("instances", "inputs", "features", "data")
"""Keys whose list value holds the rows of a JSON request (SageMaker framework containers' conventions)."""


def _csv_text_rows(text: str) -> list[list[str]]:
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return split_csv([line for line in lines if line])


def json_rows(value: Any) -> list[Row]:
    """A JSON request/response body → rows: objects are named rows, lists positional ones."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key in _LIST_KEYS and isinstance(inner, list):
                return json_rows(inner)
        return [{str(k): fmt(v) for k, v in value.items()}]
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            return [[fmt(x) for x in v] for v in value]
        if value and all(isinstance(v, dict) for v in value):
            return [{str(k): fmt(x) for k, x in v.items()} for v in value]
        return [[fmt(v) for v in value]]
    return [[fmt(value)]]


def payload_rows(payload: dict[str, Any]) -> list[Row]:
    """One endpointInput/endpointOutput → rows. Encoding CSV or JSON is text; anything else is base64 (the literal
    SageMaker writes for that case is undocumented, so every other value is treated as base64)."""
    data = payload["data"]
    encoding = str(payload.get("encoding", "")).upper()
    content_type = str(payload.get("observedContentType", "")).lower()
    if encoding == "CSV":
        return list(_csv_text_rows(data))
    if encoding == "JSON":
        return json_rows(orjson.loads(data))
    raw = base64.b64decode(data, validate=True)
    if "json" in content_type:
        return json_rows(orjson.loads(raw))
    return list(_csv_text_rows(raw.decode("utf-8")))


def _as_positional(row: Row) -> list[str]:
    return list(row.values()) if isinstance(row, dict) else row


def capture_record_rows(record: Any, layout: CaptureLayout) -> list[Row]:
    capture = record["captureData"]
    inputs = payload_rows(capture["endpointInput"])
    output = capture.get("endpointOutput")
    if layout == "input_only" or output is None:
        return inputs
    outputs = payload_rows(output)
    if len(outputs) != len(inputs):
        # A batch request whose response does not split into one output per row: keep the inputs only.
        return inputs
    combined: list[Row] = []
    for out_row, in_row in zip(outputs, inputs, strict=True):
        if isinstance(in_row, dict):
            combined.append({**(out_row if isinstance(out_row, dict) else {}), **in_row})
        else:
            combined.append(_as_positional(out_row) + in_row)
    return combined


def capture_widths(record: Any) -> tuple[int, int]:
    """(input columns, output columns) of one capture record — decides the layout against a baseline."""
    capture = record["captureData"]
    inputs = payload_rows(capture["endpointInput"])
    output = capture.get("endpointOutput")
    outputs = payload_rows(output) if output is not None else []
    width = len(_as_positional(inputs[0])) if inputs else 0
    out_width = len(_as_positional(outputs[0])) if outputs else 0
    return width, out_width


def payload_text(payload: Any, where: str) -> tuple[str, str]:
    """(text, kind) of one capture or ground-truth payload; kind is CSV or JSON (base64 payloads are sniffed)."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise RecordError(f"{where}: missing data")
    data = payload["data"]
    if not isinstance(data, str):
        raise RecordError(f"{where}: data must be a string")
    encoding = str(payload.get("encoding", "CSV")).upper()
    if encoding in ("CSV", "JSON"):
        return data, encoding
    # Any other encoding is SageMaker's base64 for content types not listed as CSV/JSON (literal unconfirmed).
    try:
        text = base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as err:
        raise RecordError(f"{where}: {encoding} data is not base64 UTF-8 text: {err}") from err
    content_type = str(payload.get("observedContentType", ""))
    kind = "JSON" if "json" in content_type or text.lstrip()[:1] in ("{", "[") else "CSV"
    return text, kind
