"""The state machine's JSONata window state, evaluated offline with jsonata-python (an independent JSONata
engine; AWS runs its own, and moto would need a JVM). Expected windows are written out by hand."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from typing import Any

import pytest

from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine

ARGS = ProcessingJobMachineArgs(
    monitor="lending/credit-default", endpoint_name="credit-default-v3", schedule_name="credit-default-dq",
    job_name_prefix="credit-dq-1a2b3c", image_uri="analyzer:1", job_role_arn="arn:aws:iam::123456789012:role/job",
    capture_s3_uri="s3://b/captures/credit-default-v3/AllTraffic", results_s3_uri="s3://b/results/x/y/data-quality")
STARTED = "2026-11-25T03:10:07.123Z"


def resolve(args: ProcessingJobMachineArgs, state_input: dict[str, Any]) -> dict[str, Any]:
    output = processing_job_state_machine(args)["States"]["ResolveWindow"]["Output"]
    assert output.startswith("{%") and output.endswith("%}")
    # jsonata-python raises the interpreter's recursion limit to 10,000 on import; put it back so no other test
    # (e.g. the loader's deep-YAML check) runs under a different limit.
    limit = sys.getrecursionlimit()
    try:
        jsonata = importlib.import_module("jsonata")
        expression = jsonata.Jsonata(output[2:-2])
        expression.assign("states", {"input": state_input, "context": {"Execution": {"StartTime": STARTED}}})
        result: dict[str, Any] = expression.evaluate(None)
    finally:
        sys.setrecursionlimit(limit)
    return result


@pytest.mark.parametrize(("args_change", "state_input", "expected"), [
    # Hourly schedule fired at 00:10 on New Year: the previous hour, across a year boundary.
    ({}, {"scheduled_time": "2027-01-01T00:10:00Z"},
     {"window_start": "2026-12-31T23:00:00.000Z", "window_end": "2027-01-01T00:00:00.000Z",
      "evaluation_time": "2027-01-01T00:00:00.000Z", "hour_path": "2026/12/31/23", "shard_path": "2026/12/31/23"}),
    # No input at all (manual start): the execution's start time, floored to the hour.
    ({}, {},
     {"window_start": "2026-11-25T02:00:00.000Z", "window_end": "2026-11-25T03:00:00.000Z",
      "evaluation_time": "2026-11-25T03:00:00.000Z", "hour_path": "2026/11/25/02", "shard_path": "2026/11/25/02"}),
    # Backfill: an explicit window is taken as given.
    ({}, {"window_start": "2026-02-28T05:00:00Z", "window_end": "2026-02-28T09:00:00Z",
          "scheduled_time": "2030-01-01T00:00:00Z"},
     {"window_start": "2026-02-28T05:00:00.000Z", "window_end": "2026-02-28T09:00:00.000Z",
      "evaluation_time": "2026-02-28T09:00:00.000Z", "hour_path": "2026/02/28/05", "shard_path": "2026/02/28/05"}),
    # Daily sharded window on a leap day: the shard prefix is the day.
    ({"window_seconds": 86400, "instance_count": 3}, {"scheduled_time": "2028-03-01T00:05:00Z"},
     {"window_start": "2028-02-29T00:00:00.000Z", "window_end": "2028-03-01T00:00:00.000Z",
      "evaluation_time": "2028-03-01T00:00:00.000Z", "hour_path": "2028/02/29/00", "shard_path": "2028/02/29"}),
    # Model quality, daily, 24 h label delay: judged at 10:00 on the 25th, the window is the day ending 24 h earlier.
    ({"monitoring_type": "ModelQuality", "ground_truth_s3_uri": "s3://b/gt", "window_seconds": 86400,
      "window_end_offset_seconds": 86400},
     {"scheduled_time": "2026-11-25T10:00:00Z"},
     {"window_start": "2026-11-23T10:00:00.000Z", "window_end": "2026-11-24T10:00:00.000Z",
      "evaluation_time": "2026-11-25T10:00:00.000Z", "hour_path": "2026/11/23/10", "shard_path": "2026/11/23"}),
])
def test_window_resolution(args_change: dict[str, Any], state_input: dict[str, Any],
                           expected: dict[str, str]) -> None:
    assert resolve(dataclasses.replace(ARGS, **args_change), state_input) == expected
