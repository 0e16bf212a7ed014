"""`modelmonitor validate`: exit codes, one line per monitor, precise errors, JSON for machines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelmonitor.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_examples_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "examples"), str(REPO / "monitors")]) == 0
    lines = capsys.readouterr().out.splitlines()
    monitor_lines = [line for line in lines if line.startswith("ok  ")]
    assert len(monitor_lines) == len(list((REPO / "examples").glob("*.yaml"))) + len(
        list((REPO / "monitors").glob("*.yaml")))
    assert any("lending/credit-default  endpoint=credit-default-v3 (create)  region=us-west-2" in line
               for line in monitor_lines)
    assert any(line.startswith("engine modelMonitor: ") for line in lines)
    # the default engine explains itself: which accounts, which window sizes
    (note,) = [line for line in lines if line.startswith("engine lambda: ")]
    assert "the default" in note and "Any account" in note and "15 min / 10 GB" in note


def test_invalid_manifest_exit_1_with_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "churn.yaml"
    text = (REPO / "examples/minimal.yaml").read_text().replace(
        "  dataCapture:\n", "  dataCapture:\n    samplingPercentage: 150\n")
    assert "samplingPercentage: 150" in text
    bad.write_text(text)
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"error: {bad}: churn-prod: spec.dataCapture.samplingPercentage: must be at most 100, got 150" in err
    assert "1 problem(s) found" in err


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--output", "json", str(REPO / "examples/minimal.yaml")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is True and out["monitors"][0]["name"] == "churn-prod"
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Nope\n")
    assert main(["validate", "--output", "json", str(bad)]) == 1
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert {"source": str(bad), "document": "document 1", "path": "kind",
            "message": "must be ModelMonitor, got 'Nope'"} in errors


def test_console_script_usage_error_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "modelmonitor.cli", "validate"], capture_output=True, text=True,
                            check=False, cwd=REPO)
    assert result.returncode == 2 and "PATH" in result.stderr


def test_crd_command_matches_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd"]) == 0
    assert capsys.readouterr().out == (REPO / "crds/modelmonitors.modelmonitor.io.yaml").read_text()

