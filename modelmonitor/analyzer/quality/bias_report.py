"""Bias analysis in SageMaker Clarify's file shapes: which rows a facet selects, the `analysis.json` a bias job writes
(also the baseline's constraints file), and the bias-drift check that compares a window's analysis with it.

Facet selection follows Clarify's analysis configuration (`facet: [{name_or_index, value_or_threshold}]`,
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html): a list of values
selects the rows holding any of them; one number selects the rows above it, written as the interval
`(threshold, max]`; no value at all reports each value of the column against all the others ("one vs. all").

The drift rule is AWS's (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-
violations.html): a value is a violation when it is farther from balance than the baseline's, "balance" being 0 —
and 1 for Disparate Impact, a ratio (the page does not name DI; a ratio's balance is 1, see "Disparate Impact (DI)"
in the post-training metrics guide). Violations are written in that page's schema (`bias_drift_check`).
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from modelmonitor.analyzer.quality.bias_metrics import POST_TRAINING, PRE_TRAINING, Flags, metric_value

ANALYSIS_VERSION = "1.0"
STAGES = {"pre_training": "pre_training_bias_metrics", "post_training": "post_training_bias_metrics"}
BIAS_DRIFT_CHECK = "bias_drift_check"
_RATIO_METRICS = frozenset({"DI"})


@dataclass(frozen=True)
class FacetSplit:
    """The rows one facet value (or threshold) selects, and how analysis.json names it."""

    value_or_threshold: str
    sensitive: Flags


def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return str(float(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _as_numbers(values: Sequence[Any]) -> list[float] | None:
    try:
        return [float(v) for v in values if not isinstance(v, bool)] if not any(isinstance(v, bool) for v in values) \
            else None
    except (TypeError, ValueError):
        return None


def _matches(column: npt.NDArray[Any], values: Sequence[Any]) -> Flags:
    """Rows equal to any of `values`. On a numeric column values compare as numbers, given as numbers or as text
    ("1" matches 1.0: smclarify converts the values to the column's type when they match nothing as given); else
    as text, so a CSV column read as text matches a value written in YAML as a number."""
    numbers = _as_numbers(values) if column.dtype.kind in "iuf" else None
    if numbers is not None:
        return np.isin(column.astype(np.float64), np.array(numbers, dtype=np.float64))
    wanted = {_text(v) for v in values}
    return np.array([_text(v) in wanted for v in column], dtype=bool)


def facet_splits(column: npt.NDArray[Any], *, values: Sequence[Any] | None = None,
                 threshold: float | None = None) -> list[FacetSplit]:
    """The facet's sensitive groups as Clarify forms them (see the module's docstring)."""
    if values and threshold is not None:
        raise ValueError("a facet takes sensitive values or a threshold, not both")
    if threshold is not None:
        try:
            numbers = column.astype(np.float64)
        except ValueError:
            raise ValueError("a threshold needs a numeric column; this one holds text") from None
        present = numbers[~np.isnan(numbers)]
        top = float(present.max()) if present.size else float(threshold)
        # pandas' IntervalIndex text, as Clarify writes it: integers stay integers only when both bounds are.
        integral = column.dtype.kind in "iu" and float(threshold).is_integer()
        lower, upper = (str(int(threshold)), str(int(top))) if integral else (str(float(threshold)), str(float(top)))
        return [FacetSplit(f"({lower}, {upper}]", numbers > threshold)]
    if values:
        return [FacetSplit(",".join(_text(v) for v in values), _matches(column, values))]
    seen: dict[str, None] = {}
    for value in column:
        seen.setdefault(_text(value), None)
    texts = np.array([_text(v) for v in column], dtype=object)
    return [FacetSplit(value, texts == value) for value in seen]


def positive_labels(column: npt.NDArray[Any], *, values: Sequence[Any] | None = None,
                    threshold: float | None = None) -> tuple[Flags, str]:
    """The favourable-outcome rows of a label (or predicted-label) column and analysis.json's
    `label_value_or_threshold` text."""
    if not values and threshold is None:
        raise ValueError("the label needs its favourable values or a threshold")
    split = facet_splits(column, values=values, threshold=threshold)[0]
    return split.sensitive, split.value_or_threshold


def analysis_document(*, label: str, label_value_or_threshold: str,
                      stages: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """analysis.json: per stage, per facet name, a list of `{value_or_threshold, metrics}` entries."""
    document: dict[str, Any] = {"version": ANALYSIS_VERSION}
    for stage, facets in stages.items():
        document[STAGES[stage]] = {"label": label, "facets": facets,
                                   "label_value_or_threshold": label_value_or_threshold}
    return document


def balance(name: str) -> float:
    """Where a metric says "no bias": 1 for a ratio (DI), 0 for every difference and divergence."""
    return 1.0 if name in _RATIO_METRICS else 0.0


def _distance_from_balance(name: str, value: float) -> float:
    return abs(value - balance(name))


def check_tolerance(tolerance: Mapping[str, float]) -> None:
    """ValueError unless every key is a bias metric's short name and every margin a finite number ≥ 0."""
    unknown = sorted(set(tolerance) - {*PRE_TRAINING, *POST_TRAINING})
    if unknown:
        raise ValueError(f"unknown bias metric(s) {unknown} in the tolerance; known: "
                         f"{', '.join(sorted({*PRE_TRAINING, *POST_TRAINING}))}")
    bad = sorted(name for name, margin in tolerance.items() if not margin >= 0 or math.isinf(margin))
    if bad:
        raise ValueError(f"the tolerance of {', '.join(bad)} must be a finite number ≥ 0")


