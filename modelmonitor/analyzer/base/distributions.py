"""The inputs and the result shared by every drift method: weighted numeric samples (raw values have weight 1,
a KLL sketch's retained items carry their sketch weights), categorical counts, and `DriftResult`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MIN_SAMPLES_FOR_DRIFT = 30
"""Below this many present values on either side a method answers "insufficient data" instead of a verdict:
a handful of values cannot tell drift from noise, and a false alarm costs more than a late one."""


def sorted_unique(values: npt.ArrayLike) -> FloatArray:
    """np.unique of finite floats without its first call importing numpy.ma (~20 ms of every run's start-up)."""
    ordered: FloatArray = np.sort(np.asarray(values, dtype=np.float64), axis=None)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    unique: FloatArray = ordered[keep]
    return unique


@dataclass(frozen=True)
class WeightedSample:
    """A numeric distribution as sorted values with positive weights; `total` is the number of values it stands for."""

    values: FloatArray
    weights: FloatArray
    cumulative: FloatArray = field(repr=False)
    _paired: list[tuple[WeightedSample, StepCdfs]] = field(default_factory=list, init=False, repr=False,
                                                           compare=False)
    """The last `step_cdfs` against this sample as the reference: L∞, KS and Wasserstein read the same pair."""
    _binned: list[tuple[FloatArray, FloatArray]] = field(default_factory=list, init=False, repr=False,
                                                         compare=False)
    """The last (edges, counts) of this sample on a window's bins (`binning.aligned_counts`): PSI and JS read the
    same counts. Never written to by their readers."""

    @classmethod
    def of(cls, values: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> WeightedSample:
        v = np.asarray(values, dtype=np.float64).ravel()
        w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        if v.shape != w.shape:
            raise ValueError(f"values and weights differ in length: {v.size} vs {w.size}")
        keep = np.isfinite(v) & (w > 0)
        v, w = v[keep], w[keep]
        order = np.argsort(v, kind="stable")
        v, w = v[order], w[order]
        return cls(values=v, weights=w, cumulative=np.cumsum(w))

    @property
    def total(self) -> float:
        return float(self.cumulative[-1]) if self.cumulative.size else 0.0

    def cdf(self, points: FloatArray) -> FloatArray:
        """Right-continuous empirical CDF: the share of weight at or below each point."""
        if not self.values.size:
            return np.zeros_like(points)
        return self._cdf_at(np.searchsorted(self.values, points, side="right"))

    def _cdf_at(self, at_or_below: npt.NDArray[np.intp]) -> FloatArray:
        """The CDF at points given as how many of `values` lie at or below each (searchsorted's "right" side)."""
        below = np.concatenate([[0.0], self.cumulative])[at_or_below]  # the weight of the first n values
        result: FloatArray = below / self.total
        return result

    def mean(self) -> float:
        return float(np.average(self.values, weights=self.weights)) if self.values.size else math.nan

    def std(self) -> float:
        if not self.values.size:
            return math.nan
        mu = self.mean()
        return float(math.sqrt(np.average((self.values - mu) ** 2, weights=self.weights)))


@dataclass(frozen=True)
class CategoricalCounts:
    """Counts per category value."""

    counts: Mapping[str, float]

    @property
    def total(self) -> float:
        return float(sum(self.counts.values()))


@dataclass(frozen=True)
class BinnedCounts:
    """Exact counts on fixed numeric bins (`binning.bin_counts` layout): what a window shard records on the
    baseline's bins so histogram methods need no sketch approximation on the current side."""

    edges: FloatArray
    counts: FloatArray

    @property
    def total(self) -> float:
        return float(self.counts.sum())


Distribution = WeightedSample | CategoricalCounts


class StepCdfs:
    """Two samples' CDFs at every point where either jumps (their distinct values, ascending). A plain class: a
    dataclass costs every process ~0.4 ms to create."""

    __slots__ = ("cur", "points", "ref")

    def __init__(self, points: FloatArray, ref: FloatArray, cur: FloatArray) -> None:
        self.points, self.ref, self.cur = points, ref, cur


def step_cdfs(ref: WeightedSample, cur: WeightedSample) -> StepCdfs:
    """Both CDFs on the union of both samples' values, computed once per pair (L∞, KS and Wasserstein of one
    feature all read it). One stable merge of the two sorted samples counts, for each distinct value, how many of
    each side's values lie at or below it: the same counts `WeightedSample.cdf`'s binary search finds."""
    for other, known in ref._paired[:1]:
        if other is cur:
            return known
    both = np.concatenate([ref.values, cur.values])
    order = np.argsort(both, kind="stable")  # two sorted runs: one merge
    merged = both[order]
    last = np.ones(merged.size, dtype=bool)  # the last of each run of equal values
    np.not_equal(merged[1:], merged[:-1], out=last[:-1])
    ends = np.flatnonzero(last)
    from_ref = np.cumsum(order < ref.values.size, dtype=np.intp)[ends]
    points: FloatArray = merged[ends]
    pair = StepCdfs(points, _cdf_at(ref, from_ref, points), _cdf_at(cur, ends + 1 - from_ref, points))
    ref._paired[:] = [(cur, pair)]
    return pair


def _cdf_at(sample: WeightedSample, at_or_below: npt.NDArray[np.intp], points: FloatArray) -> FloatArray:
    return np.zeros_like(points) if not sample.values.size else sample._cdf_at(at_or_below)


def max_cdf_gap(ref: WeightedSample, cur: WeightedSample) -> float:
    """sup |F_ref − F_cur| over all points; both CDFs are step functions, so the union of jumps suffices."""
    pair = step_cdfs(ref, cur)
    if not pair.points.size:
        return 0.0
    return float(np.max(np.abs(pair.ref - pair.cur)))


@dataclass(frozen=True)
class DriftResult:
    """One method's verdict on one feature. `drifted is None` means insufficient data (no verdict)."""

    method: str
    statistic: float | None
    threshold: float
    drifted: bool | None
    p_value: float | None = None
    note: str = ""

    @classmethod
    def insufficient(cls, method: str, threshold: float, ref_n: float, cur_n: float) -> DriftResult:
        return cls(method=method, statistic=None, threshold=threshold, drifted=None,
                   note=f"insufficient data: {ref_n:g} baseline and {cur_n:g} current values "
                        f"(need {MIN_SAMPLES_FOR_DRIFT} each)")

    def to_json(self) -> dict[str, object]:
        return {"statistic": self.statistic, "p_value": self.p_value, "threshold": self.threshold,
                "drifted": self.drifted, "status": "insufficient_data" if self.drifted is None else "ok",
                **({"note": self.note} if self.note else {})}


def too_small(ref_n: float, cur_n: float) -> bool:
    return ref_n < MIN_SAMPLES_FOR_DRIFT or cur_n < MIN_SAMPLES_FOR_DRIFT
