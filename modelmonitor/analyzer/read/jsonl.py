"""JSON-lines datasets (one JSON object or array a line) → column batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import orjson

from modelmonitor.analyzer.read.batches import Batch, BatchBuilder, ReadCounters
from modelmonitor.analyzer.read.payloads import json_rows
from modelmonitor.analyzer.read.sources import DataObject, iter_lines


def read_jsonl(objects: Iterable[DataObject], counters: ReadCounters,
               on_bytes: Callable[[int], None] | None = None) -> Iterator[Batch]:
    builder = BatchBuilder(counters)
    for obj in objects:
        builder.source = obj.uri
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
                try:
                    rows = json_rows(value)
                except orjson.JSONEncodeError as exc:  # values are re-encoded as text; orjson stops at depth 254
                    counters.bad(f"{obj.uri} line {number}", f"a value nested too deeply ({exc})")
                    continue
                counters.records += len(rows)
                builder.add(rows)
            counters.lines += len(lines)
            line_number += len(lines)
            if builder.full():
                yield from builder.drain()
    yield from builder.drain()
