"""Model-quality metrics against scikit-learn (the independent oracle) on seeded generated data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn import metrics as skm

from modelmonitor.analyzer.quality.model_quality import (
    Labels,
    ModelQualityError,
    Predictions,
    average_ranks,
    evaluate,
    roc_auc,
)
from modelmonitor.spec_quality import MODEL_QUALITY_METRICS

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _labels(ids: list[str], values: list[str], arrived: datetime = T0) -> Labels:
    return Labels(ids=ids, values=values, arrived=[arrived] * len(ids))


def _ids(n: int) -> list[str]:
    return [f"id-{i}" for i in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 2000
    y = rng.integers(0, 2, n)
    # Scores rounded to 2 decimals so many ties exercise the tie-corrected rank formula.
    score = np.clip(np.round(0.35 * y + rng.normal(0.35, 0.25, n), 2), 0, 1)
    result = evaluate(Predictions(_ids(n), [None] * n, score.tolist()), _labels(_ids(n), [str(v) for v in y]),
                      problem_type="BinaryClassification", probability_threshold=0.5)
    y_hat = (score >= 0.5).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, y_hat).ravel()
    expected = {
        "accuracy": skm.accuracy_score(y, y_hat),
        "precision": skm.precision_score(y, y_hat, zero_division=0),
        "recall": skm.recall_score(y, y_hat, zero_division=0),
        "f0_5": skm.fbeta_score(y, y_hat, beta=0.5, zero_division=0),
        "f1": skm.f1_score(y, y_hat, zero_division=0),
        "f2": skm.fbeta_score(y, y_hat, beta=2, zero_division=0),
        "auc": skm.roc_auc_score(y, score),
        "true_positive_rate": tp / (tp + fn),
        "true_negative_rate": tn / (tn + fp),
        "false_positive_rate": fp / (fp + tn),
        "false_negative_rate": fn / (fn + tp),
    }
    assert set(result.metrics) == set(MODEL_QUALITY_METRICS["BinaryClassification"])
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value, abs=1e-12), name
    assert result.confusion_matrix == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}


def test_binary_threshold_and_label_only_predictions() -> None:
    rng = np.random.default_rng(7)
    n = 500
    y = rng.integers(0, 2, n)
    score = rng.random(n)
    at_08 = evaluate(Predictions(_ids(n), [None] * n, score.tolist()), _labels(_ids(n), [str(v) for v in y]),
                     problem_type="BinaryClassification", probability_threshold=0.8)
    assert at_08.metrics["recall"] == pytest.approx(skm.recall_score(y, score >= 0.8))
    # Predicted labels only (inferenceAttribute without probabilityAttribute), written as true/false.
    y_hat = rng.integers(0, 2, n)
    labelled = evaluate(Predictions(_ids(n), ["true" if v else "false" for v in y_hat]),
                        _labels(_ids(n), [str(v) for v in y]), problem_type="BinaryClassification")
    assert labelled.metrics["f1"] == pytest.approx(skm.f1_score(y, y_hat))
    assert labelled.metrics["auc"] == pytest.approx(skm.roc_auc_score(y, y_hat))


@pytest.mark.parametrize("seed", [11, 12])
def test_multiclass_weighted_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    classes = np.array(["cat", "dog", "eel", "fox"])
    y = classes[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])]
    noisy = rng.random(n) < 0.35
    # "gnu" is predicted but never true: a class with support 0 must weigh nothing.
    y_hat = np.where(noisy, np.array([*classes, "gnu"])[rng.integers(0, 5, n)], y)
    result = evaluate(Predictions(_ids(n), y_hat.tolist()), _labels(_ids(n), y.tolist()),
                      problem_type="MulticlassClassification")
    expected = {
        "accuracy": skm.accuracy_score(y, y_hat),
        "weighted_precision": skm.precision_score(y, y_hat, average="weighted", zero_division=0),
        "weighted_recall": skm.recall_score(y, y_hat, average="weighted", zero_division=0),
        "weighted_f0_5": skm.fbeta_score(y, y_hat, beta=0.5, average="weighted", zero_division=0),
        "weighted_f1": skm.f1_score(y, y_hat, average="weighted", zero_division=0),
        "weighted_f2": skm.fbeta_score(y, y_hat, beta=2, average="weighted", zero_division=0),
    }
    assert set(result.metrics) == set(MODEL_QUALITY_METRICS["MulticlassClassification"])
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value, abs=1e-12), name
    assert result.confusion_matrix["cat"]["cat"] == int(np.sum((y == "cat") & (y_hat == "cat")))


@pytest.mark.parametrize("seed", [21, 22])
def test_regression_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 1500
    y = rng.normal(100, 15, n)
    y_hat = y + rng.normal(2, 5, n)
    result = evaluate(Predictions(_ids(n), [repr(float(v)) for v in y_hat]),
                      _labels(_ids(n), [repr(float(v)) for v in y]), problem_type="Regression")
    assert result.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y, y_hat), rel=1e-12)
    assert result.metrics["mse"] == pytest.approx(skm.mean_squared_error(y, y_hat), rel=1e-12)
    assert result.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(y, y_hat), rel=1e-12)
    assert result.metrics["r2"] == pytest.approx(skm.r2_score(y, y_hat), rel=1e-12)


def test_rank_auc_with_heavy_ties_matches_sklearn() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400).astype(bool)
    score = rng.integers(0, 4, 400).astype(float)  # 4 distinct values: almost everything is tied
    assert roc_auc(y, score) == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert roc_auc(np.array([True, True]), np.array([0.1, 0.9])) is None


def test_unmatched_ids_and_late_labels_are_counted_not_used() -> None:
    rng = np.random.default_rng(42)
    n = 1000
    ids = _ids(n)
    y = rng.integers(0, 2, n)
    score = np.clip(0.4 * y + rng.random(n) * 0.6, 0, 1)
    evaluation_time = T0 + timedelta(hours=24)
    order = rng.permutation(n)
    late, on_time = order[150:250], order[250:]  # order[:150] never gets a label
    label_ids = [ids[i] for i in on_time] + [ids[i] for i in late] + ["other-window-1", "other-window-2"]
    label_values = [str(y[i]) for i in on_time] + [str(1 - y[i]) for i in late] + ["1", "0"]
    arrived = ([T0 + timedelta(hours=3)] * len(on_time) + [evaluation_time + timedelta(hours=1)] * len(late)
               + [T0] * 2)
    # A duplicate for one labelled id: the later (on-time) one wins.
    duplicate = ids[on_time[0]]
    label_ids.append(duplicate)
    label_values.append(str(y[on_time[0]]))
    arrived.append(T0 + timedelta(hours=5))
    label_ids.append(duplicate)
    label_values.append(str(1 - y[on_time[0]]))
    arrived.append(T0 + timedelta(hours=1))
    result = evaluate(Predictions(ids, [None] * n, score.tolist()), Labels(label_ids, label_values, arrived),
                      problem_type="BinaryClassification", evaluation_time=evaluation_time,
                      min_ground_truth_coverage=0.8)
    coverage = result.coverage
    assert (coverage.predictions, coverage.matched) == (1000, 750)
    assert coverage.unmatched_predictions == 250
    assert coverage.late_labels == 100
    assert coverage.orphan_labels == 2
    assert coverage.duplicate_labels == 2
    assert coverage.ratio == pytest.approx(0.75)
    kept = np.sort(on_time)
    assert result.metrics["auc"] == pytest.approx(skm.roc_auc_score(y[kept], score[kept]))
    assert result.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y[kept], score[kept] >= 0.5))
    [violation] = result.violations
    assert violation.metric_name == "ground_truth_coverage"
    assert violation.constraint_check_type == "LessThanThreshold"
    assert "750 of 1000" in violation.description and "100 late" in violation.description


def test_no_ground_truth_gives_zero_coverage_and_no_metrics() -> None:
    result = evaluate(Predictions(["a", "b"], ["1", "0"]), _labels([], []), problem_type="BinaryClassification")
    assert result.metrics == {}
    assert result.coverage.ratio == 0.0
    assert result.violations == []


@pytest.mark.parametrize(("predicted", "labels", "problem", "message"), [
    (["1", "2"], ["1", "maybe"], "BinaryClassification", "0/1"),
    (["1.0", "abc"], ["1", "2"], "Regression", "numeric"),
    (["1.0", "nan"], ["1", "2"], "Regression", "finite"),
])
def test_bad_values_raise_specific_errors(predicted: list[str], labels: list[str], problem: str,
                                          message: str) -> None:
    with pytest.raises(ModelQualityError, match=message):
        evaluate(Predictions(["a", "b"], predicted), _labels(["a", "b"], labels),
                 problem_type=problem)  # type: ignore[arg-type]


def test_mismatched_columns_are_rejected() -> None:
    with pytest.raises(ModelQualityError, match="2 prediction ids but 1 scores"):
        Predictions(["a", "b"], [None, None], [0.3])
