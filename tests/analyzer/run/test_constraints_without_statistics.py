"""A baseline whose constraints name features its statistics lack: those features get no drift methods (there is
nothing to compare with), which the run must say instead of staying silent."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import orjson
import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run


def _write_csv(path: Path, rows: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    lines = ["a,b,c"] + [f"{x:.6f},{y:.6f},{k}" for x, y, k in
                         zip(rng.normal(0, 1, rows), rng.normal(5, 2, rows), rng.choice(["u", "v"], rows),
                             strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_constraints_naming_features_absent_from_statistics_are_warned_about(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run(AnalysisJob(mode="baseline", dataset_source=str(_write_csv(tmp_path / "train.csv", 2000, 1)),
                    output_path=str(tmp_path / "base")))
    statistics = orjson.loads((tmp_path / "base/statistics.json").read_bytes())
    statistics["features"] = [f for f in statistics["features"] if f["name"] not in ("b", "c")]
    (tmp_path / "base/statistics.json").write_bytes(orjson.dumps(statistics))
    with caplog.at_level(logging.WARNING):
        run(AnalysisJob(mode="monitor", dataset_source=str(_write_csv(tmp_path / "now.csv", 500, 2)),
                        output_path=str(tmp_path / "out"),
                        baseline_statistics=str(tmp_path / "base/statistics.json"),
                        baseline_constraints=str(tmp_path / "base/constraints.json")))
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("'b', 'c'" in m and "no drift" in m for m in warned), warned
    report = orjson.loads((tmp_path / "out/drift_report.json").read_bytes())
    assert report["features_without_statistics"] == ["b", "c"]
    by_name = {f["name"]: f for f in report["features"]}
    assert by_name["b"]["methods"] == {} and by_name["a"]["methods"]  # what the warning is about


def test_no_warning_when_statistics_cover_every_constraint(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run(AnalysisJob(mode="baseline", dataset_source=str(_write_csv(tmp_path / "train.csv", 500, 1)),
                    output_path=str(tmp_path / "base")))
    with caplog.at_level(logging.WARNING):
        run(AnalysisJob(mode="monitor", dataset_source=str(_write_csv(tmp_path / "now.csv", 200, 2)),
                        output_path=str(tmp_path / "out"),
                        baseline_statistics=str(tmp_path / "base/statistics.json"),
                        baseline_constraints=str(tmp_path / "base/constraints.json")))
    assert not [r for r in caplog.records if "statistics" in r.getMessage() and r.levelno >= logging.WARNING]
    assert orjson.loads((tmp_path / "out/drift_report.json").read_bytes())["features_without_statistics"] == []
