"""Payload decoders: one captured request or response body (SageMaker's `endpointInput` / `endpointOutput`:
`data`, `encoding`, `observedContentType`) → rows. Decoders for further content types and shapes belong here."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError, RecordError
from modelmonitor.analyzer.read.batches import CaptureLayout, Row, fmt
from modelmonitor.analyzer.read.payload_mapping import (
    MappingError,
    pair_outputs,
    pair_record,
    parse_path,
    payload_body_rows,
    shape_rows,
)


@dataclass(frozen=True)
class RecordRows:
    """One capture record's rows; `unpaired`: its outputs did not pair one-to-one with its inputs, so the output
    columns of these rows are left empty (counted by the reader, never dropped silently)."""

    rows: list[Row]
    unpaired: bool = False
    n_outputs: int = 0


RecordDecoder = Callable[[dict[str, Any]], RecordRows]
"""A capture record → its rows, when something other than the shape rules decides them (a payload mapping, a record
preprocessor): readers then take every record through it, no fast path."""


def json_rows(value: Any) -> list[Row]:
    """A JSON body without a mapping → rows of text (the shape rules, `payload_mapping.shape_rows`)."""
    return [_texts(row) for row in shape_rows(value)]


@dataclass(frozen=True)
class PayloadSide:
    """Where one side's features are (`path`, payload_mapping's syntax) and what to call them (`names`)."""

    path: str | None = None
    names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PayloadMapping:
    """`spec.payload`: the request's (`input`) and the response's (`output`) mapping; a side left None is decoded
    by the shape rules (`json_rows`)."""

    input: PayloadSide | None = None
    output: PayloadSide | None = None


def parse_mapping(raw: Any, where: str) -> PayloadMapping:
    """`{"input": {"path": …, "names": […]}, "output": {…}}` (the shape of `spec.payload`) → a PayloadMapping;
    RecordError naming the field that is wrong."""
    if not isinstance(raw, dict) or not set(raw) <= {"input", "output"}:
        raise RecordError(f"{where}: a payload mapping is an object with `input` and/or `output`")
    sides: dict[str, PayloadSide | None] = {}
    for key in ("input", "output"):
        side = raw.get(key)
        if side is None:
            sides[key] = None
            continue
        if not isinstance(side, dict) or not set(side) <= {"path", "names"}:
            raise RecordError(f"{where}: {key} must be an object with `path` and/or `names`")
        path, names = side.get("path"), side.get("names")
        if path is not None:
            try:
                parse_path(path if isinstance(path, str) else "")
            except MappingError as exc:
                raise RecordError(f"{where}: {key}.path: {exc}") from exc
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) and n for n in names)
                                  or len(set(names)) != len(names)):
            raise RecordError(f"{where}: {key}.names must be a list of distinct non-empty strings")
        sides[key] = PayloadSide(path=path, names=tuple(names) if names else None)
    return PayloadMapping(input=sides["input"], output=sides["output"])


def mapping_from_json(raw: str, where: str) -> PayloadMapping | None:
    """A payload mapping given as JSON text (the environment's `payload_mapping`, the CLI's `--payload`); None when
    empty. AnalyzerInputError names what is wrong."""
    if not raw.strip():
        return None
    try:
        return parse_mapping(orjson.loads(raw), where)
    except orjson.JSONDecodeError as exc:
        raise AnalyzerInputError(f"{where} is not JSON: {exc}") from exc
    except RecordError as exc:
        raise AnalyzerInputError(str(exc)) from exc


def _texts(row: Row | dict[str, Any] | list[Any]) -> Row:
    if isinstance(row, dict):
        return {str(k): fmt(v) for k, v in row.items()}
    return [fmt(v) for v in row]


def payload_rows(payload: dict[str, Any], side: PayloadSide | None = None) -> list[Row]:
    """One endpointInput/endpointOutput → rows of text (`payload_mapping.payload_body_rows`)."""
    rows = payload_body_rows(payload["data"], str(payload.get("encoding", "")),
                             str(payload.get("observedContentType", "")), path=side.path if side else None,
                             names=side.names if side else None, mapped=side is not None, loads=orjson.loads)
    return [_texts(r) for r in rows]


def _as_positional(row: Row) -> list[str]:
    return list(row.values()) if isinstance(row, dict) else row


def decode_record(record: Any, layout: CaptureLayout, mapping: PayloadMapping | None = None) -> RecordRows:
    """One capture record → its rows, outputs first when the layout says so and they were captured."""
    capture = record["captureData"]
    inputs = payload_rows(capture["endpointInput"], mapping.input if mapping else None)
    output = capture.get("endpointOutput")
    if layout == "input_only" or output is None:
        return RecordRows(inputs)
    outputs = payload_rows(output, mapping.output if mapping else None)
    rows, unpaired = pair_record(inputs, outputs)
    return RecordRows([_texts(r) for r in rows], unpaired=unpaired, n_outputs=len(outputs) if unpaired else 0)


def capture_widths(record: Any, mapping: PayloadMapping | None = None) -> tuple[int, int]:
    """(input columns, output columns) of one capture record — decides the layout against a baseline."""
    capture = record["captureData"]
    inputs = payload_rows(capture["endpointInput"], mapping.input if mapping else None)
    output = capture.get("endpointOutput")
    outputs = payload_rows(output, mapping.output if mapping else None) if output is not None else []
    paired = pair_outputs(inputs, outputs) or outputs
    width = len(_as_positional(inputs[0])) if inputs else 0
    out_width = len(_as_positional(paired[0])) if paired else 0
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
