"""One analysis run under our engines, whoever hosts it (the Lambda handler; the BYOC entrypoint in a Processing
job): resolve the window, run data or model quality, publish metrics, emit the run event.

Window rule (the same as the processingJob state machine's `ResolveWindow`, so both engines judge the same
window for the same firing): a scheduled run's evaluation time is its scheduled time floored to the hour; the
window ends `end_offset` (model quality: the label delay; data quality: 0) before it and spans one schedule
period. An explicit window (run-now, backfill) is taken as given and evaluated `end_offset` after its end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.entry.engine_outputs import Clients, EngineRun, RunOutcome, publish
from modelmonitor.analyzer.quality.attribution_run import AttributionJob, AttributionRunResult, run_attribution
from modelmonitor.analyzer.quality.bias_run import BiasJob, BiasRunResult, run_bias
from modelmonitor.analyzer.quality.run import QualityJob, QualityRunResult, run_quality
from modelmonitor.analyzer.read.batch_transform import BatchCapture, input_data_objects
from modelmonitor.analyzer.read.sources import Window, list_objects, parse_time
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import result_prefix, run

log = logging.getLogger(__name__)

MAX_EXPLICIT_WINDOW = timedelta(days=7)
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class RunWindow:
    window: Window
    evaluation_time: datetime
    """When the window is judged: labels collected after it are late (model quality)."""


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def scheduled_window(fired_at: datetime, *, period_seconds: int, end_offset_seconds: int = 0) -> RunWindow:
    evaluation = _floor_hour(fired_at)
    end = evaluation - timedelta(seconds=end_offset_seconds)
    return RunWindow(Window(end - timedelta(seconds=period_seconds), end), evaluation)


def explicit_window(start: datetime, end: datetime, *, end_offset_seconds: int = 0) -> RunWindow:
    window = Window(start, end)
    if end - start > MAX_EXPLICIT_WINDOW:
        raise AnalyzerInputError(f"window {start.isoformat()} .. {end.isoformat()} is longer than "
                                 f"{MAX_EXPLICIT_WINDOW.days} days: run it as several windows")
    return RunWindow(window, end + timedelta(seconds=end_offset_seconds))


def _field(event: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = event.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise AnalyzerInputError(f"event field {name} must be an ISO-8601 string, got {value!r}")
            return value
    return None


def window_from_event(event: Mapping[str, Any], *, period_seconds: int, end_offset_seconds: int,
                      now: datetime) -> RunWindow:
    """The run's window from an invocation payload: `{"window_start", "window_end"}` (run-now, backfill),
    `{"scheduled_time"}` (EventBridge Scheduler, `components.stepfunctions.SCHEDULER_INPUT`), or neither (the
    invocation time stands in for the scheduled time). camelCase spellings are accepted too."""
    start = _field(event, "window_start", "windowStart")
    end = _field(event, "window_end", "windowEnd")
    if (start is None) != (end is None):
        raise AnalyzerInputError("window_start and window_end go together (both or neither)")
    if start is not None and end is not None:
        return explicit_window(parse_time(start, "window_start"), parse_time(end, "window_end"),
                               end_offset_seconds=end_offset_seconds)
    fired = _field(event, "scheduled_time", "scheduledTime")
    return scheduled_window(parse_time(fired, "scheduled_time") if fired else now, period_seconds=period_seconds,
                            end_offset_seconds=end_offset_seconds)


@dataclass(frozen=True)
class EngineResult:
    outcome: RunOutcome
    outputs: dict[str, str]
    metrics_sent: int
    summary: str


def check_window_size(source: str, window: Window, max_bytes: int | None, *, batch: bool = False) -> int:
    """Bytes captured in the window (for batch transform jobs: their input files), listed before anything is
    read. Over `max_bytes`: a loud failure that says what to do (never silent sampling)."""
    objects = input_data_objects(source, window.start, window.end) if batch else list_objects(source, window)
    total = sum(obj.size for obj in objects)
    if max_bytes is not None and total > max_bytes:
        raise AnalyzerInputError(
            f"window {window.start:%Y-%m-%dT%H:%MZ} .. {window.end:%Y-%m-%dT%H:%MZ} holds {total / 2**20:.1f} MB "
            f"of captures under {source}, more than this lambda engine's limit of {max_bytes / 2**20:.0f} MB "
            "(engineSettings.maxLambdaWindowMb): switch the monitor to engine: processingJob (sharded "
            "Processing jobs), raise the limit, or shorten the schedule; nothing was sampled")
    return total


class Analysis(NamedTuple):
    outcome: RunOutcome
    outputs: dict[str, str]
    """File name → URI or path written."""
    metrics: tuple[dict[str, Any], ...]
    """The run's metric records (BYOC line format)."""
    summary: str


