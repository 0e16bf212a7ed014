"""How a captured body becomes rows: the shape rules (TensorFlow Serving's row and columnar formats, KServe v2
tensors, `{"features": [...]}` instances), the payload mapping (`spec.payload`: where a request's or response's
features are, and what to call them) and the pairing of outputs with inputs.

A path is JSONPath-like: keys joined by dots, `[n]` an index, `[*]` the row axis (each element is one row), e.g.
`instances[*].features`, `predictions[*].score`, `outputs[0].data`. Without `[*]` the selected value is one row.
A row that is a scalar is one column, a list positional columns, an object named columns; `names` names positional
columns (or picks and orders an object's keys).

This module imports nothing but the standard library, on purpose: under `analyzer: builtin` its source is embedded
verbatim in the record preprocessor script AWS's analyzer runs (`preprocessor_script`), so both analyzers apply one
implementation of these rules. Values stay as JSON gave them; the analyzer turns them into text afterwards.
"""

from __future__ import annotations

import base64
import csv
import re
from collections.abc import Callable, Sequence
from typing import Any

PATH_PATTERN = r"^(?:[A-Za-z_][A-Za-z0-9_-]*|\[(?:\*|-?[0-9]+)\])(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[(?:\*|-?[0-9]+)\])*$"
"""What `spec.payload.*.path` accepts (the spec validates against the same pattern)."""
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\*|-?[0-9]+)\]")
ROWS = "*"

Row = list[Any] | dict[str, Any]


class MappingError(ValueError):
    """A payload that the mapping does not fit; the message says where."""


def parse_path(path: str) -> list[str | int]:
    """`instances[*].features` → ["instances", "*", "features"]; at most one `[*]`."""
    if not re.match(PATH_PATTERN, path):
        raise MappingError(f"payload path {path!r} is not of the form key.key[0][*]")
    steps: list[str | int] = []
    for key, index in _STEP.findall(path):
        steps.append(key if key else (ROWS if index == ROWS else int(index)))
    if steps.count(ROWS) > 1:
        raise MappingError(f"payload path {path!r} has more than one [*]")
    return steps


def _step(value: Any, step: str | int, path: str) -> Any:
    if isinstance(step, int):
        if isinstance(value, list) and -len(value) <= step < len(value):
            return value[step]
        raise MappingError(f"{path}: no element [{step}]")
    if isinstance(value, dict) and step in value:
        return value[step]
    raise MappingError(f"{path}: no key {step!r}")


def select_rows(document: Any, steps: Sequence[str | int], path: str) -> list[Any]:
    """The row values the path selects in one JSON document."""
    value = document
    for position, step in enumerate(steps):
        if step == ROWS:
            if not isinstance(value, list):
                raise MappingError(f"{path}: [*] needs a list, found {type(value).__name__}")
            rest = steps[position + 1:]
            return [_walk(item, rest, path) for item in value]
        value = _step(value, step, path)
    return [value]


def _walk(value: Any, steps: Sequence[str | int], path: str) -> Any:
    for step in steps:
        value = _step(value, step, path)
    return value


def named(value: Any, names: Sequence[str] | None) -> Row:
    """One selected row value → a positional row, or a named one when `names` is given."""
    if isinstance(value, dict):
        if not names:
            return dict(value)
        missing = [name for name in names if name not in value]
        if missing:
            raise MappingError(f"no key(s) {missing} in {sorted(value)}")
        return {name: value[name] for name in names}
    values = value if isinstance(value, list) else [value]
    if not names:
        return list(values)
    if len(values) != len(names):
        raise MappingError(f"{len(values)} value(s) for {len(names)} name(s) {list(names)}")
    return dict(zip(names, values, strict=True))


def mapped_rows(documents: Sequence[Any], path: str | None, names: Sequence[str] | None) -> list[Row]:
    """Rows of a JSON body (one document, or one per JSON line) under a mapping."""
    steps = parse_path(path) if path else []
    return [named(value, names) for document in documents for value in select_rows(document, steps, path or "")]


def csv_rows(rows: Sequence[Sequence[str]], names: Sequence[str] | None) -> list[Row]:
    """CSV rows (already split) under a mapping: `names` names the columns."""
    return [named(list(row), names) for row in rows]


