"""Dozens of resources at once through the real operator: every one ends Ready on its own stack, and no more than
`max_concurrent_updates` Pulumi operations ever run at the same time."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from modelmonitor.operator import stacks
from modelmonitor.operator.fakes import FakeBackend, FakeWorkspace
from modelmonitor.operator.runner import OperationRunner
from tests.operator.harness import NAMESPACE, cluster, eventually, fake_settings, operator
from tests.operator.test_lifecycle import RESOURCES_OF_MINIMAL_SPEC, minimal_spec

pytestmark = pytest.mark.timeout(60)
MONITORS, BOUND = 36, 3


@dataclass
class CountingWorkspace:
    """The fake workspace, counting the operations inside the backend at once (each opens its stack first)."""

    inner: FakeWorkspace
    requires_cli: bool = False
    running: int = 0
    peak: int = 0
    guard: threading.Lock = field(default_factory=threading.Lock)

    def open(self, request: stacks.StackRequest, *, create: bool) -> stacks.StackHandle | None:
        with self.guard:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.02)  # an operation takes a little while, so they overlap
            return self.inner.open(request, create=create)
        finally:
            with self.guard:
                self.running -= 1


async def test_dozens_of_monitors_all_ready_within_the_concurrency_bound(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from modelmonitor.operator import flows

    backend = FakeBackend()
    workspace = CountingWorkspace(FakeWorkspace(backend))
    settings = fake_settings(max_concurrent_updates=BOUND)
    runtime = flows.build_runtime(settings, fake_backend=backend)
    runtime.runner = OperationRunner(stacks.AutomationDriver(settings, workspace, isolation="thread"), BOUND)
    names = [f"m{i:02d}" for i in range(MONITORS)]
    async with cluster(tmp_path, monkeypatch) as c, operator(runtime=runtime):
        await asyncio.gather(*(c.create(name, minimal_spec()) for name in names))
        await eventually(lambda: all((c.condition(n, "Ready") or {}).get("status") == "True" for n in names),
                         timeout=45)
    assert workspace.peak == BOUND
    assert {stacks.stack_name(NAMESPACE, n) for n in names} == set(backend.stacks)
    assert all(len(s.resources) == s.creations == RESOURCES_OF_MINIMAL_SPEC for s in backend.stacks.values())
