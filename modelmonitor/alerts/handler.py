"""Lambda entry point: `modelmonitor.alerts.handler.handler(event, context)`.

Parse at entry (events.py) → decide and describe (logic.py, pure) → enrich (enrich.py, AWS reads that may fail
without stopping the alert) → render (render.py) → deliver (routes.py). One bad record never stops the batch: it is
logged with its reason and counted in the returned summary and in an EMF metrics line.

Drift and model-quality signals (runs, their alarms) go through the incident lifecycle (incidents.py): one alert
when an incident opens, reminders at most every repeat interval, one RESOLVED when it closes.

Environment: ALERT_TOPIC_ARN (required), ARTIFACT_BUCKET, DASHBOARD_URL_TEMPLATE, SLACK_WEBHOOK_SECRET (syntax in
config.SecretRef), LOG_LEVEL, STATE_TABLE (incident state and dedupe keys; incident_store.py, dedupe.py),
DEDUPE_TTL_SECONDS, REPEAT_INTERVALS, WEBHOOK_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypedDict

from . import alarm_states, incident_store, logs, run_metrics
from .clients import Clients
from .config import Settings
from .dedupe import Deduper, DynamoDeduper, MemoryDeduper
from .enrich import (
    AWS_ERRORS,
    ENDPOINT_DIMENSION_TAG,
    JobOutcome,
    aws_error_note,
    describe_job,
    enrich,
    failure_notifications_enabled,
    schedule_tags,
    violations_listed,
)
from .events import AlarmNotification, Alertable, Malformed, ProcessingJobChange, RunChange, ScheduleChange, parse_event
from .incident_store import DynamoIncidentStore, IncidentConflict, IncidentStore, MemoryIncidentStore
from .incidents import Incident, Signal, Transition
from .logic import MonitorContext, Violation, ViolationsFileError, context_for, decide, dedupe_key, has_violations
from .render import Alert, render, render_resolved, with_incident
from .routes import (
    WebhookSecretError,
    post_webhook,
    publish_sns,
    read_webhook_url,
)
from .signals import CLARIFY_KINDS, execution_kind, monitoring_type, parse_time, signal_for

logger = logging.getLogger(__name__)

class Summary(TypedDict):
    processed: int
    alerted: int
    duplicates: int
    malformed: int
    ignored: int
    grouped: int
    """Firing signals of an incident that was already announced: no alert (incidents.py)."""
    degraded: int
    errors: list[str]


@dataclass
class Runtime:
    """Per-container state: settings, clients, the dedupe and incident stores and the cached webhook URL."""

    settings: Settings
    clients: Clients
    deduper: Deduper
    incidents: IncidentStore
    webhook_url: str = ""


def build_runtime(env: Mapping[str, str], **clients: Any) -> Runtime:
    """Settings from `env`; boto3 clients unless injected by keyword (s3, sagemaker, sns, ssm, secrets, dynamodb)."""
    settings = Settings.from_env(env)
    logs.configure(settings.log_level)
    made = Clients(clients)
    deduper: Deduper = MemoryDeduper()
    store: IncidentStore = MemoryIncidentStore()
    if settings.state_table:
        deduper = DynamoDeduper(made.get("dynamodb"), settings.state_table, settings.dedupe_ttl_seconds)
        store = DynamoIncidentStore(made.get("dynamodb"), settings.state_table)
    return Runtime(settings=settings, clients=made, deduper=deduper, incidents=store)


_RUNTIME: Runtime | None = None


def handler(event: object, context: object) -> Summary:
    global _RUNTIME  # noqa: PLW0603 — one runtime per Lambda container is the point of the cache
    if _RUNTIME is None:
        _RUNTIME = build_runtime(os.environ)
    return handle(event, _RUNTIME, function_name=str(getattr(context, "function_name", "") or ""))


def reset_runtime() -> None:
    """Forget the container's runtime (tests; a new configuration)."""
    global _RUNTIME  # noqa: PLW0603
    _RUNTIME = None


