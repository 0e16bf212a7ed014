"""The modelMonitor engine's bias drift and feature attribution drift: aws-native `ModelBiasJobDefinition` /
`ModelExplainabilityJobDefinition` + a `MonitoringSchedule`, run by AWS's Clarify image (`clarify_images`), the
analysis configuration (`clarify_config`, AWS's own format) uploaded as the job's `ConfigUri`; and the job input of
every type for a batch transform source (`BatchTransformInput` instead of `EndpointInput`).

Shapes: CreateModelBiasJobDefinition / CreateModelExplainabilityJobDefinition in botocore's sagemaker model
(tests/components/test_clarify_model_monitor.py validates the rendered requests against it).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws_native.sagemaker as native_sagemaker
from pulumi_aws import sagemaker

from modelmonitor.components import engine_clarify
from modelmonitor.components.clarify_config import (
    attribution_dataset_type,
)
from modelmonitor.components.clarify_images import clarify_image
from modelmonitor.components.context import BuildContext
from modelmonitor.components.schedules import cron_expression, model_quality_offsets
from modelmonitor.components.spec_checks import bias_input_type, check_attribution_template, json_lines_features
from modelmonitor.spec import ModelMonitorSpec

BATCH_LOCAL_PATH = "/opt/ml/processing/input/batch"


def dataset_format(spec: ModelMonitorSpec) -> dict[str, Any]:
    """The batch jobs' capture format (`MonitoringDatasetFormat`): headerless CSV or JSON lines."""
    batch = spec.batch_transform
    assert batch is not None
    if batch.content_type == "text/csv":
        return {"csv": {"header": False}}
    return {"json": {"line": batch.content_type in ("application/jsonlines", "application/x-jsonlines")}}


