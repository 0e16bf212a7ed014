"""The spec's bias drift, feature attribution drift and batch transform source (`spec.modelBias`,
`spec.featureAttribution`, `spec.batchTransform`); `modelmonitor.spec` imports them.

They say what Clarify's monitoring analysis configuration says ("Parameters to Monitor Bias Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html; "Parameters to
Monitor Attribution Drift", .../clarify-config-json-monitor-model-explainability-parameters.html) in the spec's
words; `components/clarify_config.py` renders that configuration from them. Cross-field rules have CEL twins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from modelmonitor.formats import InstanceType, S3Uri, SageMakerName, Schedule
from modelmonitor.spec_base import GroundTruthJoin, _Model, _require_exactly_one

ColumnName = Annotated[str, Field(min_length=1, max_length=200)]
Attribute = Annotated[str, Field(min_length=1, max_length=256)]
AttributionRequestType = Literal["text/csv", "application/jsonlines"]
"""What an attribution run sends the model: the text types of Clarify's `predictor.content_type` ("Parameters to
Monitor Attribution Drift"; its x-parquet and x-image are not rows of numbers SHAP can perturb here)."""
AttributionResponseType = Literal["text/csv", "application/jsonlines", "application/json"]
"""Clarify's `predictor.accept_type` (the page: text/csv, application/jsonlines; the SageMaker SDK's ModelConfig also
application/json)."""
BatchRequestType = Literal["text/csv", "application/jsonlines"]
"""What a monitoring job reads of a transform job's input: botocore's MonitoringDatasetFormat is Csv, Json or
Parquet, and transform jobs split CSV and JSON Lines by line."""
BatchResponseType = Literal["text/csv", "application/jsonlines", "application/json"]
Value = Annotated[str, Field(min_length=1, max_length=256)]
"""A facet or label value, as text (quoted in YAML, as the CRD's string type wants it): Clarify's configuration gets
a number when the text reads as one, as the analyzer reads a column of numbers (`analyzer/quality/bias_analysis`)."""



class BiasFacet(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "!(has(self.values) && has(self.threshold))",
         "message": "a facet has values or a threshold, not both"}]})
    name: ColumnName
    """The sensitive feature's column (a name of the request's features, or its index as a string)."""
    values: Annotated[list[Value], Field(min_length=1, max_length=100)] | None = None
    """The sensitive group: the facet values it holds. Neither values nor threshold: each value against the rest."""
    threshold: float | None = None
    """A continuous facet: values above this threshold form the sensitive group."""

    @model_validator(mode="after")
    def _one_rule(self) -> BiasFacet:
        if self.values is not None and self.threshold is not None:
            raise PydanticCustomError("exclusive", "facet {name}: values or threshold, not both",
                                      {"name": repr(self.name)})
        return self


class BiasLabel(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "has(self.favourableValues) != has(self.threshold)",
         "message": "exactly one of label.favourableValues or label.threshold must be set"}]})
    name: ColumnName = "label"
    """The ground-truth label's name (Clarify's `label`)."""
    favourable_values: Annotated[list[Value], Field(min_length=1, max_length=100)] | None = None
    """The label values that are the favourable outcome (e.g. [1], or ["approved"])."""
    threshold: float | None = None
    """A continuous label: values above this threshold are the favourable outcome."""

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        return _require_exactly_one(data, "label", "favourableValues", "threshold")


BIAS_METRICS = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD",
                "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE")
"""Clarify's short names of the pre-training and post-training bias metrics."""


class BiasDataset(_Model):
    s3_uri: S3Uri
    """A labelled dataset (training or validation set, CSV with a header) to compute the baseline analysis from."""
    predicted_label: ColumnName | None = None
    """Its column of the model's outputs (labels or scores): post-training metrics need it."""
    tolerance: Annotated[dict[str, Annotated[float, Field(ge=0, le=1000)]], Field(
        max_length=21, json_schema_extra={"x-kubernetes-validations": [
            {"rule": "self.all(k, k in " + str(list(BIAS_METRICS)) + ")",
             "message": "tolerance keys are Clarify's bias metric short names: " + ", ".join(BIAS_METRICS)}]})] = {}
    """The configured band: how much farther from balance (0, or 1 for DI) than the dataset's value a window's
    metric may be before it is a violation, e.g. {DPPL: 0.1, DI: 0.2}. Unlisted metrics: the dataset's value."""

    @model_validator(mode="after")
    def _known_metrics(self) -> BiasDataset:
        unknown = sorted(set(self.tolerance) - set(BIAS_METRICS))
        if unknown:
            raise PydanticCustomError("unknown_metric", "tolerance names unknown bias metric(s) {unknown}; known: "
                                      "{known}", {"unknown": ", ".join(unknown), "known": ", ".join(BIAS_METRICS)})
        return self