def handle(event: object, rt: Runtime, function_name: str = "") -> Summary:
    summary = Summary(processed=0, alerted=0, duplicates=0, malformed=0, ignored=0, grouped=0, degraded=0,
                      errors=[])
    for where, item in parse_event(event, own_topic_arn=rt.settings.topic_arn):
        summary["processed"] += 1
        if isinstance(item, Malformed):
            summary["malformed"] += 1
            summary["errors"].append(f"{where}: malformed: {item.reason}")
            logger.warning("rejected malformed record", extra=logs.alert_fields(
                outcome="malformed", reason=item.reason, where=where))
            continue
        _process(where, item, rt, summary)
    counters = {key: value for key, value in summary.items() if isinstance(value, int)}
    logger.info("alert handler metrics", extra={"emf": logs.emf_record(counters, function_name)})
    return summary


def _process(where: str, record: Alertable, rt: Runtime, summary: Summary) -> None:
    ctx, problem = context_for(record)
    decided = _decide(where, record, ctx, rt, summary)
    if decided is None:
        return
    ctx, job, firing = decided
    key = dedupe_key(record)
    if key and not rt.deduper.claim(key):
        summary["duplicates"] += 1
        _log(logging.INFO, "duplicate delivery suppressed", ctx, record, "duplicate", where=where, dedupe_key=key)
        return
    notes = [note for note in (problem, rt.deduper.last_error) if note]
    if isinstance(record, ProcessingJobChange) and job is None and not (ctx.endpoint and ctx.schedule):
        # The documented event detail has no Environment: the job's description names endpoint and schedule.
        try:
            job = describe_job(rt.clients.sagemaker, record.job_name)
            ctx = _with_job(ctx, job)
        except AWS_ERRORS as err:
            notes.append(f"DescribeProcessingJob({record.job_name}): {aws_error_note(err)}")
    if job is not None and job.own_run_events:
        _ignore_own_run(where, record, ctx, summary)
        return
    if not _failure_notifications_wanted(record, ctx, job, rt, notes):
        summary["ignored"] += 1
        _log(logging.INFO, "failed execution not alerted: the monitor turned notifyOnExecutionFailure off", ctx,
             record, "ignored", where=where)
        return
    if firing is False:
        _publish_run_metrics(where, record, ctx, job, violations=(), rt=rt, summary=summary)
        if _clear(where, record, ctx, rt, summary, key=key):
            return
    enrichment = enrich(record, ctx, aws=rt.clients, artifact_bucket=rt.settings.artifact_bucket, job=job)
    if firing and (enrichment.violations or not enrichment.errors):
        _publish_run_metrics(where, record, ctx, job, violations=enrichment.violations, rt=rt, summary=summary)
    enrichment = replace(enrichment, errors=(*notes, *enrichment.errors))
    alert = render(record, ctx, enrichment, rt.settings.dashboard_url_template)
    lifecycle = _lifecycle(where, record, ctx, rt, summary, violations=enrichment.violations) if firing else None
    if lifecycle is not None:
        transition, _ = lifecycle
        if transition.step == "none" or transition.incident is None:
            summary["grouped"] += 1
            _log(logging.INFO, f"no alert: {transition.why}", ctx, record, "grouped", where=where)
            return
        alert = with_incident(alert, transition.incident, transition.step, rt.settings.repeat_for(ctx.schedule))
    if not _deliver(where, alert, ctx=ctx, record=record, rt=rt, summary=summary):
        if key:
            rt.deduper.release(key)  # let a retry of this delivery alert
        if lifecycle is not None:
            _release(rt, *lifecycle)
        return
    summary["alerted"] += 1
    if enrichment.errors:
        summary["degraded"] += 1
        summary["errors"].append(f"{where}: degraded: {'; '.join(enrichment.errors)}")
    outcome = "alerted_degraded" if enrichment.errors else "alerted"
    _log(logging.INFO, f"alert sent: {alert.subject}", ctx, record, outcome, where=where,
         reason="; ".join(enrichment.errors))


def _lifecycle(where: str, record: Alertable, ctx: MonitorContext, rt: Runtime, summary: Summary, *,
               violations: tuple[Violation, ...]) -> tuple[Transition, Incident | None] | None:
    """Apply a firing signal to its incident; None when the record has none or the state is unreachable (then it
    alerts on its own, with a note: a duplicate page beats a lost one)."""
    signal = signal_for(record, ctx, firing=True, violations=violations, now=time.time())
    if signal is None:
        return None
    return _advance(where, record, ctx, rt, summary, signal=signal, consequence="alerting without it")


