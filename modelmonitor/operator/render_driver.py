"""The `render` driver: plans each monitor under Pulumi mocks (`components.render.render_plan`) instead of touching
AWS; `up` reports the planned outputs."""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelmonitor.operator.stacks import OperationResult, PermanentDriverError, StackTarget


@dataclass
class RenderDriver:
    """Plans the monitor under Pulumi mocks instead of touching AWS; `up` reports the planned outputs.

    `render_plan` runs each program in a fresh thread and event loop behind a module lock, so a worker thread
    (not a process) is enough here.
    """

    program_settings: Mapping[str, str] = field(default_factory=dict)
    isolation: Literal["thread", "process"] = "thread"

    def up(self, target: StackTarget) -> OperationResult:
        if target.document is None:
            raise PermanentDriverError("render needs a valid spec")
        try:
            render = importlib.import_module("modelmonitor.components.render")
            program = importlib.import_module("modelmonitor.components.program")
        except ImportError as exc:
            raise PermanentDriverError(f"the render driver needs modelmonitor.components.render ({exc})") from None
        plan: list[dict[str, Any]] = render.render_plan(
            [target.document], region=target.region, settings=program.ProgramSettings(**self.program_settings))
        return OperationResult("up", update_id=f"render-{int(time.time())}",
                               outputs=plan_outputs(plan, target.document.endpoint_name),
                               summary=f"rendered {len(plan)} resources (mocks; nothing created in AWS)")

    def destroy(self, target: StackTarget) -> OperationResult:
        return OperationResult("destroy", summary="render: nothing was created, nothing to destroy")

    def forget(self, target: StackTarget) -> OperationResult:
        return OperationResult("forget", summary="render: nothing to forget")

    def detect_drift(self, target: StackTarget) -> OperationResult:
        return OperationResult("refresh", summary="render: no live resources to compare")

    def remediate(self, target: StackTarget) -> OperationResult:
        return OperationResult("up", summary="render: no live resources to revert")

    def cancel(self, target: StackTarget) -> OperationResult:
        return OperationResult("up", summary="render: nothing runs long enough to cancel")


# Model Monitor's schedules (engine modelMonitor) and EventBridge Scheduler's (engines lambda, processingJob).
SCHEDULE_TYPES = ("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "aws:scheduler/schedule:Schedule")


def plan_outputs(plan: list[dict[str, Any]], endpoint_name: str) -> dict[str, tuple[object, bool]]:
    """The outputs a real stack exports (endpointName, bucketName, alertTopicArn, scheduleArns), from the plan."""
    outputs: dict[str, tuple[object, bool]] = {"plannedResources": (str(len(plan)), False),
                                               "endpointName": (endpoint_name, False)}
    schedules: dict[str, str] = {}
    for resource in plan:
        values = resource.get("outputs") or {}
        if resource["type"] == "aws:s3/bucket:Bucket" and "bucket" in values:
            outputs.setdefault("bucketName", (values["bucket"], False))
        elif resource["type"] == "aws:sns/topic:Topic" and str(resource["name"]).endswith("-alerts"):
            outputs["alertTopicArn"] = (values.get("arn"), False)
        elif resource["type"] in SCHEDULE_TYPES:
            schedules[str(values.get("name"))] = str(values.get("arn"))
    if schedules:
        outputs["scheduleArns"] = (schedules, False)
    return outputs
