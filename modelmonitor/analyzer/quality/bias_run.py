"""One bias-drift run under our engines: the window's captured requests and predictions, joined with ground truth as
model quality joins them → Clarify's `analysis.json`, `constraint_violations.json` (against a baseline analysis) and
the `bias_metric_<short>` datums.

The configuration is Clarify's own bias-monitoring analysis configuration ("Parameters to Monitor Bias Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html): `headers`,
`label`, `label_values_or_threshold`, `facet: [{name_or_index, value_or_threshold}]`, `group_variable`, `methods`,
`probability_threshold` — so one file configures AWS's bias job and ours. The request supplies the facet, group
and flip-test features (named by `headers` or `spec.payload`, or addressed by column index); the ground truth the
label; the response the predicted label (`inference_attribute`) or score (`probability_attribute`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.bias_metrics import POST_TRAINING, PRE_TRAINING, BiasData, bias_metrics
from modelmonitor.analyzer.quality.bias_report import (
    FacetSplit,
    analysis_document,
    bias_metric_records,
    bias_violations,
    facet_splits,
)
from modelmonitor.analyzer.quality.ground_truth import (
    input_rows_reader,
    output_rows_reader,
    read_ground_truth_s3,
    read_predictions_s3,
)
from modelmonitor.analyzer.quality.model_quality import Coverage, Labels, ModelQualityError, Predictions, join_labels
from modelmonitor.analyzer.quality.run import QualityJob
from modelmonitor.analyzer.read.preprocessor import load_preprocessor
from modelmonitor.analyzer.read.sources import Window, read_text, write_bytes


class BiasConfigError(ModelQualityError):
    """An analysis configuration or a window the bias run cannot use; the message names the field."""


@dataclass(frozen=True)
class Facet:
    name_or_index: str | int
    value_or_threshold: tuple[Any, ...] | None
    """None: one vs. all, each value of the column against the rest."""


@dataclass(frozen=True)
class BiasConfig:
    label: str
    label_values_or_threshold: tuple[Any, ...]
    facets: tuple[Facet, ...]
    headers: tuple[str, ...] | None = None
    group_variable: str | int | None = None
    probability_threshold: float = 0.5
    pre_training: tuple[str, ...] | None = PRE_TRAINING
    post_training: tuple[str, ...] | None = POST_TRAINING


UNIQUENESS_THRESHOLD = 0.05
"""smclarify's rule for a numeric column: continuous when at least this fraction of its values are distinct."""


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
    if not isinstance(label, str) or not label:
        raise BiasConfigError("label: the name of the ground-truth label is required")
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
    return BiasConfig(label=label, label_values_or_threshold=label_values,
                      facets=tuple(facets), headers=tuple(headers) if headers else None, group_variable=group,
                      probability_threshold=float(threshold),
                      pre_training=_methods(raw.get("methods"), "pre_training_bias", PRE_TRAINING),
                      post_training=_methods(raw.get("methods"), "post_training_bias", POST_TRAINING))


def _column(rows: Sequence[Any], key: str | int, headers: tuple[str, ...] | None, what: str) -> list[Any]:
    """One column of the request rows: by name (a named row, or `headers` over a positional one) or by index."""
    if isinstance(key, str) and headers is not None and key in headers:
        key = headers.index(key)
    out = []
    for number, row in enumerate(rows):
        if isinstance(row, dict):
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


def evaluate_bias(predictions: Predictions, labels: Labels, config: BiasConfig, *,
                  evaluation_time: datetime | None = None, baseline: Mapping[str, Any] | None = None) -> BiasResult:
    """Join, split by facet, compute the configured stages' metrics, and check them against a baseline analysis."""
    if predictions.inputs is None:
        raise BiasConfigError("bias monitoring needs each prediction's request row")
    joined = join_labels(predictions, labels, evaluation_time)
    rows = [predictions.inputs[i] for i in joined.indices]
    stages: dict[str, dict[str, list[dict[str, Any]]]] = {}
    label_text = ""
    if rows:
        favourable = _favourable(joined.actual, config)
        label, label_text = favourable.sensitive, favourable.value_or_threshold
        if joined.scores is not None:
            predicted = np.array(joined.scores, dtype=np.float64) > config.probability_threshold
        else:
            predicted = _favourable([p if p is not None else "" for p in joined.predicted], config).sensitive
        group = None
        if config.group_variable is not None:
            group = np.array([str(v) for v in _column(rows, config.group_variable, config.headers,
                                                      "group_variable")], dtype=object)
        exclude: set[str | int] = {f.name_or_index for f in config.facets}
        if config.group_variable is not None:
            exclude.add(config.group_variable)
        features = _features(rows, exclude, config.headers)
        for stage, names in (("pre_training", config.pre_training), ("post_training", config.post_training)):
            if names is None:
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
    document = analysis_document(label=config.label, label_value_or_threshold=label_text, stages=stages)
    violations = bias_violations(document, baseline) if baseline is not None else []
    return BiasResult(analysis=document, violations=violations, coverage=joined.coverage)


