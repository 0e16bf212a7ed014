"""The analyzer image's Lambda entry (`modelmonitor.analyzer.entry.lambda_handler.handler`, engine `lambda`).

Configuration: the function's environment, set by the ModelMonitor component (docs/engines.md): the run
environment of internal-contracts §5 with S3 locations (`dataset_source` = the endpoint variant's capture prefix,
`output_path` = the results prefix, `baseline_statistics` / `baseline_constraints` = s3:// URIs) plus
`cloudwatch_metrics_namespace`, `run_event_bus_name`, `modelmonitor_monitor`, `modelmonitor_engine`,
`monitoring_type`, `schedule_period_seconds`, `max_window_mb` and, for model quality, `label_delay_seconds`.

Event: `{"scheduled_time": ISO}` from EventBridge Scheduler (`components.stepfunctions.SCHEDULER_INPUT`), or
`{"window_start": ISO, "window_end": ISO}` for run-now / backfills. The run writes its files to
`{output_path}/{endpoint}/{schedule}/yyyy/mm/dd/hh/`, publishes its metrics and emits one run event.

Failures: the Failed run event is emitted, then the error is re-raised, so the invocation ends as a function
error — visible in the function's Errors metric, retried by Lambda's asynchronous-invocation policy, and sent to
its on-failure destination / DLQ when retries run out. Each attempt emits its own event (a retry that succeeds
emits Completed after the Failed one; the alert handler dedupes per window).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.entry.engine_outputs import LABELLED_TYPES, Clients, EngineRun, RunOutcome, iso_z, publish
from modelmonitor.analyzer.entry.engine_run import execute, results_location, window_from_event
from modelmonitor.analyzer.read.sources import env_number, s3_client

log = logging.getLogger("modelmonitor.analyzer")

DEFAULT_PERIOD_SECONDS = 3600
DEFAULT_MAX_WINDOW_MB = 2048
"""The spec's `engineSettings.maxLambdaWindowMb` default."""


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env_number(env, name, int, "a whole number")
    if value is None:
        return default
    if value < 0 or (value == 0 and name != "label_delay_seconds"):
        raise AnalyzerInputError(f"{name} must be positive, got {value}")
    return value


def run_invocation(event: Mapping[str, Any], env: Mapping[str, str], *, clients: Clients, s3: Any,
                   now: datetime) -> dict[str, Any]:
    """The handler's work with its collaborators passed in (tests call this with moto clients)."""
    engine_run = EngineRun.from_environment(env)
    if engine_run is None:
        raise AnalyzerInputError("cloudwatch_metrics_namespace is not set: this function is not configured as "
                                 "a ModelMonitor lambda engine")
    try:
        period = _positive_int(env, "schedule_period_seconds", DEFAULT_PERIOD_SECONDS)
        delay = _positive_int(env, "label_delay_seconds", 0) if engine_run.monitoring_type in LABELLED_TYPES else 0
        max_bytes = _positive_int(env, "max_window_mb", DEFAULT_MAX_WINDOW_MB) * 2**20
        run_window = window_from_event(event, period_seconds=period, end_offset_seconds=delay, now=now)
        prefix = results_location(env, engine_run, run_window.window)
    except AnalyzerInputError as exc:
        # No window to analyse: still one Failed event, so a misconfigured function does not fail silently.
        publish(engine_run, RunOutcome(status="Failed", window=None, failure_reason=str(exc)), (), clients)
        raise
    result = execute(env, engine_run, run_window, output_path=prefix, report_uri=prefix, clients=clients, s3=s3,
                     max_window_bytes=max_bytes)
    outcome = result.outcome
    return {"status": outcome.status, "violations": outcome.violations,
            "driftedFeatures": list(outcome.drifted_features), "reportUri": outcome.report_uri,
            "windowStart": iso_z(run_window.window.start), "windowEnd": iso_z(run_window.window.end),
            "summary": result.summary}


def handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    logging.getLogger().setLevel(logging.INFO)
    return run_invocation(event or {}, os.environ, clients=Clients.default(), s3=s3_client(), now=datetime.now(UTC))
