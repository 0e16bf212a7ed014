"""Model quality under the lambda engine against moto: generated predictions (real capture format) and SageMaker-
format ground truth with labels that are late or match nothing → metrics checked against scikit-learn, coverage,
violations, the run event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.demo.scenario import Scenario, true_churn_logit
from modelmonitor.demo.traffic import ground_truth_lines, hour_capture_files
from tests.engines.conftest import BUCKET, ENDPOINT, FIRST_HOUR, MONITOR, NAMES, VARIANT, Aws, document, engine_env

SCHEDULE = NAMES.model_quality_schedule
GROUND_TRUTH = f"s3://{BUCKET}/ground-truth/churn"
DIMENSIONS = [{"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}]


def _put_hour(aws: Aws, scenario: Scenario, hour: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Captures of one hour; returns (inference ids, scores, true labels)."""
    table = scenario.hour_traffic(hour)
    rng = np.random.default_rng([scenario.seed, hour, 7])
    scores = scenario.model.predict_proba(table)
    start = FIRST_HOUR + timedelta(hours=hour)
    for f in hour_capture_files(table, scores, endpoint=ENDPOINT, variant=VARIANT, hour_start=start, rng=rng):
        aws.s3.put_object(Bucket=BUCKET, Key=f"captures/{f.key}", Body=f.body)
    truth = (rng.random(len(table)) < 1 / (1 + np.exp(-true_churn_logit(table)))).astype(float)
    # hour_capture_files' inference ids: f"{hour_start:%Y%m%d%H}-{row}"
    return [f"{start:%Y%m%d%H}-{i}" for i in range(len(table))], np.round(scores, 6), truth


def _put_labels(aws: Aws, filed_at: datetime, ids: list[str], labels: np.ndarray, name: str) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=f"ground-truth/churn/{filed_at:%Y/%m/%d/%H}/{name}.jsonl",
                      Body=ground_truth_lines(ids, labels))


def test_binary_model_quality_run(aws: Aws, scenario: Scenario) -> None:
    ids, scores, truth = _put_hour(aws, scenario, 2)       # the window: 02:00–03:00
    other_ids, _, other_truth = _put_hour(aws, scenario, 1)  # labels of another window's predictions
    _put_labels(aws, FIRST_HOUR + timedelta(hours=3), ids[:300], truth[:300], "on-time")
    _put_labels(aws, FIRST_HOUR + timedelta(hours=4), other_ids[:20], other_truth[:20], "orphans")
    _put_labels(aws, FIRST_HOUR + timedelta(hours=6), ids[300:350], truth[300:350], "after-evaluation")
    aws.s3.put_object(Bucket=BUCKET, Key="baselines/lending/churn/model-quality/constraints.json", Body=json.dumps({
        "version": 0.0, "binary_classification_constraints": {
            "accuracy": {"threshold": 0.99, "comparison_operator": "LessThanThreshold"},
            "auc": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}}}))
    monitor = document(modelQuality={
        "enabled": True, "schedule": "hourly", "problemType": "BinaryClassification", "probabilityAttribute": "0",
        "groundTruthS3Uri": GROUND_TRUTH + "/", "labelDelay": "90m", "minGroundTruthCoverage": 0.8})
    env = engine_env("ModelQuality", monitor,
                     constraints=f"s3://{BUCKET}/baselines/lending/churn/model-quality/constraints.json")
    # The builder's run settings: a 90 min label delay becomes 2 whole hours (as the modelMonitor engine's
    # EndTimeOffset), metrics go to our model-quality namespace.
    assert (env["label_delay_seconds"], env["schedule_period_seconds"]) == ("7200", "3600")
    assert (env["cloudwatch_metrics_namespace"], env["probability_threshold_attribute"]) == \
        ("ModelMonitor/ModelQuality", "0.5")
    assert "baseline_statistics" not in env and env["ground_truth_source"] == GROUND_TRUTH

    # Fired at 05:10 with a 2 h label delay: evaluated at 05:00, window 02:00–03:00; labels filed at 06:00 are
    # not in yet (a rerun later would not change this run's inputs: it reads up to the evaluation hour only).
    response = lambda_handler.run_invocation({"scheduled_time": "2026-11-24T05:10:00Z"}, env, clients=aws.clients,
                                             s3=aws.s3, now=datetime(2026, 11, 24, 5, 10, tzinfo=UTC))

    prefix = f"results/lending/churn/model-quality/{ENDPOINT}/{SCHEDULE}/2026/11/24/02/"
    statistics = aws.json(prefix + "statistics.json")
    assert statistics["ground_truth"] == {"coverage": 0.75, "predictions": 400, "matched": 300,
                                          "unmatched_predictions": 100, "orphan_labels": 20, "late_labels": 0,
                                          "duplicate_labels": 0}
    expected_accuracy = accuracy_score(truth[:300], scores[:300] >= 0.5)
    expected_auc = roc_auc_score(truth[:300], scores[:300])
    metrics = statistics["binary_classification_metrics"]
    assert abs(metrics["accuracy"]["value"] - expected_accuracy) < 1e-12
    assert abs(metrics["auc"]["value"] - expected_auc) < 1e-12
    violations = aws.json(prefix + "constraint_violations.json")["violations"]
    assert sorted(v["metric_name"] for v in violations) == ["accuracy", "ground_truth_coverage"]

    [event] = aws.run_events()
    assert event == {"monitor": MONITOR, "endpoint": ENDPOINT, "schedule": SCHEDULE, "engine": "lambda",
                     "monitoringType": "ModelQuality", "status": "CompletedWithViolations", "violations": 2,
                     "driftedFeatures": [], "reportUri": f"s3://{BUCKET}/{prefix}",
                     "windowStart": "2026-11-24T02:00:00Z", "windowEnd": "2026-11-24T03:00:00Z",
                     # judged after the 2 h label delay: the clock its alarms' StateChangeTime runs on
                     "evaluationTime": "2026-11-24T05:00:00Z", "failureReason": None}
    assert response["status"] == "CompletedWithViolations"

    at = FIRST_HOUR + timedelta(hours=5)  # the window's evaluation time (docs/engines.md, "Metric timestamps")
    for name, expected in (("ground_truth_coverage", 0.75), ("accuracy", expected_accuracy), ("auc", expected_auc),
                           ("violations_count", 2.0), ("monitoring_run_completed", 1.0)):
        data = aws.cloudwatch.get_metric_data(
            MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {
                "Namespace": "ModelMonitor/ModelQuality", "MetricName": name, "Dimensions": DIMENSIONS},
                "Period": 3600, "Stat": "Average"}}],
            StartTime=at - timedelta(hours=1), EndTime=at + timedelta(hours=1))["MetricDataResults"][0]["Values"]
        assert len(data) == 1 and abs(data[0] - expected) < 1e-9, (name, data)
