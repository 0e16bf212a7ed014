"""PSI against hand-worked tables (and the empty-bin epsilon)."""

from __future__ import annotations

import numpy as np
import pytest

from modelmonitor.analyzer.base.binning import EMPTY_BIN_EPSILON
from modelmonitor.analyzer.base.distributions import BinnedCounts, WeightedSample
from modelmonitor.analyzer.methods import psi


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
