"""Which records are incident signals, and what they say (pure).

Runs (our run events, Model Monitor executions) and the drift / model-quality alarms of one schedule feed one
incident (incidents.py). Failed runs, heartbeat / no-captures / coverage / dead-letter alarms, schedule changes
and INSUFFICIENT_DATA keep one alert per transition: they say monitoring is broken, not that the model drifted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .alarm_states import ALARM_SOURCE_PREFIX
from .events import AlarmNotification, Alertable, ProcessingJobChange, RunChange
from .incidents import RUNS_SOURCE, Signal
from .logic import MonitorContext, Violation, rank_violations

INCIDENT_KINDS = frozenset({"data_drift", "model_quality", "bias_drift", "attribution_drift"})
_DATAPOINTS = re.compile(r"datapoints? \[(?P<points>[^\]]*)\]")
_VALUE = re.compile(r"(?:^|,\s*)(?P<value>[-+]?[0-9][0-9.eE+-]*) \(")
MODEL_QUALITY_SCHEDULE_SUFFIX = "-mq-schedule"
"""Our model-quality schedules end with this (components/names.py); every other schedule is data quality."""
_TYPES = (("model_quality", MODEL_QUALITY_SCHEDULE_SUFFIX, "model_quality"),
          ("bias_drift", "-mb-schedule", "model_bias"),
          ("attribution_drift", "-fa-schedule", "model_explainability"))
"""(alert kind, schedule suffix, monitoring type): one incident per monitor and type."""


CLARIFY_KINDS = {"model_bias": "bias_drift", "model_explainability": "attribution_drift"}
"""Monitoring type → alert kind of the types AWS's Clarify container runs under engine modelMonitor."""


def monitoring_type(kind: str, schedule: str) -> str:
    for type_kind, suffix, name in _TYPES:
        if kind == type_kind or schedule.endswith(suffix):
            return name
    return "data_quality"


EXECUTION_KINDS = {"model_quality": "model_quality", **CLARIFY_KINDS}
"""Monitoring type → alert kind of a Model Monitor execution that is not data quality's."""


def execution_kind(kind: str, schedule: str) -> str:
    """The alert kind of a Model Monitor execution: its event names no monitoring type (parsed as data_drift), its
    schedule's name does (components/names.py): a model-quality, bias or attribution schedule's execution is of
    that kind."""
    if kind != "data_drift":
        return kind
    return EXECUTION_KINDS.get(monitoring_type(kind, schedule), kind)


def parse_time(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 time (`…Z`, `…+00:00`, CloudWatch's `…+0000`); None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def signal_for(record: Alertable, ctx: MonitorContext, *, firing: bool, violations: tuple[Violation, ...],
               now: float) -> Signal | None:
    """The incident signal of a record the handler decided is firing (True) or clear (False); None when the
    record is not part of any incident (or names no endpoint and schedule to group by)."""
    if not ctx.endpoint or not ctx.schedule:
        return None
    match record:
        case AlarmNotification():
            if ctx.kind not in INCIDENT_KINDS or record.new_state == "INSUFFICIENT_DATA":
                return None
            source, at = f"{ALARM_SOURCE_PREFIX}{record.alarm_name}", parse_time(record.state_change_time)
            summary = f"alarm {record.alarm_name} {record.new_state}"
            count = len(violations)
        case RunChange():
            if record.status == "Failed":
                return None
            # A run counts when its window was judged: the window's end, plus the label delay for model quality
            # and bias — the clock alarms' StateChangeTime runs on, so an incident's duration mixes no two clocks.
            # Reruns of one window give one time (idempotent), and the demo's simulated hours order correctly.
            # Older events without it: the window's end, then the event's time.
            source, at = RUNS_SOURCE, (parse_time(record.evaluation_time) or parse_time(record.window_end)
                                       or parse_time(record.time))
            window = f" window {record.window_start} to {record.window_end}" if record.window_start else ""
            summary = f"run{window}: {record.violations} violation(s)" if firing else f"clean run{window}"
            count = record.violations
        case ProcessingJobChange():
            if record.status != "Completed":
                return None
            source, at = RUNS_SOURCE, parse_time(record.time)
            summary = f"execution {record.job_name}: " + ("violations" if firing else "no violations")
            count = len(violations)
        case _:
            return None
    worst_feature, worst_distance = _worst(record, violations)
    metric, value, lower = "", None, False
    if isinstance(record, AlarmNotification) and firing:
        # The alarm's name, not its metric: a metric-math alarm's value is its expression's, not one metric's.
        metric, lower = record.alarm_name, record.comparison.startswith("LessThan")
        value = breaching_value(record.reason, lower_is_worse=lower)
    return Signal(
        group=f"{ctx.endpoint}/{ctx.schedule}", monitoring_type=monitoring_type(ctx.kind, ctx.schedule),
        source=source, firing=firing, at=at if at is not None else now, monitor=ctx.monitor,
        endpoint=ctx.endpoint, schedule=ctx.schedule, violations=count if firing else 0,
        worst_feature=worst_feature, worst_distance=worst_distance if firing else None, summary=summary,
        metric=metric, metric_value=value, lower_is_worse=lower)


def breaching_value(reason: str, *, lower_is_worse: bool) -> float | None:
    """The worst datapoint CloudWatch lists in an alarm's NewStateReason ("… datapoints [0.41 (24/11/26 10:00:00),
    0.38 (…)] was greater than the threshold …"); None when the reason lists none."""
    match = _DATAPOINTS.search(reason)
    if not match:
        return None
    values = []
    for found in _VALUE.finditer(match["points"]):
        try:
            values.append(float(found["value"]))
        except ValueError:
            continue
    if not values:
        return None
    return min(values) if lower_is_worse else max(values)


def _worst(record: Alertable, violations: tuple[Violation, ...]) -> tuple[str, float | None]:
    ranked = rank_violations(violations)
    if ranked and ranked[0].distance is not None:
        return ranked[0].feature, ranked[0].distance
    if isinstance(record, RunChange) and record.drifted_features:
        return record.drifted_features[0], None
    return "", None
