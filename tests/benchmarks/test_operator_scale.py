"""benchmarks/operator_scale.py runs end to end at a small count: every resource Ready through the real operator,
one `up` each, and a restart's resync makes no driver call. (Its spec had gone stale — no capture destination —
and every resource stalled as InvalidSpec until the 600 s timeout.)"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("operator_scale", REPO / "benchmarks" / "operator_scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["operator_scale"] = module
    spec.loader.exec_module(module)
    return module


def test_small_run_ends_ready_and_resyncs_without_driver_calls() -> None:
    bench = _load()
    result = asyncio.run(bench.run(count=8, max_concurrent=2, timeout=60.0))
    assert result["pulumi_ups"] == 8
    assert result["noop_resync_decisions"] == 8 and result["noop_resync_driver_calls"] == 0
    assert result["stack_resources"] == result["stack_resource_creations"] > 0


def test_its_spec_is_valid() -> None:
    from modelmonitor.loader import parse_document

    parse_document({"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                    "metadata": {"name": "m00000", "namespace": "ml"}, "spec": _load().SPEC})
