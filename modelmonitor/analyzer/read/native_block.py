"""Plain CSV blocks typed in C (`_csvfast.parse_block`): numeric columns go straight from bytes to float64 values
and SageMaker's type counts, text columns to counts per distinct value, with no string per value in between. A text
column with numbers among its values (whose order the reference typing keeps), too many distinct values or text
that is not UTF-8 is read by Arrow's reader and typed by `typed_chunk` as before; the raw text of any column is
still at hand (`TypedChunk.load_texts`) for the category counts that cannot be told from numbers. The C typing
follows `typed_chunk.classify`; tests hold the statistics of both paths to each other."""

from __future__ import annotations

import enum
import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from modelmonitor.analyzer.base.limits import CATEGORY_LIMIT
from modelmonitor.analyzer.native._csvfast import count_newlines, parse_block
from modelmonitor.analyzer.read.arrow_text import TextColumn, arrow_block
from modelmonitor.analyzer.read.typed_chunk import TypedChunk, classify

TEXT_BUDGET_MIN = 8 << 20
"""Bytes that the text columns of a small block may take in C's tables together (see `text_budget`)."""


def text_budget(block_bytes: int) -> int:
    """Bytes that the C tables counting a block's texts may take together: twice the block, at least
    `TEXT_BUDGET_MIN`. A table grows with its column's distinct texts (about 64 to 128 bytes each); columns that
    would take it past the budget are read by Arrow instead, so a block of thousands of text columns or of
    millions of distinct texts costs at most this much here."""
    return max(TEXT_BUDGET_MIN, 2 * block_bytes)


_NEWLINE = ord("\n")


def block_lines(block: bytes | bytearray | memoryview) -> int:
    """Lines in a block of text, a last one without its newline too (none in an empty block): what the readers
    count for `ReadCounters.lines` and number their messages by."""
    return count_newlines(block) + (len(block) > 0 and block[-1] != _NEWLINE)