def _advance(where: str, record: Alertable, ctx: MonitorContext, rt: Runtime, summary: Summary, *,
             signal: Signal, consequence: str, refine: Callable[[Incident | None, Signal], Signal] | None = None
             ) -> tuple[Transition, Incident | None] | None:
    try:
        return incident_store.advance(rt.incidents, signal, rt.settings.repeat_for(ctx.schedule), refine=refine)
    except (*AWS_ERRORS, IncidentConflict) as err:
        note = aws_error_note(err) if isinstance(err, AWS_ERRORS) else str(err)
        summary["errors"].append(f"{where}: incident state unavailable, {consequence}: {note}")
        _log(logging.ERROR, "incident state unavailable", ctx, record, "state_failed", reason=note, where=where)
        return None


def _clear(where: str, record: Alertable, ctx: MonitorContext, rt: Runtime, summary: Summary, *, key: str) -> bool:
    """A clean run or an alarm back to OK: RESOLVED when it closes the incident. False: not an incident signal
    (an OK of another alarm kind), to be alerted as before."""
    signal = signal_for(record, ctx, firing=False, violations=(), now=time.time())
    if signal is None:
        if isinstance(record, AlarmNotification):
            return False
        summary["ignored"] += 1
        _log(logging.INFO, "clean run", ctx, record, "ignored", where=where)
        return True
    advanced = _advance(where, record, ctx, rt, summary, signal=signal,
                        consequence="cannot tell whether this resolves",
                        refine=_settled_alarms(where, record, ctx, rt, summary))
    if advanced is None:
        return True
    transition = advanced[0]
    if transition.step != "resolve" or transition.incident is None:
        summary["ignored"] += 1
        _log(logging.INFO, f"no alert: {transition.why}", ctx, record, "ignored", where=where)
        return True
    alert = render_resolved(transition.incident, ctx, rt.settings.dashboard_url_template)
    if _deliver(where, alert, ctx=ctx, record=record, rt=rt, summary=summary):
        summary["alerted"] += 1
        _log(logging.INFO, f"alert sent: {alert.subject}", ctx, record, "alerted", where=where)
    elif key:
        rt.deduper.release(key)
    return True


def _settled_alarms(where: str, record: Alertable, ctx: MonitorContext, rt: Runtime, summary: Summary
                    ) -> Callable[[Incident | None, Signal], Signal]:
    """Completes a clear signal with the incident's other alarms that are not firing any more (alarm_states.py),
    from the incident `incident_store.advance` has just read. A failed DescribeAlarms leaves the signal as it was:
    the incident then waits for those alarms' own OK, as before. Asked once per set of alarms (a lost race
    re-reads the incident, not CloudWatch)."""
    answers: dict[tuple[str, ...], tuple[str, ...]] = {}

    def refine(current: Incident | None, signal: Signal) -> Signal:
        if current is None or not current.is_open:
            return signal
        sources = alarm_states.alarm_sources(current.open_sources, besides=signal.source)
        if sources not in answers:
            try:
                answers[sources] = alarm_states.settled_alarms(rt.clients.alarms, sources)
            except AWS_ERRORS as err:
                note = f"DescribeAlarms: {aws_error_note(err)}"
                summary["errors"].append(f"{where}: alarm states unknown, waiting for their OK: {note}")
                _log(logging.WARNING, "alarm states unknown", ctx, record, "alarm_states_failed", reason=note,
                     where=where)
                answers[sources] = ()
        settled = answers[sources]
        return replace(signal, settled=settled) if settled else signal

    return refine


