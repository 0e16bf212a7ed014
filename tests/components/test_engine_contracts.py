"""Contract tests of the lambda and processingJob engines: the rendered Scheduler schedules, analyzer Lambda
functions, state machines, dead-letter queues and log groups, turned into the boto3 requests the provider makes,
are valid for botocore's service models (ParamValidator + enums, patterns, limits) and are created in moto."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.packaging.layers import pandas_layer_arn
from tests.components.boto_contract import request, tag_list, validate
from tests.components.conftest import example, of_type, on_engine

REGION = "us-east-1"
_PLANS: dict[str, list[PlannedResource]] = {}


def plan(engine: str) -> list[PlannedResource]:
    if engine not in _PLANS:
        _PLANS[engine] = render_plan([on_engine(example("lambda-engine.yaml"), engine)])
    return _PLANS[engine]


def monitor_resources(resources: list[PlannedResource], suffix: str) -> list[PlannedResource]:
    return [r for r in of_type(resources, suffix) if r["parent"] == "growth-churn-scoring"]


def create_roles(resources: list[PlannedResource]) -> dict[str, str]:
    """Every role of the monitor in moto's IAM, with its inline policy; name → real ARN."""
    iam = boto3.client("iam")
    arns = {}
    for role in monitor_resources(resources, "iam/role:Role"):
        params = request("iam", "CreateRole", {"roleName": role["inputs"]["name"],
                                               "assumeRolePolicyDocument": role["inputs"]["assumeRolePolicy"]})
        arns[role["inputs"]["name"]] = iam.create_role(**params)["Role"]["Arn"]
    for policy in monitor_resources(resources, "iam/rolePolicy:RolePolicy"):
        iam.put_role_policy(**request("iam", "PutRolePolicy", {
            "roleName": policy["inputs"]["role"], "policyName": "inline",
            "policyDocument": policy["inputs"]["policy"]}))
    return arns


def create_dead_letter_queue(resources: list[PlannedResource]) -> str:
    (queue,) = monitor_resources(resources, "sqs/queue:Queue")
    inputs = queue["inputs"]
    params = request("sqs", "CreateQueue", {"queueName": inputs["name"], "attributes": {
        "SqsManagedSseEnabled": str(inputs["sqsManagedSseEnabled"]).lower(),
        "MessageRetentionPeriod": str(int(inputs["messageRetentionSeconds"]))}, "tags": inputs["tags"]})
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(**params)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert attributes["QueueArn"] == queue["outputs"]["arn"]  # moto's account is the mock's
    return str(attributes["QueueArn"])


