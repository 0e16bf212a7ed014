"""statistics.json / constraints.json / metrics in SageMaker's formats (fields as in the contract file)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from modelmonitor.analyzer.run.statsfile import read_statistics
from tests.analyzer import datagen
from tests.analyzer.conftest import monitor_job


def test_statistics_json_layout(baseline_dir: Path) -> None:
    doc = json.loads((baseline_dir / "statistics.json").read_text())
    assert doc["version"] == 0.0 and isinstance(doc["version"], float)
    assert doc["dataset"] == {"item_count": 10_000}
    features = {f["name"]: f for f in doc["features"]}
    age = features["age"]
    assert age["inferred_type"] == "Integral"
    num = age["numerical_statistics"]
    assert set(num) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert num["common"] == {"num_present": 10_000, "num_missing": 0}
    kll = num["distribution"]["kll"]
    assert len(kll["buckets"]) == 10
    assert set(kll["buckets"][0]) == {"lower_bound", "upper_bound", "count"}
    assert sum(b["count"] for b in kll["buckets"]) == pytest.approx(10_000)
    # SageMaker's own parameters, as its analyzer writes them (fixtures/aws-artifacts/real_statistics_churn_*).
    assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
    levels = kll["sketch"]["data"]
    # The sketch's own levels: level h holds sorted items of weight 2**h, summing to the count exactly.
    assert all(level == sorted(level) for level in levels)
    assert sum(len(level) << h for h, level in enumerate(levels)) == 10_000
    plan = features["plan"]["string_statistics"]
    assert plan["common"] == {"num_present": 10_000, "num_missing": 0}
    assert plan["distinct_count"] == 3
    assert [b["value"] for b in plan["distribution"]["categorical"]["buckets"]] == ["basic", "plus", "pro"]


def test_statistics_round_trip_keeps_the_distribution(baseline_dir: Path) -> None:
    doc = json.loads((baseline_dir / "statistics.json").read_text())
    _, features = read_statistics(doc, "statistics.json")
    score = next(f for f in features if f.name == "score")
    assert score.sample is not None
    assert score.sample.total == pytest.approx(10_000)
    assert abs(score.sample.mean()) < 0.1
    import numpy as np
    assert score.sample.cdf(np.array([0.0]))[0] == pytest.approx(0.5, abs=0.03)


def test_same_data_same_statistics(baseline_dir: Path, tmp_path: Path) -> None:
    """The KLL coin is seeded: a second baseline of the same file is byte-identical, sketches included."""
    again = tmp_path / "again"
    run(AnalysisJob(mode="baseline", dataset_source=str(baseline_dir.parent / "train.csv"), output_path=str(again)))
    assert (again / "statistics.json").read_bytes() == (baseline_dir / "statistics.json").read_bytes()


def test_constraints_json_layout(baseline_dir: Path) -> None:
    doc = json.loads((baseline_dir / "constraints.json").read_text())
    assert doc["version"] == 0.0
    assert doc["monitoring_config"] == {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0, "distribution_constraints": {
            "perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1, "categorical_drift_method": "LInfinity"}}
    features = {f["name"]: f for f in doc["features"]}
    assert features["age"] == {"name": "age", "inferred_type": "Integral", "completeness": 1.0,
                               "num_constraints": {"is_non_negative": True}}
    assert features["score"]["num_constraints"] == {"is_non_negative": False}
    assert features["region"]["string_constraints"] == {"domains": ["east", "north", "south", "west"]}


def test_cloudwatch_metric_records(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "cap", datagen.drifted_columns(500), datagen.WINDOW_START)
    metrics = tmp_path / "metrics"
    job = monitor_job(baseline_dir, tmp_path / "cap", tmp_path / "out", publish_cloudwatch_metrics=True,
                      metrics_dir=str(metrics), endpoint_name="ep", schedule_name="sched")
    run(job, now=datetime(2026, 11, 24, 11, 5, tzinfo=UTC))
    records = [json.loads(line) for line in (metrics / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    names = {r["MetricName"] for r in records}
    assert {"feature_baseline_drift_score", "feature_non_null_tenure", "drift_psi_score", "drift_chi2_plan",
            "monitoring_run_completed", "violations_count"} <= names
    for r in records:
        assert set(r) == {"MetricName", "Timestamp", "Dimensions", "Value", "Unit"}
        assert r["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule",
                                                                         "Value": "sched"}]
        assert r["Timestamp"] == "2026-11-24T11:05:00Z"
    by_name = {r["MetricName"]: r["Value"] for r in records}
    assert by_name["monitoring_run_completed"] == 1.0
    assert by_name["feature_non_null_tenure"] < 0.9
    assert by_name["violations_count"] >= 4
    assert by_name["records_analyzed"] == 500.0


def test_result_carries_metric_records_without_writing_files(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "cap", datagen.drifted_columns(200), datagen.WINDOW_START)
    result = run(monitor_job(baseline_dir, tmp_path / "cap", tmp_path / "out", endpoint_name="ep"))
    assert "metrics" not in result.outputs
    names = {m["MetricName"] for m in result.metrics}
    assert {"monitoring_run_completed", "violations_count", "feature_baseline_drift_score"} <= names


RUN_METRICS = ["monitoring_run_completed", "violations_count", "records_analyzed", "features_drifted",
               "max_feature_drift"]


def test_emit_metrics_disabled_keeps_only_the_run_metrics(baseline_dir: Path, tmp_path: Path) -> None:
    quiet = tmp_path / "baseline"
    shutil.copytree(baseline_dir, quiet)
    constraints = json.loads((quiet / "constraints.json").read_text())
    constraints["monitoring_config"]["emit_metrics"] = "Disabled"
    (quiet / "constraints.json").write_text(json.dumps(constraints))
    datagen.write_captures(tmp_path / "cap", datagen.drifted_columns(200), datagen.WINDOW_START)
    metrics = tmp_path / "metrics"
    result = run(monitor_job(quiet, tmp_path / "cap", tmp_path / "out", endpoint_name="ep",
                             publish_cloudwatch_metrics=True, metrics_dir=str(metrics)))
    assert result.violations  # the data still drifted: only the metrics are left out
    assert [m["MetricName"] for m in result.metrics] == RUN_METRICS
    lines = (metrics / "cloudwatch_metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["MetricName"] for line in lines] == RUN_METRICS


def test_result_prefix_follows_the_artifact_layout() -> None:
    from modelmonitor.analyzer.run.runner import result_prefix

    start = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert result_prefix("s3://b/results/lending/credit/data-quality/", "ep", "sched", start) == \
        "s3://b/results/lending/credit/data-quality/ep/sched/2026/11/24/10/"
