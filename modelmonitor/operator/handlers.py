"""kopf handlers of the ModelMonitor operator — the only module that imports kopf.

Run with `python -m modelmonitor.operator` or `kopf run -m modelmonitor.operator.handlers`. Each handler hands the
body to a flow (parse → decide → drive), writes the returned status and maps the outcome to kopf's retry errors.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection
from typing import Any, Literal

import kopf

from modelmonitor.crd import GROUP, PLURAL, VERSION
from modelmonitor.operator import flows
from modelmonitor.operator.settings import FINALIZER, KOPF_STORAGE_PREFIX, RUN_NOW_ANNOTATION, OperatorSettings

RESOURCE = (GROUP, VERSION, PLURAL)
# Timers tick at a fixed rate (kopf needs it at import); per-monitor intervals are decided on each tick.
TIMER_TICK_SECONDS = float(os.environ.get("MODELMONITOR_TIMER_TICK_SECONDS", "30"))


@kopf.on.startup()
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


@kopf.on.cleanup()
def close(memo: kopf.Memo, **_: Any) -> None:
    runtime: flows.Runtime | None = memo.get("runtime")
    if runtime is not None:
        runtime.close()


def _emitter(body: kopf.Body) -> flows.Emit:
    def emit(type_: Literal["Normal", "Warning"], reason: str, message: str) -> None:
        kopf.event(body, type=type_, reason=reason, message=message)
    return emit


def _finish(step: flows.Step, patch: kopf.Patch) -> None:
    """Write the step's status; turn its outcome into kopf's retry semantics."""
    patch.status.update(step.status)
    if step.permanent is not None:
        raise kopf.PermanentError(step.permanent)
    if step.retry_after is not None:
        raise kopf.TemporaryError(step.record.message if step.record else "retrying", delay=step.retry_after)


# Registered first: kopf runs one handler per cycle and applies its patch before the next, so this status is on the
# object before reconcile_monitor / finalize_monitor start their (possibly hour-long) operation.
@kopf.on.resume(*RESOURCE)
@kopf.on.create(*RESOURCE)
@kopf.on.update(*RESOURCE)
@kopf.on.delete(*RESOURCE)
async def announce_operation(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """Reconciling=True with the stack and the operation, before the operation runs (nothing when none will)."""
    patch.status.update(flows.announce(memo["runtime"], body))


@kopf.on.resume(*RESOURCE)
@kopf.on.create(*RESOURCE)
@kopf.on.update(*RESOURCE)
async def reconcile_monitor(body: kopf.Body, patch: kopf.Patch, retry: int, memo: kopf.Memo, **_: Any) -> None:
    step = await flows.reconcile_resource(memo["runtime"], body, retry, _emitter(body))
    _finish(step, patch)


@kopf.on.delete(*RESOURCE)
async def finalize_monitor(body: kopf.Body, patch: kopf.Patch, retry: int, memo: kopf.Memo, **_: Any) -> None:
    step = await flows.finalize_resource(memo["runtime"], body, retry, _emitter(body))
    _finish(step, patch)


@kopf.on.resume(*RESOURCE, annotations={RUN_NOW_ANNOTATION: kopf.PRESENT})
@kopf.on.create(*RESOURCE, annotations={RUN_NOW_ANNOTATION: kopf.PRESENT})
@kopf.on.update(*RESOURCE, annotations={RUN_NOW_ANNOTATION: kopf.PRESENT})
async def run_now(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """A new run-now annotation value: one run, recorded in status; its own handler, so its failures never block
    (or retry) the stack's reconcile."""
    patch.status.update(await flows.run_now_resource(memo["runtime"], body, _emitter(body)))


@kopf.timer(*RESOURCE, interval=TIMER_TICK_SECONDS, initial_delay=TIMER_TICK_SECONDS / 2)
async def observe_monitor(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    """Latest monitoring run (Drift column, DriftDetected) and infrastructure drift, each on its own interval."""
    runtime: flows.Runtime = memo["runtime"]
    now, refreshed, checked = time.monotonic(), memo.get("execution_refreshed_at"), memo.get("drift_checked_at")
    refresh_now = refreshed is None or now - refreshed >= runtime.settings.execution_refresh_seconds
    update, drift_checked = await flows.observe_resource(
        runtime, body, refresh_execution_now=refresh_now, emit=_emitter(body),
        seconds_since_drift_check=None if checked is None else now - checked)
    if refresh_now:
        memo["execution_refreshed_at"] = now
    if drift_checked:
        memo["drift_checked_at"] = now
    patch.status.update(update)


def run(*, namespaces: Collection[str], standalone: bool, peering: str | None, liveness: str | None,
        settings: OperatorSettings, verbose: bool = False) -> None:
    """Blocking entry of `python -m modelmonitor.operator`: kopf's run with our runtime in the memo."""
    kopf.configure(verbose=verbose)
    kopf.run(clusterwide=not namespaces, namespaces=list(namespaces), standalone=standalone,
             peering_name=peering, liveness_endpoint=liveness,
             memo=kopf.Memo(runtime=flows.build_runtime(settings)))
