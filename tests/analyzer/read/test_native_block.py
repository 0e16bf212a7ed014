"""The C block parser (`_csvfast`, `native_block`) must leave exactly the statistics the reference path leaves:
the list/NumPy typing (`ColumnStats._add_text_numpy`) on the same text, whatever the spellings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.base.limits import CATEGORY_LIMIT
from modelmonitor.analyzer.native._csvfast import bin_counts as c_bin_counts
from modelmonitor.analyzer.native._csvfast import parse_block, scan_block
from modelmonitor.analyzer.read import csv_reader
from modelmonitor.analyzer.read.batches import ReadCounters
from modelmonitor.analyzer.read.native_block import TEXT_BUDGET_MIN as TEXT_BUDGET
from modelmonitor.analyzer.read.native_block import BlockBuffers, Refused, native_columns, parse_columns
from modelmonitor.analyzer.read.sources import DataObject
from modelmonitor.analyzer.read.typed_chunk import TypedChunk
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats
from tests.analyzer.read.test_arrow_fast_path import TRICKY, _summary

NUMBERS = [
    ["1", "2", "", "3"],
    ["+5", "007", "-0", "0", "-12"],                  # Integral, not canonical text
    [".5", "5.", "-.5e-3", "1e30", "1e309", "-1e400"],  # 1e309 overflows: missing, as float() says inf
    ["NaN", "-inf", "+Infinity", "iNf", "4"],
    ["0.1", "0.10", "0.100"],                         # one number, three categories
    ["123456789012345678901234567890", "9007199254740993", "1.7976931348623157e108"],
    ["4.9e-324", "2.2250738585072014e-308", "0.30000000000000004"],
    ["1e", "e5", "--1", "1-", ".", "+", "-"],          # not numbers: the column is text
    ["a", "b", "", "nan", "a", "NaN"],                # text counted in C, nan-spellings missing
    ["x", " nan", "y", ""],                           # Python reads " nan" as a missing number
    ["x", " 5", "y"],                                 # ... and " 5" as a number: Arrow's path
    ["", "", "x", "1"],                               # a number after the text: Arrow's path
    ["é", "ü", "é"],                                  # UTF-8 text
]


def _native(values: list[str], chunks: int = 2) -> ColumnStats:
    """`values` as the first column of a two-column CSV block (a lone empty field would be an empty line)."""
    block = "".join(f"{v},k\n" for v in values).encode()
    col = ColumnStats(name="x")
    for _ in range(chunks):
        parsed = native_columns(memoryview(block), len(values) + 1, 2, skip_ragged=True)
        assert parsed is not None
        columns, n_rows, _ = parsed
        assert n_rows == len(values)
        col.add_text(columns[0])
    return col


def _reference(values: list[str], chunks: int = 2) -> ColumnStats:
    col = ColumnStats(name="x")
    for _ in range(chunks):
        col._add_text_numpy(values)
    return col


@pytest.mark.parametrize("values", TRICKY + NUMBERS)
def test_native_path_matches_numpy_path(values: list[str]) -> None:
    assert _summary(_native(values)) == _summary(_reference(values))


def test_numbers_are_typed_and_texts_counted_in_c() -> None:
    block = b"1,a,2.5,x\n-0,b,,5\n+3,a,nan,y\n"
    parsed = native_columns(memoryview(block), 4, 4, skip_ragged=False)
    assert parsed is not None
    columns, n_rows, _ = parsed
    assert n_rows == 3
    ints, text, floats, mixed = columns
    assert isinstance(ints, TypedChunk) and isinstance(floats, TypedChunk) and isinstance(text, TypedChunk)
    assert (ints.n_integral, ints.n_fractional, ints.n_missing, ints.canonical, ints.int64_exact) == (3, 0, 0, False,
                                                                                                     True)
    assert (floats.n_integral, floats.n_fractional, floats.n_missing, floats.numbers.tolist()) == (0, 1, 2, [2.5])
    assert (text.n_string, text.n_missing, text.counted is not None and sorted(zip(*text.counted, strict=True))) == (
        3, 0, [("a", 2), ("b", 1)])
    assert mixed.to_pylist() == ["x", "5", "y"]  # numbers among texts: Arrow's, which keeps their order


def test_values_are_correctly_rounded() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-30, 30, size=2000),
                             rng.uniform(-1, 1, size=2000)])
    texts = [repr(float(v)) for v in values] + [f"{v:.6g}" for v in values] + [f"{v:.20e}" for v in values]
    col = _native(texts, chunks=1)
    expected = np.array([float(t) for t in texts])
    assert col.minimum == expected.min() and col.maximum == expected.max()
    block = "".join(f"{t}\n" for t in texts).encode()
    out = np.empty((1, len(texts) + 1))
    result = parse_block(block, 1, out, False, CATEGORY_LIMIT, TEXT_BUDGET)
    assert result is not None
    assert np.array_equal(out[0, :len(texts)], expected)


def test_ragged_rows_are_skipped_and_counted_or_refuse_the_block() -> None:
    block = b"1,2\n3\n\n4,5,6\n7,8\n"
    parsed = native_columns(memoryview(block), 6, 2, skip_ragged=True)
    assert parsed is not None and parsed[1:] == (2, 2)
    assert parsed[0][0].numbers.tolist() == [1.0, 7.0]
    assert native_columns(memoryview(block), 6, 2, skip_ragged=False) is None
    assert parse_block(block, 2, np.empty((2, 1)), True, CATEGORY_LIMIT, TEXT_BUDGET) is True  # more rows than out
    with pytest.raises(ValueError, match="fewer rows"):
        native_columns(memoryview(block), 1, 2, skip_ragged=True)


@pytest.mark.parametrize(("block", "lines"), [(b"1,2\n\n3,4", 3), (b"1,2\n3\n", 2), (b"\n\n1,2\n", 3), (b"", 0)])
def test_the_parser_counts_every_line(block: bytes, lines: int) -> None:
    """The line count a scan would give (`bytes.count` of newlines, and a last line without one), from the parse."""
    parsed = parse_columns(memoryview(block), 4, 2, skip_ragged=True)
    assert isinstance(parsed, tuple) and parsed[3] == lines == block.count(b"\n") + (block[-1:] not in (b"", b"\n"))


@pytest.mark.parametrize("block", [b'1,2\n3,"4"\n', b"1,2\r\n3,4\n", b"1,2\n3,4,5\n\"", b'"a",1\n'])
def test_a_quote_or_carriage_return_anywhere_makes_the_block_not_plain(block: bytes) -> None:
    """Found in the parse itself (no separate scan): even in a ragged row, after the rows already typed."""
    assert parse_columns(memoryview(block), 4, 2, skip_ragged=True) is Refused.NOT_PLAIN


def test_a_short_line_estimate_asks_for_the_exact_count() -> None:
    block = b"1,2\n" * 50
    assert parse_columns(memoryview(block), 10, 2, skip_ragged=True) is Refused.MORE_LINES
    parsed = parse_columns(memoryview(block), 50, 2, skip_ragged=True)
    assert isinstance(parsed, tuple) and parsed[1] == 50 and parsed[3] == 50


@pytest.mark.parametrize("width", [255, 256, 300, 1000])
def test_long_rows_are_told_ragged_by_one_field(width: int) -> None:
    """Fields are counted in byte counters 255 bytes at a time: rows of hundreds of fields (longer than 255 bytes)
    with one field too many or too few are still ragged, and full rows still count."""
    full = ",".join("1" for _ in range(width))
    block = "\n".join([full, full + ",1", ",".join("2" for _ in range(width - 1)), full.replace("1", "3")]) + "\n"
    parsed = native_columns(memoryview(block.encode()), 5, width, skip_ragged=True)
    assert parsed is not None and parsed[1:] == (2, 2)
    assert [c.numbers.tolist() for c in parsed[0][:2]] == [[1.0, 3.0], [1.0, 3.0]]


def test_category_counts_of_numbers_match_the_text_path() -> None:
    ints = [str(i % 7 - 3) for i in range(500)]              # canonical: counted from the numbers
    decimals = [f"{i % 5}.{i % 3}0" for i in range(500)]      # not canonical: counted from the text
    many = [f"{i}.5" for i in range(CATEGORY_LIMIT + 50)]    # too many: given up
    for values in (ints, decimals, many, [*ints, "nan", "", "x"]):
        native, reference = _native(values), _reference(values)
        assert native.categories == reference.categories
        assert native.categories is None or list(native.categories) == list(reference.categories or {})


field = st.one_of(
    st.text(alphabet="0123456789.-+eE", max_size=6),
    st.sampled_from(["", "nan", "-inf", "Infinity", "1e400", " 1", "1_0", "x", "0x1f", "-0", "007"]),
    st.floats(min_value=-1e150, max_value=1e150).map(repr),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    # digit runs across the parser's 8-byte steps: leading zeros, 19 and 20 digits, a point anywhere
    st.tuples(st.text(alphabet="0123456789", min_size=1, max_size=30), st.integers(0, 30),
              st.sampled_from(["", "-", "+"])).map(lambda t: t[2] + (t[0][:t[1]] + "." + t[0][t[1]:]
                                                                     if t[1] < len(t[0]) else t[0])),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(field, min_size=1, max_size=40))
def test_any_text_gives_the_reference_statistics(values: list[str]) -> None:
    native, reference = _native(values), _reference(values)
    # Compared as text so that NaN equals NaN: moments of values near 1e200 overflow on both paths alike.
    assert repr(_summary(native)) == repr(_summary(reference))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, width=64), max_size=200),
       edges=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=40, unique=True))
def test_c_bin_counts_match_a_binary_search(values: list[float], edges: list[float]) -> None:
    e = np.sort(np.asarray(edges, dtype=np.float64))
    v = np.asarray(values, dtype=np.float64)
    counts = np.zeros(e.size + 1)
    c_bin_counts(v, e, counts)
    expected = np.bincount(np.searchsorted(e, v, side="left"), minlength=e.size + 1)
    assert counts.tolist() == expected.tolist()


def test_a_file_read_natively_equals_the_list_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    rows = ["a,b,c,d"] + [f"{rng.normal():.5f},{int(rng.integers(0, 9))},{rng.choice(['x', 'y'])},"
                          + ("" if i % 17 == 0 else f"{rng.lognormal():.4g}") for i in range(3000)] + ["1,2", ""]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows))

    def read() -> tuple[DatasetStats, ReadCounters]:
        stats, counters = DatasetStats(), ReadCounters()
        for batch in csv_reader.read_csv([DataObject(str(path), 1)], "auto", counters):
            stats.add_columns(batch.names or [], batch.text_columns, batch.n_rows)
        return stats, counters

    native, native_counters = read()
    with monkeypatch.context() as patch:
        patch.setattr(csv_reader, "_plain_block", lambda *_args, **_kwargs: None)
        reference, reference_counters = read()
    assert (native_counters.records, native_counters.malformed) == (reference_counters.records,
                                                                    reference_counters.malformed) == (3000, 1)
    for name in "abcd":
        a, b = native.columns[name], reference.columns[name]
        assert _summary(a) == _summary(b), name
        assert math.isclose(a.mean, b.mean)


def test_a_run_on_integers_and_continuous_numbers_never_imports_arrow(tmp_path: Path) -> None:
    """Arrow's import is a third of the start-up; a CSV of integers and continuous numbers is read by the C parser
    alone (a decimal column with few distinct values would need its text for category counts)."""
    import subprocess
    import sys

    rows = CATEGORY_LIMIT + 2000
    (tmp_path / "d.csv").write_text("a,b\n" + "".join(f"{i % 50},{i / 7:.6f}\n" for i in range(rows)))
    script = (
        "import sys\n"
        "from modelmonitor.analyzer.run.job import AnalysisJob\n"
        "from modelmonitor.analyzer.run.runner import run\n"
        f"run(AnalysisJob(mode='baseline', dataset_source={str(tmp_path / 'd.csv')!r}, "
        f"output_path={str(tmp_path / 'out')!r}))\n"
        "print('pyarrow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"
    assert (tmp_path / "out" / "statistics.json").exists()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, 1e300]) | st.floats(allow_nan=False),
                       max_size=60),
       limit=st.integers(min_value=0, max_value=40))
def test_more_distinct_than_agrees_with_np_unique(values: list[float], limit: int) -> None:
    from modelmonitor.analyzer.base.distributions import sorted_unique
    from modelmonitor.analyzer.native._csvfast import more_distinct_than

    array = np.asarray(values, dtype=np.float64)
    assert more_distinct_than(array, limit) == (np.unique(array).size > limit)
    assert sorted_unique(array).tolist() == np.unique(array).tolist()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=300))
def test_moments_agree_with_numpy(values: list[float]) -> None:
    from modelmonitor.analyzer.native._csvfast import moments

    x = np.asarray(values, dtype=np.float64)
    total, mean, m2, lowest, highest = moments(x)
    assert (lowest, highest) == (x.min(), x.max())
    assert math.isclose(total, float(x.sum()), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(mean, float(x.mean()), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(m2, float(((x - x.mean()) ** 2).sum()), rel_tol=1e-9, abs_tol=1e-3)


@pytest.mark.parametrize("other", [1.0, -1.0])  # a zero minimum, then a zero maximum
@settings(max_examples=300, deadline=None)
@given(picks=st.lists(st.integers(0, 2), min_size=1, max_size=80))
def test_moments_bounds_keep_the_first_zero_met(other: float, picks: list[int]) -> None:
    """The bounds are folded in lanes; a zero bound still has the sign one pass in order keeps (the first zero
    met: `x < lo` never replaces 0.0 by -0.0), which the column's min and max in statistics.json print."""
    from modelmonitor.analyzer.native._csvfast import moments

    values = [(-0.0, 0.0, other)[p] for p in picks]
    lo = hi = values[0]
    for v in values[1:]:
        lo, hi = (v if v < lo else lo), (v if v > hi else hi)
    _, _, _, lowest, highest = moments(np.asarray(values, dtype=np.float64))
    assert (math.copysign(1, lowest), lowest, math.copysign(1, highest), highest) == (
        math.copysign(1, lo), lo, math.copysign(1, hi), hi)


