"""Render one concise alert (SNS subject + body) from a parsed record, its monitor context and its enrichment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from .events import AlarmNotification, Alertable, ProcessingJobChange, RunChange, ScheduleChange, TestInvocation
from .incidents import Incident, format_duration
from .logic import SCHEDULE_KIND, TEST_KIND, MonitorContext, Violation, rank_violations, split_s3_uri

# SNS: "Subjects must be ... text with no line breaks or control characters, and less than 100 characters long";
# older docs say ASCII and starting with a letter, number or punctuation. We meet the strictest reading.
MAX_SUBJECT = 99
MAX_BODY = 16 * 1024
TOP_VIOLATIONS = 5

_KIND_TITLES = {
    "data_drift": "data drift",
    "model_quality": "model quality",
    "bias_drift": "bias drift",
    "attribution_drift": "feature attribution drift",
    "no_metrics": "no monitoring metrics",
    "execution_failed": "monitoring run",
    "no_captures": "no data captures",
    "ground_truth_coverage": "ground truth coverage low",
    SCHEDULE_KIND: "monitoring schedule",
    TEST_KIND: "alert route",
}

_KIND_MEANING = {
    "no_metrics": "No monitoring metrics arrived for several schedule periods: monitoring is not running, fails "
    "before it publishes, or publishes under another namespace. Drift would go unnoticed meanwhile.",
    "no_captures": "No new data-capture files arrived: the endpoint gets no traffic or data capture is off, so "
    "the next monitoring runs have nothing to analyse.",
    "ground_truth_coverage": "Too few predictions have ground-truth labels after the label delay: model-quality "
    "metrics are missing or unreliable.",
    "execution_failed": "A monitoring run failed: this window was not analysed.",
}

_NEXT_STEPS = {
    "data_drift": "Open the report and compare the drifted features with the baseline; if the shift is expected, "
    "re-baseline, otherwise trace the upstream data source feeding the endpoint.",
    "model_quality": "Open the report and check which metric degraded and since when; consider retraining on "
    "recent labelled data or rolling back the model.",
    "bias_drift": "Open analysis.json and compare each facet's metrics with the baseline's: which group's outcomes "
    "moved, in the labels (pre-training) or in the predictions (post-training); check the traffic mix before "
    "retraining or re-baselining.",
    "attribution_drift": "Open analysis.json and compare the features' global SHAP values with the baseline's: "
    "which features the model now relies on; check those features' data quality and recent model changes.",
    "no_metrics": "List the schedule's recent executions (aws sagemaker list-monitoring-executions "
    "--monitoring-schedule-name {schedule} --sort-by ScheduledTime --sort-order Descending) or our engine's "
    "scheduler/Lambda logs, and check the alarm's metric namespace matches what the analyzer publishes.",
    "no_captures": "Check the endpoint's Invocations metric and its DataCaptureConfig (aws sagemaker "
    "describe-endpoint --endpoint-name {endpoint}), and that the capture prefix in the artifact bucket is writable.",
    "ground_truth_coverage": "Check that the labelling pipeline writes to the ground-truth S3 URI in the "
    "yyyy/mm/dd/hh layout and that its eventId/inferenceId values match the captured requests.",
    "execution_failed": "Read the failure reason and the run's logs (SageMaker jobs: /aws/sagemaker/ProcessingJobs; "
    "lambda engine: the analyzer function's log group); fix the cause (permissions, baseline, input data) and "
    "wait for the next scheduled run.",
    SCHEDULE_KIND: "Describe the schedule (aws sagemaker describe-monitoring-schedule --monitoring-schedule-name "
    "{schedule}); restart it if it was stopped on purpose, fix FailureReason otherwise.",
    TEST_KIND: "Nothing to do: this confirms the alert route works.",
}


@dataclass(frozen=True)
class Enrichment:
    violations: tuple[Violation, ...] = ()
    run_uri: str = ""
    """S3 folder of the run the violations came from."""
    errors: tuple[str, ...] = field(default=())
    """Why enrichment is partial (API failures, bad files); the alert says it is degraded."""


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str


def render(record: Alertable, ctx: MonitorContext, enrichment: Enrichment, dashboard_template: str = "") -> Alert:
    state, since, headline, reason = _state_headline_reason(record, ctx)
    who = ctx.monitor or ctx.endpoint or ctx.schedule or _record_name(record)
    title = _KIND_TITLES.get(ctx.kind, "alarm")
    subject = sanitize_subject(f"[ModelMonitor] {state} {title}: {who}")

    lines = [f"{state}: {headline}"]
    meaning = "Recovered: the alarm condition no longer holds." if state == "OK" else (
        ctx.summary or _KIND_MEANING.get(ctx.kind, ""))
    if meaning:
        lines += ["", meaning]
    lines.append("")
    lines += _field_lines(
        ("Model", ctx.monitor),
        ("Endpoint", ctx.endpoint),
        ("Schedule", ctx.schedule),
        ("State", state + since),
        ("Reason", reason),
    )
    if enrichment.violations:
        ranked = rank_violations(enrichment.violations)
        shown = ranked[:TOP_VIOLATIONS]
        lines += ["", f"Top violations ({len(shown)} of {len(ranked)}):"]
        lines += [f"  - {_violation_line(v)}" for v in shown]
    elif isinstance(record, RunChange) and record.drifted_features:
        lines += ["", "Drifted features: " + ", ".join(record.drifted_features[:TOP_VIOLATIONS])]
    links = _field_lines(*_links(record, ctx, enrichment, dashboard_template))
    if links:
        lines += ["", *links]
    if state != "OK":
        step = _NEXT_STEPS.get(ctx.kind, "Open the alarm and its metric to see what breached.")
        lines += ["", "Next step: " + step.format(schedule=ctx.schedule or "<schedule>",
                                                  endpoint=ctx.endpoint or "<endpoint>")]
    if enrichment.errors:
        lines += ["", "Enrichment degraded: " + "; ".join(enrichment.errors)]
    body = "\n".join(lines)
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 20] + "\n… (truncated)"
    return Alert(subject=subject, body=body)


def sanitize_subject(text: str) -> str:
    """ASCII printable only, single line, starts with a printable non-space, < 100 characters."""
    ascii_only = "".join(ch if 32 <= ord(ch) < 127 else " " for ch in text)
    collapsed = re.sub(r"\s+", " ", ascii_only).strip()
    if len(collapsed) > MAX_SUBJECT:
        collapsed = collapsed[: MAX_SUBJECT - 3].rstrip() + "..."
    return collapsed or "ModelMonitor alert"


def dashboard_url(template: str, ctx: MonitorContext) -> str:
    """Fill `{monitor}`, `{namespace}`, `{name}`, `{endpoint}`, `{schedule}`, `{region}`; other braces stay as
    they are, so a bad template gives a visibly wrong link rather than a crash."""
    if ctx.dashboard:
        return ctx.dashboard
    if not template:
        return ""
    namespace, _, name = ctx.monitor.partition("/")
    values = {"monitor": ctx.monitor, "namespace": namespace, "name": name, "endpoint": ctx.endpoint,
              "schedule": ctx.schedule, "region": ctx.region}
    return re.sub(r"\{(\w+)\}", lambda m: quote(values.get(m[1], m[0]), safe="/") if m[1] in values else m[0],
                  template)


def _state_headline_reason(record: Alertable, ctx: MonitorContext) -> tuple[str, str, str, str]:
    """(state word, ' since …' suffix, headline, reason)."""
    where = f"{ctx.monitor or ctx.endpoint or '?'}" + (f" / {ctx.schedule}" if ctx.schedule else "")
    match record:
        case AlarmNotification():
            was = f" (was {record.old_state})" if record.old_state else ""
            since = f" since {record.state_change_time}{was}"
            return record.new_state, since, f"{record.alarm_name} on {where}", record.reason
        case ProcessingJobChange():
            if record.status == "Completed":
                return "VIOLATIONS", "", f"processing job {record.job_name} found violations on {where}", (
                    "the job's exit message reports CompletedWithViolations")
            return record.status.upper(), "", f"processing job {record.job_name} {record.status.lower()} on {where}", (
                record.failure_reason or "no failure reason given")
        case ScheduleChange():
            return record.status.upper(), "", f"monitoring schedule {record.schedule_name} is {record.status}", (
                record.failure_reason or f"schedule status changed to {record.status}")
        case RunChange():
            window = f" for window {record.window_start} to {record.window_end}" if record.window_start else ""
            if record.status == "Failed":
                return "FAILED", "", f"{record.engine or 'monitoring'} run failed on {where}{window}", (
                    record.failure_reason or "no failure reason given")
            return "VIOLATIONS", "", f"{record.violations} violation(s) on {where}{window}", (
                f"{record.monitoring_type or 'monitoring'} run completed with violations")
        case TestInvocation():
            return "TEST", "", record.message, "direct test invocation"
    raise AssertionError(f"unhandled record {type(record).__name__}")


def _record_name(record: Alertable) -> str:
    match record:
        case AlarmNotification():
            return record.alarm_name
        case ProcessingJobChange():
            return record.job_name
        case ScheduleChange():
            return record.schedule_name
        case RunChange():
            return record.monitor
        case TestInvocation():
            return "alert route"
    raise AssertionError(f"unhandled record {type(record).__name__}")


def _violation_line(v: Violation) -> str:
    if v.distance is not None and v.threshold is not None:
        return f"{v.feature}: distance {v.distance:.4g} > threshold {v.threshold:.4g} ({v.check_type})"
    return f"{v.feature}: {v.check_type}" + (f" - {v.description}" if v.description else "")


def _links(record: Alertable, ctx: MonitorContext, enrichment: Enrichment, template: str) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    report = enrichment.run_uri or (record.report_uri if isinstance(record, RunChange) else "")
    if report:
        links.append(("Report", report.rstrip("/") + "/"))
        console = _s3_console_url(report, ctx.region)
        if console:
            links.append(("Console", console))
    dashboard = dashboard_url(template, ctx)
    if dashboard:
        links.append(("Dashboard", dashboard))
    if isinstance(record, AlarmNotification) and record.region:
        links.append(("Alarm", f"https://{record.region}.console.aws.amazon.com/cloudwatch/home?region="
                               f"{record.region}#alarmsV2:alarm/{quote(record.alarm_name, safe='')}"))
    if isinstance(record, ProcessingJobChange) and record.region:
        links.append(("Job", f"https://{record.region}.console.aws.amazon.com/sagemaker/home?region="
                             f"{record.region}#/processing-jobs/{quote(record.job_name, safe='')}"))
    return links


def _s3_console_url(uri: str, region: str) -> str:
    try:
        bucket, key = split_s3_uri(uri)
    except ValueError:
        return ""
    prefix = quote(key.rstrip("/") + "/", safe="")
    region_part = f"region={region}&" if region else ""
    return f"https://s3.console.aws.amazon.com/s3/buckets/{quote(bucket, safe='')}?{region_part}prefix={prefix}"


def _field_lines(*pairs: tuple[str, str]) -> list[str]:
    return [f"{label + ':':<11}{value}" for label, value in pairs if value]


_TYPE_TITLES = {"data_quality": "data quality", "model_quality": "model quality", "model_bias": "model bias",
                "model_explainability": "model explainability"}


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _worst_line(incident: Incident) -> str:
    parts = [f"{incident.worst_violations} violation(s) in one run or alarm"] if incident.worst_violations else []
    if incident.worst_feature and incident.worst_distance is not None:
        parts.append(f"largest drift {incident.worst_feature} at distance {incident.worst_distance:.4g}")
    elif incident.worst_feature:
        parts.append(f"drifted feature {incident.worst_feature}")
    parts += [f"{name} {'as low as' if lower else 'up to'} {value:.4g}"
              for name, value, lower in incident.worst_metrics]
    return "; ".join(parts)


def with_incident(alert: Alert, incident: Incident, step: str, repeat_seconds: float) -> Alert:
    """An opening alert or reminder: the subject says which, the body says how the incident will end."""
    open_for = format_duration(incident.duration_seconds(incident.announced_at or incident.opened_at))
    prefix = "" if step == "open" else f"REMINDER (open {open_for}) "
    subject = sanitize_subject(alert.subject.replace("[ModelMonitor] ", f"[ModelMonitor] {prefix}", 1))
    lines = ["", f"Incident: {_TYPE_TITLES.get(incident.monitoring_type, incident.monitoring_type)} of "
             f"{incident.endpoint} / {incident.schedule}, open since {_when(incident.opened_at)}"
             f" ({incident.firing_signals} firing signal(s); still firing: {', '.join(incident.open_sources)})."]
    worst = _worst_line(incident)
    if worst:
        lines.append(f"Worst so far: {worst}.")
    lines.append(f"No further alert for this incident unless it is still open {format_duration(repeat_seconds)} "
                 "after this one; a RESOLVED alert follows once the runs are clean and its alarms are OK.")
    body = alert.body + "\n" + "\n".join(lines)
    return Alert(subject=subject, body=body[:MAX_BODY])


def render_resolved(incident: Incident, ctx: MonitorContext, dashboard_template: str = "") -> Alert:
    closed = incident.closed_at if incident.closed_at is not None else incident.opened_at
    title = _TYPE_TITLES.get(incident.monitoring_type, incident.monitoring_type)
    who = incident.monitor or ctx.monitor or incident.endpoint
    duration = format_duration(incident.duration_seconds(closed))
    lines = [f"RESOLVED: the {title} incident of {who} / {incident.schedule} is over after {duration}.", ""]
    lines += _field_lines(
        ("Model", incident.monitor or ctx.monitor),
        ("Endpoint", incident.endpoint),
        ("Schedule", incident.schedule),
        ("Opened", f"{_when(incident.opened_at)} ({incident.opened_by})" if incident.opened_by
         else _when(incident.opened_at)),
        ("Closed", f"{_when(closed)} ({incident.closed_by})" if incident.closed_by else _when(closed)),
        ("Duration", duration),
        ("Worst", _worst_line(incident)),
        ("Signals", f"{incident.firing_signals} firing, {incident.reminders} reminder(s) sent"),
    )
    dashboard = dashboard_url(dashboard_template, ctx)
    if dashboard:
        lines += ["", *_field_lines(("Dashboard", dashboard))]
    return Alert(subject=sanitize_subject(f"[ModelMonitor] RESOLVED {title}: {who}"), body="\n".join(lines))
