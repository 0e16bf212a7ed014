"""Model quality under our engines: merge predictions with ground truth, compute SageMaker's metrics, check them.

One pure function, `evaluate(predictions, labels, *, problem_type, ...)`, does the decidable part; reading the
capture and ground-truth files is `ground_truth.py`'s job. Metric names are SageMaker Model Monitor's
(`spec.MODEL_QUALITY_METRICS`); every metric is computed with vectorised numpy and checked against scikit-learn
in the tests. The constraints file is the built-in analyzer's model-quality `constraints.json`:
`{"version": 0.0, "binary_classification_constraints": {"accuracy": {"threshold": 0.8,
"comparison_operator": "LessThanThreshold"}, ...}}` (section names as the SageMaker SDK reads them,
`suggested_constraints().body_dict["binary_classification_constraints"]`). A violation reads
`{"metric_name", "constraint_check_type": <the operator>, "description": "Metric f1 with 0.61 was
LessThanThreshold 0.8"}` — the shape AWS's custom-metrics sample container mirrors; that the built-in analyzer
words it exactly so is unconfirmed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from modelmonitor.errors import ModelMonitorError

ProblemType = Literal["BinaryClassification", "MulticlassClassification", "Regression"]
ComparisonOperator = Literal["LessThanThreshold", "LessThanOrEqualToThreshold", "GreaterThanThreshold",
                             "GreaterThanOrEqualToThreshold"]

CONSTRAINTS_SECTION: dict[str, str] = {
    "BinaryClassification": "binary_classification_constraints",
    "MulticlassClassification": "multiclass_classification_constraints",
    "Regression": "regression_constraints",
}
STATISTICS_SECTION: dict[str, str] = {
    "BinaryClassification": "binary_classification_metrics",
    "MulticlassClassification": "multiclass_classification_metrics",
    "Regression": "regression_metrics",
}
_OPERATORS: dict[str, Any] = {
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}
_TRUE_LABELS = frozenset({"1", "1.0", "true", "yes", "y", "t"})
_FALSE_LABELS = frozenset({"0", "0.0", "false", "no", "n", "f"})
GROUND_TRUTH_COVERAGE = "ground_truth_coverage"


class ModelQualityError(ModelMonitorError):
    """Predictions, labels or constraints that cannot be evaluated; the message says which and why."""


@dataclass(frozen=True)
class Predictions:
    """Captured predictions of one window, one entry per inference.

    `ids` are the match keys (the capture's inferenceId when present, else its eventId). `predicted` holds the
    predicted label or value as text; `scores` the positive-class probability (binary only, may be None).
    """

    ids: Sequence[str]
    predicted: Sequence[str | None]
    scores: Sequence[float] | None = None

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.predicted):
            raise ModelQualityError(f"{len(self.ids)} prediction ids but {len(self.predicted)} predicted values")
        if self.scores is not None and len(self.scores) != len(self.ids):
            raise ModelQualityError(f"{len(self.ids)} prediction ids but {len(self.scores)} scores")


@dataclass(frozen=True)
class Labels:
    """Ground-truth labels with the time each was collected (the hour prefix it was filed under, or S3 time)."""

    ids: Sequence[str]
    values: Sequence[str]
    arrived: Sequence[datetime]

    def __post_init__(self) -> None:
        if not len(self.ids) == len(self.values) == len(self.arrived):
            raise ModelQualityError(
                f"ground truth columns differ in length: {len(self.ids)} ids, {len(self.values)} values, "
                f"{len(self.arrived)} arrival times")


@dataclass(frozen=True)
class Coverage:
    predictions: int
    matched: int
    unmatched_predictions: int
    """Predictions with no usable label (missing, or only a late one)."""
    orphan_labels: int
    """Labels whose id matches no prediction of the window (e.g. labels of another window)."""
    late_labels: int
    """Labels of this window's predictions that arrived after the evaluation time: counted, not used."""
    duplicate_labels: int
    """Extra labels for an id already labelled; the latest on-time one is used."""

    @property
    def ratio(self) -> float:
        return self.matched / self.predictions if self.predictions else 0.0


@dataclass(frozen=True)
class Violation:
    metric_name: str
    constraint_check_type: str
    description: str

    def as_dict(self) -> dict[str, str]:
        return {"metric_name": self.metric_name, "constraint_check_type": self.constraint_check_type,
                "description": self.description}


@dataclass(frozen=True)
class ModelQualityResult:
    problem_type: ProblemType
    metrics: dict[str, float]
    """SageMaker metric name → value; a metric that is undefined for this window (AUC with one class) is absent."""
    coverage: Coverage
    violations: list[Violation]
    confusion_matrix: dict[str, dict[str, int]] = field(default_factory=dict)
    """Classification: actual label → predicted label → count."""

    def statistics(self, *, evaluation_time: datetime) -> dict[str, Any]:
        """`statistics.json` in the built-in analyzer's model-quality layout (values only, no bootstrap std)."""
        section: dict[str, Any] = {name: {"value": value} for name, value in self.metrics.items()}
        if self.confusion_matrix:
            section["confusion_matrix"] = self.confusion_matrix
        return {
            "version": 0.0,
            "dataset": {"item_count": self.coverage.matched, "evaluation_time": _iso(evaluation_time)},
            STATISTICS_SECTION[self.problem_type]: section,
            "ground_truth": {
                "coverage": self.coverage.ratio, "predictions": self.coverage.predictions,
                "matched": self.coverage.matched, "unmatched_predictions": self.coverage.unmatched_predictions,
                "orphan_labels": self.coverage.orphan_labels, "late_labels": self.coverage.late_labels,
                "duplicate_labels": self.coverage.duplicate_labels},
        }

    def violations_document(self) -> dict[str, Any]:
        """`constraint_violations.json`."""
        return {"violations": [v.as_dict() for v in self.violations]}

    def metric_records(self, *, endpoint: str, schedule: str, timestamp: datetime) -> list[dict[str, Any]]:
        """CloudWatch metric lines (PutMetricData datums, the BYOC file format; internal-contracts §4)."""
        dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]

        def record(name: str, value: float, unit: str = "None") -> dict[str, Any]:
            return {"MetricName": name, "Timestamp": _iso(timestamp), "Dimensions": dimensions,
                    "Value": float(value), "Unit": unit}

        lines = [record(name, value) for name, value in self.metrics.items()]
        lines.append(record(GROUND_TRUTH_COVERAGE, self.coverage.ratio))
        lines.append(record("violations_count", len(self.violations), "Count"))
        lines.append(record("monitoring_run_completed", 1.0, "Count"))
        return lines


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- merging -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Merged:
    predicted: list[str | None]
    scores: list[float] | None
    actual: list[str]
    coverage: Coverage