class BiasBaseline(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "has(self.analysisS3Uri) != has(self.dataset)",
         "message": "exactly one of modelBias.baseline.analysisS3Uri or modelBias.baseline.dataset must be set"}]})
    analysis_s3_uri: S3Uri | None = None
    """A baseline analysis.json (AWS's bias baselining job, or `modelmonitor baseline --bias-config`)."""
    dataset: BiasDataset | None = None
    """Compute the baseline analysis from a labelled dataset."""

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        return _require_exactly_one(data, "modelBias.baseline", "analysisS3Uri", "dataset")


_BIAS_ENABLED = "!has(self.enabled) || !self.enabled || "


class ModelBias(GroundTruthJoin):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": _BIAS_ENABLED + "has(self.groundTruthS3Uri)",
         "message": "modelBias.groundTruthS3Uri is required when modelBias is enabled"},
        {"rule": _BIAS_ENABLED + "(has(self.facets) && size(self.facets) > 0)",
         "message": "modelBias.facets is required when modelBias is enabled"},
        {"rule": _BIAS_ENABLED + "has(self.label)",
         "message": "modelBias.label is required when modelBias is enabled"},
        {"rule": _BIAS_ENABLED + "has(self.inferenceAttribute) || has(self.probabilityAttribute)",
         "message": "modelBias.inferenceAttribute or modelBias.probabilityAttribute is required when modelBias is "
                    "enabled"},
    ]})
    enabled: bool = False
    """Run bias drift monitoring (needs ground-truth labels)."""
    schedule: Schedule = "daily"
    """How often bias is evaluated."""
    label: BiasLabel | None = None
    """The ground-truth label and its favourable outcome."""
    facets: Annotated[list[BiasFacet], Field(max_length=20)] = []
    """The sensitive features (Clarify's `facet`)."""
    group_variable: ColumnName | None = None
    """The subgroup column for conditional demographic disparity (CDDL, CDDPL)."""
    headers: Annotated[list[ColumnName], Field(max_length=500)] = []
    """Names of the request's feature columns (Clarify's `headers`). Empty: payload.input.names."""
    inference_attribute: Attribute | None = None
    """Where the predicted label is in the endpoint output (JSON path, or CSV column index)."""
    probability_attribute: Attribute | None = None
    """Where the favourable outcome's probability is in the output (compared with probabilityThreshold)."""
    probability_threshold: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Probability above which the prediction is the favourable outcome (a score equal to it is not: Clarify's
    (threshold, max] interval)."""
    baseline: BiasBaseline | None = None
    """The baseline bias: violations are metrics outside its band. Unset: metrics only, no violations."""
    instance_type: InstanceType = "ml.m5.xlarge"
    """Processing instance type (engine modelMonitor)."""
    max_runtime_seconds: Annotated[int, Field(ge=60, le=86400)] = 1800
    """Upper bound of one run."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> ModelBias:
        if not self.enabled:
            return self
        missing = [field for field, present in (
            ("groundTruthS3Uri", self.ground_truth_s3_uri is not None), ("label", self.label is not None),
            ("facets", bool(self.facets)),
            ("inferenceAttribute or probabilityAttribute",
             self.inference_attribute is not None or self.probability_attribute is not None)) if not present]
        if missing:
            raise PydanticCustomError("required_when", "{fields} required when modelBias is enabled",
                                      {"fields": " and ".join(missing) + (" is" if len(missing) == 1 else " are")})
        return self


