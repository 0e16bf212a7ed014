"""CloudWatch alarm evaluation, reproduced for the local demo (moto stores alarms but never evaluates them).

Semantics follow CloudWatch's documentation ("Evaluating an alarm", "Configuring how CloudWatch alarms treat
missing data"): at each period the alarm looks at the last `evaluationPeriods` datapoints; it is ALARM when at
least `datapointsToAlarm` of them breach. Missing datapoints are treated per `treatMissingData`: `breaching` and
`notBreaching` count them as such; `missing` ignores them and goes INSUFFICIENT_DATA when all are missing;
`ignore` keeps the current state when all are missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]

_COMPARISONS = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


class UnsupportedAlarm(ValueError):
    """An alarm shape the demo evaluator does not reproduce (e.g. anomaly detection bands)."""


@dataclass(frozen=True)
class AlarmDefinition:
    name: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    statistic: str
    period: int
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str = "missing"
    description: str = ""

    @classmethod
    def from_plan_inputs(cls, name: str, inputs: Mapping[str, Any]) -> AlarmDefinition:
        """Build from a rendered plan's `aws:cloudwatch/metricAlarm:MetricAlarm` inputs (wire format)."""
        if inputs.get("metricQueries"):
            raise UnsupportedAlarm(f"{name}: metric-math alarms are not evaluated by the demo")
        comparison = str(inputs["comparisonOperator"])
        if comparison not in _COMPARISONS:
            raise UnsupportedAlarm(f"{name}: comparison {comparison} is not evaluated by the demo")
        periods = int(inputs["evaluationPeriods"])
        return cls(
            name=str(inputs.get("name") or name), namespace=str(inputs["namespace"]),
            metric_name=str(inputs["metricName"]), dimensions=dict(inputs.get("dimensions") or {}),
            statistic=str(inputs.get("statistic") or "Average"), period=int(inputs["period"]),
            threshold=float(inputs["threshold"]), comparison=comparison, evaluation_periods=periods,
            datapoints_to_alarm=int(inputs.get("datapointsToAlarm") or periods),
            treat_missing_data=str(inputs.get("treatMissingData") or "missing"),
            description=str(inputs.get("alarmDescription") or ""),
        )

    def breaches(self, value: float) -> bool:
        return bool(_COMPARISONS[self.comparison](value, self.threshold))


def evaluate(alarm: AlarmDefinition, window: Sequence[float | None], current: AlarmState) -> AlarmState:
    """The state after evaluating the latest `evaluation_periods` datapoints of `window` (None = missing)."""
    padding: list[float | None] = [None] * (alarm.evaluation_periods - len(window[-alarm.evaluation_periods:]))
    recent = padding + list(window[-alarm.evaluation_periods:])
    present = [v for v in recent if v is not None and not math.isnan(v)]
    missing = len(recent) - len(present)
    breaching = sum(alarm.breaches(v) for v in present)
    if alarm.treat_missing_data == "breaching":
        breaching += missing
    elif alarm.treat_missing_data in ("missing", "ignore") and not present:
        return "INSUFFICIENT_DATA" if alarm.treat_missing_data == "missing" else current
    return "ALARM" if breaching >= alarm.datapoints_to_alarm else "OK"


@dataclass(frozen=True)
class Transition:
    alarm: AlarmDefinition
    old_state: AlarmState
    new_state: AlarmState
    period_index: int
    reason: str


def run_alarm(alarm: AlarmDefinition, datapoints: Sequence[float | None],
              initial: AlarmState = "INSUFFICIENT_DATA") -> tuple[list[AlarmState], list[Transition]]:
    """Evaluate after every period; return the state per period and each state change with CloudWatch-like
    reason text."""
    states: list[AlarmState] = []
    transitions: list[Transition] = []
    state = initial
    for index in range(len(datapoints)):
        window = datapoints[: index + 1]
        new = evaluate(alarm, window, state)
        if new != state:
            transitions.append(Transition(alarm, state, new, index, _reason(alarm, window, new)))
            state = new
        states.append(state)
    return states, transitions


def _reason(alarm: AlarmDefinition, window: Sequence[float | None], state: AlarmState) -> str:
    recent = window[-alarm.evaluation_periods:]
    shown = ", ".join("missing" if v is None else f"{v:.4g}" for v in recent)
    if state == "INSUFFICIENT_DATA":
        return f"Insufficient Data: {len(recent)} datapoints were unknown."
    verb = "was" if state == "ALARM" else "was not"
    return (f"Threshold Crossed: {alarm.datapoints_to_alarm} out of the last {alarm.evaluation_periods} "
            f"datapoints [{shown}] {verb} {alarm.comparison} the threshold ({alarm.threshold:g}).")
