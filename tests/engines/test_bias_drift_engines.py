"""The bias-drift detection scenario under both of our engines: the model's favourable-outcome rate for one facet
drops after hour 4. The baseline is the analysis of hour 0 (a clean hour); hour 5 is judged against it under the
lambda engine (the handler) and under the processingJob engine (the state machine's CreateProcessingJob request run
through the emulated Processing container). Both must flag the facet, with the same values. The expected DPPL is
recomputed from the generated rows with the guide's formula (q̂a − q̂d), not taken from our code.

End to end from the spec: the runs get the environment the component renders for `spec.modelBias` (the pure builder
tests/components/test_clarify_engines.py ties to the rendered function) and the analysis configuration the component
uploads for it (`engine_clarify.analysis_config_text`), so the spec's text values ("0", "1") reach Clarify's
configuration as the numbers the columns hold.

(Engine modelMonitor runs AWS's Clarify container: its job definition is checked against botocore's model in
tests/components/test_clarify_model_monitor.py; nothing here can run it.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.components.engine_clarify import analysis_config_text
from modelmonitor.components.engine_environment import analyzer_knobs
from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine
from tests.engines.conftest import (
    BUCKET,
    CAPTURE_PREFIX,
    ENDPOINT,
    FIRST_HOUR,
    MONITOR,
    NAMES,
    Aws,
    document,
    engine_env,
)
from tests.engines.processing_emulator import resolve, run_job

TRUTH = f"s3://{BUCKET}/bias-truth"
SCHEDULE = NAMES.model_bias_schedule
MODEL_BIAS = {"enabled": True, "schedule": "hourly", "groundTruthS3Uri": TRUTH + "/", "labelDelay": "1h",
              "label": {"name": "churned", "favourableValues": ["0"]}, "headers": ["tenure", "charges", "senior"],
              "facets": [{"name": "senior", "values": ["1"]}], "probabilityAttribute": "0",
              "probabilityThreshold": 0.5}
CONFIG_URI = f"s3://{BUCKET}/baselines/lending/churn/model-bias/analysis_config.json"


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
    capture_key = CAPTURE_PREFIX.removeprefix(f"s3://{BUCKET}/")
    aws.s3.put_object(Bucket=BUCKET, Key=f"{capture_key}/{start:%Y/%m/%d/%H}/c.jsonl", Body="\n".join(captures))
    aws.s3.put_object(Bucket=BUCKET, Key=f"bias-truth/{start:%Y/%m/%d/%H}/t.jsonl", Body="\n".join(truth))
    return {"senior": senior, "score": score}


def _expected_dppl(data: dict[str, np.ndarray]) -> float:
    favourable = data["score"] < 0.5            # label value 0 (not churned) is favourable; churn score 0.5 cut
    return float(favourable[~data["senior"]].mean() - favourable[data["senior"]].mean())


def _env(aws: Aws, baseline: str | None = None) -> dict[str, str]:
    monitor = document(modelBias=MODEL_BIAS)
    aws.s3.put_object(Bucket=BUCKET, Key=CONFIG_URI.removeprefix(f"s3://{BUCKET}/"),
                      Body=analysis_config_text(monitor.spec, "ModelBias"))
    env = engine_env("ModelBias", monitor, constraints=baseline, analysis_config=CONFIG_URI)
    assert (env["dataset_source"], env["sagemaker_monitoring_schedule_name"]) == (CAPTURE_PREFIX, SCHEDULE)
    return env


def _dppl(analysis: dict[str, Any]) -> Any:
    (split,) = analysis["post_training_bias_metrics"]["facets"]["senior"]
    return next(m["value"] for m in split["metrics"] if m["name"] == "DPPL")


def _results(hour: int) -> str:
    return f"results/lending/churn/model-bias/{ENDPOINT}/{SCHEDULE}/2026/11/24/{hour:02d}/"


def test_a_facets_falling_favourable_rate_is_detected_under_lambda_and_processing_job(
        aws: Aws, tmp_path: Path) -> None:
    clean, drifted = _hour(aws, 0, favour_senior=0.6), _hour(aws, 5, favour_senior=0.25)

    # The baseline: the lambda engine's analysis of hour 0 (fired 02:05 with a 1 h label delay).
    lambda_handler.run_invocation({"scheduled_time": "2026-11-24T02:05:00Z"}, _env(aws), clients=aws.clients,
                                  s3=aws.s3, now=datetime(2026, 11, 24, 2, 5, tzinfo=UTC))
    baseline = aws.json(_results(0) + "analysis.json")
    assert abs(_dppl(baseline) - _expected_dppl(clean)) < 1e-12
    aws.s3.put_object(Bucket=BUCKET, Key="bias-baseline/analysis.json", Body=json.dumps(baseline))
    judged = _env(aws, baseline=f"s3://{BUCKET}/bias-baseline/analysis.json")

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
        job_role_arn="arn:aws:iam::123456789012:role/churn-analyzer", capture_s3_uri=CAPTURE_PREFIX,
        results_s3_uri=f"s3://{BUCKET}/results/lending/churn/model-bias", monitoring_type="ModelBias",
        metrics_namespace="ModelMonitor/ModelBias", ground_truth_s3_uri=TRUTH, window_end_offset_seconds=3600,
        # what the component passes the machine for a bias run: the spec's knobs and the clarify settings
        environment={**analyzer_knobs(document(modelBias=MODEL_BIAS).spec, "ModelBias"),
                     **{key: judged[key] for key in ("analysis_config", "baseline_constraints")}}))
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
