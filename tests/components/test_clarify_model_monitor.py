"""The modelMonitor engine's bias and explainability job definitions (and a batch source's inputs), rendered from the
examples: each request is translated into CreateModelBiasJobDefinition / CreateModelExplainabilityJobDefinition /
CreateDataQualityJobDefinition / CreateMonitoringSchedule and validated against botocore's sagemaker service model
(shapes, enums, patterns, lengths); the image is AWS's Clarify image of the region (the SDK's table), and the
ConfigUri object is AWS's own analysis configuration (what the analyzer's Clarify-format parsers accept)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelmonitor.analyzer.quality.attribution_run import parse_attribution_config
from modelmonitor.analyzer.quality.bias_config import parse_config
from modelmonitor.components.render import PlannedResource, render_plan
from tests.components.boto_contract import request, tag_list
from tests.components.conftest import example, of_type, on_engine, one
from tests.components.data_paths import SDK_CLARIFY

_PLANS: dict[str, list[PlannedResource]] = {}


def mm_plan(name: str) -> list[PlannedResource]:
    if name not in _PLANS:
        _PLANS[name] = render_plan([on_engine(example(name), "modelMonitor")])
    return _PLANS[name]


def _wire(resource: PlannedResource, drop: tuple[str, ...] = ("endpointName",)) -> dict[str, Any]:
    wire = {k: v for k, v in resource["inputs"].items() if k not in drop}
    # auto-named by aws-native: the provider sends the generated name (the plan's output)
    wire.setdefault("jobDefinitionName", resource["outputs"]["jobDefinitionName"])
    return wire


def _sdk_image(region: str) -> str:
    registries = SDK_CLARIFY["processing"]["versions"]["1.0"]
    return f"{registries['registries'][region]}.dkr.ecr.{region}.amazonaws.com/{registries['repository']}:1.0"


def _config(plan: list[PlannedResource], uri: str) -> dict[str, Any]:
    (obj,) = [r for r in of_type(plan, "BucketObjectv2") if uri.endswith(r["inputs"]["key"])]
    parsed: dict[str, Any] = json.loads(obj["inputs"]["content"])
    return parsed


def test_bias_job_definition_is_a_valid_request_with_the_regions_clarify_image() -> None:
    plan = mm_plan("bias-drift.yaml")
    job = one(plan, "ModelBiasJobDefinition")
    params = request("sagemaker", "CreateModelBiasJobDefinition", _wire(job))
    assert params["ModelBiasAppSpecification"]["ImageUri"] == _sdk_image("eu-west-1")
    endpoint = params["ModelBiasJobInput"]["EndpointInput"]
    assert endpoint["EndpointName"] == "loan-approval-v4"
    assert (endpoint["ProbabilityAttribute"], endpoint["ProbabilityThresholdAttribute"]) == ("0", 0.5)
    # daily schedule, labelDelay 2d: the window of the day ending 2 days before the run (AWS's offsets format)
    assert (endpoint["StartTimeOffset"], endpoint["EndTimeOffset"]) == ("-P3D", "-P2D")
    assert params["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"] == \
        "s3://acme-lending-data/loan-approval/ground-truth/"
    assert params["ModelBiasBaselineConfig"]["ConstraintsResource"]["S3Uri"] == \
        "s3://acme-lending-baselines/loan-approval/bias/analysis.json"
    config = parse_config(_config(plan, params["ModelBiasAppSpecification"]["ConfigUri"]))
    assert [f.name_or_index for f in config.facets] == ["gender", "age"]
    (schedule,) = [r for r in of_type(plan, "MonitoringSchedule")
                   if r["inputs"]["monitoringScheduleConfig"]["monitoringType"] == "ModelBias"]
    wire = {k: v for k, v in schedule["inputs"].items() if k != "tags"}
    scheduled = request("sagemaker", "CreateMonitoringSchedule", wire, {"name": "MonitoringScheduleName"},
                        {"Tags": tag_list(schedule["inputs"].get("tags"))})
    assert scheduled["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == params["JobDefinitionName"]


def test_explainability_job_definition_is_a_valid_request_without_our_budget_keys() -> None:
    plan = mm_plan("feature-attribution.yaml")
    job = one(plan, "ModelExplainabilityJobDefinition")
    params = request("sagemaker", "CreateModelExplainabilityJobDefinition", _wire(job))
    assert params["ModelExplainabilityAppSpecification"]["ImageUri"] == _sdk_image("us-east-1")
    assert params["ModelExplainabilityJobInput"]["EndpointInput"]["EndpointName"] == "churn-scoring-v2"
    raw = _config(plan, params["ModelExplainabilityAppSpecification"]["ConfigUri"])
    assert "max_rows" not in raw and "max_model_rows" not in raw  # ours; AWS's job does not know them
    assert parse_attribution_config(raw).headers[0] == "tenure_months"


@pytest.mark.parametrize("engine_region", ["cn-north-1", "us-gov-west-1"])
def test_clarify_image_follows_the_region(engine_region: str) -> None:
    plan = render_plan([on_engine(example("bias-drift.yaml"), "modelMonitor")], region=engine_region)
    image = one(plan, "ModelBiasJobDefinition")["inputs"]["modelBiasAppSpecification"]["imageUri"]
    account = SDK_CLARIFY["processing"]["versions"]["1.0"]["registries"][engine_region]
    suffix = "amazonaws.com.cn" if engine_region.startswith("cn-") else "amazonaws.com"
    assert image == f"{account}.dkr.ecr.{engine_region}.{suffix}/sagemaker-clarify-processing:1.0"


def test_batch_source_uses_batch_transform_input() -> None:
    plan = mm_plan("batch-transform.yaml")
    assert not of_type(plan, "sagemaker/endpoint:Endpoint")
    job = one(plan, "DataQualityJobDefinition")
    wire = {k: v for k, v in job["inputs"].items() if k != "tags"}
    wire.setdefault("name", job["outputs"]["name"])
    params = request("sagemaker", "CreateDataQualityJobDefinition", wire, {"name": "JobDefinitionName"})
    batch = params["DataQualityJobInput"]["BatchTransformInput"]
    assert batch["DataCapturedDestinationS3Uri"] == "s3://acme-claims-captures/nightly-scoring"
    assert batch["DatasetFormat"] == {"Csv": {"Header": False}}
    assert "EndpointInput" not in params["DataQualityJobInput"]


def test_batch_source_alarms_watch_model_monitorings_batch_namespace() -> None:
    """AWS: batch transform jobs' metrics are in aws/sagemaker/ModelMonitoring/data-metrics with the
    MonitoringSchedule dimension only ("CloudWatch Metrics for Bring Your Own Containers", SageMaker guide)."""
    alarms = [r["inputs"] for r in of_type(mm_plan("batch-transform.yaml"), "MetricAlarm")]
    sagemaker_alarms = [a for a in alarms if a["namespace"].startswith("aws/sagemaker/")]
    assert sagemaker_alarms
    for alarm in sagemaker_alarms:
        assert alarm["namespace"] == "aws/sagemaker/ModelMonitoring/data-metrics", alarm
        assert set(alarm["dimensions"]) == {"MonitoringSchedule"}, alarm


def test_monitoring_role_reads_the_configuration_baseline_and_labels_and_writes_results() -> None:
    plan = mm_plan("bias-drift.yaml")
    bucket = str(one(plan, "s3/bucket:Bucket")["outputs"]["bucket"])
    (policy,) = [json.loads(r["inputs"]["policy"]) for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                 if r["name"].endswith("-monitoring-policy")]
    text = json.dumps(policy)
    for arn in (f"arn:aws:s3:::{bucket}/baselines/lending/loan-approval/model-bias/",
                "arn:aws:s3:::acme-lending-baselines/loan-approval/bias/analysis.json",
                "arn:aws:s3:::acme-lending-data/loan-approval/ground-truth/",
                f"arn:aws:s3:::{bucket}/results/lending/loan-approval/model-bias/"):
        assert arn in text, arn
