"""The bias-drift detection scenario under both of our engines: the model's favourable-outcome rate for one facet
drops after hour 4. The baseline is the analysis of hour 0 (a clean hour); hour 5 is judged against it under the
lambda engine (the handler) and under the processingJob engine (the state machine's CreateProcessingJob request run
through the emulated Processing container). Both must flag the facet, with the same values. The expected DPPL is
recomputed from the generated rows with the guide's formula (q̂a − q̂d), not taken from our code.

(Engine modelMonitor runs AWS's Clarify container: its job definition is checked against botocore's model in
tests/components/test_clarify_model_monitor.py; nothing here can run it.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine
from tests.engines.conftest import BUCKET, ENDPOINT, FIRST_HOUR, MONITOR, Aws, document, engine_env
from tests.engines.processing_emulator import resolve, run_job

CAPTURES = f"s3://{BUCKET}/bias-captures/{ENDPOINT}/AllTraffic"
TRUTH = f"s3://{BUCKET}/bias-truth"
SCHEDULE = "churn-mb-schedule"
CONFIG = {"label": "churned", "label_values_or_threshold": [0], "headers": ["tenure", "charges", "senior"],
          "facet": [{"name_or_index": "senior", "value_or_threshold": ["1"]}], "probability_threshold": 0.5}


def _hour(aws: Aws, hour: int, *, favour_senior: float, rows: int = 500) -> dict[str, np.ndarray]:
    """One hour of requests: P(favourable prediction) is 0.6 for others, `favour_senior` for seniors."""
    rng = np.random.default_rng(100 + hour)
    start = FIRST_HOUR + timedelta(hours=hour)
    senior = rng.random(rows) < 0.3
    favourable = rng.random(rows) < np.where(senior, favour_senior, 0.6)
    score = np.where(favourable, 0.1 + 0.3 * rng.random(rows), 0.6 + 0.3 * rng.random(rows))  # churn probability
    churned = (rng.random(rows) < score).astype(int)
    captures, truth = [], []
    for i in range(rows):
        event = f"h{hour}-{i}"
        captures.append(json.dumps({"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                              "data": f"{rng.integers(1, 72)},{rng.uniform(20, 110):.2f},{int(senior[i])}"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "encoding": "CSV",
                               "data": f"{score[i]:.6f}"}},
            "eventMetadata": {"eventId": f"e-{event}", "inferenceId": event,
                              "inferenceTime": (start + timedelta(seconds=6 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")},
            "eventVersion": "0"}))
        truth.append(json.dumps({"groundTruthData": {"data": str(churned[i]), "encoding": "CSV"},
                                 "eventMetadata": {"eventId": event}, "eventVersion": "0"}))
    aws.s3.put_object(Bucket=BUCKET, Key=f"bias-captures/{ENDPOINT}/AllTraffic/{start:%Y/%m/%d/%H}/c.jsonl",
                      Body="\n".join(captures))
    aws.s3.put_object(Bucket=BUCKET, Key=f"bias-truth/{start:%Y/%m/%d/%H}/t.jsonl", Body="\n".join(truth))
    return {"senior": senior, "score": score}


def _expected_dppl(data: dict[str, np.ndarray]) -> float:
    favourable = data["score"] < 0.5            # label value 0 (not churned) is favourable; churn score 0.5 cut
    return float(favourable[~data["senior"]].mean() - favourable[data["senior"]].mean())


def _env(**extra: str) -> dict[str, str]:
    monitor = document(modelQuality={
        "enabled": True, "schedule": "hourly", "problemType": "BinaryClassification", "probabilityAttribute": "0",
        "groundTruthS3Uri": TRUTH + "/", "labelDelay": "1h"})
    return {**engine_env("ModelQuality", monitor), "monitoring_type": "ModelBias", "dataset_source": CAPTURES,
            "analysis_config": json.dumps(CONFIG), "sagemaker_monitoring_schedule_name": SCHEDULE, **extra}


def _dppl(analysis: dict[str, Any]) -> Any:
    (split,) = analysis["post_training_bias_metrics"]["facets"]["senior"]
    return next(m["value"] for m in split["metrics"] if m["name"] == "DPPL")


def _results(hour: int) -> str:
    return f"results/lending/churn/model-quality/{ENDPOINT}/{SCHEDULE}/2026/11/24/{hour:02d}/"


def test_a_facets_falling_favourable_rate_is_detected_under_lambda_and_processing_job(
        aws: Aws, tmp_path: Path) -> None:
    clean, drifted = _hour(aws, 0, favour_senior=0.6), _hour(aws, 5, favour_senior=0.25)

    # The baseline: the lambda engine's analysis of hour 0 (fired 02:05 with a 1 h label delay).
    lambda_handler.run_invocation({"scheduled_time": "2026-11-24T02:05:00Z"}, _env(), clients=aws.clients,
                                  s3=aws.s3, now=datetime(2026, 11, 24, 2, 5, tzinfo=UTC))
    baseline = aws.json(_results(0) + "analysis.json")
    assert abs(_dppl(baseline) - _expected_dppl(clean)) < 1e-12
    aws.s3.put_object(Bucket=BUCKET, Key="bias-baseline/analysis.json", Body=json.dumps(baseline))
    judged = _env(baseline_constraints=f"s3://{BUCKET}/bias-baseline/analysis.json")

    # Hour 5 under the lambda engine.
    response = lambda_handler.run_invocation({"scheduled_time": "2026-11-24T07:05:00Z"}, judged,
                                             clients=aws.clients, s3=aws.s3,
                                             now=datetime(2026, 11, 24, 7, 5, tzinfo=UTC))
    assert response["status"] == "CompletedWithViolations"
    by_lambda = aws.json(_results(5) + "analysis.json")
    flagged = {v["metric_name"] for v in aws.json(_results(5) + "constraint_violations.json")["violations"]}
    assert abs(_dppl(by_lambda) - _expected_dppl(drifted)) < 1e-12 and _expected_dppl(drifted) > 0.25
    assert {"DPPL", "DI"} <= flagged
    for key in aws.keys(_results(5)):
        aws.s3.delete_object(Bucket=BUCKET, Key=key)

    # Hour 5 under the processingJob engine: the state machine's job, run as SageMaker would run it.
    machine = processing_job_state_machine(ProcessingJobMachineArgs(
        monitor=MONITOR, endpoint_name=ENDPOINT, schedule_name=SCHEDULE, job_name_prefix="churn-mb-abc123",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/modelmonitor-analyzer:1",
        job_role_arn="arn:aws:iam::123456789012:role/churn-analyzer", capture_s3_uri=CAPTURES,
        results_s3_uri=f"s3://{BUCKET}/results/lending/churn/model-quality", monitoring_type="ModelBias",
        metrics_namespace="ModelMonitor/ModelBias", ground_truth_s3_uri=TRUTH, window_end_offset_seconds=3600,
        environment={key: judged[key] for key in ("analysis_config", "baseline_constraints", "probability_attribute",
                                                  "problem_type")}))
    context = {"window_start": "2026-11-24T05:00:00Z", "window_end": "2026-11-24T06:00:00Z",
               "evaluation_time": "2026-11-24T07:00:00Z", "hour_path": "2026/11/24/05",
               "shard_path": "2026/11/24/05", "job_id": "0123456789abcdef0123456789abcdef", "attempt": {"n": 0}}
    job = resolve(machine["States"]["Analyze"]["Parameters"], context)
    assert run_job(job, s3=aws.s3, workdir=tmp_path / "job") == [0]        # the verdict is in the message
    by_job = aws.json(_results(5) + "analysis.json")
    assert by_job == by_lambda
    message = (tmp_path / "job" / "algo-1" / "output" / "message").read_text()
    assert message.startswith("CompletedWithViolations")
    events = aws.run_events()
    assert [(e["monitoringType"], e["status"]) for e in events][-1] == ("ModelBias", "CompletedWithViolations")
