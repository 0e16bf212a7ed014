"""`python -m modelmonitor.analyzer` as SageMaker runs it: env vars, /opt/ml tree, message file, exit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelmonitor.analyzer.entry import byoc
from modelmonitor.analyzer.entry.byoc import EXIT_MESSAGE_BYTES, truncate_utf8
from tests.analyzer import datagen

CAPTURE_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}})


def _opt_ml(tmp_path: Path, baseline_dir: Path, columns: datagen.Columns) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "opt_ml"
    datagen.write_captures(root / "processing/input/endpoint", columns, datagen.WINDOW_START, endpoint="ep",
                           output=True)
    (root / "processing/baseline/constraints").mkdir(parents=True)
    (root / "processing/baseline/stats").mkdir(parents=True)
    shutil.copy(baseline_dir / "constraints.json", root / "processing/baseline/constraints/constraints.json")
    shutil.copy(baseline_dir / "statistics.json", root / "processing/baseline/stats/statistics.json")
    env = {
        "MODELMONITOR_OPT_ML_ROOT": str(root),
        "dataset_format": CAPTURE_FORMAT,
        "dataset_source": str(root / "processing/input/endpoint"),
        "output_path": str(root / "processing/output"),
        "publish_cloudwatch_metrics": "Enabled",
        "sagemaker_endpoint_name": "ep",
        "sagemaker_monitoring_schedule_name": "sched",
        "sagemaker_endpoint_datacapture_prefix": "captures",
        "start_time": "2026-11-24T10:00:00Z",
        "end_time": "2026-11-24T11:00:00Z",
        "baseline_constraints": str(root / "processing/baseline/constraints/constraints.json"),
        "baseline_statistics": str(root / "processing/baseline/stats/statistics.json"),
    }
    return root, env


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "modelmonitor.analyzer"], env={**base, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def test_drifted_window_completes_with_violations(baseline_dir: Path, tmp_path: Path) -> None:
    # 5000 records one second apart span 10:00–11:23; the window keeps the first hour (3600 records).
    root, env = _opt_ml(tmp_path, baseline_dir, datagen.drifted_columns(5000))
    done = _run(env)
    assert done.returncode == 0, done.stderr
    message = (root / "output/message").read_text()
    assert message.startswith("CompletedWithViolations: ")
    assert "in 3600 records" in message
    out = root / "processing/output"
    assert {p.name for p in out.iterdir()} == {"constraint_violations.json", "statistics.json",
                                               "drift_report.json", "report.html"}
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert {v["feature_name"] for v in violations} == {"score", "plan", "region", "tenure"}
    metrics = list((root / "output/metrics/cloudwatch").iterdir())
    assert [m.name for m in metrics] == ["cloudwatch_metrics.jsonl"]
    first = json.loads(metrics[0].read_text().splitlines()[0])
    assert first["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"},
                                   {"Name": "MonitoringSchedule", "Value": "sched"}]
    # The window's end (its evaluation time; docs/engines.md, "Metric timestamps"), not its start.
    assert first["Timestamp"] == "2026-11-24T11:00:00Z"


def test_clean_window_completes(baseline_dir: Path, tmp_path: Path) -> None:
    root, env = _opt_ml(tmp_path, baseline_dir, datagen.baseline_columns(1500, seed=21))
    env["publish_cloudwatch_metrics"] = "Disabled"
    done = _run(env)
    assert done.returncode == 0, done.stderr
    assert (root / "output/message").read_text().startswith("Completed: 0 violation(s) in 1500 records")
    assert not (root / "output/metrics").exists()


def test_failure_exits_non_zero_with_a_failed_message(baseline_dir: Path, tmp_path: Path) -> None:
    root, env = _opt_ml(tmp_path, baseline_dir, datagen.baseline_columns(100))
    env["baseline_statistics"] = str(root / "processing/baseline/stats/missing.json")
    done = _run(env)
    assert done.returncode != 0
    message = (root / "output/message").read_text()
    assert message.startswith("Failed: ")
    assert "missing.json" in message


def test_baseline_job_from_processingjobconfig(tmp_path: Path) -> None:
    root = tmp_path / "opt_ml"
    data = datagen.write_csv(root / "processing/input/baseline_dataset_input/train.csv",
                             datagen.baseline_columns(800))
    (root / "config").mkdir(parents=True)
    (root / "config/processingjobconfig.json").write_text(json.dumps({"Environment": {
        "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
        "dataset_source": str(data.parent), "output_path": str(root / "processing/output"),
        "publish_cloudwatch_metrics": "Disabled"}}))
    done = _run({"MODELMONITOR_OPT_ML_ROOT": str(root)})
    assert done.returncode == 0, done.stderr
    assert (root / "output/message").read_text() == "Completed: baseline of 800 records (0 malformed)"
    assert {p.name for p in (root / "processing/output").iterdir()} == {"statistics.json", "constraints.json"}


@pytest.mark.parametrize("env_patch", [{"start_time": "2026-11-24T10:00:00Z", "end_time": ""},
                                       {"dataset_format": '{"avro": {}}'},
                                       {"drift_methods": "psi,nope"}])
def test_bad_environment_fails_with_a_precise_message(baseline_dir: Path, tmp_path: Path,
                                                      env_patch: dict[str, str]) -> None:
    # In-process (same `main` the subprocess tests run) to keep the suite fast.
    root, env = _opt_ml(tmp_path, baseline_dir, datagen.baseline_columns(50))
    assert byoc.main({**env, **env_patch}) == 2
    message = (root / "output/message").read_text()
    assert message.startswith("Failed: ")
    assert any(word in message for word in ("start_time", "avro", "nope"))


def test_message_is_cut_at_1_kb_without_breaking_characters() -> None:
    text = "CompletedWithViolations: " + "é" * 2000
    cut = truncate_utf8(text)
    assert len(cut) <= EXIT_MESSAGE_BYTES
    assert cut.decode("utf-8").startswith("CompletedWithViolations: ")
