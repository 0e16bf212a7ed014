"""Bias drift under the lambda engine against moto: the demo's churn traffic (real capture format) and SageMaker-
format ground truth → Clarify's analysis.json in the results layout, the bias_metric_* datums in CloudWatch with
AWS's seven dimensions, and the run event. The expected DPPL is recomputed from the generated rows.

The spec and component wiring of `modelBias` is not built yet: the environment is the model-quality builder's plus
the two settings a bias run adds (`monitoring_type: ModelBias`, `analysis_config`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.demo.scenario import Scenario
from tests.engines.conftest import ENDPOINT, FIRST_HOUR, MONITOR, NAMES, Aws, document, engine_env
from tests.engines.test_model_quality_engine import GROUND_TRUTH, _put_hour, _put_labels

SCHEDULE = NAMES.model_quality_schedule
CONFIG = {"label": "churned", "label_values_or_threshold": [1], "probability_threshold": 0.5,
          "headers": ["tenure_months", "monthly_charges", "support_calls", "data_usage_gb", "age", "late_payments",
                      "contract_type", "payment_method", "internet_service", "region"],
          "facet": [{"name_or_index": "region", "value_or_threshold": ["south"]}]}


def test_bias_run_under_the_lambda_engine(aws: Aws, scenario: Scenario) -> None:
    ids, scores, truth = _put_hour(aws, scenario, 2)
    _put_labels(aws, FIRST_HOUR + timedelta(hours=3), ids, truth, "labels")
    monitor = document(modelQuality={
        "enabled": True, "schedule": "hourly", "problemType": "BinaryClassification", "probabilityAttribute": "0",
        "groundTruthS3Uri": GROUND_TRUTH + "/", "labelDelay": "2h"})
    env = {**engine_env("ModelQuality", monitor), "monitoring_type": "ModelBias", "analysis_config": json.dumps(CONFIG)}

    response = lambda_handler.run_invocation({"scheduled_time": "2026-11-24T05:10:00Z"}, env, clients=aws.clients,
                                             s3=aws.s3, now=datetime(2026, 11, 24, 5, 10, tzinfo=UTC))

    assert response["status"] == "Completed" and response["windowStart"] == "2026-11-24T02:00:00Z"
    prefix = f"results/lending/churn/model-quality/{ENDPOINT}/{SCHEDULE}/2026/11/24/02/"
    analysis = aws.json(prefix + "analysis.json")
    (split,) = analysis["post_training_bias_metrics"]["facets"]["region"]
    dppl = next(m["value"] for m in split["metrics"] if m["name"] == "DPPL")
    region = scenario.hour_traffic(2).columns["region"]
    positive = scores >= 0.5
    assert abs(dppl - (positive[region != "south"].mean() - positive[region == "south"].mean())) < 1e-12
    [event] = aws.run_events()
    assert (event["monitor"], event["monitoringType"], event["status"]) == (MONITOR, "ModelBias", "Completed")

    dimensions = [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE},
                  {"Name": "BiasStage", "Value": "Post-Training"}, {"Name": "Label", "Value": "churned"},
                  {"Name": "LabelValue", "Value": "1"}, {"Name": "Facet", "Value": "region"},
                  {"Name": "FacetValue", "Value": "south"}]
    at = FIRST_HOUR + timedelta(hours=5)
    values = aws.cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
            "Namespace": env["cloudwatch_metrics_namespace"], "MetricName": "bias_metric_DPPL",
            "Dimensions": dimensions}, "Period": 3600, "Stat": "Average"}}],
        StartTime=at - timedelta(hours=1), EndTime=at + timedelta(hours=1))["MetricDataResults"][0]["Values"]
    assert len(values) == 1 and abs(values[0] - dppl) < 1e-9
