"""`modelBias.baseline.dataset`: the bias baseline computed at deploy time, under every engine.

A `BaselineJob` (kind `model-bias`) runs one processing job over the labelled dataset and the bias baseline
configuration (`clarify_config.bias_baseline_config`, uploaded beside the runs' configuration) and writes
`analysis.json` to the type's baseline location (internal-contracts §1):
- engine modelMonitor: AWS's Clarify image for the region (`clarify_images`), as the SageMaker SDK's
  `SageMakerClarifyProcessor.run_bias` runs it; its analysis.json becomes the job definition's
  `ModelBiasBaselineConfig.ConstraintsResource.S3Uri`;
- engines lambda and processingJob: our analyzer in its bias baseline mode (`baseline_job.bias_baseline_environment`),
  on `engineSettings.analyzerImage` or AWS's provided image with our code bundle; the runs get its analysis.json
  as `baseline_constraints`.
The URI this returns resolves only once the job completed: everything that reads it (job definition, state machine,
Lambda environment) is created after the baseline exists.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pulumi
from pulumi_aws import s3

from modelmonitor.components.baseline_job import (
    ANALYSIS_FILE,
    BAND_FILE,
    BIAS_KIND,
    CONFIG_FILE,
    PROFILE_KEY,
    BaselineJob,
    bias_baseline_environment,
    material_fingerprint,
)
from modelmonitor.components.clarify_config import bias_baseline_config, to_json
from modelmonitor.components.clarify_images import clarify_image
from modelmonitor.components.context import BuildContext, Locations
from modelmonitor.components.engine_common import analyzer_image
from modelmonitor.components.names import MonitorNames
from modelmonitor.spec import ModelMonitorSpec
from modelmonitor.spec_clarify import BiasDataset

RESULTS = "model-bias"
CONFIG_FOLDER = "baseline-job"
"""The baseline job's configuration: `baselines/{ns}/{name}/model-bias/baseline-job/analysis_config.json`, apart
from the runs' `model-bias/analysis_config.json` (the job's input is this object, as S3Prefix)."""
VOLUME_SIZE_GB = 20
"""As the modelMonitor engine's bias job definition (`engine_clarify_mm.bias_job`)."""


def bias_dataset(spec: ModelMonitorSpec) -> BiasDataset | None:
    """The dataset to compute the bias baseline from, when bias drift is enabled and its baseline is one."""
    baseline = spec.model_bias.baseline
    if not spec.model_bias.enabled or baseline is None:
        return None
    return baseline.dataset


def job_name(names: MonitorNames, job_fingerprint: str) -> str:
    """`{name}-{hash}-mb-bl-{fingerprint[:8]}` (≤ 63 characters: `MonitorNames.sagemaker` checks it): processing job
    names are unique forever, so the inputs' fingerprint names the job and the same inputs adopt the same job."""
    return names.sagemaker(f"mb-bl-{job_fingerprint[:8]}")


def inputs_fingerprint(material: dict[str, Any]) -> str:
    """Hash of everything that changes the baseline's result: dataset, configuration, analyzer (image, code)."""
    return material_fingerprint(material)


def config_location(loc: Locations) -> str:
    return f"{loc.baseline(RESULTS)}/{CONFIG_FOLDER}/{CONFIG_FILE}"


def output_location(loc: Locations) -> str:
    """The job's output S3Uri: analysis.json lands at `baselines/{ns}/{name}/model-bias/analysis.json`."""
    return loc.baseline(RESULTS)


def with_bias_baseline(ctx: BuildContext) -> BuildContext:
    """The context with `bias_baseline_s3_uri` set when the spec asks for a computed bias baseline."""
    dataset = bias_dataset(ctx.document.spec)
    if dataset is None:
        return ctx
    return dataclasses.replace(ctx, bias_baseline_s3_uri=build(ctx, dataset))


def build(ctx: BuildContext, dataset: BiasDataset) -> pulumi.Output[str]:
    spec = ctx.document.spec
    config_text = to_json(bias_baseline_config(spec))
    config = s3.BucketObjectv2(
        f"{ctx.names.logical}-{RESULTS}-baseline-config", bucket=ctx.platform.bucket_name,
        key=ctx.locations.apply(lambda loc: config_location(loc).split("/", 3)[3]), content=config_text,
        content_type="application/json", server_side_encryption="aws:kms", kms_key_id=ctx.platform.kms_key_arn,
        tags=ctx.tags, opts=ctx.opts())
    config_uri = pulumi.Output.all(config.bucket, config.key).apply(lambda bk: f"s3://{bk[0]}/{bk[1]}")
    ours = spec.engine != "modelMonitor"
    image: pulumi.Input[str] = analyzer_image(ctx) if ours else clarify_image(spec.region)
    code = ctx.analyzer_code_s3_uri if ours else None
    mb = spec.model_bias
    material: dict[str, Any] = {
        "kind": BIAS_KIND, "dataset_s3_uri": dataset.s3_uri, "region": spec.region, "image": image,
        "config": hashlib.sha256(config_text.encode()).hexdigest(), "instance_type": mb.instance_type}
    names = ctx.names
    # a new analyzer build (its content-addressed code prefix) is a new job: the same name would adopt the old one
    name: pulumi.Input[str] = code.apply(lambda prefix: job_name(names, inputs_fingerprint(
        {**material, "code": prefix}))) if code is not None else job_name(names, inputs_fingerprint(material))
    output = ctx.locations.apply(output_location)
    job = BaselineJob(f"{ctx.names.logical}-{RESULTS}-baseline", {
        "kind": BIAS_KIND, "job_name": name, "region": spec.region,
        "role_arn": ctx.role_arn, "image_uri": image, "dataset_s3_uri": dataset.s3_uri, "config_s3_uri": config_uri,
        "output_s3_uri": output, "instance_type": mb.instance_type,
        "volume_size_gb": VOLUME_SIZE_GB, "max_runtime_seconds": mb.max_runtime_seconds,
        "kms_key_id": ctx.platform.kms_key_arn, "environment": bias_baseline_environment() if ours else {},
        "code_s3_uri": code, "tolerance": tolerance_text(dataset), PROFILE_KEY: ctx.platform.aws_profile},
        opts=ctx.opts())
    # Known up front, but tied to the job: whatever reads it waits for the baseline to exist.
    judged = BAND_FILE if dataset.tolerance else ANALYSIS_FILE
    return pulumi.Output.all(job.id, output).apply(lambda v: f"{v[1]}/{judged}")


def tolerance_text(dataset: BiasDataset) -> str | None:
    """The configured band as the job resource carries it (JSON, sorted: the same tolerance is the same input)."""
    return json.dumps(dataset.tolerance, sort_keys=True) if dataset.tolerance else None
