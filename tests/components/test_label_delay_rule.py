"""One label-delay rule for all three engines: the window of a model-quality run ends the label delay rounded up
to whole hours before the evaluation time — SageMaker's EndTimeOffset takes whole hours (or days), so the
modelMonitor engine's offset is the reference the lambda and processingJob engines must equal."""

from __future__ import annotations

import json
import re

import pytest

from modelmonitor.components.render import render_plan
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import example, of_type, on_engine


def _with_label_delay(engine: str, delay: str) -> ModelMonitorDocument:
    raw = on_engine(example("lambda-engine.yaml"), engine).model_dump(by_alias=True)
    raw["spec"]["modelQuality"]["labelDelay"] = delay
    return ModelMonitorDocument.model_validate(raw)


def _iso_seconds(offset: str) -> int:
    """SageMaker's `-PnD` / `-PTnH` offsets in seconds."""
    match = re.fullmatch(r"-P(?:(\d+)D)?(?:T(\d+)H)?", offset)
    assert match, offset
    return int(match.group(1) or 0) * 86400 + int(match.group(2) or 0) * 3600


@pytest.mark.parametrize("delay", ["45m", "90m", "24h", "2d"])
def test_every_engine_ends_the_window_at_the_same_offset(delay: str) -> None:
    (job,) = of_type(render_plan([_with_label_delay("modelMonitor", delay)]), "ModelQualityJobDefinition")
    reference = _iso_seconds(job["inputs"]["modelQualityJobInput"]["endpointInput"]["endTimeOffset"])
    assert reference % 3600 == 0 and reference >= 2700

    functions = of_type(render_plan([_with_label_delay("lambda", delay)]), "lambda/function:Function")
    (analyzer,) = [f for f in functions if f["name"].endswith("-mq-analyzer")]
    assert int(analyzer["inputs"]["environment"]["variables"]["label_delay_seconds"]) == reference

    machines = of_type(render_plan([_with_label_delay("processingJob", delay)]), "sfn/stateMachine:StateMachine")
    (machine,) = [m for m in machines if m["name"].endswith("-mq-run")]
    window = json.loads(machine["inputs"]["definition"])["States"]["ResolveWindow"]["Output"]
    (offset_ms,) = set(re.findall(r"\$evalMs - (\d+)", window))
    assert int(offset_ms) == reference * 1000