class FeatureAttribution(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "!has(self.enabled) || !self.enabled || (has(self.headers) && size(self.headers) >= 2)",
         "message": "featureAttribution.headers (at least two feature names) is required when featureAttribution "
                    "is enabled"},
        {"rule": "!has(self.enabled) || !self.enabled || "
                 "((has(self.backgroundRows) && size(self.backgroundRows) > 0) != has(self.backgroundS3Uri))",
         "message": "exactly one of featureAttribution.backgroundRows or featureAttribution.backgroundS3Uri must "
                    "be set when featureAttribution is enabled"},
        {"rule": "!has(self.backgroundRows) || !has(self.headers) || size(self.headers) == 0 "
                 "|| self.backgroundRows.all(r, size(r) == size(self.headers))",
         "message": "each of featureAttribution.backgroundRows must hold one value per header"},
    ]})
    enabled: bool = False
    """Run feature attribution drift monitoring. Off unless set: every run calls the model (see numSamples)."""
    schedule: Schedule = "daily"
    """How often attributions are computed."""
    headers: Annotated[list[ColumnName], Field(max_length=500)] = []
    """The model's feature names, in request column order (Clarify's `headers`)."""
    background_rows: Annotated[list[Annotated[list[float], Field(max_length=500)]], Field(max_length=100)] = []
    """Background rows SHAP replaces absent features with (Clarify's `methods.shap.baseline`); a few rows."""
    background_s3_uri: S3Uri | None = None
    """A CSV file of background rows instead (engine modelMonitor only: Clarify reads it itself)."""
    num_samples: Annotated[int, Field(ge=1, le=100000)] = 100
    """Kernel SHAP coalitions per explained row (Clarify's `num_samples`)."""
    max_rows: Annotated[int, Field(ge=1, le=10000)] = 20
    """Rows of a window explained per run (our engines)."""
    max_model_rows: Annotated[int, Field(ge=1, le=100_000_000)] = 100_000
    """Upper bound of rows sent to the model per run (our engines); a run needing more is refused before any call."""
    score: Annotated[str, Field(min_length=1, max_length=256)] = "0"
    """Which output column is the score explained: an index (digits, CSV) or a key (JSON)."""
    content_type: AttributionRequestType = "text/csv"
    """Content type of the requests sent to the model."""
    accept: AttributionResponseType = "text/csv"
    """Accept type of the model's responses."""
    endpoint_name: SageMakerName | None = None
    """The endpoint called for attributions. Default: the monitored endpoint; required for a batch transform source
    (a transform job has no endpoint to call)."""
    baseline_analysis_s3_uri: S3Uri | None = None
    """The baseline attributions (analysis.json) the nDCG compares with. Unset: attributions only, no violations."""
    instance_type: InstanceType = "ml.m5.xlarge"
    """Processing instance type (engine modelMonitor)."""
    max_runtime_seconds: Annotated[int, Field(ge=60, le=86400)] = 1800
    """Upper bound of one run."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> FeatureAttribution:
        for index, row in enumerate(self.background_rows):
            if self.headers and len(row) != len(self.headers):
                raise PydanticCustomError(
                    "row_length", "backgroundRows[{index}] has {got} values, headers name {want} features",
                    {"index": index, "got": len(row), "want": len(self.headers)})
        if not self.enabled:
            return self
        if len(self.headers) < 2:
            raise PydanticCustomError("required_when", "headers (at least two feature names) is required when "
                                                       "featureAttribution is enabled")
        if bool(self.background_rows) == (self.background_s3_uri is not None):
            raise PydanticCustomError("one_of", "exactly one of backgroundRows or backgroundS3Uri must be set when "
                                                "featureAttribution is enabled")
        return self


class BatchTransform(_Model):
    destination_s3_uri: S3Uri
    """The transform jobs' DataCaptureConfig.DestinationS3Uri: their capture manifests and outputs land below it."""
    content_type: BatchRequestType = "text/csv"
    """The jobs' input ContentType: text/csv or application/jsonlines."""
    accept: BatchResponseType = "text/csv"
    """The jobs' Accept (output content type)."""


def check_sources(data: Any) -> Any:
    """Exactly one monitored source: an endpoint or batch transform jobs."""
    return _require_exactly_one(data, "spec", "endpoint", "batchTransform")


SOURCE_RULES: list[JsonDict] = [
    {"rule": "has(self.endpoint) != has(self.batchTransform)",
     "message": "exactly one of spec.endpoint or spec.batchTransform must be set"},
    {"rule": "!has(self.batchTransform) || !has(self.featureAttribution) || !has(self.featureAttribution.enabled) "
             "|| !self.featureAttribution.enabled || has(self.featureAttribution.endpointName)",
     "message": "featureAttribution.endpointName is required for a batch transform source: attribution calls the "
                "model, and a transform job has no endpoint to call"},
    {"rule": "(has(self.engine) && self.engine == 'modelMonitor') || !has(self.featureAttribution) "
             "|| !has(self.featureAttribution.backgroundS3Uri)",
     "message": "featureAttribution.backgroundS3Uri needs engine modelMonitor; our engines take backgroundRows"},
]
"""CEL twins of `source_errors`."""