def job_input(ctx: BuildContext, *, local_path: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """`EndpointInput` of the monitored endpoint, or `BatchTransformInput` of the batch source (the same fields
    otherwise: offsets and attributes in `extra`)."""
    common = {"local_path": local_path, "s3_input_mode": "File", "s3_data_distribution_type": "FullyReplicated",
              **(extra or {})}
    spec = ctx.document.spec
    if spec.batch_transform is not None:
        return {"batch_transform_input": {
            **common, "local_path": BATCH_LOCAL_PATH, "dataset_format": dataset_format(spec),
            "data_captured_destination_s3_uri": spec.batch_transform.destination_s3_uri.rstrip("/")}}
    return {"endpoint_input": {**common, "endpoint_name": ctx.endpoint_name}}


def _output(ctx: BuildContext, results: str, local_path: str) -> dict[str, Any]:
    return {"kms_key_id": ctx.platform.kms_key_arn, "monitoring_outputs": [{"s3_output": {
        "s3_uri": ctx.locations.apply(lambda loc: loc.results(results)), "local_path": local_path,
        "s3_upload_mode": "EndOfJob"}}]}


def _schedule(ctx: BuildContext, key: str, name: str, job: Any, *, monitoring_type: str, schedule: str,
              tags: dict[str, str]) -> pulumi.Output[str]:
    created = sagemaker.MonitoringSchedule(
        f"{ctx.names.logical}-{key}-schedule", name=name,
        monitoring_schedule_config={"monitoring_job_definition_name": job.job_definition_name,
                                    "monitoring_type": monitoring_type,
                                    "schedule_config": {"schedule_expression": cron_expression(schedule)}},
        tags=tags, opts=ctx.opts())
    arn: pulumi.Output[str] = created.arn
    return arn


def endpoint_name_property(ctx: BuildContext) -> dict[str, Any]:
    """aws-native's `EndpointName` (a CloudFormation-only property): the monitored endpoint, if any."""
    return {} if ctx.document.spec.batch_transform is not None else {"endpoint_name": ctx.endpoint_name}


def bias_job(ctx: BuildContext, *, local_path: str, output_path: str, tags: dict[str, str]
             ) -> tuple[str, pulumi.Output[str]]:
    spec = ctx.document.spec
    mb = spec.model_bias
    assert mb.ground_truth_s3_uri is not None  # the spec requires it when enabled
    start, end = model_quality_offsets(mb.schedule, mb.label_delay)
    extra: dict[str, Any] = {"start_time_offset": start, "end_time_offset": end}
    if mb.inference_attribute is not None:
        extra["inference_attribute"] = mb.inference_attribute
    if mb.probability_attribute is not None:
        extra["probability_attribute"] = mb.probability_attribute
        extra["probability_threshold_attribute"] = mb.probability_threshold
    # A batch source's input type is in the spec; an endpoint's requests are JSON when the payload path says where
    # their features are (else CSV, which needs no FeaturesAttribute).
    extra |= json_lines_features(spec, "modelBias", *bias_input_type(spec))
    config = engine_clarify.upload_analysis_config(ctx, "model-bias", "ModelBias", ours=False)
    baseline = engine_clarify.run_baseline(ctx, "ModelBias")
    job = native_sagemaker.ModelBiasJobDefinition(
        ctx.names.replaceable("mb-job"), role_arn=ctx.role_arn, **endpoint_name_property(ctx),
        model_bias_app_specification={"config_uri": config, "image_uri": clarify_image(ctx.platform.region)},
        model_bias_job_input={**job_input(ctx, local_path=local_path, extra=extra),
                              "ground_truth_s3_input": {"s3_uri": mb.ground_truth_s3_uri}},
        model_bias_job_output_config=_output(ctx, "model-bias", output_path),
        **({"model_bias_baseline_config": {"constraints_resource": {"s3_uri": baseline}}} if baseline else {}),
        job_resources={"cluster_config": {"instance_count": 1, "instance_type": mb.instance_type,
                                          "volume_size_in_gb": 20}},
        stopping_condition={"max_runtime_in_seconds": mb.max_runtime_seconds},
        tags=[{"key": k, "value": v} for k, v in sorted(ctx.tags.items())], opts=ctx.opts())
    name = ctx.names.model_bias_schedule
    return name, _schedule(ctx, "mb", name, job, monitoring_type="ModelBias", schedule=mb.schedule, tags=tags)


def explainability_job(ctx: BuildContext, *, local_path: str, output_path: str, tags: dict[str, str]
                       ) -> tuple[str, pulumi.Output[str]]:
    spec = ctx.document.spec
    fa = spec.feature_attribution
    check_attribution_template(spec)
    # The score explained: AWS puts it in the job input ("ProbabilityAttribute – Index or JMESPath location in the
    # model output for probabilities"; the SDK's ModelExplainabilityMonitor passes model_scores there too).
    extra: dict[str, Any] = {"probability_attribute": fa.score}
    extra |= json_lines_features(
        spec, "featureAttribution", attribution_dataset_type(spec),
        "spec.batchTransform.contentType" if spec.batch_transform is not None
        else "featureAttribution.contentType")
    config = engine_clarify.upload_analysis_config(ctx, "feature-attribution", "ModelExplainability", ours=False)
    baseline = engine_clarify.baseline_analysis(spec, "ModelExplainability")
    job = native_sagemaker.ModelExplainabilityJobDefinition(
        ctx.names.replaceable("fa-job"), role_arn=ctx.role_arn, **endpoint_name_property(ctx),
        model_explainability_app_specification={"config_uri": config,
                                                "image_uri": clarify_image(ctx.platform.region)},
        model_explainability_job_input=job_input(ctx, local_path=local_path, extra=extra),
        model_explainability_job_output_config=_output(ctx, "feature-attribution", output_path),
        **({"model_explainability_baseline_config": {"constraints_resource": {"s3_uri": baseline}}}
           if baseline else {}),
        job_resources={"cluster_config": {"instance_count": 1, "instance_type": fa.instance_type,
                                          "volume_size_in_gb": 20}},
        stopping_condition={"max_runtime_in_seconds": fa.max_runtime_seconds},
        tags=[{"key": k, "value": v} for k, v in sorted(ctx.tags.items())], opts=ctx.opts())
    name = ctx.names.feature_attribution_schedule
    return name, _schedule(ctx, "fa", name, job, monitoring_type="ModelExplainability", schedule=fa.schedule,
                           tags=tags)
