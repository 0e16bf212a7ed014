"""Two-sample Kolmogorov-Smirnov test: D = sup |F_ref − F_cur| and its asymptotic p-value
Q_KS(√(n·m/(n+m))·D), the Kolmogorov distribution's survival function (Smirnov 1948; the same limit scipy's
`kstwobign` implements). Drift when p < `alpha`.

On large windows tiny shifts are significant: read the statistic next to the p-value."""

from __future__ import annotations

import math

import numpy as np

from modelmonitor.analyzer.base.distributions import DriftResult, WeightedSample, max_cdf_gap, too_small

DEFAULT_ALPHA = 0.05

_TERMS = np.arange(1, 101, dtype=np.float64)


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution K = sup|B(t)| of a Brownian bridge."""
    if x <= 0:
        return 1.0
    if x < 1.0:
        # Jacobi-theta form converges fast for small x: P(K <= x) = √(2π)/x · Σ exp(−(2k−1)²π²/(8x²)).
        odd = 2 * _TERMS - 1
        cdf = math.sqrt(2 * math.pi) / x * float(np.sum(np.exp(-(odd**2) * math.pi**2 / (8 * x * x))))
        return min(1.0, max(0.0, 1.0 - cdf))
    signs = np.where(_TERMS % 2 == 1, 1.0, -1.0)
    return min(1.0, max(0.0, 2.0 * float(np.sum(signs * np.exp(-2.0 * _TERMS**2 * x * x)))))


def ks(ref: WeightedSample, cur: WeightedSample, *, alpha: float = DEFAULT_ALPHA) -> DriftResult:
    n, m = ref.total, cur.total
    if too_small(n, m):
        return DriftResult.insufficient("ks", alpha, n, m)
    d = max_cdf_gap(ref, cur)
    p_value = kolmogorov_sf(math.sqrt(n * m / (n + m)) * d)
    return DriftResult(method="ks", statistic=d, threshold=alpha, drifted=p_value < alpha, p_value=p_value,
                       note="drift when p_value < threshold")
