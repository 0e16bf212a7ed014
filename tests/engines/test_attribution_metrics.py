"""Feature attribution drift's CloudWatch metrics under our engines (lambda, moto; a fake model endpoint). First
written by an outside review against code that published under the endpoint it called and no global SHAP metrics.

1. An alarm watches one metric stream: namespace, name and the exact set of dimensions. CloudWatch: "Each unique
   combination of dimensions is a separate metric"; "You can't retrieve statistics using combinations of dimensions
   that you didn't specifically publish" ("Amazon CloudWatch concepts", Dimensions,
   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension).
   With featureAttribution.endpointName set (a shadow endpoint, as the issue asks for, or the endpoint a batch
   transform source must name), the run publishes under Endpoint=<the endpoint it called> while the rendered alarms
   watch Endpoint=<the monitored endpoint>: the violations alarm can never fire and the heartbeat sees no run.
2. AWS's feature attribution drift jobs publish `feature_<name>` (each feature's global SHAP value) with the
   dimensions ExplainabilityMethod=KernelShap, Label, ValueType=GlobalShapValues ("CloudWatch Metrics for Feature
   Drift Analysis", https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-feature-attribute-drift-cw.html).
   Issue 18 asks for "the same outputs, metrics, alarms" as Model Monitor: ours publish them in our engines'
   namespace with the same name and those three dimensions after ours (Endpoint, MonitoringSchedule), as bias does.
   The page's `ExpectedValue` metric (ValueType=ExpectedValue) is not published: the page does not name it.
3. Every datum fits PutMetricData's input shape in botocore's cloudwatch model (at most 30 dimensions, names of
   1-255 characters, dimension values of 1-1024, the Unit enum): moto accepts more than CloudWatch does.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import numpy as np
from botocore.validate import ParamValidator

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.analyzer.entry.engine_outputs import metric_requests
from modelmonitor.analyzer.quality.attribution import global_shap_metric_records
from modelmonitor.components.engine_clarify import analysis_config_text
from modelmonitor.components.render import render_plan
from tests.analyzer.quality.test_attribution_run import FakeEndpoint
from tests.engines.conftest import BUCKET, ENDPOINT, FIRST_HOUR, Aws, document, engine_env

HEADERS = ["tenure", "charges", "calls", "usage"]
ATTRIBUTION = {"enabled": True, "schedule": "hourly", "headers": HEADERS,
               "backgroundRows": [[0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.2, 0.1]], "numSamples": 64, "maxRows": 10,
               "endpointName": "churn-shadow"}
DOC = document(featureAttribution=ATTRIBUTION)
CONFIG_URI = f"s3://{BUCKET}/baselines/lending/churn/feature-attribution/analysis_config.json"
NAMESPACE = "ModelMonitor/ModelExplainability"


def _captures(aws: Aws) -> None:
    rng = np.random.default_rng(2)
    start = FIRST_HOUR + timedelta(hours=2)
    lines = [json.dumps({
        "captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                                          "data": ",".join(map(str, row))},
                        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "encoding": "CSV",
                                           "data": "0.5"}},
        "eventMetadata": {"eventId": f"e{i}", "inferenceId": f"c{i}",
                          "inferenceTime": (start + timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0"}) for i, row in enumerate(rng.normal(size=(30, 4)).round(4))]
    aws.s3.put_object(Bucket=BUCKET, Key=f"captures/{ENDPOINT}/AllTraffic/{start:%Y/%m/%d/%H}/x.jsonl",
                      Body="\n".join(lines))


class RecordingCloudWatch:
    """The moto client, keeping every PutMetricData request the run makes."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.requests: list[dict[str, Any]] = []

    def put_metric_data(self, **request: Any) -> Any:
        self.requests.append(request)
        return self.client.put_metric_data(**request)


def _run(aws: Aws, cloudwatch: RecordingCloudWatch | None = None) -> dict[str, Any]:
    _captures(aws)
    aws.s3.put_object(Bucket=BUCKET, Key=CONFIG_URI.removeprefix(f"s3://{BUCKET}/"),
                      Body=analysis_config_text(DOC.spec, "ModelExplainability"))
    env = engine_env("ModelExplainability", DOC, analysis_config=CONFIG_URI)
    result = lambda_handler.run_invocation(
        {"scheduled_time": "2026-11-24T03:05:00Z"}, env,
        clients=replace(aws.clients, runtime=FakeEndpoint([2.0, 1.0, 0.2, 0.05]),
                        cloudwatch=cloudwatch or aws.cloudwatch), s3=aws.s3,
        now=datetime(2026, 11, 24, 3, 5, tzinfo=UTC))
    assert result["status"] == "Completed", result
    return result


