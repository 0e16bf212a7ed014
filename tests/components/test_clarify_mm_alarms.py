"""Bias drift and feature attribution drift under engine modelMonitor get the alarms they get under our engines: the
violations alarm (M of N) and the heartbeat, on the run metrics the alert Lambda publishes for every Model Monitor
execution (tests/alerts/test_clarify_executions.py) — same namespace, metric names and dimension values, which this
test reads from the rendered schedules (their names and the Endpoint-dimension tag the Lambda reads). The Platform's
alert Lambda may publish there: `cloudwatch:namespace` is the condition key IAM documents for PutMetricData
("Actions, resources, and condition keys for Amazon CloudWatch", https://docs.aws.amazon.com/service-authorization/
latest/reference/list_amazoncloudwatch.html)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from modelmonitor.alerts import run_metrics
from modelmonitor.components.engine_environment import BATCH_ENDPOINT_DIMENSION
from modelmonitor.components.engine_model_monitor import ENDPOINT_DIMENSION_TAG
from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import example, of_type, on_engine

TYPES = {"ModelBias": ("bias-drift.yaml", "bias", "ModelMonitor/ModelBias"),
         "ModelExplainability": ("feature-attribution.yaml", "attribution", "ModelMonitor/ModelExplainability")}
_PLANS: dict[str, list[PlannedResource]] = {}


def _plan(key: str, document: ModelMonitorDocument) -> list[PlannedResource]:
    if key not in _PLANS:
        _PLANS[key] = render_plan([document])
    return _PLANS[key]


def batch_source(document: ModelMonitorDocument) -> ModelMonitorDocument:
    """The same monitor reading a batch transform source instead of its endpoint."""
    spec = document.spec.model_dump(by_alias=True, exclude_none=True)
    spec.pop("endpoint")
    spec.pop("dataCapture", None)
    spec["batchTransform"] = {"destinationS3Uri": "s3://acme-captures/nightly/", "contentType": "text/csv",
                              "accept": "text/csv"}
    if spec["featureAttribution"]["enabled"]:  # attribution calls a model: a batch source names an endpoint to call
        spec["featureAttribution"]["endpointName"] = "churn-shadow"
    return ModelMonitorDocument.model_validate({**document.model_dump(by_alias=True), "spec": spec})


def _schedule(plan: list[PlannedResource], monitoring_type: str) -> dict[str, Any]:
    (schedule,) = [r["inputs"] for r in of_type(plan, "sagemaker/monitoringSchedule:MonitoringSchedule")
                   if r["inputs"]["monitoringScheduleConfig"]["monitoringType"] == monitoring_type]
    return schedule


def _alarms(plan: list[PlannedResource], namespace: str) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["metricName"]: r["inputs"] for r in of_type(plan, "cloudwatch/metricAlarm:MetricAlarm")
            if r["inputs"].get("namespace") == namespace}


@pytest.mark.parametrize("source", ["endpoint", "batch"])
@pytest.mark.parametrize("monitoring_type", sorted(TYPES))
def test_model_monitor_engine_alarms_on_the_metrics_the_alert_lambda_publishes(monitoring_type: str,
                                                                                 source: str) -> None:
    file, _, namespace = TYPES[monitoring_type]
    document = on_engine(example(file), "modelMonitor")
    if source == "batch":
        document = batch_source(document)
    plan = _plan(f"{monitoring_type}-{source}", document)
    schedule = _schedule(plan, monitoring_type)
    # the Lambda publishes under the execution's schedule name and this tag's Endpoint value when the job names
    # no endpoint (alerts/handler.py), into run_metrics.NAMESPACES
    endpoint = schedule["tags"][ENDPOINT_DIMENSION_TAG]
    assert endpoint == (BATCH_ENDPOINT_DIMENSION if source == "batch" else document.monitored_endpoint)
    assert namespace == run_metrics.NAMESPACES["model_bias" if monitoring_type == "ModelBias"
                                               else "model_explainability"]
    alarms = _alarms(plan, namespace)
    assert set(alarms) == {run_metrics.VIOLATIONS_METRIC, run_metrics.RUN_COMPLETED_METRIC}
    dims = {"Endpoint": endpoint, "MonitoringSchedule": schedule["name"]}
    violations, heartbeat = alarms[run_metrics.VIOLATIONS_METRIC], alarms[run_metrics.RUN_COMPLETED_METRIC]
    assert violations["dimensions"] == dims and heartbeat["dimensions"] == dims
    assert (violations["comparisonOperator"], violations["threshold"]) == ("GreaterThanThreshold", 0)
    kind = "bias_drift" if monitoring_type == "ModelBias" else "attribution_drift"
    assert f'"kind": "{kind}"' in violations["alarmDescription"] or f'"kind":"{kind}"' in \
        violations["alarmDescription"]


def test_alert_lambda_may_publish_every_namespace_it_publishes_into() -> None:
    plan = _plan("ModelBias-endpoint", on_engine(example("bias-drift.yaml"), "modelMonitor"))
    (policy,) = [json.loads(r["inputs"]["policy"]) for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                 if r["name"].endswith("-alerts-policy")]
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    (metrics,) = [s for s in statements if s["Action"] == "cloudwatch:PutMetricData"]
    allowed = metrics["Condition"]["StringEquals"]["cloudwatch:namespace"]
    assert sorted(allowed if isinstance(allowed, list) else [allowed]) == sorted(run_metrics.NAMESPACES.values())


@pytest.mark.parametrize("source", ["endpoint", "batch"])
@pytest.mark.parametrize("monitoring_type", sorted(TYPES))
def test_the_monitoring_role_may_publish_where_model_monitor_publishes(monitoring_type: str, source: str) -> None:
    """Model Monitor's and Clarify's jobs run as the monitoring role and publish an endpoint's metrics in
    `aws/sagemaker/Endpoints/{data,model,bias,explainability}-metrics` ("CloudWatch Metrics for Bias Drift
    Analysis", "... Feature Drift Analysis") and a batch transform source's in `aws/sagemaker/ModelMonitoring/*`
    ("CloudWatch Metrics"): every AWS namespace the plan's alarms and dashboard read must be one the role may put
    metrics in (it allowed data and model metrics only)."""
    path, _, _ = TYPES[monitoring_type]
    document = on_engine(example(path), "modelMonitor")
    if source == "batch":
        document = batch_source(document)
    plan = _plan(f"{monitoring_type}-{source}", document)
    (role_policy,) = [r for r in of_type(plan, "iam/rolePolicy:RolePolicy") if r["name"].endswith("-monitoring-policy")]
    statements = json.loads(role_policy["inputs"]["policy"])["Statement"]
    (put,) = [s for s in statements if s["Action"] == "cloudwatch:PutMetricData"]
    allowed = put["Condition"]["StringEquals"]["cloudwatch:namespace"]
    read = {r["inputs"]["namespace"] for r in of_type(plan, "cloudwatch/metricAlarm:MetricAlarm")
            if r["inputs"].get("namespace", "").startswith("aws/sagemaker/")}
    # the monitor's own dashboard (the Platform's overview searches every endpoint of the region)
    own = [d for d in of_type(plan, "cloudwatch/dashboard:Dashboard") if not d["name"].endswith("-overview")]
    for dashboard in own:
        for widget in json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]:
            for metric in widget.get("properties", {}).get("metrics", []):
                read |= set(re.findall(r"aws/sagemaker/[A-Za-z]+/[a-z-]+", json.dumps(metric)))
    assert read, "the plan reads no AWS namespace"
    assert read <= set(allowed), sorted(read - set(allowed))
