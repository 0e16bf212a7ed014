"""Payload decoders: one captured request or response body (SageMaker's `endpointInput` / `endpointOutput`:
`data`, `encoding`, `observedContentType`) → rows. Decoders for further content types and shapes belong here."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError, RecordError
from modelmonitor.analyzer.read.batches import CaptureLayout, Row, fmt, split_csv
from modelmonitor.analyzer.read.payload_mapping import (
    MappingError,
    combine,
    csv_rows,
    json_documents,
    mapped_rows,
    pair_outputs,
    parse_path,
)

_INSTANCE_KEYS = ("instances", "inputs", "predictions", "outputs")
"""Row-format wrappers (TensorFlow Serving's REST API, which SageMaker's JSON follows): every element of the list is
one instance or one prediction — a scalar, a list (positional columns) or an object (named columns)."""
_ROW_LIST_KEYS = ("features", "data")
"""Wrappers whose list is ONE instance when it holds scalars, or rows when it holds lists or objects."""
_METADATA_KEYS = frozenset({"signature_name", "model_name", "model_version", "id", "parameters"})
"""Keys that may stand beside a wrapper without being data (TensorFlow Serving, KServe v2)."""


@dataclass(frozen=True)
class RecordRows:
    """One capture record's rows; `unpaired`: its outputs did not pair one-to-one with its inputs, so the output
    columns of these rows are left empty (counted by the reader, never dropped silently)."""

    rows: list[Row]
    unpaired: bool = False
    n_outputs: int = 0


def _csv_text_rows(text: str) -> list[list[str]]:
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return split_csv([line for line in lines if line])


def _wrapped(value: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    for key in keys:
        if key in value and all(k == key or k in _METADATA_KEYS for k in value):
            return key, value[key]
    return None


def _is_tensor(item: Any) -> bool:
    return isinstance(item, dict) and "data" in item and ("shape" in item or "datatype" in item)


def _flat(values: Any) -> list[Any]:
    if not isinstance(values, list):
        return [values]
    return [x for v in values for x in _flat(v)]


def kserve_rows(tensors: list[dict[str, Any]]) -> list[Row]:
    """KServe v2 / Open Inference Protocol tensors (`{"name", "shape", "datatype", "data"}`) → positional rows: the
    first dimension is the batch; each tensor contributes its remaining elements as columns, in tensor order."""
    columns_per_tensor: list[list[list[str]]] = []
    n_rows: int | None = None
    for tensor in tensors:
        data = [fmt(x) for x in _flat(tensor["data"])]
        shape = tensor.get("shape")
        batch = int(shape[0]) if isinstance(shape, list) and shape else len(data)
        if batch <= 0 or len(data) % batch:
            raise ValueError(f"KServe v2 tensor {tensor.get('name', '?')!r}: {len(data)} values do not split into "
                             f"shape {shape}")
        if n_rows is not None and batch != n_rows:
            raise ValueError(f"KServe v2 tensors disagree on the batch size ({n_rows} and {batch})")
        n_rows = batch
        width = len(data) // batch
        columns_per_tensor.append([data[i * width:(i + 1) * width] for i in range(batch)])
    return [[x for rows in columns_per_tensor for x in rows[i]] for i in range(n_rows or 0)]


def _instance(item: Any) -> Row:
    """One element of a row-format list → one row."""
    if isinstance(item, dict):
        features = item.get("features") if len(item) == 1 else None
        if isinstance(features, list):
            return [fmt(x) for x in features]  # AWS's `{"features": [...]}` instance (Clarify, built-ins)
        return {str(k): fmt(v) for k, v in item.items()}
    if isinstance(item, list):
        return [fmt(x) for x in item]  # a nested array stays one (JSON text) value: tensors do not explode
    return [fmt(item)]


def _columnar(inputs: dict[str, Any]) -> list[Row]:
    """TensorFlow Serving's columnar format (`{"inputs": {"a": [..], "b": [..]}}`): one named row per index."""
    lengths = {len(v) for v in inputs.values() if isinstance(v, list)}
    if len(lengths) != 1 or len(inputs) != sum(isinstance(v, list) for v in inputs.values()):
        raise ValueError("columnar inputs/outputs must all be lists of one length")
    n = lengths.pop()
    return [{str(k): fmt(v[i]) for k, v in inputs.items()} for i in range(n)]


def json_rows(value: Any) -> list[Row]:
    """A JSON request/response body → rows (docs/analyzer.md, "Payloads")."""
    if isinstance(value, dict):
        for key in ("inputs", "outputs"):
            tensors = value.get(key)
            if isinstance(tensors, list) and tensors and all(_is_tensor(t) for t in tensors):
                return kserve_rows(tensors)
        wrapped = _wrapped(value, _INSTANCE_KEYS)
        if wrapped is not None:
            key, inner = wrapped
            if isinstance(inner, list):
                return [_instance(item) for item in inner]
            if isinstance(inner, dict) and key in ("inputs", "outputs"):
                return _columnar(inner)
        wrapped = _wrapped(value, _ROW_LIST_KEYS)
        if wrapped is not None and isinstance(wrapped[1], list):
            return json_rows(wrapped[1])
        return [{str(k): fmt(v) for k, v in value.items()}]
    if isinstance(value, list):
        if value and all(isinstance(v, list | dict) for v in value):
            return [_instance(v) for v in value]
        return [[fmt(v) for v in value]]
    return [[fmt(value)]]


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
    """One endpointInput/endpointOutput → rows. Encoding CSV or JSON is text; anything else is base64 (the literal
    SageMaker writes for that case is undocumented, so every other value is treated as base64)."""
    data = payload["data"]
    encoding = str(payload.get("encoding", "")).upper()
    content_type = str(payload.get("observedContentType", "")).lower()
    if encoding not in {"CSV", "JSON"}:
        data = base64.b64decode(data, validate=True)
        if "json" not in content_type:
            data = data.decode("utf-8")
            encoding = "CSV"
    if encoding == "CSV":
        rows = _csv_text_rows(data)
        return [_texts(r) for r in csv_rows(rows, side.names)] if side and side.names else list(rows)
    documents = json_documents(data, content_type, orjson.loads)
    if side is not None:
        return [_texts(r) for r in mapped_rows(documents, side.path, side.names)]
    return [row for document in documents for row in json_rows(document)]


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
    paired = pair_outputs(inputs, outputs)
    if paired is None:
        # Keep the inputs, leave this record's output columns empty: positional columns must stay aligned.
        width = max((len(_as_positional(r)) for r in outputs), default=1)
        empty: Row = [""] * width
        return RecordRows([_texts(combine(empty, r)) if isinstance(r, list) else r for r in inputs],
                          unpaired=True, n_outputs=len(outputs))
    return RecordRows([_texts(combine(o, i)) for o, i in zip(paired, inputs, strict=True)])


def capture_record_rows(record: Any, layout: CaptureLayout) -> list[Row]:
    return decode_record(record, layout).rows


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
