"""A fake Pulumi backend for tests and benchmarks (`--driver fake`): no CLI, no AWS.

`FakeWorkspace` plugs into the real `AutomationDriver`, so the driver's error mapping and stale-lock recovery run
unchanged. The backend keeps stacks (resources keyed by URN, so a repeated `up` never duplicates anything), locks
and a log of calls; it can be told per stack and operation to succeed, fail (validation), error (network), raise a
concurrent-update conflict, hang (holding the lock, like a process killed mid-update), or apply every resource and
then die before returning (like a pod killed after `up` created resources but before its status write).
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pulumi.automation import CommandError, CommandResult, ConcurrentUpdateError
from pulumi.automation.errors import create_command_error

from modelmonitor.operator.stacks import Outcome, StackHandle, StackRequest, UpdateInfo
from modelmonitor.spec import ModelMonitorDocument

Behaviour = Literal["succeed", "fail", "error", "concurrent", "hang", "die_after_apply", "denied", "assume_role",
                    "program_network", "bucket_not_empty"]
Operation = Literal["up", "destroy", "refresh", "refresh_state"]
FAKE_BUCKET = "modelmonitor-fake-artifacts"


@dataclass
class FakeStack:
    resources: dict[str, str] = field(default_factory=dict)
    """URN -> resource type."""
    lock_started: datetime | None = None
    lock_holder: str = ""
    updates: int = 0
    creations: int = 0
    """Resource creations over the stack's life: equals len(resources) unless something was duplicated."""
    known_drift: int = 0
    """Out-of-band changes a `refresh` wrote into the state: the next `up` reverts them (and only then)."""


class FakeBackend:
    """Shared, thread-safe state that outlives operator restarts (like a real state backend)."""

    def __init__(self, hang_timeout: float = 10.0) -> None:
        self._lock = threading.Lock()
        self.stacks: dict[str, FakeStack] = {}
        self.calls: list[tuple[str, str]] = []
        self.cancels: list[str] = []
        self.retained: dict[str, dict[str, str]] = {}
        self.drift: dict[str, int] = {}
        self.defaults: dict[str, Behaviour] = {}
        self._scripts: dict[tuple[str, str], deque[Behaviour]] = {}
        self.release = threading.Event()
        self.hanging = threading.Event()
        self.hang_timeout = hang_timeout
        self.host = socket.gethostname()
        """The host that hanging operations write into their lock (a pod's name; a test sets an old pod's)."""

    def script(self, stack: str, operation: Operation, *behaviours: Behaviour) -> None:
        """The next calls of `operation` on `stack` behave as listed, then as the default."""
        with self._lock:
            self._scripts.setdefault((stack, operation), deque()).extend(behaviours)

    def count(self, operation: str, stack: str | None = None) -> int:
        with self._lock:
            return sum(1 for op, name in self.calls if op == operation and stack in (None, name))

    def _next(self, stack: str, operation: str) -> Behaviour:
        with self._lock:
            self.calls.append((operation, stack))
            queue = self._scripts.get((stack, operation))
            if queue:
                return queue.popleft()
            return self.defaults.get(operation, "succeed")


@dataclass(frozen=True)
class FakeWorkspace:
    backend: FakeBackend
    requires_cli: bool = False

    def open(self, request: StackRequest, *, create: bool) -> StackHandle | None:
        if not _PULUMI_STACK_NAME.fullmatch(request.stack_name) or len(request.stack_name) > 100:
            # The CLI's own refusal (pulumi/pulumi pkg/backend/diy/store.go, ParseReference).
            raise CommandError(CommandResult("", "error: stack names are limited to 100 characters and may only "
                                                 f"contain alphanumeric, hyphens, underscores, or periods: "
                                                 f"{request.stack_name!r}", 255))
        with self.backend._lock:
            if request.stack_name not in self.backend.stacks:
                if not create:
                    return None
                self.backend.stacks[request.stack_name] = FakeStack()
        return _FakeHandle(self.backend, request)


