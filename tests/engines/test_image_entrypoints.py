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

from modelmonitor.analyzer.byoc import LAMBDA_HANDLER

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


def test_byoc_entrypoint_accepts_the_appended_cmd(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(50)))
    env = {"MODELMONITOR_OPT_ML_ROOT": str(tmp_path / "opt_ml"), "dataset_source": str(data),
           "output_path": str(tmp_path / "out")}
    done = _python_m([LAMBDA_HANDLER], env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out/statistics.json").is_file()
    assert (tmp_path / "opt_ml/output/message").read_text().startswith("Completed: baseline of 50 records")


def test_byoc_entrypoint_refuses_other_arguments(tmp_path: Path) -> None:
    done = _python_m(["--help"], {"MODELMONITOR_OPT_ML_ROOT": str(tmp_path)})
    assert done.returncode == 2 and "unexpected arguments ['--help']" in done.stderr
