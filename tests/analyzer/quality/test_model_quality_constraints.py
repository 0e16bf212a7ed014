"""Constraint checks and output files of a model-quality run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from modelmonitor.analyzer.quality.model_quality import Labels, ModelQualityError, Predictions, evaluate

T = datetime(2026, 11, 24, 10, tzinfo=UTC)

# 8 predictions, 6 correct at threshold 0.5: accuracy 0.75; tp=3 fp=1 fn=1 tn=3 → precision=recall=f1=0.75.
IDS = [f"e{i}" for i in range(8)]
SCORES = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]
TRUTH = ["1", "1", "1", "0", "1", "0", "0", "0"]


def _run(constraints: dict[str, Any]) -> Any:
    return evaluate(Predictions(IDS, [None] * 8, SCORES), Labels(IDS, TRUTH, [T] * 8),
                    problem_type="BinaryClassification", constraints=constraints)


def test_hand_worked_binary_window() -> None:
    result = _run({"version": 0.0, "binary_classification_constraints": {}})
    assert result.metrics["accuracy"] == 0.75
    assert result.metrics["precision"] == 0.75
    assert result.metrics["recall"] == 0.75
    # AUC by hand: of 16 positive/negative pairs, only (0.4 positive, 0.6 negative) is mis-ordered → 15/16.
    assert result.metrics["auc"] == pytest.approx(15 / 16)


def test_violations_follow_the_comparison_operator() -> None:
    result = _run({"version": 0.0, "binary_classification_constraints": {
        "accuracy": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"},
        "f1": {"threshold": 0.75, "comparison_operator": "LessThanThreshold"},  # equal: not a violation
        "recall": {"threshold": 0.75, "comparison_operator": "LessThanOrEqualToThreshold"},
        "false_positive_rate": {"threshold": "2E-1", "comparison_operator": "GreaterThanThreshold"},
        "truePositiveRate": {"threshold": 0.9, "comparison_operator": "GreaterThanOrEqualToThreshold"},
    }})
    document = result.violations_document()
    assert json.loads(json.dumps(document)) == {"violations": [
        {"metric_name": "accuracy", "constraint_check_type": "LessThanThreshold",
         "description": "Metric accuracy with 0.75 was LessThanThreshold 0.8"},
        {"metric_name": "false_positive_rate", "constraint_check_type": "GreaterThanThreshold",
         "description": "Metric false_positive_rate with 0.25 was GreaterThanThreshold 0.2"},
        {"metric_name": "recall", "constraint_check_type": "LessThanOrEqualToThreshold",
         "description": "Metric recall with 0.75 was LessThanOrEqualToThreshold 0.75"},
    ]}


def test_wrong_section_and_operator_are_clear_errors() -> None:
    with pytest.raises(ModelQualityError, match=r"no binary_classification_constraints section.*regression"):
        _run({"version": 0.0, "regression_constraints": {}})
    with pytest.raises(ModelQualityError, match="comparison_operator must be one of"):
        _run({"binary_classification_constraints": {"f1": {"threshold": 0.5, "comparison_operator": "Below"}}})
    with pytest.raises(ModelQualityError, match="threshold must be a number"):
        _run({"binary_classification_constraints": {"f1": {"threshold": None,
                                                           "comparison_operator": "LessThanThreshold"}}})


def test_statistics_and_metric_lines() -> None:
    result = _run({"binary_classification_constraints": {
        "accuracy": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"}}})
    stats = result.statistics(evaluation_time=T)
    assert stats["binary_classification_metrics"]["accuracy"] == {"value": 0.75}
    assert stats["binary_classification_metrics"]["confusion_matrix"] == {"0": {"0": 3, "1": 1},
                                                                          "1": {"0": 1, "1": 3}}
    assert stats["ground_truth"]["coverage"] == 1.0
    lines = result.metric_records(endpoint="churn-prod", schedule="churn-mq", timestamp=T)
    by_name = {line["MetricName"]: line for line in lines}
    assert by_name["auc"]["Value"] == pytest.approx(15 / 16)
    assert by_name["ground_truth_coverage"]["Value"] == 1.0
    assert by_name["violations_count"]["Value"] == 1.0
    assert by_name["accuracy"]["Dimensions"] == [{"Name": "Endpoint", "Value": "churn-prod"},
                                                 {"Name": "MonitoringSchedule", "Value": "churn-mq"}]
    assert by_name["accuracy"]["Timestamp"] == "2026-11-24T10:00:00Z"
    assert all("Value" in line and "StatisticValues" not in line for line in lines)