class _FakeHandle:
    def __init__(self, backend: FakeBackend, request: StackRequest) -> None:
        self._backend = backend
        self._request = request
        self._name = request.stack_name

    @property
    def _stack(self) -> FakeStack:
        return self._backend.stacks[self._name]

    def up(self) -> Outcome:
        behaviour = self._start("up")
        if behaviour == "hang":
            self._hang()
        stack = self._stack
        planned = planned_resources(self._name, self._request.document)
        with self._backend._lock:
            for urn, type_ in planned.items():
                if urn not in stack.resources:
                    stack.creations += 1
                stack.resources[urn] = type_
            for urn in set(stack.resources) - set(planned):
                del stack.resources[urn]
            stack.updates += 1
            stack.lock_started = None
            if stack.known_drift:  # the state knows what AWS has: the up reverts it to the program
                self._backend.drift[self._name] = 0
                stack.known_drift = 0
        if behaviour == "die_after_apply":
            self._hang()
        return Outcome(update_id=str(stack.updates), outputs=fake_outputs(self._request.document),
                       summary=f"{len(planned)} resources up to date")

    def destroy(self) -> Outcome:
        self._start("destroy")
        with self._backend._lock:
            count = len(self._stack.resources)
            self._stack.resources.clear()
            self._stack.updates += 1
        return Outcome(update_id=str(self._stack.updates), summary=f"{count} deleted")

    def preview_refresh(self) -> Outcome:
        if self._start("refresh") == "hang":  # a slow refresh; it takes no lock
            self._backend.hanging.set()
            self._backend.release.wait(self._backend.hang_timeout)
        changes = self._backend.drift.get(self._name, 0)
        return Outcome(summary=f"{changes} update" if changes else "no changes", changes=changes)

    def refresh(self) -> Outcome:
        self._start("refresh_state")
        with self._backend._lock:
            self._stack.known_drift = self._backend.drift.get(self._name, 0)
        return Outcome(summary=f"{self._stack.known_drift} update")

    def cancel(self) -> None:
        with self._backend._lock:
            self._stack.lock_started = None
            self._backend.cancels.append(self._name)

    def latest_update(self) -> UpdateInfo | None:
        return None  # like a DIY backend: the lock's time is in the conflict message

    def remove(self) -> None:
        with self._backend._lock:
            self._backend.calls.append(("remove", self._name))
            stack = self._backend.stacks.pop(self._name, None)
            if stack is not None and stack.resources:  # forgotten, not destroyed: they live on in "AWS"
                self._backend.retained[self._name] = dict(stack.resources)

    def rename(self, new_name: str) -> None:
        with self._backend._lock:
            self._backend.calls.append(("rename", self._name))
            stack = self._backend.stacks.pop(self._name)
            # `pulumi stack rename` rewrites the stack part of every URN in the state.
            old_prefix, new_prefix = f"urn:pulumi:{self._name}::", f"urn:pulumi:{new_name}::"
            stack.resources = {new_prefix + urn.removeprefix(old_prefix): t for urn, t in stack.resources.items()}
            self._backend.stacks[new_name] = stack
        self._name = new_name

    def _start(self, operation: Operation) -> Behaviour:
        behaviour = self._backend._next(self._name, operation)
        stack = self._stack
        if stack.lock_started is not None:
            raise _conflict(stack.lock_started, stack.lock_holder)
        if behaviour == "concurrent":
            raise _conflict(datetime.now(UTC))
        if behaviour == "fail":
            raise CommandError(CommandResult("", "error: ValidationException: 1 validation error detected: "
                                                 "Value 'ml.bogus' at 'instanceType' failed to satisfy constraint", 1))
        if behaviour == "error":
            raise CommandError(CommandResult("", "error: dial tcp 52.94.0.1:443: i/o timeout", 1))
        if behaviour in PULUMI_FAILURES:
            stdout, stderr = PULUMI_FAILURES[behaviour]
            # The SDK's own mapping from CLI output to its exception classes, as the real workspace gets it.
            raise create_command_error(CommandResult(stdout, stderr, 255))
        if behaviour == "hang" and operation != "refresh":
            stack.lock_started = datetime.now(UTC)
            # The CLI writes who holds the lock: user@host (pid) — the host a pod's name.
            stack.lock_holder = f"{getpass.getuser()}@{self._backend.host} (pid {os.getpid()})"
        return behaviour

    def _hang(self) -> None:
        """Hold the lock until released, then die without clearing it (as a killed CLI would)."""
        self._backend.hanging.set()
        self._backend.release.wait(self._backend.hang_timeout)
        raise CommandError(CommandResult("", "error: update interrupted (signal: killed)", -9))


# What the CLI prints for failures the operator must tell apart. The AWS texts follow the provider's SDK-v2 form
# ("operation error <Service>: <Op>, https response error StatusCode: ..., api error <Code>: <message>"); the
# messages are AWS's own: SageMaker's "Could not assume role ... Please ensure that the role exists and allows
# principal 'sagemaker.amazonaws.com' to assume the role." (awslabs/predictive-maintenance-using-machine-learning#3,
# IAM's eventual consistency: pulumi/pulumi-aws#2411), S3's "BucketNotEmpty: The bucket you tried to delete is not
# empty" (awslabs/benchmark-ai#625), botocore's EndpointConnectionError text inside a Python program.
_DIAGNOSTICS = ("Diagnostics:\n  pulumi:pulumi:Stack (modelmonitor-{0}):\n    error: update failed\n\n"
                "  {1}:\n    error: {2}\n")
