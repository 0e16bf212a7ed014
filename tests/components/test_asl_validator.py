"""Every state machine definition the processingJob engine renders passes the real Amazon States Language
validator (npm `asl-validator`, pinned in tools/asl/package-lock.json and installed by `make test` with `npm ci`).

Never skipped: a machine without the validator fails here with the command that installs it. Definitions come
from the rendered plans (every example on the processingJob engine: data and model quality, sharded and not, the
JSONata window state) and from the builder's sharded and model-quality variants.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.components.render import render_plan
from modelmonitor.components.stepfunctions import processing_job_state_machine
from tests.components.conftest import EXAMPLES, REPO, example, of_type, on_engine
from tests.components.test_processing_job_state_machine import BASE, MODEL_QUALITY, SHARDED

VALIDATOR = REPO / "tools" / "asl" / "node_modules" / ".bin" / "asl-validator"
TIMEOUT_SECONDS = 60


def _definitions() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {
        "builder-sharded": processing_job_state_machine(SHARDED),
        "builder-model-quality": processing_job_state_machine(MODEL_QUALITY),
        "builder-model-quality-sharded-args": processing_job_state_machine(
            dataclasses.replace(MODEL_QUALITY, instance_count=1)),
        "builder-single": processing_job_state_machine(BASE),
    }
    for path in EXAMPLES:
        plan = render_plan([on_engine(example(path.name), "processingJob")])
        for machine in of_type(plan, "sfn/stateMachine:StateMachine"):
            found[f"{path.stem}/{machine['name']}"] = json.loads(machine["inputs"]["definition"])
    return found


def _validate(definitions: dict[str, dict[str, Any]], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """One validator run over all definitions (node starts once); its report names the failing files."""
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR} is missing: run `make test` (it installs tools/asl with npm ci)")
    arguments = [str(VALIDATOR)]
    for index, (name, definition) in enumerate(sorted(definitions.items())):
        file = tmp_path / f"{index:02d}-{name.replace('/', '_')}.json"
        file.write_text(json.dumps(definition))
        arguments += ["--json-path", str(file)]
    return subprocess.run(arguments, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


def test_every_rendered_state_machine_is_valid_asl(tmp_path: Path) -> None:
    definitions = _definitions()
    assert len(definitions) >= 6
    result = _validate(definitions, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_broken_definition(tmp_path: Path) -> None:
    """The validator really validates: a Next pointing nowhere is refused."""
    broken = processing_job_state_machine(BASE)
    broken["States"]["PrepareRun"]["Next"] = "NoSuchState"
    result = _validate({"broken": broken, "fine": processing_job_state_machine(BASE)}, tmp_path)
    assert result.returncode != 0 and "broken" in result.stdout + result.stderr, result.stdout
