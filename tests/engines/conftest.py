"""moto-backed AWS for the engine runtime tests: a bucket with real-format captures of a drifting scenario, an
analyzer baseline, and an EventBridge rule on source `modelmonitor` delivering run events to SQS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from modelmonitor.analyzer.entry.engine_outputs import Clients
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from modelmonitor.components.engine_environment import EngineLocations, analyzer_function_environment
from modelmonitor.components.engine_names import MonitoringType
from modelmonitor.components.names import MonitorNames
from modelmonitor.demo.scenario import Drift, Scenario
from modelmonitor.demo.traffic import hour_capture_files
from modelmonitor.loader import parse_document
from modelmonitor.spec import ModelMonitorDocument

REGION, BUCKET = "us-east-1", "mm-artifacts"
ENDPOINT, VARIANT, MONITOR = "churn-prod", "AllTraffic", "lending/churn"
NAMES = MonitorNames("lending", "churn")
SCHEDULE = NAMES.data_quality_schedule
CAPTURE_PREFIX = f"s3://{BUCKET}/captures/{ENDPOINT}/{VARIANT}"
RESULTS = f"s3://{BUCKET}/results/lending/churn/data-quality"
BASELINE = f"s3://{BUCKET}/baselines/lending/churn/data-quality"
FIRST_HOUR = datetime(2026, 11, 24, 0, tzinfo=UTC)
DRIFT_HOUR = 2
"""Hours 0..1 are clean, from hour 2 on the scenario drifts (monthly_charges, payment_method, support_calls)."""


@dataclass
class Aws:
    s3: Any
    sqs: Any
    events: Any
    cloudwatch: Any
    queue_url: str

    @property
    def clients(self) -> Clients:
        return Clients(cloudwatch=self.cloudwatch, events=self.events)

    def run_events(self) -> list[dict[str, Any]]:
        """Every run event delivered so far (the EventBridge envelopes' detail), draining the queue."""
        found: list[dict[str, Any]] = []
        for _ in range(10):
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                break
            for message in messages:
                envelope = json.loads(message["Body"])
                assert envelope["source"] == "modelmonitor"
                assert envelope["detail-type"] == "ModelMonitor Run State Change"
                found.append(envelope["detail"])
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario(seed=11, training_rows=3000, requests_per_hour=400, drift=Drift(start_hour=DRIFT_HOUR))


@pytest.fixture(scope="module")
def baseline_files(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engine-baseline")
    training = root / "train.csv"
    training.write_text("\n".join(scenario.training.csv_rows(header=True)) + "\n")
    run(AnalysisJob(mode="baseline", dataset_source=str(training), output_path=str(root / "out")))
    return root / "out"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="run-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events", region_name=REGION)
        events.put_rule(Name="modelmonitor-runs", EventPattern=json.dumps({"source": ["modelmonitor"]}))
        events.put_targets(Rule="modelmonitor-runs", Targets=[{"Id": "queue", "Arn": queue_arn}])
        yield Aws(s3=s3, sqs=sqs, events=events, cloudwatch=boto3.client("cloudwatch", region_name=REGION),
                  queue_url=queue_url)


def upload_baseline(aws: Aws, baseline_files: Path) -> None:
    for name in ("statistics.json", "constraints.json"):
        aws.s3.put_object(Bucket=BUCKET, Key=f"baselines/lending/churn/data-quality/{name}",
                          Body=(baseline_files / name).read_bytes())


def upload_hours(aws: Aws, scenario: Scenario, hours: range) -> dict[int, list[str]]:
    """Real-format capture files of the given scenario hours under `captures/`; returns their keys per hour."""
    keys: dict[int, list[str]] = {}
    for hour in hours:
        table = scenario.hour_traffic(hour)
        rng = np.random.default_rng([scenario.seed, hour, 99])
        files = hour_capture_files(table, scenario.model.predict_proba(table), endpoint=ENDPOINT, variant=VARIANT,
                                   hour_start=FIRST_HOUR + timedelta(hours=hour), rng=rng)
        keys[hour] = []
        for f in files:
            aws.s3.put_object(Bucket=BUCKET, Key=f"captures/{f.key}", Body=f.body)
            keys[hour].append(f"captures/{f.key}")
    return keys


def document(**spec: Any) -> ModelMonitorDocument:
    """The monitor the tests run: lending/churn on the existing endpoint churn-prod, engine lambda."""
    return parse_document({
        "apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
        "metadata": {"name": "churn", "namespace": "lending"},
        "spec": {"region": REGION, "engine": "lambda", "endpoint": {"existing": {"name": ENDPOINT}},
                 "dataCapture": {"destinationS3Uri": f"s3://{BUCKET}/captures"},
                 "baseline": {"precomputed": {"statisticsS3Uri": f"{BASELINE}/statistics.json",
                                              "constraintsS3Uri": f"{BASELINE}/constraints.json"}},
                 "dataQuality": {"customMetrics": ["psi", "ks"]},
                 "engineSettings": {"maxLambdaWindowMb": 64}, **spec}})


RESULTS_FOLDER: dict[str, str] = {"DataQuality": "data-quality", "ModelQuality": "model-quality",
                                  "ModelBias": "model-bias", "ModelExplainability": "feature-attribution"}


def engine_env(monitoring_type: MonitoringType = "DataQuality", doc: ModelMonitorDocument | None = None,
               constraints: str | None = None, analysis_config: str | None = None, **overrides: str
               ) -> dict[str, str]:
    """What the ModelMonitor component sets on the analyzer function: the pure builder's output (bias and
    attribution runs need `analysis_config`, the URI of their uploaded analysis configuration)."""
    kind = RESULTS_FOLDER[monitoring_type]
    locations = EngineLocations(
        capture_destination=f"s3://{BUCKET}/captures", results=f"s3://{BUCKET}/results/lending/churn/{kind}",
        baseline_statistics=f"{BASELINE}/statistics.json" if monitoring_type == "DataQuality" else None,
        baseline_constraints=f"{BASELINE}/constraints.json" if monitoring_type == "DataQuality" else constraints,
        analysis_config=analysis_config)
    env = analyzer_function_environment(doc or document(), monitoring_type, locations)
    env.update(overrides)
    return env
