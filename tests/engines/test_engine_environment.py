"""The pure builder of our engines' run environment fits both hosts: the Lambda's 4 KB environment and the state
machine's Environment (no clashes with the variables it sets itself, at most 50)."""

from __future__ import annotations

import pytest

from modelmonitor.analyzer.entry.engine_outputs import EngineRun
from modelmonitor.components.engine_environment import analyzer_knobs, capture_prefix
from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine
from tests.engines.conftest import BUCKET, ENDPOINT, MONITOR, NAMES, document, engine_env

LAMBDA_ENVIRONMENT_LIMIT = 4096
"""Lambda: the total size of all environment variables (names and values) may not exceed 4 KB."""
MQ = {"enabled": True, "problemType": "MulticlassClassification", "inferenceAttribute": "predicted.label",
      "groundTruthS3Uri": f"s3://{BUCKET}/gt", "labelDelay": "2d", "schedule": "daily"}


@pytest.mark.parametrize("monitoring_type", ["DataQuality", "ModelQuality"])
def test_lambda_environment_fits_and_configures_an_engine_run(monitoring_type: str) -> None:
    doc = document(modelQuality=MQ, dataQuality={"customMetrics": ["psi", "ks", "js", "wasserstein", "chi2"],
                                                 "environment": {"max_malformed": "0.2"}})
    env = engine_env(monitoring_type, doc)  # type: ignore[arg-type]
    assert sum(len(k) + len(v) for k, v in env.items()) < LAMBDA_ENVIRONMENT_LIMIT
    run = EngineRun.from_environment(env)
    assert run is not None
    assert (run.monitor, run.engine, run.monitoring_type, run.endpoint) == (MONITOR, "lambda", monitoring_type,
                                                                           ENDPOINT)
    assert run.schedule == (NAMES.data_quality_schedule if monitoring_type == "DataQuality"
                            else NAMES.model_quality_schedule)
    assert env["dataset_source"] == f"s3://{BUCKET}/captures/{ENDPOINT}/AllTraffic"
    if monitoring_type == "ModelQuality":
        assert (env["label_delay_seconds"], env["schedule_period_seconds"]) == ("172800", "86400")
        assert env["inference_attribute"] == "predicted.label"
    else:
        assert env["drift_methods"] == "psi,ks,js,wasserstein,chi2" and env["max_malformed"] == "0.2"


@pytest.mark.parametrize("monitoring_type", ["DataQuality", "ModelQuality"])
def test_knobs_pass_into_the_state_machine(monitoring_type: str) -> None:
    doc = document(modelQuality=MQ, engine="processingJob")
    machine = processing_job_state_machine(ProcessingJobMachineArgs(
        monitor=MONITOR, endpoint_name=ENDPOINT, schedule_name="s", job_name_prefix="churn-dq-abc123",
        image_uri="i", job_role_arn="arn:aws:iam::123456789012:role/r",
        capture_s3_uri=capture_prefix(doc, f"s3://{BUCKET}/captures"), results_s3_uri=f"s3://{BUCKET}/results/x",
        baseline_statistics_s3_uri=f"s3://{BUCKET}/b/statistics.json" if monitoring_type == "DataQuality" else None,
        baseline_constraints_s3_uri=f"s3://{BUCKET}/b/constraints.json" if monitoring_type == "DataQuality" else None,
        monitoring_type=monitoring_type,  # type: ignore[arg-type]
        ground_truth_s3_uri=f"s3://{BUCKET}/gt" if monitoring_type == "ModelQuality" else None,
        environment=analyzer_knobs(doc.spec, monitoring_type)))  # type: ignore[arg-type]
    environment = machine["States"]["Analyze"]["Parameters"]["Environment"]
    assert environment["modelmonitor_engine"] == "processingJob"
    assert len(environment) <= 50
