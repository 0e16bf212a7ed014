"""What each handler does, without kopf: parse → decide → drive → build the status patch.

A flow returns a `Step`; the kopf handler writes `step.status` through the status subresource and turns
`retry_after` / `permanent` into kopf's TemporaryError / PermanentError. `emit` posts Kubernetes Events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from modelmonitor import run_now
from modelmonitor.components.engine_names import MonitoringType, needs_platform_image
from modelmonitor.errors import ManifestError
from modelmonitor.loader import parse_document
from modelmonitor.operator import executions, metrics, reconcile, runner, stacks, status
from modelmonitor.operator.settings import RECONCILE_REQUEST_ANNOTATION, RUN_NOW_ANNOTATION, OperatorSettings
from modelmonitor.operator.status import OperationRecord
from modelmonitor.spec import ModelMonitorDocument

logger = logging.getLogger(__name__)

Emit = Callable[[Literal["Normal", "Warning"], str, str], None]
RunNowExecutor = Callable[[ModelMonitorDocument, run_now.Window, MonitoringType, datetime], run_now.Verdict]
"""Starts one run-now (blocking; called in a worker thread) and returns its `Started` verdict."""


def aws_run_now(document: ModelMonitorDocument, window: run_now.Window, monitoring_type: MonitoringType,
                at: datetime) -> run_now.Verdict:
    """The real executor: start the run with boto3 and return without waiting for its verdict."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, region_name=document.spec.region)

    return run_now.execute(document, window, monitoring_type=monitoring_type, wait=False, timeout=0.0,
                           client=client, now=at)


@dataclass
class Runtime:
    settings: OperatorSettings
    runner: runner.OperationRunner
    reader: executions.ExecutionReader | None = None
    start_run_now: RunNowExecutor = aws_run_now
    busy: set[tuple[str, str]] = field(default_factory=set)
    """(namespace, name) of monitors with a create/update/delete operation in flight: the timer leaves them alone."""

    def close(self) -> None:
        self.runner.close()

    async def aclose(self) -> None:
        """Shutdown: no new operations, running CLIs interrupted and awaited within the grace period."""
        await self.runner.aclose()


@dataclass
class Step:
    status: dict[str, Any] = field(default_factory=dict)
    """JSON merge patch of .status."""
    retry_after: float | None = None
    permanent: str | None = None
    action: str = "skip"
    record: OperationRecord | None = None
    """The driven operation, when one ran."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Its stack outputs, secrets masked."""


@dataclass(frozen=True)
class Resource:
    """The parts of a custom resource body the flows read."""

    namespace: str
    name: str
    generation: int | None
    raw_spec: Mapping[str, Any]
    status: Mapping[str, Any]
    annotations: Mapping[str, str]
    deleting: bool

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Resource:
        meta = body.get("metadata") or {}
        generation = meta.get("generation")
        return cls(namespace=str(meta.get("namespace") or "default"), name=str(meta.get("name")),
                   generation=int(generation) if generation is not None else None,
                   raw_spec=body.get("spec") or {}, status=body.get("status") or {},
                   annotations=meta.get("annotations") or {}, deleting=bool(meta.get("deletionTimestamp")))

    @property
    def conditions(self) -> list[Mapping[str, Any]]:
        return list(self.status.get("conditions") or [])

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name


def stack_target(resource: Resource, document: ModelMonitorDocument | None, region: str | None) -> stacks.StackTarget:
    """The resource's stack: the name recorded in status wins (identities never move); else `stacks.stack_name`,
    renaming a legacy `<namespace>-<name>` stack first when status shows an older operator ran an operation."""
    recorded = resource.status.get("stackName")
    last_op = (resource.status.get("lastOperation") or {}).get("type")
    applied = resource.status.get("lastAppliedHash") is not None
    touched = applied or last_op in ("up", "destroy")
    return stacks.StackTarget(
        resource.namespace, resource.name, region, document,
        recorded_stack=recorded if isinstance(recorded, str) and recorded else None,
        migrate_from=stacks.legacy_stack_name(resource.namespace, resource.name) if touched and not recorded else None,
        must_exist=applied)


