"""The bodies feature attribution sends to the model and reads back: each request in the format its ContentType
names, each response read as its Accept type says.

`predictor.content_type` is "The model input format to be used for getting inferences", "text/csv" for CSV or
"application/jsonlines" for JSON Lines ("Parameters to Monitor Attribution Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-model-explainability-parameters.html);
InvokeEndpoint's ContentType is "The MIME type of the input data in the request body". So a request is:

- CSV (`text/csv`): one line of the features per row.
- JSON Lines (`application/jsonlines`, `jsonl`, `ndjson`): one JSON document per row, `{"features": [...]}` (the
  instance shape our readers and Clarify's default content template `{"features":$features}` use), or nested under
  `spec.payload.input.path` (keys only, e.g. `data.features`) with `names` making the row an object.
- JSON (`application/json`): one document, only as `spec.payload.input.path` lays it out with its one `[*]` (e.g.
  `instances[*].features` → `{"instances": [{"features": [...]}, ...]}`): the shape a JSON model expects is not
  guessed.

Anything else is refused before the first call, naming the setting. A response is read as JSON Lines (one
document per line) when its Accept type says so, as one JSON document for other JSON types, else as CSV lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from modelmonitor.analyzer.quality.attribution import Matrix
from modelmonitor.analyzer.quality.model_quality import ModelQualityError
from modelmonitor.analyzer.read.payload_mapping import ROWS, MappingError, json_documents, parse_path
from modelmonitor.analyzer.read.payloads import PayloadSide, json_rows

JSON_LINES_TYPES = ("jsonlines", "jsonl", "ndjson")
DEFAULT_JSON_LINES_PATH = "features"
"""Where a JSON Lines request puts a row's features without a payload mapping: `{"features": [...]}`."""

Encoder = Callable[[Matrix], bytes]


class AttributionError(ModelQualityError):
    """A configuration, a model response or a cost the attribution run cannot accept; the message says which."""


def _is_json_lines(content_type: str) -> bool:
    return any(kind in content_type.lower() for kind in JSON_LINES_TYPES)


def _row_value(row: Any, names: tuple[str, ...] | None) -> Any:
    values = [float(v) for v in row]
    if names is None:
        return values
    if len(names) != len(values):
        raise AttributionError(f"spec.payload.input.names has {len(names)} name(s) for the model's {len(values)} "
                               "features")
    return dict(zip(names, values, strict=True))


def _nest(keys: list[str], value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


def _steps(side: PayloadSide | None, default: str | None) -> list[str | int]:
    path = side.path if side is not None and side.path else default
    if path is None:
        return []
    try:
        return parse_path(path)
    except MappingError as exc:
        raise AttributionError(f"spec.payload.input.path: {exc}") from exc


def _keys(steps: list[str | int], what: str) -> list[str]:
    if not all(isinstance(step, str) and step != ROWS for step in steps):
        raise AttributionError(f"spec.payload.input.path: {what} (keys joined by dots; an index cannot be built)")
    return [str(step) for step in steps]


def request_encoder(content_type: str, side: PayloadSide | None = None) -> Encoder:
    """The body builder for `content_type` (module docstring); AttributionError when requests of that type cannot
    be built from the configuration."""
    kind = content_type.lower()
    names = side.names if side is not None else None
    if "csv" in kind:
        if names is not None or (side is not None and side.path):
            raise AttributionError("predictor.content_type is text/csv: spec.payload.input (a JSON mapping) does not "
                                   "apply to CSV requests")
        return lambda block: "".join(",".join(repr(float(v)) for v in row) + "\n" for row in block).encode()
    if _is_json_lines(kind):
        keys = _keys(_steps(side, DEFAULT_JSON_LINES_PATH), "a JSON Lines request holds one row per line, so its "
                     "path must be keys only, without [*]")
        return lambda block: b"".join(orjson.dumps(_nest(keys, _row_value(row, names))) + b"\n" for row in block)
    if "json" in kind:
        steps = _steps(side, None)
        if ROWS not in steps:
            raise AttributionError(f"predictor.content_type {content_type!r}: a JSON request's layout is not guessed; "
                                   "set spec.payload.input.path with one [*] for the row axis (e.g. "
                                   "instances[*].features), or use text/csv or application/jsonlines")
        at = steps.index(ROWS)
        outer = _keys(steps[:at], "the keys before [*] are the only steps a request can be built from")
        inner = _keys(steps[at + 1:], "the keys after [*] are the only steps a request can be built from")
        return lambda block: orjson.dumps(_nest(outer, [_nest(inner, _row_value(row, names)) for row in block]))
    raise AttributionError(f"predictor.content_type {content_type!r}: attribution requests are built as text/csv, "
                           "application/jsonlines or application/json")


def response_scores(body: bytes, accept: str, score: str | int, expected: int) -> list[float]:
    """One response → one score per row sent: CSV lines, one JSON document per line for JSON Lines, or one JSON
    document (in the shapes the capture readers know) for other JSON types."""
    text = body.decode("utf-8")
    rows: list[Any]
    if "json" in accept.lower():
        try:
            documents = json_documents(text, accept.lower(), orjson.loads)
        except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
            raise AttributionError(f"the endpoint's {accept} response is not JSON: {exc}") from exc
        rows = [row for document in documents for row in json_rows(document)]
    else:
        rows = [r for r in csv.reader(io.StringIO(text)) if r]
    if len(rows) != expected:
        raise AttributionError(f"the endpoint answered {len(rows)} rows for {expected} sent; attribution needs "
                               "one output per row (does the model accept several rows per request?)")
    out = []
    for row in rows:
        value = row.get(score) if isinstance(row, dict) and isinstance(score, str) else \
            row[score] if isinstance(row, list) and isinstance(score, int) and score < len(row) else None
        try:
            out.append(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise AttributionError(f"output column {score!r} is not a number in {row!r}") from exc
    return out


def body_bytes_per_row(encode: Encoder, width: int) -> int:
    """An upper bound of one row's share of a body (a row of the widest float text), to pack requests."""
    return max(1, len(encode(np.full((1, width), -1.2345678901234567e-300))))
