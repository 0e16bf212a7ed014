"""Pearson's chi-squared test of homogeneity for categorical features: the 2×K contingency table of baseline and
current counts over the union of categories (a category new in the window is a column with a zero baseline
count), statistic Σ (O − E)² / E with E from the row and column totals, K − 1 degrees of freedom.

Our threshold rule (SageMaker's own ChiSquared rule is undocumented): drift when p < `alpha` (0.01) AND Cramér's
V = √(χ² / N) ≥ `min_effect` (0.1, Cohen's "small" effect for one degree of freedom). Significance alone flags
trivial shifts on large windows; effect size alone flags noise on small ones. The statistic reported is Cramér's
V; χ² and the p-value are in the result's note and p_value."""

from __future__ import annotations

import math

import numpy as np

from modelmonitor.analyzer.base.binning import categorical_counts
from modelmonitor.analyzer.base.distributions import CategoricalCounts, DriftResult, too_small

DEFAULT_ALPHA = 0.01
DEFAULT_MIN_EFFECT = 0.1
_MAX_ITERATIONS = 500
_TINY = 1e-300


def _lower_gamma_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    ap = a
    for _ in range(_MAX_ITERATIONS):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_fraction(a: float, x: float) -> float:
    # Modified Lentz evaluation of the continued fraction for Q(a, x) (Numerical Recipes §6.2).
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_sf(statistic: float, dof: int) -> float:
    """P(χ²_dof > statistic): the regularized upper incomplete gamma Q(dof/2, statistic/2)."""
    if statistic <= 0:
        return 1.0
    a, x = dof / 2.0, statistic / 2.0
    if x < a + 1.0:
        return min(1.0, max(0.0, 1.0 - _lower_gamma_series(a, x)))
    return min(1.0, max(0.0, _upper_gamma_fraction(a, x)))


def contingency_statistic(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, int]:
    table = np.vstack([ref_counts, cur_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    return float(np.sum((table - expected) ** 2 / expected)), table.shape[1] - 1


def chi2(ref: CategoricalCounts, cur: CategoricalCounts, *, alpha: float = DEFAULT_ALPHA,
         min_effect: float = DEFAULT_MIN_EFFECT) -> DriftResult:
    n, m = ref.total, cur.total
    if too_small(n, m):
        return DriftResult.insufficient("chi2", min_effect, n, m)
    _, r, c = categorical_counts(ref, cur)
    statistic, dof = contingency_statistic(r, c)
    if dof == 0:
        return DriftResult(method="chi2", statistic=0.0, threshold=min_effect, drifted=False, p_value=1.0,
                           note="a single category on both sides")
    p_value = chi2_sf(statistic, dof)
    cramers_v = math.sqrt(statistic / (n + m))
    return DriftResult(method="chi2", statistic=cramers_v, threshold=min_effect,
                       drifted=p_value < alpha and cramers_v >= min_effect, p_value=p_value,
                       note=f"chi2 {statistic:.6g}, dof {dof}; drift when p < {alpha:g} and Cramér's V >= "
                            f"{min_effect:g}")
