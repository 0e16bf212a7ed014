"""Destroy is never skipped without evidence, and an operation is visible in status while it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.settings import FINALIZER
from tests.operator.harness import cluster, eventually, fake_settings, operator
from tests.operator.test_lifecycle import STACK, condition_is, minimal_spec, settle, status

pytestmark = pytest.mark.timeout(40)


async def test_first_up_is_visible_in_status_while_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kstatus reads Reconciling=True as InProgress; without it the object looks Current during the whole first up."""
    backend = FakeBackend(hang_timeout=5.0)
    backend.script(STACK, "up", "hang")
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(backend.hanging.is_set)
        await eventually(lambda: condition_is(c, "Reconciling", "True"), timeout=3)
        st = status(c)
        assert st["stackName"] == STACK
        assert (st["lastOperation"]["type"], st["lastOperation"]["result"]) == ("up", "InProgress")
        assert STACK in (c.condition("churn", "Reconciling") or {})["message"]
        backend.release.set()


async def test_delete_destroys_what_an_up_created_before_the_pod_died(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The up created every resource, then the pod died before writing status: Delete must still destroy them."""
    backend = FakeBackend(hang_timeout=5.0)
    backend.script(STACK, "up", "die_after_apply")
    async with cluster(tmp_path, monkeypatch) as c:
        async with operator(backend):
            await c.create("churn", minimal_spec(deletionPolicy="Delete"))
            await eventually(backend.hanging.is_set)
        # The pod is gone; what it left in status is whatever it wrote before the up.
        assert backend.stacks[STACK].resources
        async with operator(backend, fake_settings()):
            await c.delete("churn")
            await eventually(lambda: c.obj("churn") is None, timeout=15)
        backend.release.set()
        assert STACK not in backend.stacks and STACK not in backend.retained, "the resources were orphaned"
        assert backend.count("destroy", STACK) == 1


async def test_a_missing_stack_of_an_applied_monitor_keeps_the_finalizer(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator redeployed against another backend finds no stack: that is not a successful destroy."""
    applied_here = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c:
        async with operator(applied_here):
            await c.create("churn", minimal_spec(deletionPolicy="Delete"))
            await eventually(lambda: condition_is(c, "Ready", "True"))
        async with operator(FakeBackend()):  # the other backend
            await c.delete("churn")
            await eventually(lambda: (status(c).get("lastOperation") or {}).get("result") == "Failed")
            await settle(0.5)
            obj = c.obj("churn")
            assert obj is not None and FINALIZER in obj["metadata"]["finalizers"]
            assert "not in the state backend" in status(c)["lastOperation"]["message"]
            assert ("Normal", "DestroySucceeded") not in c.events("churn")
        assert len(applied_here.stacks[STACK].resources) > 0
