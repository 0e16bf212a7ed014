"""`step_cdfs` finds both CDFs of a pair by one merge of the two sorted samples; it must give, bit for bit, what a
binary search per point (`WeightedSample.cdf` on the sorted distinct values of both) gives, and L∞, KS and
Wasserstein must not move by one ulp for it: drift_report.json keeps its bytes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.base.distributions import WeightedSample, max_cdf_gap, sorted_unique, step_cdfs
from modelmonitor.analyzer.methods.wasserstein import wasserstein_distance

# Few distinct values, so both samples share points and hold repeats; ±0 compare equal but print differently.
# Magnitudes stay where a difference of two values is finite (Wasserstein multiplies by the gaps between points).
value = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.5, 2.5, 1e300, -1e-300]),
                  st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, width=64))
weight = st.sampled_from([1.0, 2.0, 4.0, 0.5, 3.0])
sample = st.lists(st.tuples(value, weight), max_size=40).map(
    lambda pairs: WeightedSample.of([v for v, _ in pairs], [w for _, w in pairs]))


def _by_binary_search(ref: WeightedSample, cur: WeightedSample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    points = sorted_unique(np.concatenate([ref.values, cur.values]))
    return points, ref.cdf(points), cur.cdf(points)


@settings(max_examples=400, deadline=None)
@given(ref=sample, cur=sample)
def test_step_cdfs_equal_the_binary_search_bit_for_bit(ref: WeightedSample, cur: WeightedSample) -> None:
    points, f_ref, f_cur = _by_binary_search(ref, cur)
    pair = step_cdfs(ref, cur)
    assert pair.points.shape == points.shape
    assert (pair.points == points).all()  # the same values (a run of ±0 may keep either zero: they are equal)
    assert pair.ref.tobytes() == f_ref.tobytes() and pair.cur.tobytes() == f_cur.tobytes()


@settings(max_examples=300, deadline=None)
@given(ref=sample, cur=sample)
def test_distances_read_from_the_pair_are_unchanged(ref: WeightedSample, cur: WeightedSample) -> None:
    points, f_ref, f_cur = _by_binary_search(ref, cur)
    gap = float(np.max(np.abs(f_ref - f_cur))) if points.size else 0.0
    w1 = float(np.sum(np.abs(f_ref[:-1] - f_cur[:-1]) * np.diff(points))) if points.size >= 2 else 0.0
    assert max_cdf_gap(ref, cur) == gap
    assert wasserstein_distance(ref, cur) == w1
    # Asked again (L∞, then KS, then Wasserstein of one feature): the same answer, and for another window too.
    assert max_cdf_gap(ref, cur) == gap
    other = WeightedSample.of(np.append(cur.values, 7.0))
    assert max_cdf_gap(ref, other) == float(np.max(np.abs(ref.cdf(_by_binary_search(ref, other)[0])
                                                          - other.cdf(_by_binary_search(ref, other)[0]))))