def _merge(predictions: Predictions, labels: Labels, evaluation_time: datetime | None) -> _Merged:
    """Join on id. A label arriving after `evaluation_time` is late: counted, never used (reruns stay stable)."""
    window_ids = set(predictions.ids)
    on_time: dict[str, tuple[datetime, str]] = {}
    late_ids: set[str] = set()
    duplicates = orphans = 0
    for label_id, value, arrived in zip(labels.ids, labels.values, labels.arrived, strict=True):
        if label_id not in window_ids:
            orphans += 1
            continue
        if evaluation_time is not None and arrived > evaluation_time:
            late_ids.add(label_id)
            continue
        previous = on_time.get(label_id)
        if previous is not None:
            duplicates += 1
            if previous[0] > arrived:
                continue
        on_time[label_id] = (arrived, value)
    predicted: list[str | None] = []
    scores: list[float] | None = [] if predictions.scores is not None else None
    actual: list[str] = []
    for index, prediction_id in enumerate(predictions.ids):
        hit = on_time.get(prediction_id)
        if hit is None:
            continue
        predicted.append(predictions.predicted[index])
        if scores is not None and predictions.scores is not None:
            scores.append(predictions.scores[index])
        actual.append(hit[1])
    matched = len(actual)
    late = len(late_ids - on_time.keys())
    coverage = Coverage(predictions=len(predictions.ids), matched=matched,
                        unmatched_predictions=len(predictions.ids) - matched, orphan_labels=orphans,
                        late_labels=late, duplicate_labels=duplicates)
    return _Merged(predicted, scores, actual, coverage)


# --- metrics -------------------------------------------------------------------------------------------------

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


def _binary_metrics(merged: _Merged, threshold: float) -> tuple[dict[str, float], dict[str, dict[str, int]]]:
    actual = np.fromiter((_binary_flag(v, "labels") for v in merged.actual), dtype=np.bool_,
                         count=len(merged.actual))
    if merged.scores is not None:
        score = np.asarray(merged.scores, dtype=np.float64)
        if not np.all(np.isfinite(score)):
            raise ModelQualityError("binary classification probabilities must be finite numbers")
        predicted = score >= threshold
    else:
        predicted = np.fromiter((_binary_flag(v, "predictions") for v in merged.predicted), dtype=np.bool_,
                                count=len(merged.predicted))
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


def _multiclass_metrics(merged: _Merged) -> tuple[dict[str, float], dict[str, dict[str, int]]]:
    if any(p is None for p in merged.predicted):
        raise ModelQualityError("multiclass classification needs a predicted label for every matched inference")
    actual_text = np.asarray([v.strip() for v in merged.actual])
    predicted_text = np.asarray([(p or "").strip() for p in merged.predicted])
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


def _regression_metrics(merged: _Merged) -> dict[str, float]:
    actual = _numbers(merged.actual, "labels")
    predicted = _numbers(merged.predicted, "predictions")
    error = actual - predicted
    mse = float(np.mean(error * error))
    total = float(np.sum((actual - actual.mean()) ** 2))
    residual = float(np.sum(error * error))
    # scikit-learn's force_finite convention for a constant target: 1 when perfect, else 0.
    r2 = (1.0 - residual / total) if total > 0 else (1.0 if residual == 0 else 0.0)
    return {"mae": float(np.mean(np.abs(error))), "mse": mse, "rmse": math.sqrt(mse), "r2": r2}