def build_runtime(settings: OperatorSettings, *, fake_backend: Any = None,
                  reader: executions.ExecutionReader | None = None) -> Runtime:
    """Wire the driver named in the settings; imports only what that driver needs."""
    driver: stacks.StackDriver
    if settings.driver == "fake":
        from modelmonitor.operator.fakes import FakeBackend, FakeWorkspace

        driver = stacks.AutomationDriver(settings, FakeWorkspace(fake_backend or FakeBackend()), isolation="thread")
    elif settings.driver == "render":
        from modelmonitor.operator.render_driver import RenderDriver

        driver = RenderDriver(settings.program_settings)
    else:
        from modelmonitor.operator.pulumi_workspace import PulumiWorkspace

        driver = stacks.AutomationDriver(settings, PulumiWorkspace(settings.plugins_dir))
    if reader is None:
        reader = executions.ExecutionReader(settings.artifact_bucket)
    operations = runner.OperationRunner(driver, settings.max_concurrent_updates,
                                        timeout=settings.operation_timeout_seconds, grace=settings.cancel_grace_seconds)
    return Runtime(settings, operations, reader)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse(resource: Resource) -> tuple[ModelMonitorDocument | None, str]:
    """The parsed document, or the field-precise problems (one per line)."""
    raw = {"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
           "metadata": {"name": resource.name, "namespace": resource.namespace}, "spec": dict(resource.raw_spec)}
    try:
        return parse_document(raw, source=f"{resource.namespace}/{resource.name}"), ""
    except ManifestError as exc:
        return None, "\n".join(f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems)


def observe(resource: Resource, document: ModelMonitorDocument | None, problems: str,
            settings: OperatorSettings) -> reconcile.Observed:
    last_op = resource.status.get("lastOperation") or {}
    return reconcile.Observed(
        deleting=resource.deleting,
        spec_hash=reconcile.spec_hash(document, settings.program_version) if document is not None else None,
        problems=problems, suspend=bool(document.spec.suspend) if document is not None else False,
        deletion_policy=reconcile.raw_deletion_policy(resource.raw_spec),
        reconcile_request=resource.annotations.get(RECONCILE_REQUEST_ANNOTATION),
        last_applied_hash=resource.status.get("lastAppliedHash"),
        last_handled_request=resource.status.get("lastHandledReconcileRequest"),
        last_operation_type=last_op.get("type"), last_operation_result=last_op.get("result"),
        missing_image=missing_image(document, settings))


def missing_image(document: ModelMonitorDocument | None, settings: OperatorSettings) -> str:
    """The operator's form of `components.program.check_analyzer_image_provided`: its pod has no Docker, so only
    an image CI pushed can serve; the message names the setting."""
    if document is None or settings.analyzer_image_pushed or not needs_platform_image(document):
        return ""
    return ("engine modelMonitor with dataQuality.analyzer custom runs our analyzer image from the Platform's ECR "
            "repository, which the operator cannot build: push it (CI, tag modelmonitor:analyzerImageTag) and set "
            "MODELMONITOR_ANALYZER_IMAGE_PUSHED=true on the operator, or use dataQuality.analyzer builtin, or "
            "engine lambda / processingJob, which need no image")


def announce(runtime: Runtime, body: Mapping[str, Any]) -> dict[str, Any]:
    """Runs (as its own kopf handler) before `reconcile_resource` / `finalize_resource`: when they will drive an
    operation, the status saying so — and naming the stack — is written before the operation starts."""
    resource = Resource.from_body(body)
    document, problems = parse(resource)
    decision = reconcile.decide(observe(resource, document, problems, runtime.settings))
    if decision.action not in ("up", "destroy", "forget"):
        return {}
    region = document.spec.region if document else resource.raw_spec.get("region")
    target = stack_target(resource, document, region if isinstance(region, str) else None)
    record = status.OperationRecord(decision.action, "InProgress", now(), message=decision.message)
    # A pending legacy rename is recorded after the operation: recording the new name now would skip the rename
    # (status already proves a stack exists: lastAppliedHash).
    return status.in_progress(existing=resource.conditions, operation=record, stack=target.stack_name,
                              record_stack=target.migrate_from is None, generation=resource.generation, now=now())