def test_moments_of_huge_values_overflow_quietly() -> None:
    from modelmonitor.analyzer.native._csvfast import moments

    _, mean, m2, lowest, highest = moments(np.array([1e155, -1e155, 3e155]))
    assert (mean, lowest, highest) == (1e155, -1e155, 3e155)
    assert m2 == math.inf  # 8e310 exceeds a double; NumPy gives inf too, with a warning


def test_every_digit_count_and_point_position_rounds_like_float() -> None:
    rng = np.random.default_rng(11)
    texts = []
    for length in range(1, 26):
        for _ in range(40):
            digits = "".join(rng.choice(list("0123456789"), size=length))
            point = int(rng.integers(0, length + 1))
            text = digits[:point] + "." + digits[point:] if point < length else digits
            texts.append(("-" if rng.random() < 0.3 else "") + text + (f"e{int(rng.integers(-30, 30))}"
                                                                      if rng.random() < 0.2 else ""))
    block = "".join(f"{t}\n" for t in texts).encode()
    out = np.empty((1, len(texts) + 1))
    result = parse_block(block, 1, out, False, CATEGORY_LIMIT, TEXT_BUDGET)
    assert result is not None
    assert result[2][0] is not None and result[2][0][0] == len(texts)
    assert out[0, :len(texts)].tolist() == [float(t) for t in texts]


