"""Jensen-Shannon distance against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from modelmonitor.analyzer.base.binning import quantile_edges
from modelmonitor.analyzer.base.distributions import CategoricalCounts, WeightedSample
from modelmonitor.analyzer.methods import js


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
