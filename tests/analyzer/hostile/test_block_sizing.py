"""Output buffers are sized by what a block can hold, not by its line count, and no row's width multiplies memory:
a 5,000-column header over 48 MB of blank lines asked NumPy for 311 GiB, a capture whose first record had 100,000
fields for 28 GiB (both died with a traceback)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from modelmonitor.analyzer.read.batches import MAX_COLUMNS, PAD_CELLS, BatchBuilder, ReadCounters, padded_runs
from modelmonitor.analyzer.read.native_block import native_columns, row_capacity
from tests.analyzer.hostile import child


def _record(csv_line: str) -> str:
    return json.dumps({"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                                         "data": csv_line, "encoding": "CSV"}},
                       "eventMetadata": {"eventId": "e", "inferenceTime": "2026-01-01T00:00:00Z"},
                       "eventVersion": "0"})


def test_wide_header_over_blank_lines_reads_in_bounded_memory(tmp_path: Path) -> None:
    data = tmp_path / "blank.csv"
    with data.open("w") as handle:
        handle.write(",".join(f"c{i}" for i in range(5000)) + "\n")
        handle.write("\n" * (12 << 20))
        handle.write(",".join("1" for _ in range(5000)) + "\n")
    outcome = child.cli(["baseline", str(data), "-o", str(tmp_path / "out"), "--no-progress"], timeout=120)
    assert outcome.returncode == 0, outcome.stderr[-600:]
    assert "baseline of 1 records" in outcome.stdout
    assert outcome.peak_bytes < 1 << 30


def test_capture_whose_first_record_is_very_wide_reads_in_bounded_memory(tmp_path: Path) -> None:
    data = tmp_path / "capture.jsonl"
    with data.open("w") as handle:
        handle.write(_record(",".join("1" for _ in range(MAX_COLUMNS))) + "\n")
        handle.write("".join(_record(str(i % 10)) + "\n" for i in range(40_000)))
    # The reader alone: statistics of 100,000 columns take a minute of their own.
    outcome = child.run(f"""
from modelmonitor.analyzer.read.batches import ReadCounters
from modelmonitor.analyzer.read.capture import read_capture
from modelmonitor.analyzer.read.sources import DataObject
counters = ReadCounters()
batches = list(read_capture([DataObject({str(data)!r}, 0)], "input_only", counters))
print(sum(b.n_rows for b in batches), max(len(b.text_columns) for b in batches), counters.malformed)
""", timeout=120)
    assert outcome.returncode == 0, outcome.stderr[-600:]
    assert outcome.stdout.split("\n")[0] == f"40001 {MAX_COLUMNS} 0"
    assert outcome.peak_bytes < 2 << 30


def test_rows_wider_than_the_limit_are_counted_malformed() -> None:
    counters = ReadCounters()
    builder = BatchBuilder(counters)
    builder.source = "s3://bucket/data.csv"
    builder.plain.extend(["1,2", ",".join("9" for _ in range(MAX_COLUMNS + 1)), "3,4"])
    batches = list(builder.drain())
    assert [b.n_rows for b in batches] == [2] and [len(b.text_columns) for b in batches] == [2]
    assert counters.malformed == 1
    assert counters.examples == [f"s3://bucket/data.csv: a row of {MAX_COLUMNS + 1} fields "
                                 f"(at most {MAX_COLUMNS} are read)"]


def test_padded_runs_bound_rows_times_width() -> None:
    widths = [MAX_COLUMNS] + [1] * 1000 + [MAX_COLUMNS] + [2] * 10
    runs = list(padded_runs(widths))
    assert runs[0][0] == 0 and runs[-1][1] == len(widths)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(runs))  # consecutive, nothing lost
    assert all((stop - start) * max(widths[start:stop]) <= PAD_CELLS for start, stop in runs)
    assert list(padded_runs([3] * 10)) == [(0, 10)]


def test_row_capacity_is_what_the_block_can_hold() -> None:
    assert row_capacity(10 << 20, 10 << 20, 5000) == ((10 << 20) + 1) // 5000
    assert row_capacity(4, 2, 1) == 2  # "1\n2\n"
    body = memoryview(b",".join(b"5" for _ in range(300)) + b"\n" + b"\n" * 100_000)
    parsed = native_columns(body, 100_001, 300, skip_ragged=True)
    assert parsed is not None and parsed[1] == 1
