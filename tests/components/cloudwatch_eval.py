"""CloudWatch's alarm evaluation, as AWS documents it (test helper; used to check that alarms see the datapoints
runs publish).

From the CloudWatch user guide, "Alarm evaluation" (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
alarm-evaluation.html): "Period is the length of time to use to evaluate the metric [...] to create each
individual data point for an alarm"; "Evaluation Periods is the number of the most recent periods, or data points,
to evaluate when determining alarm state"; "Datapoints to Alarm is the number of data points within the Evaluation
Periods that must be breaching to cause the alarm to go to the ALARM state". Missing data: `breaching` counts a
missing period as breaching, `notBreaching` as not, `ignore` keeps the current state when nothing is there to
evaluate (and otherwise evaluates the periods that have data), `missing` likewise leaves the state when every
period is missing.

What the page does not pin down is whether "the most recent period" is the one still in progress or the last
complete one. Both readings are modelled (`NEWEST`), and a design must hold under both. Periods are aligned to
multiples of Period (UTC), as CloudWatch aggregates datapoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

NEWEST = ("in-progress", "last-complete")
Newest = Literal["in-progress", "last-complete"]
State = Literal["ALARM", "OK", "UNCHANGED"]


@dataclass(frozen=True)
class Datapoint:
    timestamp: datetime
    value: float
    published: datetime
    """When the run put it (the alarm cannot see it before)."""


@dataclass(frozen=True)
class Alarm:
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing_data: str


_STATISTICS = {"Maximum": max, "Minimum": min, "SampleCount": len, "Sum": sum,
               "Average": lambda values: sum(values) / len(values)}
_COMPARISONS = {"GreaterThanThreshold": lambda v, t: v > t, "LessThanThreshold": lambda v, t: v < t,
                "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
                "LessThanOrEqualToThreshold": lambda v, t: v <= t}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def evaluation_range(at: datetime, period: int, count: int, newest: Newest) -> list[datetime]:
    """Start times of the `count` most recent periods at instant `at`, newest first."""
    seconds = int((at - EPOCH).total_seconds())
    current = EPOCH + timedelta(seconds=seconds - seconds % period)
    first = current if newest == "in-progress" else current - timedelta(seconds=period)
    return [first - timedelta(seconds=i * period) for i in range(count)]


def evaluate(alarm: Alarm, datapoints: Sequence[Datapoint], at: datetime, newest: Newest) -> State:
    breaching = evaluated = 0
    for start in evaluation_range(at, alarm.period, alarm.evaluation_periods, newest):
        end = start + timedelta(seconds=alarm.period)
        values = [d.value for d in datapoints if start <= d.timestamp < end and d.published <= at]
        if values:
            evaluated += 1
            aggregate = float(_STATISTICS[alarm.statistic](values))
            breaching += _COMPARISONS[alarm.comparison](aggregate, alarm.threshold)
        elif alarm.treat_missing_data == "breaching":
            evaluated += 1
            breaching += 1
        elif alarm.treat_missing_data == "notBreaching":
            evaluated += 1
    if evaluated == 0:
        return "UNCHANGED"
    return "ALARM" if breaching >= alarm.datapoints_to_alarm else "OK"


def visible(alarm: Alarm, datapoint: Datapoint, at: datetime, newest: Newest) -> bool:
    """Whether the datapoint is inside the alarm's evaluation range at `at` (and already published)."""
    if datapoint.published > at:
        return False
    starts = evaluation_range(at, alarm.period, alarm.evaluation_periods, newest)
    return any(s <= datapoint.timestamp < s + timedelta(seconds=alarm.period) for s in starts)
