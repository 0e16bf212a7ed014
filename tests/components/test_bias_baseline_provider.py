"""The baseline provider for a bias baseline (`kind: model-bias`): create against moto (it implements
create/describe_processing_job and completes jobs at once, so the happy path runs through a real request parser),
and botocore's Stubber for what moto cannot show — a name collision adopted, a failed job with SageMaker's
FailureReason — where the Stubber also checks the request sent equals the bias request, against the same botocore
model."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from modelmonitor.components.baseline_job import (
    BaselineJobFailed,
    BaselineJobProvider,
    bias_baseline_environment,
    bias_processing_job_request,
    fingerprint,
    job_request,
    processing_job_request,
)
from modelmonitor.components.clarify_images import clarify_image

REGION = "us-east-1"
PROPS: dict[str, Any] = {
    "kind": "model-bias", "job_name": "churn-scoring-c4c8f8-mb-bl-1a2b3c4d", "region": REGION,
    "role_arn": "arn:aws:iam::123456789012:role/churn-scoring-c4c8f8-monitoring",
    "image_uri": clarify_image(REGION), "dataset_s3_uri": "s3://acme-growth-data/churn/train.csv",
    "config_s3_uri": "s3://artifacts/baselines/growth/churn-scoring/model-bias/baseline-job/analysis_config.json",
    "output_s3_uri": "s3://artifacts/baselines/growth/churn-scoring/model-bias", "instance_type": "ml.m5.xlarge",
    "volume_size_gb": 20, "max_runtime_seconds": 3600, "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k",
    "environment": {}}


def test_create_against_moto_returns_the_analysis_location() -> None:
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        result = BaselineJobProvider(client_factory=lambda region: client, sleep=lambda s: None).create(dict(PROPS))
        assert result.outs is not None
        assert result.outs["analysis_s3_uri"] == f"{PROPS['output_s3_uri']}/analysis.json"
        assert "statistics_s3_uri" not in result.outs
        described = client.describe_processing_job(ProcessingJobName=PROPS["job_name"])
        assert {i["InputName"]: i["S3Input"]["S3Uri"] for i in described["ProcessingInputs"]} == {
            "dataset": PROPS["dataset_s3_uri"], "analysis_config": PROPS["config_s3_uri"]}
        assert described["AppSpecification"] == {"ImageUri": PROPS["image_uri"]}


def _describe(status: str, **extra: Any) -> dict[str, Any]:
    request = bias_processing_job_request(PROPS)
    return {"ProcessingJobName": PROPS["job_name"], "ProcessingJobStatus": status,
            "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{PROPS['job_name']}",
            "ProcessingResources": request["ProcessingResources"], "AppSpecification": request["AppSpecification"],
            "CreationTime": "2026-11-24T10:00:00Z", **extra}


def _stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_a_job_of_the_same_inputs_is_adopted() -> None:
    client, stubber = _stubbed()
    stubber.add_client_error("create_processing_job", "ResourceInUse", "Processing job names must be unique",
                             expected_params=bias_processing_job_request(PROPS))
    stubber.add_response("describe_processing_job", _describe("Completed"), {"ProcessingJobName": PROPS["job_name"]})
    with stubber:
        result = BaselineJobProvider(client_factory=lambda r: client, sleep=lambda s: None).create(dict(PROPS))
        stubber.assert_no_pending_responses()
    assert result.id == PROPS["job_name"]
    assert result.outs is not None and result.outs["analysis_s3_uri"].endswith("/model-bias/analysis.json")


def test_a_failed_clarify_job_fails_the_deployment_with_its_reason() -> None:
    client, stubber = _stubbed()
    stubber.add_response("create_processing_job", {"ProcessingJobArn": "arn:x"}, bias_processing_job_request(PROPS))
    stubber.add_response("describe_processing_job", _describe("InProgress"), {"ProcessingJobName": ANY})
    stubber.add_response("describe_processing_job", _describe(
        "Failed", FailureReason="AlgorithmError: label churned is not a column"), {"ProcessingJobName": ANY})
    provider = BaselineJobProvider(client_factory=lambda r: client, sleep=lambda s: None)
    with stubber, pytest.raises(BaselineJobFailed, match="failed: AlgorithmError: label churned is not a column"):
        provider.create(dict(PROPS))


def test_our_analyzer_gets_its_bias_baseline_environment() -> None:
    ours = {**PROPS, "environment": bias_baseline_environment(), "code_s3_uri": "s3://artifacts/code/x/analyzer/d/"}
    request = job_request(ours)
    assert request["Environment"] == bias_baseline_environment()
    assert request["ProcessingInputs"][-1]["InputName"] == "code"


def test_data_quality_baselines_keep_their_request_and_fingerprint() -> None:
    """The bias keys are absent from a data-quality baseline: its request and name (fingerprint) are unchanged, so
    an upgrade does not replace existing baseline jobs."""
    dq = {k: v for k, v in PROPS.items() if k not in ("kind", "config_s3_uri")}
    dq["dataset_format"] = '{"csv":{"header":true,"output_columns_position":"START"}}'
    assert job_request(dq) == processing_job_request(dq)
    assert fingerprint(dq) == fingerprint({**dq, "kind": None, "config_s3_uri": None})
    assert fingerprint(dq) != fingerprint({**dq, "kind": "model-bias"})


def test_diff_replaces_when_the_configuration_changes() -> None:
    provider = BaselineJobProvider()
    changed = provider.diff(PROPS["job_name"], dict(PROPS), {**PROPS, "config_s3_uri": "s3://artifacts/other.json"})
    assert (changed.changes, changed.replaces) == (True, ["config_s3_uri"])


def test_a_tolerance_writes_the_configured_band_beside_the_analysis() -> None:
    """`modelBias.baseline.dataset.tolerance`: once the job completed, constraints.json holds its analysis.json
    widened by the tolerance (bias_report.with_tolerance; AWS's rule then flags only values beyond it), encrypted
    with the platform key like every baseline object; runs and AWS's Clarify container are pointed at it."""
    import json

    from modelmonitor.analyzer.quality.bias_report import analysis_document, with_tolerance

    analysis = analysis_document(label="churned", label_value_or_threshold="0", stages={"post_training": {
        "senior": [{"value_or_threshold": "1", "metrics": [{"name": "DPPL", "description": "d", "value": 0.05},
                                                           {"name": "DI", "description": "d", "value": 0.9}]}]}})
    with mock_aws():
        sagemaker, s3 = boto3.client("sagemaker", region_name=REGION), boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="artifacts")
        # what the finished job left in its output folder
        s3.put_object(Bucket="artifacts", Key="baselines/growth/churn-scoring/model-bias/analysis.json",
                      Body=json.dumps(analysis).encode())
        kms = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        props = {**PROPS, "kms_key_id": kms, "tolerance": json.dumps({"DI": 0.2, "DPPL": 0.1})}
        result = BaselineJobProvider(client_factory=lambda region: sagemaker, sleep=lambda s: None,
                                     s3_factory=lambda region: s3).create(props)
        assert result.outs is not None
        assert result.outs["constraints_s3_uri"] == f"{PROPS['output_s3_uri']}/constraints.json"
        written = s3.get_object(Bucket="artifacts", Key="baselines/growth/churn-scoring/model-bias/constraints.json")
        assert (written["ServerSideEncryption"], written["SSEKMSKeyId"]) == ("aws:kms", kms)
        assert json.loads(written["Body"].read()) == with_tolerance(analysis, {"DI": 0.2, "DPPL": 0.1})
    # without a tolerance the runs judge against the analysis itself
    from modelmonitor.components.baseline_job import result_outputs
    assert result_outputs(PROPS)["constraints_s3_uri"] == f"{PROPS['output_s3_uri']}/analysis.json"


def test_a_new_tolerance_replaces_the_resource() -> None:
    """A changed band replaces the resource; its create adopts the finished job of the same name (the name leaves
    the tolerance out: tests/components/test_bias_baseline_render.py) and writes the new band."""
    import json

    diff = BaselineJobProvider().diff(PROPS["job_name"], {**PROPS, "tolerance": json.dumps({"DPPL": 0.1})},
                                      {**PROPS, "tolerance": json.dumps({"DPPL": 0.2})})
    assert diff.changes and diff.replaces == ["tolerance"]