def _publish_run_metrics(where: str, record: Alertable, ctx: MonitorContext, job: JobOutcome | None, *,
                         violations: tuple[Violation, ...], rt: Runtime, summary: Summary) -> None:
    """Our run metrics for a completed Model Monitor data-quality, bias or attribution execution (run_metrics.py);
    other records none."""
    if not isinstance(record, ProcessingJobChange) or record.status != "Completed" or job is None:
        return
    kind = monitoring_type(ctx.kind, ctx.schedule)
    if not ctx.endpoint or not ctx.schedule or kind not in run_metrics.NAMESPACES:
        return
    seconds = parse_time(record.time)
    created = job.created_at or (datetime.fromtimestamp(seconds, UTC) if seconds is not None else None)
    try:
        if created is None:
            raise ValueError("the job has no CreationTime")
        run_metrics.publish(rt.clients.cloudwatch, run_metrics.run_metric_data(
            violations, endpoint=ctx.endpoint, schedule=ctx.schedule, timestamp=run_metrics.scheduled_hour(created),
            monitoring_type=kind), run_metrics.NAMESPACES[kind])
    except (*AWS_ERRORS, ValueError) as err:
        note = f"PutMetricData: {aws_error_note(err)}" if isinstance(err, AWS_ERRORS) else str(err)
        summary["errors"].append(f"{where}: run metrics not published: {note}")
        _log(logging.ERROR, "run metrics not published", ctx, record, "metrics_failed", reason=note, where=where)


def _release(rt: Runtime, transition: Transition, previous: Incident | None) -> None:
    # On failure the next firing signal waits for the repeat interval; the failed delivery is noted already.
    with contextlib.suppress(*AWS_ERRORS):
        incident_store.release(rt.incidents, transition, previous)


def _failure_notifications_wanted(record: Alertable, ctx: MonitorContext, job: JobOutcome | None, rt: Runtime,
                                  notes: list[str]) -> bool:
    """A failed Model Monitor execution is reported unless its schedule is tagged off (a read error reports it)."""
    if not isinstance(record, ProcessingJobChange) or ctx.kind != "execution_failed":
        return True
    arn = record.schedule_arn or (job.schedule_arn if job is not None else "")
    if not arn:
        return True
    try:
        return failure_notifications_enabled(rt.clients.sagemaker, arn)
    except AWS_ERRORS as err:
        notes.append(f"ListTags({arn.rsplit('/', 1)[-1]}): {aws_error_note(err)}")
        return True


def _decide(
    where: str, record: Alertable, ctx: MonitorContext, rt: Runtime, summary: Summary
) -> tuple[MonitorContext, JobOutcome | None, bool | None] | None:
    """(context, job description if fetched, firing: True / clear: False / neither: None) for records to act on;
    None when the record needs nothing."""
    decision = decide(record)
    if decision.action == "ignore":
        summary["ignored"] += 1
        _log(logging.INFO, decision.why, ctx, record, "ignored", where=where)
        return None
    if decision.action == "clear":
        return ctx, None, False
    if decision.action == "alert" or not isinstance(record, ProcessingJobChange):
        return ctx, None, _firing(record)
    try:
        job = describe_job(rt.clients.sagemaker, record.job_name)
    except AWS_ERRORS as err:
        note = f"DescribeProcessingJob({record.job_name}): {aws_error_note(err)}"
        summary["errors"].append(f"{where}: cannot tell whether the run found violations: {note}")
        _log(logging.ERROR, "completed job not verified", ctx, record, "unverified", reason=note, where=where)
        return None
    if job.own_run_events:
        _ignore_own_run(where, record, ctx, summary)
        return None
    ctx = _with_job(ctx, job)
    if not ctx.endpoint and job.schedule_arn:
        ctx = _with_tagged_endpoint(where, ctx, job.schedule_arn, rt, summary)
    firing = has_violations(job.exit_message)
    if not firing and job.output_uri and monitoring_type(ctx.kind, ctx.schedule) in CLARIFY_KINDS:
        try:
            firing = violations_listed(rt.clients.s3, job.output_uri)
        except (*AWS_ERRORS, ViolationsFileError, ValueError) as err:
            note = aws_error_note(err) if isinstance(err, AWS_ERRORS) else str(err)
            summary["errors"].append(f"{where}: cannot tell whether the run found violations: {note}")
            _log(logging.ERROR, "completed job not verified", ctx, record, "unverified", reason=note, where=where)
            return None
    return ctx, job, firing


