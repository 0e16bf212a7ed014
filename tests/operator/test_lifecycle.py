"""The real kopf operator (modelmonitor.operator.handlers) against the kmock emulator, with the fake backend."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.operator import stacks
from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.settings import FINALIZER, RECONCILE_REQUEST_ANNOTATION
from tests.operator.harness import NAMESPACE, RESOURCE, Cluster, cluster, eventually, fake_settings, operator

pytestmark = pytest.mark.timeout(40)
STACK = stacks.stack_name(NAMESPACE, "churn")
DIFFBASE = "operator.modelmonitor.io/last-handled-configuration"
RESOURCES_OF_MINIMAL_SPEC = 6  # fakes.planned_resources: 3 base + 3 data-quality


def minimal_spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "region": "us-east-1", "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/churn/statistics.json",
                                     "constraintsS3Uri": "s3://acme-baselines/churn/constraints.json"}}}
    spec.update(changes)
    return spec


def condition_is(c: Cluster, type_: str, status: str, name: str = "churn") -> bool:
    cond = c.condition(name, type_)
    return bool(cond and cond["status"] == status)


def status(c: Cluster, name: str = "churn") -> dict[str, Any]:
    return dict((c.obj(name) or {}).get("status") or {})


def history(c: Cluster, name: str = "churn") -> list[dict[str, Any]]:
    return [dict(v.raw) for v in c.k.objects[RESOURCE, NAMESPACE, name].history if v is not None]


async def settle(seconds: float = 1.0) -> None:
    """Give the operator time to (wrongly) act; used only to prove that nothing happens."""
    await asyncio.sleep(seconds)


async def test_create_adds_finalizer_and_ends_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(alerting={"emails": ["mlops@example.com"]}))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        obj = c.obj("churn")
        assert obj is not None
        assert FINALIZER in obj["metadata"]["finalizers"]
        st = obj["status"]
        assert st["observedGeneration"] == 1
        assert st["endpointName"] == "churn-prod"
        assert st["lastOperation"]["summary"] == "up Succeeded"
        assert st["lastOperation"]["updateId"] == "1"
        assert st["outputs"]["dataQualityResultsS3Uri"] == "s3://modelmonitor-fake-artifacts/results/ml/churn/data-quality"
        types = {cond["type"]: cond["status"] for cond in st["conditions"]}
        assert types == {"Ready": "True", "Reconciling": "False", "Stalled": "False", "DataCaptureConfigured": "True",
                         "BaselineReady": "True", "DataQualityScheduled": "True", "ModelQualityScheduled": "False",
                         "ModelBiasScheduled": "False", "FeatureAttributionScheduled": "False",
                         "AlertingReady": "True", "DriftDetected": "Unknown"}
        assert all(cond["observedGeneration"] == 1 for cond in st["conditions"])
        assert backend.count("up", STACK) == 1
        assert len(backend.stacks[STACK].resources) == backend.stacks[STACK].creations == RESOURCES_OF_MINIMAL_SPEC
        await eventually(lambda: {("Normal", "UpStarted"), ("Normal", "UpSucceeded")} <= set(c.events("churn")))


async def test_secret_outputs_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with cluster(tmp_path, monkeypatch) as c, operator(FakeBackend()):
        await c.create("churn", minimal_spec(alerting={"slackWebhookSecret": "/modelmonitor/slack"}))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        assert status(c)["outputs"]["slackWebhookUrl"] == "[secret]"
        assert "hooks.example.invalid" not in str(c.obj("churn"))


async def test_spec_change_runs_one_new_up_and_no_op_change_runs_none(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True"))
        first_hash = status(c)["lastAppliedHash"]
        await c.patch("churn", {"spec": {"dataQuality": {"schedule": "daily"}}})
        await eventually(lambda: status(c).get("observedGeneration") == 2
                         and status(c)["lastAppliedHash"] != first_hash)
        assert backend.count("up", STACK) == 2
        # A label change reaches the update handler (kopf's diff base records it) but runs nothing.
        await c.patch("churn", {"metadata": {"labels": {"team": "risk"}}})
        await eventually(lambda: '"team":"risk"' in (c.obj("churn") or {})["metadata"]["annotations"].get(DIFFBASE, ""))
        await settle(0.5)
        assert backend.count("up", STACK) == 2
        assert status(c)["observedGeneration"] == 2


async def test_delete_with_policy_delete_destroys_then_removes_stack(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(deletionPolicy="Delete"))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        await c.delete("churn")
        await eventually(lambda: c.obj("churn") is None)
        assert backend.count("destroy", STACK) == 1
        assert STACK not in backend.stacks and STACK not in backend.retained
        assert backend.calls[-2:] == [("destroy", STACK), ("remove", STACK)]


async def test_delete_with_policy_retain_forgets_stack_and_keeps_resources(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(deletionPolicy="Retain"))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        await c.delete("churn")
        await eventually(lambda: c.obj("churn") is None)
        assert backend.count("destroy") == 0
        assert STACK not in backend.stacks
        assert len(backend.retained[STACK]) == RESOURCES_OF_MINIMAL_SPEC


async def test_failed_destroy_keeps_finalizer_and_reports_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(deletionPolicy="Delete"))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        backend.script(STACK, "destroy", "fail", "fail")
        await c.delete("churn")
        await eventually(lambda: backend.count("destroy", STACK) >= 2)
        obj = c.obj("churn")
        assert obj is not None, "the finalizer must hold the object while destroy fails"
        assert FINALIZER in obj["metadata"]["finalizers"]
        last = obj["status"]["lastOperation"]
        assert (last["type"], last["result"]) == ("destroy", "Failed")
        assert "ValidationException" in last["message"]
        ready = c.condition("churn", "Ready")
        # AWS rejects the request itself: retried at the slowest pace, but Stalled says a human must act.
        assert ready is not None and ready["reason"] == "DestroyBlocked" and condition_is(c, "Stalled", "True")
        # Once AWS accepts the destroy, the object goes.
        await eventually(lambda: c.obj("churn") is None)
        assert backend.count("destroy", STACK) == 3
        assert STACK not in backend.stacks


async def test_invalid_spec_stalls_without_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(dataCapture={"samplingPercentage": 101}))
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        stalled = c.condition("churn", "Stalled")
        assert stalled is not None and stalled["reason"] == "InvalidSpec"
        assert stalled["message"] == "spec.dataCapture.samplingPercentage: must be at most 100, got 101"
        assert condition_is(c, "Ready", "False")
        await settle(1.0)  # five retry periods of the test settings
        assert backend.calls == []
        assert c.events("churn").count(("Warning", "InvalidSpec")) == 1


async def test_a_monitor_needing_an_unpushed_analyzer_image_stalls_until_the_operator_says_it_is_pushed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """engine modelMonitor with dataQuality.analyzer custom runs our image; the operator's pod cannot build it, so
    without MODELMONITOR_ANALYZER_IMAGE_PUSHED nothing is applied (jobs would point at an empty repository)."""
    spec = minimal_spec(engine="modelMonitor", dataQuality={"analyzer": "custom"})
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", spec)
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        stalled = c.condition("churn", "Stalled")
        assert stalled is not None and stalled["reason"] == "AnalyzerImageMissing"
        assert "MODELMONITOR_ANALYZER_IMAGE_PUSHED=true" in stalled["message"]
        await settle(0.5)
        assert backend.calls == []
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend, fake_settings(analyzer_image_pushed=True)):
        await c.create("churn", spec)
        await eventually(lambda: condition_is(c, "Ready", "True"))
        assert backend.count("up", STACK) == 1


async def test_transient_errors_retry_with_backoff_then_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    backend.script(STACK, "up", "error", "concurrent")
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True"))
        assert backend.count("up", STACK) == 3
        messages = [cond["message"] for version in history(c)
                    for cond in version.get("status", {}).get("conditions", [])
                    if cond["type"] == "Reconciling" and cond["status"] == "True"]
        assert any(m.startswith("attempt 1 failed: network or throttling trouble:") and "i/o timeout" in m
                   and "retrying in 0.2s" in m for m in messages), messages
        assert any(m.startswith("attempt 2 failed: stack ml_churn is locked by another update")
                   and "retrying in 0.4s" in m for m in messages), messages
        assert backend.cancels == []  # a live lock is waited for, never cancelled


async def test_suspend_prevents_runs_until_resumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(suspend=True))
        await eventually(lambda: (c.condition("churn", "Reconciling") or {}).get("reason") == "Suspended")
        await settle(0.5)
        assert backend.calls == []
        await c.patch("churn", {"spec": {"suspend": False}})
        await eventually(lambda: condition_is(c, "Ready", "True"))
        assert backend.count("up", STACK) == 1


async def test_reconcile_request_annotation_forces_exactly_one_run(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True"))
        await c.patch("churn", {"metadata": {"annotations": {RECONCILE_REQUEST_ANNOTATION: "2026-11-25T04:00:00Z"}}})
        await eventually(lambda: status(c).get("lastHandledReconcileRequest") == "2026-11-25T04:00:00Z")
        assert backend.count("up", STACK) == 2
        await c.patch("churn", {"metadata": {"labels": {"touch": "1"}}})  # same request value: handled already
        await eventually(lambda: '"touch":"1"' in (c.obj("churn") or {})["metadata"]["annotations"].get(DIFFBASE, ""))
        await settle(0.5)
        assert backend.count("up", STACK) == 2


async def test_restart_with_nothing_changed_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c:
        async with operator(backend):
            await c.create("churn", minimal_spec())
            await eventually(lambda: condition_is(c, "Ready", "True"))
        async with operator(backend):
            await settle(1.0)
        assert backend.count("up", STACK) == 1


async def test_restart_mid_operation_converges_without_duplicates(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend(hang_timeout=5.0)
    backend.script(STACK, "up", "hang")
    settings = fake_settings(update_timeout_seconds=0.3)
    async with cluster(tmp_path, monkeypatch) as c:
        async with operator(backend, settings):
            await c.create("churn", minimal_spec())
            await eventually(backend.hanging.is_set)
        backend.release.set()  # the old update dies holding the stack lock, like a killed pod
        await eventually(lambda: backend.stacks[STACK].lock_started is not None and backend.count("up") == 1)
        await asyncio.sleep(0.4)  # the lock is now older than the update timeout
        async with operator(backend, settings):
            await eventually(lambda: condition_is(c, "Ready", "True"))
        assert backend.cancels == [STACK]  # cancelled exactly once
        stack = backend.stacks[STACK]
        assert len(stack.resources) == stack.creations == RESOURCES_OF_MINIMAL_SPEC
        assert stack.lock_started is None


async def test_missing_pulumi_cli_stalls_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real automation driver, in its own worker process, on a machine without the pulumi CLI."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    settings = fake_settings(driver="automation", state_dir=tmp_path / "state")
    async with cluster(tmp_path, monkeypatch) as c, operator(settings=settings):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Stalled", "True"), timeout=30)
        stalled = c.condition("churn", "Stalled")
        assert stalled is not None and stalled["reason"] == "OperationFailed"
        assert stalled["message"] == "pulumi CLI not found on PATH; install it or use --driver render"
        await settle(1.0)
        assert c.events("churn").count(("Warning", "UpFailed")) == 1  # no retry loop
