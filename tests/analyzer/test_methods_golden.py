"""Drift methods against independent oracles: scipy (test-only) and hand-worked tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from modelmonitor.analyzer.binning import EMPTY_BIN_EPSILON, quantile_edges
from modelmonitor.analyzer.distributions import BinnedCounts, CategoricalCounts, WeightedSample
from modelmonitor.analyzer.methods import METHODS, chi2, js, ks, linf, psi, wasserstein
from modelmonitor.analyzer.methods.chi2 import chi2_sf
from modelmonitor.analyzer.methods.ks import kolmogorov_sf
from modelmonitor.analyzer.methods.wasserstein import wasserstein_distance


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    return rng.normal(0, 1, 400), rng.normal(0.3, 1.2, 250)


def test_registry_has_one_function_per_method_module() -> None:
    assert set(METHODS) == {"linf", "psi", "ks", "js", "wasserstein", "chi2"}


# --- KS -------------------------------------------------------------------------------------------------------
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


# --- L∞ Robust (Deequ Distance.scala) ---------------------------------------------------------------------------
def test_linf_robust_hand_worked_categorical() -> None:
    # p = (0.6, 0.4), q = (0.3, 0.7): simple 0.3; correction 1.8·√(200/10000) = 0.2545584412; robust 0.0454415588.
    ref, cur = CategoricalCounts({"a": 60, "b": 40}), CategoricalCounts({"a": 30, "b": 70})
    assert linf(ref, cur, comparison="Simple").statistic == pytest.approx(0.3)
    robust = linf(ref, cur, comparison="Robust")
    assert robust.statistic == pytest.approx(0.0454415588, abs=1e-9)
    assert robust.drifted is False


def test_linf_robust_is_never_negative() -> None:
    ref, cur = CategoricalCounts({"a": 50, "b": 50}), CategoricalCounts({"a": 48, "b": 52})
    assert linf(ref, cur).statistic == 0.0


def test_linf_categorical_new_category_counts() -> None:
    # q has 25 % "c" that p lacks: |0 − 0.25| is the largest gap.
    ref, cur = CategoricalCounts({"a": 500, "b": 500}), CategoricalCounts({"a": 375, "b": 375, "c": 250})
    assert linf(ref, cur, comparison="Simple").statistic == pytest.approx(0.25)


# --- PSI (hand-worked tables) -----------------------------------------------------------------------------------
def test_psi_hand_worked_table() -> None:
    # Σ (q−p)·ln(q/p) with p = .25 each and q = .1/.2/.3/.4:
    # .137443610 + .011157178 + .009116078 + .070500544 = 0.228217410
    edges = np.array([1.0, 2.0, 3.0])
    result = psi(BinnedCounts(edges, np.array([25.0, 25, 25, 25])), BinnedCounts(edges, np.array([10.0, 20, 30, 40])))
    assert result.statistic == pytest.approx(0.228217410, abs=1e-8)
    assert result.drifted is True


def test_psi_empty_bin_uses_the_named_epsilon() -> None:
    # p = (.5, .5, 0→1e-4), q = (.4, .4, .2): 2·(−.1·ln .8) + (.2 − 1e-4)·ln(.2/1e-4) = 0.044628710 + 1.519420402
    assert EMPTY_BIN_EPSILON == 1e-4
    edges = np.array([1.0, 2.0])
    result = psi(BinnedCounts(edges, np.array([50.0, 50, 0])), BinnedCounts(edges, np.array([40.0, 40, 20])))
    assert result.statistic == pytest.approx(1.564049112, abs=1e-8)


def test_psi_stays_bounded_for_a_one_sigma_shift() -> None:
    rng = np.random.default_rng(0)
    result = psi(WeightedSample.of(rng.normal(0, 1, 5000)), WeightedSample.of(rng.normal(1, 1, 5000)))
    assert result.statistic is not None
    assert 0.5 < result.statistic < 5  # frouros' float_info.min epsilon gives ≈ 135 here


# --- Jensen-Shannon ---------------------------------------------------------------------------------------------
def test_js_matches_scipy_base2(samples: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = samples
    ref, cur = WeightedSample.of(a), WeightedSample.of(b)
    edges = quantile_edges(ref)
    p = np.bincount(np.searchsorted(edges, a, side="left"), minlength=edges.size + 1)
    q = np.bincount(np.searchsorted(edges, b, side="left"), minlength=edges.size + 1)
    assert js(ref, cur).statistic == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)


def test_js_categorical_matches_scipy() -> None:
    ref, cur = CategoricalCounts({"a": 60, "b": 30, "c": 10}), CategoricalCounts({"a": 20, "b": 30, "d": 50})
    expected = jensenshannon([60, 30, 10, 0], [20, 30, 0, 50], base=2)
    assert js(ref, cur).statistic == pytest.approx(expected, abs=1e-12)


# --- Wasserstein ------------------------------------------------------------------------------------------------
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


# --- chi² -------------------------------------------------------------------------------------------------------
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


# --- invariants -------------------------------------------------------------------------------------------------
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
