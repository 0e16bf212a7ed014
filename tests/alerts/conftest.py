"""Fixtures for the alert Lambda: moto-backed AWS (S3 bucket, SNS topic → SQS queue we read back), real-format
event files, and a runtime with injected clients."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
TOKEN = "T000/B000/SECRETTOKENxyz"
"""The secret part of the fake webhook URL: it must never reach logs or results."""
RUN_PREFIX = "results/lending/credit-default/data-quality/credit-default-v3/credit-default-dq"


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def violations_bytes() -> bytes:
    return (EVENTS / "constraint_violations.json").read_bytes()


FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "ALERT_TOPIC_ARN", "SLACK_WEBHOOK_SECRET", "STATE_TABLE", "REPEAT_INTERVALS",
                "ARTIFACT_BUCKET"):
        monkeypatch.delenv(key, raising=False)
    handler.reset_runtime()
    yield
    handler.reset_runtime()


@pytest.fixture(scope="session")
def clients() -> Iterator[dict[str, Any]]:
    """boto3 clients made once (building one costs ~0.1 s); moto intercepts them inside each test's mock_aws, and
    mock_aws resets all state between tests. Fake credentials are set before creation and restored after."""
    saved = {key: os.environ.get(key) for key in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    names = {"s3": "s3", "sns": "sns", "sqs": "sqs", "sagemaker": "sagemaker", "ssm": "ssm",
             "secrets": "secretsmanager", "dynamodb": "dynamodb", "cloudwatch": "cloudwatch"}
    try:
        yield {name: boto3.client(service, region_name=REGION) for name, service in names.items()}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class World:
    """One moto account: the artifact bucket, the alert topic and a queue subscribed to it."""

    clients: dict[str, Any]
    topic_arn: str
    queue_url: str

    @property
    def s3(self) -> Any:
        return self.clients["s3"]

    @property
    def sns(self) -> Any:
        return self.clients["sns"]

    def env(self, **extra: str) -> dict[str, str]:
        return {"ALERT_TOPIC_ARN": self.topic_arn, "ARTIFACT_BUCKET": BUCKET, **extra}

    def runtime(self, **env: str) -> handler.Runtime:
        """A runtime over this world's clients (SageMaker's is the test's Stubber-wrapped one)."""
        injected = {k: v for k, v in self.clients.items() if k != "sqs"}
        return handler.build_runtime(self.env(**env), **injected)

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def published(self) -> list[tuple[str, str]]:
        """(Subject, Message) of every notification the topic delivered so far (drains the queue)."""
        sqs = self.clients["sqs"]
        out: list[tuple[str, str]] = []
        for _ in range(20):
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                envelope = json.loads(message["Body"])
                out.append((envelope.get("Subject", ""), envelope["Message"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return out


@pytest.fixture
def world(clients: dict[str, Any]) -> Iterator[World]:
    with mock_aws():
        clients["s3"].create_bucket(Bucket=BUCKET)
        topic_arn = clients["sns"].create_topic(Name="modelmonitor-alerts")["TopicArn"]
        queue_url = clients["sqs"].create_queue(QueueName="alerts-inbox")["QueueUrl"]
        attributes = clients["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        clients["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=attributes["Attributes"]["QueueArn"])
        yield World(clients=clients, topic_arn=topic_arn, queue_url=queue_url)


@pytest.fixture
def sagemaker(clients: dict[str, Any]) -> Iterator[Stubber]:
    """The SageMaker client under botocore's Stubber: moto lacks ListMonitoringExecutions and its
    DescribeProcessingJob has no ExitMessage. All queued responses must be used. An unexpected call raises the
    Stubber's error, a BotoCoreError, which the handler turns into a degraded-enrichment note: tests that assert
    `errors == []` therefore also prove no unexpected SageMaker call happened."""
    client = clients["sagemaker"]
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@dataclass
class Hook:
    """What the fake Slack server answers, and what it received."""

    status: int = 200
    delay: float = 0.0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.bodies.append(json.loads(self.rfile.read(length)))
            if state.delay:
                time.sleep(state.delay)
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            del format, args

    class QuietServer(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            del request, client_address  # the timeout test's client hangs up before the slow reply: expected

    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/services/{TOKEN}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
