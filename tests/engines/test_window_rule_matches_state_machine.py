"""Both of our engines judge the same window for the same firing: the Lambda handler's window rule against the
processingJob state machine's JSONata `ResolveWindow`, evaluated by jsonata-python."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from modelmonitor.analyzer.entry.engine_run import window_from_event
from tests.components.test_window_resolution_jsonata import ARGS, STARTED, resolve


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.mark.parametrize(("window_seconds", "offset_seconds", "payload"), [
    (3600, 0, {"scheduled_time": "2027-01-01T00:10:00Z"}),
    (3600, 0, {"scheduled_time": "2026-11-24T23:59:59Z"}),
    (6 * 3600, 0, {"scheduled_time": "2026-11-24T12:10:00Z"}),
    (86400, 0, {"scheduled_time": "2028-03-01T06:10:00Z"}),  # daily@06: the 24 h ending at 06:00
    (86400, 86400, {"scheduled_time": "2026-11-25T10:00:00Z"}),  # model quality, 24 h label delay
    (3600, 7200, {"window_start": "2026-11-24T02:00:00Z", "window_end": "2026-11-24T03:00:00Z"}),
    (3600, 0, {}),  # no payload: the invocation / execution start time stands in
])
def test_lambda_window_equals_state_machine_window(window_seconds: int, offset_seconds: int,
                                                   payload: dict[str, Any]) -> None:
    changes: dict[str, Any] = {"window_seconds": window_seconds, "window_end_offset_seconds": offset_seconds}
    if offset_seconds:
        changes |= {"monitoring_type": "ModelQuality", "ground_truth_s3_uri": "s3://b/gt"}
    machine = resolve(dataclasses.replace(ARGS, **changes), payload)
    started = datetime.fromisoformat(STARTED.replace("Z", "+00:00"))
    ours = window_from_event(payload, period_seconds=window_seconds, end_offset_seconds=offset_seconds, now=started)
    assert (_z(ours.window.start), _z(ours.window.end), _z(ours.evaluation_time)) == \
        (machine["window_start"], machine["window_end"], machine["evaluation_time"])
