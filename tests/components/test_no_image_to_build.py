"""Our analyzer image is needed only by engine modelMonitor with `dataQuality.analyzer: custom`; a plan that points
at it while nothing pushes it (no `analyzerBuildContext`, no `analyzerImagePushed`) is refused before anything is
created — by `modelmonitor render` (exit 2) and by the `pulumi up` entry point — naming the settings."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys

import pulumi
import pytest

from modelmonitor.components.render import render_plan
from tests.components.conftest import EXAMPLES, REPO, example, on_engine, one


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
@pytest.mark.parametrize("path", [p.name for p in EXAMPLES])
def test_our_engines_point_at_no_image_of_ours(path: str, engine: str) -> None:
    plan = render_plan([on_engine(example(path), engine)])
    repository = one(plan, "ecr/repository:Repository")["outputs"]["repositoryUrl"]
    assert repository not in json.dumps([r["inputs"] for r in plan if r["type"] != "aws:ecr/repository:Repository"])
    assert not [r for r in plan if r["type"] == "docker-build:index:Image"]


def _render(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelmonitor.cli", "render", *args, "--output", "json"],
                          capture_output=True, text=True, timeout=300, check=False)


def test_render_refuses_model_monitor_custom_when_nothing_provides_the_image() -> None:
    full = str(REPO / "examples" / "full.yaml")  # engine modelMonitor, analyzer custom
    refused = _render(full)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "modelmonitor:analyzerBuildContext" in refused.stderr
    assert "modelmonitor:analyzerImagePushed" in refused.stderr and "Traceback" not in refused.stderr
    pushed = _render(full, "--analyzer-image-pushed")
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    built = _render(full, "--analyzer-build-context", "docker/analyzer")
    assert built.returncode == 0, built.stderr[-2000:]
    assert [r for r in json.loads(built.stdout) if r["type"] == "docker-build:index:Image"]


def test_the_pulumi_up_entry_point_refuses_it_too(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monitors = tmp_path / "monitors"
    monitors.mkdir()
    (monitors / "full.yaml").write_text((REPO / "examples" / "full.yaml").read_text())
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(monitors) if key == "monitorsDir" else None)
    monkeypatch.setattr(pulumi.Config, "get_bool", lambda self, key: None)
    with pytest.raises(pulumi.RunError, match=r"modelmonitor:analyzerImagePushed"):
        runpy.run_path(str(REPO / "__main__.py"))
