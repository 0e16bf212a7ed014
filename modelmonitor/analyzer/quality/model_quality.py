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
words it exactly so is unconfirmed. The multiclass and regression sections (`multiclass_classification_constraints`,
`regression_constraints`, `*_metrics` in statistics) are named as SDK users read them in public repositories.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from modelmonitor.analyzer.quality.metrics import (
    ModelQualityError,
    average_ranks,
    binary_metrics,
    multiclass_metrics,
    regression_metrics,
    roc_auc,
)

__all__ = ["Coverage", "Labels", "ModelQualityError", "ModelQualityResult", "Predictions", "Violation",
           "average_ranks", "check_constraints", "evaluate", "parse_constraints", "roc_auc"]

ProblemType = Literal["BinaryClassification", "MulticlassClassification", "Regression"]

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
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
}
"""comparison_operator → "is this a violation?" for (metric value, threshold)."""
GROUND_TRUTH_COVERAGE = "ground_truth_coverage"


@dataclass(frozen=True)
class Predictions:
    """Captured predictions of one window, one entry per inference.

    `ids` are the match keys (the capture's inferenceId when present, else its eventId). `predicted` holds the
    predicted label or value as text; `scores` the positive-class probability (binary only, may be None).
    """

    ids: Sequence[str]
    predicted: Sequence[str | None]
    scores: Sequence[float] | None = None
    inputs: Sequence[Any] | None = None
    """The request's decoded row per prediction, when a reader was asked for it (bias monitoring needs the facet)."""

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.predicted):
            raise ModelQualityError(f"{len(self.ids)} prediction ids but {len(self.predicted)} predicted values")
        if self.inputs is not None and len(self.inputs) != len(self.ids):
            raise ModelQualityError(f"{len(self.ids)} prediction ids but {len(self.inputs)} input rows")
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
class Joined:
    predicted: list[str | None]
    scores: list[float] | None
    actual: list[str]
    coverage: Coverage
    indices: list[int]
    """Position in the window's predictions of each matched pair (aligns `Predictions.inputs`)."""


def join_labels(predictions: Predictions, labels: Labels, evaluation_time: datetime | None) -> Joined:
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
    indices: list[int] = []
    for index, prediction_id in enumerate(predictions.ids):
        hit = on_time.get(prediction_id)
        if hit is None:
            continue
        indices.append(index)
        predicted.append(predictions.predicted[index])
        if scores is not None and predictions.scores is not None:
            scores.append(predictions.scores[index])
        actual.append(hit[1])
    matched = len(actual)
    late = len(late_ids - on_time.keys())
    coverage = Coverage(predictions=len(predictions.ids), matched=matched,
                        unmatched_predictions=len(predictions.ids) - matched, orphan_labels=orphans,
                        late_labels=late, duplicate_labels=duplicates)
    return Joined(predicted, scores, actual, coverage, indices)


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
        comparison = entry.get("comparison_operator")
        if comparison not in _OPERATORS:
            raise ModelQualityError(
                f"constraints.json {section_name}.{name}.comparison_operator must be one of "
                f"{', '.join(_OPERATORS)}, got {comparison!r}")
        threshold = entry.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float | str):
            raise ModelQualityError(f"constraints.json {section_name}.{name}.threshold must be a number")
        try:
            value = float(threshold)  # the SDK notes thresholds may come in scientific notation strings
        except ValueError as err:
            raise ModelQualityError(f"constraints.json {section_name}.{name}.threshold: {err}") from err
        parsed[_metric_key(name)] = (str(comparison), value)
    return parsed


def check_constraints(metrics: Mapping[str, float],
                      constraints: Mapping[str, tuple[str, float]]) -> list[Violation]:
    violations = []
    for name, (comparison, threshold) in sorted(constraints.items()):
        value = metrics.get(name)
        if value is None:
            continue  # undefined this window (e.g. AUC with one class) or not a metric of this problem type
        if _OPERATORS[comparison](value, threshold):
            violations.append(Violation(name, comparison, f"Metric {name} with {value:.6g} was {comparison} "
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
    merged = join_labels(predictions, labels, evaluation_time)
    metrics: dict[str, float] = {}
    confusion: dict[str, dict[str, int]] = {}
    if merged.coverage.matched:
        if problem_type == "BinaryClassification":
            metrics, confusion = binary_metrics(merged.actual, merged.predicted, merged.scores,
                                                probability_threshold)
        elif problem_type == "MulticlassClassification":
            metrics, confusion = multiclass_metrics(merged.actual, merged.predicted)
        else:
            metrics = regression_metrics(merged.actual, merged.predicted)
    violations = check_constraints(metrics, parsed)
    if min_ground_truth_coverage is not None and merged.coverage.ratio < min_ground_truth_coverage:
        violations.append(Violation(
            GROUND_TRUTH_COVERAGE, "LessThanThreshold",
            f"Metric {GROUND_TRUTH_COVERAGE} with {merged.coverage.ratio:.6g} was LessThanThreshold "
            f"{min_ground_truth_coverage:.6g} ({merged.coverage.matched} of {merged.coverage.predictions} "
            f"predictions labelled, {merged.coverage.late_labels} late labels)"))
    return ModelQualityResult(problem_type=problem_type, metrics=metrics, coverage=merged.coverage,
                              violations=violations, confusion_matrix=confusion)
