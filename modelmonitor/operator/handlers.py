"""kopf handlers of the ModelMonitor operator — the only module that imports kopf.

Run with `python -m modelmonitor.operator` or `kopf run -m modelmonitor.operator.handlers`. Each handler hands the
body to a flow (parse → decide → drive), writes the returned status and maps the outcome to kopf's retry errors.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Collection, Mapping
from typing import Any, Literal

import kopf

from modelmonitor.crd import GROUP, PLURAL, VERSION
from modelmonitor.operator import flows, status
from modelmonitor.operator.settings import (
    FINALIZER,
    KOPF_STORAGE_PREFIX,
    RUN_NOW_ANNOTATION,
    OperatorSettings,
    SettingsError,
)

RESOURCE = (GROUP, VERSION, PLURAL)
# Condition types each writer owns. Every status write merges ONLY its own types into the freshest conditions list
# (a kopf patch function, applied as a JSON patch guarded by resourceVersion), so a timer tick that started before an
# operation ended can never undo the handler's newer Ready/Reconciling/Stalled, nor the handler undo the timer's.
HANDLER_CONDITIONS = frozenset((*status.OPERATION_CONDITIONS, *status.FEATURE_CONDITIONS))
TIMER_CONDITIONS = frozenset(status.TIMER_CONDITIONS)


def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    # Annotations only: the CRD's structural status schema would prune kopf's default status.kopf storage.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_STORAGE_PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=KOPF_STORAGE_PREFIX)
    settings.posting.level = logging.WARNING  # our own Events say what happened; handler logs stay in logs
    if memo.get("runtime") is None:  # started as `kopf run -m modelmonitor.operator.handlers`
        memo["runtime"] = flows.build_runtime(OperatorSettings.from_env())
        if os.environ.get("MODELMONITOR_METRICS_PORT"):
            from prometheus_client import start_http_server

            start_http_server(int(os.environ["MODELMONITOR_METRICS_PORT"]))


def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In-cluster service account first, then the kubeconfig: what kopf's default registry does, without needing
    the kubernetes or pykube client libraries."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


async def close(memo: kopf.Memo, **_: Any) -> None:
    runtime: flows.Runtime | None = memo.get("runtime")
    if runtime is not None:
        await runtime.aclose()


def operations(memo: kopf.Memo, **_: Any) -> dict[str, int]:
    """Liveness: fails (kopf answers 500) when every operation slot is held by a wedged worker — a restart is the
    only way to get the operator working again."""
    runtime: flows.Runtime = memo["runtime"]
    if runtime.runner.all_wedged:
        # Permanent: kopf retries other probe errors inside the same request, hanging the kubelet's probe.
        raise kopf.PermanentError(f"all {runtime.settings.max_concurrent_updates} operation slots are wedged")
    return {"wedged": runtime.runner.wedged}


def _emitter(body: kopf.Body) -> flows.Emit:
    def emit(type_: Literal["Normal", "Warning"], reason: str, message: str) -> None:
        kopf.event(body, type=type_, reason=reason, message=message)
    return emit


def _write(patch: kopf.Patch, update: Mapping[str, Any], owned: frozenset[str]) -> None:
    """Merge-patch the plain fields; the conditions go through a patch function on the freshest body."""
    fields = dict(update)
    written = fields.pop("conditions", None)
    patch.status.update(fields)
    if written is not None:
        patch.fns.append(functools.partial(_merge_conditions, list(written), owned))


def _merge_conditions(written: list[dict[str, Any]], owned: frozenset[str], body: dict[str, Any]) -> None:
    body_status = body.get("status") or {}
    body_status["conditions"] = status.combine_conditions(body_status.get("conditions") or [], written, owned)
    body["status"] = body_status


def _finish(step: flows.Step, patch: kopf.Patch) -> None:
    """Write the step's status; turn its outcome into kopf's retry semantics."""
    _write(patch, step.status, HANDLER_CONDITIONS)
    if step.permanent is not None:
        raise kopf.PermanentError(step.permanent)
    if step.retry_after is not None:
        raise kopf.TemporaryError(step.record.message if step.record else "retrying", delay=step.retry_after)


async def announce_operation(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """Reconciling=True with the stack and the operation, before the operation runs (nothing when none will)."""
    _write(patch, flows.announce(memo["runtime"], body), HANDLER_CONDITIONS)


async def reconcile_monitor(body: kopf.Body, patch: kopf.Patch, retry: int, memo: kopf.Memo, **_: Any) -> None:
    step = await flows.reconcile_resource(memo["runtime"], body, retry, _emitter(body))
    _finish(step, patch)


async def finalize_monitor(body: kopf.Body, patch: kopf.Patch, retry: int, memo: kopf.Memo, **_: Any) -> None:
    step = await flows.finalize_resource(memo["runtime"], body, retry, _emitter(body))
    _finish(step, patch)


async def run_now(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """A new run-now annotation value: one run, recorded in status; its own handler, so its failures never block
    (or retry) the stack's reconcile."""
    patch.status.update(await flows.run_now_resource(memo["runtime"], body, _emitter(body)))


