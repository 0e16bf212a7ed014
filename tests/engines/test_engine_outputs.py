"""The shared publishing of our engines: requests in botocore's shapes, batching, the event's detail, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.entry.engine_outputs import (
    EngineOutputError,
    EngineRun,
    RunOutcome,
    emit_run_event,
    metric_requests,
    run_event_entry,
)
from modelmonitor.analyzer.read.sources import Window
from tests.components.boto_contract import validate
from tests.engines.conftest import engine_env

RUN = EngineRun(monitor="lending/churn", engine="lambda", monitoring_type="DataQuality", endpoint="churn-prod",
                schedule="s", metrics_namespace="ModelMonitor/DataQuality")
WINDOW = Window(datetime(2026, 11, 24, 2, tzinfo=UTC), datetime(2026, 11, 24, 3, tzinfo=UTC))


def _record(i: int) -> dict[str, Any]:
    return {"MetricName": f"feature_baseline_drift_f{i}", "Timestamp": "2026-11-24T02:00:00Z", "Value": 0.5,
            "Unit": "None", "Dimensions": [{"Name": "Endpoint", "Value": "churn-prod"},
                                           {"Name": "MonitoringSchedule", "Value": "s"}]}


def test_metric_requests_are_batched_and_valid() -> None:
    requests = metric_requests([_record(i) for i in range(2300)], RUN.metrics_namespace)
    assert [len(r["MetricData"]) for r in requests] == [1000, 1000, 300]
    for request in requests:
        validate("cloudwatch", "PutMetricData", request)
    assert requests[0]["MetricData"][0]["Timestamp"] == WINDOW.start


def test_event_entry_shape_and_failure_reason_cut() -> None:
    entry = run_event_entry(RUN, RunOutcome(status="Failed", window=WINDOW, failure_reason="x" * 5000))
    validate("events", "PutEvents", {"Entries": [entry]})
    detail = json.loads(entry["Detail"])
    assert set(detail) == {"monitor", "endpoint", "schedule", "engine", "monitoringType", "status", "violations",
                           "driftedFeatures", "reportUri", "windowStart", "windowEnd", "evaluationTime",
                           "failureReason"}
    assert len(detail["failureReason"]) == 1024 and detail["windowStart"] == "2026-11-24T02:00:00Z"


class _RefusingEvents:
    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "AccessDenied", "ErrorMessage": "no"}]}


def test_a_refused_event_is_an_error() -> None:
    with pytest.raises(EngineOutputError, match="AccessDenied: no"):
        emit_run_event(_RefusingEvents(), RUN, RunOutcome(status="Completed", window=WINDOW))


@pytest.mark.parametrize(("change", "message"), [
    ({"modelmonitor_monitor": ""}, "modelmonitor_monitor"),
    ({"modelmonitor_engine": "modelMonitor"}, "must be one of lambda, processingJob"),
    ({"monitoring_type": "Bias"}, "one of DataQuality, ModelQuality, ModelBias, ModelExplainability, not .Bias."),
])
def test_incomplete_engine_environment_is_named(change: dict[str, str], message: str) -> None:
    with pytest.raises(AnalyzerInputError, match=message):
        EngineRun.from_environment({**engine_env(), **change})


def test_the_alert_handler_reads_our_run_event() -> None:
    from modelmonitor.alerts.events import RunChange, parse_event

    entry = run_event_entry(RUN, RunOutcome(status="CompletedWithViolations", window=WINDOW, violations=2,
                                            drifted_features=("income",), report_uri="s3://b/r/2026/11/24/02/"))
    envelope = {"version": "0", "id": "e-1", "detail-type": entry["DetailType"], "source": entry["Source"],
                "account": "123456789012", "time": "2026-11-24T03:11:00Z", "region": "us-east-1",
                "resources": [], "detail": json.loads(entry["Detail"])}
    [(_, parsed)] = parse_event(envelope)
    assert isinstance(parsed, RunChange)
    assert (parsed.monitor, parsed.status, parsed.violations, parsed.drifted_features, parsed.report_uri,
            parsed.window_start) == ("lending/churn", "CompletedWithViolations", 2, ("income",),
                                     "s3://b/r/2026/11/24/02/", "2026-11-24T02:00:00Z")
