"""`reconcile.decide_run_now`: which run-now annotation values act, with which window, and which are refused.

Windows below are written out by hand from NOW (10:25 → the previous full hour is 09:00–10:00)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from modelmonitor.loader import parse_document
from modelmonitor.operator.reconcile import decide_run_now
from modelmonitor.run_now import Window
from modelmonitor.spec import ModelMonitorDocument

NOW = datetime(2026, 11, 24, 10, 25, 0, tzinfo=UTC)
PREVIOUS_HOUR = Window(datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC))
EIGHT_TO_NINE = Window(datetime(2026, 11, 24, 8, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC))


def doc(**changes: Any) -> ModelMonitorDocument:
    spec: dict[str, Any] = {
        "region": "us-east-1", "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme/captures"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme/b/statistics.json",
                                     "constraintsS3Uri": "s3://acme/b/constraints.json"}}}
    spec.update(changes)
    return parse_document({"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                           "metadata": {"name": "churn", "namespace": "ml"}, "spec": spec})


def decide(value: str | None, last: str | None = None, *, document: ModelMonitorDocument | None = None,
           driver: str = "automation", deleting: bool = False, problems: str = "") -> Any:
    return decide_run_now(value, last, document=document if document is not None else doc(), problems=problems,
                          driver=driver, deleting=deleting, now=NOW)


@pytest.mark.parametrize(("value", "last", "deleting"), [
    (None, None, False),                                   # no annotation
    (None, "t1", False),                                   # annotation removed
    ("t1", "t1", False),                                   # already handled (restart, resync, other edits)
    ("t2", "t1", True),                                    # a deleting monitor starts nothing
])
def test_nothing_new_does_nothing(value: str | None, last: str | None, deleting: bool) -> None:
    decision = decide(value, last, deleting=deleting)
    assert (decision.action, decision.value) == ("none", None)


@pytest.mark.parametrize(("value", "window"), [
    ("2026-11-24T10:20:00Z", PREVIOUS_HOUR),              # a timestamp: the previous full hour
    ("please", PREVIOUS_HOUR),                            # any string without '/'
    ("2026-11-24T08:00:00Z/2026-11-24T09:00:00Z", EIGHT_TO_NINE),
    (" 2026-11-24T08:00:00+00:00 / 2026-11-24T09:00:00 ", EIGHT_TO_NINE),  # offsets, naive = UTC, spaces
])
def test_new_value_runs_once_with_its_window(value: str, window: Window) -> None:
    decision = decide(value, "older")
    assert decision.action == "run"
    assert decision.value == value
    assert decision.window == window
    assert decision.monitoring_type == "DataQuality"
    assert decision.message == (f"DataQuality run-now of {window.start:%Y-%m-%dT%H:%M:%SZ}/"
                                f"{window.end:%Y-%m-%dT%H:%M:%SZ} with engine lambda")


def test_model_quality_only_monitor_runs_model_quality() -> None:
    document = doc(dataQuality={"enabled": False},
                   modelQuality={"enabled": True, "problemType": "Regression", "inferenceAttribute": "0",
                                 "groundTruthS3Uri": "s3://acme-labels/gt/"})
    decision = decide("t1", document=document)
    assert (decision.action, decision.monitoring_type) == ("run", "ModelQuality")


@pytest.mark.parametrize(("value", "engine", "message"), [
    ("yesterday/today", "lambda",
     "modelmonitor.io/run-now 'yesterday/today': modelmonitor.io/run-now start 'yesterday' is not ISO-8601 "
     "(e.g. 2026-11-24T10:00:00Z)"),
    ("2026-11-24T08:00:00Z/", "lambda",
     "modelmonitor.io/run-now '2026-11-24T08:00:00Z/': modelmonitor.io/run-now '2026-11-24T08:00:00Z/' is not a "
     "window START/END (e.g. 2026-11-24T10:00:00Z/2026-11-24T11:00:00Z)"),
    ("2026-11-24T09:00:00Z/2026-11-24T08:00:00Z", "lambda",
     "modelmonitor.io/run-now '2026-11-24T09:00:00Z/2026-11-24T08:00:00Z': window end 2026-11-24T08:00:00Z is "
     "not after its start 2026-11-24T09:00:00Z"),
    ("2026-11-24T10:00:00Z/2026-11-24T11:00:00Z", "lambda",
     "modelmonitor.io/run-now '2026-11-24T10:00:00Z/2026-11-24T11:00:00Z': window end 2026-11-24T11:00:00Z is in "
     "the future: its captures are not written yet"),
    ("2026-11-22T00:00:00Z/2026-11-24T09:00:00Z", "modelMonitor",
     "modelmonitor.io/run-now '2026-11-22T00:00:00Z/2026-11-24T09:00:00Z': Model Monitor analyses at most 24 hours "
     "per run: choose a shorter window"),
])
def test_bad_windows_are_rejected_with_a_precise_message(value: str, engine: str, message: str) -> None:
    decision = decide(value, document=doc(engine=engine))
    assert (decision.action, decision.value, decision.message) == ("reject", value, message)


def test_invalid_spec_is_rejected_and_marked_handled() -> None:
    decision = decide_run_now("t1", None, document=None, problems="spec.region: Field required",
                              driver="automation", deleting=False, now=NOW)
    assert (decision.action, decision.value) == ("reject", "t1")
    assert decision.message == "modelmonitor.io/run-now 't1': the spec is invalid: spec.region: Field required"


@pytest.mark.parametrize("driver", ["fake", "render"])
def test_drivers_without_aws_skip_but_still_check_the_window(driver: str) -> None:
    skipped = decide("2026-11-24T08:00:00Z/2026-11-24T09:00:00Z", driver=driver)
    assert (skipped.action, skipped.window) == ("skip", EIGHT_TO_NINE)
    assert skipped.message == f"run-now skipped: the {driver} driver touches no AWS"
    assert decide("2026-11-24T09:00:00Z/2026-11-24T08:00:00Z", driver=driver).action == "reject"
