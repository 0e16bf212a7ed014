"""A baseline computed by AWS's own container (files it printed, tests/analyzer/fixtures/aws-artifacts/) works as
our baseline, and a damaged one is refused naming the feature and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run

ARTIFACTS = Path(__file__).resolve().parents[1] / "fixtures/aws-artifacts"


def _truncated(feature: dict[str, Any]) -> bool:
    """The log cut these sketches short: some level holds a marker that is not a number."""
    data = feature.get("numerical_statistics", {}).get("distribution", {}).get("kll", {}).get("sketch", {})
    for level in data.get("data", []):
        for value in level:
            try:
                float(value)
            except ValueError:
                return True
    return False


def _job(tmp_path: Path, statistics: dict[str, Any]) -> AnalysisJob:
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    return AnalysisJob(mode="monitor", dataset_source=str(ARTIFACTS / "churn_csv.jsonl"),
                       output_path=str(tmp_path / "out"), baseline_statistics=str(tmp_path / "statistics.json"),
                       baseline_constraints=str(ARTIFACTS / "real_constraints_churn.json"))


def test_truncated_sketch_is_refused_naming_feature_and_field(tmp_path: Path) -> None:
    statistics = json.loads((ARTIFACTS / "real_statistics_churn_partial.json").read_text())
    damaged = [i for i, f in enumerate(statistics["features"]) if _truncated(f)]
    assert len(damaged) == 4  # as the artifacts' README says
    first = damaged[0]
    name = statistics["features"][first]["name"]
    with pytest.raises(AnalyzerInputError) as caught:
        run(_job(tmp_path, statistics))
    message = str(caught.value)
    assert f"feature {name!r} (features[{first}])" in message
    assert "numerical_statistics.distribution.kll cannot be read" in message


def test_aws_baseline_reproduces_aws_violations_on_its_captures(tmp_path: Path) -> None:
    """With the 4 damaged features removed, a run on the endpoint's real captures reports what AWS's monitoring
    runs reported: CompletedWithViolations, 60 violations, `Churn` never Integral."""
    statistics = json.loads((ARTIFACTS / "real_statistics_churn_partial.json").read_text())
    statistics["features"] = [f for f in statistics["features"] if not _truncated(f)]
    result = run(_job(tmp_path, statistics))
    assert result.status == "CompletedWithViolations"
    assert len(result.violations) == 60
    violations = json.loads((tmp_path / "out/constraint_violations.json").read_text())["violations"]
    churn = [v for v in violations if v["feature_name"] == "Churn"]
    assert churn and churn[0]["constraint_check_type"] == "data_type_check"
    assert "Only 0.0% of data is Integral" in churn[0]["description"]