PULUMI_FAILURES: dict[str, tuple[str, str]] = {
    "denied": (_DIAGNOSTICS.format(
        "x", "aws:sagemaker:DataQualityJobDefinition (churn-dq)",
        "1 error occurred:\n\t* creating SageMaker AI Data Quality Job Definition (churn-dq): operation error "
        "SageMaker: CreateDataQualityJobDefinition, https response error StatusCode: 400, RequestID: "
        "3b7c6f5e-0d6e-4c1b-9d1e-6a1f0c2b7e11, api error AccessDeniedException: User: arn:aws:sts::123456789012:"
        "assumed-role/modelmonitor-operator/botocore-session-1 is not authorized to perform: "
        "sagemaker:CreateDataQualityJobDefinition because no identity-based policy allows the "
        "sagemaker:CreateDataQualityJobDefinition action"), "error: update failed"),
    "assume_role": (_DIAGNOSTICS.format(
        "x", "aws:sagemaker:MonitoringSchedule (churn-dq)",
        "1 error occurred:\n\t* creating SageMaker AI Monitoring Schedule (churn-dq): operation error SageMaker: "
        "CreateMonitoringSchedule, https response error StatusCode: 400, RequestID: "
        "7d0c1e2f-5a4b-4c3d-8e9f-0a1b2c3d4e5f, api error ValidationException: Could not assume role "
        "arn:aws:iam::123456789012:role/modelmonitor-ml-churn-monitoring. Please ensure that the role exists and "
        "allows principal 'sagemaker.amazonaws.com' to assume the role."), "error: update failed"),
    "program_network": (
        "error: an unhandled error occurred: python inline source runtime error: Could not connect to the endpoint "
        "URL: \"https://sts.us-east-1.amazonaws.com/\"\n", "error: an unhandled error occurred: Program exited "
        "with non-zero exit code: 1"),
    "bucket_not_empty": (_DIAGNOSTICS.format(
        "x", "aws:s3:Bucket (ml-churn-artifacts)",
        "deleting urn:pulumi:x::modelmonitor::aws:s3/bucket:Bucket::ml-churn-artifacts: 1 error occurred:\n\t* "
        "deleting S3 Bucket (modelmonitor-ml-churn-artifacts-3f2a): operation error S3: DeleteBucket, https "
        "response error StatusCode: 409, RequestID: F4DC72101BA1DD91, HostID: qTlljyVL05pfeD8d16XxYt, api error "
        "BucketNotEmpty: The bucket you tried to delete is not empty"), "error: destroy failed"),
}

_PULUMI_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _conflict(since: datetime, holder: str = "someone@elsewhere (pid 1)") -> ConcurrentUpdateError:
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ConcurrentUpdateError(CommandResult(
        "", "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
            f"delete the lock file with `pulumi cancel`.\n  file:///state/.pulumi/locks/x.json: created by "
            f"{holder} at {stamp}", 255))


def planned_resources(stack: str, document: ModelMonitorDocument | None) -> dict[str, str]:
    """What the program would declare, keyed by URN (deterministic, like Pulumi's)."""
    if document is None:
        return {}
    spec = document.spec
    types = ["aws:sagemaker/endpointConfiguration:EndpointConfiguration", "aws:iam/role:Role",
             "aws:sns/topic:Topic"]
    if spec.data_quality.enabled:
        types += ["aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
                  "aws:sagemaker/monitoringSchedule:MonitoringSchedule", "aws:cloudwatch/metricAlarm:MetricAlarm"]
    if spec.model_quality.enabled:
        types += ["aws-native:sagemaker:ModelQualityJobDefinition"]
    return {f"urn:pulumi:{stack}::modelmonitor::{t}::monitor-{i}": t for i, t in enumerate(types)}


def fake_outputs(document: ModelMonitorDocument | None) -> dict[str, tuple[object, bool]]:
    if document is None:
        return {}
    ns, name = document.key
    outputs: dict[str, tuple[object, bool]] = {
        "endpointName": (document.endpoint_name, False),
        "dataQualityResultsS3Uri": (f"s3://{FAKE_BUCKET}/results/{ns}/{name}/data-quality", False),
    }
    if document.spec.alerting.slack_webhook_secret:
        outputs["slackWebhookUrl"] = ("https://hooks.example.invalid/T000/B000/XXXX", True)
    return outputs
