"""Typed Arrow columns (Parquet, Arrow IPC) → what `stats` adds up, typed by SageMaker's rules exactly as the same
data written to CSV would be: the CSV path is the reference, so a dataset gives the same statistics.json in either
format.

- integers → Integral (a CSV writer writes them without a point); nulls → missing.
- floating point → Fractional, also when a value is whole: a CSV writer writes `1.0` (Python's `repr`, pandas'
  `to_csv`), which Deequ's patterns call Fractional. NaN and ±infinity are missing, as "nan" and "inf" are in CSV.
  float32 and float16 values are taken as their shortest text (float32 0.1 is `0.1`, not 0.10000000149…), which is
  what the CSV holds.
- strings (and decimals, as their decimal text) go through the text typing unchanged: "12" in a string column is
  Integral, "" is missing — as in CSV.
- booleans → the text `true` / `false` (String), as Spark's CSV writer and our JSON lines reader write them.
- dates and timestamps → their text as Arrow writes it (`2026-12-06`, `2026-12-06 10:00:00.000000`), a String:
  SageMaker's analyzer types the dates of a CSV as strings too.
- lists, structs and maps are refused, naming the column: flatten them before monitoring.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modelmonitor.analyzer.base.arrowlib import pa, pc
from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.typed_chunk import TypedChunk

_EXACT_INTEGERS = 2.0**53
"""Integers up to this magnitude survive float64, so `str(int(number))` writes their text (`TypedChunk.canonical`)."""


def stats_column(array: Any, name: str, where: str) -> Any:
    """One column of a record batch → a `TypedChunk` (numbers) or an Arrow string array ("" = missing) that the
    text typing (`typed_chunk.prepare`) takes as it takes a CSV column."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_null(kind):
        return pa.array([""] * len(array), type=pa.string())
    if pa.types.is_integer(kind):
        return _integers(array)
    if pa.types.is_floating(kind):
        return _floats(array)
    if pa.types.is_boolean(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind) \
            or pa.types.is_decimal(kind) or pa.types.is_temporal(kind):
        return _as_text(array, name, where)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return _as_text(array, name, where)  # UTF-8 text stored as bytes; anything else is refused by the cast
    raise AnalyzerInputError(f"{where}: column {name!r} has type {kind}, which the analyzer cannot type "
                             "(Integral, Fractional or String): flatten nested columns into one column per value")


def _as_text(array: Any, name: str, where: str) -> Any:
    try:
        text = pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise AnalyzerInputError(f"{where}: column {name!r} ({array.type}) is not text: "
                                 f"{str(exc).splitlines()[0]}") from exc
    return pc.fill_null(text, "")


def _integers(array: Any) -> TypedChunk:
    n_missing = array.null_count
    present = array.drop_null() if n_missing else array
    numbers = present.to_numpy(zero_copy_only=False).astype(np.float64)
    exact = bool(not numbers.size or (numbers.min() >= -(2.0**63) and numbers.max() < 2.0**63))
    canonical = bool(not numbers.size or np.abs(numbers).max() <= _EXACT_INTEGERS)

    def texts() -> Any:
        return pc.fill_null(pc.cast(array, pa.string()), "")

    return TypedChunk(n_missing=n_missing, n_integral=len(present), n_fractional=0, n_string=0, numbers=numbers,
                      texts=None, int64_exact=exact, canonical=canonical, load_texts=texts)


def _floats(array: Any) -> TypedChunk:
    values = array.to_numpy(zero_copy_only=False)  # nulls become NaN, which is missing like them
    if values.dtype != np.float64:
        # The CSV holds the shortest text that reads back as the float32 value; parsing it gives a float64.
        values = values.astype(str).astype(np.float64)
    finite = np.isfinite(values)
    numbers = values[finite] if not finite.all() else values
    n_missing = len(values) - int(finite.sum())
    no_values = array.null_count == len(array)  # as for an all-empty CSV chunk; "nan" is a value until typed

    def texts() -> Any:
        text = np.asarray(values).astype(str)  # NumPy's float text is Python's repr: what a CSV writer writes
        return pa.array(np.where(finite, text, ""), type=pa.string())

    return TypedChunk(n_missing=n_missing, n_integral=0, n_fractional=numbers.size, n_string=0, numbers=numbers,
                      texts=None, int64_exact=no_values, load_texts=texts)
