"""The spec's data-quality and model-quality sections (`spec.dataQuality`, `spec.modelQuality`) and the model-quality
metrics Model Monitor publishes per problem type; `modelmonitor.spec` imports them (cross-field rules have CEL twins).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from modelmonitor.formats import InstanceType, Schedule
from modelmonitor.spec_base import GroundTruthJoin, _Model

FeatureName = Annotated[str, Field(min_length=1, max_length=200)]


DriftMetric = Literal["psi", "ks", "js", "wasserstein", "chi2"]


class DataQuality(_Model):
    enabled: bool = True
    """Run data-quality (drift) monitoring."""
    schedule: Schedule = "hourly"
    """How often a window is analysed: hourly, daily, daily@HH, every Nh or cron(0 H/N ? * * *)."""
    analyzer: Literal["builtin", "custom"] = "custom"
    """engine modelMonitor only: AWS's built-in analyzer image, or ours (BYOC, adds customMetrics)."""
    instance_type: InstanceType = "ml.m5.xlarge"
    """Processing instance type (engines modelMonitor and processingJob)."""
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    """Processing instances; > 1 shards the captures (processingJob engine)."""
    volume_size_gb: Annotated[int, Field(ge=1, le=16384)] = 20
    """Processing volume size in GB."""
    max_runtime_seconds: Annotated[int, Field(ge=60, le=86400)] = 3600
    """Upper bound of one run. SageMaker allows at most 3600 for hourly schedules."""
    drift_threshold: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Numerical drift threshold on the L∞ distance (and the drift alarms' threshold)."""
    categorical_drift_threshold: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Categorical drift threshold on the L∞ distance."""
    method: Literal["robust", "simple"] = "robust"
    """Robust discounts sampling noise in small windows (Deequ); simple compares the raw distance."""
    custom_metrics: Annotated[list[DriftMetric], Field(max_length=5)] = ["psi", "ks"]
    """Extra drift statistics our analyzer reports per feature (not used by the built-in analyzer)."""
    features: Annotated[list[FeatureName], Field(max_length=500)] = []
    """Features that also get a drift alarm of their own. Listed or not, every monitor alarms when any feature
    drifts (one alarm on the number of drifted features per run)."""
    environment: Annotated[dict[str, Annotated[str, Field(max_length=1024)]], Field(max_length=40)] = {}
    """Extra analyzer environment (SageMaker allows 50 entries in total)."""
    sketch_k: Annotated[int, Field(ge=8, le=65535)] = 2048
    """KLL sketch size k of our analyzer (SageMaker's analyzer uses 2048): larger is more accurate and writes a
    larger statistics.json."""
    sketch_c: Annotated[float, Field(gt=0.5, lt=1)] = 0.64
    """KLL capacity shrink factor c of our analyzer (SageMaker's analyzer uses 0.64)."""


ProblemType = Literal["BinaryClassification", "MulticlassClassification", "Regression"]


class ModelQualityAlarm(_Model):
    metric: Annotated[str, Field(min_length=1, max_length=64)]
    """A Model Monitor model-quality metric, e.g. auc, accuracy, f1, rmse."""
    threshold: float
    """Alarm threshold."""
    comparison: Literal["lessThan", "greaterThan"] = "lessThan"
    """Alarm when the metric is below (accuracy-like) or above (error-like) the threshold."""


class ModelQuality(GroundTruthJoin):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "!has(self.enabled) || !self.enabled || has(self.groundTruthS3Uri)",
         "message": "modelQuality.groundTruthS3Uri is required when modelQuality is enabled"},
        {"rule": "!has(self.enabled) || !self.enabled || has(self.problemType)",
         "message": "modelQuality.problemType is required when modelQuality is enabled"},
        {"rule": "!has(self.enabled) || !self.enabled || has(self.inferenceAttribute) "
                 "|| (has(self.problemType) && self.problemType == 'BinaryClassification' "
                 "&& has(self.probabilityAttribute))",
         "message": "modelQuality.inferenceAttribute is required (BinaryClassification: or probabilityAttribute)"},
    ]})
    enabled: bool = False
    """Run model-quality monitoring (needs ground-truth labels)."""
    schedule: Schedule = "daily"
    """How often model quality is evaluated."""
    problem_type: ProblemType | None = None
    """BinaryClassification, MulticlassClassification or Regression."""
    inference_attribute: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    """Where the prediction is in the endpoint output (JSON path, or CSV column index)."""
    probability_attribute: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    """BinaryClassification: where the positive-class probability is in the output."""
    probability_threshold: Annotated[float, Field(ge=0, le=1)] = 0.5
    """BinaryClassification: probability at or above which the prediction is positive."""
    instance_type: InstanceType = "ml.m5.xlarge"
    """Processing instance type."""
    max_runtime_seconds: Annotated[int, Field(ge=60, le=86400)] = 1800
    """Upper bound of one run. SageMaker allows at most 1800 for hourly model-quality schedules."""
    alarms: Annotated[list[ModelQualityAlarm], Field(max_length=20)] = []
    """Alarms on model-quality metrics."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> ModelQuality:
        if not self.enabled:
            return self
        if self.ground_truth_s3_uri is None:
            raise PydanticCustomError("required_when", "groundTruthS3Uri is required when modelQuality is enabled")
        if self.problem_type is None:
            raise PydanticCustomError("required_when", "problemType is required when modelQuality is enabled")
        if self.inference_attribute is None and not (
            self.problem_type == "BinaryClassification" and self.probability_attribute is not None
        ):
            raise PydanticCustomError(
                "required_when",
                "inferenceAttribute is required (BinaryClassification: or probabilityAttribute)")
        allowed = MODEL_QUALITY_METRICS[self.problem_type]
        for alarm in self.alarms:
            if alarm.metric not in allowed:
                raise PydanticCustomError(
                    "unknown_metric", "alarm metric {metric} is not a {problem} metric; one of: {allowed}",
                    {"metric": repr(alarm.metric), "problem": self.problem_type, "allowed": ", ".join(allowed)})
        return self


# The metric names SageMaker Model Monitor publishes per problem type (contract file, "CloudWatch metrics").
_BINARY = ("accuracy", "precision", "recall", "f0_5", "f1", "f2", "auc", "true_positive_rate",
           "true_negative_rate", "false_positive_rate", "false_negative_rate")
MODEL_QUALITY_METRICS: dict[str, tuple[str, ...]] = {
    "BinaryClassification": _BINARY,
    "MulticlassClassification": ("accuracy", "weighted_precision", "weighted_recall", "weighted_f0_5",
                                 "weighted_f1", "weighted_f2"),
    "Regression": ("mae", "mse", "rmse", "r2"),
}
