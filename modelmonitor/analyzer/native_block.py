"""Plain CSV blocks typed in C (`_csvfast.parse_block`): numeric columns go straight from bytes to float64 values
and SageMaker's type counts, with no text array in between. A column holding anything but numbers is read by
Arrow's reader and typed by `typed_chunk` as before; so is a numeric column whose category counts are still wanted
and cannot be told from its numbers (`TypedChunk.load_texts`). The C typing follows `typed_chunk.classify`; tests
hold the statistics of both paths to each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from modelmonitor.analyzer._csvfast import parse_block
from modelmonitor.analyzer.arrow_text import TextColumn, arrow_block
from modelmonitor.analyzer.typed_chunk import TypedChunk


def native_columns(body: memoryview, n_lines: int, width: int, on_ragged: Callable[[], None] | None
                   ) -> tuple[list[TextColumn | TypedChunk], int] | None:
    """`arrow_text.block_columns`'s contract (same rows, same ragged-row handling, None for the list path), with
    numeric columns already typed."""
    out = np.empty((width, n_lines), dtype=np.float64)
    parsed = parse_block(body, width, out, on_ragged is not None)
    if parsed is None:
        return None
    n_rows, ragged, typed = parsed
    text_columns = [c for c, column in enumerate(typed) if column is None]
    texts: dict[int, TextColumn] = {}
    if text_columns:
        found = arrow_block(body, width, text_columns, skip_ragged=on_ragged is not None)
        if found is None or found[1] != n_rows:
            return None
        texts = dict(zip(text_columns, found[0], strict=True))
    if on_ragged is not None:
        for _ in range(ragged):
            on_ragged()
    columns: list[TextColumn | TypedChunk] = []
    for c, column in enumerate(typed):
        if column is None:
            columns.append(texts[c])
            continue
        n_finite, n_missing, n_integral, n_fractional, int64_exact, canonical = column
        columns.append(TypedChunk(
            n_missing=n_missing, n_integral=n_integral, n_fractional=n_fractional, n_string=0,
            numbers=out[c, :n_finite], texts=None, int64_exact=bool(int64_exact), canonical=bool(canonical),
            load_texts=_text_loader(body, width, c, on_ragged is not None)))
    return columns, n_rows


def _text_loader(body: memoryview, width: int, column: int, skip_ragged: bool) -> Callable[[], Any]:
    def load() -> Any:
        found = arrow_block(body, width, [column], skip_ragged=skip_ragged)
        if found is None:  # pragma: no cover — the C parser already read this block as plain numbers
            raise RuntimeError("Arrow refused a block the native parser read")
        return found[0][0]
    return load
