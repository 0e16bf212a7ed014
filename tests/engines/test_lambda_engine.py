"""The analyzer Lambda end to end against moto: captures in S3 → outputs in the results prefix, metrics read
back with GetMetricData, the run event delivered through an EventBridge rule to SQS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.demo.scenario import Scenario
from tests.engines.conftest import (
    BUCKET,
    ENDPOINT,
    FIRST_HOUR,
    MONITOR,
    SCHEDULE,
    Aws,
    document,
    engine_env,
    upload_baseline,
    upload_hours,
)

HOUR_PREFIX = f"results/lending/churn/data-quality/{ENDPOINT}/{SCHEDULE}/2026/11/24/02/"
DIMENSIONS = [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}]


def _robust_linf(reference: np.ndarray, current: np.ndarray) -> float:
    """Independent oracle: sup |F_ref − F_cur| over both samples' points, minus Deequ's 1.8·√((n+m)/(nm))."""
    reference, current = reference[~np.isnan(reference)], current[~np.isnan(current)]
    points = np.union1d(reference, current)
    f_ref = np.searchsorted(np.sort(reference), points, side="right") / reference.size
    f_cur = np.searchsorted(np.sort(current), points, side="right") / current.size
    n, m = reference.size, current.size
    return max(0.0, float(np.abs(f_ref - f_cur).max()) - 1.8 * np.sqrt((n + m) / (n * m)))


def _metric(aws: Aws, name: str, at: datetime) -> list[float]:
    response = aws.cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {
            "Metric": {"Namespace": "ModelMonitor/DataQuality", "MetricName": name, "Dimensions": DIMENSIONS},
            "Period": 3600, "Stat": "Average"}}],
        StartTime=at - timedelta(hours=1), EndTime=at + timedelta(hours=1))
    values: list[float] = response["MetricDataResults"][0]["Values"]
    return values


def test_scheduled_invocation_analyses_the_previous_hour(aws: Aws, scenario: Scenario, baseline_files: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    upload_baseline(aws, baseline_files)
    upload_hours(aws, scenario, range(1, 4))
    for key, value in engine_env().items():
        monkeypatch.setenv(key, value)

    # Scheduler fires at 03:10 (SCHEDULE_MINUTE past the hour): the window is 02:00–03:00, the first drifted hour.
    response = lambda_handler.handler({"scheduled_time": "2026-11-24T03:10:00Z"}, None)

    assert response["status"] == "CompletedWithViolations"
    assert (response["windowStart"], response["windowEnd"]) == ("2026-11-24T02:00:00Z", "2026-11-24T03:00:00Z")
    assert response["reportUri"] == f"s3://{BUCKET}/{HOUR_PREFIX}"
    assert aws.keys(HOUR_PREFIX) == [HOUR_PREFIX + name for name in
                                     ("constraint_violations.json", "drift_report.json", "report.html",
                                      "statistics.json")]
    report = aws.json(HOUR_PREFIX + "drift_report.json")
    assert report["item_count"] == 400  # one hour of scenario traffic, none of the neighbouring hours
    violations = aws.json(HOUR_PREFIX + "constraint_violations.json")["violations"]
    drift = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert {"monthly_charges", "payment_method"} <= drift

    [event] = aws.run_events()
    assert event == {
        "monitor": MONITOR, "endpoint": ENDPOINT, "schedule": SCHEDULE, "engine": "lambda",
        "monitoringType": "DataQuality", "status": "CompletedWithViolations", "violations": len(violations),
        "driftedFeatures": event["driftedFeatures"], "reportUri": f"s3://{BUCKET}/{HOUR_PREFIX}",
        "windowStart": "2026-11-24T02:00:00Z", "windowEnd": "2026-11-24T03:00:00Z",
        "evaluationTime": "2026-11-24T03:00:00Z", "failureReason": None}   # data quality: judged at the window's end
    assert {"monthly_charges", "payment_method"} <= set(event["driftedFeatures"])

    # Stamped with the window's end, its evaluation time (docs/engines.md, "Metric timestamps").
    window_end = FIRST_HOUR + timedelta(hours=3)
    expected = _robust_linf(scenario.training.columns["monthly_charges"],
                            scenario.hour_traffic(2).columns["monthly_charges"])
    [published] = _metric(aws, "feature_baseline_drift_monthly_charges", window_end)
    assert expected > 0.3  # the 35 % price increase is a large shift
    assert abs(published - expected) < 0.04  # KLL rank error (±1.65 %) on the baseline side
    assert _metric(aws, "monitoring_run_completed", window_end) == [1.0]
    assert _metric(aws, "violations_count", window_end) == [float(len(violations))]


def test_run_now_window_and_clean_hour(aws: Aws, scenario: Scenario, baseline_files: Path) -> None:
    upload_baseline(aws, baseline_files)
    upload_hours(aws, scenario, range(2))
    result = lambda_handler.run_invocation(
        {"window_start": "2026-11-24T01:00:00Z", "window_end": "2026-11-24T02:00:00Z"}, engine_env(),
        clients=aws.clients, s3=aws.s3, now=datetime(2026, 11, 25, tzinfo=UTC))
    [event] = aws.run_events()
    assert event["windowStart"] == "2026-11-24T01:00:00Z"
    assert not {"monthly_charges", "payment_method"} & set(event["driftedFeatures"])
    assert result["status"] == event["status"]
    assert aws.keys(f"results/lending/churn/data-quality/{ENDPOINT}/{SCHEDULE}/2026/11/24/01/")


def test_too_large_window_fails_loudly_naming_processing_job(aws: Aws, scenario: Scenario,
                                                              baseline_files: Path) -> None:
    upload_baseline(aws, baseline_files)
    keys = upload_hours(aws, scenario, range(2, 3))[2]
    aws.s3.put_object(Bucket=BUCKET, Key=f"captures/{ENDPOINT}/AllTraffic/2026/11/24/02/59-59-999-big.jsonl",
                      Body=b"x" * (1 << 20))
    total = (1 << 20) + sum(aws.s3.head_object(Bucket=BUCKET, Key=k)["ContentLength"] for k in keys)
    env = engine_env(doc=document(engineSettings={"maxLambdaWindowMb": 1}))
    with pytest.raises(AnalyzerInputError,
                       match=rf"holds {total / 2**20:.1f} MB .*limit of 1 MB.*engine: processingJob"):
        lambda_handler.run_invocation({"scheduled_time": "2026-11-24T03:10:00Z"}, env,
                                      clients=aws.clients, s3=aws.s3, now=datetime.now(UTC))
    [event] = aws.run_events()
    assert event["status"] == "Failed" and "processingJob" in event["failureReason"]
    assert event["windowStart"] == "2026-11-24T02:00:00Z"
    assert aws.keys("results/") == []  # listed, refused, nothing read or written


def test_failed_analysis_emits_failed_then_raises(aws: Aws, scenario: Scenario) -> None:
    upload_hours(aws, scenario, range(2, 3))  # no baseline uploaded
    with pytest.raises(AnalyzerInputError, match=r"statistics\.json"):
        lambda_handler.run_invocation({"scheduled_time": "2026-11-24T03:10:00Z"}, engine_env(),
                                      clients=aws.clients, s3=aws.s3, now=datetime.now(UTC))
    [event] = aws.run_events()
    assert (event["status"], event["violations"], event["reportUri"]) == ("Failed", 0, None)
    assert event["failureReason"].startswith("AnalyzerInputError: ") and "statistics.json" in event["failureReason"]


@pytest.mark.parametrize(("payload", "message"), [
    ({"window_start": "2026-11-24T01:00:00Z"}, "go together"),
    ({"scheduled_time": "yesterday"}, "not an ISO-8601 time"),
    ({"window_start": "2026-11-24T02:00:00Z", "window_end": "2026-11-24T01:00:00Z"}, "is not after"),
])
def test_bad_payload_is_one_failed_event(aws: Aws, payload: dict[str, Any], message: str) -> None:
    with pytest.raises(AnalyzerInputError, match=message):
        lambda_handler.run_invocation(payload, engine_env(), clients=aws.clients, s3=aws.s3, now=datetime.now(UTC))
    [event] = aws.run_events()
    assert event["status"] == "Failed" and event["windowStart"] is None and message in event["failureReason"]


def test_unconfigured_function_refuses_to_run() -> None:
    env = engine_env()
    del env["cloudwatch_metrics_namespace"]
    with pytest.raises(AnalyzerInputError, match="cloudwatch_metrics_namespace"):
        lambda_handler.run_invocation({}, env, clients=None, s3=None, now=datetime.now(UTC))