def with_tolerance(analysis: Mapping[str, Any], tolerance: Mapping[str, float]) -> dict[str, Any]:
    """The baseline constraints with a configured band: a copy of the baseline analysis in which each metric named
    in `tolerance` sits that much farther from balance (on its own side; a balanced value moves up). AWS's rule
    flags a value farther from balance than the constraint's, so a metric of the training set taken as is would
    flag every window that sampling noise alone moves past it; the page's own example widens the constraint
    ("if the baseline constraint of DPPL is 0.2…"). Metrics not named keep the baseline's value; the file keeps
    Clarify's shape, so AWS's Clarify container judges with the same band under engine modelMonitor."""
    check_tolerance(tolerance)
    constraints = copy.deepcopy(dict(analysis))
    for _, _, entry in _entries(constraints):
        name, value = str(entry.get("name")), metric_value(entry)
        if name not in tolerance or value is None or math.isinf(value):
            continue
        centre = balance(name)
        entry["value"] = centre + math.copysign(abs(value - centre) + tolerance[name], value - centre)
    return constraints


def _entries(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for section in STAGES.values():
        facets = (document.get(section) or {}).get("facets") or {}
        for facet, splits in facets.items():
            for split in splits:
                for entry in split.get("metrics", []):
                    yield facet, str(split.get("value_or_threshold")), entry


def bias_violations(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[dict[str, str]]:
    """constraint_violations.json entries: every metric the baseline holds a value for whose current value is
    farther from balance. A metric missing now (its data could not support it) is not a violation: the run's
    analysis.json keeps its error text."""
    now = {(facet, value, entry.get("name")): metric_value(entry) for facet, value, entry in _entries(current)}
    violations: list[dict[str, str]] = []
    for facet, value, entry in _entries(baseline):
        name = str(entry.get("name"))
        limit, observed = metric_value(entry), now.get((facet, value, name))
        if limit is None or observed is None or math.isnan(observed):
            continue
        if _distance_from_balance(name, observed) > _distance_from_balance(name, limit):
            violations.append({"facet": facet, "facet_value": value, "metric_name": name,
                               "constraint_check_type": BIAS_DRIFT_CHECK,
                               "description": f"Value {observed!r} does not meet the constraint requirement"})
    return violations


BIAS_STAGE_DIMENSION = {"pre_training_bias_metrics": "Pre-training", "post_training_bias_metrics": "Post-Training"}
"""BiasStage values as AWS documents them ("CloudWatch Metrics for Bias Drift Analysis",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-cw.html), capitals included."""

CLOUDWATCH_INFINITY = 2.348543e108
"""AWS publishes ±infinity as ±2.348543e108 (same page); CloudWatch takes no infinite value."""


DIMENSION_VALUE_MAX = 1024
"""CloudWatch's longest dimension value (botocore's cloudwatch DimensionValue: max 1024)."""


def dimension_value(value: Any) -> str:
    """A dimension value CloudWatch takes: the text, or when longer than it allows (a facet of many values joined)
    its head and a hash of the whole, so two long values stay two series."""
    text = str(value)
    if len(text) <= DIMENSION_VALUE_MAX:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{text[:DIMENSION_VALUE_MAX - 13]}~{digest}"


def bias_metric_records(document: dict[str, Any], *, endpoint: str, schedule: str, timestamp: str
                        ) -> list[dict[str, Any]]:
    """`bias_metric_<short name>` datums with AWS's seven dimensions (Endpoint, MonitoringSchedule, BiasStage, Label,
    LabelValue, Facet, FacetValue); metrics without a value (errors) are not published, as AWS does."""
    records: list[dict[str, Any]] = []
    for section, stage in BIAS_STAGE_DIMENSION.items():
        body = document.get(section) or {}
        for facet, splits in (body.get("facets") or {}).items():
            for split in splits:
                dimensions = [{"Name": "Endpoint", "Value": endpoint},
                              {"Name": "MonitoringSchedule", "Value": schedule},
                              {"Name": "BiasStage", "Value": stage},
                              {"Name": "Label", "Value": str(body.get("label"))},
                              {"Name": "LabelValue", "Value": dimension_value(body.get("label_value_or_threshold"))},
                              {"Name": "Facet", "Value": dimension_value(facet)},
                              {"Name": "FacetValue", "Value": dimension_value(split.get("value_or_threshold"))}]
                for entry in split.get("metrics", []):
                    value = metric_value(entry)
                    if value is None or math.isnan(value):
                        continue
                    if math.isinf(value):
                        value = math.copysign(CLOUDWATCH_INFINITY, value)
                    records.append({"MetricName": f"bias_metric_{entry['name']}", "Timestamp": timestamp,
                                    "Dimensions": dimensions, "Value": value, "Unit": "None"})
    return records
