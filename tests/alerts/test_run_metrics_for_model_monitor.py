"""The alert Lambda publishes our run metrics for Model Monitor executions, from their constraint_violations.json,
so the one drift alarm (components/alarms.run_drift_alarm) works under the built-in analyzer too.

Violations file format: AWS's "Schema for Violations (constraint_violations.json file)",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html (feature_name,
constraint_check_type from a fixed list, description; drift as baseline_drift_check). Metric limits: botocore's
CloudWatch service model (PutMetricData's MetricName and Dimensions shapes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.stub import Stubber

from modelmonitor.alerts import handler, run_metrics
from modelmonitor.alerts.logic import parse_violations
from modelmonitor.analyzer.run import outputs
from modelmonitor.components import alarms
from tests.alerts.conftest import BUCKET, World, load_event, violations_bytes
from tests.alerts.test_alert_per_event_type import JOB, LATEST, _describe_job

DIMENSIONS = [{"Name": "Endpoint", "Value": "credit-default-v3"}, {"Name": "MonitoringSchedule",
                                                                   "Value": "credit-default-dq"}]
SCHEDULED_HOUR = datetime(2026, 11, 24, 10, tzinfo=UTC)  # the described job's CreationTime is 10:02


def _published(world: World) -> dict[str, float]:
    cloudwatch = world.clients["cloudwatch"]
    found = {}
    for metric in cloudwatch.list_metrics(Namespace="ModelMonitor/DataQuality")["Metrics"]:
        assert sorted(metric["Dimensions"], key=lambda d: d["Name"]) == DIMENSIONS
        points = cloudwatch.get_metric_statistics(
            Namespace="ModelMonitor/DataQuality", MetricName=metric["MetricName"], Dimensions=DIMENSIONS,
            StartTime=SCHEDULED_HOUR, EndTime=datetime(2026, 11, 24, 11, tzinfo=UTC), Period=3600,
            Statistics=["Maximum"])["Datapoints"]
        [point] = points  # stamped inside the scheduled hour, exactly once
        assert point["Timestamp"].astimezone(UTC) == SCHEDULED_HOUR
        found[metric["MetricName"]] = point["Maximum"]
    return found


def test_violating_execution_publishes_the_run_metrics(world: World, sagemaker: Stubber) -> None:
    exit_message = "CompletedWithViolations: Job completed successfully with 3 violations."
    sagemaker.add_response("describe_processing_job", _describe_job(JOB, f"s3://{BUCKET}/{LATEST}", exit_message),
                           {"ProcessingJobName": JOB})
    world.put(f"{LATEST}/constraint_violations.json", violations_bytes())
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["errors"] == [] and summary["alerted"] == 1
    # 2 baseline_drift_check rows (age 0.2, income 0.4123) and a missing_column_check: 3 violations, 2 drifted.
    assert _published(world) == {"monitoring_run_completed": 1.0, "violations_count": 3.0,
                                 "features_drifted": 2.0, "max_feature_drift": 0.4123}


def test_clean_execution_publishes_zero_drift_and_the_heartbeat(world: World, sagemaker: Stubber) -> None:
    sagemaker.add_response("describe_processing_job",
                           _describe_job(JOB, "s3://x/y", "Completed: Job completed successfully with no violations."),
                           {"ProcessingJobName": JOB})
    handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert _published(world) == {"monitoring_run_completed": 1.0, "violations_count": 0.0, "features_drifted": 0.0}


def test_model_quality_executions_publish_nothing(world: World, sagemaker: Stubber) -> None:
    job: dict[str, Any] = _describe_job(JOB, "s3://x/y", "Completed: Job completed successfully with no violations.")
    job["Environment"] = {"sagemaker_endpoint_name": "credit-default-v3",
                          "sagemaker_monitoring_schedule_name": "credit-default-d990b3-mq-schedule"}
    job["MonitoringScheduleArn"] = job["MonitoringScheduleArn"].replace("credit-default-dq",
                                                                        "credit-default-d990b3-mq-schedule")
    sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": JOB})
    handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert world.clients["cloudwatch"].list_metrics(Namespace="ModelMonitor/DataQuality")["Metrics"] == []


def test_metric_names_agree_across_analyzer_alarms_and_lambda() -> None:
    assert run_metrics.DATA_METRICS_NAMESPACE == alarms.OWN_DATA_METRICS_NAMESPACE
    assert run_metrics.FEATURES_DRIFTED_METRIC == alarms.FEATURES_DRIFTED_METRIC == outputs.FEATURES_DRIFTED_METRIC
    assert run_metrics.MAX_DRIFT_METRIC == outputs.MAX_DRIFT_METRIC
    assert run_metrics.RUN_COMPLETED_METRIC == alarms.RUN_COMPLETED_METRIC


def test_request_fits_cloudwatchs_model() -> None:
    model = botocore.session.get_session().get_service_model("cloudwatch")
    datum = model.operation_model("PutMetricData").input_shape.members["MetricData"].member
    name_max = datum.members["MetricName"].metadata["max"]
    dims_max = datum.members["Dimensions"].metadata["max"]
    data = run_metrics.run_metric_data(parse_violations(violations_bytes()), endpoint="e" * 63,
                                       schedule="s" * 63, timestamp=SCHEDULED_HOUR)
    assert all(len(d["MetricName"]) <= name_max and len(d["Dimensions"]) <= dims_max for d in data)
    assert len(data) <= model.operation_model("PutMetricData").input_shape.members["MetricData"].metadata.get(
        "max", 1000)
    json.dumps(data, default=str)  # plain data