@dataclass(frozen=True)
class BiasJob:
    """A bias run's inputs: where captures and ground truth are and how to read them (model quality's job: the same
    join), the analysis configuration, and the baseline analysis (`baseline_constraints`, optional)."""

    source: QualityJob
    config: BiasConfig
    baseline: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str], window: Window, *, output_path: str,
                         evaluation_time: datetime | None = None) -> BiasJob:
        raw = env.get("analysis_config", "")
        if not raw.strip():
            raise AnalyzerInputError("analysis_config (the bias analysis configuration, JSON or an s3:// URI) is "
                                     "required for bias monitoring")
        text = raw if raw.lstrip().startswith("{") else read_text(raw)
        try:
            config = parse_config(orjson.loads(text))
        except orjson.JSONDecodeError as exc:
            raise AnalyzerInputError(f"analysis_config is not JSON: {exc}") from exc
        # Bias is judged on favourable vs. unfavourable outcomes: the join reads predictions as a binary model's.
        source = QualityJob.from_environment({**env, "problem_type": "BinaryClassification",
                                              "probability_threshold_attribute": str(config.probability_threshold)},
                                             window, output_path=output_path, evaluation_time=evaluation_time)
        return cls(source=source, config=config, baseline=env.get("baseline_constraints") or None)


@dataclass(frozen=True)
class BiasRunResult:
    status: Literal["Completed", "CompletedWithViolations"]
    result: BiasResult
    outputs: dict[str, str]
    metrics: tuple[dict[str, Any], ...]

    def summary(self) -> str:
        c = self.result.coverage
        return (f"{len(self.result.violations)} bias violation(s); {c.matched} of {c.predictions} predictions "
                f"labelled ({c.late_labels} late labels)")


def run_bias(job: BiasJob, s3: Any) -> BiasRunResult:
    baseline = None
    if job.baseline is not None:
        try:
            baseline = orjson.loads(read_text(job.baseline))
        except orjson.JSONDecodeError as exc:
            raise AnalyzerInputError(f"bias baseline {job.baseline} is not JSON: {exc}") from exc
    source = job.source
    preprocessor = load_preprocessor(source.record_preprocessor) if source.record_preprocessor else None
    predictions = read_predictions_s3(s3, source.capture_source, source.window,
                                      inference_attribute=source.inference_attribute,
                                      probability_attribute=source.probability_attribute,
                                      output_rows=output_rows_reader(source.payload_mapping, preprocessor),
                                      input_rows=input_rows_reader(source.payload_mapping, preprocessor))
    labels = read_ground_truth_s3(s3, source.ground_truth_source, source.window)
    result = evaluate_bias(predictions, labels, job.config, evaluation_time=source.window.evaluation_time,
                           baseline=baseline)
    base = source.output_path.rstrip("/")
    outputs = {"analysis": f"{base}/analysis.json", "constraint_violations": f"{base}/constraint_violations.json"}
    write_bytes(outputs["analysis"], orjson.dumps(result.analysis, option=orjson.OPT_INDENT_2))
    write_bytes(outputs["constraint_violations"], orjson.dumps(result.violations_document(),
                                                               option=orjson.OPT_INDENT_2))
    # Stamped like model quality's metrics (the evaluation time): docs/engines.md, "Metric timestamps".
    records = result.metric_records(endpoint=source.endpoint_name, schedule=source.schedule_name,
                                    timestamp=source.window.evaluation_time)
    return BiasRunResult(status="CompletedWithViolations" if result.violations else "Completed", result=result,
                         outputs=outputs, metrics=tuple(records))
