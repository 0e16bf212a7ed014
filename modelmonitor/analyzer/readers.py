"""Streaming readers: SageMaker data-capture JSON lines, CSV and JSON-lines datasets → column batches of text.

Every value stays text here ("" = missing) so one vectorised typing pass (`stats`) serves every format. Batches
hold at most `BATCH_ROWS` rows: memory stays bounded whatever the window size. Lines that cannot be parsed are
counted in `ReadCounters.malformed`; the caller decides when that is fatal.
"""

from __future__ import annotations

import base64
import binascii
import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from modelmonitor.analyzer._csvfast import count_newlines
from modelmonitor.analyzer.arrow_capture import CaptureLines, capture_lines
from modelmonitor.analyzer.arrow_text import TextColumn, arrow_block, arrow_columns
from modelmonitor.analyzer.native_block import native_columns
from modelmonitor.analyzer.sources import DataObject, Window, iter_blocks, iter_lines

BATCH_ROWS = 50_000
DataFormat = Literal["capture", "csv", "jsonl"]
CaptureLayout = Literal["output_first", "input_only"]
HeaderMode = Literal["auto", "present", "absent"]

_LIST_KEYS = ("instances", "inputs", "features", "data")
"""Keys whose list value holds the rows of a JSON request (SageMaker framework containers' conventions)."""


@dataclass
class ReadCounters:
    lines: int = 0
    records: int = 0
    malformed: int = 0
    outside_window: int = 0
    examples: list[str] = field(default_factory=list)

    def bad(self, where: str, why: str) -> None:
        self.malformed += 1
        if len(self.examples) < 5:
            self.examples.append(f"{where}: {why}")


def _text_of(column: Any) -> Any:
    load = getattr(column, "load_texts", None)  # a TypedChunk from the C path keeps no text, but can read it again
    return column if load is None else load()


@dataclass(frozen=True)
class Batch:
    """Column-major text values. `names is None`: columns are positional (headerless CSV, capture CSV)."""

    names: list[str] | None
    text_columns: list[TextColumn]
    n_rows: int

    @property
    def columns(self) -> list[list[str]]:
        """The columns as Python lists of text (Arrow columns are converted, and columns typed in C read again, on
        each access)."""
        return [c if isinstance(c, list) else _text_of(c).to_pylist() for c in self.text_columns]


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(value).decode()


def split_csv(lines: list[str]) -> list[list[str]]:
    if any('"' in line for line in lines):
        return [row for row in csv.reader(lines)]
    return [line.split(",") for line in lines]


def _csv_text_rows(text: str) -> list[list[str]]:
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return split_csv([line for line in lines if line])


Row = list[str] | dict[str, str]


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


def plain_columns(lines: list[str]) -> list[list[str]]:
    """Unquoted CSV lines → columns. When every line has the same field count (the usual case) one join and one
    split replace a list per row: no per-row containers, so neither allocation nor the garbage collector's
    scans grow with the batch."""
    widths = {line.count(",") for line in lines}
    if len(widths) == 1:
        width = widths.pop() + 1
        flat = ",".join(lines).split(",")
        return [flat[i::width] for i in range(width)]
    rows = [line.split(",") for line in lines]
    width = max(len(r) for r in rows)
    padded = [r + [""] * (width - len(r)) for r in rows]
    return [list(c) for c in zip(*padded, strict=True)]