def pair_outputs(inputs: Sequence[Row], outputs: Sequence[Row]) -> Sequence[Row] | None:
    """Outputs paired with inputs by position: one output row per input row, or one positional output row holding
    exactly one value per input (e.g. `0.1,0.2,0.3` or `[0.1, 0.2, 0.3]` for three rows). None: no pairing."""
    if len(outputs) == len(inputs):
        return outputs
    if len(inputs) > 1 and len(outputs) == 1 and isinstance(outputs[0], list) and len(outputs[0]) == len(inputs):
        return [[value] for value in outputs[0]]
    return None


def output_names(width: int) -> list[str]:
    """Names of positional output columns beside named inputs."""
    return ["output"] if width == 1 else [f"output_{j}" for j in range(width)]


def combine(out_row: Row, in_row: Row) -> Row:
    """One output row and its input row as one row, outputs first (SageMaker's column order). An output column
    named like an input column would be overwritten: refused instead (name the outputs apart)."""
    if isinstance(in_row, dict):
        outs = out_row if isinstance(out_row, dict) else dict(zip(output_names(len(out_row)), out_row, strict=True))
        clash = sorted(set(outs) & set(in_row))
        if clash:
            raise MappingError(f"output column(s) {clash} have the name of an input column: name the outputs "
                               "apart (spec.payload.output.names)")
        return {**outs, **in_row}
    return (list(out_row.values()) if isinstance(out_row, dict) else list(out_row)) + list(in_row)


def pair_record(inputs: Sequence[Row], outputs: Sequence[Row], missing: Any = "") -> tuple[list[Row], bool]:
    """A request's rows with its response's, paired by position; (rows, unpaired). Outputs that do not pair leave
    the output columns of positional rows `missing`, so columns stay aligned (named rows just lack them)."""
    paired = pair_outputs(inputs, outputs)
    if paired is None:
        width = max((len(r) for r in outputs), default=1)
        return [combine([missing] * width, r) if isinstance(r, list) else dict(r) for r in inputs], True
    return [combine(o, i) for o, i in zip(paired, inputs, strict=True)], False


# --- the shape rules: a JSON body without a mapping ---------------------------------------------------------------

_INSTANCE_KEYS = ("instances", "inputs", "predictions", "outputs")
"""Row-format wrappers (TensorFlow Serving's REST API, which SageMaker's JSON follows): every element of the list is
one instance or one prediction — a scalar, a list (positional columns) or an object (named columns)."""
_ROW_LIST_KEYS = ("features", "data")
"""Wrappers whose list is ONE instance when it holds scalars, or rows when it holds lists or objects."""
_METADATA_KEYS = frozenset({"signature_name", "model_name", "model_version", "id", "parameters"})
"""Keys that may stand beside a wrapper without being data (TensorFlow Serving, KServe v2)."""


