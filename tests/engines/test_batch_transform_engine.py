"""A batch transform job monitored under the lambda engine against moto: the job's capture manifests (AWS's
documented layout, see tests/analyzer/read/test_batch_transform_capture.py) in the window's hour, labels keyed by the
SageMakerInferenceId the job generated → model quality and bias drift read it like an endpoint's captures.

End to end from the spec: a manifest with `spec.batchTransform` (no endpoint) goes through the environment builder
the component's Lambda environment is tested against (tests/components/test_clarify_engines.py), so the run's
source, capture kind, content types and the `batch-transform` Endpoint dimension are the product's, not the test's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.components.engine_clarify import analysis_config_text
from modelmonitor.components.engine_environment import BATCH_ENDPOINT_DIMENSION
from modelmonitor.demo.scenario import Scenario
from modelmonitor.spec import ModelMonitorDocument
from tests.engines.conftest import BUCKET, FIRST_HOUR, NAMES, Aws, document, engine_env, upload_baseline
from tests.engines.test_model_quality_engine import GROUND_TRUTH, _put_labels

JOB_START = FIRST_HOUR + timedelta(hours=2)
CAPTURES = f"s3://{BUCKET}/batch-capture"
BIAS = {"enabled": True, "schedule": "hourly", "groundTruthS3Uri": GROUND_TRUTH + "/", "labelDelay": "2h",
        "label": {"name": "label", "favourableValues": ["1"]}, "headers": ["x0", "x1", "x2", "group"],
        "facets": [{"name": "group", "values": ["b"]}], "probabilityAttribute": "0"}


def batch_document(**sections: object) -> ModelMonitorDocument:
    """The engine tests' monitor with a batch transform source instead of its endpoint."""
    base = document(**sections).model_dump(by_alias=True, exclude_none=True, mode="json")
    base["spec"].pop("endpoint")
    base["spec"].pop("dataCapture")
    base["spec"]["batchTransform"] = {"destinationS3Uri": CAPTURES + "/"}
    return ModelMonitorDocument.model_validate(base)


def _put_job(aws: Aws, rows: int = 300) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    features = rng.normal(size=(rows, 3)).round(4)
    group = rng.choice(["a", "b"], rows)
    score = 1 / (1 + np.exp(-(features[:, 0] - 0.8 * (group == "b"))))
    ids = [f"{i:08d}-0c67-45e9-bb4d-bd1bf26561e6" for i in range(rows)]
    stamp = f"{JOB_START:%Y-%m-%dT%H:%M:%SZ}"
    inputs = [f"{x[0]},{x[1]},{x[2]},{g}" for x, g in zip(features, group, strict=True)]
    outputs = [f"{s:.6f}, {i},{stamp}" for s, i in zip(score, ids, strict=True)]
    aws.s3.put_object(Bucket=BUCKET, Key="batch/in/part-0.csv", Body="\n".join(inputs) + "\n")
    aws.s3.put_object(Bucket=BUCKET, Key="batch/out/part-0.csv.out", Body="\n".join(outputs) + "\n")
    hour = f"{JOB_START:%Y/%m/%d/%H}"
    aws.s3.put_object(Bucket=BUCKET, Key=f"batch-capture/input/{hour}/m1.jsonl",
                      Body=json.dumps([{"prefix": f"s3://{BUCKET}/batch/in/"}, "part-0.csv"]))
    aws.s3.put_object(Bucket=BUCKET, Key=f"batch-capture/output/{hour}/m2.jsonl",
                      Body=json.dumps([{"prefix": f"s3://{BUCKET}/batch/out/"}, "part-0.csv.out"]))
    truth = (rng.random(rows) < score).astype(float)
    return ids, score, truth, group


def _env(monitoring_type: str, **extra: str) -> dict[str, str]:
    monitor = batch_document(modelQuality={
        "enabled": True, "schedule": "hourly", "problemType": "BinaryClassification", "probabilityAttribute": "0",
        "groundTruthS3Uri": GROUND_TRUTH + "/", "labelDelay": "2h"}, modelBias=BIAS)
    env = engine_env(monitoring_type, monitor, **extra)  # type: ignore[arg-type]
    # what a batch source changes, from the builder: the source, its capture kind and the Endpoint dimension
    assert (env["dataset_source"], env["capture_kind"]) == (CAPTURES, "batchTransform")
    assert env["sagemaker_endpoint_name"] == BATCH_ENDPOINT_DIMENSION
    return env


