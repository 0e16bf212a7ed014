"""`--driver render` end to end: examples/minimal.yaml applied to the emulated cluster ends Ready with the plan's
outputs in status (Pulumi mocks; nothing touches AWS)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelmonitor.operator import flows
from tests.operator.harness import NAMESPACE, cluster, eventually, fake_settings, operator


@pytest.mark.timeout(60)
async def test_minimal_example_renders_to_ready_with_planned_outputs(repo: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    example = yaml.safe_load((repo / "examples" / "minimal.yaml").read_text())
    runtime = flows.build_runtime(fake_settings(driver="render"))
    async with cluster(tmp_path, monkeypatch) as c, operator(runtime=runtime):
        await c.create(example["metadata"]["name"], example["spec"])
        name = example["metadata"]["name"]
        await eventually(lambda: (c.condition(name, "Ready") or {}).get("status") == "True", timeout=45)
        status = (c.obj(name) or {})["status"]
        outputs = status["outputs"]
        # Independent facts: the example monitors the existing endpoint churn-prod in us-east-1, and components
        # name the data-quality schedule `{name}-{hash}-dq-schedule` and the platform's alert topic `*-alerts`.
        assert outputs["endpointName"] == "churn-prod"
        assert int(outputs["plannedResources"]) > 20
        assert outputs["bucketName"]
        assert outputs["alertTopicArn"].startswith("arn:aws:sns:us-east-1:123456789012:")
        schedules = yaml.safe_load(outputs["scheduleArns"])
        (schedule, arn), = schedules.items()
        assert schedule.startswith("churn-prod-") and schedule.endswith("-dq-schedule")
        # examples/minimal.yaml runs on the default engine (lambda): an EventBridge Scheduler schedule
        assert arn == f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{schedule}"
        last = status["lastOperation"]
        assert (last["type"], last["result"]) == ("up", "Succeeded")
        assert "mocks; nothing created in AWS" in last["message"]
        assert status["endpointName"] == "churn-prod"
        assert (c.obj(name) or {})["metadata"]["namespace"] == NAMESPACE