def _wrapped(value: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    for key in keys:
        if key in value and all(k == key or k in _METADATA_KEYS for k in value):
            return key, value[key]
    return None


def _is_tensor(item: Any) -> bool:
    return isinstance(item, dict) and "data" in item and ("shape" in item or "datatype" in item)


def _flat(values: Any) -> list[Any]:
    """Nested lists in row-major order, without recursion (a deeply nested body cannot exhaust the stack)."""
    flat: list[Any] = []
    stack = [iter([values])]
    while stack:
        item = next(stack[-1], stack)
        if item is stack:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            flat.append(item)
    return flat


def kserve_rows(tensors: list[dict[str, Any]]) -> list[Row]:
    """KServe v2 / Open Inference Protocol tensors (`{"name", "shape", "datatype", "data"}`) → positional rows: the
    first dimension is the batch; each tensor contributes its remaining elements as columns, in tensor order. The
    data must hold exactly the product of the shape's dimensions (the protocol's rule)."""
    columns_per_tensor: list[list[list[Any]]] = []
    n_rows: int | None = None
    for tensor in tensors:
        data = _flat(tensor["data"])
        shape = tensor.get("shape")
        if isinstance(shape, list) and shape:
            if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
                raise MappingError(f"KServe v2 tensor {tensor.get('name', '?')!r}: shape {shape} is not a list of "
                                   "positive integers")
            size = 1
            for dimension in shape:
                size *= dimension
            if size != len(data):
                raise MappingError(f"KServe v2 tensor {tensor.get('name', '?')!r}: {len(data)} values do not fill "
                                   f"shape {shape} ({size})")
            batch = shape[0]
        else:
            batch = len(data)
        if batch <= 0:
            raise MappingError(f"KServe v2 tensor {tensor.get('name', '?')!r} holds no value")
        if n_rows is not None and batch != n_rows:
            raise MappingError(f"KServe v2 tensors disagree on the batch size ({n_rows} and {batch})")
        n_rows = batch
        width = len(data) // batch
        columns_per_tensor.append([data[i * width:(i + 1) * width] for i in range(batch)])
    return [[x for rows in columns_per_tensor for x in rows[i]] for i in range(n_rows or 0)]


def _instance(item: Any) -> Row:
    """One element of a row-format list → one row."""
    if isinstance(item, dict):
        features = item.get("features") if len(item) == 1 else None
        if isinstance(features, list):
            return list(features)  # AWS's `{"features": [...]}` instance (Clarify, built-ins)
        return {str(k): v for k, v in item.items()}
    if isinstance(item, list):
        return list(item)  # a nested array stays one value (JSON text later): tensors do not explode
    return [item]


def _columnar(inputs: dict[str, Any]) -> list[Row]:
    """TensorFlow Serving's columnar format (`{"inputs": {"a": [..], "b": [..]}}`): one named row per index, when
    every input is a list of one length (inputs of different 0-th dimensions are no batch of rows: refused)."""
    lengths = {len(v) for v in inputs.values() if isinstance(v, list)}
    if len(lengths) != 1 or len(inputs) != sum(isinstance(v, list) for v in inputs.values()):
        raise MappingError("columnar inputs/outputs are rows only when all are lists of one length")
    n = lengths.pop()
    return [{str(k): v[i] for k, v in inputs.items()} for i in range(n)]


def shape_rows(value: Any) -> list[Row]:
    """A JSON body without a mapping → rows (docs/analyzer.md, "Payloads")."""
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
            return shape_rows(wrapped[1])
        return [{str(k): v for k, v in value.items()}]
    if isinstance(value, list):
        if value and all(isinstance(v, list | dict) for v in value):
            return [_instance(v) for v in value]
        return [list(value)]
    return [[value]]


def body_rows(documents: Sequence[Any], path: str | None, names: Sequence[str] | None, *,
              mapped: bool) -> list[Row]:
    """Rows of a JSON body: under a mapping when `mapped` (a side of spec.payload is set), else the shape rules."""
    if mapped:
        return mapped_rows(documents, path, names)
    return [row for document in documents for row in shape_rows(document)]


def json_documents(text: str | bytes, content_type: str, loads: Callable[[str | bytes], Any]) -> list[Any]:
    """The JSON documents of one body: one, or one per line for JSON Lines (declared by the content type, or a
    body that is not one document but whose every non-empty line is)."""
    if any(kind in content_type for kind in ("jsonlines", "jsonl", "ndjson")):
        return [loads(line) for line in text.splitlines() if line.strip()]
    try:
        return [loads(text)]
    except ValueError:  # json.JSONDecodeError and orjson.JSONDecodeError are ValueErrors
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise
        return [loads(line) for line in lines]


# --- one captured body → rows -----------------------------------------------------------------------------------

def split_csv(lines: list[str]) -> list[list[str]]:
    """CSV lines → fields: a plain split while no line holds a quote, else the csv module."""
    if any('"' in line for line in lines):
        return [row for row in csv.reader(lines)]
    return [line.split(",") for line in lines]


def csv_text_rows(text: str) -> list[list[str]]:
    """A CSV body's rows: one per line ("\n"; a trailing "\r" dropped), empty lines skipped."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return split_csv([line for line in lines if line])


def payload_body_rows(data: str, encoding: str, content_type: str, *, path: str | None,
                      names: Sequence[str] | None, mapped: bool, loads: Callable[[str | bytes], Any]) -> list[Row]:
    """One captured body (SageMaker's `data`, `encoding`, `observedContentType`) → rows. Encoding CSV or JSON is
    text; anything else is base64 (the literal SageMaker writes for it is undocumented), JSON when the content type
    says so, else CSV. A CSV body takes `names` only; a JSON body follows the mapping when `mapped`, else the shape
    rules."""
    encoding, content_type = encoding.upper(), content_type.lower()
    body: str | bytes = data
    if encoding not in {"CSV", "JSON"}:
        body = base64.b64decode(data, validate=True)
        if "json" not in content_type:
            body, encoding = body.decode("utf-8"), "CSV"
    if encoding == "CSV":
        rows = csv_text_rows(body if isinstance(body, str) else body.decode("utf-8"))
        return csv_rows(rows, names) if names else list(rows)
    return body_rows(json_documents(body, content_type, loads), path, names, mapped=mapped)