def test_model_quality_and_bias_of_a_batch_transform_job(aws: Aws) -> None:
    ids, score, truth, group = _put_job(aws)
    _put_labels(aws, JOB_START + timedelta(hours=1), ids, truth, "labels")
    now = datetime(2026, 11, 24, 5, 10, tzinfo=UTC)
    quality = lambda_handler.run_invocation({"scheduled_time": "2026-11-24T05:10:00Z"}, _env("ModelQuality"),
                                            clients=aws.clients, s3=aws.s3, now=now)
    assert quality["windowStart"] == "2026-11-24T02:00:00Z"
    prefix = (f"results/lending/churn/model-quality/{BATCH_ENDPOINT_DIMENSION}/{NAMES.model_quality_schedule}/"
              "2026/11/24/02/")
    statistics = aws.json(prefix + "statistics.json")
    assert statistics["ground_truth"]["matched"] == len(ids)
    accuracy = float(np.mean((score >= 0.5) == truth.astype(bool)))
    assert abs(statistics["binary_classification_metrics"]["accuracy"]["value"] - accuracy) < 1e-12

    # the analysis configuration the component uploads for this spec (engine_clarify.analysis_config_text)
    config = analysis_config_text(batch_document(modelBias=BIAS).spec, "ModelBias")
    aws.s3.put_object(Bucket=BUCKET, Key="config/analysis_config.json", Body=config)
    lambda_handler.run_invocation({"scheduled_time": "2026-11-24T05:10:00Z"},
                                  _env("ModelBias", analysis_config=f"s3://{BUCKET}/config/analysis_config.json"),
                                  clients=aws.clients, s3=aws.s3, now=now)
    bias_prefix = (f"results/lending/churn/model-bias/{BATCH_ENDPOINT_DIMENSION}/{NAMES.model_bias_schedule}/"
                   "2026/11/24/02/")
    (split,) = aws.json(bias_prefix + "analysis.json")["post_training_bias_metrics"]["facets"]["group"]
    dppl = next(m["value"] for m in split["metrics"] if m["name"] == "DPPL")
    positive = score >= 0.5
    assert abs(dppl - (positive[group == "a"].mean() - positive[group == "b"].mean())) < 1e-12


def test_data_quality_of_batch_transform_jobs(aws: Aws, scenario: Scenario, baseline_files: Path) -> None:
    """Each hour's traffic as one batch job (headerless CSV of the features, as a transform job's input is): the
    window reads the inputs its jobs' manifests list, and the drifted hour is caught like an endpoint's."""
    upload_baseline(aws, baseline_files)
    for hour in (1, 2):
        start = FIRST_HOUR + timedelta(hours=hour)
        aws.s3.put_object(Bucket=BUCKET, Key=f"jobs/h{hour}/in.csv",
                          Body="\n".join(scenario.hour_traffic(hour).csv_rows()) + "\n")
        aws.s3.put_object(Bucket=BUCKET, Key=f"jobs/h{hour}/in.csv.out", Body="0\n" * 400)
        for side, name in (("input", "in.csv"), ("output", "in.csv.out")):
            aws.s3.put_object(Bucket=BUCKET, Key=f"batch-capture/{side}/{start:%Y/%m/%d/%H}/manifest.jsonl",
                              Body=json.dumps([{"prefix": f"s3://{BUCKET}/jobs/h{hour}/"}, name]))
    env = engine_env("DataQuality", batch_document())
    assert (env["dataset_source"], env["capture_kind"]) == (CAPTURES, "batchTransform")
    response = lambda_handler.run_invocation({"scheduled_time": "2026-11-24T03:10:00Z"}, env, clients=aws.clients,
                                             s3=aws.s3, now=datetime(2026, 11, 24, 3, 10, tzinfo=UTC))
    assert response["status"] == "CompletedWithViolations"
    prefix = (f"results/lending/churn/data-quality/{BATCH_ENDPOINT_DIMENSION}/{NAMES.data_quality_schedule}/"
              "2026/11/24/02/")
    assert aws.json(prefix + "drift_report.json")["item_count"] == 400       # hour 2's job only
    assert {"monthly_charges", "payment_method"} <= set(response["driftedFeatures"])
