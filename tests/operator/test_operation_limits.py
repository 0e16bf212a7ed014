"""Every operation is bounded in time and stops cleanly, with real processes: a stand-in for the Pulumi CLI (a child
process of the worker that, like the CLI, treats SIGINT as "cancel gracefully"), a worker that dies, and shutdown."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.runner import OperationRunner
from modelmonitor.operator.stacks import OperationResult, StackTarget, TemporaryDriverError

pytestmark = pytest.mark.timeout(60)
TARGET = StackTarget("ml", "churn", "us-east-1")
# Records the signal it got, as the CLI would print "cancelling update", then exits; unsignalled it runs for a minute.
FAKE_CLI = """
import pathlib, signal, sys, time
marker = pathlib.Path(sys.argv[1])
def interrupted(signum, frame):
    marker.write_text(signal.Signals(signum).name)
    sys.exit(255)
signal.signal(signal.SIGINT, interrupted)
marker.with_suffix(".started").write_text("")
time.sleep(60)
"""


@dataclass(frozen=True)
class CliDriver:
    """Its `up` runs the stand-in CLI and waits for it, as the Automation API waits for `pulumi up`."""

    workdir: str
    isolation: Literal["thread", "process"] = "process"

    def up(self, target: StackTarget) -> OperationResult:
        import subprocess

        subprocess.run([sys.executable, "-c", FAKE_CLI, str(Path(self.workdir) / "cli")], check=False)
        raise TemporaryDriverError("update interrupted")

    def cancel(self, target: StackTarget) -> OperationResult:
        (Path(self.workdir) / "cancelled").write_text(target.stack_name)
        return OperationResult("up", summary="update cancelled")

    def forget(self, target: StackTarget) -> OperationResult:
        time.sleep(1.0)
        return OperationResult("forget", summary=f"pid {os.getpid()}")

    def destroy(self, target: StackTarget) -> OperationResult:
        os._exit(137)  # killed mid-operation, like the OOM killer would

    def detect_drift(self, target: StackTarget) -> OperationResult:
        return OperationResult("refresh")

    def remediate(self, target: StackTarget) -> OperationResult:
        return OperationResult("up")


async def test_a_hung_operation_is_interrupted_then_its_update_cancelled(tmp_path: Path) -> None:
    runner = OperationRunner(CliDriver(str(tmp_path)), 1, timeout=3.0, grace=10.0)
    started = time.monotonic()
    try:
        with pytest.raises(TemporaryDriverError, match=r"up of stack ml_churn timed out after 3s"):
            await runner.run("up", TARGET)
    finally:
        runner.close()
    assert (tmp_path / "cli").read_text() == "SIGINT", "the CLI was not asked to cancel"
    assert (tmp_path / "cancelled").read_text() == "ml_churn", "the stack's update was not cancelled"
    assert time.monotonic() - started < 3.0 + 10.0


async def test_a_dying_worker_fails_only_its_own_operation(tmp_path: Path) -> None:
    runner = OperationRunner(CliDriver(str(tmp_path)), 2)
    try:
        survivor = asyncio.create_task(runner.run("forget", TARGET))
        await asyncio.sleep(0.2)
        died = r"the destroy worker process of stack ml_other died \(exit code 137\)"
        with pytest.raises(TemporaryDriverError, match=died):
            await runner.run("destroy", StackTarget("ml", "other", None))
        assert (await survivor).summary.startswith("pid ")
    finally:
        runner.close()


async def test_shutdown_interrupts_running_operations_and_takes_no_new_ones(tmp_path: Path) -> None:
    runner = OperationRunner(CliDriver(str(tmp_path)), 1, timeout=60.0, grace=10.0)
    running = asyncio.create_task(runner.run("up", TARGET))
    deadline = time.monotonic() + 30
    while not (tmp_path / "cli.started").exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await runner.aclose()
    assert (tmp_path / "cli").read_text() == "SIGINT"
    with pytest.raises(TemporaryDriverError, match="update interrupted"):
        await running
    with pytest.raises(TemporaryDriverError, match="the operator is stopping"):
        await runner.run("forget", TARGET)


async def test_a_hung_up_frees_its_slot_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real operator, one slot: a hung up times out, its status says so, its update is cancelled, the other
    monitor is applied meanwhile, and the liveness probe fails while the only slot is wedged."""
    from tests.operator.harness import cluster, eventually, fake_settings, operator
    from tests.operator.test_entry_points import free_port, healthy
    from tests.operator.test_lifecycle import STACK, condition_is, minimal_spec

    backend = FakeBackend(hang_timeout=8.0)
    backend.script(STACK, "up", "hang")
    settings = fake_settings(max_concurrent_updates=1, operation_timeout_seconds=1.0, cancel_grace_seconds=1.0)
    liveness = f"http://127.0.0.1:{free_port()}/healthz"
    async with cluster(tmp_path, monkeypatch) as c, operator(backend, settings, liveness=liveness):
        await c.create("churn", minimal_spec())
        await eventually(backend.hanging.is_set)
        await c.create("other", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True", "other"), timeout=10)
        reconciling = c.condition("churn", "Reconciling") or {}
        assert "up of stack ml_churn timed out after 1s" in reconciling.get("message", ""), reconciling
        assert STACK in backend.cancels
        assert not await asyncio.to_thread(healthy, liveness)  # the only slot's thread is still wedged
        backend.release.set()
        await eventually(lambda: condition_is(c, "Ready", "True"), timeout=10)  # the retry, after the cancel


async def test_a_lock_left_by_an_earlier_operator_pod_is_cancelled_after_its_grace_period(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rollout: the old pod died mid-up holding the lock (user@old-pod). The new pod does not wait for the
    one-hour update timeout: that holder is gone once its grace period has passed."""
    from tests.operator.harness import cluster, eventually, fake_settings, operator
    from tests.operator.test_lifecycle import STACK, condition_is, minimal_spec

    backend = FakeBackend(hang_timeout=5.0)
    backend.host = "modelmonitor-operator-5d8f7c9b-old"
    backend.script(STACK, "up", "hang")
    settings = fake_settings(update_timeout_seconds=3600.0, cancel_grace_seconds=0.5)
    async with cluster(tmp_path, monkeypatch) as c:
        async with operator(backend, settings):
            await c.create("churn", minimal_spec())
            await eventually(backend.hanging.is_set)
        backend.release.set()  # the old pod's CLI is gone; its lock stays
        await eventually(lambda: backend.stacks[STACK].lock_started is not None and backend.count("up") == 1)
        async with operator(backend, settings):
            await eventually(lambda: condition_is(c, "Ready", "True"), timeout=15)
        assert backend.cancels == [STACK]
