"""The baseline dynamic provider's create/diff/delete: against moto where moto implements the call
(create_processing_job, describe_processing_job — moto completes jobs instantly), and botocore's Stubber for
what moto cannot show: a failed job, a job that never finishes, a name collision, stopping a running job."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from modelmonitor.components.baseline_job import (
    BaselineJobFailed,
    BaselineJobProvider,
    dataset_format,
    processing_job_request,
)

REGION = "us-west-2"
PROPS: dict[str, Any] = {
    "job_name": "credit-default-d990b3-bl-9bb14823", "region": REGION,
    "role_arn": "arn:aws:iam::123456789012:role/credit-default-d990b3-monitoring",
    "image_uri": "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer",
    "dataset_s3_uri": "s3://acme-lending-data/credit-default/train.csv",
    "dataset_format": dataset_format("csv", True),
    "output_s3_uri": "s3://artifacts/baselines/lending/credit-default/data-quality",
    "instance_type": "ml.m5.xlarge", "volume_size_gb": 20, "max_runtime_seconds": 3600,
    "kms_key_id": "arn:aws:kms:us-west-2:123456789012:key/k", "environment": {},
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_create_against_moto_runs_the_job_with_the_baseline_environment() -> None:
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        provider = BaselineJobProvider(client_factory=lambda region: client, sleep=lambda s: None)
        result = provider.create(dict(PROPS))
        assert result.id == PROPS["job_name"]
        assert result.outs is not None
        assert result.outs["statistics_s3_uri"] == f"{PROPS['output_s3_uri']}/statistics.json"
        assert result.outs["constraints_s3_uri"] == f"{PROPS['output_s3_uri']}/constraints.json"
        described = client.describe_processing_job(ProcessingJobName=PROPS["job_name"])
        # moto does not echo Environment back; the request's environment is asserted in test_boto_contracts
        assert described["AppSpecification"]["ImageUri"] == PROPS["image_uri"]
        assert described["ProcessingInputs"][0]["S3Input"] == {
            "S3Uri": PROPS["dataset_s3_uri"], "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}
        assert described["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == PROPS["output_s3_uri"]
        assert result.outs["job_arn"] == described["ProcessingJobArn"]
        # deleting a finished job is a no-op (processing jobs cannot be deleted), and so is an unknown one
        provider.delete(PROPS["job_name"], dict(PROPS))
        provider.delete("never-existed", dict(PROPS))


def _stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def _describe(status: str, **extra: Any) -> dict[str, Any]:
    request = processing_job_request(PROPS)
    return {"ProcessingJobName": PROPS["job_name"], "ProcessingJobStatus": status,
            "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{PROPS['job_name']}",
            "ProcessingResources": request["ProcessingResources"], "AppSpecification": request["AppSpecification"],
            "CreationTime": "2026-11-24T10:00:00Z", **extra}


def test_failed_job_fails_the_deployment_with_sagemakers_reason() -> None:
    client, stubber = _stubbed()
    clock = FakeClock()
    stubber.add_response("create_processing_job", {"ProcessingJobArn": "arn:x"}, processing_job_request(PROPS))
    stubber.add_response("describe_processing_job", _describe("InProgress"), {"ProcessingJobName": ANY})
    stubber.add_response("describe_processing_job", _describe(
        "Failed", FailureReason="ClientError: dataset_source has no files"), {"ProcessingJobName": ANY})
    provider = BaselineJobProvider(client_factory=lambda r: client, sleep=clock.sleep, clock=clock, poll_seconds=30)
    with stubber, pytest.raises(BaselineJobFailed, match="failed: ClientError: dataset_source has no files"):
        provider.create(dict(PROPS))
    assert clock.sleeps == [30]


def test_wait_is_bounded_by_the_jobs_runtime_plus_slack() -> None:
    client, stubber = _stubbed()
    clock = FakeClock()
    stubber.add_response("create_processing_job", {"ProcessingJobArn": "arn:x"}, processing_job_request(PROPS))
    polls = int((3600 + 1800) / 600) + 1
    for _ in range(polls):
        stubber.add_response("describe_processing_job", _describe("InProgress"), {"ProcessingJobName": ANY})
    provider = BaselineJobProvider(client_factory=lambda r: client, sleep=clock.sleep, clock=clock, poll_seconds=600)
    with stubber, pytest.raises(BaselineJobFailed, match="still InProgress after 5400 s"):
        provider.create(dict(PROPS))
    assert clock.now == 5400


def test_existing_job_with_the_same_inputs_is_adopted() -> None:
    client, stubber = _stubbed()
    stubber.add_client_error("create_processing_job", "ResourceInUse", "Processing job names must be unique")
    stubber.add_response("describe_processing_job", _describe("Completed"), {"ProcessingJobName": ANY})
    provider = BaselineJobProvider(client_factory=lambda r: client, sleep=lambda s: None)
    with stubber:
        result = provider.create(dict(PROPS))
    assert result.id == PROPS["job_name"]


def test_other_create_errors_propagate() -> None:
    client, stubber = _stubbed()
    stubber.add_client_error("create_processing_job", "ResourceLimitExceeded", "too many jobs")
    provider = BaselineJobProvider(client_factory=lambda r: client, sleep=lambda s: None)
    with stubber, pytest.raises(Exception, match="ResourceLimitExceeded"):
        provider.create(dict(PROPS))


def test_delete_stops_a_running_job() -> None:
    client, stubber = _stubbed()
    stubber.add_response("describe_processing_job", _describe("InProgress"), {"ProcessingJobName": PROPS["job_name"]})
    stubber.add_response("stop_processing_job", {}, {"ProcessingJobName": PROPS["job_name"]})
    with stubber:
        BaselineJobProvider(client_factory=lambda r: client).delete(PROPS["job_name"], dict(PROPS))
        stubber.assert_no_pending_responses()


def test_diff_replaces_on_any_input_change_and_not_otherwise() -> None:
    provider = BaselineJobProvider()
    same = provider.diff(PROPS["job_name"], dict(PROPS), dict(PROPS))
    assert (same.changes, same.replaces) == (False, [])
    changed = provider.diff(PROPS["job_name"], dict(PROPS), {**PROPS, "dataset_s3_uri": "s3://other/train.csv"})
    assert (changed.changes, changed.replaces) == (True, ["dataset_s3_uri"])
