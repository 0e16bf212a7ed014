"""The processingJob engine's state machine: graph validity, botocore contract of the job requests, and the
parts moto can execute (intrinsics, Choice/Wait loop, Catch → putEvents). NOT run offline: the JSONata window
state (moto needs a JVM for JSONata) and `createProcessingJob.sync` (unsupported by moto) — see offline_variant."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modelmonitor.components.stepfunctions import (
    MAX_JOB_NAME_PREFIX,
    SAGEMAKER_API_ERRORS,
    SCHEDULER_INPUT,
    ProcessingJobMachineArgs,
    StateMachineError,
    job_name_prefix,
    processing_job_state_machine,
    schedule_expression,
    scheduler_target,
)
from tests.components.asl_helpers import (
    TERMINAL,
    create_processing_job_problems,
    entered_states,
    offline_variant,
    reachable,
    run_to_end,
    substitute,
    successors,
)

ACCOUNT = "123456789012"
BASE = ProcessingJobMachineArgs(
    monitor="lending/credit-default", endpoint_name="credit-default-v3", schedule_name="credit-default-dq",
    job_name_prefix="x" * MAX_JOB_NAME_PREFIX,
    image_uri=f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/modelmonitor-analyzer:1.0",
    job_role_arn=f"arn:aws:iam::{ACCOUNT}:role/credit-default-analyzer",
    capture_s3_uri="s3://mm-artifacts/captures/credit-default-v3/AllTraffic",
    results_s3_uri="s3://mm-artifacts/results/lending/credit-default/data-quality",
    baseline_statistics_s3_uri="s3://mm-artifacts/baselines/lending/credit-default/data-quality/statistics.json",
    baseline_constraints_s3_uri="s3://mm-artifacts/baselines/lending/credit-default/data-quality/constraints.json",
    environment={"drift_methods": "psi,ks", "comparison_method": "Robust"},
)
SHARDED = dataclasses.replace(BASE, instance_count=4)
MODEL_QUALITY = dataclasses.replace(
    BASE, monitoring_type="ModelQuality", metrics_namespace="ModelMonitor/ModelQuality", window_seconds=86400,
    window_end_offset_seconds=86400, baseline_statistics_s3_uri=None, baseline_constraints_s3_uri=None,
    ground_truth_s3_uri="s3://mm-artifacts/ground-truth/credit-default",
    environment={"problem_type": "BinaryClassification", "probability_attribute": "0",
                 "probability_threshold_attribute": "0.5"})
MD5_OF_NAME = hashlib.md5(b"run-1", usedforsecurity=False).hexdigest()
SAMPLES: dict[str, Any] = {
    "$.window_start": "2026-11-24T10:00:00Z",
    "$.window_end": "2026-11-24T11:00:00Z",
    "$.evaluation_time": "2026-11-25T11:00:00Z",
}


def _samples(args: ProcessingJobMachineArgs) -> dict[str, Any]:
    results = f"{args.results_s3_uri}/{args.endpoint_name}/{args.schedule_name}"
    samples = dict(SAMPLES)
    for letter in "am":
        samples[f"States.Format('{args.job_name_prefix}-{{}}-{letter}{{}}', $.job_id, $.attempt.n)"] = (
            f"{args.job_name_prefix}-{MD5_OF_NAME}-{letter}9")
    samples[f"States.Format('{results}/partials/{{}}/', $.job_id)"] = f"{results}/partials/{MD5_OF_NAME}/"
    samples[f"States.Format('{results}/{{}}/', $.hour_path)"] = f"{results}/2026/11/24/10/"
    samples[f"States.Format('{args.capture_s3_uri}/{{}}/', $.shard_path)"] = f"{args.capture_s3_uri}/2026/11/24/10/"
    return samples


@pytest.mark.parametrize("args", [BASE, SHARDED], ids=["single", "sharded"])
def test_every_state_reachable_and_wired(args: ProcessingJobMachineArgs) -> None:
    definition = processing_job_state_machine(args)
    states = definition["States"]
    assert reachable(definition) == set(states)
    for name, state in states.items():
        assert successors(state) <= set(states), name
        if state["Type"] in TERMINAL:
            assert "Next" not in state and "End" not in state
        elif state["Type"] == "Choice":
            assert state["Choices"] and state["Default"] in states
        else:
            assert ("Next" in state) != bool(state.get("End")), name
        if state["Type"] == "Task":
            assert state["Retry"] and state["Catch"], name
            assert any(c["ErrorEquals"] == ["States.ALL"] for c in state["Catch"]), name
    job_tasks = [s for s in states.values() if s.get("Resource", "").endswith("createProcessingJob.sync")]
    # sharded: shards, merge, and the single pass an empty window runs instead of the shards
    assert len(job_tasks) == (3 if args.instance_count > 1 else 1)
    for task in job_tasks:
        assert set(task["Retry"][0]["ErrorEquals"]) == set(SAGEMAKER_API_ERRORS)
        assert task["Retry"][0]["BackoffRate"] > 1
        assert task["TimeoutSeconds"] > args.max_runtime_seconds
    json.dumps(definition)  # serialisable as is


@pytest.mark.parametrize("args", [BASE, SHARDED, MODEL_QUALITY], ids=["single", "sharded", "model-quality"])
def test_job_requests_satisfy_botocore_create_processing_job(args: ProcessingJobMachineArgs) -> None:
    definition = processing_job_state_machine(args)
    for name in ("Analyze", "Merge"):
        if name not in definition["States"]:
            continue
        request = substitute(definition["States"][name]["Parameters"], _samples(args))
        assert create_processing_job_problems(request) == [], name
        assert len(request["ProcessingJobName"]) <= 63
        assert len(request["Environment"]) <= 50
        assert request["Environment"]["start_time"] == "2026-11-24T10:00:00Z"


def test_sharded_run_shards_the_window_prefix_then_merges_on_one_instance() -> None:
    states = processing_job_state_machine(SHARDED)["States"]
    shard = substitute(states["Analyze"]["Parameters"], _samples(SHARDED))
    merge = substitute(states["Merge"]["Parameters"], _samples(SHARDED))
    [captures] = [i for i in shard["ProcessingInputs"] if i["InputName"] == "captures"]
    assert captures["S3Input"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert captures["S3Input"]["S3Uri"].endswith("/AllTraffic/2026/11/24/10/")
    assert shard["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 4
    assert shard["Environment"]["analysis_stage"] == "shard"
    partials = shard["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert partials.endswith(f"/credit-default-dq/partials/{MD5_OF_NAME}/")
    assert merge["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert merge["Environment"]["analysis_stage"] == "merge"
    assert [i["S3Input"]["S3Uri"] for i in merge["ProcessingInputs"] if i["InputName"] == "partials"] == [partials]
    assert merge["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].endswith(
        "/credit-default-v3/credit-default-dq/2026/11/24/10/")
    assert states["Analyze"]["Next"] == "Merge"
    # A daily sharded window mounts the day prefix instead of one hour.
    daily = processing_job_state_machine(dataclasses.replace(SHARDED, window_seconds=86400))
    assert "'shard_path': $fromMillis($startMs, '[Y0001]/[M01]/[D01]')" in daily["States"]["ResolveWindow"]["Output"]


def test_single_run_reads_captures_from_s3_and_never_shards() -> None:
    request = substitute(processing_job_state_machine(BASE)["States"]["Analyze"]["Parameters"], _samples(BASE))
    assert request["Environment"]["dataset_source"] == BASE.capture_s3_uri
    assert "analysis_stage" not in request["Environment"]
    assert [i["InputName"] for i in request["ProcessingInputs"]] == ["baseline_statistics", "baseline_constraints"]
    assert request["Environment"]["baseline_statistics"] == "/opt/ml/processing/baseline/stats/statistics.json"
    assert request["Environment"]["drift_methods"] == "psi,ks"


def test_window_resolution_is_jsonata_with_hour_floor_and_scheduler_input() -> None:
    state = processing_job_state_machine(BASE)["States"]["ResolveWindow"]
    assert state["QueryLanguage"] == "JSONata"
    output = state["Output"]
    assert output.startswith("{%") and output.endswith("%}")
    assert "$floor($toMillis($fire) / 3600000) * 3600000" in output
    assert "$endMs - 3600000" in output
    assert json.loads(SCHEDULER_INPUT) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}


@pytest.mark.parametrize(("change", "message"), [
    ({"job_name_prefix": "x" * 28}, "1..27 chars"),
    ({"capacity_retries": 10}, "capacity_retries must be 0..9"),
    ({"job_name_prefix": "bad_name"}, "SageMaker name pattern"),
    ({"capture_s3_uri": "/local/path"}, "capture_s3_uri must be an s3://"),
    ({"results_s3_uri": "s3://b/team's/results"}, "results_s3_uri may not contain"),
    ({"baseline_constraints_s3_uri": None}, "both or neither"),
    ({"instance_count": 3, "window_seconds": 5 * 3600}, "must divide 24 h"),
    ({"window_seconds": 1800}, "whole number of hours"),
    ({"environment": {"output_path": "/tmp"}}, "may not override the run's own variables: output_path"),
    ({"environment": {"bad-key": "1"}}, "keys must match"),
    ({"environment": {f"extra_{i}": "1" for i in range(40)}}, "SageMaker allows 50"),
])
def test_bad_arguments_are_refused_with_the_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises(StateMachineError, match=re.escape(message)):
        processing_job_state_machine(dataclasses.replace(BASE, **change))


def test_job_name_prefix_is_short_safe_and_deterministic() -> None:
    long_name = "a-very-long-monitor-name-that-goes-on-and-on"
    prefix = job_name_prefix(long_name)
    assert prefix == job_name_prefix(long_name)
    assert prefix != job_name_prefix(long_name, kind="mq")
    assert len(prefix) <= MAX_JOB_NAME_PREFIX
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", prefix)
    assert job_name_prefix("churn").startswith("churn-dq-")


# --- executed in moto ----------------------------------------------------------------------------------------

def _machine(sfn: Any, definition: dict[str, Any]) -> str:
    arn: str = sfn.create_state_machine(name="mm-run", definition=json.dumps(definition),
                                        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn")["stateMachineArn"]
    return arn


def _event_queue() -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="run-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name="us-east-1")
    events.put_rule(Name="run-events", EventPattern=json.dumps({"source": ["modelmonitor"]}))
    events.put_targets(Rule="run-events", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return sqs, url


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def test_moto_success_flow_creates_the_sharded_and_merge_jobs() -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    args = dataclasses.replace(SHARDED, job_name_prefix="credit-dq-1a2b3c")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="mm-artifacts")
    s3.put_object(Bucket="mm-artifacts", Key="captures/credit-default-v3/AllTraffic/2026/11/24/10/00-01-x.jsonl",
                  Body=b"{}")
    definition = offline_variant(processing_job_state_machine(args), hour_path="2026/11/24/10",
                                 shard_path="2026/11/24/10")
    result = run_to_end(sfn, _machine(sfn, definition), "run-1", {
        "window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T11:00:00Z"})
    assert result["status"] == "SUCCEEDED"
    output = json.loads(result["output"])
    assert output["job_id"] == MD5_OF_NAME
    assert entered_states(sfn, result["executionArn"]) == ["ResolveWindow", "PrepareRun", "CheckCaptures",
                                                           "HasCaptures", "Analyze", "Merge", "Succeeded"]
    shard = sagemaker.describe_processing_job(ProcessingJobName=f"credit-dq-1a2b3c-{MD5_OF_NAME}-a0")
    merge = sagemaker.describe_processing_job(ProcessingJobName=f"credit-dq-1a2b3c-{MD5_OF_NAME}-m0")
    # moto keeps inputs, outputs, role, image and stopping condition (not Environment/ProcessingResources:
    # those are checked on the request itself above).
    assert shard["RoleArn"] == args.job_role_arn
    assert shard["AppSpecification"]["ImageUri"] == args.image_uri
    [captures] = [i for i in shard["ProcessingInputs"] if i["InputName"] == "captures"]
    assert captures["S3Input"]["S3Uri"] == f"{args.capture_s3_uri}/2026/11/24/10/"
    assert merge["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"{args.results_s3_uri}/credit-default-v3/credit-default-dq/2026/11/24/10/")
    assert merge["StoppingCondition"]["MaxRuntimeInSeconds"] == args.max_runtime_seconds


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def test_moto_sharded_run_of_an_hour_without_captures_runs_one_full_pass() -> None:
    """SageMaker rejects an S3 input prefix that holds no object ("No S3 objects found under S3 URL" when the
    job starts), so a sharded run of an empty hour would fail and the no-captures alarm could never fire: the
    machine lists the prefix first and runs the single-instance job, which reads S3 itself and reports 0 records."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="mm-artifacts")
    args = dataclasses.replace(SHARDED, job_name_prefix="credit-dq-1a2b3c")
    definition = offline_variant(processing_job_state_machine(args), hour_path="2026/11/24/10",
                                 shard_path="2026/11/24/10")
    result = run_to_end(sfn, _machine(sfn, definition), "run-1", {
        "window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T11:00:00Z"})
    assert result["status"] == "SUCCEEDED", result
    assert entered_states(sfn, result["executionArn"]) == ["ResolveWindow", "PrepareRun", "CheckCaptures",
                                                           "HasCaptures", "AnalyzeEmptyWindow", "Succeeded"]
    job = sagemaker.describe_processing_job(ProcessingJobName=f"credit-dq-1a2b3c-{MD5_OF_NAME}-a0")
    assert not [i for i in job.get("ProcessingInputs", []) if i["InputName"] == "captures"]  # no empty mount
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"{args.results_s3_uri}/credit-default-v3/credit-default-dq/2026/11/24/10/")


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def test_moto_failure_retries_capacity_then_emits_the_failed_run_event() -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sqs, queue = _event_queue()
    args = dataclasses.replace(BASE, job_name_prefix="credit-dq-1a2b3c", capacity_wait_seconds=1,
                               capacity_retries=2)
    definition = offline_variant(processing_job_state_machine(args), hour_path="2026/11/24/10",
                                 shard_path="2026/11/24/10")
    # Make the job task fail with a capacity-like cause: describe a job that does not exist and whose name
    # (echoed in the error message, hence the Cause) contains CapacityError.
    analyze = definition["States"]["Analyze"]
    analyze["Resource"] = "arn:aws:states:::aws-sdk:sagemaker:describeProcessingJob"
    analyze["Parameters"] = {"ProcessingJobName.$": "States.Format('CapacityError-{}', $.attempt.n)"}
    result = run_to_end(sfn, _machine(sfn, definition), "run-2", {
        "window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T11:00:00Z"})
    assert (result["status"], result["error"]) == ("FAILED", "ModelMonitor.RunFailed")
    entered = entered_states(sfn, result["executionArn"])
    assert entered.count("Analyze") == 3  # first try + capacity_retries
    assert entered.count("WaitForCapacity") == 2
    assert entered[-2:] == ["EmitFailedEvent", "RunFailed"]
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(message["Body"])
    assert event["source"] == "modelmonitor"
    assert event["detail-type"] == "ModelMonitor Run State Change"
    detail = event["detail"]
    assert {k: detail[k] for k in ("monitor", "endpoint", "schedule", "engine", "monitoringType", "status",
                                   "violations", "driftedFeatures", "reportUri", "windowStart", "windowEnd",
                                   "evaluationTime")} == {
        "monitor": "lending/credit-default", "endpoint": "credit-default-v3", "schedule": "credit-default-dq",
        "engine": "processingJob", "monitoringType": "DataQuality", "status": "Failed", "violations": 0,
        "driftedFeatures": [], "reportUri": None, "windowStart": "2026-11-24T10:00:00Z",
        "windowEnd": "2026-11-24T11:00:00Z", "evaluationTime": "2026-11-24T11:00:00Z"}
    assert "CapacityError-2" in detail["failureReason"]


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def test_moto_non_capacity_failure_is_not_retried() -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sqs, queue = _event_queue()
    definition = offline_variant(processing_job_state_machine(dataclasses.replace(BASE, job_name_prefix="p")),
                                 hour_path="2026/11/24/10", shard_path="2026/11/24/10")
    analyze = definition["States"]["Analyze"]
    analyze["Resource"] = "arn:aws:states:::aws-sdk:sagemaker:describeProcessingJob"
    analyze["Parameters"] = {"ProcessingJobName": "AlgorithmError-analyzer-crashed"}
    result = run_to_end(sfn, _machine(sfn, definition), "run-3", {
        "window_start": "2026-11-24T10:00:00Z", "window_end": "2026-11-24T11:00:00Z"})
    assert result["status"] == "FAILED"
    assert entered_states(sfn, result["executionArn"]).count("Analyze") == 1
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert "AlgorithmError-analyzer-crashed" in json.loads(message["Body"])["detail"]["failureReason"]