async def reconcile_resource(runtime: Runtime, body: Mapping[str, Any], retry: int, emit: Emit) -> Step:
    """Create / update / resume: bring the stack to the spec, or explain why not."""
    resource = Resource.from_body(body)
    document, problems = parse(resource)
    decision = reconcile.decide(observe(resource, document, problems, runtime.settings))
    metrics.DECISIONS.labels(decision.action, decision.reason).inc()
    gen, existing = resource.generation, resource.conditions
    if decision.action == "stall":
        emit("Warning", decision.reason, decision.message)
        return Step(status.stalled(existing=existing, reason=decision.reason, message=decision.message,
                                   generation=gen, operation=None, now=now()), permanent=decision.message,
                    action="stall")
    if decision.action == "skip":
        if decision.reason == "Suspended":
            return Step(status.suspended(existing=existing, generation=gen, now=now()))
        return Step(status.up_to_date(existing=existing, generation=gen,
                                      observed=resource.status.get("observedGeneration"),
                                      handled_request=None, now=now()))
    assert document is not None  # up is only decided for a valid spec
    target = stack_target(resource, document, document.spec.region)
    step = await _drive(runtime, "up", target, resource=resource, retry=retry, emit=emit, decision=decision)
    if step.retry_after is None and step.permanent is None and step.record is not None:
        step.status = status.applied(
            document, existing=existing, operation=step.record, outputs=step.outputs,
            applied_hash=reconcile.spec_hash(document, runtime.settings.program_version),
            generation=gen, handled_request=decision.handled_request, now=now(),
            previous_outputs=resource.status.get("outputs"))
        step.status["stackName"] = target.stack_name
    return step


async def finalize_resource(runtime: Runtime, body: Mapping[str, Any], retry: int, emit: Emit) -> Step:
    """Delete: destroy (Delete) or forget (Retain) the stack; a failure is always retried, never dropped."""
    resource = Resource.from_body(body)
    document, problems = parse(resource)
    decision = reconcile.decide(observe(resource, document, problems, runtime.settings))
    region = document.spec.region if document else resource.raw_spec.get("region")
    target = stack_target(resource, document, region if isinstance(region, str) else None)
    op: Literal["destroy", "forget"] = "destroy" if decision.action == "destroy" else "forget"
    # A permanent failure would make kopf release the finalizer and orphan the resources: always retry.
    step = await _drive(runtime, op, target, resource=resource, retry=retry, emit=emit, decision=decision,
                        always_retry=True)
    return step


async def _drive(runtime: Runtime, op: Literal["up", "destroy", "forget"], target: stacks.StackTarget, *,
                 resource: Resource, retry: int, emit: Emit, decision: reconcile.Decision,
                 always_retry: bool = False) -> Step:
    started, clock = now(), time.monotonic()
    emit("Normal", f"{op.capitalize()}Started", f"{decision.message} (stack {target.stack_name})")
    runtime.busy.add(resource.key)
    try:
        step = await _operate(runtime, op, target, resource=resource, retry=retry, emit=emit,
                              always_retry=always_retry, started=started, clock=clock)
    finally:
        runtime.busy.discard(resource.key)
    step.status["stackName"] = target.stack_name
    return step


async def _operate(runtime: Runtime, op: Literal["up", "destroy", "forget"], target: stacks.StackTarget, *,
                   resource: Resource, retry: int, emit: Emit, always_retry: bool, started: str,
                   clock: float) -> Step:
    try:
        result = await runtime.runner.run(op, target)
    except stacks.DriverError as exc:
        message = exc.message
        permanent = exc.permanent
        if isinstance(exc, stacks.PropagationError) and retry + 1 >= exc.max_attempts:
            permanent = True  # IAM propagates in seconds: still failing after this many attempts is a real error
            message = f"still failing after {retry + 1} attempts, check the role's trust policy: {message}"
        record = status.OperationRecord(op, "Failed", started, now(), message=message)
        emit("Warning", f"{op.capitalize()}Failed", message)
        metrics.RECONCILES.labels(op, "permanent" if permanent else "temporary").inc()
        gen, existing = resource.generation, resource.conditions
        if permanent and not always_retry:
            return Step(status.stalled(existing=existing, reason="OperationFailed", message=message,
                                       generation=gen, operation=record, now=now()),
                        permanent=message, action=op, record=record)
        cap = runtime.settings.retry_max_seconds
        hint = cap if permanent else exc.delay  # a permanent failure retried anyway: at the slowest pace
        delay = status.backoff_delay(retry + 1, base=runtime.settings.retry_base_seconds, cap=cap, hint=hint)
        if permanent:  # deletion never gives up (the finalizer would orphan the resources), but a human must act
            return Step(status.blocked(existing=existing, operation=record, delay=delay, generation=gen, now=now()),
                        retry_after=delay, action=op, record=record)
        return Step(status.retrying(existing=existing, operation=record, attempt=retry + 1, delay=delay,
                                    generation=gen, now=now()), retry_after=delay, action=op, record=record)
    metrics.RECONCILES.labels(op, "succeeded").inc()
    message = result.summary or f"{op} succeeded"
    emit("Normal", f"{op.capitalize()}Succeeded", f"{message} in {time.monotonic() - clock:.1f}s")
    record = status.OperationRecord(op, "Succeeded", started, now(), update_id=result.update_id, message=message)
    return Step({"lastOperation": record.to_status()}, action=op, record=record,
                outputs=status.mask_outputs(result.outputs))


