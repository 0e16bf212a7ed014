"""Clarify's monitoring analysis configuration, rendered from the spec (pure; no Pulumi).

ONE function per monitor type owns the configuration every engine uses: the modelMonitor engine uploads it as the
job definition's `ConfigUri`, our engines as the run's `analysis_config` (internal-contracts §5). Formats are AWS's:
"Parameters to Monitor Bias Drift"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html) and
"Parameters to Monitor Attribution Drift"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-model-explainability-parameters.html);
the analyzer parses the same files (`analyzer/quality/bias_config.py`, `analyzer/quality/attribution_run.py`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from modelmonitor.analyzer.quality.attribution import synthetic_rows
from modelmonitor.spec import ModelMonitorSpec
from modelmonitor.spec_clarify import FeatureAttribution

_INDEX = re.compile(r"[0-9]+")


def typed_value(text: str) -> int | float | str:
    """A facet or label value: a number when the text reads as one (as the analyzer types a column of numbers)."""
    if _INDEX.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def column(name: str) -> int | str:
    """Clarify's `name_or_index`: digits address a column by index."""
    return int(name) if _INDEX.fullmatch(name) else name


def bias_headers(spec: ModelMonitorSpec) -> list[str]:
    """The request's feature names, then the label column (when the features are named): Clarify's `headers` are
    the dataset's columns, label included — AWS's CSV example lists "target" last with `"label": "target"`, and "if
    the dataset_type is application/jsonlines ... the last header becomes the header of the label column"
    ("Parameters to Monitor Bias Drift"); the SageMaker SDK's `ModelBiasMonitor.suggest_baseline` passes
    `DataConfig.headers`, the dataset's columns, label included."""
    payload_names = spec.payload.input.names if spec.payload.input is not None else []
    features = list(spec.model_bias.headers or payload_names)
    label = spec.model_bias.label
    if not features or label is None or label.name in features:
        return features
    return [*features, label.name]


JSON_LINES = frozenset({"application/jsonlines", "application/x-jsonlines"})
"""Content types read as JSON Lines (one record a line), as the batch jobs' `DatasetFormat` reads them."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A JMESPath unquoted identifier (https://jmespath.org/specification.html#identifiers)."""


def features_keys(spec: ModelMonitorSpec) -> list[str] | None:
    """The keys leading to the features list in one JSON line: `spec.payload.input.path` when it is plain keys
    joined by dots. None when it is unset, or has an index or the row axis (`[n]`, `[*]`: a JSON line is one
    record, so those address something Clarify's FeaturesAttribute and content_template cannot say)."""
    side = spec.payload.input
    if side is None or side.path is None:
        return None
    keys = side.path.split(".")
    return keys if all(_IDENTIFIER.fullmatch(key) for key in keys) else None


def features_attribute(spec: ModelMonitorSpec) -> str | None:
    """Clarify's `FeaturesAttribute` (a JMESPath locating the features in a JSON line), from the payload path."""
    keys = features_keys(spec)
    return ".".join(keys) if keys is not None else None


def content_template(spec: ModelMonitorSpec) -> str | None:
    """Clarify's `content_template` (the model input built from a record: one placeholder, `$features`) that puts
    the features back where the payload path finds them: path `features` → `{"features":$features}`, as AWS's
    JSON Lines example."""
    keys = features_keys(spec)
    if keys is None:
        return None
    template = "$features"
    for key in reversed(keys):
        template = f"{{{json.dumps(key)}:{template}}}"
    return template


