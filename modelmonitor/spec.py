"""The ONE schema of a ModelMonitor document (pydantic v2).

`pulumi up` (monitors/*.yaml), the operator (custom resources) and the CLI all parse documents with these
models; the CRD in `crds/` is generated from them (`modelmonitor.crd`). Field descriptions become the CRD's
descriptions; `x-kubernetes-validations` entries are the CEL twins of the cross-field validators below.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from modelmonitor.formats import (
    ContainerImage,
    Duration,
    Email,
    InstanceType,
    KmsKey,
    MonitorName,
    Namespace,
    PayloadPath,
    Region,
    RoleArn,
    S3Uri,
    SageMakerName,
    SecretName,
    SnsTopicArn,
)
from modelmonitor.spec_base import _Model, _require_exactly_one
from modelmonitor.spec_clarify import (
    BIAS_COLUMN_RULES,
    SOURCE_RULES,
    BatchTransform,
    FeatureAttribution,
    ModelBias,
    bias_column_errors,
    check_sources,
    source_errors,
)
from modelmonitor.spec_quality import DataQuality, FeatureName, ModelQuality

API_VERSION = "modelmonitor.io/v1alpha1"
KIND = "ModelMonitor"



Tags = Annotated[dict[str, Annotated[str, Field(max_length=256)]], Field(max_length=40)]


class ExistingEndpoint(_Model):
    name: Annotated[SageMakerName, Field(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "self == oldSelf", "message": "endpoint.existing.name is immutable"}]})]
    """Name of a SageMaker endpoint that already exists (and captures data). Immutable."""
    variant_name: SageMakerName = "AllTraffic"
    """Production variant whose captures are monitored."""


class CreateEndpoint(_Model):
    name: Annotated[SageMakerName | None, Field(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "self == oldSelf", "message": "endpoint.create.name is immutable"}]})] = None
    """Endpoint name to create; defaults to metadata.name. Immutable."""
    model_data_url: S3Uri
    """S3 URI of the model artifact (model.tar.gz)."""
    image: ContainerImage
    """Inference container image URI."""
    execution_role_arn: RoleArn | None = None
    """Role the model runs as; a least-privilege role is created when omitted."""
    instance_type: InstanceType = "ml.t2.medium"
    """Instance type of the production variant."""
    instance_count: Annotated[int, Field(ge=1, le=100)] = 1
    """Number of instances of the production variant."""
    variant_name: SageMakerName = "AllTraffic"
    """Name of the single production variant."""
    environment: Annotated[dict[str, Annotated[str, Field(max_length=1024)]], Field(max_length=50)] = {}
    """Environment variables of the inference container."""


class Endpoint(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "has(self.existing) != has(self.create)",
         "message": "exactly one of endpoint.existing or endpoint.create must be set"},
        {"rule": "has(self.existing) == has(oldSelf.existing)",
         "message": "endpoint mode (existing/create) is immutable"},
    ]})
    existing: ExistingEndpoint | None = None
    """Monitor an endpoint that already exists."""
    create: CreateEndpoint | None = None
    """Create the model, endpoint configuration (with data capture) and endpoint."""

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        return _require_exactly_one(data, "endpoint", "existing", "create")


class DataCapture(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "!has(self.captureInput) || !has(self.captureOutput) || self.captureInput || self.captureOutput",
         "message": "at least one of captureInput or captureOutput must be true"},
    ]})
    sampling_percentage: Annotated[int, Field(ge=1, le=100)] = 20
    """Percentage of requests captured (1..100). SageMaker's SDK default is 20."""
    capture_input: bool = True
    """Capture request payloads (needed for data-quality monitoring)."""
    capture_output: bool = True
    """Capture response payloads (needed for model-quality monitoring)."""
    kms_key_id: KmsKey | None = None
    """KMS key for the captured data; the artifact bucket's key when omitted."""
    destination_s3_uri: S3Uri | None = None
    """Where captures land. Default: the platform bucket's captures/ prefix (created endpoints). For an existing
    endpoint, the S3 prefix it already captures to (required unless engine is modelMonitor)."""
    csv_content_types: Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=10)] = ["text/csv"]
    """Content types captured as CSV (others are base64-encoded)."""
    json_content_types: Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=10)] = [
        "application/json"]
    """Content types captured as JSON (others are base64-encoded)."""

    @model_validator(mode="after")
    def _captures_something(self) -> DataCapture:
        if not (self.capture_input or self.capture_output):
            raise PydanticCustomError("capture", "at least one of captureInput or captureOutput must be true")
        return self