def create_log_groups(resources: list[PlannedResource]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    for group in monitor_resources(resources, "logGroup:LogGroup"):
        logs.create_log_group(**request("logs", "CreateLogGroup", {"logGroupName": group["inputs"]["name"],
                                                                   "tags": group["inputs"]["tags"]}))
        logs.put_retention_policy(**request("logs", "PutRetentionPolicy", {
            "logGroupName": group["inputs"]["name"], "retentionInDays": group["inputs"]["retentionInDays"]}))


def schedule_requests(resources: list[PlannedResource]) -> list[dict[str, Any]]:
    return [request("scheduler", "CreateSchedule", schedule["inputs"])
            for schedule in monitor_resources(resources, "scheduler/schedule:Schedule")]


def create_schedules(resources: list[PlannedResource]) -> None:
    scheduler = boto3.client("scheduler", region_name=REGION)
    requests = schedule_requests(resources)
    assert len(requests) == 2
    for params in requests:
        scheduler.create_schedule(**params)
        stored = scheduler.get_schedule(Name=params["Name"], GroupName="default")
        assert stored["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert stored["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}
        assert stored["Target"]["DeadLetterConfig"]["Arn"].endswith(":churn-scoring-c4c8f8-runs-dlq")
        assert stored["ScheduleExpression"] == params["ScheduleExpression"]
        assert json.loads(stored["Target"]["Input"])


def function_request(function: PlannedResource, role_arn: str) -> dict[str, Any]:
    inputs = dict(function["inputs"])
    # pulumi-aws's `code` archive (a file here) is CreateFunction's Code.ZipFile: the provider uploads its bytes
    wire = {k: v for k, v in inputs.items() if k not in ("code", "tags", "role")}
    return request("lambda", "CreateFunction", wire, {"name": "FunctionName"}, {
        "Code": {"ZipFile": Path(inputs["code"]["file"]).read_bytes()}, "Role": role_arn, "Tags": inputs["tags"]})


def test_lambda_engine_requests_are_valid_and_moto_creates_them() -> None:
    resources = plan("lambda")
    with mock_aws():
        roles = create_roles(resources)
        create_dead_letter_queue(resources)
        create_log_groups(resources)
        lam = boto3.client("lambda", region_name=REGION)
        functions = monitor_resources(resources, "lambda/function:Function")
        assert len(functions) == 2
        for function in functions:
            params = function_request(function, roles[function["inputs"]["role"].rsplit("/", 1)[-1]])
            # botocore validated the request with its Layers; moto knows only layers published in its own account,
            # not AWS's pandas layer account, so it creates the function without them
            assert params.pop("Layers") == [pandas_layer_arn(REGION, "3.12", "x86_64")]
            created = lam.create_function(**params)
            assert created["PackageType"] == "Zip"
            assert created["FunctionArn"] == function["outputs"]["arn"]
            assert (created["Runtime"], created["Handler"]) == (
                "python3.12", "modelmonitor.analyzer.entry.lambda_handler.handler")
            stored = lam.get_function(FunctionName=params["FunctionName"])
            assert stored["Configuration"]["CodeSize"] == len(params["Code"]["ZipFile"])
            assert stored["Configuration"]["Environment"]["Variables"] == \
                function["inputs"]["environment"]["variables"]
            assert (stored["Configuration"]["MemorySize"], stored["Configuration"]["Timeout"]) == (4096, 600)
        for config in monitor_resources(resources, "functionEventInvokeConfig:FunctionEventInvokeConfig"):
            params = request("lambda", "PutFunctionEventInvokeConfig", config["inputs"])
            lam.put_function_event_invoke_config(**params)
            stored = lam.get_function_event_invoke_config(FunctionName=params["FunctionName"])
            assert stored["MaximumRetryAttempts"] == 0
            assert stored["DestinationConfig"]["OnFailure"]["Destination"].endswith(":churn-scoring-c4c8f8-runs-dlq")
        create_schedules(resources)


def state_machine_request(machine: PlannedResource, role_arn: str) -> dict[str, Any]:
    inputs = machine["inputs"]
    logging = inputs["loggingConfiguration"]
    params = {
        "name": inputs["name"], "definition": inputs["definition"], "roleArn": role_arn, "type": inputs["type"],
        # pulumi-aws's log_destination is the API's destinations[].cloudWatchLogsLogGroup.logGroupArn
        "loggingConfiguration": {"level": logging["level"], "includeExecutionData": logging["includeExecutionData"],
                                 "destinations": [{"cloudWatchLogsLogGroup": {
                                     "logGroupArn": logging["logDestination"]}}]},
        "tags": [{"key": t["Key"], "value": t["Value"]} for t in tag_list(inputs["tags"])],
    }
    validate("stepfunctions", "CreateStateMachine", params)
    return params


def test_processing_job_engine_requests_are_valid_and_moto_creates_them() -> None:
    resources = plan("processingJob")
    with mock_aws():
        roles = create_roles(resources)
        create_dead_letter_queue(resources)
        create_log_groups(resources)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machines = monitor_resources(resources, "sfn/stateMachine:StateMachine")
        assert len(machines) == 2
        for machine in machines:
            params = state_machine_request(machine, roles[machine["inputs"]["roleArn"].rsplit("/", 1)[-1]])
            arn = sfn.create_state_machine(**params)["stateMachineArn"]
            assert arn == machine["outputs"]["arn"]
            described = sfn.describe_state_machine(stateMachineArn=arn)
            assert json.loads(described["definition"]) == json.loads(machine["inputs"]["definition"])
            assert described["loggingConfiguration"]["level"] == "ERROR"
        create_schedules(resources)


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_schedule_requests_validate_strictly(engine: str) -> None:
    for params in schedule_requests(plan(engine)):
        assert params["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert params["State"] == "ENABLED"
        assert params["Target"]["Arn"].startswith(
            "arn:aws:lambda:" if engine == "lambda" else "arn:aws:states:")


def test_lambda_package_is_a_zip_on_the_pandas_layer_with_no_image_to_build() -> None:
    """The default engine deploys with no Docker anywhere: a zip archive, the managed layer, no image at all."""
    resources = plan("lambda")
    for function in monitor_resources(resources, "lambda/function:Function"):
        inputs = function["inputs"]
        assert inputs["packageType"] == "Zip" and "imageUri" not in inputs and "imageConfig" not in inputs
        assert zipfile.is_zipfile(inputs["code"]["file"])
        assert inputs["layers"] == [pandas_layer_arn(REGION, "3.12", "x86_64")]
    assert not of_type(resources, "docker-build:index:Image")


