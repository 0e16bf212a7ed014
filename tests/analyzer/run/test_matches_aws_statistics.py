"""Our baseline of the churn training set against the files AWS's own analyzer printed for the same CSV
(tests/analyzer/fixtures/aws-artifacts/). Every expected value here is AWS's or the data's, never ours."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run

ARTIFACTS = Path(__file__).resolve().parents[1] / "fixtures/aws-artifacts"
TRAINING = ARTIFACTS / "training-dataset-with-header.csv"


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("baseline")
    run(AnalysisJob(mode="baseline", dataset_source=str(TRAINING), output_path=str(out)))
    return (json.loads((out / "statistics.json").read_text()), json.loads((out / "constraints.json").read_text()))


def _aws_statistics() -> dict[str, Any]:
    return json.loads((ARTIFACTS / "real_statistics_churn_partial.json").read_text())


def _column(name: str) -> np.ndarray:
    with TRAINING.open() as handle:
        rows = list(csv.reader(handle))
    index = rows[0].index(name)
    return np.array([float(row[index]) for row in rows[1:]])


def test_dataset_counts_types_and_moments_match_aws(ours: tuple[dict[str, Any], dict[str, Any]]) -> None:
    statistics, _ = ours
    aws = _aws_statistics()
    assert statistics["version"] == aws["version"] and statistics["dataset"] == aws["dataset"]
    by_name = {f["name"]: f for f in statistics["features"]}
    for feature in aws["features"]:  # the 33 features AWS's log kept
        mine = by_name[feature["name"]]
        assert mine["inferred_type"] == feature["inferred_type"], feature["name"]
        theirs, got = feature["numerical_statistics"], mine["numerical_statistics"]
        assert got["common"] == theirs["common"], feature["name"]
        for key in ("mean", "sum", "std_dev", "min", "max"):
            assert got[key] == pytest.approx(theirs[key], rel=1e-12, abs=0), (feature["name"], key)


def test_sketch_parameters_bucket_bounds_and_counts(ours: tuple[dict[str, Any], dict[str, Any]]) -> None:
    statistics, _ = ours
    by_name = {f["name"]: f for f in statistics["features"]}
    for feature in _aws_statistics()["features"]:
        theirs = feature["numerical_statistics"]["distribution"]["kll"]
        got = by_name[feature["name"]]["numerical_statistics"]["distribution"]["kll"]
        assert got["sketch"]["parameters"] == theirs["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
        values = _column(feature["name"])
        assert len(got["buckets"]) == len(theirs["buckets"]) == 10
        for i, (mine, aws) in enumerate(zip(got["buckets"], theirs["buckets"], strict=True)):
            # Bounds to the last bit, as AWS computes them.
            assert (mine["lower_bound"], mine["upper_bound"]) == (aws["lower_bound"], aws["upper_bound"])
            lo, hi = aws["lower_bound"], aws["upper_bound"]
            exact = int(np.sum((values >= lo) & ((values < hi) if i < 9 else (values <= hi))))
            assert abs(aws["count"] - exact) <= 1  # what AWS achieves on this data
            assert abs(mine["count"] - exact) <= 2, (feature["name"], i, mine["count"], exact)
            assert mine["count"] == int(mine["count"])  # whole numbers, as AWS writes them
        top = got["buckets"][-1]
        assert top["count"] >= 1  # the top bucket holds the maximum


def test_constraints_are_aws_constraints(ours: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, constraints = ours
    aws = json.loads((ARTIFACTS / "real_constraints_churn.json").read_text())
    assert constraints == aws