class _BatchBuilder:
    """Collects rows and emits column batches: unquoted CSV lines (the fast path), parsed positional rows, and
    named rows (JSON objects) — the three never share a batch."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.positional: list[list[str]] = []
        self.named: list[dict[str, str]] = []
        self.names: dict[str, None] = {}

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            if isinstance(row, dict):
                self.names.update(dict.fromkeys(row))
                self.named.append(row)
            else:
                self.positional.append(row)

    def full(self) -> bool:
        return max(len(self.plain), len(self.positional), len(self.named)) >= BATCH_ROWS

    def drain(self, header: list[str] | None = None) -> Iterator[Batch]:
        if self.plain:
            lines, self.plain = self.plain, []
            columns = arrow_columns(lines)
            yield Batch(names=header, text_columns=plain_columns(lines) if columns is None else columns,
                        n_rows=len(lines))
        if self.positional:
            rows, self.positional = self.positional, []
            widths = {len(r) for r in rows}
            if len(widths) > 1:
                width = max(widths)
                rows = [r + [""] * (width - len(r)) for r in rows]
            yield Batch(names=header, text_columns=[list(c) for c in zip(*rows, strict=True)], n_rows=len(rows))
        if self.named:
            named, self.named = self.named, []
            names = list(self.names)
            yield Batch(names=names, text_columns=[[r.get(n, "") for r in named] for n in names],
                        n_rows=len(named))


def _plain_csv(payload: dict[str, Any]) -> str | None:
    """The common payload (one unquoted CSV row) as is; None means "take the general parser"."""
    if payload.get("encoding") != "CSV":
        return None
    data: str = payload["data"]
    if "\n" in data or '"' in data or "\r" in data:
        return None
    return data


def _fast_line(record: Any, layout: CaptureLayout) -> str | None:
    capture = record["captureData"]
    line = _plain_csv(capture["endpointInput"])
    if line is None:
        return None
    output = capture.get("endpointOutput")
    if layout == "input_only" or output is None:
        return line
    out_line = _plain_csv(output)
    return None if out_line is None else f"{out_line},{line}"


def read_capture(objects: Iterable[DataObject], layout: CaptureLayout, counters: ReadCounters,
                 window: Window | None = None, on_bytes: Callable[[int], None] | None = None) -> Iterator[Batch]:
    """Capture files a block at a time: Arrow reads blocks of common records (`arrow_capture`), any other block
    goes record by record."""
    builder = _BatchBuilder()
    keys = (window.start_key, window.end_key) if window else None
    join_output = layout == "output_first"
    for obj in objects:
        line_number = 0  # of the last line before this block, in this object
        for block in iter_blocks(obj):
            fast = capture_lines(block, join_output=join_output, window=keys)
            if on_bytes:
                on_bytes(len(block))
            n_lines = count_newlines(block) + (not block.endswith(b"\n"))
            counters.lines += n_lines
            line_number += n_lines
            if fast is None:
                lines = block.split(b"\n")
                if block.endswith(b"\n"):
                    lines.pop()
                _capture_records(lines, obj.uri, layout, keys, first=line_number - n_lines + 1, builder=builder,
                                 counters=counters)
            else:
                counters.outside_window += fast.outside_window
                counters.records += fast.rows
                batch = _lines_batch(fast)
                if batch is None:
                    builder.plain.extend(bytes(fast.text).decode("utf-8").split("\n")[:-1])
                else:
                    yield from builder.drain()
                    yield batch
            if builder.full():
                yield from builder.drain()
    yield from builder.drain()


def _lines_batch(lines: CaptureLines) -> Batch | None:
    if not lines.rows or lines.first_line.startswith("\ufeff"):
        return None
    width = lines.first_line.count(",") + 1
    parsed = (native_columns(memoryview(lines.text), lines.rows + 1, width, skip_ragged=False)
              or arrow_block(lines.text, width, range(width), skip_ragged=False))
    if parsed is None or parsed[1] != lines.rows:
        return None  # ragged rows: the list path pads them
    return Batch(names=None, text_columns=parsed[0], n_rows=lines.rows)


def _capture_records(lines: Sequence[bytes | bytearray], uri: str, layout: CaptureLayout,
                     window: tuple[str, str] | None, *, first: int, builder: _BatchBuilder,
                     counters: ReadCounters) -> None:
    """Record by record; `first` is the number of the first line in its object (for messages)."""
    plain = builder.plain
    loads = orjson.loads
    for number, line in enumerate(lines, start=first):
        if not line or line.isspace():
            continue
        try:
            record = loads(line)
            if window is not None:
                when = str(record.get("eventMetadata", {}).get("inferenceTime", ""))[:19]
                if when and not window[0] <= when < window[1]:
                    counters.outside_window += 1
                    continue
            fast = _fast_line(record, layout)
            if fast is not None:
                plain.append(fast)
                counters.records += 1
                continue
            rows = capture_record_rows(record, layout)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError,
                binascii.Error, UnicodeDecodeError) as exc:
            counters.bad(f"{uri} line {number}", f"{type(exc).__name__}: {exc}"[:200])
            continue
        counters.records += len(rows)
        builder.add(rows)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_header(fields: list[str]) -> bool:
    """A first CSV row is a header when every field is a non-empty, non-numeric, distinct name."""
    return bool(fields) and all(f.strip() and not _is_number(f) for f in fields) and len(set(fields)) == len(fields)


def read_jsonl(objects: Iterable[DataObject], counters: ReadCounters,
               on_bytes: Callable[[int], None] | None = None) -> Iterator[Batch]:
    builder = _BatchBuilder()
    for obj in objects:
        line_number = 0  # of the line before this group, in this object
        for lines in iter_lines(obj):
            if on_bytes:
                on_bytes(sum(len(line) + 1 for line in lines))
            for number, line in enumerate(lines, start=line_number + 1):
                if not line.strip():
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    counters.bad(f"{obj.uri} line {number}", str(exc)[:200])
                    continue
                if not isinstance(value, dict | list):
                    counters.bad(f"{obj.uri} line {number}", "not a JSON object or array")
                    continue
                rows = json_rows(value)
                counters.records += len(rows)
                builder.add(rows)
            counters.lines += len(lines)
            line_number += len(lines)
            if builder.full():
                yield from builder.drain()
    yield from builder.drain()


def sniff_format(first_line: bytes) -> DataFormat:
    text = first_line.strip()
    if text.startswith(b"{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return "jsonl"
        return "capture" if isinstance(value, dict) and "captureData" in value else "jsonl"
    return "csv"


def first_line(obj: DataObject) -> bytes:
    for lines in iter_lines(obj, chunk_bytes=1 << 16):
        for line in lines:
            if line.strip():
                return line
    return b""
