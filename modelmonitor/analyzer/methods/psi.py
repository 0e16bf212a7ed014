"""Population Stability Index: PSI = Σ (p_cur − p_ref) · ln(p_cur / p_ref) over shared bins
(Yurdakul & Naranjo 2020, "Statistical properties of the population stability index").

Bins: `binning` — reference deciles for numeric features, categories for categorical ones. Empty bins take
`binning.EMPTY_BIN_EPSILON` (1e-4) as their proportion. Threshold 0.1 (the customary "no significant change"
bound: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift)."""

from __future__ import annotations

import numpy as np

from modelmonitor.analyzer.base.binning import (
    DEFAULT_NUMERIC_BINS,
    EMPTY_BIN_EPSILON,
    aligned_counts,
    proportions,
)
from modelmonitor.analyzer.base.distributions import BinnedCounts, Distribution, DriftResult, too_small

DEFAULT_THRESHOLD = 0.1


def psi(ref: Distribution | BinnedCounts, cur: Distribution | BinnedCounts, *,
        threshold: float = DEFAULT_THRESHOLD, epsilon: float = EMPTY_BIN_EPSILON,
        n_bins: int = DEFAULT_NUMERIC_BINS) -> DriftResult:
    n, m = ref.total, cur.total
    if too_small(n, m):
        return DriftResult.insufficient("psi", threshold, n, m)
    r, c = aligned_counts(ref, cur, n_bins)
    p, q = proportions(r, epsilon), proportions(c, epsilon)
    value = float(np.sum((q - p) * np.log(q / p)))
    return DriftResult(method="psi", statistic=value, threshold=threshold, drifted=value > threshold,
                       note=f"{r.size} bins, empty-bin epsilon {epsilon:g}")
