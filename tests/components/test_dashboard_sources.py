"""The monitor's dashboard shows what its alarms watch, under every engine and for both sources.

- Bias drift and feature attribution drift have widgets under every engine: the run metric the violations alarm
  watches (same namespace, metric and dimension values, read from the rendered alarm) and the per-metric series
  (Clarify's `bias_metric_*` / `feature_attribution_*` in AWS's namespaces under modelMonitor; ours otherwise).
- A batch transform source under modelMonitor: AWS publishes its metrics "For batch transform jobs:
  /aws/sagemaker/ModelMonitoring/data-metric namespace with MonitoringSchedule dimension" ("CloudWatch Metrics",
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html; "MonitoringSchedule
  for batch transform jobs", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-cloudwatch.html):
  no widget may read an `aws/sagemaker/Endpoints/*` namespace or give AWS's metrics an Endpoint dimension. Our
  namespaces keep Endpoint = `batch-transform` (our engines and the alert Lambda publish it so).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelmonitor.components.engine_environment import BATCH_ENDPOINT_DIMENSION
from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import example, of_type, on_engine
from tests.components.test_clarify_mm_alarms import batch_source

ENGINES = ["modelMonitor", "lambda", "processingJob"]
TYPES = {"bias-drift.yaml": ("ModelMonitor/ModelBias", "bias_metric", "aws/sagemaker/Endpoints/bias-metrics"),
         "feature-attribution.yaml": ("ModelMonitor/ModelExplainability", "feature_attribution",
                                      "aws/sagemaker/Endpoints/explainability-metrics")}
_PLANS: dict[str, list[PlannedResource]] = {}


def _plan(key: str, document: ModelMonitorDocument) -> list[PlannedResource]:
    if key not in _PLANS:
        _PLANS[key] = render_plan([document])
    return _PLANS[key]


def _body(plan: list[PlannedResource]) -> dict[str, Any]:
    (dashboard,) = [r for r in of_type(plan, "cloudwatch/dashboard:Dashboard") if r["name"].endswith("-dashboard")]
    body: dict[str, Any] = json.loads(dashboard["inputs"]["dashboardBody"])
    return body


def _metric_rows(body: dict[str, Any]) -> list[list[Any]]:
    return [row for w in body["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]


def _expressions(body: dict[str, Any]) -> list[str]:
    return [item["expression"] for row in _metric_rows(body) for item in row
            if isinstance(item, dict) and "expression" in item]


def _plain(row: list[Any]) -> list[Any]:
    return [item for item in row if not isinstance(item, dict)]


@pytest.mark.parametrize("source", ["endpoint", "batch"])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("file", sorted(TYPES))
def test_bias_and_attribution_widgets_under_every_engine(file: str, engine: str, source: str) -> None:
    own, term, aws = TYPES[file]
    document = on_engine(example(file), engine)
    if source == "batch":
        document = batch_source(document)
    plan = _plan(f"{file}-{engine}-{source}", document)
    (alarm,) = [r["inputs"] for r in of_type(plan, "cloudwatch/metricAlarm:MetricAlarm")
                if r["inputs"]["namespace"] == own and r["inputs"]["metricName"] == "violations_count"]
    dims = alarm["dimensions"]
    body = _body(plan)
    assert [own, "violations_count", "Endpoint", dims["Endpoint"], "MonitoringSchedule",
            dims["MonitoringSchedule"]] in [_plain(row) for row in _metric_rows(body)]
    per_metric = [e for e in _expressions(body) if term in e]
    assert len(per_metric) == 1, _expressions(body)
    (expression,) = per_metric
    if engine != "modelMonitor":
        namespace = own
    elif source == "batch":
        namespace = aws.replace("aws/sagemaker/Endpoints/", "aws/sagemaker/ModelMonitoring/")
    else:
        namespace = aws
    assert f'Namespace="{namespace}"' in expression
    assert f'MonitoringSchedule="{dims["MonitoringSchedule"]}"' in expression
    assert ("Endpoint" in expression) == (engine != "modelMonitor" or source == "endpoint")


@pytest.mark.parametrize("features", [[], ["claim_amount"]], ids=["search", "listed"])
def test_batch_source_under_model_monitor_reads_awss_batch_namespaces(features: list[str]) -> None:
    document = on_engine(example("batch-transform.yaml"), "modelMonitor")
    spec = document.spec.model_dump(by_alias=True, exclude_none=True)
    spec["dataQuality"] = {**spec["dataQuality"], "analyzer": "builtin", "features": features}
    document = ModelMonitorDocument.model_validate({**document.model_dump(by_alias=True), "spec": spec})
    body = _body(_plan(f"batch-builtin-{len(features)}", document))
    rows, expressions = [_plain(row) for row in _metric_rows(body)], _expressions(body)
    text = json.dumps(body)
    assert "aws/sagemaker/Endpoints/" not in text
    aws_rows = [row for row in rows if row and str(row[0]).startswith("aws/")]
    aws_expressions = [e for e in expressions if "aws/sagemaker/" in e]
    assert aws_rows or aws_expressions
    for row in aws_rows:
        assert row[0] == "aws/sagemaker/ModelMonitoring/data-metrics" and "Endpoint" not in row
    for expression in aws_expressions:
        assert "aws/sagemaker/ModelMonitoring/data-metrics" in expression and "Endpoint" not in expression
    # our namespace (the alert Lambda's run metrics) keeps the Endpoint dimension the alarms use
    own = [row for row in rows if row and row[0] == "ModelMonitor/DataQuality"]
    assert own and all(row[row.index("Endpoint") + 1] == BATCH_ENDPOINT_DIMENSION for row in own)
