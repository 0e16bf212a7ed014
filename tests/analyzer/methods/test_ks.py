"""Two-sample KS: statistic and p-value against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from modelmonitor.analyzer.base.distributions import WeightedSample
from modelmonitor.analyzer.methods import ks, linf
from modelmonitor.analyzer.methods.ks import kolmogorov_sf


def test_ks_statistic_and_pvalue_match_scipy(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    result = ks(WeightedSample.of(a), WeightedSample.of(b))
    oracle = sps.ks_2samp(a, b)
    assert result.statistic == pytest.approx(oracle.statistic, abs=1e-12)
    en = len(a) * len(b) / (len(a) + len(b))
    assert result.p_value == pytest.approx(sps.kstwobign.sf(math.sqrt(en) * oracle.statistic), rel=1e-9)
    assert result.drifted is True


@pytest.mark.parametrize("x", [0.05, 0.3, 0.7, 0.99, 1.0, 1.2, 2.0, 3.5])
def test_kolmogorov_survival_function_matches_scipy(x: float) -> None:
    assert kolmogorov_sf(x) == pytest.approx(sps.kstwobign.sf(x), abs=1e-12)


def test_linf_simple_numeric_is_the_ks_statistic(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    result = linf(WeightedSample.of(a), WeightedSample.of(b), comparison="Simple")
    assert result.statistic == pytest.approx(sps.ks_2samp(a, b).statistic, abs=1e-12)
