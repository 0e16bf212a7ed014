"""Wasserstein-1 (earth mover's) distance between the two empirical distributions, normalised by the reference's
standard deviation so one threshold fits every feature's units (Evidently's "normed Wasserstein", threshold 0.1:
drift when the distributions are on average more than 0.1 reference standard deviations apart).

W1 = ∫ |F_ref(x) − F_cur(x)| dx, computed exactly between the step CDFs."""

from __future__ import annotations

import numpy as np

from modelmonitor.analyzer.base.distributions import DriftResult, WeightedSample, step_cdfs, too_small

DEFAULT_THRESHOLD = 0.1


def wasserstein_distance(ref: WeightedSample, cur: WeightedSample) -> float:
    pair = step_cdfs(ref, cur)
    points = pair.points
    if points.size < 2:
        return 0.0
    gaps = np.abs(pair.ref[:-1] - pair.cur[:-1])
    return float(np.sum(gaps * np.diff(points)))


def wasserstein(ref: WeightedSample, cur: WeightedSample, *, scale: float | None = None,
                threshold: float = DEFAULT_THRESHOLD) -> DriftResult:
    """`scale` defaults to the reference's standard deviation; a constant reference (std 0) falls back to 1,
    i.e. the raw distance in the feature's units."""
    n, m = ref.total, cur.total
    if too_small(n, m):
        return DriftResult.insufficient("wasserstein", threshold, n, m)
    raw = wasserstein_distance(ref, cur)
    spread = ref.std() if scale is None else scale
    divisor = spread if spread > 0 and np.isfinite(spread) else 1.0
    normed = raw / divisor
    return DriftResult(method="wasserstein", statistic=normed, threshold=threshold, drifted=normed > threshold,
                       note=f"raw {raw:.6g} / reference std {divisor:.6g}")