def test_too_many_distinct_texts_go_to_arrow_and_give_up_categories() -> None:
    values = [f"id{i}" for i in range(CATEGORY_LIMIT + 5)]
    native, reference = _native(values, chunks=1), _reference(values, chunks=1)
    assert native.categories is None and reference.categories is None
    assert _summary(native) == _summary(reference)


def test_text_that_is_not_utf8_leaves_the_block_to_the_list_path() -> None:
    assert native_columns(memoryview(b"1,\xff\n2,b\n"), 3, 2, skip_ragged=False) is None


def test_block_buffers_are_reused_only_once_no_column_refers_to_them() -> None:
    """The blocks of one read share their value buffers (a fresh one costs a page fault and zeroed pages per 4 KiB
    written): a buffer goes to a new block only when no column of its earlier block is alive, so values handed out
    never change under their holder."""
    buffers = BlockBuffers(keep=2)
    first = native_columns(memoryview(b"1,2\n3,4\n"), 3, 2, skip_ragged=True, buffers=buffers)
    assert first is not None
    held = first[0][0]
    assert isinstance(held, TypedChunk)
    address = held.numbers.ctypes.data
    del first
    for block in (b"5,6\n7,8\n", b"9,10\n11,12\n", b"13,14\n15,16\n"):  # more blocks than buffers kept
        assert native_columns(memoryview(block), 3, 2, skip_ragged=True, buffers=buffers) is not None
    assert held.numbers.tolist() == [1.0, 3.0]
    del held
    again = native_columns(memoryview(b"17,18\n19,20\n"), 3, 2, skip_ragged=True, buffers=buffers)
    assert again is not None
    chunks = [c for c in again[0] if isinstance(c, TypedChunk)]
    assert chunks[0].numbers.ctypes.data == address  # the freed buffer came back
    assert [c.numbers.tolist() for c in chunks] == [[17.0, 19.0], [18.0, 20.0]]


