"""CloudWatch alarm evaluation, reproduced for the local demo (moto stores alarms but never evaluates them).

Semantics follow CloudWatch's documentation ("Evaluating an alarm", "Configuring how CloudWatch alarms treat
missing data"): at each period the alarm looks at the last `evaluationPeriods` datapoints; it is ALARM when at
least `datapointsToAlarm` of them breach. Missing datapoints are treated per `treatMissingData`: `breaching` and
`notBreaching` count them as such; `missing` ignores them and goes INSUFFICIENT_DATA when all are missing;
`ignore` keeps the current state when all are missing.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
    notifies_ok: bool = False
    """The plan gives the alarm OKActions: CloudWatch publishes its OK transitions too."""

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
            notifies_ok=bool(inputs.get("okActions")),
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


REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
                "us-west-2": "US West (Oregon)", "eu-west-1": "Europe (Ireland)"}


def sns_alarm_event(transition: Transition, *, region: str, account: str, alarms_topic_arn: str,
                    changed_at: datetime) -> dict[str, Any]:
    """The Lambda event SNS delivers when CloudWatch publishes this state change to the alarm's action topic."""
    alarm = transition.alarm
    region_name = REGION_NAMES.get(region, region)
    message = {
        "AlarmName": alarm.name, "AlarmDescription": alarm.description, "AWSAccountId": account,
        "NewStateValue": transition.new_state, "NewStateReason": transition.reason,
        "StateChangeTime": changed_at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "Region": region_name,
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm.name}",
        "OldStateValue": transition.old_state,
        "Trigger": {
            "MetricName": alarm.metric_name, "Namespace": alarm.namespace, "StatisticType": "Statistic",
            "Statistic": alarm.statistic.upper(), "Unit": None,
            "Dimensions": [{"value": v, "name": k} for k, v in alarm.dimensions.items()],
            "Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm, "ComparisonOperator": alarm.comparison,
            "Threshold": alarm.threshold, "TreatMissingData": alarm.treat_missing_data,
            "EvaluateLowSampleCountPercentile": "",
        },
    }
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{alarms_topic_arn}:{uuid.uuid5(uuid.NAMESPACE_URL, alarms_topic_arn)}",
        "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": alarms_topic_arn,
                "Subject": f'{transition.new_state}: "{alarm.name}" in {region_name}'[:100],
                "Message": json.dumps(message), "Timestamp": changed_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "MessageAttributes": {}},
    }]}
