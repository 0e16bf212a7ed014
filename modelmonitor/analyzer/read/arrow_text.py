"""Unquoted CSV text → Arrow string columns, parsed by Arrow's multi-threaded CSV reader. The text-typing pass in
`stats` then runs on Arrow's C++ kernels instead of per-value Python objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from modelmonitor.analyzer.base.arrowlib import pa, pacsv

TextColumn = list[str] | Any
"""One column of text values: a Python list, or an Arrow string array (no nulls) from the plain-CSV fast path."""


def arrow_columns(lines: list[str]) -> list[TextColumn] | None:
    """Unquoted CSV lines of one field count → Arrow string arrays, parsed by Arrow's multi-threaded CSV reader
    with quoting off and every value kept as text ("" stays "", never null). None when the field counts differ:
    the caller pads ragged rows itself."""
    if lines[0].startswith("\ufeff"):
        return None  # Arrow would drop a leading byte-order mark that the list path keeps as text.
    width = lines[0].count(",") + 1
    try:
        table = _parse(pa.py_buffer("\n".join(lines).encode("utf-8")), width, skip_empty_lines=False)
    except pa.ArrowInvalid:
        # Arrow rejects any row whose field count differs from the first row's.
        return None
    if table.num_rows != len(lines):
        return None  # a trailing empty line reads as the end of the text, not as a row
    return [table.column(i).combine_chunks() for i in range(width)]


def arrow_block(block: bytes | memoryview, width: int, include: Iterable[int], *, skip_ragged: bool
                ) -> tuple[list[TextColumn], int, int] | None:
    """A block of complete CSV lines, as read from a file, → (the string columns at `include`, rows, ragged rows
    skipped), without ever splitting it into Python strings; Arrow tokenizes every column but converts only the
    included ones. Only for blocks the list path would read the same way: no quote, no carriage return, no
    byte-order mark (the caller checks). Empty lines are skipped, as the list path skips them. A row whose field
    count is not `width` is skipped and counted when `skip_ragged`, otherwise makes this return None; so does text
    that is not UTF-8 (the list path then reports it)."""
    if not _utf8(block):
        return None
    ragged = 0

    def skip_row(_row: Any) -> str:
        nonlocal ragged
        if not skip_ragged:
            return "error"
        ragged += 1
        return "skip"

    wanted = [f"c{i}" for i in include]
    try:
        table = _parse(pa.py_buffer(block), width, skip_empty_lines=True, on_invalid=skip_row, include=wanted)
    except pa.ArrowInvalid:
        return None
    return [table.column(name).combine_chunks() for name in wanted], table.num_rows, ragged


def _utf8(block: bytes | memoryview) -> bool:
    """Checked before Arrow sees the block: Arrow decodes a ragged row's text for the invalid-row handler, and a
    row that is not UTF-8 then raises inside Arrow, which prints a traceback to stderr ("Exception ignored") and
    refuses the block. ASCII, the common case, is told in one pass over a copy."""
    data = bytes(block)
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse(buffer: Any, width: int, *, skip_empty_lines: bool,
           on_invalid: Callable[[Any], str] | None = None, include: list[str] | None = None) -> Any:
    names = [f"c{i}" for i in range(width)]
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(quote_char=False, double_quote=False, escape_char=False,
                                         newlines_in_values=False, ignore_empty_lines=skip_empty_lines,
                                         invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                             strings_can_be_null=False, quoted_strings_can_be_null=False,
                                             null_values=[], include_columns=include or names),
    )
