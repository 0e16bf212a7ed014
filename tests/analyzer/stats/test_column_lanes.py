"""Columns added on lanes (threads) give exactly the statistics of a sequential run, and failures surface."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.stats.column_lanes import column_lanes
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats


def _batches() -> list[tuple[list[str], list[object], int]]:
    rng = np.random.default_rng(5)
    batches: list[tuple[list[str], list[object], int]] = []
    for i in range(6):
        names = ["a", "b", "c"] if i % 3 else ["b", "d"]  # columns come and go: missing counts run on lanes too
        columns: list[object] = [pa.array([f"{v:.4f}" for v in rng.lognormal(size=500)]) for _ in names]
        batches.append((names, columns, 500))
    return batches


def test_lanes_give_the_sequential_statistics() -> None:
    sequential, parallel = DatasetStats(), DatasetStats()
    for names, columns, n in _batches():
        sequential.add_columns(names, columns, n)
    with column_lanes(2) as run:
        assert run is not None
        for names, columns, n in _batches():
            parallel.add_columns(names, columns, n, run)
    assert parallel.to_json() == sequential.to_json()


def test_a_failing_column_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_self: ColumnStats, _values: object) -> None:
        raise AnalyzerInputError("refused")

    monkeypatch.setattr(ColumnStats, "add_text", refuse)
    stats = DatasetStats()
    with pytest.raises(AnalyzerInputError, match="refused"), column_lanes(2) as run:
        stats.add_columns(["a"], [["1"]], 1, run)


def test_one_lane_means_no_threads() -> None:
    with column_lanes(1) as run:
        assert run is None