def _published(aws: Aws, metric: str) -> list[dict[str, str]]:
    found = aws.cloudwatch.list_metrics(Namespace=NAMESPACE, MetricName=metric)["Metrics"]
    return [{d["Name"]: d["Value"] for d in m["Dimensions"]} for m in found]


def _alarm_dimensions(metric: str) -> list[dict[str, Any]]:
    return [dict(r["inputs"]["dimensions"]) for r in render_plan([DOC])
            if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm" and r["inputs"]["namespace"] == NAMESPACE
            and r["inputs"]["metricName"] == metric]


def test_attribution_alarms_watch_the_dimensions_the_run_publishes(aws: Aws) -> None:
    _run(aws)
    for metric in ("violations_count", "monitoring_run_completed"):
        alarms = _alarm_dimensions(metric)
        assert alarms, metric
        published = _published(aws, metric)
        for dimensions in alarms:
            assert dimensions in published, (metric, dimensions, published)


def test_attribution_publishes_aws_global_shap_metrics(aws: Aws) -> None:
    _run(aws)
    names = {m["MetricName"] for m in aws.cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]}
    assert {f"feature_{h}" for h in HEADERS} <= names, sorted(names)
    (alarm,) = _alarm_dimensions("violations_count")
    for header in HEADERS:
        assert _published(aws, f"feature_{header}") == [{
            **alarm, "ExplainabilityMethod": "KernelShap", "Label": "label0", "ValueType": "GlobalShapValues"}]


PUT_METRIC_DATA = botocore.session.get_session().get_service_model("cloudwatch").operation_model("PutMetricData")


def _limits(shape: Any) -> tuple[int, int]:
    return shape.metadata.get("min", 0), shape.metadata.get("max", 2**31)


def assert_fits_put_metric_data(request: dict[str, Any]) -> None:
    """botocore's own validation (types, required members, minimums: what a boto3 client checks) plus the maximums
    of the model that only CloudWatch enforces."""
    shape = PUT_METRIC_DATA.input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    datum = shape.members["MetricData"].member
    name_min, name_max = _limits(datum.members["MetricName"])
    dimensions_max = _limits(datum.members["Dimensions"])[1]
    dimension = datum.members["Dimensions"].member
    for item in request["MetricData"]:
        assert name_min <= len(item["MetricName"]) <= name_max, item["MetricName"]
        assert len(item["Dimensions"]) <= dimensions_max, item
        for pair in item["Dimensions"]:
            for key in ("Name", "Value"):
                low, high = _limits(dimension.members[key])
                assert low <= len(pair[key]) <= high, (item["MetricName"], pair)
        assert item.get("Unit", "None") in datum.members["Unit"].enum


def test_every_attribution_datum_fits_put_metric_data(aws: Aws) -> None:
    recording = RecordingCloudWatch(aws.cloudwatch)
    _run(aws, recording)
    sent = [request for request in recording.requests if request["Namespace"] == NAMESPACE]
    assert {d["MetricName"] for r in sent for d in r["MetricData"]} >= {f"feature_{h}" for h in HEADERS}
    for request in sent:
        assert_fits_put_metric_data(request)


def test_a_feature_name_cloudwatch_cannot_take_is_left_out() -> None:
    analysis = {"explanations": {"kernel_shap": {"label0": {"global_shap_values": {
        "a" * 247: 0.5, "b" * 248: 0.25, "c": float("nan")}}}}}
    records = global_shap_metric_records(analysis, dimensions=[{"Name": "Endpoint", "Value": ENDPOINT}],
                                         timestamp="2026-11-24T03:00:00Z")
    assert [r["MetricName"] for r in records] == ["feature_" + "a" * 247]  # 255 characters; 256 and NaN left out
    for request in metric_requests(records, NAMESPACE):
        assert_fits_put_metric_data(request)
