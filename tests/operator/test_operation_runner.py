"""OperationRunner: a global bound on concurrent operations, and recovery when a worker process dies."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from typing import Literal

import pytest

from modelmonitor.operator.runner import OperationRunner
from modelmonitor.operator.stacks import OperationResult, StackTarget, TemporaryDriverError

TARGET = StackTarget("ml", "churn", "us-east-1")


@dataclass
class DyingDriver:
    """Its `up` kills the worker process like the OOM killer would; `forget` works."""

    isolation: Literal["thread", "process"] = "process"

    def up(self, target: StackTarget) -> OperationResult:
        os._exit(137)

    def destroy(self, target: StackTarget) -> OperationResult:
        return OperationResult("destroy")

    def forget(self, target: StackTarget) -> OperationResult:
        return OperationResult("forget", summary=f"pid {os.getpid()}")

    def detect_drift(self, target: StackTarget) -> OperationResult:
        return OperationResult("refresh")


class CountingDriver:
    isolation: Literal["thread", "process"] = "thread"

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def up(self, target: StackTarget) -> OperationResult:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1
        return OperationResult("up")

    destroy = forget = detect_drift = up


@pytest.mark.timeout(60)
async def test_a_dead_worker_is_a_temporary_error_and_the_pool_is_replaced() -> None:
    runner = OperationRunner(DyingDriver(), 1)
    try:
        with pytest.raises(TemporaryDriverError, match="the up worker process of stack ml_churn died"):
            await runner.run("up", TARGET)
        result = await runner.run("forget", TARGET)
        assert result.summary != f"pid {os.getpid()}"  # ran in a (new) worker process
    finally:
        runner.close()


async def test_concurrency_is_bounded_globally() -> None:
    driver = CountingDriver()
    runner = OperationRunner(driver, 3)
    try:
        await asyncio.gather(*(runner.run("up", StackTarget("ml", f"m{i}", None)) for i in range(12)))
    finally:
        runner.close()
    assert driver.peak == 3


async def test_operations_waiting_for_a_slot_at_shutdown_are_refused_cleanly() -> None:
    """Timers queue drift checks behind running operations; at shutdown they must get a temporary error, not
    'cannot schedule new futures after shutdown' from a pool that is already gone."""
    driver = CountingDriver()
    runner = OperationRunner(driver, 1)
    running = asyncio.create_task(runner.run("up", TARGET))
    queued = asyncio.create_task(runner.run("detect_drift", StackTarget("ml", "other", None)))
    await asyncio.sleep(0.01)
    runner.close()
    await running
    with pytest.raises(TemporaryDriverError, match="not started: the operator is stopping"):
        await queued