async def observe_monitor(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """Latest monitoring run (Drift column, DriftDetected) and infrastructure drift, each on its own interval."""
    runtime: flows.Runtime = memo["runtime"]
    now, refreshed = time.monotonic(), memo.get("execution_refreshed_at")
    refresh_now = refreshed is None or now - refreshed >= runtime.settings.execution_refresh_seconds
    update = await flows.observe_resource(runtime, body, refresh_execution_now=refresh_now, emit=_emitter(body))
    if refresh_now:
        memo["execution_refreshed_at"] = now
    _write(patch, update, TIMER_CONDITIONS)


def register(registry: kopf.OperatorRegistry, *, timer_tick: float) -> kopf.OperatorRegistry:
    """Every handler of the operator into `registry`; the timer ticks every `timer_tick` seconds (kopf fixes a
    timer's interval when it is registered; per-monitor intervals are decided on each tick)."""
    kopf.on.login(registry=registry)(login)
    kopf.on.startup(registry=registry)(configure)
    kopf.on.cleanup(registry=registry)(close)
    kopf.on.probe(id="operations", registry=registry)(operations)
    # announce_operation first: kopf runs one handler per cycle and applies its patch before the next, so its status
    # is on the object before reconcile_monitor / finalize_monitor start their (possibly hour-long) operation.
    for on in (kopf.on.resume, kopf.on.create, kopf.on.update):
        on(*RESOURCE, registry=registry)(announce_operation)
    kopf.on.delete(*RESOURCE, registry=registry)(announce_operation)
    for on in (kopf.on.resume, kopf.on.create, kopf.on.update):
        on(*RESOURCE, registry=registry)(reconcile_monitor)
    kopf.on.delete(*RESOURCE, registry=registry)(finalize_monitor)
    for on in (kopf.on.resume, kopf.on.create, kopf.on.update):
        on(*RESOURCE, annotations={RUN_NOW_ANNOTATION: kopf.PRESENT}, registry=registry)(run_now)
    kopf.timer(*RESOURCE, interval=timer_tick, initial_delay=timer_tick / 2, registry=registry)(observe_monitor)
    return registry


def _tick_from_env() -> float:
    try:
        return OperatorSettings.from_env().timer_tick_seconds
    except SettingsError:  # the startup handler reports it (it reads the same settings) and stops the operator
        return OperatorSettings().timer_tick_seconds


# `kopf run -m modelmonitor.operator.handlers` uses kopf's default registry.
register(kopf.get_default_registry(), timer_tick=_tick_from_env())


def run(*, namespaces: Collection[str], standalone: bool, peering: str | None, liveness: str | None,
        settings: OperatorSettings, verbose: bool = False) -> None:
    """Blocking entry of `python -m modelmonitor.operator`: kopf's run with our runtime in the memo."""
    kopf.configure(verbose=verbose)
    kopf.run(clusterwide=not namespaces, namespaces=list(namespaces), standalone=standalone,
             peering_name=peering, liveness_endpoint=liveness,
             registry=register(kopf.OperatorRegistry(), timer_tick=settings.timer_tick_seconds),
             memo=kopf.Memo(runtime=flows.build_runtime(settings)))
