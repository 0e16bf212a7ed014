"""SageMaker Model Monitor's model-quality metrics in vectorised numpy (checked against scikit-learn in tests).

Conventions follow scikit-learn where SageMaker documents none: an empty denominator gives 0 (zero_division=0),
weighted averages weigh classes by their true support, AUC is the Mann-Whitney U statistic with tied scores
sharing their mean rank, and R² of a constant target is 1 when perfect, else 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from modelmonitor.errors import ModelMonitorError

_TRUE_LABELS = frozenset({"1", "1.0", "true", "yes", "y", "t"})
_FALSE_LABELS = frozenset({"0", "0.0", "false", "no", "n", "f"})


class ModelQualityError(ModelMonitorError):
    """Predictions, labels or constraints that cannot be evaluated; the message says which and why."""


def _safe_divide(numerator: float, denominator: float) -> float:
    """scikit-learn's zero_division=0 convention: an empty denominator gives 0, not NaN."""
    return numerator / denominator if denominator else 0.0


def _f_beta(precision: npt.NDArray[np.float64], recall: npt.NDArray[np.float64],
            beta: float) -> npt.NDArray[np.float64]:
    beta2 = beta * beta
    denominator = beta2 * precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (1 + beta2) * precision * recall / denominator
    return np.where(denominator > 0, score, 0.0)


def average_ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1-based ranks, ties sharing the mean of the ranks they span (what Mann-Whitney needs)."""
    unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    del unique
    ends = np.cumsum(counts)
    mean_rank_of_group = ends - (counts - 1) / 2.0
    ranks: npt.NDArray[np.float64] = mean_rank_of_group[inverse].astype(np.float64)
    return ranks


def roc_auc(positive: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64]) -> float | None:
    """Area under the ROC curve via the Mann-Whitney U statistic; None when only one class is present."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(scores)
    u_statistic = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u_statistic / (n_pos * n_neg)


def _binary_flag(text: str | None, what: str) -> bool:
    normalized = (text or "").strip().lower()
    if normalized in _TRUE_LABELS:
        return True
    if normalized in _FALSE_LABELS:
        return False
    raise ModelQualityError(f"binary classification needs 0/1 (or true/false) {what}, got {text!r}")


def positive_scores(scores: npt.NDArray[np.float64], threshold: float) -> npt.NDArray[np.bool_]:
    """Model quality's rule turning probabilities into positive predictions: a score at or above the threshold is
    positive. (Bias follows Clarify's own rule, strictly greater: `bias_analysis.predicted_label_favourable`.)"""
    flags: npt.NDArray[np.bool_] = scores >= threshold
    return flags


def binary_metrics(actual_labels: Sequence[str], predicted_labels: Sequence[str | None],
                   scores: Sequence[float] | None,
                   threshold: float) -> tuple[dict[str, float], dict[str, dict[str, int]]]:
    """Binary metrics; with `scores`, a prediction is positive when its score >= `threshold`."""
    actual = np.fromiter((_binary_flag(v, "labels") for v in actual_labels), dtype=np.bool_,
                         count=len(actual_labels))
    if scores is not None:
        score = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(score)):
            raise ModelQualityError("binary classification probabilities must be finite numbers")
        predicted = positive_scores(score, threshold)
    else:
        predicted = np.fromiter((_binary_flag(v, "predictions") for v in predicted_labels), dtype=np.bool_,
                                count=len(predicted_labels))
        # Without probabilities the ROC curve has one operating point; AUC is still defined (as scikit-learn's).
        score = predicted.astype(np.float64)
    tp = int(np.sum(actual & predicted))
    fp = int(np.sum(~actual & predicted))
    fn = int(np.sum(actual & ~predicted))
    tn = int(np.sum(~actual & ~predicted))
    precision = _safe_divide(tp, tp + fp)
    recall = _safe_divide(tp, tp + fn)
    p, r = np.array([precision]), np.array([recall])
    metrics = {
        "accuracy": _safe_divide(tp + tn, actual.size),
        "precision": precision,
        "recall": recall,
        "f0_5": float(_f_beta(p, r, 0.5)[0]),
        "f1": float(_f_beta(p, r, 1.0)[0]),
        "f2": float(_f_beta(p, r, 2.0)[0]),
        "true_positive_rate": recall,
        "true_negative_rate": _safe_divide(tn, tn + fp),
        "false_positive_rate": _safe_divide(fp, fp + tn),
        "false_negative_rate": _safe_divide(fn, fn + tp),
    }
    auc = roc_auc(actual, score)
    if auc is not None:
        metrics["auc"] = auc
    confusion = {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    return metrics, confusion


def multiclass_metrics(actual_labels: Sequence[str],
                       predicted_labels: Sequence[str | None]) -> tuple[dict[str, float], dict[str, dict[str, int]]]:
    """Accuracy and support-weighted precision / recall / F-beta over the union of seen labels."""
    if any(p is None for p in predicted_labels):
        raise ModelQualityError("multiclass classification needs a predicted label for every matched inference")
    actual_text = np.asarray([v.strip() for v in actual_labels])
    predicted_text = np.asarray([(p or "").strip() for p in predicted_labels])
    classes, encoded = np.unique(np.concatenate([actual_text, predicted_text]), return_inverse=True)
    n = actual_text.size
    actual, predicted = encoded[:n], encoded[n:]
    k = classes.size
    confusion = np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)
    true_positive = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1).astype(np.float64)
    predicted_count = confusion.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted_count > 0, true_positive / predicted_count, 0.0)
        recall = np.where(support > 0, true_positive / support, 0.0)
    weights = support / support.sum()
    metrics = {
        "accuracy": float(true_positive.sum() / n),
        "weighted_precision": float(weights @ precision),
        "weighted_recall": float(weights @ recall),
        "weighted_f0_5": float(weights @ _f_beta(precision, recall, 0.5)),
        "weighted_f1": float(weights @ _f_beta(precision, recall, 1.0)),
        "weighted_f2": float(weights @ _f_beta(precision, recall, 2.0)),
    }
    table = {str(classes[i]): {str(classes[j]): int(confusion[i, j]) for j in range(k)} for i in range(k)}
    return metrics, table


def _numbers(values: Sequence[str | None], what: str) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray([float(v) if v is not None else math.nan for v in values], dtype=np.float64)
    except ValueError as err:
        raise ModelQualityError(f"regression needs numeric {what}: {err}") from err
    if not np.all(np.isfinite(array)):
        raise ModelQualityError(f"regression needs a finite numeric value in every one of the {what}")
    return array


def regression_metrics(actual_values: Sequence[str], predicted_values: Sequence[str | None]) -> dict[str, float]:
    actual = _numbers(actual_values, "labels")
    predicted = _numbers(predicted_values, "predictions")
    error = actual - predicted
    mse = float(np.mean(error * error))
    total = float(np.sum((actual - actual.mean()) ** 2))
    residual = float(np.sum(error * error))
    # scikit-learn's force_finite convention for a constant target: 1 when perfect, else 0.
    r2 = (1.0 - residual / total) if total > 0 else (1.0 if residual == 0 else 0.0)
    return {"mae": float(np.mean(np.abs(error))), "mse": mse, "rmse": math.sqrt(mse), "r2": r2}