class BaselineDataset(_Model):
    s3_uri: S3Uri
    """Training (or other reference) data to compute the baseline from."""
    format: Literal["csv", "jsonl", "parquet"] = "csv"
    """File format of the dataset."""
    header: bool = True
    """CSV only: the first row holds the feature names."""


class PrecomputedBaseline(_Model):
    statistics_s3_uri: S3Uri
    """statistics.json produced by a baseline job or `modelmonitor baseline`."""
    constraints_s3_uri: S3Uri
    """constraints.json produced by a baseline job or `modelmonitor baseline`."""


class Baseline(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "has(self.dataset) != has(self.precomputed)",
         "message": "exactly one of baseline.dataset or baseline.precomputed must be set"}]})
    dataset: BaselineDataset | None = None
    """Compute the baseline from a dataset at deploy time."""
    precomputed: PrecomputedBaseline | None = None
    """Use statistics/constraints that already exist."""

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        return _require_exactly_one(data, "baseline", "dataset", "precomputed")


class PayloadSide(_Model):
    path: PayloadPath | None = None
    """Where the rows are in a JSON body, JSONPath-like: keys joined by dots, [n] an index, [*] the row axis (e.g.
    instances[*].features, predictions[*].score). Unset: the whole body is one row (or the shape rules apply)."""
    names: Annotated[list[FeatureName], Field(max_length=500)] = []
    """Names of the positional columns (or the keys of an object row to keep, in order)."""


class Payload(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "!(has(self.preprocessorS3Uri) && (has(self.input) || has(self.output)))",
         "message": "payload.preprocessorS3Uri excludes payload.input and payload.output: one decides the rows"},
    ]})
    input: PayloadSide | None = None
    """Where the request's features are and what to call them. Unset: the analyzer's shape rules."""
    output: PayloadSide | None = None
    """Where the response's predictions are and what to call them. Unset: the analyzer's shape rules."""
    preprocessor_s3_uri: S3Uri | None = None
    """A record preprocessor script with SageMaker's contract (preprocess_handler(inference_record[, logger])
    returning a dict or a list of dicts), run under every engine; excludes input and output."""

    @model_validator(mode="after")
    def _one_decides(self) -> Payload:
        if self.preprocessor_s3_uri is not None and (self.input is not None or self.output is not None):
            raise PydanticCustomError(
                "exclusive",
                "payload.preprocessorS3Uri excludes payload.input and payload.output: one decides the rows")
        return self


class Alerting(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "!has(self.datapointsToAlarm) || !has(self.evaluationPeriods) "
                 "|| self.datapointsToAlarm <= self.evaluationPeriods",
         "message": "alerting.datapointsToAlarm must not exceed alerting.evaluationPeriods"},
    ]})
    emails: Annotated[list[Email], Field(max_length=20)] = []
    """Addresses subscribed to the alert topic (each must confirm the subscription)."""
    sns_topic_arn: SnsTopicArn | None = None
    """Also send alerts to this existing SNS topic."""
    slack_webhook_secret: SecretName | None = None
    """Name of an SSM SecureString or Secrets Manager secret holding a Slack-compatible webhook URL."""
    evaluation_periods: Annotated[int, Field(ge=1, le=24)] = 3
    """N in M-of-N: how many recent schedule periods an alarm looks at."""
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=24)] = 2
    """M in M-of-N: how many of them must breach, so one noisy window pages nobody."""
    missing_runs_periods: Annotated[int, Field(ge=1, le=24)] = 2
    """Alarm when no monitoring run reported anything for this many schedule periods."""
    notify_on_execution_failure: bool = True
    """Alert when a monitoring run fails."""
    notify_on_ok: bool = False
    """Also alert when a heartbeat, no-captures, coverage or dead-letter alarm returns to OK, and send OK
    transitions to snsTopicArn. Drift and model-quality incidents always end with one RESOLVED alert."""
    repeat_interval: Duration = "24h"
    """Remind about a drift or model-quality incident that is still open at most this often (one alert opens it,
    one RESOLVED alert closes it)."""

    @model_validator(mode="after")
    def _m_of_n(self) -> Alerting:
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise PydanticCustomError(
                "m_of_n", "datapointsToAlarm ({m}) must not exceed evaluationPeriods ({n})",
                {"m": self.datapoints_to_alarm, "n": self.evaluation_periods})
        return self


class DriftDetection(_Model):
    mode: Literal["Off", "Detect", "Remediate"] = "Detect"
    """Infrastructure drift: Detect reports live changes made outside ModelMonitor; Remediate reverts them."""
    interval: Duration = "1h"
    """How often the live infrastructure is compared with the declared one."""


Engine = Literal["modelMonitor", "lambda", "processingJob"]


