"""Status tells the truth after the fact: Stalled clears once its cause is gone, and the timer never undoes a
handler's newer status."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmonitor.operator.fakes import FakeBackend
from tests.operator.harness import cluster, eventually, fake_settings, operator
from tests.operator.test_lifecycle import STACK, condition_is, minimal_spec, settle, status

pytestmark = pytest.mark.timeout(40)


def current(c: object, type_: str) -> tuple[str, str, int | None]:
    cond = c.condition("churn", type_) or {}  # type: ignore[attr-defined]
    return cond.get("status", ""), cond.get("reason", ""), cond.get("observedGeneration")


async def test_stalled_clears_when_an_invalid_spec_is_reverted(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True"))
        await c.patch("churn", {"spec": {"dataCapture": {"samplingPercentage": 101}}})
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        await c.patch("churn", {"spec": {"dataCapture": {"samplingPercentage": 20}}})  # the default: same spec
        await eventually(lambda: status(c).get("observedGeneration") == 3)
        await eventually(lambda: current(c, "Stalled")[0] == "False" and current(c, "Ready")[0] == "True")
        assert current(c, "Ready")[2] == 3 and current(c, "Stalled")[2] == 3
        assert backend.count("up", STACK) == 1  # nothing changed in AWS: no new up


async def test_stalled_clears_when_a_spec_that_aws_denied_is_reverted(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True"))
        backend.script(STACK, "up", "denied")
        await c.patch("churn", {"spec": {"dataQuality": {"schedule": "daily"}}})
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        assert "AccessDeniedException" in (c.condition("churn", "Stalled") or {})["message"]
        await c.patch("churn", {"spec": {"dataQuality": {"schedule": "hourly"}}})
        await eventually(lambda: current(c, "Stalled")[0] == "False" and current(c, "Ready")[0] == "True")
        assert current(c, "Ready")[2] == 3


DETECT = {"driftDetection": {"mode": "Detect", "interval": "1h"}}


async def test_a_slow_drift_check_never_undoes_the_handlers_newer_status(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The timer's tick starts (drift check), a spec change is applied meanwhile, then the tick ends: the handler's
    Ready/Reconciling for generation 2 must survive the timer's write."""
    backend = FakeBackend(hang_timeout=10.0)
    backend.script(STACK, "refresh", "hang")
    async with cluster(tmp_path, monkeypatch) as c, operator(backend, fake_settings(timer_tick_seconds=0.2)):
        await c.create("churn", minimal_spec(**DETECT))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        await eventually(backend.hanging.is_set)  # the timer's drift check is running on the generation-1 body
        await c.patch("churn", {"spec": {"dataQuality": {"schedule": "daily"}}})
        await eventually(lambda: current(c, "Ready")[2] == 2 and current(c, "Reconciling")[:2] == ("False", "Applied"))
        backend.release.set()
        await eventually(lambda: c.condition("churn", "InfrastructureDrifted") is not None)
        await settle(0.3)
        assert current(c, "Ready") == ("True", "Applied", 2)
        assert current(c, "Reconciling") == ("False", "Applied", 2)
        assert status(c)["observedGeneration"] == 2


async def test_drift_check_times_survive_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    settings = fake_settings(timer_tick_seconds=0.2)
    async with cluster(tmp_path, monkeypatch) as c:
        async with operator(backend, settings):
            await c.create("churn", minimal_spec(**DETECT))
            await eventually(lambda: c.condition("churn", "InfrastructureDrifted") is not None)
        assert backend.count("refresh", STACK) == 1
        async with operator(backend, settings):
            await settle(1.0)  # five ticks: the 1h interval has not elapsed
        assert backend.count("refresh", STACK) == 1


async def test_outputs_the_stack_no_longer_exports_leave_status(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(alerting={"slackWebhookSecret": "/modelmonitor/slack"}))
        await eventually(lambda: "slackWebhookUrl" in status(c).get("outputs", {}))
        await c.patch("churn", {"spec": {"alerting": {"slackWebhookSecret": None}}})
        await eventually(lambda: status(c).get("observedGeneration") == 2 and condition_is(c, "Ready", "True"))
        assert "slackWebhookUrl" not in status(c)["outputs"]
        assert "endpointName" in status(c)["outputs"]
