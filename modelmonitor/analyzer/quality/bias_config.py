"""Clarify's bias-monitoring analysis configuration ("Parameters to Monitor Bias Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html): `headers`,
`label`, `label_values_or_threshold`, `facet: [{name_or_index, value_or_threshold}]`, `group_variable`, `methods`,
`probability_threshold`, and for a dataset baseline `predicted_label` — one file configures AWS's bias job and ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from modelmonitor.analyzer.quality.bias_metrics import POST_TRAINING, PRE_TRAINING
from modelmonitor.analyzer.quality.model_quality import ModelQualityError


class BiasConfigError(ModelQualityError):
    """An analysis configuration or a window the bias run cannot use; the message names the field."""


@dataclass(frozen=True)
class Facet:
    name_or_index: str | int
    value_or_threshold: tuple[Any, ...] | None
    """None: one vs. all, each value of the column against the rest."""


@dataclass(frozen=True)
class BiasConfig:
    label: str | int
    """The ground-truth label column: "a column name, or an index (if dataset format is CSV)" (AWS's page above;
    the SageMaker SDK's analysis-config schema types it `Or(str, int)`)."""
    label_values_or_threshold: tuple[Any, ...]
    facets: tuple[Facet, ...]
    headers: tuple[str, ...] | None = None
    group_variable: str | int | None = None
    probability_threshold: float = 0.5
    predicted_label: str | int | None = None
    """A dataset baseline's column of model outputs (labels, or scores compared with `probability_threshold`)."""
    pre_training: tuple[str, ...] | None = PRE_TRAINING
    post_training: tuple[str, ...] | None = POST_TRAINING


UNIQUENESS_THRESHOLD = 0.05
"""smclarify's rule for a numeric column: continuous when at least this fraction of its values are distinct."""


def label_name(config: BiasConfig, names: tuple[str, ...] | list[str] | None = None) -> str:
    """The label column's name: itself, or for an index the name at that position of `names` (a dataset's columns)
    or of `headers`; the index as text when neither names it (analysis.json's `label` is text)."""
    if isinstance(config.label, str):
        return config.label
    for columns in (names, config.headers):
        if columns and config.label < len(columns):
            return columns[config.label]
    return str(config.label)


def split_rule(column: npt.NDArray[Any], value_or_threshold: tuple[Any, ...] | None, *, label: bool = False
               ) -> tuple[tuple[Any, ...] | None, float | None]:
    """(values, threshold) as Clarify reads `value_or_threshold` for this column: one number on a continuous column
    is a threshold (the sensitive group's lower bound), anything else a list of values. "Continuous" is smclarify's
    rule: a numeric column with a fractional value, or whose distinct values are at least 5 % of its rows. One
    deviation, for labels: a label column with at most two distinct values is a class label, never continuous
    (smclarify would call 0/1 labels of a window of 40 rows or fewer continuous and find no favourable one)."""
    if value_or_threshold is None:
        return None, None
    if len(value_or_threshold) != 1 or column.dtype.kind != "f" or not column.size:
        return value_or_threshold, None
    only = value_or_threshold[0]
    if isinstance(only, bool) or not isinstance(only, int | float):
        return value_or_threshold, None
    present = column[~np.isnan(column)]
    distinct = np.unique(present).size
    fractional = bool(np.any(present != np.floor(present)))
    continuous = fractional or distinct / max(1, present.size) >= UNIQUENESS_THRESHOLD
    if label and distinct <= 2 and not fractional:
        continuous = False
    return (None, float(only)) if continuous else (value_or_threshold, None)


def _value_list(raw: Any, where: str, *, required: bool) -> tuple[Any, ...] | None:
    if raw is None and not required:
        return None
    if not isinstance(raw, list) or not raw or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in raw):
        raise BiasConfigError(f"{where} must be a non-empty list of values, or of one numeric threshold")
    return tuple(raw)


def _methods(raw: Any, stage: str, known: tuple[str, ...]) -> tuple[str, ...] | None:
    if raw is None:
        return known
    chosen = raw.get(stage) if isinstance(raw, dict) else None
    if chosen is None:
        return None
    names = chosen.get("methods") if isinstance(chosen, dict) else None
    if names == "all":
        return known
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BiasConfigError(f"methods.{stage}.methods must be \"all\" or a list of metric names")
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise BiasConfigError(f"methods.{stage}.methods: unknown {unknown}; known: {', '.join(known)}")
    return tuple(names)


def parse_config(raw: Any) -> BiasConfig:
    """A bias analysis configuration (parsed JSON) → BiasConfig; BiasConfigError naming the field at fault."""
    if not isinstance(raw, dict):
        raise BiasConfigError("the bias analysis configuration must be a JSON object")
    label = raw.get("label")
    if isinstance(label, bool) or not isinstance(label, str | int) or label == "" \
            or (isinstance(label, int) and label < 0):
        raise BiasConfigError(f"label: the ground-truth label's column name or index (0 or more) is required, "
                              f"got {label!r}")
    label_values = _value_list(raw.get("label_values_or_threshold"), "label_values_or_threshold "
                               "(the favourable label values, or a threshold)", required=True)
    assert label_values is not None
    facets_raw = raw.get("facet")
    if not isinstance(facets_raw, list) or not facets_raw:
        raise BiasConfigError("facet: a list of {name_or_index, value_or_threshold} is required")
    facets = []
    for index, entry in enumerate(facets_raw):
        name = entry.get("name_or_index") if isinstance(entry, dict) else None
        if isinstance(name, bool) or not isinstance(name, str | int) or name == "":
            raise BiasConfigError(f"facet[{index}].name_or_index must be a column name or index")
        facets.append(Facet(name, _value_list(entry.get("value_or_threshold"), f"facet[{index}].value_or_threshold",
                                              required=False)))
    headers = raw.get("headers")
    if headers is not None and (not isinstance(headers, list) or not all(isinstance(h, str) for h in headers)):
        raise BiasConfigError("headers must be a list of column names")
    threshold = raw.get("probability_threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise BiasConfigError(f"probability_threshold must be a number in [0, 1], got {threshold!r}")
    group = raw.get("group_variable")
    if group is not None and (isinstance(group, bool) or not isinstance(group, str | int)):
        raise BiasConfigError("group_variable must be a column name or index")
    predicted = raw.get("predicted_label")
    if predicted is not None and (isinstance(predicted, bool) or not isinstance(predicted, str | int)):
        raise BiasConfigError("predicted_label must be a column name or index")
    return BiasConfig(label=label, label_values_or_threshold=label_values, predicted_label=predicted,
                      facets=tuple(facets), headers=tuple(headers) if headers else None, group_variable=group,
                      probability_threshold=float(threshold),
                      pre_training=_methods(raw.get("methods"), "pre_training_bias", PRE_TRAINING),
                      post_training=_methods(raw.get("methods"), "post_training_bias", POST_TRAINING))


