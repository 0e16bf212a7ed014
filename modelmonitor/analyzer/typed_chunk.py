"""Typing one chunk of a column's text with Arrow's C++ kernels: which values are missing, Integral or Fractional
(SageMaker's rules), and their numbers. Pure — it reads no column state — so a worker thread can type the next
chunk while `stats` adds up the previous one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelmonitor.analyzer.distributions import FloatArray


@dataclass(frozen=True)
class TypedChunk:
    """A chunk whose present values all parse as numbers."""

    n_missing: int
    """Empty values plus non-finite numbers ("nan", "inf"), which SageMaker counts as missing."""
    n_integral: int
    n_fractional: int
    numbers: FloatArray
    """The finite values, in order."""
    texts: Any
    """Their text (Arrow strings), for category counts."""
    int64_exact: bool
    """Every value is written as an integer within int64's range: the NumPy path would have parsed the chunk as
    int64, which has no negative zero."""


def type_text(values: Any) -> TypedChunk | None:
    """An Arrow string array (no nulls) → its typed chunk; None when some present value is not an Arrow number —
    the caller then takes the NumPy path, whose semantics are the reference."""
    missing = pc.equal(values, "")
    n_missing = int(pc.sum(missing).as_py() or 0)
    present = values.filter(pc.invert(missing)) if n_missing else values
    if not len(present):
        return TypedChunk(n_missing, 0, 0, np.empty(0, dtype=np.float64), present, True)
    # No int64 cast first: Arrow's integer parser also takes hex ("0x10"), which Python's int() rejects.
    try:
        floats = pc.cast(present, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # Writable: the KLL binding rejects read-only (zero-copy) buffers.
    numbers: FloatArray = floats.to_numpy(zero_copy_only=False, writable=True)
    finite = np.isfinite(numbers)
    whole = finite & (numbers == np.floor(numbers))
    n_integral = 0
    if whole.any():
        texts = present.filter(pa.array(whole))
        # Deequ's patterns: "3.0" and "1e3" are Fractional although integer-valued.
        written_fractional = pc.match_substring_regex(texts, "[.eE]")
        n_integral = len(texts) - int(pc.sum(written_fractional).as_py() or 0)
    int64_exact = n_integral == len(present) and numbers.min() >= -(2.0**63) and numbers.max() < 2.0**63
    n_finite = int(finite.sum())
    if n_finite != len(present):
        present, numbers = present.filter(pa.array(finite)), numbers[finite]
    return TypedChunk(n_missing=n_missing + len(values) - n_missing - n_finite, n_integral=n_integral,
                      n_fractional=n_finite - n_integral, numbers=numbers, texts=present, int64_exact=bool(int64_exact))


def prepare(column: Any) -> Any:
    """An Arrow text column typed ahead of time when it is all numbers; anything else as it is (`stats` types it
    on the way in)."""
    if isinstance(column, pa.Array):
        typed = type_text(column)
        if typed is not None:
            return typed
    return column
