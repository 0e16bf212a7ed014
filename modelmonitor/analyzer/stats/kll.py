"""The analyzer's quantile sketch: our C implementation (`_kll.c`, `_kll_core.c`, `_kll_sort.c`, and `_kll_simd.c`,
which sorts level zero in AVX2 registers where the CPU has them) of Apache DataSketches' KLL sketch of doubles — same
compaction scheme (lazy, level capacities max(8, round(k·c^depth)), random odd/even halving, merge by level-wise union
then general compression), so the same error guarantees: normalized rank error at most `normalized_rank_error(k, pmf)`
with 99 % confidence, exact while n ≤ k, total weight equal to n at all times. `c` is DataSketches' 2/3 by default
(levels bit-exact with DataSketches); the analyzer uses SageMaker's parameters, k = 2048 and c = 0.64 (what AWS's
analyzer writes in statistics.json).

What differs from DataSketches: the halving coin comes from a splitmix64 generator seeded per sketch (`seed`,
default `DEFAULT_SEED`), so the same values in the same order give the same sketch run after run; `update` takes a
whole float64 array and works with the GIL released; the sketch travels as plain JSON (`to_json`: k, n, min, max
and the levels), not as DataSketches' bytes. Sketches of different k or c cannot be merged.

Queries follow DataSketches' sorted view: `get_cdf` and `get_quantile` have its semantics (inclusive or not) and
raise RuntimeError on an empty sketch, as DataSketches does."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from modelmonitor.analyzer.base.distributions import FloatArray, WeightedSample
from modelmonitor.analyzer.native import _kll

DEFAULT_K = 200
KLL_MIN_K, KLL_MAX_K = 8, 65535
"""The k the C sketch accepts (DataSketches' minimum level width, and a 16-bit k)."""
DATASKETCHES_C = 2.0 / 3.0
DEFAULT_SEED: int = _kll.DEFAULT_SEED
_EMPTY = "operation is undefined for an empty sketch"


def sketch_seed(*names: str) -> int:
    """A coin seed of its own for each sketch of a run (its column's name, and the shard's id in a sharded run):
    KLL's error analysis assumes independent coins, which sketches merged from shards would not have with one
    shared seed. Still deterministic, so reruns give the same sketches."""
    mixed = DEFAULT_SEED
    for name in names:
        mixed = ((mixed ^ zlib.crc32(name.encode("utf-8"))) * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF
    return mixed


def normalized_rank_error(k: int, pmf: bool) -> float:
    """DataSketches' `kll_sketch::get_normalized_rank_error`: the rank error not exceeded with 99 % confidence,
    single-sided (`pmf=False`: one rank or quantile) or double-sided (`pmf=True`: the mass between two points, as a
    PMF, a CDF difference or a two-sample distance uses). Constants fitted by DataSketches on its own trials."""
    return 2.446 / math.pow(k, 0.9433) if pmf else 2.296 / math.pow(k, 0.9723)


class KllSketch(_kll.KllSketch):
    """`KllSketch(k=200, seed=DEFAULT_SEED, c=2/3)`. One sketch may be used from several threads (calls serialise on its
    own lock); `update` releases the GIL, so sketches of different columns fill in parallel."""

    __slots__ = ("_view",)

    def update(self, values: npt.ArrayLike) -> None:
        """Adds the values (NaN is ignored); any array-like, converted to contiguous float64 when it is not."""
        super().update(np.ascontiguousarray(values, dtype=np.float64))

    def normalized_rank_error(self, pmf: bool) -> float:
        return normalized_rank_error(self.k, pmf)

    def sorted_view(self) -> tuple[FloatArray, npt.NDArray[np.uint64]]:
        """(items ascending, cumulative weights): DataSketches' quantiles_sorted_view. Cached until the sketch
        changes (n only grows, so the total weight identifies the content). Weights are unsigned 64-bit, as the
        count is: they sum to n, which may pass 2**63 in merged partial statistics."""
        cached: tuple[FloatArray, npt.NDArray[np.uint64]] | None = getattr(self, "_view", None)
        if cached is not None and cached[1].size and int(cached[1][-1]) == self.n:
            return cached
        items, cumulative = self.sorted_view_buffers()  # built in C from one snapshot
        view = (np.frombuffer(items, dtype=np.float64), np.frombuffer(cumulative, dtype=np.uint64))
        self._view = view
        return view

    def get_cdf(self, points: npt.ArrayLike, inclusive: bool = True) -> FloatArray:
        """Normalized ranks at strictly increasing points, plus a last 1.0 (len(points) + 1 values): the share of
        weight at or below each point (`inclusive`), or strictly below it."""
        split = np.asarray(points, dtype=np.float64).ravel()
        if self.is_empty():
            raise RuntimeError(_EMPTY)
        if np.isnan(split).any():
            raise ValueError("Values must not be NaN")
        if split.size > 1 and not bool(np.all(split[1:] > split[:-1])):
            raise ValueError("Values must be unique and monotonically increasing")
        items, cumulative = self.sorted_view()
        idx = np.searchsorted(items, split, side="right" if inclusive else "left")
        below = np.where(idx > 0, cumulative[np.maximum(idx - 1, 0)], 0)
        ranks: FloatArray = np.append(below / float(cumulative[-1]), 1.0)
        return ranks

    def get_quantile(self, rank: float, inclusive: bool = True) -> float:
        """The retained item at normalized rank `rank` (DataSketches' rule: the first item whose cumulative weight
        reaches ceil(rank·n) when inclusive, exceeds floor(rank·n) when not)."""
        if self.is_empty():
            raise RuntimeError(_EMPTY)
        if not 0.0 <= rank <= 1.0:
            raise ValueError("normalized rank cannot be less than zero or greater than 1.0")
        items, cumulative = self.sorted_view()
        total = float(cumulative[-1])
        weight = math.ceil(rank * total) if inclusive else math.floor(rank * total)
        idx = int(np.searchsorted(cumulative, weight, side="left" if inclusive else "right"))
        return float(items[min(idx, items.size - 1)])

    def sample(self) -> WeightedSample:
        """The distinct retained values, ascending, each with its total weight (an integer; they sum to n)."""
        if self.is_empty():
            return WeightedSample.of([])
        items, cumulative = self.sorted_view()
        weights = np.diff(cumulative, prepend=0)
        starts = np.flatnonzero(np.concatenate([[True], items[1:] != items[:-1]]))
        return WeightedSample.of(items[starts], np.add.reduceat(weights, starts).astype(np.float64))

    def to_json(self) -> dict[str, Any]:
        """k, c, n, min, max (None when empty) and levels, read from one snapshot of the sketch."""
        return self.state()

    @classmethod
    def from_json(cls, raw: Any, *, seed: int = DEFAULT_SEED) -> KllSketch:
        """The inverse of `to_json`; ValueError naming what is wrong with a document that is not one. A document
        without `c` (written before c was a parameter) is DataSketches' 2/3."""
        if not isinstance(raw, dict):
            raise ValueError(f"a KLL sketch is a JSON object, got {type(raw).__name__}")
        missing = [key for key in ("k", "n", "min", "max", "levels") if key not in raw]
        if missing:
            raise ValueError(f"a KLL sketch needs {', '.join(missing)}")
        k, n = raw["k"], raw["n"]
        if not isinstance(k, int) or isinstance(k, bool) or not isinstance(n, int) or isinstance(n, bool):
            raise ValueError(f"k and n must be integers, got {k!r} and {n!r}")
        levels = raw["levels"]
        if not isinstance(levels, list) or not all(isinstance(level, list) for level in levels):
            raise ValueError("levels must be a list of lists of numbers")
        c = raw.get("c", DATASKETCHES_C)
        if not isinstance(c, float | int) or isinstance(c, bool):
            raise ValueError(f"c must be a number, got {c!r}")
        try:
            return cls.from_levels(levels, n, raw["min"], raw["max"], k=k, seed=seed, c=float(c))
        except TypeError as exc:
            raise ValueError(str(exc)) from exc
