"""Engine `modelMonitor`: SageMaker Model Monitor job definitions and schedules.

A swappable child builder of `ModelMonitor`: it receives the BuildContext, creates its resources with the
component as parent and reports what the alarms and dashboard need (`EngineResult`). The `lambda` and
`processingJob` engines are later builders with the same signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws_native.sagemaker as native_sagemaker
from pulumi_aws import s3, sagemaker

from modelmonitor.components import engine_clarify_mm as clarify_mm
from modelmonitor.components.alarms import DATA_METRICS_NAMESPACE, MODEL_METRICS_NAMESPACE
from modelmonitor.components.alarms_clarify import OWN_NAMESPACES
from modelmonitor.components.context import BuildContext
from modelmonitor.components.engine_environment import endpoint_dimension, generated_preprocessor, payload_environment
from modelmonitor.components.images import builtin_analyzer_image
from modelmonitor.components.schedules import cron_expression, model_quality_offsets
from modelmonitor.components.spec_checks import MonitorConfigError
from modelmonitor.spec import schedule_period_seconds
from modelmonitor.spec_quality import DataQuality, ModelQuality

ENDPOINT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
ENVIRONMENT_MAX = 50
# Our analyzer's knobs (internal-contracts §5) and the one variable SageMaker expects from us in schedules.
RESERVED_ENVIRONMENT = frozenset({"publish_cloudwatch_metrics", "drift_methods", "comparison_method",
                                  "drift_threshold", "categorical_drift_threshold", "kll_k", "kll_c",
                                  "payload_mapping", "record_preprocessor_script",
                                  # Mark runs of our own engines (they publish and emit run events themselves; the
                                  # alert Lambda then ignores their job state changes): never a Model Monitor job's.
                                  "cloudwatch_metrics_namespace", "run_event_bus_name"})


@dataclass(frozen=True)
class EngineResult:
    data_quality_schedule: str | None = None
    model_quality_schedule: str | None = None
    schedule_arns: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    data_quality_heartbeat_metric: str | None = None
    """A metric every successful data-quality run emits (None: none is known, see heartbeat_metric)."""
    model_quality_heartbeat_metric: str | None = None
    """A metric every model-quality run emits (None: the built-in analyzer's first metric of the problem type)."""
    data_metrics_namespace: str = DATA_METRICS_NAMESPACE
    model_metrics_namespace: str = MODEL_METRICS_NAMESPACE
    """Where the engine's runs publish (internal-contracts §4): alarms and dashboard follow it."""
    ground_truth_coverage_metric: bool = False
    """The engine's model-quality runs publish `ground_truth_coverage` (our analyzer only)."""
    records_metric: bool = False
    """The engine's data-quality runs publish `records_analyzed` (our analyzer only; the built-in one fails a run
    whose window holds no data, which the failed-run alert reports)."""
    clarify_schedules: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Bias / attribution runs: monitoring type → (schedule name, metrics namespace)."""
    dead_letter_queue: str | None = None
    """The queue scheduled runs that could not run land in (our engines): alarmed on, since a run killed by a
    timeout or out of memory emits no Failed event."""


def max_runtime_limit(schedule: str, hourly_limit: int) -> int | None:
    """SageMaker caps MaxRuntimeInSeconds of hourly schedules (3600 data quality, 1800 model quality)."""
    return hourly_limit if schedule_period_seconds(schedule) == 3600 else None


def _check_runtime(section: str, schedule: str, runtime: int, hourly_limit: int) -> None:
    limit = max_runtime_limit(schedule, hourly_limit)
    if limit is not None and runtime > limit:
        raise MonitorConfigError(
            f"spec.{section}.maxRuntimeSeconds is {runtime}, but SageMaker allows at most {limit} for an hourly "
            f"{section} schedule")


def data_quality_environment(dq: DataQuality, payload: dict[str, str] | None = None) -> dict[str, str]:
    """Schedules set only `publish_cloudwatch_metrics=Enabled` (the service injects the rest) plus, for our
    analyzer, its knobs and `payload` (engine_environment.payload_environment); the user's extra environment may
    not override either."""
    clash = sorted(RESERVED_ENVIRONMENT & dq.environment.keys())
    if clash:
        raise MonitorConfigError(
            f"spec.dataQuality.environment must not set {', '.join(clash)}: ModelMonitor sets them from the spec")
    environment = {**dq.environment, "publish_cloudwatch_metrics": "Enabled"}
    if dq.analyzer == "custom":
        environment |= {
            "drift_methods": ",".join(dq.custom_metrics),
            "comparison_method": dq.method.capitalize(),
            "drift_threshold": repr(dq.drift_threshold),
            "categorical_drift_threshold": repr(dq.categorical_drift_threshold),
            **(payload or {}),
        }
    if len(environment) > ENVIRONMENT_MAX:
        raise MonitorConfigError(f"spec.dataQuality.environment: {len(environment)} variables in total, SageMaker "
                                 f"allows {ENVIRONMENT_MAX}")
    return environment


NOTIFY_ON_FAILURE_TAG = "modelmonitor:notify-on-execution-failure"
ENDPOINT_DIMENSION_TAG = "modelmonitor:endpoint"


def schedule_tags(ctx: BuildContext) -> dict[str, str]:
    """Schedules carry the monitor's alerting choice for failed executions: the alert Lambda, which receives every
    processing job's failure from EventBridge, reads it from the schedule (internal-contracts §6). And the Endpoint
    dimension of the monitor's alarms: the alert Lambda publishes a completed execution's run metrics under it when
    the job names no endpoint (a batch transform source)."""
    notify = ctx.document.spec.alerting.notify_on_execution_failure
    return {**ctx.tags, NOTIFY_ON_FAILURE_TAG: "true" if notify else "false",
            ENDPOINT_DIMENSION_TAG: endpoint_dimension(ctx.document)}


def heartbeat_metric(dq: DataQuality) -> str | None:
    if dq.analyzer == "custom":
        return "monitoring_run_completed"
    # The built-in analyzer emits feature_non_null_<f> for every feature on every run.
    return f"feature_non_null_{dq.features[0]}" if dq.features else None


class ModelMonitorEngine:
    """Builds the modelMonitor engine's resources for one monitor."""

    def build(self, ctx: BuildContext) -> EngineResult:
        spec = ctx.document.spec
        if spec.endpoint is not None and spec.endpoint.create is not None:
            # What we capture is ours to check; an existing endpoint's capture settings are not visible here.
            if spec.data_quality.enabled and not spec.data_capture.capture_input:
                raise MonitorConfigError("spec.dataQuality needs the endpoint's requests: set "
                                         "spec.dataCapture.captureInput: true or disable dataQuality")
            if spec.model_quality.enabled and not spec.data_capture.capture_output:
                raise MonitorConfigError("spec.modelQuality needs the endpoint's predictions: set "
                                         "spec.dataCapture.captureOutput: true or disable modelQuality")
        schedule_arns: dict[str, pulumi.Output[str]] = {}
        dq_schedule = mq_schedule = None
        if spec.data_quality.enabled:
            dq_schedule, schedule_arns["dataQuality"] = self._data_quality(ctx, spec.data_quality)
        if spec.model_quality.enabled:
            mq_schedule, schedule_arns["modelQuality"] = self._model_quality(ctx, spec.model_quality)
        tags = schedule_tags(ctx)
        # AWS's Clarify container publishes per-metric metrics only; the alert Lambda publishes our run metrics
        # (violations_count, monitoring_run_completed) of every execution into our namespaces, which the alarms
        # watch under every engine (alerts/run_metrics.py).
        clarify: dict[str, tuple[str, str]] = {}
        if spec.model_bias.enabled:
            name, schedule_arns["modelBias"] = clarify_mm.bias_job(
                ctx, local_path=ENDPOINT_LOCAL_PATH, output_path=OUTPUT_LOCAL_PATH, tags=tags)
            clarify["ModelBias"] = (name, OWN_NAMESPACES["ModelBias"])
        if spec.feature_attribution.enabled:
            name, schedule_arns["featureAttribution"] = clarify_mm.explainability_job(
                ctx, local_path=ENDPOINT_LOCAL_PATH, output_path=OUTPUT_LOCAL_PATH, tags=tags)
            clarify["ModelExplainability"] = (name, OWN_NAMESPACES["ModelExplainability"])
        return EngineResult(dq_schedule, mq_schedule, schedule_arns, heartbeat_metric(spec.data_quality),
                            records_metric=spec.data_quality.analyzer == "custom", clarify_schedules=clarify)

    def _image(self, ctx: BuildContext, analyzer: str) -> pulumi.Input[str]:
        if analyzer == "custom":
            return ctx.platform.analyzer_image_uri
        return builtin_analyzer_image(ctx.platform.region)

    def _data_quality(self, ctx: BuildContext, dq: DataQuality) -> tuple[str, pulumi.Output[str]]:
        _check_runtime("dataQuality", dq.schedule, dq.max_runtime_seconds, 3600)
        names = ctx.names
        app: dict[str, pulumi.Input[object]] = {"image_uri": self._image(ctx, dq.analyzer)}
        if dq.analyzer == "custom":
            # Our analyzer reads the mapping / preprocessor from its environment, as under the other engines.
            app["environment"] = data_quality_environment(dq, payload_environment(ctx.document.spec))
        else:
            app["environment"] = data_quality_environment(dq)
            preprocessor = self._builtin_preprocessor(ctx)
            if preprocessor is not None:
                app["record_preprocessor_source_uri"] = preprocessor
        job = sagemaker.DataQualityJobDefinition(
            names.replaceable("dq-job"), role_arn=ctx.role_arn,
            data_quality_app_specification=app,
            data_quality_baseline_config={"constraints_resource": {"s3_uri": ctx.constraints_s3_uri},
                                          "statistics_resource": {"s3_uri": ctx.statistics_s3_uri}},
            data_quality_job_input=clarify_mm.job_input(ctx, local_path=ENDPOINT_LOCAL_PATH),
            data_quality_job_output_config={
                "kms_key_id": ctx.platform.kms_key_arn,
                "monitoring_outputs": {"s3_output": {
                    "s3_uri": ctx.locations.apply(lambda loc: loc.results("data-quality")),
                    "local_path": OUTPUT_LOCAL_PATH, "s3_upload_mode": "EndOfJob"}}},
            job_resources={"cluster_config": {"instance_count": 1, "instance_type": dq.instance_type,
                                              "volume_size_in_gb": dq.volume_size_gb}},
            stopping_condition={"max_runtime_in_seconds": dq.max_runtime_seconds},
            tags=ctx.tags, opts=ctx.opts())
        schedule = sagemaker.MonitoringSchedule(
            f"{names.logical}-dq-schedule", name=names.data_quality_schedule,
            monitoring_schedule_config={"monitoring_job_definition_name": job.name, "monitoring_type": "DataQuality",
                                        "schedule_config": {"schedule_expression": cron_expression(dq.schedule)}},
            tags=schedule_tags(ctx), opts=ctx.opts())
        return names.data_quality_schedule, schedule.arn

    def _builtin_preprocessor(self, ctx: BuildContext) -> pulumi.Input[str] | None:
        """SageMaker's analyzer runs `spec.payload` as a record preprocessor: the user's script, or one generated
        from the mapping (one implementation with our analyzer's; analyzer/read/preprocessor_script.py)."""
        spec = ctx.document.spec
        if spec.payload.preprocessor_s3_uri is not None:
            return spec.payload.preprocessor_s3_uri
        source = generated_preprocessor(spec)
        if source is None:
            return None
        script = s3.BucketObjectv2(
            f"{ctx.names.logical}-record-preprocessor", bucket=ctx.platform.bucket_name,
            key=ctx.locations.apply(lambda loc: loc.record_preprocessor.split("/", 3)[3]),
            content=source, content_type="text/x-python", server_side_encryption="aws:kms",
            kms_key_id=ctx.platform.kms_key_arn, tags=ctx.tags, opts=ctx.opts())
        return pulumi.Output.all(script.bucket, script.key).apply(lambda bk: f"s3://{bk[0]}/{bk[1]}")

    def _model_quality(self, ctx: BuildContext, mq: ModelQuality) -> tuple[str, pulumi.Output[str]]:
        _check_runtime("modelQuality", mq.schedule, mq.max_runtime_seconds, 1800)
        assert mq.problem_type is not None and mq.ground_truth_s3_uri is not None  # the spec enforces both
        names = ctx.names
        start, end = model_quality_offsets(mq.schedule, mq.label_delay)
        endpoint_input: dict[str, pulumi.Input[object]] = {"start_time_offset": start, "end_time_offset": end}
        if mq.inference_attribute is not None:
            endpoint_input["inference_attribute"] = mq.inference_attribute
        if mq.problem_type == "BinaryClassification" and mq.probability_attribute is not None:
            endpoint_input["probability_attribute"] = mq.probability_attribute
            endpoint_input["probability_threshold_attribute"] = mq.probability_threshold
        job = native_sagemaker.ModelQualityJobDefinition(
            names.replaceable("mq-job"), role_arn=ctx.role_arn,
            **clarify_mm.endpoint_name_property(ctx),
            model_quality_app_specification={
                "image_uri": builtin_analyzer_image(ctx.platform.region), "problem_type": mq.problem_type,
                # A user's record preprocessor serves model quality too (its dict holds the inference attribute);
                # a spec.payload mapping is applied to data quality only under this engine.
                **({"record_preprocessor_source_uri": ctx.document.spec.payload.preprocessor_s3_uri}
                   if ctx.document.spec.payload.preprocessor_s3_uri else {})},
            model_quality_job_input={**clarify_mm.job_input(ctx, local_path=ENDPOINT_LOCAL_PATH, extra=endpoint_input),
                                     "ground_truth_s3_input": {"s3_uri": mq.ground_truth_s3_uri}},
            model_quality_job_output_config={
                "kms_key_id": ctx.platform.kms_key_arn,
                "monitoring_outputs": [{"s3_output": {
                    "s3_uri": ctx.locations.apply(lambda loc: loc.results("model-quality")),
                    "local_path": OUTPUT_LOCAL_PATH, "s3_upload_mode": "EndOfJob"}}]},
            job_resources={"cluster_config": {"instance_count": 1, "instance_type": mq.instance_type,
                                              "volume_size_in_gb": 20}},
            stopping_condition={"max_runtime_in_seconds": mq.max_runtime_seconds},
            tags=[{"key": k, "value": v} for k, v in sorted(ctx.tags.items())], opts=ctx.opts())
        schedule = sagemaker.MonitoringSchedule(
            f"{names.logical}-mq-schedule", name=names.model_quality_schedule,
            monitoring_schedule_config={"monitoring_job_definition_name": job.job_definition_name,
                                        "monitoring_type": "ModelQuality",
                                        "schedule_config": {"schedule_expression": cron_expression(mq.schedule)}},
            tags=schedule_tags(ctx), opts=ctx.opts())
        return names.model_quality_schedule, schedule.arn
