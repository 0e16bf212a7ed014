"""Model Monitor's bias drift and feature attribution drift executions (engine modelMonitor, AWS's Clarify container)
reach the alert Lambda like data-quality ones: it alerts (kinds bias_drift / attribution_drift, one incident per
schedule) and publishes our engines' run metrics — `monitoring_run_completed` and `violations_count`, nothing else —
into ModelMonitor/ModelBias / ModelMonitor/ModelExplainability, so one alarm design serves every engine.

Violations files: AWS's own formats and examples, verbatim (events/clarify_*_violations.json):
- "Bias drift violations", https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-
  violations.html: entries {facet, facet_value, metric_name, constraint_check_type: bias_drift_check,
  description}, no feature_name; the page's example lists 2 violations.
- "Model Feature Attribution Drift Violations", https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-
  monitor-model-attribution-drift-violations.html: entries {label, metric_name: shap, constraint_check_type:
  feature_attribution_drift_check, description}; "there are no "feature" fields in the violation entry". The file
  here holds the page example's first entry.
- A real Clarify bias monitor's file, printed by AWS's example notebook sm-clarify_model_bias_monitor_batch_
  transform_json (aws/amazon-sagemaker-examples, 2024 run): 8 entries of facet Sex = 0, descriptions "Metric value X
  doesn't meet the baseline constraint requirement Y", one of them "Metric value Infinity …".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from modelmonitor.alerts import enrich, handler, run_metrics
from modelmonitor.alerts.logic import parse_violations
from modelmonitor.components import alarms_clarify, engine_model_monitor
from modelmonitor.components.engine_environment import BATCH_ENDPOINT_DIMENSION
from modelmonitor.components.names import MonitorNames
from tests.alerts.conftest import BUCKET, EVENTS, World, load_event
from tests.alerts.test_alert_per_event_type import JOB, _describe_job

NAMES = MonitorNames("lending", "credit-default")
ENDPOINT = "credit-default-v3"
SCHEDULED_HOUR = datetime(2026, 11, 24, 10, tzinfo=UTC)  # the described job's CreationTime is 10:02
CASES = {
    "ModelBias": (NAMES.model_bias_schedule, "model-bias", "clarify_bias_violations.json", 2),
    "ModelExplainability": (NAMES.feature_attribution_schedule, "feature-attribution",
                            "clarify_attribution_violations.json", 1),
}
REAL_NOTEBOOK_BIAS = [("CDDPL", "0.374894782529513"), ("DAR", "-0.34693877551020413"), ("DCA", "-36.69387755102041"),
                      ("DCR", "-0.07650793650793647"), ("GE", "0.9454985573866695"), ("RD", "0.17253086419753086"),
                      ("SD", "0.27419354838709675"), ("TE", "Infinity")]


def _schedule_arn(schedule: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{schedule}"


def _job(monitoring_type: str, exit_message: str, *, endpoint: str | None = ENDPOINT) -> tuple[dict[str, Any], str]:
    schedule, folder, _, _ = CASES[monitoring_type]
    output = f"s3://{BUCKET}/results/lending/credit-default/{folder}/{ENDPOINT}/{schedule}/2026/11/24/10"
    job = _describe_job(JOB, output, exit_message)
    job["MonitoringScheduleArn"] = _schedule_arn(schedule)
    job["Environment"] = {"sagemaker_monitoring_schedule_name": schedule}
    if endpoint is not None:
        job["Environment"]["sagemaker_endpoint_name"] = endpoint
    return job, output.removeprefix(f"s3://{BUCKET}/")


def _published(world: World, namespace: str, endpoint: str, schedule: str) -> dict[str, float]:
    cloudwatch = world.clients["cloudwatch"]
    dims = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
    found = {}
    for metric in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]:
        assert sorted(metric["Dimensions"], key=lambda d: d["Name"]) == dims
        [point] = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName=metric["MetricName"], Dimensions=dims, StartTime=SCHEDULED_HOUR,
            EndTime=datetime(2026, 11, 24, 11, tzinfo=UTC), Period=3600, Statistics=["Maximum"])["Datapoints"]
        assert point["Timestamp"].astimezone(UTC) == SCHEDULED_HOUR
        found[metric["MetricName"]] = point["Maximum"]
    return found


@pytest.mark.parametrize("monitoring_type", sorted(CASES))
def test_violating_clarify_execution_alerts_and_publishes_the_run_metrics(
        world: World, sagemaker: Stubber, monitoring_type: str) -> None:
    schedule, _, violations_file, count = CASES[monitoring_type]
    job, prefix = _job(monitoring_type, f"CompletedWithViolations: Job completed successfully with {count} "
                                        "violations.")
    sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": JOB})
    world.put(f"{prefix}/constraint_violations.json", (EVENTS / violations_file).read_bytes())
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["errors"] == [] and summary["alerted"] == 1
    namespace = alarms_clarify.OWN_NAMESPACES[monitoring_type]  # what the violations alarm watches
    assert _published(world, namespace, ENDPOINT, schedule) == {"monitoring_run_completed": 1.0,
                                                                "violations_count": float(count)}
    assert world.clients["cloudwatch"].list_metrics(Namespace="ModelMonitor/DataQuality")["Metrics"] == []
    [(subject, body)] = world.published()
    kind = "bias drift" if monitoring_type == "ModelBias" else "feature attribution drift"
    assert kind in subject
    title = "model bias" if monitoring_type == "ModelBias" else "model explainability"
    assert f"Incident: {title} of {ENDPOINT} / {schedule}" in body


@pytest.mark.parametrize("monitoring_type", sorted(CASES))
def test_clean_clarify_execution_publishes_zero_violations_and_the_heartbeat(
        world: World, sagemaker: Stubber, monitoring_type: str) -> None:
    schedule = CASES[monitoring_type][0]
    job, _ = _job(monitoring_type, "Completed: Job completed successfully with no violations.")
    sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": JOB})
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["errors"] == [] and summary["alerted"] == 0
    assert _published(world, alarms_clarify.OWN_NAMESPACES[monitoring_type], ENDPOINT, schedule) == {
        "monitoring_run_completed": 1.0, "violations_count": 0.0}


def test_violations_file_decides_when_the_exit_message_does_not_say(world: World, sagemaker: Stubber) -> None:
    """AWS documents the file ("If violations are detected, the job lists them to the constraint_violations.json
    file"), not the Clarify job's ExitMessage: a violations file counts whatever the message says."""
    schedule = CASES["ModelBias"][0]
    job, prefix = _job("ModelBias", "")
    sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": JOB})
    world.put(f"{prefix}/constraint_violations.json", (EVENTS / "clarify_bias_violations.json").read_bytes())
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["errors"] == [] and summary["alerted"] == 1
    assert _published(world, "ModelMonitor/ModelBias", ENDPOINT, schedule)["violations_count"] == 2.0


def test_batch_transform_execution_publishes_under_the_schedules_endpoint_dimension(
        world: World, sagemaker: Stubber) -> None:
    """A batch transform source has no endpoint: the schedule's tag carries the Endpoint dimension the monitor's
    alarms use (`batch-transform`, as under our engines)."""
    schedule = CASES["ModelExplainability"][0]
    job, _ = _job("ModelExplainability", "Completed: Job completed successfully with no violations.", endpoint=None)
    sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": JOB})
    sagemaker.add_response("list_tags", {"Tags": [
        {"Key": "modelmonitor:monitor", "Value": "lending/credit-default"},
        {"Key": engine_model_monitor.ENDPOINT_DIMENSION_TAG, "Value": BATCH_ENDPOINT_DIMENSION}]},
        {"ResourceArn": _schedule_arn(schedule)})
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["errors"] == []
    assert _published(world, "ModelMonitor/ModelExplainability", BATCH_ENDPOINT_DIMENSION, schedule) == {
        "monitoring_run_completed": 1.0, "violations_count": 0.0}


def test_clarify_violation_files_parse_in_awss_formats() -> None:
    bias = parse_violations((EVENTS / "clarify_bias_violations.json").read_bytes())
    assert [(v.feature, v.check_type) for v in bias] == [("CI of Age=40", "bias_drift_check"),
                                                         ("DPPL of Age=40", "bias_drift_check")]
    [attribution] = parse_violations((EVENTS / "clarify_attribution_violations.json").read_bytes())
    assert (attribution.feature, attribution.check_type) == ("shap of label0", "feature_attribution_drift_check")
    assert attribution.distance is None  # an nDCG score is no distance: nothing made up
    notebook = {"version": "1.0", "violations": [
        {"constraint_check_type": "bias_drift_check", "facet": "Sex", "facet_value": "0", "metric_name": name,
         "description": f"Metric value {value} doesn't meet the baseline constraint requirement 0.1"}
        for name, value in REAL_NOTEBOOK_BIAS]}
    parsed = parse_violations(json.dumps(notebook).encode())
    assert len(parsed) == 8 and parsed[-1].feature == "TE of Sex=0"
    data = run_metrics.run_metric_data(parsed, endpoint=ENDPOINT, schedule=NAMES.model_bias_schedule,
                                       timestamp=SCHEDULED_HOUR, monitoring_type="model_bias")
    assert {d["MetricName"]: d["Value"] for d in data} == {"monitoring_run_completed": 1.0, "violations_count": 8.0}


def test_names_agree_between_the_component_and_the_lambda() -> None:
    assert enrich.ENDPOINT_DIMENSION_TAG == engine_model_monitor.ENDPOINT_DIMENSION_TAG
    assert run_metrics.NAMESPACES["model_bias"] == alarms_clarify.OWN_NAMESPACES["ModelBias"]
    assert run_metrics.NAMESPACES["model_explainability"] == alarms_clarify.OWN_NAMESPACES["ModelExplainability"]
    assert run_metrics.VIOLATIONS_METRIC == alarms_clarify.VIOLATIONS_METRIC


def test_a_model_quality_execution_alerts_as_model_quality(world: World, sagemaker: Stubber) -> None:
    """A Model Monitor model-quality execution (engine modelMonitor) is told apart by its schedule's name as the
    Clarify ones are: its violations are model quality's, not data drift's. Violations file: a model-quality entry
    as AWS's model-quality container writes it (metric_name + constraint_check_type, e.g. LessThanThreshold)."""
    schedule = NAMES.model_quality_schedule
    output = f"s3://{BUCKET}/results/lending/credit-default/model-quality/{ENDPOINT}/{schedule}/2026/11/24/10"
    job = _describe_job(JOB, output, "CompletedWithViolations: Job completed successfully with 1 violations.")
    job["MonitoringScheduleArn"] = _schedule_arn(schedule)
    job["Environment"] = {"sagemaker_monitoring_schedule_name": schedule, "sagemaker_endpoint_name": ENDPOINT}
    sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": JOB})
    world.put(f"{output.removeprefix(f's3://{BUCKET}/')}/constraint_violations.json", json.dumps({"violations": [
        {"metric_name": "auc", "constraint_check_type": "LessThanThreshold",
         "description": "Metric auc with 0.61 was LessThanThreshold '0.75'"}]}).encode())
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["alerted"] == 1
    [(subject, _)] = world.published()
    assert "model quality" in subject and "data drift" not in subject
