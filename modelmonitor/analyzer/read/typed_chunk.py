"""Typing one chunk of a column's text with Arrow's C++ kernels: which values are missing, Integral, Fractional or
String (SageMaker's rules), and their numbers. Pure — it reads no column state — so a worker thread can type the
next chunk while `stats` adds up the previous one. Numeric chunks are cast by Arrow; chunks holding text are
classified once per distinct value (Arrow's hash kernels count them), which is what makes categorical columns
cheap."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelmonitor.analyzer.base.arrowlib import pa, pc
from modelmonitor.analyzer.base.distributions import FloatArray

_PROBE_VALUES = 32


@dataclass(frozen=True)
class TypedChunk:
    """One chunk of a column, typed."""

    n_missing: int
    """Empty values plus non-finite numbers ("nan", "inf"), which SageMaker counts as missing."""
    n_integral: int
    n_fractional: int
    n_string: int
    numbers: FloatArray
    """The finite values, in order."""
    texts: Any
    """Their text (Arrow strings), for category counts; None when the chunk was typed without keeping text
    (`native_block`): see `canonical` and `load_texts`."""
    int64_exact: bool
    """Every value is written as an integer within int64's range: the NumPy path would have parsed the chunk as
    int64, which has no negative zero."""
    counted: tuple[list[str], list[int]] | None = None
    """Distinct present texts (strings and finite numbers) and their counts, when typing already counted them."""
    canonical: bool = False
    """Every finite value is an integer written as `str(int(value))` would write it: category counts follow from
    the numbers alone."""
    load_texts: Callable[[], Any] | None = None
    """With `texts` None: reads the chunk's raw column text again (every value, "" and "nan" included)."""


def classify(text: str) -> int:
    """0 Integral, 1 Fractional, 2 String, 3 missing (non-finite numbers count as missing)."""
    try:
        value = float(text)
    except ValueError:
        return 2
    if not math.isfinite(value):
        return 3
    try:
        int(text)
    except ValueError:
        return 1
    return 0


def type_text(values: Any) -> TypedChunk | None:
    """An Arrow string array (no nulls) → its typed chunk; None for the rare chunk of numbers Arrow cannot parse
    (spellings only Python accepts, such as " 1" or "1_000") — the caller then takes the NumPy path, whose
    semantics are the reference."""
    missing = pc.equal(values, "")
    n_missing = int(pc.sum(missing).as_py() or 0)
    present = values.filter(pc.invert(missing)) if n_missing else values
    if not len(present):
        return TypedChunk(n_missing, 0, 0, 0, np.empty(0, dtype=np.float64), present, True)
    # No int64 cast first: Arrow's integer parser also takes hex ("0x10"), which Python's int() rejects.
    # A failing cast is slow (tens of ms per 50k values), so a text column is told by its first values first.
    try:
        pc.cast(present.slice(0, _PROBE_VALUES), pa.float64())
        floats = pc.cast(present, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _type_with_text(present, n_missing)
    numbers: FloatArray = floats.to_numpy(zero_copy_only=False)
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
                      n_fractional=n_finite - n_integral, n_string=0, numbers=numbers, texts=present,
                      int64_exact=bool(int64_exact))


def _type_with_text(present: Any, n_missing: int) -> TypedChunk | None:
    """A chunk in which some value is not an Arrow number: each distinct value is classified once, and the numbers
    keep their order (the moments' rounding depends on it)."""
    counted = pc.value_counts(present)
    distinct: list[str] = counted.field("values").to_pylist()
    kinds = np.fromiter((classify(t) for t in distinct), dtype=np.int8, count=len(distinct))
    if not (kinds == 2).any():
        return None
    counts = counted.field("counts").to_numpy()
    parsed = np.array([float(t) if k <= 1 else math.nan for t, k in zip(distinct, kinds.tolist(), strict=True)],
                      dtype=np.float64)
    codes = pc.index_in(present, value_set=counted.field("values")).to_numpy()
    numbers: FloatArray = parsed[codes[kinds[codes] <= 1]]
    kept = kinds <= 2
    return TypedChunk(n_missing=n_missing + int(counts[kinds == 3].sum()), n_integral=int(counts[kinds == 0].sum()),
                      n_fractional=int(counts[kinds == 1].sum()), n_string=int(counts[kinds == 2].sum()),
                      numbers=numbers, texts=None, int64_exact=False,
                      counted=([t for t, k in zip(distinct, kept.tolist(), strict=True) if k],
                               counts[kept].tolist()))


def prepare(column: Any) -> Any:
    """An Arrow text column typed ahead of time when it is all numbers; anything else as it is (`stats` types it
    on the way in)."""
    if isinstance(column, TypedChunk):
        return column  # typed in C already; checked first so that a numbers-only run never imports Arrow
    if isinstance(column, pa.Array):
        typed = type_text(column)
        if typed is not None:
            return typed
    return column
