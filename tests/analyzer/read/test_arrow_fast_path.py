"""The Arrow column path (stats, plain-CSV reader) must agree exactly with the list/NumPy path it speeds up."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.base.limits import CATEGORY_LIMIT
from modelmonitor.analyzer.read.arrow_text import arrow_columns
from modelmonitor.analyzer.read.batches import plain_columns
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats

TRICKY = [
    ["1", "2", "", "3"],
    ["1", "2.0", "1e3", "1E2", "-0", "4.5", ""],
    ["nan", "inf", "-inf", "7", ""],
    ["0x10", "5", "x"],                       # Arrow's int parser takes hex; Python's does not
    [" 5", "6 ", "+7", "1_000"],              # spellings only Python accepts
    ["Infinity", "NaN", "3"],
    ["a", "b", "a", "", "1.5"],
    ["", "", ""],
    ["-0", "3", "2"],                         # int64 has no negative zero
    ["-0", "3.5"],
    ["12345678901234567891", "9007199254740993", "3"],
    ["k0_01", "1", "", "nan", "2.5", "k0_01", "1e3", "-0"],   # text: classified once per distinct value
    [" 5", "x", " 5", "inf"],
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
     "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "x"],  # text after the probe
]


def _summary(col: ColumnStats) -> tuple[object, ...]:
    signs = (math.copysign(1.0, col.minimum), math.copysign(1.0, col.maximum))
    return (signs, col.missing, col.integral, col.fractional, col.string, col.count, col.mean, col.m2, col.total,
            col.minimum, col.maximum, col.sketch.n, col.categories, None if col.categories is None
            else list(col.categories))


@pytest.mark.parametrize("values", TRICKY)
def test_arrow_path_matches_numpy_path(values: list[str]) -> None:
    fast, reference = ColumnStats(name="x"), ColumnStats(name="x")
    for _ in range(2):  # twice: the second chunk sees the state the first one left
        fast.add_text(pa.array(values, type=pa.string()))
        reference._add_text_numpy(values)
    assert _summary(fast) == _summary(reference)


def test_hex_text_is_a_string_not_a_number() -> None:
    col = ColumnStats(name="x")
    col.add_text(["0x10", "5"])
    assert (col.string, col.integral, col.count, col.total) == (1, 1, 1, 5.0)


def test_written_fractional_whole_numbers_count_as_fractional() -> None:
    col = ColumnStats(name="x")
    col.add_text(["3.0", "1e3", "2E1", "4", "", "nan"])
    assert (col.integral, col.fractional, col.missing, col.total) == (1, 3, 2, 1027.0)


def test_arrow_columns_match_the_split_path() -> None:
    lines = ["1,,x", "2.5,b,", ",c,z z"]
    columns = arrow_columns(lines)
    assert columns is not None
    assert [c.to_pylist() for c in columns] == plain_columns(lines) == [["1", "2.5", ""], ["", "b", "c"],
                                                                        ["x", "", "z z"]]


def test_arrow_columns_leave_ragged_rows_and_byte_order_marks_to_the_list_path() -> None:
    assert arrow_columns(["1,2", "3"]) is None
    assert arrow_columns(["1,2", "3,4,5"]) is None
    assert arrow_columns(["\ufeffa,b", "1,2"]) is None
    assert arrow_columns(["a", ""]) is None  # Arrow would drop the trailing empty row
    assert arrow_columns(["a,b", ""]) is None


def test_empty_lines_are_rows_of_one_empty_value() -> None:
    columns = arrow_columns(["", "a", "b"])
    assert columns is not None
    assert [c.to_pylist() for c in columns] == plain_columns(["", "a", "b"]) == [["", "a", "b"]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="a1.e-, \t#'\\", max_size=8), min_size=1, max_size=6))
def test_arrow_columns_agree_with_the_split_path_on_any_unquoted_lines(lines: list[str]) -> None:
    columns = arrow_columns(lines)
    if columns is not None:
        assert [c.to_pylist() for c in columns] == plain_columns(lines)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["", "0", "-0", "7", "1.5", "2.0", "1e3", "nan", "inf", "-inf", "x", "0x1", " 3",
                                 "1_0", "+4", "9e999", "NaN", "Infinity"]), min_size=1, max_size=12))
def test_arrow_stats_agree_with_numpy_stats_on_any_values(values: list[str]) -> None:
    fast, reference = ColumnStats(name="x"), ColumnStats(name="x")
    fast.add_text(pa.array(values, type=pa.string()))
    reference._add_text_numpy(values)
    assert _summary(fast) == _summary(reference)


@pytest.mark.parametrize("values", [
    [str(i) for i in range(CATEGORY_LIMIT + 5)],                               # distinct: no categories
    [str(i % 7) for i in range(CATEGORY_LIMIT + 5)] + ["x"],                   # few categories, text
    [f"{i % 9}.5" for i in range(2 * CATEGORY_LIMIT)],                         # few categories, numbers
    [str(i % 7) for i in range(CATEGORY_LIMIT)] + [str(i) for i in range(CATEGORY_LIMIT)],  # distinct later on
])
def test_category_tracking_on_long_chunks_matches_numpy_path(values: list[str]) -> None:
    fast, reference = ColumnStats(name="x"), ColumnStats(name="x")
    fast.add_text(pa.array(values, type=pa.string()))
    reference._add_text_numpy(values)
    assert _summary(fast) == _summary(reference)
