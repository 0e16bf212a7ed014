"""Bias analysis of labelled rows: which rows form each facet's groups, the favourable labels and predictions, the
metrics of each stage → Clarify's analysis.json, checked against a baseline's; for a window of captures joined with
ground truth (`evaluate_bias`) or for a labelled dataset, the baseline (`dataset_analysis`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from modelmonitor.analyzer.quality.bias_config import BiasConfig, BiasConfigError, label_name, split_rule
from modelmonitor.analyzer.quality.bias_metrics import BiasData, bias_metrics
from modelmonitor.analyzer.quality.bias_report import (
    FacetSplit,
    analysis_document,
    bias_metric_records,
    bias_violations,
    facet_splits,
)
from modelmonitor.analyzer.quality.model_quality import Coverage, Labels, Predictions, join_labels


def _column(rows: Sequence[Any], key: str | int, headers: tuple[str, ...] | None, what: str) -> list[Any]:
    """One column of the request rows: by name (a named row, or `headers` over a positional one) or by index.
    Named rows (a dataset with a header, a mapped payload) are addressed by name even when `headers` is given."""
    named = key
    if isinstance(key, str) and headers is not None and key in headers:
        key = headers.index(key)
    out = []
    for number, row in enumerate(rows):
        if isinstance(row, dict):
            key = named
            if isinstance(key, int) or key not in row:
                raise BiasConfigError(f"{what} {key!r} is not a column of the request (row {number}: "
                                      f"{sorted(row)[:10]})")
            out.append(row[key])
        elif isinstance(key, str) and headers is not None:
            raise BiasConfigError(f"{what} {key!r} is not one of headers {list(headers)}")
        elif isinstance(key, str):
            raise BiasConfigError(f"{what} {key!r}: the request has positional columns; name them with `headers` "
                                  "or address the column by index")
        elif not 0 <= key < len(row):
            raise BiasConfigError(f"{what} index {key} is outside the request's {len(row)} columns")
        else:
            out.append(row[key])
    return out


def _typed(values: list[Any]) -> npt.NDArray[Any]:
    """Text from the payload → numbers when every value is one (thresholds and numeric matching need them)."""
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([str(v) for v in values], dtype=object)


def _favourable(values: list[Any], config: BiasConfig) -> FacetSplit:
    column = _typed(values)
    chosen, threshold = split_rule(column, config.label_values_or_threshold, label=True)
    return facet_splits(column, values=chosen, threshold=threshold)[0]


def _features(rows: Sequence[Any], exclude: set[str | int], headers: tuple[str, ...] | None
              ) -> npt.NDArray[np.float64] | None:
    """The numeric request columns other than the facets and the group (the flip test's neighbourhood); None when
    one of them is not numeric (Clarify's flip test refuses those)."""
    if not rows:
        return None
    first = rows[0]
    keys: list[str | int] = list(first) if isinstance(first, dict) else list(range(len(first)))
    named = {headers.index(k) if headers and isinstance(k, str) and k in headers else k for k in exclude}
    keys = [k for k in keys if k not in named and k not in exclude]
    if not keys:
        return None
    try:
        return np.array([[float(row[k]) for k in keys] for row in rows], dtype=np.float64)
    except (TypeError, ValueError, KeyError, IndexError):
        return None


@dataclass(frozen=True)
class BiasResult:
    analysis: dict[str, Any]
    violations: list[dict[str, str]]
    coverage: Coverage

    def violations_document(self) -> dict[str, Any]:
        return {"version": "1.0", "violations": self.violations}

    def metric_records(self, *, endpoint: str, schedule: str, timestamp: datetime) -> list[dict[str, Any]]:
        stamp = timestamp.isoformat().replace("+00:00", "Z")
        records = bias_metric_records(self.analysis, endpoint=endpoint, schedule=schedule, timestamp=stamp)
        dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
        for name, value, unit in (("violations_count", len(self.violations), "Count"),
                                  ("ground_truth_coverage", self.coverage.ratio, "None"),
                                  ("monitoring_run_completed", 1.0, "Count")):
            records.append({"MetricName": name, "Timestamp": stamp, "Dimensions": dimensions,
                            "Value": float(value), "Unit": unit})
        return records


def analyse(rows: Sequence[Any], actual: Sequence[Any], predicted: npt.NDArray[np.bool_] | None,
            config: BiasConfig) -> dict[str, Any]:
    """analysis.json of labelled rows: pre-training metrics from the labels, post-training ones when `predicted`
    (the favourable predictions) is given."""
    stages: dict[str, dict[str, list[dict[str, Any]]]] = {}
    label_text = ""
    if rows:
        favourable = _favourable(list(actual), config)
        label, label_text = favourable.sensitive, favourable.value_or_threshold
        group = None
        if config.group_variable is not None:
            group = np.array([str(v) for v in _column(rows, config.group_variable, config.headers,
                                                      "group_variable")], dtype=object)
        exclude: set[str | int] = {f.name_or_index for f in config.facets}
        exclude.update(k for k in (config.group_variable, config.label, config.predicted_label) if k is not None)
        features = _features(rows, exclude, config.headers)
        for stage, names in (("pre_training", config.pre_training), ("post_training", config.post_training)):
            if names is None or (stage == "post_training" and predicted is None):
                continue
            facets: dict[str, list[dict[str, Any]]] = {}
            for facet in config.facets:
                column = _typed(_column(rows, facet.name_or_index, config.headers, "facet"))
                chosen, threshold = split_rule(column, facet.value_or_threshold)
                splits: list[FacetSplit] = facet_splits(column, values=chosen, threshold=threshold)
                facets[str(facet.name_or_index)] = [
                    {"value_or_threshold": split.value_or_threshold,
                     "metrics": bias_metrics(BiasData(facet=split.sensitive, label=label, predicted=predicted,
                                                      group=group, features=features),
                                             post_training=stage == "post_training", names=names)}
                    for split in splits]
            stages[stage] = facets
    return analysis_document(label=label_name(config), label_value_or_threshold=label_text, stages=stages)


def favourable_predictions(values: Sequence[Any], config: BiasConfig) -> npt.NDArray[np.bool_]:
    """The model's outputs → favourable or not. Scores (fractional numbers in [0, 1]) first become predicted labels
    (`predicted_label_favourable`), as Clarify turns probabilities into labels; labels are then favourable by
    `label_values_or_threshold`, as the ground truth is read — so a favourable label of 0 ("not churned") makes low
    scores favourable."""
    typed = _typed(list(values))
    if typed.dtype.kind == "f" and typed.size and np.all((typed >= 0) & (typed <= 1)) \
            and np.any(typed != np.floor(typed)):
        return predicted_label_favourable(typed, config)
    return _favourable([v if v is not None else "" for v in values], config).sensitive


def predicted_label_favourable(scores: npt.NDArray[np.float64], config: BiasConfig) -> npt.NDArray[np.bool_]:
    """Scores → predicted label 1 when strictly greater than `probability_threshold`, else 0. AWS: "a probability
    greater than 0.6 predicts the binary label as 1" ("Parameters to Monitor Bias Drift"); the SageMaker SDK's
    ModelPredictedLabelConfig: "predictions with a probability score over 0.2"; smclarify, the reference
    implementation, puts a threshold's favourable side in the interval (threshold, max] (report._interval_index,
    pandas' right-closed IntervalIndex), so a score equal to the threshold is not favourable. Model quality keeps
    its own rule (`metrics.positive_scores`)."""
    labels = (scores > config.probability_threshold).astype(np.int64)
    return _favourable([int(v) for v in labels], config).sensitive


def evaluate_bias(predictions: Predictions, labels: Labels, config: BiasConfig, *,
                  evaluation_time: datetime | None = None, baseline: Mapping[str, Any] | None = None) -> BiasResult:
    """Join, split by facet, compute the configured stages' metrics, and check them against a baseline analysis."""
    if predictions.inputs is None:
        raise BiasConfigError("bias monitoring needs each prediction's request row")
    joined = join_labels(predictions, labels, evaluation_time)
    rows = [predictions.inputs[i] for i in joined.indices]
    if joined.scores is not None:
        predicted = predicted_label_favourable(np.array(joined.scores, dtype=np.float64), config)
    else:
        predicted = favourable_predictions(joined.predicted, config)
    document = analyse(rows, joined.actual, predicted, config)
    violations = bias_violations(document, baseline) if baseline is not None else []
    return BiasResult(analysis=document, violations=violations, coverage=joined.coverage)


def dataset_analysis(columns: Mapping[str, Sequence[Any]], config: BiasConfig) -> dict[str, Any]:
    """The baseline: analysis.json of a labelled dataset (the training or validation set), given as named columns.
    Post-training metrics need `predicted_label` (the model's outputs, a column of the dataset)."""
    names = list(columns)
    label = label_name(config, names)
    if label not in columns:
        raise BiasConfigError(f"label {config.label!r} is not a column of the dataset ({names[:20]})")
    config = replace(config, label=label)
    predicted = None
    if config.predicted_label is not None:
        key = config.predicted_label if isinstance(config.predicted_label, str) else names[config.predicted_label] \
            if 0 <= config.predicted_label < len(names) else None
        if key is None or key not in columns:
            raise BiasConfigError(f"predicted_label {config.predicted_label!r} is not a column of the dataset "
                                  f"({names[:20]})")
        predicted = favourable_predictions(columns[key], config)
    size = len(columns[label])
    rows = [{name: columns[name][i] for name in names} for i in range(size)]
    return analyse(rows, columns[label], predicted, config)
