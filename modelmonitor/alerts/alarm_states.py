"""Which alarms that hold an incident open are not firing any more (the I/O behind `incidents.Signal.settled`).

An incident waits for every alarm that fired to say OK. Some never will: an alarm deleted or renamed while in ALARM
(a feature dropped from the spec, a monitor deleted, a name scheme changed) sends no notification at all, and a
transition to INSUFFICIENT_DATA is not an incident signal. So when a clear signal arrives, the handler asks
CloudWatch (DescribeAlarms by name) about the incident's other open alarms: one that is missing, or in any state
but ALARM, is settled. A failed call settles nothing (the incident stays open, as before; the caller notes why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

ALARM_SOURCE_PREFIX = "alarm:"
"""Incident sources of alarms are `alarm:{AlarmName}` (signals.signal_for)."""
DESCRIBE_LIMIT = 100
"""DescribeAlarms takes at most 100 AlarmNames (botocore's AlarmNames shape: max 100)."""


class AlarmReader(Protocol):
    def describe_alarms(self, **kwargs: Any) -> dict[str, Any]: ...


def alarm_sources(open_sources: Sequence[str], *, besides: str) -> tuple[str, ...]:
    """The open alarm sources other than the signal's own (at most DESCRIBE_LIMIT: an incident has a handful)."""
    return tuple(s for s in open_sources if s.startswith(ALARM_SOURCE_PREFIX) and s != besides)[:DESCRIBE_LIMIT]


def settled(described: dict[str, Any], sources: Sequence[str]) -> tuple[str, ...]:
    """Of `sources`, those whose alarm DescribeAlarms did not return or returned in a state other than ALARM."""
    states = {alarm["AlarmName"]: alarm.get("StateValue")
              for key in ("MetricAlarms", "CompositeAlarms") for alarm in described.get(key, [])}
    return tuple(s for s in sources if states.get(s.removeprefix(ALARM_SOURCE_PREFIX)) != "ALARM")


def settled_alarms(cloudwatch: AlarmReader, sources: Sequence[str]) -> tuple[str, ...]:
    """Ask CloudWatch; AWS errors propagate to the caller."""
    if not sources:
        return ()
    names = [s.removeprefix(ALARM_SOURCE_PREFIX) for s in sources]
    described = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                                           MaxRecords=DESCRIBE_LIMIT)
    return settled(described, sources)
