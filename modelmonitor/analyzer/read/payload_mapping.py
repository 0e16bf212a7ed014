"""The payload mapping (`spec.payload`): where a request's or response's features are, and what to call them.

A path is JSONPath-like: keys joined by dots, `[n]` an index, `[*]` the row axis (each element is one row), e.g.
`instances[*].features`, `predictions[*].score`, `outputs[0].data`. Without `[*]` the selected value is one row.
A row that is a scalar is one column, a list positional columns, an object named columns; `names` names positional
columns (or picks and orders an object's keys).

This module imports nothing but the standard library, on purpose: under `analyzer: builtin` its source is embedded
verbatim in the record preprocessor script AWS's analyzer runs (`preprocessor_script`), so both analyzers apply one
implementation of the mapping.
"""

from __future__ import annotations

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
        return dict(value) if not names else {name: value.get(name) for name in names}
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
    """One output row and its input row as one row, outputs first (SageMaker's column order)."""
    if isinstance(in_row, dict):
        outs = out_row if isinstance(out_row, dict) else dict(zip(output_names(len(out_row)), out_row, strict=True))
        return {**outs, **in_row}
    return (list(out_row.values()) if isinstance(out_row, dict) else list(out_row)) + list(in_row)


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