def refresh_execution(runtime: Runtime, body: Mapping[str, Any]) -> dict[str, Any]:
    """Timer: the latest monitoring run's outcome (S3 outputs, Model Monitor failures) into status."""
    resource = Resource.from_body(body)
    document, _ = parse(resource)
    if runtime.reader is None or document is None or resource.deleting or not resource.status.get("lastAppliedHash"):
        return {}
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        execution = runtime.reader.latest(document, resource.status.get("outputs") or {})
    except (BotoCoreError, ClientError) as exc:  # next tick retries; the last known execution stays in status
        logger.warning("%s/%s: cannot read the latest monitoring run: %s", resource.namespace, resource.name, exc)
        return {}
    patch = status.execution_status(execution, existing=resource.conditions, generation=resource.generation,
                                    now=now())
    unchanged = (patch.get("lastMonitoringExecution") == resource.status.get("lastMonitoringExecution")
                 and patch.get("drift") == resource.status.get("drift")
                 and patch.get("conditions") == resource.conditions)
    return {} if unchanged else patch  # most ticks find the same run: no write, no watch event


async def observe_resource(runtime: Runtime, body: Mapping[str, Any], *, refresh_execution_now: bool,
                           emit: Emit) -> dict[str, Any]:
    """One timer tick: the monitoring-run status, then the infrastructure-drift check, as ONE status patch that
    writes only the timer's own fields and condition types (DriftDetected, InfrastructureDrifted)."""
    resource = Resource.from_body(body)
    if resource.key in runtime.busy or runtime.runner.closing:  # stopping: timers start nothing new
        return {}
    patch: dict[str, Any] = {}
    if refresh_execution_now:
        patch = await asyncio.to_thread(refresh_execution, runtime, body)
    if "conditions" in patch:
        body = {**body, "status": {**(body.get("status") or {}), "conditions": patch["conditions"]}}
    drift_patch = await check_infrastructure(runtime, body, seconds_since(resource.status.get("lastDriftCheckTime")),
                                             emit)
    patch.update(drift_patch)
    return patch


def seconds_since(stamp: object, *, at: datetime | None = None) -> float | None:
    """Seconds since an RFC 3339 time in status; None when absent or unreadable (then the check is due)."""
    if not isinstance(stamp, str):
        return None
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ((at or datetime.now(UTC)) - then).total_seconds()


async def check_infrastructure(runtime: Runtime, body: Mapping[str, Any], seconds_since_last: float | None,
                               emit: Emit) -> dict[str, Any]:
    """Timer: refresh-preview the stack per spec.driftDetection; the status patch (lastDriftCheckTime when it ran)."""
    resource = Resource.from_body(body)
    document, _ = parse(resource)
    if document is None or resource.deleting:
        return {}
    drift = document.spec.drift_detection
    action = reconcile.decide_drift_check(mode=drift.mode, interval=drift.interval,
                                          seconds_since_last=seconds_since_last, suspended=document.spec.suspend,
                                          applied=bool(resource.status.get("lastAppliedHash")))
    if action == "skip":
        return {}
    target = stack_target(resource, document, document.spec.region)
    try:
        result = await runtime.runner.run("detect_drift", target)
    except stacks.DriverError as exc:
        if runtime.runner.closing:
            return {}  # the operator is stopping: not a failed check
        emit("Warning", "DriftCheckFailed", exc.message)
        return {"lastDriftCheckTime": now()}  # the next check waits for the interval too, not for the next tick
    gen = resource.generation
    if action != "remediate" or result.changes == 0:
        return status.infrastructure_drift(existing=resource.conditions, changes=result.changes, generation=gen,
                                           now=now())
    held = remediation_held(resource, document, runtime.settings.program_version)
    if held is not None:
        return status.infrastructure_drift(existing=resource.conditions, changes=result.changes, generation=gen,
                                           now=now(), note=f"not remediated: {held}")
    return await _remediate(runtime, resource, target, result.changes, emit)


