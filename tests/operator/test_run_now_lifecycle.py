"""The real kopf operator against the kmock emulator (fake driver): the run-now annotation is recorded as handled
and skipped without AWS, a bad window is refused once, and neither disturbs the stack's reconcile."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.components.engine_names import MonitoringType
from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.run_now import Verdict, Window
from modelmonitor.spec import ModelMonitorDocument
from tests.operator.harness import cluster, eventually, operator

pytestmark = pytest.mark.timeout(30)
ANNOTATION = "modelmonitor.io/run-now"
SPEC = {"region": "us-east-1", "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/churn/statistics.json",
                                     "constraintsS3Uri": "s3://acme-baselines/churn/constraints.json"}}}


def no_aws(document: ModelMonitorDocument, window: Window, monitoring_type: MonitoringType,
           at: datetime) -> Verdict:
    raise AssertionError("the fake driver must not start a run-now")


async def test_run_now_annotation_is_skipped_without_aws_and_recorded(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend) as runtime:
        runtime.start_run_now = no_aws

        def status() -> dict[str, Any]:
            return dict((c.obj("churn") or {}).get("status") or {})

        def count(reason: str) -> int:
            return sum(1 for _, r in c.events("churn") if r == reason)

        await c.create("churn", SPEC, annotations={ANNOTATION: "2026-11-25T04:00:00Z"})
        await eventually(lambda: status().get("lastHandledRunNow") == "2026-11-25T04:00:00Z")
        await eventually(lambda: status().get("lastAppliedHash"))
        assert backend.count("up", "ml_churn") == 1  # the normal reconcile ran alongside
        await eventually(lambda: count("RunNowSkipped") == 1)

        bad = "2026-11-24T09:00:00Z/2026-11-24T08:00:00Z"
        await c.patch("churn", {"metadata": {"annotations": {ANNOTATION: bad}}})
        await eventually(lambda: status().get("lastHandledRunNow") == bad)
        last = status()["lastOperation"]
        assert (last["type"], last["result"]) == ("run-now", "Failed")
        assert last["message"] == (f"modelmonitor.io/run-now '{bad}': window end 2026-11-24T08:00:00Z is not after "
                                   "its start 2026-11-24T09:00:00Z")
        await eventually(lambda: count("RunNowFailed") == 1)
        await asyncio.sleep(0.5)  # a retry loop would post more Events meanwhile
        assert count("RunNowFailed") == 1 and count("RunNowSkipped") == 1
        assert backend.count("up", "ml_churn") == 1  # annotations are not spec: no new Pulumi run


async def test_run_now_and_reconcile_fail_independently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend) as runtime:
        runtime.start_run_now = no_aws

        def status() -> dict[str, Any]:
            return dict((c.obj("churn") or {}).get("status") or {})

        invalid = {**SPEC, "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn", "samplingPercentage": 101}}
        await c.create("churn", invalid, annotations={ANNOTATION: "t1"})
        await eventually(lambda: status().get("lastHandledRunNow") == "t1")
        assert status()["lastOperation"]["message"] == (
            "modelmonitor.io/run-now 't1': the spec is invalid: "
            "spec.dataCapture.samplingPercentage: must be at most 100, got 101")
        await eventually(lambda: any(cond["type"] == "Stalled" and cond["status"] == "True"
                                     for cond in status().get("conditions", [])))
        # Fixing the spec reconciles as usual; the handled value does not run again.
        await c.patch("churn", {"spec": {"dataCapture": {"samplingPercentage": 50}}})
        await eventually(lambda: status().get("lastAppliedHash"))
        assert backend.count("up", "ml_churn") == 1
        assert sum(1 for _, r in c.events("churn") if r == "RunNowFailed") == 1
