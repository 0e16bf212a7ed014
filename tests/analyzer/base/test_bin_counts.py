"""`bin_counts` counts by comparisons for few edges; it must agree with the binary search it replaces."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.base.binning import COMPARE_EDGES_MAX, bin_counts

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
value = st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0]))


@settings(max_examples=300, deadline=None)
@given(edges=st.lists(finite, max_size=COMPARE_EDGES_MAX + 8, unique=True),
       values=st.lists(value, max_size=60), weighted=st.booleans())
def test_bin_counts_match_searchsorted(edges: list[float], values: list[float], weighted: bool) -> None:
    e = np.sort(np.asarray(edges, dtype=np.float64))
    v = np.asarray(values, dtype=np.float64)
    w = np.linspace(0.5, 2.0, v.size) if weighted else None
    expected = np.bincount(np.searchsorted(e, v, side="left"), weights=w, minlength=e.size + 1)
    np.testing.assert_array_equal(bin_counts(v, e, w), expected)


def test_values_on_an_edge_fall_in_the_lower_bin() -> None:
    edges = np.array([1.0, 2.0])
    np.testing.assert_array_equal(bin_counts([0.5, 1.0, 1.5, 2.0, 2.5], edges), [2.0, 2.0, 1.0])
