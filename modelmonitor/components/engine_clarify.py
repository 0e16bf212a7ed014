"""Bias drift and feature attribution drift under our engines: what their runs add to a data/model-quality run.

- The analysis configuration (`clarify_config`) is uploaded once per type as an S3 object
  `s3://{bucket}/baselines/{ns}/{name}/{model-bias|feature-attribution}/analysis_config.json`, and the run gets its
  URI as `analysis_config` (internal-contracts §5). Always a file, never inline: Lambda allows 4 KB of environment
  variables in total ("Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and
  an attribution configuration carries its background rows.
- Bias joins ground truth as model quality does (same variables, same label delay); attribution calls the model:
  its role may invoke exactly one endpoint (the monitored one, or `featureAttribution.endpointName`).
- Which engines provision these sections in this version: `spec_checks.check_engine`.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_aws import s3

from modelmonitor.components.clarify_config import (
    attribution_analysis_config,
    bias_analysis_config,
    to_json,
)
from modelmonitor.components.context import BuildContext
from modelmonitor.components.engine_policies import AwsScope, Policy
from modelmonitor.spec import ModelMonitorSpec

CONFIG_FILE = "analysis_config.json"
def config_prefix(results_uri: str, results: str) -> str:
    """`s3://{bucket}/baselines/{ns}/{name}/{results}/` from the run's results URI `s3://{bucket}/results/{ns}/
    {name}/{results}` (internal-contracts §1): where the analysis configuration is uploaded."""
    bucket, _, key = results_uri.removeprefix("s3://").partition("/")
    namespace, name = key.split("/")[1:3]
    return f"s3://{bucket}/baselines/{namespace}/{name}/{results}/"


def analysis_config_text(spec: ModelMonitorSpec, monitoring_type: str, *, ours: bool = True,
                         endpoint: str | None = None) -> str:
    """`ours`: our analyzer reads it (attribution adds the run budget AWS's Clarify job does not know);
    `endpoint`: the endpoint attribution calls (`attribution_endpoint`)."""
    if monitoring_type == "ModelBias":
        return to_json(bias_analysis_config(spec))
    return to_json(attribution_analysis_config(spec, ours=ours, endpoint=endpoint))


def config_uri(results_uri: str, results: str) -> str:
    """The run's `analysis_config`: the uploaded configuration's URI, known from the results URI."""
    return f"{config_prefix(results_uri, results)}{CONFIG_FILE}"


def clarify_settings(results_uri: str, results: str, baseline: str | None) -> dict[str, str]:
    """What a bias or attribution run adds to its type's knobs: the configuration and the baseline analysis
    (`run_baseline`, resolved)."""
    settings = {"analysis_config": config_uri(results_uri, results)}
    if baseline:
        settings["baseline_constraints"] = baseline
    return settings


def upload_analysis_config(ctx: BuildContext, results: str, monitoring_type: str, *, ours: bool = True
                           ) -> pulumi.Output[str]:
    """Uploads the configuration (at `config_uri`, in the same deployment as the runs that read it)."""
    spec = ctx.document.spec
    endpoint = attribution_endpoint(spec, ctx.document.monitored_endpoint) \
        if monitoring_type == "ModelExplainability" else None
    obj = s3.BucketObjectv2(
        f"{ctx.names.logical}-{results}-analysis-config", bucket=ctx.platform.bucket_name,
        key=ctx.locations.apply(lambda loc: f"{loc.baseline(results).split('/', 3)[3]}/{CONFIG_FILE}"),
        content=analysis_config_text(spec, monitoring_type, ours=ours, endpoint=endpoint),
        content_type="application/json",
        server_side_encryption="aws:kms", kms_key_id=ctx.platform.kms_key_arn, tags=ctx.tags, opts=ctx.opts())
    return pulumi.Output.all(obj.bucket, obj.key).apply(lambda bk: f"s3://{bk[0]}/{bk[1]}")


def run_baseline(ctx: BuildContext, monitoring_type: str) -> pulumi.Input[str] | None:
    """The baseline analysis.json a run judges violations against: the one computed at deploy time from
    `modelBias.baseline.dataset` (resolves once its job completed, so the runs wait for it), else the spec's."""
    if monitoring_type == "ModelBias" and ctx.bias_baseline_s3_uri is not None:
        return ctx.bias_baseline_s3_uri
    return baseline_analysis(ctx.document.spec, monitoring_type)


def baseline_analysis(spec: ModelMonitorSpec, monitoring_type: str) -> str | None:
    """The baseline analysis.json the spec names (None: metrics only, or computed at deploy time)."""
    if monitoring_type == "ModelBias":
        baseline = spec.model_bias.baseline
        return baseline.analysis_s3_uri if baseline is not None else None
    return spec.feature_attribution.baseline_analysis_s3_uri


def attribution_endpoint(spec: ModelMonitorSpec, monitored: str | None) -> str:
    """The endpoint attribution calls: `featureAttribution.endpointName`, else the monitored one."""
    chosen = spec.feature_attribution.endpoint_name or monitored
    if chosen is None:
        raise ValueError("featureAttribution.endpointName is required for a batch transform source")
    return chosen


def invoke_endpoint_statement(scope: AwsScope, endpoint: str) -> dict[str, Any]:
    """InvokeEndpoint on exactly one endpoint. SageMaker writes resource names in ARNs in lower case ("Amazon
    SageMaker resource ARNs", IAM service authorization reference), so the policy must too."""
    return {"Sid": "CallTheModelForAttributions", "Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
            "Resource": scope.arn("sagemaker", f"endpoint/{endpoint.lower()}")}


def with_invoke_endpoint(policy: Policy, scope: AwsScope, endpoint: str) -> Policy:
    return {**policy, "Statement": [*policy["Statement"], invoke_endpoint_statement(scope, endpoint)]}
