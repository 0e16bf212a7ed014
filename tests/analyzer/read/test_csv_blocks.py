"""The block reader hands plain CSV to Arrow as bytes; whatever it reads must be what the line/`csv`-module path
reads: the same rows, names and counters, for any text and any block boundaries."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.read import csv_reader, sources
from modelmonitor.analyzer.read.batches import Batch, HeaderMode, ReadCounters
from modelmonitor.analyzer.read.csv_reader import read_csv
from modelmonitor.analyzer.read.sources import DataObject, iter_block_views, iter_blocks, iter_lines

Rows = list[tuple[list[str] | None, tuple[str, ...]]]


def _rows(batches: list[Batch]) -> Rows:
    """Rows as the statistics see them: in any order (statistics are sums), and a headerless batch narrower than
    another leaves the extra positional columns missing, exactly as padding its rows with "" does."""
    rows = [(b.names, row) for b in batches for row in zip(*b.columns, strict=True)]
    width = max((len(row) for names, row in rows if names is None), default=0)
    return sorted(((names, row + ("",) * (width - len(row)) if names is None else row) for names, row in rows),
                  key=repr)


def _read(path: Path, header: HeaderMode, *, fast: bool, chunk: int | None,
          monkeypatch: pytest.MonkeyPatch) -> tuple[Rows, tuple[int | str, ...]]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(csv_reader, "_plain_block", lambda *_args, **_kwargs: None)
        if chunk is not None:
            patch.setattr(csv_reader, "iter_block_views", functools.partial(iter_block_views, chunk_bytes=chunk))
        counters = ReadCounters()
        batches = list(read_csv([DataObject(str(path), 1)], header, counters))
    return _rows(batches), (counters.lines, counters.records, counters.malformed, *counters.examples)


field = st.text(alphabet="ab1.5-e x", max_size=4)
line = st.one_of(st.lists(field, min_size=1, max_size=4).map(",".join), st.just(""),
                 st.sampled_from(['"q,1",2', "1,2\r", "a,b,c"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header_line=st.sampled_from(["", "x,y", "x,y,z", "1,2", "x,x"]),
       lines=st.lists(line, max_size=12), trailing_newline=st.booleans(),
       mode=st.sampled_from(["auto", "present", "absent"]), chunk=st.sampled_from([None, 3, 8, 64]))
def test_block_reader_reads_what_the_line_reader_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       header_line: str, lines: list[str], trailing_newline: bool,
                                                       mode: HeaderMode, chunk: int | None) -> None:
    text = "\n".join([header_line, *lines]) + ("\n" if trailing_newline else "")
    path = tmp_path / "d.csv"
    path.write_text(text, newline="")
    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(_read(path, mode, fast=fast, chunk=chunk, monkeypatch=monkeypatch))
        except csv_reader.AnalyzerInputError as exc:
            outcomes.append(str(exc))  # type: ignore[arg-type]
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("chunk", [None, 9, 40, 200])
@pytest.mark.parametrize("bad_at", [3, 40, 97])
def test_messages_name_the_line_in_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int | None,
                                            bad_at: int) -> None:
    """Plain blocks' lines are counted by the parser, after later blocks were read: a line that is not UTF-8 is
    still reported under its number in the file (1 is the header), blank lines included."""
    lines = [b"a,b"] + [b"" if i % 7 == 0 else b"%d,%d" % (i, i) for i in range(2, 101)]
    lines[bad_at - 1] = b"\xff,1"
    path = tmp_path / "d.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for fast in (True, False):
        _, (n_lines, _records, malformed, *examples) = _read(path, "auto", fast=fast, chunk=chunk,
                                                               monkeypatch=monkeypatch)
        assert (n_lines, malformed) == (100, 1)
        assert len(examples) == 1 and str(examples[0]).startswith(f"{path} line {bad_at}: not UTF-8 text")


def test_plain_csv_never_takes_the_list_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n\n2,y\n3\n4,z,extra\n")
    counters = ReadCounters()
    with monkeypatch.context() as patch:
        patch.setattr(csv_reader, "_add_lines", lambda *_args: pytest.fail("took the list path"))
        batches = list(read_csv([DataObject(str(path), 1)], "auto", counters))
    assert [b.names for b in batches] == [["a", "b"]]
    numbers, texts = batches[0].text_columns
    assert numbers.numbers.tolist() == [1.0, 2.0] and numbers.n_integral == 2  # typed in C
    assert sorted(zip(*texts.counted, strict=True)) == [("x", 1), ("y", 1)]  # counted in C
    assert (counters.lines, counters.records, counters.malformed) == (6, 2, 2)
    assert counters.examples[0].endswith("row with a field count other than the header's 2")


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 20])
def test_blocks_hold_whole_lines(tmp_path: Path, chunk: int) -> None:
    data = b"a,b\n1,2\n\n33,44\n5,6"
    path = tmp_path / "d.csv"
    path.write_bytes(data)
    blocks = list(iter_blocks(DataObject(str(path), 1), chunk_bytes=chunk))
    assert b"".join(blocks) == data
    assert all(b.endswith(b"\n") for b in blocks[:-1])
    lines = [line for group in iter_lines(DataObject(str(path), 1), chunk_bytes=chunk) for line in group]
    assert [line for b in blocks for line in b.split(b"\n")[: b.count(b"\n") + (not b.endswith(b"\n"))]] == lines


def test_a_blank_final_line_is_no_block(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"1,2\n  ")
    assert list(iter_blocks(DataObject(str(path), 1))) == [b"1,2\n"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=60).map(lambda b: b.replace(b"\x00", b"\n")) | st.text(alphabet="ab \n", max_size=60)
       .map(str.encode), chunk=st.integers(min_value=1, max_value=16))
def test_local_blocks_are_the_joined_stream_cut_at_newlines(tmp_path: Path, data: bytes, chunk: int) -> None:
    """Local files are read block by block with a seek back to the last newline (or mapped block by block); their
    bytes are what the stream reader (S3: join and slice) yields, also for lines longer than a block and a blank
    final line."""
    path = tmp_path / "d.bin"
    path.write_bytes(data)
    for read in (iter_blocks, iter_block_views):
        _assert_stream_cut_at_newlines(data, [bytes(b) for b in read(DataObject(str(path), 1), chunk_bytes=chunk)],
                                       chunk)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.integers(min_value=0, max_value=9000), max_size=12), blank_end=st.booleans(),
       chunk=st.sampled_from([100, 4095, 4096, 4097, 10000]))
def test_mapped_blocks_across_page_boundaries(tmp_path: Path, lines: list[int], blank_end: bool, chunk: int) -> None:
    """Blocks mapped at offsets that are not page-aligned (a map starts at the page below), lines longer than a
    block (its map widens) and a blank tail: the stream's bytes, cut at newlines."""
    data = b"".join(b"x" * n + b"\n" for n in lines) + (b"  " if blank_end else b"y,z")
    path = tmp_path / "d.csv"
    path.write_bytes(data)
    views = list(iter_block_views(DataObject(str(path), 1), chunk_bytes=chunk))
    assert all(v.readonly for v in views)
    _assert_stream_cut_at_newlines(data, [bytes(v) for v in views], chunk)


