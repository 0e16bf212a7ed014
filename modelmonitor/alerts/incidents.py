"""Incident lifecycle (pure): which signal opens, reminds about or resolves an incident.

An incident groups everything one monitor says about one monitoring type (its schedule: data quality, model
quality; bias and explainability later), as Alertmanager groups alerts and PagerDuty groups events:

- the first *firing* signal (a run with violations, a drift / model-quality alarm entering ALARM) opens it and
  sends one alert;
- while it stays open, further firing signals send nothing, except a reminder once `repeat_seconds` passed since
  the last alert (checked when a signal arrives: the Lambda has no clock of its own);
- it closes when every source that fired is clear again (the latest run is clean and every alarm that fired is
  back to OK) and sends one RESOLVED alert with the incident's duration and worst values. An alarm that is no
  longer firing when a clear signal arrives counts as clear even if its own OK never came (`Signal.settled`): a
  deleted or renamed alarm sends none, nor does one going to INSUFFICIENT_DATA.

Sources are the monitor's runs (`RUNS_SOURCE`) and each alarm by name. Waiting for all of them avoids flapping:
an M-of-N alarm stays in ALARM for a run or two after the first clean run, and a violation that is not drift (say
completeness) keeps runs violating while the drift alarm is back to OK.

Signals carry their own time (the alarm's StateChangeTime, the event's time): a signal older than the last one
seen from the same source is stale (at-least-once delivery, retries) and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

RUNS_SOURCE = "runs"
STATE_VERSION = 1

Step = Literal["open", "remind", "resolve", "none"]


@dataclass(frozen=True)
class Signal:
    group: str
    """`{endpoint}/{schedule}`: one schedule per monitor and monitoring type, on every engine."""
    monitoring_type: str
    source: str
    firing: bool
    at: float
    """Epoch seconds of the observation."""
    monitor: str = ""
    endpoint: str = ""
    schedule: str = ""
    violations: int = 0
    worst_feature: str = ""
    worst_distance: float | None = None
    summary: str = ""
    """One line for the alert: which run / alarm said what."""
    metric: str = ""
    """A firing alarm's name, with its worst breaching datapoint (`metric_value`)."""
    metric_value: float | None = None
    lower_is_worse: bool = False
    settled: tuple[str, ...] = ()
    """A clear signal's news about other sources: alarms the handler found not firing when the signal arrived
    (back to OK or INSUFFICIENT_DATA without a notification we saw, or deleted: an alarm that no longer exists
    never says OK). They stop holding the incident open unless they fired after this signal's time."""


@dataclass(frozen=True)
class Incident:
    group: str
    monitoring_type: str
    monitor: str
    endpoint: str
    schedule: str
    opened_at: float
    closed_at: float | None = None
    announced_at: float | None = None
    """When the last opening alert or reminder went out; None until one was delivered."""
    open_sources: tuple[str, ...] = ()
    seen: tuple[tuple[str, float], ...] = ()
    """Latest signal time per source (kept across incidents, for staleness)."""
    worst_violations: int = 0
    worst_feature: str = ""
    worst_distance: float | None = None
    firing_signals: int = 0
    reminders: int = 0
    opened_by: str = ""
    closed_by: str = ""
    worst_metrics: tuple[tuple[str, float, bool], ...] = ()
    """(alarm, worst breaching value, lower is worse) per alarm that fired."""

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def duration_seconds(self, now: float) -> float:
        return max(0.0, (self.closed_at if self.closed_at is not None else now) - self.opened_at)

    def last_seen(self, source: str) -> float | None:
        return next((at for name, at in self.seen if name == source), None)


@dataclass(frozen=True)
class Transition:
    incident: Incident | None
    step: Step
    why: str
    changed: bool = field(default=True)


def step(current: Incident | None, signal: Signal, repeat_seconds: float) -> Transition:
    """The next state of the signal's incident and what to announce. Pure and total."""
    if current is not None:
        last = current.last_seen(signal.source)
        if last is not None and signal.at < last:
            return Transition(current, "none", f"stale signal from {signal.source}", changed=False)
    if signal.firing:
        return _firing(current, signal, repeat_seconds)
    return _clear(current, signal)