def _named_columns(bias: ModelBias) -> list[str]:
    """The facets and group variable given by name (not by a column index)."""
    wanted = [facet.name for facet in bias.facets]
    if bias.group_variable is not None:
        wanted.append(bias.group_variable)
    return [name for name in wanted if not name.isdigit()]


def bias_column_errors(bias: ModelBias, *, payload_names: list[str], engine: str) -> str | None:
    """Facets and the group variable must be columns a run can find: the request's named columns
    (`modelBias.headers`, else `payload.input.names`) when those are given; and under engine modelMonitor, AWS's
    Clarify resolves a name only through `headers` ("headers: A list of column names in the dataset"; a facet's
    `name_or_index` is a column name or an index: "Parameters to Monitor Bias Drift"), so names need headers.
    (Our engines also name the columns of JSON object rows or a record preprocessor's dicts by their keys.)"""
    if not bias.enabled:
        return None
    named = _named_columns(bias)
    headers = list(bias.headers) or payload_names
    if headers:
        unknown = [name for name in named if name not in headers]
        if unknown:
            return (f"modelBias names {', '.join(repr(n) for n in unknown)}, not a column of the request: the columns "
                    f"are {', '.join(headers[:20])}{' …' if len(headers) > 20 else ''} "
                    f"({'modelBias.headers' if bias.headers else 'payload.input.names'}); name a facet by one of "
                    "them, or by its column index")
    elif named and engine == "modelMonitor":
        return (f"modelBias names columns ({', '.join(repr(n) for n in named)}) but nothing names the request's "
                "columns: under engine modelMonitor set modelBias.headers (or payload.input.names), or give facets "
                "by column index")
    return None


def _column_known(name: str) -> str:
    """CEL: `name` (an expression) is an index, or one of the request's named columns."""
    headers = "self.modelBias.headers"
    names = "self.payload.input.names"
    return (f"({name}.matches('^[0-9]+$') || (size({headers}) > 0 ? {name} in {headers} : "
            f"(!has(self.payload) || !has(self.payload.input) || size({names}) == 0 || {name} in {names})))")


_BIAS_ON = "!has(self.modelBias) || !has(self.modelBias.enabled) || !self.modelBias.enabled || "
BIAS_COLUMN_RULES: list[JsonDict] = [
    {"rule": _BIAS_ON + "(self.modelBias.facets.all(f, " + _column_known("f.name") + ") && "
             "(!has(self.modelBias.groupVariable) || " + _column_known("self.modelBias.groupVariable") + "))",
     "message": "modelBias facets and groupVariable must be columns of the request (modelBias.headers, else "
                "payload.input.names) or column indexes"},
    {"rule": _BIAS_ON + "!(has(self.engine) && self.engine == 'modelMonitor') || size(self.modelBias.headers) > 0 "
             "|| (has(self.payload) && has(self.payload.input) && size(self.payload.input.names) > 0) || "
             "(self.modelBias.facets.all(f, f.name.matches('^[0-9]+$')) && (!has(self.modelBias.groupVariable) "
             "|| self.modelBias.groupVariable.matches('^[0-9]+$')))",
     "message": "modelBias names columns but nothing names the request's columns: under engine modelMonitor set "
                "modelBias.headers (or payload.input.names), or give facets by column index"},
]
"""CEL twins of `bias_column_errors`."""


def source_errors(*, batch: bool, engine: str, attribution: FeatureAttribution) -> str | None:
    """The cross-section rules of the monitored source and attribution (the spec validator raises the text)."""
    if batch and attribution.enabled and attribution.endpoint_name is None:
        return ("featureAttribution.endpointName is required for a batch transform source: attribution calls the "
                "model, and a transform job has no endpoint to call")
    if engine != "modelMonitor" and attribution.background_s3_uri is not None:
        return "featureAttribution.backgroundS3Uri needs engine modelMonitor; our engines take backgroundRows"
    return None
