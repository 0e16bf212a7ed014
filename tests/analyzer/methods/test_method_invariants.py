"""Every method: identical inputs give 0, symmetric methods are symmetric, tiny samples give no verdict."""

from __future__ import annotations

import numpy as np
import pytest

from modelmonitor.analyzer.base.distributions import CategoricalCounts, WeightedSample
from modelmonitor.analyzer.methods import METHODS, chi2, js, ks, linf, psi, wasserstein
from modelmonitor.analyzer.methods.wasserstein import wasserstein_distance


def test_identical_inputs_give_zero(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, _ = samples
    s = WeightedSample.of(a)
    cats = CategoricalCounts({"x": 10, "y": 30, "z": 60})
    for result in (linf(s, s, comparison="Simple"), ks(s, s), psi(s, s), js(s, s), wasserstein(s, s),
                   linf(cats, cats, comparison="Simple"), psi(cats, cats), js(cats, cats), chi2(cats, cats)):
        assert result.statistic == pytest.approx(0.0, abs=1e-12), result.method
        assert result.drifted is False


def test_symmetric_methods_are_symmetric(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    sa, sb = WeightedSample.of(a), WeightedSample.of(b)
    assert linf(sa, sb, comparison="Simple").statistic == pytest.approx(linf(sb, sa, comparison="Simple").statistic)
    assert ks(sa, sb).statistic == pytest.approx(ks(sb, sa).statistic)
    assert wasserstein_distance(sa, sb) == pytest.approx(wasserstein_distance(sb, sa))
    ca, cb = CategoricalCounts({"a": 60, "b": 40}), CategoricalCounts({"a": 30, "b": 60, "c": 10})
    assert js(ca, cb).statistic == pytest.approx(js(cb, ca).statistic)
    assert chi2(ca, cb).statistic == pytest.approx(chi2(cb, ca).statistic)
    assert linf(ca, cb).statistic == pytest.approx(linf(cb, ca).statistic)


def test_tiny_samples_are_insufficient_data_not_drift() -> None:
    small, big = WeightedSample.of([1.0, 2.0, 3.0]), WeightedSample.of(np.arange(1000.0))
    for result in (linf(big, small), ks(big, small), psi(big, small), js(big, small), wasserstein(big, small),
                   chi2(CategoricalCounts({"a": 100}), CategoricalCounts({"b": 3}))):
        assert result.drifted is None
        assert result.statistic is None
        assert "insufficient data" in result.note


def test_registry_has_one_function_per_method_module() -> None:
    assert set(METHODS) == {"linf", "psi", "ks", "js", "wasserstein", "chi2"}
