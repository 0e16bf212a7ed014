"""Data-capture JSON lines → CSV lines with Arrow's multi-threaded JSON reader, a block at a time, without a Python
object per record. Only for blocks in which every record takes the common shape: CSV-encoded input (and output,
when the layout joins it) holding one unquoted row. Any other block returns None and goes through the per-record
path in `readers`, whose semantics are the reference; tests hold the two to the same batches."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from modelmonitor.analyzer.base.arrowlib import pa, pajson, pc


@functools.cache
def _schema() -> Any:
    """The record fields the block path reads (built on first use: Arrow loads only when a run needs it)."""
    payload = pa.struct([("data", pa.string()), ("encoding", pa.string())])
    return pa.schema([
        ("captureData", pa.struct([("endpointInput", payload), ("endpointOutput", payload)])),
        ("eventMetadata", pa.struct([("inferenceTime", pa.string())])),
    ])


_PLAIN_ROW_BREAKERS = '[\n\r"]'
"""A payload holding any of these is not one unquoted CSV row."""


@dataclass(frozen=True)
class CaptureLines:
    text: Any
    """The block's CSV rows, newline-terminated, as one Arrow buffer (output columns first when joined)."""
    first_line: str
    rows: int
    outside_window: int


def capture_lines(block: bytes | bytearray, *, join_output: bool, window: tuple[str, str] | None
                  ) -> CaptureLines | None:
    """One block of complete capture lines → its CSV rows; None when some record needs the per-record path (not
    JSON, not an object, another encoding, a quoted or multi-line payload, a missing field...)."""
    try:
        table = pajson.read_json(
            pa.py_buffer(block),
            parse_options=pajson.ParseOptions(explicit_schema=_schema(), unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not table.num_rows:
        return None
    capture = table.column("captureData").combine_chunks()
    if capture.null_count:
        return None
    outside = 0
    if window is not None:
        # The per-record path compares `str(inferenceTime)[:19]`; a missing time is inside every window.
        when = pc.utf8_slice_codeunits(
            pc.struct_field(table.column("eventMetadata").combine_chunks(), "inferenceTime"), 0, 19)
        when = pc.fill_null(when, "")
        start, end = window
        out = pc.and_(pc.not_equal(when, ""), pc.or_(pc.less(when, start), pc.greater_equal(when, end)))
        outside = int(pc.sum(out).as_py() or 0)
        if outside:
            capture = capture.filter(pc.invert(out))
            if not len(capture):
                return CaptureLines(text=pa.py_buffer(b""), first_line="", rows=0, outside_window=outside)
    line = _plain_rows(pc.struct_field(capture, "endpointInput"), allow_null=False)
    if line is None:
        return None
    if join_output:
        output = pc.struct_field(capture, "endpointOutput")
        out_line = _plain_rows(output, allow_null=True)
        if out_line is None:
            return None
        line = pc.if_else(pc.is_null(output), line, pc.binary_join_element_wise(out_line, line, ","))
    if int(pc.min(pc.binary_length(line)).as_py()) == 0:
        return None  # an empty row: the list path decides how wide it is
    terminated = pc.binary_join_element_wise(line, pa.scalar(""), "\n")
    offsets, data = terminated.buffers()[1:3]
    end_offset = memoryview(offsets).cast("i")[terminated.offset + len(terminated)]
    start_offset = memoryview(offsets).cast("i")[terminated.offset]
    return CaptureLines(text=data[start_offset:end_offset], first_line=line[0].as_py(), rows=len(line),
                        outside_window=outside)


def _plain_rows(payload: Any, *, allow_null: bool) -> Any | None:
    """The payloads' data when every one is CSV-encoded and one unquoted row; nulls stay null when allowed."""
    if payload.null_count and not allow_null:
        return None
    valid = payload.drop_null() if payload.null_count else payload
    if not len(valid):
        return pc.struct_field(payload, "data")
    encoding, data = pc.struct_field(valid, "encoding"), pc.struct_field(valid, "data")
    if encoding.null_count or data.null_count or not pc.all(pc.equal(encoding, "CSV")).as_py():
        return None
    if pc.any(pc.match_substring_regex(data, _PLAIN_ROW_BREAKERS)).as_py():
        return None
    return pc.struct_field(payload, "data")