def bias_analysis_config(spec: ModelMonitorSpec) -> dict[str, Any]:
    """The bias drift analysis configuration of `spec.modelBias` (enabled)."""
    bias = spec.model_bias
    if bias.label is None or not bias.facets:
        raise ValueError("modelBias.label and modelBias.facets are required for a bias analysis configuration")
    label = bias.label
    values = [typed_value(v) for v in label.favourable_values] if label.favourable_values is not None \
        else [label.threshold]
    facets: list[dict[str, Any]] = []
    for facet in bias.facets:
        entry: dict[str, Any] = {"name_or_index": column(facet.name)}
        if facet.values is not None:
            entry["value_or_threshold"] = [typed_value(v) for v in facet.values]
        elif facet.threshold is not None:
            entry["value_or_threshold"] = [facet.threshold]
        facets.append(entry)
    config: dict[str, Any] = {
        "label": label.name, "label_values_or_threshold": values, "facet": facets,
        "probability_threshold": bias.probability_threshold,
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
    headers = bias_headers(spec)
    if headers:
        config["headers"] = headers
    if bias.group_variable is not None:
        config["group_variable"] = column(bias.group_variable)
    return config


BASELINE_DATASET_TYPE = "text/csv"
"""`modelBias.baseline.dataset` is a CSV with a header (`spec_clarify.BiasDataset`)."""


def bias_baseline_config(spec: ModelMonitorSpec) -> dict[str, Any]:
    """The bias baseline job's analysis configuration: the monitoring configuration as the SageMaker SDK's
    `SageMakerClarifyProcessor.run_bias` completes it from a `DataConfig` (clarify `_AnalysisConfigGenerator.bias`):
    `dataset_type`, and `predicted_label` (the dataset's column of model outputs; Clarify then calls no model).

    Without `headers`: the monitoring headers name the captured request's features, not the dataset's columns, and
    Clarify reads a CSV dataset's header row when `headers` is absent ("Analysis Configuration Files",
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html). Without a
    predicted label only the pre-training metrics: the SDK refuses post-training bias with neither a model nor a
    predicted label (`_add_predictor`)."""
    config = bias_analysis_config(spec)
    config.pop("headers", None)
    config["dataset_type"] = BASELINE_DATASET_TYPE
    baseline = spec.model_bias.baseline
    dataset = baseline.dataset if baseline is not None else None
    if dataset is None:
        raise ValueError("modelBias.baseline.dataset is required for a bias baseline configuration")
    if dataset.predicted_label is not None:
        config["predicted_label"] = column(dataset.predicted_label)
    else:
        config["methods"] = {"pre_training_bias": config["methods"]["pre_training_bias"]}
    return config


def attribution_dataset_type(spec: ModelMonitorSpec) -> str:
    """The content type of the records an attribution job reads: the batch jobs' input, or the requests the
    endpoint is sent (featureAttribution.contentType: the type attribution sends the same model)."""
    batch = spec.batch_transform
    return batch.content_type if batch is not None else spec.feature_attribution.content_type


def _record(keys: list[str], features: list[Any]) -> Any:
    record: Any = features
    for key in reversed(keys):
        record = {key: record}
    return record


def attribution_analysis_config(spec: ModelMonitorSpec, *, ours: bool, endpoint: str | None = None
                                ) -> dict[str, Any]:
    """The attribution drift analysis configuration of `spec.featureAttribution` (enabled). `ours`: add the run
    budget our analyzer enforces (`max_rows`, `max_model_rows`), which AWS's Clarify job does not know; AWS's
    gets its background rows in the dataset's format ("The format should be the same as the dataset format": a
    JSON Lines dataset's rows are records, `{"features":[...]}` in AWS's example). `endpoint`: the endpoint the
    job calls (`predictor.endpoint_name`: the SageMaker SDK's `ModelConfig(endpoint_name=...)`; "Analysis
    Configuration Files" documents it; without it, or model_name + instance_type + initial_instance_count, AWS's
    job has no model to call). JSON Lines requests get a `content_template`: the SDK's ModelConfig refuses
    application/jsonlines without one; None when the payload path cannot say it (engine
    modelMonitor refuses that, `engine_clarify_mm`)."""
    fa = spec.feature_attribution
    keys = features_keys(spec)
    background: list[Any] | str
    if fa.background_s3_uri is not None:
        background = fa.background_s3_uri
    elif not ours and attribution_dataset_type(spec) in JSON_LINES and keys is not None:
        background = [_record(keys, list(row)) for row in fa.background_rows]
    else:
        background = [list(row) for row in fa.background_rows]
    score = column(fa.score)
    predictor: dict[str, Any] = {"content_type": fa.content_type, "accept_type": fa.accept, "probability": score}
    if endpoint is not None:
        predictor["endpoint_name"] = endpoint
    template = content_template(spec)
    if fa.content_type in JSON_LINES and template is not None:
        predictor["content_template"] = template
    config: dict[str, Any] = {
        "headers": list(fa.headers),
        "methods": {"shap": {"baseline": background, "num_samples": fa.num_samples, "agg_method": "mean_abs",
                             "use_logit": False, "save_local_shap_values": False}},
        "predictor": predictor}
    if ours:
        config["max_rows"] = fa.max_rows
        config["max_model_rows"] = fa.max_model_rows
    return config


def attribution_rows_per_run(attribution: FeatureAttribution) -> int | None:
    """Rows one attribution run sends to the model at most (the analyzer's own count: background + rows + rows ×
    coalitions × background), capped by maxModelRows; None when the background is a file (engine modelMonitor)."""
    if not attribution.background_rows:
        return None
    rows = synthetic_rows(attribution.max_rows, len(attribution.headers), len(attribution.background_rows),
                          attribution.num_samples)
    return min(rows, attribution.max_model_rows)


def attribution_exceeds_budget(attribution: FeatureAttribution) -> int | None:
    """The rows a full run would need when that is more than maxModelRows (the analyzer then refuses every run)."""
    if not attribution.background_rows:
        return None
    rows = synthetic_rows(attribution.max_rows, len(attribution.headers), len(attribution.background_rows),
                          attribution.num_samples)
    return rows if rows > attribution.max_model_rows else None


def budget_problem(attribution: FeatureAttribution) -> str | None:
    """What is wrong with an attribution budget no full window fits in (every run would be refused before its
    first call), for `validate` and the components alike; None when it fits or the section is off."""
    if not attribution.enabled or (rows := attribution_exceeds_budget(attribution)) is None:
        return None
    return (f"spec.featureAttribution: a run needs {rows:,} model rows (maxRows {attribution.max_rows}, numSamples "
            f"{attribution.num_samples}, {len(attribution.background_rows)} background rows) but maxModelRows is "
            f"{attribution.max_model_rows:,}: every full window would be refused; lower maxRows, numSamples or the "
            "background, or raise maxModelRows")


def to_json(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"))
