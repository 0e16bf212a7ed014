"""Bias drift under the lambda engine against moto: the demo's churn traffic (real capture format) and SageMaker-
format ground truth → Clarify's analysis.json in the results layout, the bias_metric_* datums in CloudWatch with
AWS's seven dimensions, and the run event. The expected DPPL is recomputed from the generated rows.

The run's environment and analysis configuration are the ones the component renders and uploads for `spec.modelBias`
(`engine_environment.analyzer_function_environment`, `engine_clarify.analysis_config_text`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.components.engine_clarify import analysis_config_text
from modelmonitor.demo.scenario import Scenario
from tests.engines.conftest import BUCKET, ENDPOINT, FIRST_HOUR, MONITOR, NAMES, Aws, document, engine_env
from tests.engines.test_model_quality_engine import GROUND_TRUTH, _put_hour, _put_labels

SCHEDULE = NAMES.model_bias_schedule
MODEL_BIAS = {"enabled": True, "schedule": "hourly", "groundTruthS3Uri": GROUND_TRUTH + "/", "labelDelay": "2h",
              "label": {"name": "churned", "favourableValues": ["1"]}, "probabilityAttribute": "0",
              "headers": ["tenure_months", "monthly_charges", "support_calls", "data_usage_gb", "age",
                          "late_payments", "contract_type", "payment_method", "internet_service", "region"],
              "facets": [{"name": "region", "values": ["south"]}]}
CONFIG_KEY = "baselines/lending/churn/model-bias/analysis_config.json"


def test_bias_run_under_the_lambda_engine(aws: Aws, scenario: Scenario) -> None:
    ids, scores, truth = _put_hour(aws, scenario, 2)
    _put_labels(aws, FIRST_HOUR + timedelta(hours=3), ids, truth, "labels")
    monitor = document(modelBias=MODEL_BIAS)
    aws.s3.put_object(Bucket=BUCKET, Key=CONFIG_KEY, Body=analysis_config_text(monitor.spec, "ModelBias"))
    env = engine_env("ModelBias", monitor, analysis_config=f"s3://{BUCKET}/{CONFIG_KEY}")
    assert env["cloudwatch_metrics_namespace"] == "ModelMonitor/ModelBias"   # internal-contracts §4

    response = lambda_handler.run_invocation({"scheduled_time": "2026-11-24T05:10:00Z"}, env, clients=aws.clients,
                                             s3=aws.s3, now=datetime(2026, 11, 24, 5, 10, tzinfo=UTC))

    assert response["status"] == "Completed" and response["windowStart"] == "2026-11-24T02:00:00Z"
    prefix = f"results/lending/churn/model-bias/{ENDPOINT}/{SCHEDULE}/2026/11/24/02/"
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
