"""The executions rule routes Model Monitor executions only, not every processing job of the account (issue: every
training/processing job invoked the alert Lambda). Patterns are evaluated by moto's EventBridge matcher (the one
its PutEvents routing uses; moto's TestEventPattern is not implemented), on events shaped as AWS documents the
"SageMaker Processing Job State Change" event
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html; the detail carries
DescribeProcessingJob's fields) — tests/alerts/events/eventbridge_processing_job_*.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from modelmonitor.components.names import MonitorNames
from tests.components.conftest import of_type, plan_of

EVENTS = Path(__file__).parents[1] / "alerts" / "events"


def _event(name: str, **detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event = copy.deepcopy(event)
    event["detail"].update(detail)
    return event


def _rules() -> dict[str, EventPattern]:
    return {r["name"]: EventPattern.load(r["inputs"]["eventPattern"])
            for r in of_type(plan_of("full.yaml"), "cloudwatch/eventRule:EventRule")}


def _routed(event: dict[str, Any]) -> bool:
    return any(pattern.matches_event(event) for pattern in _rules().values())


@pytest.mark.parametrize("fixture", ["eventbridge_processing_job_completed.json",
                                     "eventbridge_processing_job_failed.json"])
def test_model_monitor_executions_are_routed(fixture: str) -> None:
    assert _routed(_event(fixture))


@pytest.mark.parametrize("job_name", [
    "sagemaker-scikit-learn-2026-11-24-10-02-11-123",  # a SageMaker SDK processor job
    "pipelines-x1y2z3-preprocess-AbCdEf",  # a SageMaker Pipelines step
    f"{MonitorNames('lending', 'credit-default').base}-dq-7-a1",  # our processingJob engine: its run event reports
    "my-model-monitoring-job",  # "model-monitoring" not at the start
])
def test_other_processing_jobs_are_not_routed(job_name: str) -> None:
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{job_name}"
    for fixture in ("eventbridge_processing_job_completed.json", "eventbridge_processing_job_failed.json"):
        event = _event(fixture, ProcessingJobName=job_name, ProcessingJobArn=arn)
        event["resources"] = [arn]
        assert not _routed(event)


def test_in_progress_executions_are_not_routed() -> None:
    assert not _routed(_event("eventbridge_processing_job_completed.json", ProcessingJobStatus="InProgress"))


def test_run_events_are_routed() -> None:
    assert _routed(json.loads((EVENTS / "eventbridge_run_violations.json").read_text()))