class EngineSettings(_Model):
    lambda_memory_mb: Annotated[int, Field(ge=512, le=10240)] = 3008
    """engine lambda: memory of the analyzer function (MB); CPU scales with it."""
    lambda_timeout_seconds: Annotated[int, Field(ge=60, le=900)] = 900
    """engine lambda: timeout of one analysis (Lambda allows at most 900 s)."""
    max_lambda_window_mb: Annotated[int, Field(ge=1, le=10240)] = 2048
    """engine lambda: a window with more captured data than this fails with a message naming processingJob,
    never silently sampled."""
    analyzer_image: ContainerImage | None = None
    """Our analyzer as a prebuilt image URI. Default: engines lambda and processingJob need no image (a zip package
    on AWS's SDK-for-pandas layer; AWS's PyTorch image with our code bundle); engine modelMonitor with
    dataQuality.analyzer custom runs the Platform's ECR image, which CI or a Docker build must push. Also the
    fallback where the managed layer has no ARN (e.g. GovCloud)."""


class ModelMonitorSpec(_Model):
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        # An absent engine is the default (lambda), which needs the capture prefix too.
        {"rule": "!has(self.endpoint) || (has(self.engine) && self.engine == 'modelMonitor') "
                 "|| has(self.endpoint.create) "
                 "|| (has(self.dataCapture) && has(self.dataCapture.destinationS3Uri))",
         "message": "dataCapture.destinationS3Uri is required for an existing endpoint unless engine is "
                    "modelMonitor"},
        {"rule": "!(has(self.engine) && self.engine == 'modelMonitor' && has(self.dataQuality) "
                 "&& has(self.dataQuality.analyzer) && self.dataQuality.analyzer == 'builtin' "
                 "&& has(self.payload) && has(self.payload.input) "
                 "&& (!has(self.payload.input.names) || size(self.payload.input.names) == 0))",
         "message": "payload.input.names is required when dataQuality.analyzer is builtin: SageMaker's analyzer "
                    "names features by the record preprocessor's keys"},
        *SOURCE_RULES,
        *BIAS_COLUMN_RULES,
    ]})
    endpoint: Endpoint | None = None
    """The endpoint to monitor: exactly one of existing or create. Exactly one of endpoint or batchTransform."""
    batch_transform: BatchTransform | None = None
    """Monitor the data capture of batch transform jobs instead of an endpoint."""
    region: Annotated[Region, Field(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "self == oldSelf", "message": "region is immutable"}]})]
    """AWS region of the endpoint and every monitoring resource. Immutable."""
    data_capture: DataCapture = Field(default_factory=DataCapture)
    """Endpoint data capture (applied when the endpoint is created here)."""
    payload: Payload = Field(default_factory=Payload)
    """How capture payloads become rows, for every monitor type: a mapping of the request's and response's features,
    or a record preprocessor script. Unset: the analyzer's shape rules."""
    baseline: Baseline
    """Reference statistics and constraints: exactly one of dataset or precomputed."""
    data_quality: DataQuality = Field(default_factory=DataQuality)
    """Data-quality (feature drift) monitoring."""
    model_quality: ModelQuality = Field(default_factory=ModelQuality)
    """Model-quality monitoring against ground-truth labels."""
    model_bias: ModelBias = Field(default_factory=ModelBias)
    """Bias drift monitoring (Clarify's bias metrics) against ground-truth labels."""
    feature_attribution: FeatureAttribution = Field(default_factory=FeatureAttribution)
    """Feature attribution drift monitoring (SHAP, nDCG of the feature ranking). Calls the model: never on by
    default."""
    alerting: Alerting = Field(default_factory=Alerting)
    """Where alerts go and how alarms decide."""
    engine: Engine = "lambda"
    """What runs the analysis. lambda (default) and processingJob run our analyzer in any account, lambda for windows
    that fit Lambda's 15 min / 10 GB (most hourly windows), processingJob for larger or sharded windows;
    modelMonitor uses SageMaker Model Monitor schedules, only in accounts that still have Model Monitor."""
    engine_settings: EngineSettings = Field(default_factory=EngineSettings)
    """Settings of the lambda and processingJob engines."""
    deletion_policy: Literal["Delete", "Retain"] = "Retain"
    """On deletion: Delete destroys the AWS resources the monitor created, except monitoring results: a results bucket
    that still holds objects is never emptied, so the deletion waits (Stalled, reason DestroyBlocked) until you empty
    or move it; Retain leaves every resource in place and only stops tracking them."""
    drift_detection: DriftDetection = Field(default_factory=DriftDetection)
    """Detection of changes made to the AWS resources outside ModelMonitor."""
    suspend: bool = False
    """Pause reconciliation (no Pulumi runs) without deleting anything."""
    tags: Tags = {}
    """Tags added to every AWS resource."""

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        return check_sources(data)

    @model_validator(mode="after")
    def _source_and_attribution(self) -> ModelMonitorSpec:
        error = source_errors(batch=self.batch_transform is not None, engine=self.engine,
                              attribution=self.feature_attribution)
        if error is not None:
            raise PydanticCustomError("source", error)
        return self

    @model_validator(mode="after")
    def _bias_columns_known(self) -> ModelMonitorSpec:
        names = list(self.payload.input.names) if self.payload.input is not None else []
        error = bias_column_errors(self.model_bias, payload_names=names, engine=self.engine)
        if error is not None:
            raise PydanticCustomError("bias_columns", error)
        return self

    @model_validator(mode="after")
    def _builtin_payload_names(self) -> ModelMonitorSpec:
        mapped = self.payload.input
        if (self.engine == "modelMonitor" and self.data_quality.analyzer == "builtin" and mapped is not None
                and not mapped.names):
            raise PydanticCustomError(
                "required_when", "payload.input.names is required when dataQuality.analyzer is builtin: "
                                 "SageMaker's analyzer names features by the record preprocessor's keys")
        return self

    @model_validator(mode="after")
    def _capture_location_known(self) -> ModelMonitorSpec:
        if (self.engine != "modelMonitor" and self.endpoint is not None and self.endpoint.existing is not None
                and self.data_capture.destination_s3_uri is None):
            raise PydanticCustomError(
                "required_when",
                "dataCapture.destinationS3Uri is required for an existing endpoint unless engine is modelMonitor")
        return self

    @property
    def endpoint_source(self) -> Endpoint:
        """The monitored endpoint; a batch transform source has none (callers check `batch_transform` first)."""
        if self.endpoint is None:
            raise ValueError("this monitor watches batch transform jobs (spec.batchTransform), not an endpoint")
        return self.endpoint

    @property
    def endpoint_mode(self) -> Literal["existing", "create", "batchTransform"]:
        if self.endpoint is None:
            return "batchTransform"
        return "existing" if self.endpoint.existing is not None else "create"


