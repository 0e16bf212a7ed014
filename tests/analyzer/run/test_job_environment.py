"""AnalysisJob.from_environment: SageMaker's variables and ours (internal-contracts §5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.job import AnalysisJob, parse_dataset_format


def test_monitoring_environment() -> None:
    job = AnalysisJob.from_environment({
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}),
        "dataset_source": "/opt/ml/processing/input/endpoint", "output_path": "/opt/ml/processing/output",
        "baseline_statistics": "/b/statistics.json", "baseline_constraints": "/b/constraints.json",
        "start_time": "2026-11-24T10:00:00Z", "end_time": "2026-11-24T11:00:00Z",
        "publish_cloudwatch_metrics": "Enabled", "sagemaker_endpoint_name": "ep",
        "sagemaker_monitoring_schedule_name": "s", "drift_methods": "psi, KS", "comparison_method": "Simple",
        "drift_threshold": "0.2", "categorical_drift_threshold": "0.3"}, opt_ml_root="/tmp/x")
    assert job.mode == "monitor" and job.data_format == "capture"
    assert job.window is not None and job.window.start == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert job.publish_cloudwatch_metrics and job.metrics_dir == "/tmp/x/output/metrics/cloudwatch"
    assert job.drift_methods == ("psi", "ks")
    assert (job.comparison_method, job.drift_threshold, job.categorical_drift_threshold) == ("Simple", 0.2, 0.3)


def test_baseline_environment_defaults_to_the_container_layout() -> None:
    job = AnalysisJob.from_environment({}, opt_ml_root="/opt/ml")
    assert job.mode == "baseline"
    assert job.dataset_source == "/opt/ml/processing/input/endpoint"
    assert job.output_path == "/opt/ml/processing/output"
    assert not job.publish_cloudwatch_metrics


@pytest.mark.parametrize(("raw", "expected"), [
    ('{"csv": {"header": true, "output_columns_position": "START"}}', ("csv", "present")),
    ('{"csv": {"header": false}}', ("csv", "absent")),
    ('{"json": {"lines": true}}', ("jsonl", "auto")),
    ("", ("auto", "auto")),
    # the API's MonitoringDatasetFormat.Json has `Line` (botocore's sagemaker model), not the SDK's `lines`
    ('{"json": {"line": true}}', ("jsonl", "auto")),
])
def test_dataset_format(raw: str, expected: tuple[str, str]) -> None:
    assert parse_dataset_format(raw) == expected


@pytest.mark.parametrize("raw", ['{"json": {"lines": false}}', '{"json": {"line": false}}',
                                 '{"json": {"Line": false}}'])
def test_a_json_document_per_file_is_refused_under_either_spelling(raw: str) -> None:
    """One JSON document per file (MonitoringDatasetFormat Json Line=false; botocore's JsonFormat shape) is not JSON
    lines: refused under the SDK's key and the API's alike, never read as lines."""
    import botocore.session

    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("MonitoringJsonDatasetFormat")
    assert set(shape.members) == {"Line"}
    with pytest.raises(AnalyzerInputError, match="lines=false is not supported"):
        parse_dataset_format(raw)


@pytest.mark.parametrize(("env", "message"), [
    ({"baseline_statistics": "/s.json"}, "needs both baseline_statistics and baseline_constraints"),
    ({"start_time": "2026-11-24T10:00:00Z"}, "start_time and end_time must be set together"),
    ({"start_time": "2026-11-24T11:00:00Z", "end_time": "2026-11-24T10:00:00Z"}, "is not after start_time"),
    ({"drift_threshold": "high"}, "drift_threshold must be a number"),
    ({"comparison_method": "Fuzzy"}, "comparison_method must be Robust or Simple"),
    ({"analysis_stage": "half"}, "analysis_stage must be full, shard or merge"),
    ({"dataset_format": "{oops"}, "dataset_format is not JSON"),
])
def test_bad_environment_is_a_precise_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(AnalyzerInputError, match=message):
        AnalysisJob.from_environment(env, opt_ml_root="/tmp/x")


def test_sketch_parameters_from_the_environment() -> None:
    default = AnalysisJob.from_environment({"dataset_source": "/d"}, opt_ml_root="/tmp/x")
    assert (default.sketch_k, default.sketch_c) == (2048, 0.64)  # SageMaker's, as its statistics.json says
    job = AnalysisJob.from_environment({"dataset_source": "/d", "kll_k": "512", "kll_c": "0.7"}, opt_ml_root="/x")
    assert (job.sketch_k, job.sketch_c) == (512, 0.7)
    with pytest.raises(AnalyzerInputError, match="kll_k must be an integer, got 'big'"):
        AnalysisJob.from_environment({"dataset_source": "/d", "kll_k": "big"}, opt_ml_root="/x")
    with pytest.raises(AnalyzerInputError, match=r"sketch k \(--sketch-k, kll_k\) must be an integer in \[8, 65535\]"):
        AnalysisJob.from_environment({"dataset_source": "/d", "kll_k": "70000"}, opt_ml_root="/x")


def test_a_zero_sketch_c_is_refused_not_replaced_by_the_default() -> None:
    """kll_c=0 used to fall back to 0.64 silently (a falsy value read as unset)."""
    with pytest.raises(AnalyzerInputError, match=r"sketch c \(--sketch-c, kll_c\) must be in \(0.5, 1\), got 0.0"):
        AnalysisJob.from_environment({"dataset_source": "/d", "kll_c": "0"}, opt_ml_root="/x")
