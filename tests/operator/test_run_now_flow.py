"""`flows.run_now_resource` with an injected executor (no AWS): one call per new annotation value, none for a
value already recorded, the status and Event it writes, and how bad windows and AWS errors end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from modelmonitor.components.engine_names import MonitoringType
from modelmonitor.operator import flows
from modelmonitor.run_now import Verdict, Window
from modelmonitor.spec import ModelMonitorDocument
from tests.operator.harness import fake_settings

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:churn-runs:run-now-20261124T0800-20261124T102500"
WINDOW = "2026-11-24T08:00:00Z/2026-11-24T09:00:00Z"


SPEC = {"region": "us-east-1", "engine": "processingJob", "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/churn/statistics.json",
                                     "constraintsS3Uri": "s3://acme-baselines/churn/constraints.json"}}}


class Recorder:
    """The injected executor: records each call and answers like `execute(..., wait=False)` for processingJob."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, Window, MonitoringType]] = []
        self.error = error

    def __call__(self, document: ModelMonitorDocument, window: Window, monitoring_type: MonitoringType,
                 at: datetime) -> Verdict:
        self.calls.append((f"{document.metadata.namespace}/{document.metadata.name}", window, monitoring_type))
        if self.error is not None:
            raise self.error
        return Verdict("Started", EXECUTION)


@pytest.fixture
def runtime() -> Iterator[flows.Runtime]:
    built = flows.build_runtime(fake_settings())
    built.settings = fake_settings(driver="automation")  # decisions as for the real driver; AWS stays injected
    yield built
    built.close()


def body(value: str | None, handled: str | None = None) -> dict[str, Any]:
    annotations = {} if value is None else {"modelmonitor.io/run-now": value}
    status = {} if handled is None else {"lastHandledRunNow": handled}
    return {"metadata": {"name": "churn", "namespace": "ml", "generation": 1, "annotations": annotations},
            "spec": SPEC, "status": status}


class Events(list[tuple[str, str, str]]):
    def __call__(self, type_: str, reason: str, message: str) -> None:
        self.append((type_, reason, message))


async def test_a_new_value_starts_exactly_one_run_and_records_it(runtime: flows.Runtime) -> None:
    recorder, events = Recorder(), Events()
    runtime.start_run_now = recorder
    patch = await flows.run_now_resource(runtime, body(WINDOW, handled="an older value"), events)
    window = Window(datetime(2026, 11, 24, 8, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC))
    assert recorder.calls == [("ml/churn", window, "DataQuality")]
    message = (f"DataQuality run-now of 2026-11-24T08:00:00Z/2026-11-24T09:00:00Z with engine processingJob: "
               f"Started {EXECUTION}")
    assert patch["lastHandledRunNow"] == WINDOW
    last = patch["lastOperation"]
    assert (last["type"], last["result"], last["summary"], last["message"]) == \
        ("run-now", "Succeeded", "run-now Succeeded", message)
    assert last["startedAt"].endswith("Z") and last["finishedAt"].endswith("Z")
    assert events == [("Normal", "RunNowStarted", message)]


async def test_a_timestamp_value_runs_the_previous_full_hour(runtime: flows.Runtime) -> None:
    recorder = Recorder()
    runtime.start_run_now = recorder
    before = datetime.now(UTC)
    await flows.run_now_resource(runtime, body("2026-11-25T04:30:00Z"), Events())
    after = datetime.now(UTC)
    [(_, window, _)] = recorder.calls
    assert window.end - window.start == timedelta(hours=1)
    # The hour that ended at the last full hour of the call (an hour boundary may pass during the call).
    assert before.replace(minute=0, second=0, microsecond=0) <= window.end <= after
    assert (window.end.minute, window.end.second) == (0, 0)


async def test_the_recorded_value_never_runs_again(runtime: flows.Runtime) -> None:
    recorder, events = Recorder(), Events()
    runtime.start_run_now = recorder
    assert await flows.run_now_resource(runtime, body(WINDOW, handled=WINDOW), events) == {}
    assert await flows.run_now_resource(runtime, body(None, handled=WINDOW), events) == {}
    assert recorder.calls == [] and events == []


async def test_a_bad_window_is_refused_once_without_calling_aws(runtime: flows.Runtime) -> None:
    recorder, events = Recorder(), Events()
    runtime.start_run_now = recorder
    value = "2026-11-24T09:00:00Z/2026-11-24T08:00:00Z"
    patch = await flows.run_now_resource(runtime, body(value), events)
    message = (f"modelmonitor.io/run-now '{value}': window end 2026-11-24T08:00:00Z is not after its start "
               "2026-11-24T09:00:00Z")
    assert recorder.calls == []
    assert patch["lastHandledRunNow"] == value  # handled: no retry loop on the same value
    assert (patch["lastOperation"]["result"], patch["lastOperation"]["message"]) == ("Failed", message)
    assert events == [("Warning", "RunNowFailed", message)]


async def test_an_aws_error_is_recorded_as_failed(runtime: flows.Runtime) -> None:
    error = ClientError({"Error": {"Code": "StateMachineDoesNotExist", "Message": "State Machine Does Not Exist"}},
                        "StartExecution")
    recorder, events = Recorder(error), Events()
    runtime.start_run_now = recorder
    patch = await flows.run_now_resource(runtime, body(WINDOW), events)
    assert len(recorder.calls) == 1
    message = ("DataQuality run-now of 2026-11-24T08:00:00Z/2026-11-24T09:00:00Z with engine processingJob failed: "
               "An error occurred (StateMachineDoesNotExist) when calling the StartExecution operation: "
               "State Machine Does Not Exist")
    assert patch["lastHandledRunNow"] == WINDOW
    assert (patch["lastOperation"]["result"], patch["lastOperation"]["message"]) == ("Failed", message)
    assert events == [("Warning", "RunNowFailed", message)]


@pytest.mark.parametrize("driver", ["fake", "render"])
async def test_drivers_without_aws_record_a_skip(runtime: flows.Runtime, driver: str) -> None:
    recorder, events = Recorder(), Events()
    runtime.start_run_now = recorder
    runtime.settings = fake_settings(driver=driver)
    patch = await flows.run_now_resource(runtime, body(WINDOW), events)
    message = f"run-now skipped: the {driver} driver touches no AWS"
    assert recorder.calls == []
    assert patch["lastHandledRunNow"] == WINDOW
    assert (patch["lastOperation"]["type"], patch["lastOperation"]["message"]) == ("run-now", message)
    assert events == [("Normal", "RunNowSkipped", message)]