def test_a_larger_block_replaces_a_free_buffer_that_is_too_small() -> None:
    buffers = BlockBuffers(keep=1)
    small = native_columns(memoryview(b"1,2\n"), 2, 2, skip_ragged=True, buffers=buffers)
    assert small is not None
    del small
    rows = "".join(f"{i},{-i}\n" for i in range(1000)).encode()
    parsed = native_columns(memoryview(rows), 1001, 2, skip_ragged=True, buffers=buffers)
    assert parsed is not None
    columns = [c for c in parsed[0] if isinstance(c, TypedChunk)]
    assert columns[0].numbers.tolist() == [float(i) for i in range(1000)]
    assert columns[1].numbers.tolist() == [-float(i) for i in range(1000)]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=1200) | st.text(alphabet='a,1\n"\r', max_size=1200).map(str.encode))
def test_scan_block_counts_newlines_and_finds_quotes_and_carriage_returns(data: bytes) -> None:
    """One pass for what `bytes.count` and two `in` tests said (over 255-byte runs: lengths past one run too)."""
    assert scan_block(data) == (data.count(b"\n"), b'"' in data or b"\r" in data)
    assert scan_block(memoryview(data)[1:]) == (data[1:].count(b"\n"), b'"' in data[1:] or b"\r" in data[1:])


