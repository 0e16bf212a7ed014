"""Feature attribution drift under the lambda engine against moto (S3, CloudWatch, EventBridge) with a fake model
endpoint (moto's sagemaker-runtime returns canned bodies, not a model's outputs): the window's captured requests,
a baseline analysis of the same model, a model whose dependence moved to another feature → the violation, the
nDCG datum and the run event. The window holds an earlier attribution run's marked requests: they are left out.

The runs get what the component renders for `spec.featureAttribution`: the environment of the builder the rendered
Lambda is tested against, and the uploaded analysis configuration (`engine_clarify.analysis_config_text`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from modelmonitor.analyzer.entry import engine_outputs, lambda_handler
from modelmonitor.analyzer.read.records import SYNTHETIC_INFERENCE_PREFIX
from modelmonitor.components.engine_clarify import analysis_config_text
from modelmonitor.components.engine_environment import analyzer_knobs
from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine
from tests.analyzer.quality.test_attribution_run import FakeEndpoint
from tests.engines.conftest import BUCKET, ENDPOINT, FIRST_HOUR, MONITOR, NAMES, Aws, document, engine_env
from tests.engines.processing_emulator import resolve, run_job

ATTRIBUTION = {"enabled": True, "schedule": "hourly", "headers": ["tenure", "charges", "calls", "usage"],
               "backgroundRows": [[0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.2, 0.1]], "numSamples": 64, "maxRows": 10}
MONITOR_DOC = document(featureAttribution=ATTRIBUTION)
CONFIG_URI = f"s3://{BUCKET}/baselines/lending/churn/feature-attribution/analysis_config.json"
RESULTS = f"results/lending/churn/feature-attribution/{ENDPOINT}/"
SCHEDULE = NAMES.feature_attribution_schedule


def _captures(aws: Aws) -> None:
    rng = np.random.default_rng(2)
    start = FIRST_HOUR + timedelta(hours=2)
    lines = []
    for i, row in enumerate(rng.normal(size=(50, 4)).round(4)):
        when = start + timedelta(seconds=30 * i)
        marked = i % 10 == 0
        lines.append(json.dumps({
            "captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                                              "data": "99,99,99,99" if marked else ",".join(map(str, row))},
                            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                               "encoding": "CSV", "data": "0.5"}},
            "eventMetadata": {"eventId": f"e{i}", "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "inferenceId": f"{SYNTHETIC_INFERENCE_PREFIX}old-{i}" if marked else f"c{i}"},
            "eventVersion": "0"}))
    aws.s3.put_object(Bucket=BUCKET, Key=f"captures/{ENDPOINT}/AllTraffic/{start:%Y/%m/%d/%H}/x.jsonl",
                      Body="\n".join(lines))


def _upload_config(aws: Aws) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=CONFIG_URI.removeprefix(f"s3://{BUCKET}/"),
                      Body=analysis_config_text(MONITOR_DOC.spec, "ModelExplainability"))


def _env(baseline: str | None = None) -> dict[str, str]:
    return engine_env("ModelExplainability", MONITOR_DOC, constraints=baseline, analysis_config=CONFIG_URI)


def _run(aws: Aws, endpoint: FakeEndpoint, baseline: str | None = None) -> dict[str, object]:
    _upload_config(aws)
    env = _env(baseline)
    clients = replace(aws.clients, runtime=endpoint)
    return lambda_handler.run_invocation({"scheduled_time": "2026-11-24T03:05:00Z"}, env, clients=clients,
                                         s3=aws.s3, now=datetime(2026, 11, 24, 3, 5, tzinfo=UTC))


def test_attribution_drift_under_the_lambda_engine(aws: Aws) -> None:
    _captures(aws)
    before = FakeEndpoint([2.0, 1.0, 0.2, 0.05])
    first = _run(aws, before)
    assert first["status"] == "Completed" and "no baseline" in str(first["summary"])
    assert all("99.0" not in r["Body"].decode() for r in before.requests)        # marked requests left out
    [analysis_key] = [k for k in aws.keys(RESULTS) if k.endswith("analysis.json")]
    assert f"/{SCHEDULE}/2026/11/24/02/" in analysis_key
    aws.s3.put_object(Bucket=BUCKET, Key="baselines/attribution/analysis.json",
                      Body=aws.s3.get_object(Bucket=BUCKET, Key=analysis_key)["Body"].read())

    after = FakeEndpoint([0.05, 0.2, 1.0, 2.5])
    second = _run(aws, after, baseline=f"s3://{BUCKET}/baselines/attribution/analysis.json")
    assert second["status"] == "CompletedWithViolations"
    events = aws.run_events()
    assert [(e["monitor"], e["monitoringType"], e["status"]) for e in events] == [
        (MONITOR, "ModelExplainability", "Completed"), (MONITOR, "ModelExplainability", "CompletedWithViolations")]
    metrics = aws.cloudwatch.list_metrics(Namespace="ModelMonitor/ModelExplainability",   # internal-contracts §4
                                          MetricName="feature_attribution_ndcg")["Metrics"]
    assert len(metrics) == 1


def test_attribution_drift_under_the_processing_job_engine(aws: Aws, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The same run as the state machine's CreateProcessingJob request, run the way SageMaker runs the container
    (tests/engines/processing_emulator.py); the container's sagemaker-runtime client is the fake endpoint."""
    _captures(aws)
    baseline = FakeEndpoint([2.0, 1.0, 0.2, 0.05])
    _run(aws, baseline)
    [analysis_key] = [k for k in aws.keys(RESULTS) if k.endswith("analysis.json")]
    aws.s3.put_object(Bucket=BUCKET, Key="baselines/attribution/analysis.json",
                      Body=aws.s3.get_object(Bucket=BUCKET, Key=analysis_key)["Body"].read())
    for key in aws.keys(RESULTS):
        aws.s3.delete_object(Bucket=BUCKET, Key=key)

    drifted = FakeEndpoint([0.05, 0.2, 1.0, 2.5])
    monkeypatch.setattr(engine_outputs.Clients, "default",
                        classmethod(lambda cls: replace(aws.clients, runtime=drifted)))
    env = _env(f"s3://{BUCKET}/baselines/attribution/analysis.json")
    machine = processing_job_state_machine(ProcessingJobMachineArgs(
        monitor=MONITOR, endpoint_name=ENDPOINT, schedule_name=SCHEDULE, job_name_prefix="churn-fa-abc123",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/modelmonitor-analyzer:1",
        job_role_arn="arn:aws:iam::123456789012:role/churn-analyzer", capture_s3_uri=env["dataset_source"],
        results_s3_uri=f"s3://{BUCKET}/results/lending/churn/feature-attribution",
        monitoring_type="ModelExplainability", metrics_namespace="ModelMonitor/ModelExplainability",
        # what the component passes the machine for an attribution run: the spec's knobs and the clarify settings
        environment={**analyzer_knobs(MONITOR_DOC.spec, "ModelExplainability"),
                     **{key: env[key] for key in ("analysis_config", "baseline_constraints")}}))
    context = {"window_start": "2026-11-24T02:00:00Z", "window_end": "2026-11-24T03:00:00Z",
               "evaluation_time": "2026-11-24T03:00:00Z", "hour_path": "2026/11/24/02",
               "shard_path": "2026/11/24/02", "job_id": "0123456789abcdef0123456789abcdef", "attempt": {"n": 0}}
    job = resolve(machine["States"]["Analyze"]["Parameters"], context)
    assert run_job(job, s3=aws.s3, workdir=tmp_path / "job") == [0]
    message = (tmp_path / "job" / "algo-1" / "output" / "message").read_text()
    assert message.startswith("CompletedWithViolations") and "nDCG" in message
    assert drifted.requests and all(r["InferenceId"].startswith("modelmonitor-attribution-")
                                    for r in drifted.requests)
    assert [(e["monitoringType"], e["status"]) for e in aws.run_events()][-1] == (
        "ModelExplainability", "CompletedWithViolations")
