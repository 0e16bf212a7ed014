"""The infrastructure-drift timer's flow per spec.driftDetection: Detect reports, Remediate reverts with an up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelmonitor.operator import flows, reconcile
from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.settings import OperatorSettings
from tests.operator.harness import cluster, eventually, fake_settings, operator
from tests.operator.test_lifecycle import condition_is, minimal_spec

STACK = "ml_churn"


def body(mode: str) -> dict[str, Any]:
    raw = {"metadata": {"name": "churn", "namespace": "ml", "generation": 1},
           "spec": minimal_spec(driftDetection={"mode": mode, "interval": "1h"}), "status": {}}
    document = flows.parse(flows.Resource.from_body(raw))[0]
    assert document is not None
    applied = reconcile.spec_hash(document, OperatorSettings(driver="fake").program_version)  # applied as it is now
    return {**raw, "status": {"lastAppliedHash": applied, "conditions": [
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
    ("Remediate", 0, ("False", "InSync"), 1),
])
async def test_drift_modes(mode: str, drift: int, expected: tuple[str, str], ups: int) -> None:
    patch, checked, backend, events = await check(mode, drift)
    assert checked and drifted(patch) == expected
    assert backend.count("refresh", STACK) == 1 and backend.count("up", STACK) == ups
    assert (("Warning", "InfrastructureDrifted") in events) == (expected[1] == "Remediated")
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


REMEDIATE = {"driftDetection": {"mode": "Remediate", "interval": "1h"}}


async def test_remediate_reverts_drift_through_refresh_and_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real operator's timer: out-of-band changes are gone afterwards (an up without refresh would keep them),
    and the remediation is an operation like any other: recorded in lastOperation."""
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend, fake_settings(timer_tick_seconds=0.2)):
        backend.drift[STACK] = 2
        await c.create("churn", minimal_spec(**REMEDIATE))
        await eventually(lambda: (c.condition("churn", "InfrastructureDrifted") or {}).get("reason") == "Remediated")
        assert backend.drift[STACK] == 0, "the drifted resources were not reverted"
        assert backend.count("refresh_state", STACK) == 1 and backend.count("up", STACK) == 2
        last = (c.obj("churn") or {})["status"]["lastOperation"]
        assert (last["type"], last["result"]) == ("up", "Succeeded") and "remediated 2" in last["message"]


async def test_remediate_never_runs_past_a_stalled_monitor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend, fake_settings(timer_tick_seconds=0.2)):
        await c.create("churn", minimal_spec(driftDetection={"mode": "Remediate", "interval": "1m"}))
        await eventually(lambda: (c.condition("churn", "InfrastructureDrifted") or {}).get("reason") == "InSync")
        backend.script(STACK, "up", "denied")
        await c.patch("churn", {"spec": {"dataQuality": {"schedule": "daily"}}})
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        ups = backend.count("up", STACK)
        backend.drift[STACK] = 3
        await c.patch_status("churn", {"lastDriftCheckTime": "2026-01-01T00:00:00Z"})  # the interval has elapsed
        await eventually(lambda: (c.condition("churn", "InfrastructureDrifted") or {}).get("status") == "True")
        assert "not remediated: the monitor is stalled" in (c.condition("churn", "InfrastructureDrifted") or {})[
            "message"]
        assert backend.count("up", STACK) == ups and backend.drift[STACK] == 3