def test_scan_block_counts_past_a_byte_counter() -> None:
    assert scan_block(b"\n" * 100_000) == (100_000, False)
    assert scan_block(b"x" * 70_000 + b"\r") == (0, True)


@pytest.mark.parametrize("n_edges", range(0, 21))
def test_c_bin_counts_of_a_large_chunk_match_a_binary_search(n_edges: int) -> None:
    """Every edge count on either side of the vector tallies' limit (16), over an odd-length chunk with values on
    the edges, both zeros, infinities and NaN: NumPy's `searchsorted` (NaN sorts last) is the reference."""
    rng = np.random.default_rng(n_edges)
    edges = np.unique(rng.normal(size=n_edges).round(2))
    values = np.concatenate([rng.normal(size=25_001).round(2), edges, [0.0, -0.0, np.inf, -np.inf, np.nan] * 3])
    rng.shuffle(values)
    counts = np.zeros(edges.size + 1)
    c_bin_counts(values, edges, counts)
    c_bin_counts(values[:7], edges, counts)  # counts add up over calls
    expected = (np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
                + np.bincount(np.searchsorted(edges, values[:7], side="left"), minlength=edges.size + 1))
    assert counts.tolist() == expected.tolist()


_SPELLING = st.from_regex(r"\A[+-]?([0-9]{1,25}(\.[0-9]{0,25})?|\.[0-9]{1,25})([eE][+-]?[0-9]{1,3})?\Z", fullmatch=True)


@settings(max_examples=400, deadline=None)
@given(spellings=st.lists(_SPELLING, min_size=1, max_size=30), width=st.integers(min_value=1, max_value=3))
def test_parsed_values_are_what_float_reads(spellings: list[str], width: int) -> None:
    """Any spelling the C typing takes as a number, wherever it sits in a line (the last field is read up to the
    line's end, the others up to a comma): Python's float() is the reference, to the bit; values it reads as
    infinite are missing."""
    rows = [spellings[i:i + width] + ["0"] * (width - len(spellings[i:i + width]))
            for i in range(0, len(spellings), width)]
    block = "".join(",".join(row) + "\n" for row in rows).encode()
    out = np.empty((width, len(rows)))
    parsed = parse_block(block, width, out, False, CATEGORY_LIMIT, TEXT_BUDGET)
    assert parsed is not None and parsed[0] == len(rows)
    for c in range(width):
        expected = [float(row[c]) for row in rows if math.isfinite(float(row[c]))]
        column = parsed[2][c]
        assert column is not None and column[0] == len(expected)
        assert [v.hex() for v in out[c, :column[0]]] == [v.hex() for v in expected]
