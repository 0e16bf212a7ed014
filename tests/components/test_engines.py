"""The three engines render complete, correct stacks for the same monitor (Pulumi mocks).

The monitor is examples/lambda-engine.yaml (data quality hourly with three features, model quality daily@4 with
an auc alarm, a baseline dataset). Expected values are written out by hand from the example, the contracts
(docs/internal-contracts.md) and the service documentation — not read back from the code under test.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from modelmonitor.cli import main
from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.components.stepfunctions import ProcessingJobMachineArgs, processing_job_state_machine
from tests.components.conftest import REPO, example, of_type, on_engine, one

MONITOR = "growth-churn-scoring"
BASE = "churn-scoring-c4c8f8"  # name + 6-hex sha256("growth/churn-scoring")
ACCOUNT = "123456789012"
REGION = "us-east-1"
CAPTURES = "s3://acme-growth-captures/churn-scoring/churn-scoring-v2/AllTraffic"
MODEL_MONITOR_TYPES = ("sagemaker/monitoringSchedule", "JobDefinition")
# ≤ 27 chars: the first 17 of BASE, the kind, 6 hex of sha256("churn-scoring-c4c8f8/dq")
JOB_PREFIX = "churn-scoring-c4c-dq-cba694"

_PLANS: dict[str, list[PlannedResource]] = {}


def plan(engine: str, **settings: Any) -> list[PlannedResource]:
    key = f"{engine}{sorted(settings.items())}"
    if key not in _PLANS:
        document = on_engine(example("lambda-engine.yaml"), engine)
        if settings:
            document = document.model_copy(update={"spec": document.spec.model_copy(update={
                "engine_settings": document.spec.engine_settings.model_copy(update=settings)})})
        _PLANS[key] = render_plan([document])
    return _PLANS[key]


def monitor_types(resources: list[PlannedResource]) -> Counter[str]:
    return Counter(r["type"] for r in resources if r["parent"] == MONITOR)


def named(resources: list[PlannedResource], suffix: str, name: str) -> PlannedResource:
    (found,) = [r for r in of_type(resources, suffix) if r["name"] == f"{MONITOR}-{name}"]
    return found


def bucket(resources: list[PlannedResource]) -> str:
    return str(one(resources, "s3/bucket:Bucket")["outputs"]["bucket"])


def test_the_hashes_in_the_names_are_the_documented_ones() -> None:
    import hashlib

    assert "churn-scoring-" + hashlib.sha256(b"growth/churn-scoring").hexdigest()[:6] == BASE
    assert "churn-scoring-c4c-dq-" + hashlib.sha256(f"{BASE}/dq".encode()).hexdigest()[:6] == JOB_PREFIX


EXPECTED_MONITOR_TYPES = {
    "modelMonitor": {
        "aws:iam/role:Role": 1, "aws:iam/rolePolicy:RolePolicy": 1, "pulumi-python:dynamic:Resource": 1,
        "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": 1,
        "aws-native:sagemaker:ModelQualityJobDefinition": 1,
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule": 2,
        # run-level drift + 3 feature drift + dq heartbeat + no captures (our analyzer, the default) + auc
        # + mq heartbeat
        "aws:cloudwatch/metricAlarm:MetricAlarm": 8, "aws:cloudwatch/dashboard:Dashboard": 1},
    "lambda": {
        # monitoring role (baseline job) + per run kind: analyzer role, scheduler role
        "aws:iam/role:Role": 5, "aws:iam/rolePolicy:RolePolicy": 5, "pulumi-python:dynamic:Resource": 1,
        # the analyzer's code bundle, which the baseline job runs on AWS's provided image
        "aws:s3/bucketObjectv2:BucketObjectv2": 1,
        "aws:cloudwatch/logGroup:LogGroup": 2, "aws:lambda/function:Function": 2,
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 2,
        "aws:scheduler/schedule:Schedule": 2, "aws:sqs/queue:Queue": 1,
        # run-level drift + 3 drift + dq heartbeat + no captures + auc + mq heartbeat + ground-truth coverage
        # + runs' dead letters
        "aws:cloudwatch/metricAlarm:MetricAlarm": 10, "aws:cloudwatch/dashboard:Dashboard": 1},
    "processingJob": {
        # monitoring role + per run kind: job role, state machine role, scheduler role
        "aws:iam/role:Role": 7, "aws:iam/rolePolicy:RolePolicy": 7, "pulumi-python:dynamic:Resource": 1,
        "aws:s3/bucketObjectv2:BucketObjectv2": 1,
        "aws:cloudwatch/logGroup:LogGroup": 2, "aws:sfn/stateMachine:StateMachine": 2,
        "aws:scheduler/schedule:Schedule": 2, "aws:sqs/queue:Queue": 1,
        "aws:cloudwatch/metricAlarm:MetricAlarm": 10, "aws:cloudwatch/dashboard:Dashboard": 1},
}


@pytest.mark.parametrize("engine", sorted(EXPECTED_MONITOR_TYPES))
def test_each_engine_renders_its_complete_stack(engine: str) -> None:
    assert monitor_types(plan(engine)) == Counter(EXPECTED_MONITOR_TYPES[engine])


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_our_engines_create_no_model_monitor_resources(engine: str) -> None:
    assert not [r["type"] for r in plan(engine) if any(t in r["type"] for t in MODEL_MONITOR_TYPES)]


def test_lambda_function_runs_our_image_with_the_run_environment() -> None:
    resources = plan("lambda")
    data = bucket(resources)
    function = named(resources, "lambda/function:Function", "dq-analyzer")["inputs"]
    # no analyzerImage set: the zip package (its own name: a package type change replaces the function)
    assert function["name"] == f"{BASE}-dq-analyzer-zip"
    assert function["packageType"] == "Zip"
    assert function["handler"] == "modelmonitor.analyzer.entry.lambda_handler.handler"
    assert (function["memorySize"], function["timeout"]) == (4096, 600)
    assert function["role"] == f"arn:aws:iam::{ACCOUNT}:role/{BASE}-dq-analyzer"
    assert function["environment"]["variables"] == {
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                     "endpointOutput"]}}),
        "dataset_source": CAPTURES,
        "baseline_statistics": f"s3://{data}/baselines/growth/churn-scoring/data-quality/statistics.json",
        "baseline_constraints": f"s3://{data}/baselines/growth/churn-scoring/data-quality/constraints.json",
        "output_path": f"s3://{data}/results/growth/churn-scoring/data-quality",
        "sagemaker_endpoint_name": "churn-scoring-v2",
        "sagemaker_monitoring_schedule_name": f"{BASE}-dq-schedule",
        "drift_methods": "psi,ks,js", "comparison_method": "Robust", "drift_threshold": "0.1",
        "categorical_drift_threshold": "0.1", "publish_cloudwatch_metrics": "Enabled",
        "kll_k": "2048", "kll_c": "0.64",  # SageMaker's analyzer's sketch parameters, the spec's defaults
        "cloudwatch_metrics_namespace": "ModelMonitor/DataQuality", "run_event_bus_name": "default",
        "modelmonitor_monitor": "growth/churn-scoring", "modelmonitor_engine": "lambda",
        "monitoring_type": "DataQuality", "max_window_mb": "1024", "schedule_period_seconds": "3600",
    }
    quality = named(resources, "lambda/function:Function", "mq-analyzer")["inputs"]["environment"]["variables"]
    assert {k: quality[k] for k in (
        "monitoring_type", "cloudwatch_metrics_namespace", "ground_truth_source", "problem_type",
        "probability_attribute", "probability_threshold_attribute", "label_delay_seconds", "output_path",
        "schedule_period_seconds", "sagemaker_monitoring_schedule_name", "dataset_source")} == {
        "monitoring_type": "ModelQuality", "cloudwatch_metrics_namespace": "ModelMonitor/ModelQuality",
        "ground_truth_source": "s3://acme-growth-data/churn/ground-truth", "problem_type": "BinaryClassification",
        "probability_attribute": "0", "probability_threshold_attribute": "0.5", "label_delay_seconds": "172800",
        "output_path": f"s3://{data}/results/growth/churn-scoring/model-quality", "schedule_period_seconds": "86400",
        "sagemaker_monitoring_schedule_name": f"{BASE}-mq-schedule", "dataset_source": CAPTURES}
    assert "baseline_statistics" not in quality and "drift_methods" not in quality
    logs = named(resources, "logGroup:LogGroup", "dq-analyzer-logs")["inputs"]
    assert logs == {"name": f"/aws/lambda/{BASE}-dq-analyzer-zip", "retentionInDays": 30,
                    "tags": {"modelmonitor:monitor": "growth/churn-scoring"}}


def test_failed_async_runs_are_not_retried_and_go_to_the_dead_letter_queue() -> None:
    resources = plan("lambda")
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{BASE}-runs-dlq"
    for kind in ("dq", "mq"):
        config = named(resources, "functionEventInvokeConfig:FunctionEventInvokeConfig", f"{kind}-analyzer-invoke")
        assert config["inputs"] == {"functionName": f"{BASE}-{kind}-analyzer-zip", "maximumRetryAttempts": 0,
                                    "maximumEventAgeInSeconds": 3600,
                                    "destinationConfig": {"onFailure": {"destination": dlq_arn}}}
        # Lambda delivers on-failure destinations with the function's own role
        assert {"Sid": "DeadLetterUndeliveredRuns", "Effect": "Allow", "Action": "sqs:SendMessage",
                "Resource": dlq_arn} in _policy(resources, f"{kind}-analyzer")["Statement"]


def test_platform_repository_lets_only_this_accounts_lambda_functions_pull() -> None:
    policy = json.loads(one(plan("lambda"), "ecr/repositoryPolicy:RepositoryPolicy")["inputs"]["policy"])
    assert policy["Statement"] == [{
        "Sid": "LambdaPullsAnalyzerImage", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Condition": {"StringLike": {"aws:SourceArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:*"}}}]


def test_a_prebuilt_analyzer_image_is_used_for_the_function_and_the_baseline() -> None:
    image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/analyzer@sha256:" + "a" * 64
    resources = plan("lambda", analyzer_image=image)
    assert named(resources, "lambda/function:Function", "dq-analyzer")["inputs"]["imageUri"] == image
    assert one(resources, "pulumi-python:dynamic:Resource")["inputs"]["image_uri"] == image
    # the baseline job's role pulls from that image's repository, not the platform's
    pulls = [s for s in _policy(resources, "monitoring")["Statement"] if "ecr:BatchGetImage" in s["Action"]]
    assert [s["Resource"] for s in pulls] == ["arn:aws:ecr:us-east-1:111122223333:repository/analyzer"]
    processing = plan("processingJob", analyzer_image=image)
    job = {s["Sid"]: s for s in _policy(processing, "dq-job")["Statement"]}
    assert job["PullAnalyzerImage"]["Resource"] == "arn:aws:ecr:us-east-1:111122223333:repository/analyzer"


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_baseline_dataset_runs_our_analyzer_not_the_builtin_one(engine: str) -> None:
    """Our analyzer's code bundle on AWS's provided image (no image of ours to build), uploaded under the
    monitor's own prefix, which the baseline job's role may read."""
    resources = plan(engine)
    baseline = one(resources, "pulumi-python:dynamic:Resource")["inputs"]
    assert baseline["image_uri"] == "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-cpu-py312"
    code = one(resources, "s3/bucketObjectv2:BucketObjectv2")["inputs"]
    assert baseline["code_s3_uri"] == f"s3://{code['bucket']}/{code['key'].removesuffix('bundle.zip')}"
    assert code["key"].startswith("code/growth/churn-scoring/analyzer/")
    reads = [s for s in _policy(resources, "monitoring")["Statement"] if "s3:GetObject" in s["Action"]]
    assert any(f"arn:aws:s3:::{code['bucket']}/code/growth/churn-scoring/analyzer/*" in s["Resource"]
               for s in reads)
    assert "sagemaker-model-monitor-analyzer" not in json.dumps(resources)


def _policy(resources: list[PlannedResource], name: str) -> dict[str, Any]:
    return dict(json.loads(named(resources, "rolePolicy:RolePolicy", f"{name}-policy")["inputs"]["policy"]))


def _trust(resources: list[PlannedResource], name: str) -> dict[str, Any]:
    return dict(json.loads(named(resources, "iam/role:Role", f"{name}-role")["inputs"]["assumeRolePolicy"]))


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_scheduler_fires_on_time_with_retries_a_dead_letter_queue_and_its_own_role(engine: str) -> None:
    resources = plan(engine)
    queue = one(resources, "sqs/queue:Queue")
    assert queue["inputs"]["sqsManagedSseEnabled"] is True
    assert queue["inputs"]["messageRetentionSeconds"] == 14 * 86400
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{BASE}-runs-dlq"
    assert queue["outputs"]["arn"] == dlq_arn
    expressions = {"dq": "cron(10 * ? * * *)", "mq": "cron(10 4 ? * * *)"}  # hourly; daily@4 — 10 min past
    for kind, expression in expressions.items():
        schedule = named(resources, "scheduler/schedule:Schedule", f"{kind}-run-schedule")["inputs"]
        if engine == "lambda":
            target_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{BASE}-{kind}-analyzer-zip"
            run_input = '{"scheduledTime": "<aws.scheduler.scheduled-time>"}'
            allowed = {"Sid": "InvokeAnalyzer", "Effect": "Allow", "Action": "lambda:InvokeFunction",
                       "Resource": [target_arn, f"{target_arn}:*"]}
        else:
            target_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{BASE}-{kind}-run"
            run_input = '{"scheduled_time": "<aws.scheduler.scheduled-time>"}'
            allowed = {"Sid": "StartRun", "Effect": "Allow", "Action": "states:StartExecution",
                       "Resource": target_arn}
        assert schedule == {
            "name": f"{BASE}-{kind}-schedule", "groupName": "default", "state": "ENABLED",
            "description": f"ModelMonitor growth/churn-scoring: {'DataQuality' if kind == 'dq' else 'ModelQuality'} "
                           "run of endpoint churn-scoring-v2",
            "scheduleExpression": expression, "scheduleExpressionTimezone": "UTC",
            "flexibleTimeWindow": {"mode": "OFF"},
            "target": {"arn": target_arn, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{BASE}-{kind}-scheduler",
                       "input": run_input,
                       "retryPolicy": {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 3},
                       "deadLetterConfig": {"arn": dlq_arn}}}
        assert _policy(resources, f"{kind}-scheduler")["Statement"] == [allowed, {
            "Sid": "DeadLetterUndeliveredRuns", "Effect": "Allow", "Action": "sqs:SendMessage",
            "Resource": dlq_arn}]
        (trust,) = _trust(resources, f"{kind}-scheduler")["Statement"]
        assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
        assert trust["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/default"}}


def test_lambda_analyzer_role_is_scoped_to_this_model() -> None:
    resources = plan("lambda")
    data = bucket(resources)
    statements = {s["Sid"]: s for s in _policy(resources, "dq-analyzer")["Statement"]}
    assert statements["PublishMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "ModelMonitor/DataQuality"}}
    assert statements["WriteResults"]["Resource"] == \
        f"arn:aws:s3:::{data}/results/growth/churn-scoring/data-quality/*"
    reads = {r for s in statements.values() if s["Action"] == "s3:GetObject" for r in s["Resource"]}
    assert "arn:aws:s3:::acme-growth-captures/churn-scoring/churn-scoring-v2/AllTraffic/*" in reads
    assert statements["WriteLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{BASE}-dq-analyzer-zip:*"]
    quality = {s["Sid"]: s for s in _policy(resources, "mq-analyzer")["Statement"]}
    assert quality["PublishMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "ModelMonitor/ModelQuality"}}
    assert any("arn:aws:s3:::acme-growth-data/churn/ground-truth/*" in s["Resource"]
               for s in quality.values() if s["Action"] == "s3:GetObject")
    (trust,) = _trust(resources, "dq-analyzer")["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_state_machine_definition_is_the_builders_output() -> None:
    resources = plan("processingJob")
    data = bucket(resources)
    key = one(resources, "kms/key:Key")["outputs"]["arn"]
    code = one(resources, "s3/bucketObjectv2:BucketObjectv2")["inputs"]
    code_prefix = f"s3://{data}/{code['key'].removesuffix('bundle.zip')}"
    machine = named(resources, "sfn/stateMachine:StateMachine", "dq-run")["inputs"]
    expected = processing_job_state_machine(ProcessingJobMachineArgs(
        monitor="growth/churn-scoring", endpoint_name="churn-scoring-v2", schedule_name=f"{BASE}-dq-schedule",
        job_name_prefix=JOB_PREFIX,
        image_uri="763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-cpu-py312",
        job_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{BASE}-dq-job",
        capture_s3_uri=CAPTURES, results_s3_uri=f"s3://{data}/results/growth/churn-scoring/data-quality",
        baseline_statistics_s3_uri=f"s3://{data}/baselines/growth/churn-scoring/data-quality/statistics.json",
        baseline_constraints_s3_uri=f"s3://{data}/baselines/growth/churn-scoring/data-quality/constraints.json",
        metrics_namespace="ModelMonitor/DataQuality", window_seconds=3600, instance_type="ml.m5.xlarge",
        instance_count=1, volume_size_gb=20, max_runtime_seconds=3600,
        environment={"drift_methods": "psi,ks,js", "comparison_method": "Robust", "drift_threshold": "0.1",
                     "categorical_drift_threshold": "0.1", "kll_k": "2048", "kll_c": "0.64"},
        output_kms_key_id=key, partition="aws", region=REGION, code_s3_uri=code_prefix))
    assert json.loads(machine["definition"]) == expected
    assert machine["name"] == f"{BASE}-dq-run" and machine["type"] == "STANDARD"
    assert machine["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{BASE}-dq-states"
    logs = named(resources, "logGroup:LogGroup", "dq-run-logs")
    assert logs["inputs"]["name"] == f"/aws/vendedlogs/states/{BASE}-dq-run"
    assert logs["inputs"]["retentionInDays"] == 30
    assert machine["loggingConfiguration"] == {"level": "ERROR", "includeExecutionData": False,
                                               "logDestination": f"{logs['outputs']['arn']}:*"}
    quality = json.loads(named(resources, "sfn/stateMachine:StateMachine", "mq-run")["inputs"]["definition"])
    analyze = quality["States"]["Analyze"]["Parameters"]
    assert analyze["Environment"]["ground_truth_source"] == "s3://acme-growth-data/churn/ground-truth"
    assert analyze["Environment"]["problem_type"] == "BinaryClassification"
    assert analyze["Environment"]["cloudwatch_metrics_namespace"] == "ModelMonitor/ModelQuality"
    assert "172800000" in quality["States"]["ResolveWindow"]["Output"]  # the 2d label delay, in ms


def test_processing_job_roles() -> None:
    resources = plan("processingJob")
    job = {s["Sid"]: s for s in _policy(resources, "dq-job")["Statement"]}
    assert "PullAnalyzerImage" not in job  # AWS's provided image: SageMaker pulls it, not the role
    assert job["WriteLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/ProcessingJobs:*"]
    (trust,) = _trust(resources, "dq-job")["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    states = {s["Sid"]: s for s in _policy(resources, "dq-states")["Statement"]}
    assert states["PassJobRoleToSageMaker"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{BASE}-dq-job"
    assert states["RunProcessingJobs"]["Resource"] == (
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{JOB_PREFIX}-*")
    assert "DeliverExecutionLogs" in states


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_alarms_and_dashboard_follow_the_engines_namespaces(engine: str) -> None:
    resources = plan(engine)
    alarms = {r["name"].removeprefix(f"{MONITOR}-"): r["inputs"] for r in of_type(resources, "MetricAlarm")
              if r["parent"] == MONITOR}
    assert {a["namespace"] for k, a in alarms.items() if k != "no-model-quality-metrics" and (
        k.startswith("drift-") or k == "no-data-quality-metrics")} == {"ModelMonitor/DataQuality"}
    heartbeat = alarms["no-data-quality-metrics"]
    assert (heartbeat["metricName"], heartbeat["treatMissingData"], heartbeat["dimensions"]) == (
        "monitoring_run_completed", "breaching",
        {"Endpoint": "churn-scoring-v2", "MonitoringSchedule": f"{BASE}-dq-schedule"})
    assert (alarms["no-model-quality-metrics"]["namespace"], alarms["no-model-quality-metrics"]["metricName"]) == (
        "ModelMonitor/ModelQuality", "monitoring_run_completed")
    assert alarms["quality-auc"]["namespace"] == "ModelMonitor/ModelQuality"
    coverage = alarms["ground-truth-coverage"]
    assert {k: coverage[k] for k in ("namespace", "metricName", "threshold", "comparisonOperator", "period",
                                     "statistic")} == {
        "namespace": "ModelMonitor/ModelQuality", "metricName": "ground_truth_coverage", "threshold": 0.7,
        "comparisonOperator": "LessThanThreshold", "period": 86400, "statistic": "Minimum"}
    sentence, context = coverage["alarmDescription"].split("\n\nmodelmonitor:")
    assert "70%" in sentence
    assert json.loads(context) == {
        "monitor": "growth/churn-scoring", "endpoint": "churn-scoring-v2", "schedule": f"{BASE}-mq-schedule",
        "kind": "ground_truth_coverage", "results": f"s3://{bucket(resources)}/results/growth/churn-scoring/"
        "model-quality", "dashboard": "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#dashboards:name=modelmonitor-growth_churn-scoring"}
    no_captures = alarms["no-captures"]
    assert {k: no_captures[k] for k in ("namespace", "metricName", "threshold", "comparisonOperator", "statistic",
                                        "treatMissingData", "dimensions")} == {
        "namespace": "ModelMonitor/DataQuality", "metricName": "records_analyzed", "threshold": 1,
        "comparisonOperator": "LessThanThreshold", "statistic": "Maximum", "treatMissingData": "ignore",
        "dimensions": {"Endpoint": "churn-scoring-v2", "MonitoringSchedule": f"{BASE}-dq-schedule"}}
    # Consecutive empty windows, as many as the heartbeat's missing runs (the heartbeat also spans the period in
    # progress, which holds no datapoint until its run fires: test_alarms_see_runs.py).
    assert no_captures["evaluationPeriods"] == no_captures["datapointsToAlarm"] == heartbeat["evaluationPeriods"] - 1
    assert json.loads(no_captures["alarmDescription"].split("\n\nmodelmonitor:")[1])["kind"] == "no_captures"
    body = named(resources, "dashboard:Dashboard", "dashboard")["inputs"]["dashboardBody"]
    assert "ModelMonitor/DataQuality" in body and "ModelMonitor/ModelQuality" in body
    assert "aws/sagemaker/Endpoints" not in body


def test_model_monitor_engine_keeps_sagemaker_namespaces_and_has_no_coverage_alarm() -> None:
    alarms = [r["inputs"] for r in of_type(plan("modelMonitor"), "MetricAlarm") if r["parent"] == MONITOR]
    # ... except the run-level drift alarm: the alert Lambda publishes features_drifted for Model Monitor runs
    assert {a["namespace"] for a in alarms if a["metricName"] != "features_drifted"} == {
        "aws/sagemaker/Endpoints/data-metrics", "aws/sagemaker/Endpoints/model-metrics"}
    assert {a["namespace"] for a in alarms if a["metricName"] == "features_drifted"} == {"ModelMonitor/DataQuality"}
    assert "ground_truth_coverage" not in {a["metricName"] for a in alarms}
    # Our analyzer under Model Monitor: SageMaker publishes its metric file, records_analyzed included.
    (no_captures,) = [a for a in alarms if a["metricName"] == "records_analyzed"]
    assert no_captures["namespace"] == "aws/sagemaker/Endpoints/data-metrics"


def test_the_builtin_analyzer_gets_no_no_captures_alarm() -> None:
    # It fails a run whose window holds no data (the failed-run alert says so), and has no records metric.
    document = on_engine(example("lambda-engine.yaml"), "modelMonitor")
    spec = document.spec
    builtin = document.model_copy(update={"spec": spec.model_copy(update={
        "data_quality": spec.data_quality.model_copy(update={"analyzer": "builtin"})})})
    alarms = [r["inputs"] for r in of_type(render_plan([builtin]), "MetricAlarm") if r["parent"] == MONITOR]
    assert alarms and "records_analyzed" not in {a["metricName"] for a in alarms}


@pytest.mark.parametrize(("path", "expected"), [
    ("lambda-engine.yaml", {"aws:lambda/function:Function": 3, "aws:scheduler/schedule:Schedule": 2,
                            "aws:sqs/queue:Queue": 1, "aws:cloudwatch/logGroup:LogGroup": 3,
                            "aws:iam/role:Role": 6, "aws:cloudwatch/metricAlarm:MetricAlarm": 10,
                            "pulumi-python:dynamic:Resource": 1, "aws:sfn/stateMachine:StateMachine": 0}),
    ("processing-job.yaml", {"aws:lambda/function:Function": 1, "aws:scheduler/schedule:Schedule": 1,
                             "aws:sqs/queue:Queue": 1, "aws:cloudwatch/logGroup:LogGroup": 2,
                             "aws:iam/role:Role": 5, "aws:cloudwatch/metricAlarm:MetricAlarm": 7,
                             "aws:sfn/stateMachine:StateMachine": 1, "pulumi-python:dynamic:Resource": 0}),
])
def test_render_command_shows_the_full_engine(path: str, expected: dict[str, int],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(REPO / "examples" / path), "--output", "json"]) == 0
    counts = Counter(r["type"] for r in json.loads(capsys.readouterr().out))
    assert {t: counts[t] for t in expected} == expected  # the platform's alert Lambda and its log group included
    assert not [t for t in counts if any(m in t for m in MODEL_MONITOR_TYPES)]


def test_sharded_processing_job_example_merges() -> None:
    resources = render_plan([example("processing-job.yaml")])
    definition = json.loads(one(resources, "sfn/stateMachine:StateMachine")["inputs"]["definition"])
    assert definition["States"]["Analyze"]["Next"] == "Merge"
    cluster = definition["States"]["Analyze"]["Parameters"]["ProcessingResources"]["ClusterConfig"]
    assert cluster == {"InstanceCount": 2, "InstanceType": "ml.m5.2xlarge", "VolumeSizeInGB": 100}
    assert definition["States"]["Analyze"]["Parameters"]["StoppingCondition"] == {"MaxRuntimeInSeconds": 2400}


# parliament rates RESOURCE_STAR LOW: the "*" resources below are the ones IAM cannot scope (no resource type).
UNSCOPABLE = {"cloudwatch:PutMetricData", "ecr:GetAuthorizationToken", "logs:CreateLogDelivery",
              "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
              "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_every_engine_policy_passes_parliament_without_wildcard_actions(engine: str) -> None:
    from tests.components.test_engine_policies import _findings

    checked = 0
    for resource in of_type(plan(engine), "rolePolicy:RolePolicy"):
        if resource["parent"] != MONITOR or resource["name"].endswith("-monitoring-policy"):
            continue
        policy = json.loads(resource["inputs"]["policy"])
        checked += 1
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), (resource["name"], actions)
            if statement["Resource"] == "*":
                assert set(actions) <= UNSCOPABLE, (resource["name"], actions)
        star_only = [(issue, severity) for issue, severity in _findings(policy)
                     if not (issue == "RESOURCE_STAR" and severity == "LOW")]
        assert star_only == [], resource["name"]
    assert checked == (4 if engine == "lambda" else 6)


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_model_quality_without_captured_predictions_is_refused_under_our_engines(engine: str) -> None:
    from modelmonitor.components.spec_checks import MonitorConfigError

    full = on_engine(example("full.yaml"), engine)
    capture = full.spec.data_capture.model_copy(update={"capture_output": False})
    document = full.model_copy(update={"spec": full.spec.model_copy(update={"data_capture": capture})})
    with pytest.raises(MonitorConfigError, match="captureOutput: true"):
        render_plan([document])


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_the_full_example_renders_on_our_engines_with_a_created_endpoint(engine: str) -> None:
    resources = render_plan([on_engine(example("full.yaml"), engine)])
    data = bucket(resources)
    assert not [r for r in resources if any(t in r["type"] for t in MODEL_MONITOR_TYPES)]
    assert one(resources, "sagemaker/endpoint:Endpoint")
    # created endpoints capture into the platform bucket: the runs read {captures}/{endpoint}/{variant}
    if engine == "lambda":
        (function,) = [r for r in of_type(resources, "lambda/function:Function") if r["name"].endswith("dq-analyzer")]
        source = function["inputs"]["environment"]["variables"]["dataset_source"]
    else:
        (machine,) = [r for r in of_type(resources, "stateMachine:StateMachine") if r["name"].endswith("dq-run")]
        source = json.loads(machine["inputs"]["definition"])["States"]["Analyze"]["Parameters"]["Environment"][
            "dataset_source"]
    assert source == f"s3://{data}/captures/credit-default-v3/AllTraffic"
    # full.yaml names its capture key by alias: the analyzer may use exactly that alias's key
    role = "dq-analyzer" if engine == "lambda" else "dq-job"
    (policy,) = [r for r in of_type(resources, "rolePolicy:RolePolicy") if r["name"].endswith(f"{role}-policy")]
    assert {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "arn:aws:kms:us-west-2:123456789012:key/*",
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/lending-ml"]}}} in json.loads(
        policy["inputs"]["policy"])["Statement"]


def test_lambda_reserved_environment_is_refused() -> None:
    from modelmonitor.components.spec_checks import MonitorConfigError

    document = example("lambda-engine.yaml")
    dq = document.spec.data_quality.model_copy(update={"environment": {"AWS_REGION": "eu-west-1", "MY_KNOB": "1"}})
    document = document.model_copy(update={"spec": document.spec.model_copy(update={"data_quality": dq})})
    with pytest.raises(MonitorConfigError, match=r"AWS_REGION are reserved by Lambda's runtime"):
        render_plan([document])
    # the same knob is fine for a processing job
    assert render_plan([on_engine(document, "processingJob")])


def test_a_new_analyzer_build_names_a_new_baseline_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processing job names are unique forever and a job of the same name is adopted (baseline_job.py): a baseline
    computed by an earlier analyzer build must not be adopted by a new one (its statistics, sketch parameters
    and constraints are that build's), so the build's digest is part of the job's name."""
    from modelmonitor.components import monitor

    names = []
    for digest in ("a" * 64, "b" * 64):
        monkeypatch.setattr(monitor, "bundle_digest", lambda _bundle, d=digest: d)
        resources = render_plan([on_engine(example("lambda-engine.yaml"), "lambda")])   # not the cached plan
        names.append(one(resources, "pulumi-python:dynamic:Resource")["inputs"]["job_name"])
    assert names[0] != names[1]
