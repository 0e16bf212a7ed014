"""The infrastructure-drift timer's flow per spec.driftDetection: Detect reports, Remediate reverts with an up."""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.operator import flows
from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.settings import OperatorSettings
from tests.operator.test_lifecycle import minimal_spec

STACK = "ml_churn"


def body(mode: str) -> dict[str, Any]:
    return {"metadata": {"name": "churn", "namespace": "ml", "generation": 1},
            "spec": minimal_spec(driftDetection={"mode": mode, "interval": "1h"}),
            "status": {"lastAppliedHash": "sha256:x", "conditions": [
                {"type": "Ready", "status": "True", "reason": "Applied"}]}}


async def check(mode: str, drift: int, since: float | None = None) -> tuple[dict[str, Any], bool, FakeBackend,
                                                                             list[tuple[str, str]]]:
    backend = FakeBackend()
    runtime = flows.build_runtime(OperatorSettings(driver="fake"), fake_backend=backend)
    events: list[tuple[str, str]] = []
    try:
        await runtime.runner.run("up", flows.stacks.StackTarget("ml", "churn", "us-east-1",
                                                                flows.parse(flows.Resource.from_body(body(mode)))[0]))
        backend.drift[STACK] = drift
        patch = await flows.check_infrastructure(runtime, body(mode), since,
                                                 lambda t, reason, m: events.append((t, reason)))
        checked = "lastDriftCheckTime" in patch
    finally:
        runtime.close()
    return patch, checked, backend, events


def drifted(patch: dict[str, Any]) -> tuple[str, str]:
    cond = next(c for c in patch["conditions"] if c["type"] == "InfrastructureDrifted")
    return cond["status"], cond["reason"]


@pytest.mark.parametrize(("mode", "drift", "expected", "ups"), [
    ("Detect", 0, ("False", "InSync"), 1),
    ("Detect", 2, ("True", "Drifted"), 1),
    ("Remediate", 2, ("False", "Remediated"), 2),
])
async def test_drift_modes(mode: str, drift: int, expected: tuple[str, str], ups: int) -> None:
    patch, checked, backend, events = await check(mode, drift)
    assert checked and drifted(patch) == expected
    assert backend.count("refresh", STACK) == 1 and backend.count("up", STACK) == ups
    assert (("Warning", "InfrastructureDrifted") in events) == (mode == "Remediate")
    assert any(c["type"] == "Ready" for c in patch["conditions"])  # other conditions survive


async def test_off_and_not_yet_due_run_nothing() -> None:
    patch, checked, backend, _ = await check("Off", 5)
    assert (patch, checked, backend.count("refresh")) == ({}, False, 0)
    patch, checked, backend, _ = await check("Detect", 5, since=60.0)
    assert (patch, checked, backend.count("refresh")) == ({}, False, 0)


async def test_timer_leaves_a_stack_alone_while_an_operation_runs() -> None:
    backend = FakeBackend()
    runtime = flows.build_runtime(OperatorSettings(driver="fake"), fake_backend=backend)
    runtime.busy.add(("ml", "churn"))
    try:
        patch = await flows.observe_resource(runtime, body("Detect"), refresh_execution_now=True,
                                             emit=lambda *_: None)
    finally:
        runtime.close()
    assert (patch, backend.calls) == ({}, [])
