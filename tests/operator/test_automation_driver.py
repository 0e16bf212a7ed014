"""AutomationDriver logic against a fake Workspace (the pulumi CLI is absent here): naming, config, env, error
mapping, stale-lock recovery and the missing-CLI message."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pulumi.automation import (
    CommandError,
    CommandResult,
    CompilationError,
    ConcurrentUpdateError,
    InlineSourceRuntimeError,
    StackNotFoundError,
)

from modelmonitor.loader import parse_document
from modelmonitor.operator import stacks
from modelmonitor.operator.fakes import FakeBackend, FakeWorkspace
from modelmonitor.operator.pulumi_workspace import PulumiWorkspace
from modelmonitor.operator.settings import OperatorSettings
from modelmonitor.operator.stacks import (
    CLI_MISSING,
    AutomationDriver,
    Outcome,
    PermanentDriverError,
    StackRequest,
    StackTarget,
    TemporaryDriverError,
    UpdateInfo,
)

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
DOC = parse_document({"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                      "metadata": {"name": "churn", "namespace": "ml"},
                      "spec": {"region": "eu-west-1", "endpoint": {"existing": {"name": "churn-prod"}},
                               "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
                               "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/s.json",
                                                            "constraintsS3Uri": "s3://acme-baselines/c.json"}}}})
TARGET = StackTarget("ml", "churn", "eu-west-1", DOC)


def error(kind: type[CommandError], stderr: str, stdout: str = "") -> CommandError:
    return kind(CommandResult(stdout, stderr, 255))


@dataclass
class ScriptedHandle:
    """Raises the scripted errors in turn, then succeeds."""

    errors: list[Exception] = field(default_factory=list)
    latest: UpdateInfo | None = None
    calls: list[str] = field(default_factory=list)

    def _step(self, name: str) -> Outcome:
        self.calls.append(name)
        if self.errors:
            raise self.errors.pop(0)
        return Outcome(update_id="12", outputs={"endpointName": ("churn-prod", False)}, summary="1 create")

    def up(self) -> Outcome:
        return self._step("up")

    def destroy(self) -> Outcome:
        return self._step("destroy")

    def preview_refresh(self) -> Outcome:
        self.calls.append("preview_refresh")
        return Outcome(summary="2 update", changes=2)

    def cancel(self) -> None:
        self.calls.append("cancel")

    def latest_update(self) -> UpdateInfo | None:
        return self.latest

    def remove(self) -> None:
        self.calls.append("remove")


@dataclass
class ScriptedWorkspace:
    handle: ScriptedHandle | None
    requires_cli: bool = False
    requests: list[tuple[StackRequest, bool]] = field(default_factory=list)

    def open(self, request: StackRequest, *, create: bool) -> ScriptedHandle | None:
        self.requests.append((request, create))
        return self.handle


def driver(workspace: ScriptedWorkspace, **settings: object) -> AutomationDriver:
    base = OperatorSettings(state_dir=Path("/state"), backend_url="s3://state-bucket?region=eu-west-1",
                            secrets_provider="awskms://alias/mm", passphrase_file="/var/run/pulumi/passphrase",
                            stack_config={"aws:skipMetadataApiCheck": "false"}, artifact_bucket="shared-artifacts",
                            update_timeout_seconds=600.0)
    return AutomationDriver(base.replace(**settings), workspace, isolation="thread", clock=lambda: NOW)


def test_one_stack_per_resource_with_config_env_and_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "hunter2")
    workspace = ScriptedWorkspace(ScriptedHandle())
    result = driver(workspace).up(TARGET)
    ((request, create),) = workspace.requests
    assert create is True
    assert request.stack_name == "ml_churn" and request.project_name == "modelmonitor"
    assert request.config == {"aws:region": "eu-west-1", "aws:skipMetadataApiCheck": "false"}
    assert request.work_dir == "/state/ml_churn/work" and request.pulumi_home == "/state/ml_churn/home"
    assert request.env["PULUMI_BACKEND_URL"] == "s3://state-bucket?region=eu-west-1"
    assert request.env["PULUMI_CONFIG_PASSPHRASE_FILE"] == "/var/run/pulumi/passphrase"
    assert request.secrets_provider == "awskms://alias/mm"
    assert request.program_settings == {"existing_bucket_name": "shared-artifacts"}
    assert "hunter2" not in repr(request)  # the passphrase itself is only ever inherited by the CLI
    assert (result.type, result.update_id, result.summary) == ("up", "12", "1 create")
    assert result.outputs == {"endpointName": ("churn-prod", False)}


@pytest.mark.parametrize(("raised", "kind", "text"), [
    (error(CommandError, "error: dial tcp 52.94.0.1:443: i/o timeout"), TemporaryDriverError, "i/o timeout"),
    (error(CommandError, "error: ThrottlingException: Rate exceeded"), TemporaryDriverError, "Rate exceeded"),
    (error(CommandError, "error: creating SageMaker Monitoring Schedule: ValidationException: bad cron"),
     PermanentDriverError, "AWS rejected the request"),
    (error(CommandError, "error: AccessDenied: not authorized to perform sagemaker:CreateModel"),
     PermanentDriverError, "AccessDenied"),
    (error(InlineSourceRuntimeError, "", "python inline source runtime error: KeyError"), PermanentDriverError,
     "the Pulumi program failed"),
    (error(CompilationError, "", "Build FAILED."), PermanentDriverError, "the Pulumi program failed"),
])
def test_error_mapping(raised: Exception, kind: type[Exception], text: str) -> None:
    with pytest.raises(kind, match=text):
        driver(ScriptedWorkspace(ScriptedHandle([raised]))).up(TARGET)


def test_live_lock_is_temporary_and_never_cancelled() -> None:
    started = (NOW - timedelta(seconds=60)).replace(tzinfo=None)  # the CLI's history times are naive UTC
    handle = ScriptedHandle([error(ConcurrentUpdateError, "[409] Conflict: Another update is currently in progress.")],
                            latest=UpdateInfo("update", "in-progress", started))
    with pytest.raises(TemporaryDriverError, match="locked by another update"):
        driver(ScriptedWorkspace(handle)).up(TARGET)
    assert "cancel" not in handle.calls


def test_stale_lock_from_history_is_cancelled_once_then_retried() -> None:
    conflict = "[409] Conflict: Another update is currently in progress."
    handle = ScriptedHandle([error(ConcurrentUpdateError, conflict)],
                            latest=UpdateInfo("update", "in-progress", NOW - timedelta(seconds=601)))
    result = driver(ScriptedWorkspace(handle)).up(TARGET)
    assert handle.calls == ["up", "cancel", "up"] and result.update_id == "12"


def test_stale_diy_lock_time_is_read_from_the_message() -> None:
    message = ("error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
               "delete the lock file with `pulumi cancel`.\n  s3://state/.pulumi/locks/org/p/s/1.json: created by "
               "op@pod (pid 7) at 2026-11-25T03:49:59Z")
    handle = ScriptedHandle([error(ConcurrentUpdateError, message)])
    driver(ScriptedWorkspace(handle)).up(TARGET)  # locked 10m01s ago, timeout 10m
    assert handle.calls == ["up", "cancel", "up"]


def test_a_lock_that_survives_its_cancel_is_not_cancelled_twice() -> None:
    old = "created by op@pod (pid 7) at 2026-11-25T01:00:00Z"
    handle = ScriptedHandle([error(ConcurrentUpdateError, f"the stack is currently locked by 1 lock(s). {old}")] * 3)
    with pytest.raises(TemporaryDriverError, match="a stale lock was already cancelled once"):
        driver(ScriptedWorkspace(handle)).up(TARGET)
    assert handle.calls.count("cancel") == 1


def test_destroy_then_remove_and_missing_stacks_are_done() -> None:
    handle = ScriptedHandle()
    assert driver(ScriptedWorkspace(handle)).destroy(TARGET).type == "destroy"
    assert handle.calls == ["destroy", "remove"]
    assert driver(ScriptedWorkspace(None)).destroy(TARGET).summary == "no stack: nothing to do"
    gone = ScriptedHandle([error(StackNotFoundError, "no stack named 'ml-churn' found")])
    assert driver(ScriptedWorkspace(gone)).destroy(TARGET).summary == "no stack: nothing to do"


def test_forget_removes_the_stack_without_destroying() -> None:
    handle = ScriptedHandle()
    result = driver(ScriptedWorkspace(handle)).forget(StackTarget("ml", "churn", None, None))
    assert handle.calls == ["remove"] and "AWS resources kept" in result.summary


def test_detect_drift_counts_changes() -> None:
    assert driver(ScriptedWorkspace(ScriptedHandle())).detect_drift(TARGET).changes == 2


def test_missing_cli_is_a_permanent_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    automation = AutomationDriver(OperatorSettings(state_dir=tmp_path), PulumiWorkspace())
    with pytest.raises(PermanentDriverError) as raised:
        automation.up(TARGET)
    assert str(raised.value) == CLI_MISSING == "pulumi CLI not found on PATH; install it or use --driver render"


def test_driver_and_errors_cross_process_boundaries() -> None:
    automation = AutomationDriver(OperatorSettings(), PulumiWorkspace())
    assert pickle.loads(pickle.dumps(automation)).settings == automation.settings
    copy = pickle.loads(pickle.dumps(TemporaryDriverError("locked", delay=3.0)))
    assert (type(copy), copy.message, copy.delay) == (TemporaryDriverError, "locked", 3.0)


def test_fake_workspace_plugs_into_the_driver() -> None:
    backend = FakeBackend()
    fake = AutomationDriver(OperatorSettings(), FakeWorkspace(backend), isolation="thread")
    fake.up(TARGET)
    fake.up(TARGET)
    stack = backend.stacks["ml_churn"]
    assert len(stack.resources) == stack.creations == 6 and stack.updates == 2


def test_prepare_dirs_links_preinstalled_plugins(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    request = driver(ScriptedWorkspace(None), state_dir=tmp_path / "state").request(TARGET)
    stacks.prepare_dirs(request, plugins)
    stacks.prepare_dirs(request, plugins)  # idempotent
    assert (Path(request.pulumi_home) / "plugins").resolve() == plugins
    assert Path(request.work_dir).is_dir()