# --- constraints ---------------------------------------------------------------------------------------------

def _metric_key(name: str) -> str:
    """Accept the statistics file's camelCase spelling (weightedF2) for our snake_case names (weighted_f2)."""
    out = []
    for char in name:
        if char.isupper():
            out.append("_" + char.lower())
        else:
            out.append(char)
    key = "".join(out)
    return key.replace("f0.5", "f0_5").replace("f05", "f0_5")


def parse_constraints(document: Mapping[str, Any], problem_type: ProblemType) -> dict[str, tuple[str, float]]:
    """Metric → (comparison operator, threshold) from a model-quality `constraints.json`."""
    section_name = CONSTRAINTS_SECTION[problem_type]
    section = document.get(section_name)
    if section is None:
        present = sorted(k for k in document if k.endswith("_constraints"))
        raise ModelQualityError(
            f"constraints.json has no {section_name} section for a {problem_type} monitor"
            + (f" (found: {', '.join(present)})" if present else ""))
    if not isinstance(section, Mapping):
        raise ModelQualityError(f"constraints.json {section_name} must be an object")
    parsed: dict[str, tuple[str, float]] = {}
    for name, entry in section.items():
        if not isinstance(entry, Mapping):
            raise ModelQualityError(f"constraints.json {section_name}.{name} must be an object")
        operator = entry.get("comparison_operator")
        if operator not in _OPERATORS:
            raise ModelQualityError(
                f"constraints.json {section_name}.{name}.comparison_operator must be one of "
                f"{', '.join(_OPERATORS)}, got {operator!r}")
        threshold = entry.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float | str):
            raise ModelQualityError(f"constraints.json {section_name}.{name}.threshold must be a number")
        try:
            value = float(threshold)  # the SDK notes thresholds may come in scientific notation strings
        except ValueError as err:
            raise ModelQualityError(f"constraints.json {section_name}.{name}.threshold: {err}") from err
        parsed[_metric_key(name)] = (str(operator), value)
    return parsed


def check_constraints(metrics: Mapping[str, float],
                      constraints: Mapping[str, tuple[str, float]]) -> list[Violation]:
    violations = []
    for name, (operator, threshold) in sorted(constraints.items()):
        value = metrics.get(name)
        if value is None:
            continue  # undefined this window (e.g. AUC with one class) or not a metric of this problem type
        if _OPERATORS[operator](value, threshold):
            violations.append(Violation(name, operator, f"Metric {name} with {value:.6g} was {operator} "
                                                        f"{threshold:.6g}"))
    return violations


# --- the one entry point -------------------------------------------------------------------------------------

def evaluate(predictions: Predictions, labels: Labels, *, problem_type: ProblemType,
             probability_threshold: float = 0.5, evaluation_time: datetime | None = None,
             constraints: Mapping[str, Any] | None = None,
             min_ground_truth_coverage: float | None = None) -> ModelQualityResult:
    """Merge, compute the problem type's metrics, and check them against a model-quality constraints document.

    `evaluation_time` is when the window is judged (window end + label delay); labels collected after it are
    late. With `min_ground_truth_coverage`, too little ground truth is itself a violation
    (`ground_truth_coverage`, LessThanThreshold). No matched pair: no metrics, only the coverage figures.
    """
    if problem_type not in CONSTRAINTS_SECTION:
        raise ModelQualityError(f"unknown problem type {problem_type!r}")
    if problem_type == "BinaryClassification" and not 0.0 <= probability_threshold <= 1.0:
        raise ModelQualityError(f"probability threshold must be within [0, 1], got {probability_threshold}")
    parsed = parse_constraints(constraints, problem_type) if constraints is not None else {}
    merged = _merge(predictions, labels, evaluation_time)
    metrics: dict[str, float] = {}
    confusion: dict[str, dict[str, int]] = {}
    if merged.coverage.matched:
        if problem_type == "BinaryClassification":
            metrics, confusion = _binary_metrics(merged, probability_threshold)
        elif problem_type == "MulticlassClassification":
            metrics, confusion = _multiclass_metrics(merged)
        else:
            metrics = _regression_metrics(merged)
    violations = check_constraints(metrics, parsed)
    if min_ground_truth_coverage is not None and merged.coverage.ratio < min_ground_truth_coverage:
        violations.append(Violation(
            GROUND_TRUTH_COVERAGE, "LessThanThreshold",
            f"Metric {GROUND_TRUTH_COVERAGE} with {merged.coverage.ratio:.6g} was LessThanThreshold "
            f"{min_ground_truth_coverage:.6g} ({merged.coverage.matched} of {merged.coverage.predictions} "
            f"predictions labelled, {merged.coverage.late_labels} late labels)"))
    return ModelQualityResult(problem_type=problem_type, metrics=metrics, coverage=merged.coverage,
                              violations=violations, confusion_matrix=confusion)
