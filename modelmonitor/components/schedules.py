"""Spec schedules → SageMaker cron expressions and the time offsets of a model-quality window.

SageMaker monitoring schedules accept only hour-granular crons of the form `cron(0 H ? * * *)` (minimum interval
one hour). The spec's friendly forms map onto exactly those; a cron given in the spec is already in that form
(the spec's pattern admits nothing else) and passes through unchanged.
"""

from __future__ import annotations

import re

from modelmonitor.spec import duration_seconds, schedule_period_seconds

HOURLY = "cron(0 * ? * * *)"


def cron_expression(schedule: str) -> str:
    """`hourly` → `cron(0 * ? * * *)`, `daily` → `cron(0 0 ? * * *)`, `daily@6` → `cron(0 6 ? * * *)`,
    `every 6h` → `cron(0 0/6 ? * * *)`, `cron(...)` unchanged."""
    if schedule == "hourly":
        return HOURLY
    if schedule == "daily":
        return "cron(0 0 ? * * *)"
    if match := re.fullmatch(r"daily@(\d{1,2})", schedule):
        return f"cron(0 {int(match.group(1))} ? * * *)"
    if match := re.fullmatch(r"every (\d{1,2})h", schedule):
        hours = int(match.group(1))
        if hours == 1:
            return HOURLY
        if hours == 24:
            return "cron(0 0 ? * * *)"
        return f"cron(0 0/{hours} ? * * *)"
    if schedule.startswith("cron(") and schedule.endswith(")"):
        return schedule
    raise ValueError(f"not a schedule: {schedule!r}")


def iso_offset(seconds: int) -> str:
    """A negative ISO-8601 duration SageMaker accepts as a window offset: whole days as `-PnD`, else hours."""
    if seconds <= 0 or seconds % 3600:
        raise ValueError(f"window offsets are whole hours before now, got {seconds} s")
    if seconds % 86400 == 0:
        return f"-P{seconds // 86400}D"
    return f"-PT{seconds // 3600}H"


def _whole_hours(seconds: int) -> int:
    return -(-seconds // 3600) * 3600


def model_quality_offsets(schedule: str, label_delay: str) -> tuple[str, str]:
    """(StartTimeOffset, EndTimeOffset) of a model-quality run: the window ends `label_delay` ago (rounded up to
    whole hours, so labels had at least that long to arrive) and spans one schedule period."""
    end = _whole_hours(duration_seconds(label_delay))
    start = end + schedule_period_seconds(schedule)
    return iso_offset(start), iso_offset(end)