def _firing(current: Incident | None, signal: Signal, repeat_seconds: float) -> Transition:
    seen = _seen(current, signal)
    if current is None or not current.is_open:
        opened = Incident(
            group=signal.group, monitoring_type=signal.monitoring_type, monitor=signal.monitor,
            endpoint=signal.endpoint, schedule=signal.schedule, opened_at=signal.at, announced_at=signal.at,
            open_sources=(signal.source,), seen=seen, worst_violations=signal.violations,
            worst_feature=signal.worst_feature, worst_distance=signal.worst_distance, firing_signals=1,
            opened_by=signal.summary, worst_metrics=_worst_metrics((), signal))
        return Transition(opened, "open", "first firing signal")
    worst_feature, worst_distance = current.worst_feature, current.worst_distance
    if signal.worst_distance is not None and (worst_distance is None or signal.worst_distance > worst_distance):
        worst_feature, worst_distance = signal.worst_feature, signal.worst_distance
    updated = replace(
        current, open_sources=tuple(sorted({*current.open_sources, signal.source})), seen=seen,
        worst_violations=max(current.worst_violations, signal.violations), worst_feature=worst_feature,
        worst_distance=worst_distance, firing_signals=current.firing_signals + 1,
        monitor=current.monitor or signal.monitor, worst_metrics=_worst_metrics(current.worst_metrics, signal))
    if current.announced_at is None:
        # The opening alert was never delivered (its delivery failed): this signal announces the incident.
        return Transition(replace(updated, announced_at=signal.at), "open", "opening alert not delivered yet")
    if signal.at - current.announced_at >= repeat_seconds:
        return Transition(replace(updated, announced_at=signal.at, reminders=current.reminders + 1), "remind",
                          f"still open {repeat_seconds:.0f} s after the last alert")
    return Transition(updated, "none", "incident already open and announced")


def _clear(current: Incident | None, signal: Signal) -> Transition:
    if current is None:
        return Transition(None, "none", "no incident for this monitor", changed=False)
    seen = _seen(current, signal)
    if not current.is_open:
        return Transition(replace(current, seen=seen), "none", "no open incident")
    settled = {source for source in signal.settled if (current.last_seen(source) or 0.0) <= signal.at}
    remaining = tuple(s for s in current.open_sources if s != signal.source and s not in settled)
    if remaining:
        return Transition(replace(current, open_sources=remaining, seen=seen), "none",
                          f"still firing: {', '.join(remaining)}")
    closed = replace(current, open_sources=(), seen=seen, closed_at=signal.at, closed_by=signal.summary)
    return Transition(closed, "resolve", "every source that fired is clear")


def _worst_metrics(known: tuple[tuple[str, float, bool], ...], signal: Signal
                   ) -> tuple[tuple[str, float, bool], ...]:
    if not signal.metric or signal.metric_value is None:
        return known
    worst = {name: (value, lower) for name, value, lower in known}
    value, lower = signal.metric_value, signal.lower_is_worse
    if signal.metric in worst:
        previous = worst[signal.metric][0]
        value = min(value, previous) if lower else max(value, previous)
    worst[signal.metric] = (value, lower)
    return tuple((name, v, low) for name, (v, low) in sorted(worst.items()))


def _seen(current: Incident | None, signal: Signal) -> tuple[tuple[str, float], ...]:
    known = dict(current.seen) if current is not None else {}
    known[signal.source] = max(signal.at, known.get(signal.source, signal.at))
    return tuple(sorted(known.items()))


def unannounce(incident: Incident, previous: Incident | None) -> Incident:
    """The incident as if the alert just claimed had not gone out: the next firing signal announces it."""
    before = previous.announced_at if previous is not None and previous.is_open else None
    reminders = previous.reminders if previous is not None and previous.is_open else 0
    return replace(incident, announced_at=before, reminders=reminders)


def to_json(incident: Incident) -> str:
    return json.dumps({"v": STATE_VERSION, **asdict(incident)}, separators=(",", ":"), sort_keys=True)


def from_json(text: str) -> Incident:
    """Raises ValueError on a document this version cannot read."""
    raw: Any = json.loads(text)
    if not isinstance(raw, dict) or raw.pop("v", None) != STATE_VERSION:
        raise ValueError("incident state has an unknown version")
    raw["open_sources"] = tuple(raw.get("open_sources", ()))
    raw["seen"] = tuple((str(name), float(at)) for name, at in raw.get("seen", ()))
    raw["worst_metrics"] = tuple((str(n), float(v), bool(low)) for n, v, low in raw.get("worst_metrics", ()))
    try:
        return Incident(**raw)
    except TypeError as err:
        raise ValueError(f"incident state does not fit: {err}") from None


def state_key(group: str) -> str:
    return f"incident|{group}"


def format_duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins or not (days or hours)
             else ""]
    return " ".join(p for p in parts if p)
