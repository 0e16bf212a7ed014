"""Status tells the truth after the fact: Stalled clears once its cause is gone, and the timer never undoes a
handler's newer status."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmonitor.operator.fakes import FakeBackend
from tests.operator.harness import cluster, eventually, operator
from tests.operator.test_lifecycle import STACK, condition_is, minimal_spec, status

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
