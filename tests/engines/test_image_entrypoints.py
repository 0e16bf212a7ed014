"""One image, two entrypoints: the Dockerfile's CMD names the Lambda handler, and the BYOC ENTRYPOINT still
works when a Processing job appends that CMD as its argument."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.analyzer.entry.byoc import FIRST_LAMBDA_HANDLER, LAMBDA_HANDLER

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker/analyzer/Dockerfile"


def _python_m(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "modelmonitor.analyzer", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def test_cmd_is_the_lambda_handler_and_it_imports() -> None:
    text = DOCKERFILE.read_text()
    [cmd] = re.findall(r"^CMD (\[.*\])$", text, re.M)
    assert json.loads(cmd) == [LAMBDA_HANDLER]
    module, _, attribute = LAMBDA_HANDLER.rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_the_handlers_first_path_still_runs_the_same_handler() -> None:
    """Functions deployed before the analyzer's layer folders name the first path in ImageConfig.Command."""
    assert FIRST_LAMBDA_HANDLER == "modelmonitor.analyzer.lambda_handler.handler"
    module, _, attribute = FIRST_LAMBDA_HANDLER.rpartition(".")
    assert getattr(importlib.import_module(module), attribute) is lambda_handler.handler


@pytest.mark.parametrize("handler_path", [LAMBDA_HANDLER, FIRST_LAMBDA_HANDLER])
def test_byoc_entrypoint_accepts_the_appended_cmd(tmp_path: Path, handler_path: str) -> None:
    data = tmp_path / "train.csv"
    data.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(50)))
    env = {"MODELMONITOR_OPT_ML_ROOT": str(tmp_path / "opt_ml"), "dataset_source": str(data),
           "output_path": str(tmp_path / "out")}
    done = _python_m([handler_path], env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out/statistics.json").is_file()
    assert (tmp_path / "opt_ml/output/message").read_text().startswith("Completed: baseline of 50 records")


def test_byoc_entrypoint_refuses_other_arguments(tmp_path: Path) -> None:
    done = _python_m(["--help"], {"MODELMONITOR_OPT_ML_ROOT": str(tmp_path)})
    assert done.returncode == 2 and "unexpected arguments ['--help']" in done.stderr
