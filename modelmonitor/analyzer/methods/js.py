"""Jensen-Shannon distance (Lin 1991; Endres & Schindelin 2003): √JSD with base-2 logarithms, so it lies in
[0, 1], is symmetric, and needs no empty-bin epsilon (0·log 0 = 0). Same bins as PSI. Threshold 0.1 (Evidently's
default for its Jensen-Shannon drift test)."""

from __future__ import annotations

import math

import numpy as np

from modelmonitor.analyzer.base.binning import DEFAULT_NUMERIC_BINS, aligned_counts, proportions
from modelmonitor.analyzer.base.distributions import (
    BinnedCounts,
    Distribution,
    DriftResult,
    FloatArray,
    too_small,
)

DEFAULT_THRESHOLD = 0.1


def _kl_base2(p: FloatArray, m: FloatArray) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))


def js(ref: Distribution | BinnedCounts, cur: Distribution | BinnedCounts, *,
       threshold: float = DEFAULT_THRESHOLD, n_bins: int = DEFAULT_NUMERIC_BINS) -> DriftResult:
    n, m = ref.total, cur.total
    if too_small(n, m):
        return DriftResult.insufficient("js", threshold, n, m)
    r, c = aligned_counts(ref, cur, n_bins)
    p, q = proportions(r), proportions(c)
    mid = (p + q) / 2
    divergence = max(0.0, (_kl_base2(p, mid) + _kl_base2(q, mid)) / 2)
    distance = math.sqrt(divergence)
    return DriftResult(method="js", statistic=distance, threshold=threshold, drifted=distance > threshold,
                       note=f"{r.size} bins, base 2")