def _with_tagged_endpoint(where: str, ctx: MonitorContext, schedule_arn: str, rt: Runtime,
                          summary: Summary) -> MonitorContext:
    """The Endpoint dimension from the schedule's tag when the job names no endpoint (a batch transform source;
    a Clarify job's environment is not documented to name one)."""
    try:
        endpoint = schedule_tags(rt.clients.sagemaker, schedule_arn).get(ENDPOINT_DIMENSION_TAG, "")
    except AWS_ERRORS as err:
        summary["errors"].append(f"{where}: ListTags({schedule_arn.rsplit('/', 1)[-1]}): {aws_error_note(err)}")
        return ctx
    return replace(ctx, endpoint=endpoint)


def _firing(record: Alertable) -> bool | None:
    match record:
        case AlarmNotification(new_state="ALARM"):
            return True
        case AlarmNotification(new_state="OK"):
            return False
        case RunChange(status="CompletedWithViolations"):
            return True
    return None


def _ignore_own_run(where: str, record: Alertable, ctx: MonitorContext, summary: Summary) -> None:
    summary["ignored"] += 1
    _log(logging.INFO, "processing job of our processingJob engine: its run event alerts", ctx, record, "ignored",
         where=where)


def _with_job(ctx: MonitorContext, job: JobOutcome) -> MonitorContext:
    schedule = ctx.schedule or job.schedule
    return replace(ctx, endpoint=ctx.endpoint or job.endpoint, schedule=schedule,
                   kind=execution_kind(ctx.kind, schedule))


def _deliver(
    where: str, alert: Alert, *, ctx: MonitorContext, record: Alertable, rt: Runtime, summary: Summary
) -> bool:
    delivered = False
    try:
        publish_sns(rt.clients.sns, rt.settings.topic_arn, alert)
        delivered = True
    except AWS_ERRORS as err:
        note = f"SNS publish failed: {aws_error_note(err)}"
        summary["errors"].append(f"{where}: {note}")
        _log(logging.ERROR, "SNS publish failed", ctx, record, "publish_failed", reason=note, where=where)
    if rt.settings.webhook_secret is None:
        return delivered
    url = _webhook_url(where, ctx, record, rt, summary)
    if not url:
        return delivered
    result = post_webhook(url, alert, timeout=rt.settings.webhook_timeout_seconds)
    if result.delivered:
        _log(logging.INFO, "webhook delivered", ctx, record, "webhook_delivered", reason=result.detail, where=where)
        return True
    summary["errors"].append(f"{where}: webhook failed after {result.attempts} attempt(s): {result.detail}")
    _log(logging.WARNING, "webhook failed", ctx, record, "webhook_failed",
         reason=f"{result.detail} after {result.attempts} attempt(s)", where=where)
    return delivered


def _webhook_url(where: str, ctx: MonitorContext, record: Alertable, rt: Runtime, summary: Summary) -> str:
    if rt.webhook_url or rt.settings.webhook_secret is None:
        return rt.webhook_url
    try:
        rt.webhook_url = read_webhook_url(rt.settings.webhook_secret, rt.clients.ssm, rt.clients.secrets)
    except AWS_ERRORS as err:
        note = f"webhook secret {rt.settings.webhook_secret.name} unreadable: {aws_error_note(err)}"
    except (WebhookSecretError, KeyError) as err:
        note = f"webhook secret {rt.settings.webhook_secret.name} unusable: {err}"
    else:
        return rt.webhook_url
    summary["errors"].append(f"{where}: {note}")
    _log(logging.ERROR, "webhook secret unavailable", ctx, record, "webhook_failed", reason=note, where=where)
    return ""


def _log(level: int, message: str, ctx: MonitorContext, record: Alertable, outcome: str, **more: str) -> None:
    logger.log(level, message, extra=logs.alert_fields(
        monitor=ctx.monitor, endpoint=ctx.endpoint, kind=ctx.kind, state=_state(record), outcome=outcome,
        **{k: v for k, v in more.items() if v}))


def _state(record: Alertable) -> str:
    match record:
        case AlarmNotification():
            return record.new_state
        case ProcessingJobChange() | ScheduleChange() | RunChange():
            return record.status
    return "TEST"
