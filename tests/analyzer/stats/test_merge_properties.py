"""Property: statistics of any split of a column, merged, equal the statistics of one pass."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.stats.dataset_stats import DatasetStats

values = st.one_of(st.integers(-1000, 1000).map(str),
                   st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}"),
                   st.sampled_from(["", "a", "b", "n/a", "1e3", "nan", "7"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(values, min_size=1, max_size=200), st.lists(st.integers(0, 200), max_size=4))
def test_split_and_merge_equals_one_pass(column: list[str], cuts: list[int]) -> None:
    whole = DatasetStats()
    whole.add_columns(["x"], [column], len(column))
    bounds = sorted({0, len(column), *(min(c, len(column)) for c in cuts)})
    merged = DatasetStats()
    for lo, hi in itertools.pairwise(bounds):
        part = DatasetStats()
        part.add_columns(["x"], [column[lo:hi]], hi - lo)
        restored, _ = DatasetStats.from_json(part.to_json())
        merged.merge(restored)
    a, b = whole.columns["x"], merged.columns["x"]
    assert merged.item_count == whole.item_count == len(column)
    assert (a.missing, a.integral, a.fractional, a.string) == (b.missing, b.integral, b.fractional, b.string)
    assert a.present + a.missing == len(column)
    assert a.categories == b.categories
    assert a.count == b.count and a.sketch.n == b.sketch.n
    if a.count:
        assert math.isclose(a.mean, b.mean, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(a.std_dev, b.std_dev, rel_tol=1e-6, abs_tol=1e-6)
        assert (a.minimum, a.maximum) == (b.minimum, b.maximum)
    assert a.inferred_type == b.inferred_type
