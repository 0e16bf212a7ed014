"""A baseline sketch's levels are read a level at a time (`statsfile._levels`); the sample must be the one an
item-by-item read gives, and a level that holds anything but numbers must still be refused by that read, naming
the feature and the field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.base.distributions import WeightedSample
from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.statsfile import _sample_from_kll, read_statistics

number = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**53), 2**53))


def _item_by_item(data: list[list[Any]], total: float) -> WeightedSample:
    values = [float(v) for level in data for v in level]
    weights = [2.0**h for h, level in enumerate(data) for _ in level]
    sample = WeightedSample.of(values, weights)
    return WeightedSample.of(sample.values, sample.weights * (total / sample.total)) if sample.total > 0 else sample


@settings(max_examples=300, deadline=None)
@given(data=st.lists(st.lists(number, max_size=12), min_size=1, max_size=5), total=st.sampled_from([0.0, 7.0, 1e6]))
def test_levels_read_at_once_give_the_item_by_item_sample(data: list[list[Any]], total: float) -> None:
    got = _sample_from_kll({"sketch": {"data": data}}, total)
    expected = _item_by_item(data, total) if total > 0 else WeightedSample.of(
        [float(v) for level in data for v in level], [2.0**h for h, level in enumerate(data) for _ in level])
    assert got is not None
    for name in ("values", "weights", "cumulative"):
        assert getattr(got, name).tobytes() == getattr(expected, name).tobytes(), name


@pytest.mark.parametrize("level, cause", [
    ([1.0, "_"], "ValueError: could not convert string to float: '_'"),
    ([1.0, None], "TypeError: float() argument must be a string or a real number, not 'NoneType'"),
    ([1.0, [2.0]], "TypeError: float() argument must be a string or a real number, not 'list'"),
])
def test_a_level_that_is_not_numbers_is_refused_naming_feature_and_field(level: list[Any], cause: str) -> None:
    feature = {"name": "age", "inferred_type": "Fractional", "numerical_statistics": {
        "common": {"num_present": 3, "num_missing": 0},
        "distribution": {"kll": {"sketch": {"data": [[0.5], level]}}}}}
    with pytest.raises(AnalyzerInputError) as caught:
        read_statistics({"features": [feature]}, "statistics.json")
    assert str(caught.value) == ("statistics.json: feature 'age' (features[0]): numerical_statistics.distribution.kll "
                                 f"cannot be read ({cause}); fix or remove that feature")


def test_booleans_and_text_numbers_read_as_before() -> None:
    """JSON true and "2.5" are numbers to float(): the level-at-a-time read leaves them to it."""
    got = _sample_from_kll({"sketch": {"data": [[True, "2.5"], [1]]}}, 0.0)
    assert got is not None and got.values.tolist() == [1.0, 1.0, 2.5] and got.weights.tolist() == [1.0, 2.0, 1.0]