def row_capacity(block_bytes: int, n_lines: int, width: int) -> int:
    """Rows of `width` fields that a block can hold: no more than its lines, nor than its bytes allow (each row
    takes width - 1 commas and a newline, and at least one byte when width is 1; the last row may lack its
    newline). Sizing by lines alone asked a 5,000-column header over a block of blank lines for 8 bytes x 5,000 x
    every line."""
    return min(n_lines, (block_bytes + 1) // max(2, width))


class BlockBuffers:
    """The float64 buffers `parse_block` fills, reused by the blocks of one read once nothing refers to them any
    more (no column of an earlier block is still being added up). A fresh buffer of a block's size comes from mmap,
    and the kernel zeroes every page the parser then touches: about 8 % of the CPU time of a large CSV window.
    Keeps at most `keep` buffers, each of the largest size asked for; any block beyond them gets a buffer of its
    own, as without reuse. Thread-safe (blocks are parsed on a pool)."""

    def __init__(self, keep: int = 16) -> None:
        self._keep = keep
        self._kept: list[np.ndarray] = []
        self._lock = threading.Lock()

    def take(self, width: int, capacity: int) -> np.ndarray:
        """An uninitialised (width, capacity) float64 array, a view of a kept buffer when one is free."""
        size = width * capacity
        with self._lock:
            free = [i for i in range(len(self._kept))
                    # Free when only the list and getrefcount's argument hold it: every view of a buffer (the
                    # columns handed out) refers to it as its base.
                    if sys.getrefcount(self._kept[i]) == _FREE_REFS]
            fits = [i for i in free if self._kept[i].size >= size]
            if fits:
                return self._kept[fits[0]][:size].reshape(width, capacity)
            # A quarter more than asked: blocks differ by a few lines, and pages never written cost nothing.
            fresh = np.empty(size + size // 4, dtype=np.float64)
            if free:
                self._kept[free[0]] = fresh  # a free buffer too small for this block
            elif len(self._kept) < self._keep:
                self._kept.append(fresh)
            return fresh[:size].reshape(width, capacity)


_FREE_REFS = 2


class Refused(enum.Enum):
    """Why `native_columns` did not read a block."""

    NOT_PLAIN = "a quote or a carriage return: the list path reads the block"
    MORE_LINES = "more lines than the estimate it was given: ask again with the exact count"


def native_columns(body: memoryview, n_lines: int, width: int, *, skip_ragged: bool,
                   buffers: BlockBuffers | None = None) -> tuple[list[TextColumn | TypedChunk], int, int] | None:
    """`arrow_text.arrow_block`'s contract for all columns (same rows, same ragged-row handling, None for the list
    path), with numeric columns already typed and text columns already counted. `n_lines`: at least the block's
    lines (ValueError otherwise). `buffers`: where the typed values go (a new array when not given). A block with a
    quote or a carriage return is left to Arrow's reader (None), as the caller's test for plain text would."""
    found = parse_columns(body, n_lines, width, skip_ragged=skip_ragged, buffers=buffers)
    if found is Refused.MORE_LINES:
        raise ValueError("out has fewer rows than the block has lines")
    if found is None or found is Refused.NOT_PLAIN:
        return None
    return found[:3]


def parse_columns(body: memoryview, n_lines: int, width: int, *, skip_ragged: bool,
                  buffers: BlockBuffers | None = None
                  ) -> tuple[list[TextColumn | TypedChunk], int, int, int] | Refused | None:
    """`native_columns`, with the block's line count (every line, empty ones too) found in the same pass, for a
    block not scanned before: NOT_PLAIN when it holds a quote or a carriage return; `n_lines` may be an estimate,
    MORE_LINES when it was short."""
    capacity = row_capacity(body.nbytes, n_lines, width)
    out = (buffers.take(width, capacity) if buffers is not None
           else np.empty((width, capacity), dtype=np.float64))
    parsed = parse_block(body, width, out, skip_ragged, CATEGORY_LIMIT, text_budget(body.nbytes))
    if parsed is None:
        return None
    if parsed is False:
        return Refused.NOT_PLAIN
    if parsed is True:
        return Refused.MORE_LINES
    n_rows, ragged, typed, lines = parsed
    texts_of = _BlockTexts(body, width, skip_ragged)
    columns: list[TextColumn | TypedChunk | None] = []
    for c, column in enumerate(typed):
        if column is None:
            columns.append(None)
        elif len(column) == 2:
            columns.append(_counted_texts(*column, load_texts=functools.partial(texts_of.column, c)))
        else:
            n_finite, n_missing, n_integral, n_fractional, int64_exact, canonical = column
            columns.append(TypedChunk(
                n_missing=n_missing, n_integral=n_integral, n_fractional=n_fractional, n_string=0,
                numbers=out[c, :n_finite], texts=None, int64_exact=bool(int64_exact), canonical=bool(canonical),
                load_texts=functools.partial(texts_of.column, c)))
    left_to_arrow = [c for c, column in enumerate(columns) if column is None]
    if left_to_arrow:
        found = arrow_block(body, width, left_to_arrow, skip_ragged=skip_ragged)
        if found is None or found[1] != n_rows:
            return None
        for c, text in zip(left_to_arrow, found[0], strict=True):
            columns[c] = text
    return [c for c in columns if c is not None], n_rows, ragged, lines


def _counted_texts(n_missing: int, counted: list[tuple[bytes, int]], *, load_texts: Callable[[], Any]
                   ) -> TypedChunk | None:
    """A text column counted in C, typed as `typed_chunk` types text: each distinct value classified once. None
    (Arrow then reads the column) when a value Python reads as a number (" 5") or that is not UTF-8 is among them:
    the reference keeps numbers in their order, which counts do not."""
    try:
        texts = [text.decode("utf-8") for text, _ in counted]
    except UnicodeDecodeError:
        return None
    kinds = [classify(text) for text in texts]
    if any(kind <= 1 for kind in kinds) or 2 not in kinds:
        return None
    strings = [(text, count) for text, (_, count), kind in zip(texts, counted, kinds, strict=True) if kind == 2]
    missing = sum(count for (_, count), kind in zip(counted, kinds, strict=True) if kind == 3)
    return TypedChunk(n_missing=n_missing + missing, n_integral=0, n_fractional=0,
                      n_string=sum(count for _, count in strings), numbers=np.empty(0, dtype=np.float64),
                      texts=None, int64_exact=False,
                      counted=([text for text, _ in strings], [count for _, count in strings]), load_texts=load_texts)


class _BlockTexts:
    """The raw text of a block's columns, read by Arrow on the first request and kept for the others: a small
    file's decimal columns each want theirs (category counts), and one parse serves them all. Columns are added on
    several lanes at once, hence the lock."""

    def __init__(self, body: memoryview, width: int, skip_ragged: bool) -> None:
        self._body, self._width, self._skip_ragged = body, width, skip_ragged
        self._columns: list[Any] | None = None
        self._lock = threading.Lock()

    def column(self, index: int) -> Any:
        with self._lock:
            if self._columns is None:
                found = arrow_block(self._body, self._width, range(self._width), skip_ragged=self._skip_ragged)
                if found is None:  # pragma: no cover — the C parser already read this block
                    raise RuntimeError("Arrow refused a block the native parser read")
                self._columns = found[0]
            return self._columns[index]
