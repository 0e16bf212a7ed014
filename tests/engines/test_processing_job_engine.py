"""The processingJob engine's jobs, exactly as the state machine defines them, run through an emulated
SageMaker Processing on moto: one full-pass job vs 4 sharded instances + the merge job, over the S3 layout
`{results}/{endpoint}/{schedule}/partials/{job_id}/` — same verdicts, one run event each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine
from modelmonitor.demo.scenario import Scenario
from tests.engines.conftest import (
    BASELINE,
    BUCKET,
    CAPTURE_PREFIX,
    ENDPOINT,
    MONITOR,
    RESULTS,
    SCHEDULE,
    Aws,
    upload_baseline,
    upload_hours,
)
from tests.engines.processing_emulator import resolve, run_job

CONTEXT = {"window_start": "2026-11-24T02:00:00Z", "window_end": "2026-11-24T03:00:00Z",
           "evaluation_time": "2026-11-24T03:00:00Z", "hour_path": "2026/11/24/02", "shard_path": "2026/11/24/02",
           "job_id": "0123456789abcdef0123456789abcdef", "attempt": {"n": 0}}
HOUR_PREFIX = f"results/lending/churn/data-quality/{ENDPOINT}/{SCHEDULE}/2026/11/24/02/"


def _machine(instance_count: int) -> dict[str, Any]:
    return processing_job_state_machine(ProcessingJobMachineArgs(
        monitor=MONITOR, endpoint_name=ENDPOINT, schedule_name=SCHEDULE, job_name_prefix="churn-dq-abc123",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/modelmonitor-analyzer:1",
        job_role_arn="arn:aws:iam::123456789012:role/churn-analyzer", capture_s3_uri=CAPTURE_PREFIX,
        results_s3_uri=RESULTS, baseline_statistics_s3_uri=f"{BASELINE}/statistics.json",
        baseline_constraints_s3_uri=f"{BASELINE}/constraints.json", instance_count=instance_count,
        environment={"drift_methods": "psi,ks"}))


def _verdicts(aws: Aws) -> set[tuple[str, str]]:
    return {(v["feature_name"], v["constraint_check_type"])
            for v in aws.json(HOUR_PREFIX + "constraint_violations.json")["violations"]}


def test_one_pass_and_four_shards_merged_give_the_same_violations(
        aws: Aws, scenario: Scenario, baseline_files: Path, tmp_path: Path) -> None:
    upload_baseline(aws, baseline_files)
    upload_hours(aws, scenario, range(1, 4))

    single = _machine(1)["States"]
    assert run_job(resolve(single["Analyze"]["Parameters"], CONTEXT), s3=aws.s3, workdir=tmp_path / "one") == [0]
    one_pass = _verdicts(aws)
    one_report = aws.json(HOUR_PREFIX + "drift_report.json")
    [one_event] = aws.run_events()
    for key in aws.keys(HOUR_PREFIX):
        aws.s3.delete_object(Bucket=BUCKET, Key=key)

    sharded = _machine(4)["States"]
    shard_job = resolve(sharded["Analyze"]["Parameters"], CONTEXT)
    assert shard_job["Environment"]["analysis_stage"] == "shard"
    assert run_job(shard_job, s3=aws.s3, workdir=tmp_path / "shards") == [0, 0, 0, 0]
    partials = f"results/lending/churn/data-quality/{ENDPOINT}/{SCHEDULE}/partials/{CONTEXT['job_id']}/"
    assert aws.keys(partials) == [f"{partials}partial_statistics-algo-{i}.json" for i in range(1, 5)]
    assert aws.run_events() == []  # shards neither publish nor emit: the merge run does
    counts = [aws.json(key)["item_count"] for key in aws.keys(partials)]
    assert min(counts) > 0  # every instance got a share of the hour's files
    assert run_job(resolve(sharded["Merge"]["Parameters"], CONTEXT), s3=aws.s3, workdir=tmp_path / "merge") == [0]

    assert sum(counts) == one_report["item_count"] == aws.json(HOUR_PREFIX + "drift_report.json")["item_count"] == 400
    assert _verdicts(aws) == one_pass
    assert ("monthly_charges", "baseline_drift_check") in one_pass
    [merged_event] = aws.run_events()
    for event in (one_event, merged_event):
        assert event["engine"] == "processingJob" and event["status"] == "CompletedWithViolations"
        assert event["reportUri"] == f"s3://{BUCKET}/{HOUR_PREFIX}"
    assert {k: v for k, v in merged_event.items() if k != "driftedFeatures"} == \
        {k: v for k, v in one_event.items() if k != "driftedFeatures"}
    assert set(merged_event["driftedFeatures"]) == set(one_event["driftedFeatures"])


def test_shard_file_names_are_unique_per_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelmonitor.analyzer.run.job import current_host

    (tmp_path / "config").mkdir()
    (tmp_path / "config/resourceconfig.json").write_text('{"current_host": "algo-3", "hosts": ["algo-1"]}')
    assert current_host(tmp_path) == "algo-3"
    monkeypatch.setattr("socket.gethostname", lambda: "ip-10-0-0-1.ec2/internal")
    assert current_host(tmp_path / "elsewhere") == "ip-10-0-0-1.ec2-internal"


def test_model_quality_job_publishes_and_emits(aws: Aws, scenario: Scenario, tmp_path: Path) -> None:
    from modelmonitor.components.engine_environment import analyzer_knobs
    from tests.engines.conftest import FIRST_HOUR, document
    from tests.engines.test_model_quality_engine import GROUND_TRUTH, _put_hour, _put_labels

    ids, _, truth = _put_hour(aws, scenario, 2)
    _put_labels(aws, FIRST_HOUR.replace(hour=4), ids[:300], truth[:300], "labels")
    monitor = document(engine="processingJob", modelQuality={
        "enabled": True, "schedule": "hourly", "problemType": "BinaryClassification", "probabilityAttribute": "0",
        "groundTruthS3Uri": GROUND_TRUTH, "labelDelay": "2h", "minGroundTruthCoverage": 0.8})
    results = f"s3://{BUCKET}/results/lending/churn/model-quality"
    machine = processing_job_state_machine(ProcessingJobMachineArgs(
        monitor=MONITOR, endpoint_name=ENDPOINT, schedule_name="churn-mq", job_name_prefix="churn-mq-abc123",
        image_uri="analyzer:1", job_role_arn="arn:aws:iam::123456789012:role/churn-analyzer",
        capture_s3_uri=CAPTURE_PREFIX, results_s3_uri=results, monitoring_type="ModelQuality",
        ground_truth_s3_uri=GROUND_TRUTH, window_end_offset_seconds=7200,
        environment=analyzer_knobs(monitor.spec, "ModelQuality")))
    job = resolve(machine["States"]["Analyze"]["Parameters"], {**CONTEXT, "evaluation_time": "2026-11-24T05:00:00Z"})
    assert run_job(job, s3=aws.s3, workdir=tmp_path) == [0]

    prefix = f"results/lending/churn/model-quality/{ENDPOINT}/churn-mq/2026/11/24/02/"
    assert aws.json(prefix + "statistics.json")["ground_truth"]["matched"] == 300
    [violation] = aws.json(prefix + "constraint_violations.json")["violations"]
    assert violation["metric_name"] == "ground_truth_coverage"
    [event] = aws.run_events()
    assert (event["engine"], event["monitoringType"], event["status"], event["violations"], event["reportUri"]) == \
        ("processingJob", "ModelQuality", "CompletedWithViolations", 1, f"s3://{BUCKET}/{prefix}")
    message = (tmp_path / "algo-1/output/message").read_text()
    assert message.startswith("CompletedWithViolations: 1 violation(s); 300 of 400 predictions labelled")


def test_failed_job_exits_non_zero_and_leaves_the_failed_event_to_the_state_machine(
        aws: Aws, scenario: Scenario, tmp_path: Path) -> None:
    upload_hours(aws, scenario, range(2, 3))  # no baseline uploaded: the baseline input downloads nothing
    machine = _machine(1)
    assert run_job(resolve(machine["States"]["Analyze"]["Parameters"], CONTEXT), s3=aws.s3, workdir=tmp_path) == [2]
    assert (tmp_path / "algo-1/output/message").read_text().startswith("Failed: ")
    assert aws.run_events() == []
    # The state machine's Catch → EmitFailedEvent sends the one Failed event of this run.
    assert machine["States"]["Analyze"]["Catch"][0]["Next"] == "ClassifyFailure"
    assert machine["States"]["EmitFailedEvent"]["Parameters"]["Entries"][0]["Source"] == "modelmonitor"
