"""Our analyzer as Model Monitor's custom container (`engine: modelMonitor`, `dataQuality.analyzer: custom`) on a
batch transform source, in the environment AWS documents for it.

"Container Contract Inputs" (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-contract-inputs.html):
"The available environment variables are the same for real-time endpoints and batch transform jobs, except for the
dataset_format variable", which for a batch transform job is `{"csv": {"header": …}}`, `{"json": {"line": …}}` or
`{"parquet": {}}` — the job definition's MonitoringDatasetFormat (engine_clarify_mm.dataset_format sends
`{"csv": {"header": false}}` for the jobs' text/csv). A transform job has no endpoint, so no endpoint name is given.

"CloudWatch Metrics for Bring Your Own Containers" (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-
cloudwatch.html): the metrics file's namespace defaults to `/aws/sagemaker/ModelMonitoring/data-metrics` for batch
transform jobs, with the dimension "MonitoringSchedule for batch transform jobs" (its batch example has that one
dimension) — what the monitor's alarms watch (alarms_clarify.for_batch_transform). An empty Endpoint value would be
refused by CloudWatch (botocore's Dimension.Value: min length 1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen

BATCH_FORMAT = json.dumps({"csv": {"header": False}})


@pytest.fixture(scope="module")
def headerless_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training set as the transform jobs see it: headerless CSV, so both sides name the columns alike."""
    root = tmp_path_factory.mktemp("headerless-baseline")
    train = datagen.write_csv(root / "train.csv", datagen.baseline_columns(5000), header=False)
    run(AnalysisJob(mode="baseline", dataset_source=str(train), output_path=str(root / "out"), csv_header="absent"))
    return root / "out"


def _environment(root: Path, baseline: Path, endpoint: str | None) -> dict[str, str]:
    (root / "processing/baseline").mkdir(parents=True)
    shutil.copy(baseline / "constraints.json", root / "processing/baseline/constraints.json")
    shutil.copy(baseline / "statistics.json", root / "processing/baseline/statistics.json")
    env = {
        "MODELMONITOR_OPT_ML_ROOT": str(root),
        "dataset_format": BATCH_FORMAT,
        "dataset_source": str(root / "processing/input/batch"),  # the job definition's BatchTransformInput.LocalPath
        "output_path": str(root / "processing/output"),
        "publish_cloudwatch_metrics": "Enabled",
        "sagemaker_monitoring_schedule_name": "claims-nightly-dq-schedule",
        "start_time": "2026-11-24T10:00:00Z",
        "end_time": "2026-11-24T11:00:00Z",
        "baseline_constraints": str(root / "processing/baseline/constraints.json"),
        "baseline_statistics": str(root / "processing/baseline/statistics.json"),
    }
    if endpoint is not None:
        env["sagemaker_endpoint_name"] = endpoint
    return env


@pytest.mark.parametrize("endpoint", [None, ""], ids=["absent", "empty"])
def test_batch_source_under_model_monitor_runs_and_publishes_with_the_schedule_dimension(
        headerless_baseline: Path, tmp_path: Path, endpoint: str | None) -> None:
    root = tmp_path / "opt_ml"
    datagen.write_csv(root / "processing/input/batch/claims-0.csv", datagen.drifted_columns(1200), header=False)
    env = _environment(root, headerless_baseline, endpoint)
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    done = subprocess.run([sys.executable, "-m", "modelmonitor.analyzer"], env={**base, **env},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    message = (root / "output/message").read_text()
    assert message.startswith("CompletedWithViolations: ") and "in 1200 records" in message
    violations = json.loads((root / "processing/output/constraint_violations.json").read_text())["violations"]
    assert any(v["constraint_check_type"] == "baseline_drift_check" for v in violations)
    (metrics,) = (root / "output/metrics/cloudwatch").iterdir()
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert records and all(r["Dimensions"] == [{"Name": "MonitoringSchedule",
                                                "Value": "claims-nightly-dq-schedule"}] for r in records)
    value_min = botocore.session.get_session().get_service_model("cloudwatch").shape_for("DimensionValue")
    assert all(len(d["Value"]) >= value_min.metadata["min"] for r in records for d in r["Dimensions"])
