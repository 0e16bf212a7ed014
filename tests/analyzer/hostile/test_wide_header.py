"""The header's duplicate check is linear in its width: 50,000 columns took 38 s when every name was counted in
the whole list, 200,000 ran past ten minutes."""

from __future__ import annotations

from pathlib import Path

from modelmonitor.analyzer.read.batches import MAX_COLUMNS
from tests.analyzer.hostile import child


def test_duplicate_check_of_a_100k_column_header_finishes_in_seconds(tmp_path: Path) -> None:
    names = [f"feature_{i}" for i in range(MAX_COLUMNS - 1)] + ["feature_7"]
    data = tmp_path / "wide.csv"
    data.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    outcome = child.cli(["baseline", str(data), "-o", str(tmp_path / "out"), "--header", "yes", "--no-progress"],
                        timeout=30)
    assert outcome.returncode == 2
    assert outcome.stderr.strip().splitlines() == [
        f"error: {data}: the CSV header repeats column name(s) 'feature_7'"]


def test_a_header_wider_than_the_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "wider.csv"
    data.write_text(",".join(f"f{i}" for i in range(MAX_COLUMNS + 1)) + "\n" + "1\n")
    outcome = child.cli(["baseline", str(data), "-o", str(tmp_path / "out"), "--no-progress"], timeout=30)
    assert outcome.returncode == 2
    assert outcome.stderr.strip().splitlines() == [
        f"error: {data}: the CSV header names {MAX_COLUMNS + 1} columns; at most {MAX_COLUMNS} are read"]
