"""The real workspace's adapter over pulumi.automation.Stack, against a duck-typed stack (no CLI here)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pulumi.automation import OutputValue

from modelmonitor.components.program import ProgramSettings, monitor_program
from modelmonitor.operator import pulumi_workspace
from modelmonitor.operator.settings import OperatorSettings
from modelmonitor.operator.stacks import AutomationDriver, StackTarget
from tests.operator.test_automation_driver import DOC


@dataclass
class Summary:
    version: int | None
    resource_changes: dict[str, int] | None
    kind: str = "update"
    result: str = "succeeded"
    start_time: datetime = datetime(2026, 11, 25, 4, tzinfo=UTC)


@dataclass
class Result:
    summary: Any = None
    outputs: dict[str, OutputValue] = field(default_factory=dict)
    change_summary: dict[str, int] | None = None


class Workspace:
    def __init__(self) -> None:
        self.removed: list[tuple[str, bool]] = []

    def remove_stack(self, name: str, force: bool = False) -> None:
        self.removed.append((name, force))


class FakeStack:
    name = "ml-churn"

    def __init__(self) -> None:
        self.workspace = Workspace()

    def up(self, on_output: Any = None) -> Result:
        return Result(Summary(7, {"create": 3, "same": 2}),
                      {"endpointName": OutputValue("churn-prod", False), "token": OutputValue("s3cr3t", True)})

    def destroy(self, on_output: Any = None) -> Result:
        return Result(Summary(8, {"delete": 5}))

    def preview_refresh(self, on_output: Any = None) -> Result:
        return Result(change_summary={"same": 10, "update": 2, "delete": 1})

    def info(self, show_secrets: bool = True) -> Summary:
        return Summary(8, None, result="in-progress")


def test_adapter_maps_results() -> None:
    stack = pulumi_workspace._PulumiStack(FakeStack())
    up = stack.up()
    assert (up.update_id, up.summary) == ("7", "3 create, 2 same")
    assert up.outputs == {"endpointName": ("churn-prod", False), "token": ("s3cr3t", True)}
    assert stack.destroy().update_id == "8"
    drift = stack.preview_refresh()
    assert (drift.changes, drift.summary) == (3, "1 delete, 2 update")
    latest = stack.latest_update()
    assert latest is not None and latest.result == "in-progress"
    stack.remove()
    assert stack._stack.workspace.removed == [("ml-churn", True)]


def test_inline_program_is_the_components_monitor_program_with_operator_settings() -> None:
    settings = OperatorSettings(artifact_bucket="shared-artifacts", kms_key_arn="arn:aws:kms:us-east-1:1:key/x")
    request = AutomationDriver(settings, pulumi_workspace.PulumiWorkspace()).request(
        StackTarget("ml", "churn", "us-east-1", DOC))
    program = pulumi_workspace._program(request)
    assert isinstance(program, functools.partial) and program.func is monitor_program
    assert program.args == (DOC, ProgramSettings(existing_bucket_name="shared-artifacts",
                                                 kms_key_arn="arn:aws:kms:us-east-1:1:key/x"))
    without_document = AutomationDriver(settings, pulumi_workspace.PulumiWorkspace()).request(
        StackTarget("ml", "churn", "us-east-1", None))
    assert pulumi_workspace._program(without_document) is pulumi_workspace._empty_program
