"""The drift-status timer's logic: latest run outputs from S3 (moto server, real-format files, found through
AWS_ENDPOINT_URL like in a pod) and Model Monitor failures from ListMonitoringExecutions (botocore Stubber: moto
does not implement it)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from modelmonitor.loader import parse_document
from modelmonitor.operator import executions, flows
from modelmonitor.operator.render_driver import RenderDriver
from modelmonitor.operator.runner import OperationRunner
from modelmonitor.operator.settings import OperatorSettings
from modelmonitor.spec import ModelMonitorDocument

BUCKET = "acme-mm-artifacts"
RESULTS = f"s3://{BUCKET}/results/ml/churn/data-quality"
SCHEDULE = "churn-a1b2c3-dq-schedule"
RUN_PREFIX = f"results/ml/churn/data-quality/churn-prod/{SCHEDULE}"
VIOLATIONS = {"violations": [
    {"feature_name": "income", "constraint_check_type": "baseline_drift_check",
     "description": "distance: 0.31 exceeds threshold: 0.1"},
    {"feature_name": "age", "constraint_check_type": "completeness_check",
     "description": "Data completeness 0.9 is below the threshold 1.0"},
]}


def document(engine: str = "modelMonitor") -> ModelMonitorDocument:
    spec: dict[str, Any] = {
        "region": "us-east-1", "engine": engine, "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/s.json",
                                     "constraintsS3Uri": "s3://acme-baselines/c.json"}}}
    return parse_document({"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                           "metadata": {"name": "churn", "namespace": "ml"}, "spec": spec})


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # moto's backends are process-wide: start every test from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(var, value)
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        client.close()


def put(s3: Any, key: str, body: object) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(body).encode())


def seed_runs(s3: Any) -> None:
    """Three runs; the latest by hour prefix is 2026/11/24/10 (not the last written, not the longest key)."""
    put(s3, f"{RUN_PREFIX}/2026/11/24/10/constraint_violations.json", VIOLATIONS)
    put(s3, f"{RUN_PREFIX}/2026/11/24/10/statistics.json", {"version": 0.0, "dataset": {"item_count": 120}})
    put(s3, f"{RUN_PREFIX}/2026/11/23/23/constraint_violations.json", {"violations": []})
    put(s3, f"{RUN_PREFIX}/2025/12/31/23/constraint_violations.json", {"violations": []})


class Clients:
    """Real S3 (moto via AWS_ENDPOINT_URL); SageMaker stubbed."""

    def __init__(self, sagemaker_response: dict[str, Any] | None) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        self.stubber = Stubber(self.sagemaker)
        if sagemaker_response is not None:
            self.stubber.add_response("list_monitoring_executions", sagemaker_response, {
                "MonitoringScheduleName": SCHEDULE, "SortBy": "ScheduledTime", "SortOrder": "Descending",
                "MaxResults": 1})
        self.stubber.activate()

    def __call__(self, service: str, region: str) -> Any:
        return self.sagemaker if service == "sagemaker" else boto3.client(service, region_name=region)


def summary(status: str, hour: int, reason: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "MonitoringScheduleName": SCHEDULE, "ScheduledTime": datetime(2026, 11, 24, hour, tzinfo=UTC),
        "CreationTime": datetime(2026, 11, 24, hour, 5, tzinfo=UTC),
        "LastModifiedTime": datetime(2026, 11, 24, hour, 20, tzinfo=UTC), "MonitoringExecutionStatus": status}
    if reason:
        item["FailureReason"] = reason
    return {"MonitoringExecutionSummaries": [item]}


def test_latest_run_is_the_greatest_hour_prefix(s3: Any) -> None:
    seed_runs(s3)
    run = executions.latest_run(s3, RESULTS)
    assert run is not None
    assert run.prefix == f"{RUN_PREFIX}/2026/11/24/10/"
    assert run.schedule == SCHEDULE and run.scheduled_time == datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_violations_become_the_execution_status(s3: Any) -> None:
    seed_runs(s3)
    reader = executions.ExecutionReader(None, Clients(summary("CompletedWithViolations", 10)))
    execution = reader.latest(document(), {"bucketName": BUCKET})
    assert execution is not None
    assert execution.status == "CompletedWithViolations"
    assert execution.violations == 2
    assert execution.drifted_features == ["income"]  # completeness is a violation, not drift
    assert execution.scheduled_time == "2026-11-24T10:00:00Z"
    assert execution.report_uri == f"s3://{BUCKET}/{RUN_PREFIX}/2026/11/24/10/"


def test_a_newer_failed_execution_wins_over_older_outputs(s3: Any) -> None:
    seed_runs(s3)
    clients = Clients(summary("Failed", 11, "AlgorithmError: out of memory"))
    execution = executions.ExecutionReader(None, clients).latest(
        document(), {"bucketName": BUCKET, "scheduleArns": json.dumps(
            {"dataQuality": f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{SCHEDULE}"})})
    assert execution is not None
    assert (execution.status, execution.failure_reason) == ("Failed", "AlgorithmError: out of memory")
    assert execution.scheduled_time == "2026-11-24T11:00:00Z"
    clients.stubber.assert_no_pending_responses()


def test_an_older_failure_does_not_hide_a_newer_run(s3: Any) -> None:
    seed_runs(s3)
    execution = executions.ExecutionReader(None, Clients(summary("Failed", 9, "old"))).latest(
        document(), {"bucketName": BUCKET})
    assert execution is not None and execution.status == "CompletedWithViolations"


def test_our_engines_need_no_sagemaker_call(s3: Any) -> None:
    put(s3, f"{RUN_PREFIX}/2026/11/24/12/statistics.json", {"version": 0.0})  # clean run: no violations file
    clients = Clients(None)  # any SageMaker call would fail the stubber
    execution = executions.ExecutionReader(BUCKET, clients).latest(document("lambda"), {})
    assert execution is not None
    assert (execution.status, execution.violations, execution.drifted_features) == ("Completed", 0, [])


def test_no_runs_yet_means_no_execution(s3: Any) -> None:
    assert executions.ExecutionReader(BUCKET, Clients(None)).latest(document("lambda"), {}) is None


def test_refresh_flow_fills_drift_column_and_condition(s3: Any) -> None:
    seed_runs(s3)
    settings = OperatorSettings(driver="fake")
    runtime = flows.Runtime(settings, OperationRunner(RenderDriver(), 1),
                            executions.ExecutionReader(None, Clients(summary("CompletedWithViolations", 10))))
    body = {"metadata": {"name": "churn", "namespace": "ml", "generation": 2},
            "spec": document().spec.model_dump(by_alias=True, mode="json"),
            "status": {"lastAppliedHash": "sha256:x", "outputs": {"bucketName": BUCKET},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "Applied"}]}}
    try:
        patch = flows.refresh_execution(runtime, body)
    finally:
        runtime.close()
    assert patch["drift"] == "income"
    assert patch["lastMonitoringExecution"]["violations"] == 2
    conditions = {c["type"]: (c["status"], c["reason"]) for c in patch["conditions"]}
    assert conditions == {"Ready": ("True", "Applied"), "DriftDetected": ("True", "FeaturesDrifted")}


@pytest.mark.parametrize(("outputs", "expected"), [
    ({"dataQualityResultsS3Uri": "s3://x-bucket/custom/dq"}, "s3://x-bucket/custom/dq"),
    ({"bucketName": "b-bucket"}, "s3://b-bucket/results/ml/churn/data-quality"),
    ({}, "s3://default-bucket/results/ml/churn/data-quality"),
])
def test_results_location_follows_the_contract(outputs: dict[str, str], expected: str) -> None:
    assert executions.results_uri(document(), outputs, "default-bucket") == expected


def test_sagemaker_trouble_does_not_hide_the_s3_run(s3: Any) -> None:
    seed_runs(s3)
    clients = Clients(None)
    clients.stubber.add_client_error("list_monitoring_executions", "AccessDeniedException", http_status_code=400)
    execution = executions.ExecutionReader(None, clients).latest(document(), {"bucketName": BUCKET})
    assert execution is not None and execution.status == "CompletedWithViolations"