def remediation_held(resource: Resource, document: ModelMonitorDocument, program_version: str) -> str | None:
    """Why Remediate must not run an up now (None when it may): it reverts to the APPLIED spec only, never past a
    Stalled monitor, a pending spec change or an unfinished up — those belong to the reconcile handler."""
    stalled = next((c for c in resource.conditions if c.get("type") == "Stalled"), {})
    if stalled.get("status") == "True":
        return f"the monitor is stalled ({stalled.get('reason')})"
    if reconcile.spec_hash(document, program_version) != resource.status.get("lastAppliedHash"):
        return "the spec changed since the last up; the reconcile applies it"
    last = resource.status.get("lastOperation") or {}
    if last.get("type") == "up" and last.get("result") != "Succeeded":
        return f"the last up is {str(last.get('result')).lower()}"
    return None


async def _remediate(runtime: Runtime, resource: Resource, target: stacks.StackTarget, changes: int,
                     emit: Emit) -> dict[str, Any]:
    """refresh + up, like any operation: marked busy, recorded in lastOperation, its events posted."""
    started, clock = now(), time.monotonic()
    emit("Warning", "InfrastructureDrifted", f"{changes} resource(s) drifted; remediating with refresh + up "
                                             f"(stack {target.stack_name})")
    runtime.busy.add(resource.key)
    try:
        result = await runtime.runner.run("remediate", target)
    except stacks.DriverError as exc:
        emit("Warning", "RemediationFailed", exc.message)
        record = status.OperationRecord("up", "Failed", started, now(), message=f"remediation: {exc.message}")
        return {"lastOperation": record.to_status(), **status.infrastructure_drift(
            existing=resource.conditions, changes=changes, generation=resource.generation, now=now(),
            note=f"remediation failed: {exc.message}")}
    finally:
        runtime.busy.discard(resource.key)
    message = f"remediated {changes} drifted resource(s): {result.summary or 'up succeeded'}"
    emit("Normal", "UpSucceeded", f"{message} in {time.monotonic() - clock:.1f}s")
    record = status.OperationRecord("up", "Succeeded", started, now(), update_id=result.update_id, message=message)
    return {"lastOperation": record.to_status(), **status.infrastructure_drift(
        existing=resource.conditions, changes=changes, remediated=True, generation=resource.generation, now=now())}


async def run_now_resource(runtime: Runtime, body: Mapping[str, Any], emit: Emit) -> dict[str, Any]:
    """A new `modelmonitor.io/run-now` value: start one run-now (off the event loop) and return the status patch
    recording it. Never raises for the run's own failures: they are recorded once, not retried."""
    resource = Resource.from_body(body)
    document, problems = parse(resource)
    started = now()
    decision = reconcile.decide_run_now(
        resource.annotations.get(RUN_NOW_ANNOTATION), resource.status.get("lastHandledRunNow"),
        document=document, problems=problems, driver=runtime.settings.driver, deleting=resource.deleting,
        now=datetime.now(UTC))
    if decision.action == "none":
        return {}
    if decision.action == "reject":
        emit("Warning", "RunNowFailed", decision.message)
        return _run_now_status(decision, "Failed", decision.message, started)
    if decision.action == "skip":
        emit("Normal", "RunNowSkipped", decision.message)
        return _run_now_status(decision, "Succeeded", decision.message, started)
    assert document is not None and decision.window is not None  # run is only decided for a valid spec
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        verdict = await asyncio.to_thread(runtime.start_run_now, document, decision.window, decision.monitoring_type,
                                          datetime.now(UTC))
    except (run_now.RunNowError, BotoCoreError, ClientError) as exc:
        message = f"{decision.message} failed: {exc}"
        emit("Warning", "RunNowFailed", message)
        return _run_now_status(decision, "Failed", message, started)
    message = f"{decision.message}: {verdict.status} {verdict.detail}"
    emit("Normal", "RunNowStarted", message)
    return _run_now_status(decision, "Succeeded", message, started)


def _run_now_status(decision: reconcile.RunNowDecision, result: Literal["Succeeded", "Failed"], message: str,
                    started: str) -> dict[str, Any]:
    record = status.OperationRecord("run-now", result, started, now(), message=message)
    return {"lastHandledRunNow": decision.value, "lastOperation": record.to_status()}
