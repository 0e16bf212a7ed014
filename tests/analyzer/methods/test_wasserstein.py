"""Normalised Wasserstein-1 against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from modelmonitor.analyzer.base.distributions import WeightedSample
from modelmonitor.analyzer.methods import wasserstein
from modelmonitor.analyzer.methods.wasserstein import wasserstein_distance


def test_wasserstein_matches_scipy_and_is_normalised_by_reference_std(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    raw = sps.wasserstein_distance(a, b)
    assert wasserstein_distance(WeightedSample.of(a), WeightedSample.of(b)) == pytest.approx(raw, rel=1e-12)
    result = wasserstein(WeightedSample.of(a), WeightedSample.of(b))
    assert result.statistic == pytest.approx(raw / np.std(a), rel=1e-12)


def test_wasserstein_weighted_matches_scipy() -> None:
    values_a, weights_a = [0.0, 1.0, 3.0], [1.0, 2.0, 4.0]
    values_b, weights_b = [0.5, 2.0], [3.0, 1.0]
    expected = sps.wasserstein_distance(values_a, values_b, weights_a, weights_b)
    got = wasserstein_distance(WeightedSample.of(values_a, weights_a), WeightedSample.of(values_b, weights_b))
    assert got == pytest.approx(expected, rel=1e-12)