class Metadata(_Model):
    name: MonitorName
    """Monitor name; prefixes every AWS name derived from it, hence the length limit."""
    namespace: Namespace = "default"
    """Kubernetes namespace (files: a grouping; names must be unique within it)."""
    labels: Annotated[dict[str, Annotated[str, Field(max_length=63)]], Field(max_length=64)] = {}
    """Labels, as in Kubernetes."""
    annotations: Annotated[dict[str, str], Field(max_length=64)] = {}
    """Annotations, as in Kubernetes."""


class ModelMonitorDocument(_Model):
    api_version: Literal["modelmonitor.io/v1alpha1"]
    """Always modelmonitor.io/v1alpha1."""
    kind: Literal["ModelMonitor"]
    """Always ModelMonitor."""
    metadata: Metadata
    spec: ModelMonitorSpec

    @property
    def key(self) -> tuple[str, str]:
        return (self.metadata.namespace, self.metadata.name)

    @property
    def monitored_endpoint(self) -> str | None:
        """The endpoint's name; None for a batch transform source."""
        return None if self.spec.endpoint is None else self.endpoint_name

    @property
    def endpoint_name(self) -> str:
        endpoint = self.spec.endpoint
        if endpoint is None:
            # Batch transform jobs have no endpoint; their metrics have no Endpoint dimension.
            raise ValueError(f"{self.metadata.name} monitors batch transform jobs, not an endpoint")
        if endpoint.existing is not None:
            return endpoint.existing.name
        assert endpoint.create is not None
        return endpoint.create.name or self.metadata.name


def schedule_period_seconds(schedule: str) -> int:
    """Seconds between two runs of a schedule accepted by `Schedule`."""
    if schedule == "hourly":
        return 3600
    if schedule.startswith("daily"):
        return 86400
    if match := re.fullmatch(r"every (\d+)h", schedule):
        return int(match.group(1)) * 3600
    if match := re.fullmatch(r"cron\(0 (\S+) \? \* \* \*\)", schedule):
        hours = match.group(1)
        if hours == "*":
            return 3600
        if "/" in hours:
            return int(hours.split("/")[1]) * 3600
        return 86400
    raise ValueError(f"not a schedule: {schedule!r}")


def duration_seconds(duration: str) -> int:
    """Seconds in a `Duration` like 30m, 24h, 2d."""
    unit = {"m": 60, "h": 3600, "d": 86400}[duration[-1]]
    return int(duration[:-1]) * unit