# --- scheduling ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("schedule", "expression"), [
    ("hourly", "cron(10 * ? * * *)"),
    ("daily", "cron(10 0 ? * * *)"),
    ("daily@07", "cron(10 7 ? * * *)"),
    ("every 6h", "cron(10 0/6 ? * * *)"),
    ("cron(0 3/4 ? * * *)", "cron(10 3/4 ? * * *)"),
])
def test_schedule_expressions(schedule: str, expression: str) -> None:
    assert schedule_expression(schedule) == expression


def test_scheduler_target_matches_botocore_create_schedule() -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    target = scheduler_target(f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:credit-run",
                              f"arn:aws:iam::{ACCOUNT}:role/credit-scheduler",
                              dead_letter_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:credit-dlq")
    request = {"Name": "credit-default-dq", "ScheduleExpression": schedule_expression("hourly"),
               "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target}
    shape = botocore.session.get_session().get_service_model("scheduler").operation_model(
        "CreateSchedule").input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    with pytest.raises(StateMachineError, match="not a ModelMonitor schedule"):
        schedule_expression("weekly")


def test_model_quality_runs_carry_ground_truth_and_the_evaluation_time() -> None:
    env = processing_job_state_machine(MODEL_QUALITY)["States"]["Analyze"]["Parameters"]["Environment"]
    assert env["evaluation_time.$"] == "$.evaluation_time"
    assert env["ground_truth_source"] == "s3://mm-artifacts/ground-truth/credit-default"
    assert env["monitoring_type"] == "ModelQuality"
    assert env["cloudwatch_metrics_namespace"] == "ModelMonitor/ModelQuality"
    data_quality_env = processing_job_state_machine(BASE)["States"]["Analyze"]["Parameters"]["Environment"]
    assert "evaluation_time.$" not in data_quality_env and "ground_truth_source" not in data_quality_env
    assert data_quality_env["cloudwatch_metrics_namespace"] == "ModelMonitor/DataQuality"
    with pytest.raises(StateMachineError, match="ground_truth_s3_uri is required for ModelQuality"):
        processing_job_state_machine(dataclasses.replace(MODEL_QUALITY, ground_truth_s3_uri=None))


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
@pytest.mark.parametrize("args", [SHARDED, MODEL_QUALITY], ids=["sharded", "model-quality"])
def test_unmodified_definitions_pass_moto_asl_grammar(args: ProcessingJobMachineArgs) -> None:
    """moto's ANTLR ASL grammar (LocalStack's) parses the real definition — the JSONata state, the .sync task,
    Retry fields such as JitterStrategy — and refuses unknown fields. It does not check intrinsic-function or
    JSONata expression syntax: the executions above and the jsonata-python tests cover those."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    _machine(sfn, processing_job_state_machine(args))
    misspelt = processing_job_state_machine(args)
    misspelt["States"]["PrepareRun"]["Nxt"] = "Analyze"
    with pytest.raises(sfn.exceptions.ClientError, match="Nxt"):
        sfn.create_state_machine(name="misspelt", definition=json.dumps(misspelt),
                                 roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn")