def test_a_mapped_block_is_unmapped_with_its_last_view(tmp_path: Path) -> None:
    path = tmp_path / "mapped.csv"
    path.write_bytes(b"1,2\n" * 5000)

    def maps() -> int:
        return Path("/proc/self/maps").read_text().count(str(path))

    blocks = iter_block_views(DataObject(str(path), 1), chunk_bytes=8192)
    first = next(blocks)
    second = next(blocks)
    assert maps() == 2
    del first
    assert maps() == 1  # the generator no longer holds a block it handed out
    del second, blocks
    assert maps() == 0


def test_files_that_cannot_be_mapped_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"a,b\n1,2\n" * 3000)
    monkeypatch.setattr(sources, "_mappable", lambda *_args: False)
    views = list(iter_block_views(DataObject(str(path), 1), chunk_bytes=1000))
    assert b"".join(views) == path.read_bytes() and len(views) > 1 and all(v.readonly for v in views)


def _assert_stream_cut_at_newlines(data: bytes, local: list[bytes], chunk: int) -> None:
    rest, streamed = b"", []
    for piece in (data[i:i + chunk] for i in range(0, len(data), chunk)):  # the S3 path's algorithm
        joined = rest + piece
        cut = joined.rfind(b"\n") + 1
        rest = joined[cut:]
        if cut:
            streamed.append(joined[:cut])
    if rest.strip():
        streamed.append(rest)
    assert b"".join(local) == b"".join(streamed)
    assert all(b.endswith(b"\n") for b in local[:-1])
    assert [b.endswith(b"\n") for b in local[-1:]] == [b.endswith(b"\n") for b in streamed[-1:]]


@pytest.mark.parametrize(("cpus", "threads", "workers"),
                         [(None, True, 1), (1, True, 1), (2, True, 1), (3, True, 2), (64, True, 2), (64, False, 1)])
def test_one_parser_thread_up_to_two_cpus(cpus: int | None, threads: bool, workers: int) -> None:
    """Two column lanes and one parser already fill two CPUs; more CPUs get a second parser."""
    assert csv_reader.parse_workers(cpus, threads) == workers
