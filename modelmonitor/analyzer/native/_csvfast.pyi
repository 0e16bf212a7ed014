"""Type stub for the C module `_csvfast.c` (see its source for the contracts). Buffers are typed `Any`: NumPy
arrays, bytes and memoryviews all qualify, and NumPy's stubs do not declare the buffer protocol on Python 3.11."""

from typing import Any

ColumnCounts = tuple[int, int, int, int, int, int]
"""(finite values, missing, Integral, Fractional, int64-exact flag, canonical-integer flag)."""

TextCounts = tuple[int, list[tuple[bytes, int]]]
"""A text column: (missing, [(distinct text, count), ...])."""

def parse_block(block: Any, width: int, out: Any, skip_ragged: bool, text_limit: int, text_budget: int, /
                ) -> tuple[int, int, list[ColumnCounts | TextCounts | None]] | None: ...
def bin_counts(values: Any, edges: Any, counts: Any, /) -> None: ...
def more_distinct_than(values: Any, limit: int, /) -> bool: ...
def count_newlines(block: Any, /) -> int: ...
def moments(values: Any, /) -> tuple[float, float, float, float, float]: ...
