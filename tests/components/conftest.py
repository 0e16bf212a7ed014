"""Pulumi mock tests share process-wide runtime state with every other test in the session.

An async test that ran earlier leaves its (closed) event loop set on the main thread, and a Pulumi mock test that
then awaits on it fails with "attached to a different loop". Every test here gets a fresh event loop and fresh
Pulumi settings, and the previous loop is restored afterwards. `render_plan` itself runs in its own thread and
loop, so tests that go through it are immune either way.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from pathlib import Path

import pulumi.runtime.settings
import pytest

from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.loader import load_monitors
from modelmonitor.spec import ModelMonitorDocument

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(REPO.glob("examples/*.yaml"))


@pytest.fixture(autouse=True)
def fresh_pulumi_loop() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            previous: asyncio.AbstractEventLoop | None = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            previous = None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.reset_options()
    try:
        yield
    finally:
        asyncio.set_event_loop(previous)
        loop.close()
        pulumi.runtime.settings.reset_options()


def example(name: str) -> ModelMonitorDocument:
    (loaded,) = load_monitors(REPO / "examples" / name)
    return loaded.document


def on_engine(document: ModelMonitorDocument, engine: str) -> ModelMonitorDocument:
    """The same monitor on another engine (the spec's own validator runs again)."""
    return ModelMonitorDocument.model_validate(
        {**document.model_dump(by_alias=True), "spec": {**document.spec.model_dump(by_alias=True), "engine": engine}})


MODEL_MONITOR_EXAMPLES = [p for p in EXAMPLES if example(p.name).spec.engine == "modelMonitor"]
OUR_ENGINE_EXAMPLES = [p for p in EXAMPLES if example(p.name).spec.engine != "modelMonitor"]


_PLANS: dict[tuple[str, str | None], list[PlannedResource]] = {}


def plan_of(name: str, region: str | None = None) -> list[PlannedResource]:
    """Rendered once per session per (example, region): rendering is deterministic and takes ~0.5 s."""
    key = (name, region)
    if key not in _PLANS:
        _PLANS[key] = render_plan([example(name)], region=region)
    return _PLANS[key]


def of_type(plan: list[PlannedResource], suffix: str) -> list[PlannedResource]:
    return [r for r in plan if r["type"].endswith(suffix)]


def one(plan: list[PlannedResource], suffix: str) -> PlannedResource:
    found = of_type(plan, suffix)
    assert len(found) == 1, f"expected one {suffix}, got {[r['name'] for r in found]}"
    return found[0]