def analyze(env: Mapping[str, str], run_window: RunWindow, *, output_path: str, report_uri: str | None,
            s3: Any, monitoring_type: str, html_report: bool = True, runtime: Any = None) -> Analysis:
    """Data quality, model quality, bias or feature attribution drift of one window: files written, nothing
    published yet. `runtime` (sagemaker-runtime) is the model feature attribution calls."""
    window = run_window.window
    labelled: QualityRunResult | BiasRunResult | AttributionRunResult | None = None
    if monitoring_type == "ModelExplainability":
        if runtime is None:
            raise AnalyzerInputError("feature attribution needs a sagemaker-runtime client to call the model")
        labelled = run_attribution(AttributionJob.from_environment(env, window, output_path=output_path), s3,
                                   runtime.invoke_endpoint)
    elif monitoring_type == "ModelBias":
        labelled = run_bias(BiasJob.from_environment(env, window, output_path=output_path,
                                                     evaluation_time=run_window.evaluation_time), s3)
    elif monitoring_type == "ModelQuality":
        labelled = run_quality(QualityJob.from_environment(env, window, output_path=output_path,
                                                           evaluation_time=run_window.evaluation_time), s3)
    if labelled is not None:
        outcome = RunOutcome(status=labelled.status, window=window, violations=len(labelled.result.violations),
                             report_uri=report_uri, evaluation_time=run_window.evaluation_time)
        return Analysis(outcome, labelled.outputs, labelled.metrics, labelled.summary())
    job = replace(AnalysisJob.from_environment(env), window=window, output_path=output_path,
                  publish_cloudwatch_metrics=False, metrics_dir=None)
    if job.mode != "monitor":
        raise AnalyzerInputError("a monitoring run needs baseline_statistics and baseline_constraints")
    if html_report:
        job = replace(job, report_html=f"{output_path.rstrip('/')}/{REPORT_FILE}")
    result = run(job)
    outcome = RunOutcome(status=result.status, window=window, violations=len(result.violations),
                         drifted_features=result.drifted_features, report_uri=report_uri,
                         evaluation_time=run_window.evaluation_time)
    return Analysis(outcome, result.outputs, result.metrics, result.summary())


def execute(env: Mapping[str, str], engine_run: EngineRun, run_window: RunWindow, *, output_path: str,
            report_uri: str | None, clients: Clients, s3: Any, max_window_bytes: int | None = None,
            emit_failure: bool = True) -> EngineResult:
    """Analyse, publish, emit. On failure: the Failed event (when `emit_failure`), then the error propagates,
    so the host reports it too (Lambda: function error → retries / on-failure destination; Processing job: a
    non-zero exit). `emit_failure=False` where another party emits it (the state machine's Catch)."""
    window = run_window.window
    try:
        if max_window_bytes is not None:
            check_window_size(env.get("dataset_source", ""), window, max_window_bytes,
                              batch=BatchCapture.from_environment(env) is not None)
        analysis = analyze(env, run_window, output_path=output_path, report_uri=report_uri, s3=s3,
                           monitoring_type=engine_run.monitoring_type, runtime=clients.runtime)
    except Exception as exc:
        # Whatever went wrong, the run's one event says Failed; the error itself is re-raised, never swallowed.
        if emit_failure:
            reason = f"{type(exc).__name__}: {exc}"
            log.error("run failed: %s", reason)
            publish(engine_run, RunOutcome(status="Failed", window=window, failure_reason=reason,
                                           evaluation_time=run_window.evaluation_time), (), clients)
        raise
    sent = publish(engine_run, analysis.outcome, analysis.metrics, clients)
    log.info("%s: %s (%d metric datums to %s)", analysis.outcome.status, analysis.summary, sent,
             engine_run.metrics_namespace)
    return EngineResult(outcome=analysis.outcome, outputs=analysis.outputs, metrics_sent=sent,
                        summary=analysis.summary)


def results_location(env: Mapping[str, str], engine_run: EngineRun, window: Window) -> str:
    """`{output_path}/{endpoint}/{schedule}/yyyy/mm/dd/hh/` (internal-contracts §1) for engines writing to S3."""
    output = env.get("output_path", "")
    if not output.startswith("s3://"):
        raise AnalyzerInputError(f"output_path must be the results s3:// prefix under this engine, got {output!r}")
    return result_prefix(output, engine_run.endpoint, engine_run.schedule, window.start)
