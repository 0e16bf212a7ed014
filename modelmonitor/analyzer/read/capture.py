"""SageMaker data-capture files (one JSON record a line, `captureData.endpointInput`/`endpointOutput`) → column
batches. Blocks of common records go through Arrow (`arrow_capture`); any other block goes record by record
through the payload decoders (`payloads`)."""

from __future__ import annotations

import binascii
import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import RecordError
from modelmonitor.analyzer.read.arrow_capture import CaptureLines, capture_lines
from modelmonitor.analyzer.read.arrow_text import arrow_block
from modelmonitor.analyzer.read.batches import MAX_COLUMNS, Batch, BatchBuilder, CaptureLayout, ReadCounters
from modelmonitor.analyzer.read.native_block import BlockBuffers, block_lines, native_columns
from modelmonitor.analyzer.read.payloads import RecordDecoder, decode_record
from modelmonitor.analyzer.read.records import SYNTHETIC_INFERENCE_PREFIX, is_synthetic
from modelmonitor.analyzer.read.sources import DataObject, Window, iter_blocks

SYNTHETIC_MARK = SYNTHETIC_INFERENCE_PREFIX.encode()


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
                 window: Window | None = None, on_bytes: Callable[[int], None] | None = None,
                 *, decode: RecordDecoder | None = None) -> Iterator[Batch]:
    """Capture files a block at a time: Arrow reads blocks of common records (`arrow_capture`), any other block
    goes record by record — every block when `decode` (a payload mapping or a record preprocessor) decides the
    rows."""
    builder = BatchBuilder(counters)
    keys = (window.start_key, window.end_key) if window else None
    join_output = layout == "output_first"
    buffers = BlockBuffers()
    for obj in objects:
        builder.source = obj.uri
        line_number = 0  # of the last line before this block, in this object
        for block in iter_blocks(obj):
            # A block holding our own attribution requests goes record by record, where they are left out; the
            # marker search is one memchr-speed scan, so ordinary blocks keep the fast path.
            slow = decode is not None or SYNTHETIC_MARK in block
            fast = None if slow else capture_lines(block, join_output=join_output, window=keys)
            if on_bytes:
                on_bytes(len(block))
            n_lines = block_lines(block)
            counters.lines += n_lines
            line_number += n_lines
            if fast is None:
                lines = block.split(b"\n")
                if block.endswith(b"\n"):
                    lines.pop()
                _capture_records(lines, obj.uri, layout, keys, first=line_number - n_lines + 1, builder=builder,
                                 counters=counters, decode=decode)
            else:
                counters.outside_window += fast.outside_window
                counters.records += fast.rows
                batch = _lines_batch(fast, buffers)
                if batch is None:
                    builder.plain.extend(bytes(fast.text).decode("utf-8").split("\n")[:-1])
                else:
                    yield from builder.drain()
                    yield batch
            if builder.full():
                yield from builder.drain()
    yield from builder.drain()


def _lines_batch(lines: CaptureLines, buffers: BlockBuffers) -> Batch | None:
    if not lines.rows or lines.first_line.startswith("\ufeff"):
        return None
    width = lines.first_line.count(",") + 1
    if width > MAX_COLUMNS:
        return None  # the list path counts the row malformed
    parsed = (native_columns(memoryview(lines.text), lines.rows + 1, width, skip_ragged=False, buffers=buffers)
              or arrow_block(lines.text, width, range(width), skip_ragged=False))
    if parsed is None or parsed[1] != lines.rows:
        return None  # ragged rows: the list path pads them
    return Batch(names=None, text_columns=parsed[0], n_rows=lines.rows)


def _capture_records(lines: Sequence[bytes | bytearray], uri: str, layout: CaptureLayout,
                     window: tuple[str, str] | None, *, first: int, builder: BatchBuilder,
                     counters: ReadCounters, decode: RecordDecoder | None = None) -> None:
    """Record by record; `first` is the number of the first line in its object (for messages)."""
    plain = builder.plain
    loads = orjson.loads
    for number, line in enumerate(lines, start=first):
        if not line or line.isspace():
            continue
        try:
            record = loads(line)
            if is_synthetic(record):
                counters.synthetic += 1
                continue
            if window is not None:
                when = str(record.get("eventMetadata", {}).get("inferenceTime", ""))[:19]
                if when and not window[0] <= when < window[1]:
                    counters.outside_window += 1
                    continue
            if decode is not None:
                decoded = decode(record)
            else:
                fast = _fast_line(record, layout)
                if fast is not None:
                    plain.append(fast)
                    counters.records += 1
                    continue
                decoded = decode_record(record, layout)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError,
                binascii.Error, UnicodeDecodeError, csv.Error, RecordError) as exc:
            counters.bad(f"{uri} line {number}", f"{type(exc).__name__}: {exc}"[:200])
            continue
        if decoded.unpaired:
            counters.not_paired(f"{uri} line {number}", len(decoded.rows), decoded.n_outputs)
        counters.records += len(decoded.rows)
        builder.add(decoded.rows)
