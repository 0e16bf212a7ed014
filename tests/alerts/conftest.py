"""Fixtures for the alert Lambda: moto-backed AWS (S3 bucket, SNS topic → SQS queue we read back), real-format
event files, and a runtime with injected clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from modelmonitor.alerts import handler

EVENTS = Path(__file__).parent / "events"
REGION = "us-east-1"
BUCKET = "mm-artifacts"
RUN_PREFIX = "results/lending/credit-default/data-quality/credit-default-v3/credit-default-dq"


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def violations_bytes() -> bytes:
    return (EVENTS / "constraint_violations.json").read_bytes()


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "ALERT_TOPIC_ARN", "SLACK_WEBHOOK_SECRET", "DEDUPE_TABLE", "ARTIFACT_BUCKET"):
        monkeypatch.delenv(key, raising=False)
    handler.reset_runtime()
    yield
    handler.reset_runtime()


@dataclass
class World:
    """One moto account: the artifact bucket, the alert topic and a queue subscribed to it."""

    s3: Any
    sns: Any
    sqs: Any
    topic_arn: str
    queue_url: str

    def env(self, **extra: str) -> dict[str, str]:
        return {"ALERT_TOPIC_ARN": self.topic_arn, "ARTIFACT_BUCKET": BUCKET, **extra}

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def published(self) -> list[tuple[str, str]]:
        """(Subject, Message) of every notification the topic delivered so far (drains the queue)."""
        out: list[tuple[str, str]] = []
        for _ in range(20):
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                envelope = json.loads(message["Body"])
                out.append((envelope.get("Subject", ""), envelope["Message"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return out


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="modelmonitor-alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        yield World(s3=s3, sns=sns, sqs=sqs, topic_arn=topic_arn, queue_url=queue_url)


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    """A real SageMaker client under botocore's Stubber: moto lacks ListMonitoringExecutions and its
    DescribeProcessingJob has no ExitMessage. Unexpected calls fail the test; all queued responses must be used."""
    client = boto3.client("sagemaker", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def runtime(world: World, sagemaker_client: Any, **env: str) -> handler.Runtime:
    return handler.build_runtime(world.env(**env), sagemaker=sagemaker_client)
