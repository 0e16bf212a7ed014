"""L∞ distance as SageMaker Model Monitor's built-in analyzer computes it (it is built on Deequ).

Numeric: sup |F_ref − F_cur| between the two empirical CDFs (evaluated on both samples' points, as Deequ's
`numericalDistance` does on its KLL sketches' rank maps). Categorical: max over categories of |p_ref − p_cur|
(Deequ's `categoricalLInfinityDistance`).

`Simple` compares that distance with the threshold. `Robust` first subtracts the two-sample KS critical value,
following Deequ `src/main/scala/com/amazon/deequ/analyzers/Distance.scala` (`selectMetrics`):
`linf_robust = max(0, linf_simple − c(α)·√((n+m)/(n·m)))` with Deequ's default c(α) = 1.8 (α ≈ 0.003) and n, m the
two sample counts — so small windows do not alarm.
"""

from __future__ import annotations

import math
from typing import Literal

from modelmonitor.analyzer.base.binning import categorical_counts, proportions
from modelmonitor.analyzer.base.distributions import (
    CategoricalCounts,
    Distribution,
    DriftResult,
    WeightedSample,
    max_cdf_gap,
    too_small,
)

DEEQU_C_ALPHA = 1.8
"""Deequ's `defaultCAlpha` (Distance.scala): c(α) for α ≈ 0.003 (Knuth, TAOCP vol. 2, §3.3.1 eq. 15)."""

DEFAULT_THRESHOLD = 0.1
"""SageMaker's generated `comparison_threshold` / `categorical_comparison_threshold`."""

Comparison = Literal["Robust", "Simple"]


def linf_simple(ref: Distribution, cur: Distribution) -> float:
    if isinstance(ref, WeightedSample) and isinstance(cur, WeightedSample):
        return max_cdf_gap(ref, cur)
    if isinstance(ref, CategoricalCounts) and isinstance(cur, CategoricalCounts):
        _, r, c = categorical_counts(ref, cur)
        return float(max(abs(proportions(r) - proportions(c)), default=0.0))
    raise TypeError("L∞ needs two numeric samples or two categorical count tables")


def robust_correction(n: float, m: float, c_alpha: float = DEEQU_C_ALPHA) -> float:
    return c_alpha * math.sqrt((n + m) / (n * m))


def linf(ref: Distribution, cur: Distribution, *, comparison: Comparison = "Robust",
         threshold: float = DEFAULT_THRESHOLD, c_alpha: float = DEEQU_C_ALPHA) -> DriftResult:
    n, m = ref.total, cur.total
    if too_small(n, m):
        return DriftResult.insufficient("linf", threshold, n, m)
    simple = linf_simple(ref, cur)
    distance = simple if comparison == "Simple" else max(0.0, simple - robust_correction(n, m, c_alpha))
    return DriftResult(method="linf", statistic=distance, threshold=threshold, drifted=distance > threshold,
                       note=f"{comparison}; simple distance {simple:.6g}")
