"""chi² test of homogeneity against scipy, and our drift rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from modelmonitor.analyzer.base.distributions import CategoricalCounts
from modelmonitor.analyzer.methods import chi2
from modelmonitor.analyzer.methods.chi2 import chi2_sf


def test_chi2_matches_scipy_contingency() -> None:
    ref = CategoricalCounts({"a": 600, "b": 300, "c": 100})
    cur = CategoricalCounts({"a": 250, "b": 150, "c": 80, "d": 20})
    table = np.array([[600, 300, 100, 0], [250, 150, 80, 20]])
    oracle = sps.chi2_contingency(table, correction=False)
    result = chi2(ref, cur)
    assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9, abs=1e-300)
    assert result.statistic == pytest.approx(math.sqrt(oracle.statistic / table.sum()), rel=1e-12)
    assert result.drifted is True


@pytest.mark.parametrize(("x", "dof"), [(0.5, 1), (3.84, 1), (10.0, 3), (25.0, 10), (100.0, 4), (1.0, 30)])
def test_chi2_survival_function_matches_scipy(x: float, dof: int) -> None:
    assert chi2_sf(x, dof) == pytest.approx(sps.chi2.sf(x, dof), rel=1e-9, abs=1e-15)


def test_chi2_significant_but_tiny_effect_is_not_drift() -> None:
    # 50.5 % vs 49.5 % on a million values each: p ≈ 0 but Cramér's V ≈ 0.01.
    ref = CategoricalCounts({"a": 500_000, "b": 500_000})
    cur = CategoricalCounts({"a": 510_000, "b": 490_000})
    result = chi2(ref, cur)
    assert result.p_value is not None and result.p_value < 1e-10
    assert result.drifted is False
