"""Unquoted CSV lines → Arrow string columns, parsed by Arrow's multi-threaded CSV reader. The text-typing pass in
`stats` then runs on Arrow's C++ kernels instead of per-value Python objects."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

TextColumn = list[str] | Any
"""One column of text values: a Python list, or an Arrow string array (no nulls) from the plain-CSV fast path."""


def arrow_columns(lines: list[str]) -> list[TextColumn] | None:
    """Unquoted CSV lines of one field count → Arrow string arrays, parsed by Arrow's multi-threaded CSV reader
    with quoting off and every value kept as text ("" stays "", never null). None when the field counts differ:
    the caller pads ragged rows itself."""
    if lines[0].startswith("\ufeff"):
        return None  # Arrow would drop a leading byte-order mark that the list path keeps as text.
    width = lines[0].count(",") + 1
    names = [f"c{i}" for i in range(width)]
    try:
        table = _parse_plain(lines, names)
    except pa.ArrowInvalid:
        # Arrow rejects any row whose field count differs from the first row's.
        return None
    if table.num_rows != len(lines):
        return None  # a trailing empty line reads as the end of the text, not as a row
    return [table.column(i).combine_chunks() for i in range(width)]


def _parse_plain(lines: list[str], names: list[str]) -> Any:
    return pacsv.read_csv(
        pa.py_buffer("\n".join(lines).encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(quote_char=False, double_quote=False, escape_char=False,
                                         newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                             strings_can_be_null=False, quoted_strings_can_be_null=False,
                                             null_values=[]),
    )
