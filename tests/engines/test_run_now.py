"""`modelmonitor run-now`: each engine's request against botocore's service model (ParamValidator + patterns),
Step Functions against moto, Lambda and SageMaker monitoring schedules (not in moto / Invoke needs Docker)
through botocore's Stubber."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from modelmonitor.cli import main
from modelmonitor.components.names import MonitorNames
from modelmonitor.components.render import MOCK_ACCOUNT, render_plan
from modelmonitor.loader import parse_document
from modelmonitor.run_now import (
    RunNowError,
    Window,
    build_run_now_request,
    execute,
    offset,
    poll,
    previous_hour,
)
from modelmonitor.spec import ModelMonitorDocument
from tests.components.boto_contract import validate

NOW = datetime(2026, 11, 24, 10, 25, 0, tzinfo=UTC)
WINDOW = Window(datetime(2026, 11, 24, 8, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC))
BASE = MonitorNames("lending", "churn").base


def _manifest(engine: str) -> dict[str, Any]:
    return {"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
            "metadata": {"name": "churn", "namespace": "lending"},
            "spec": {"region": "us-east-1", "engine": engine, "endpoint": {"existing": {"name": "churn-prod"}},
                     "dataCapture": {"destinationS3Uri": "s3://acme/captures"},
                     "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme/b/statistics.json",
                                                  "constraintsS3Uri": "s3://acme/b/constraints.json"}}}}


def _doc(engine: str) -> ModelMonitorDocument:
    return parse_document(_manifest(engine))


def _model_monitor_plan() -> tuple[str, str]:
    """(schedule name, job definition name) as the component creates them: the job definition is auto-named."""
    plan = render_plan([_doc("modelMonitor")])
    (schedule,) = [r for r in plan if r["type"].endswith("monitoringSchedule:MonitoringSchedule")]
    (job,) = [r for r in plan if r["type"].endswith("dataQualityJobDefinition:DataQualityJobDefinition")]
    assert "name" not in job["inputs"]  # auto-named: a replacement must not collide with the old definition
    return schedule["inputs"]["name"], job["outputs"]["name"]


def test_model_monitor_request_is_a_one_off_schedule() -> None:
    _, job_definition = _model_monitor_plan()
    request = build_run_now_request(_doc("modelMonitor"), WINDOW, now=NOW, job_definition_name=job_definition)
    assert (request.service, request.operation) == ("sagemaker", "CreateMonitoringSchedule")
    validate("sagemaker", "CreateMonitoringSchedule", request.params)
    assert request.params["MonitoringScheduleName"] == f"{BASE}-dq-now-24102500"
    assert request.params["MonitoringScheduleConfig"] == {
        # 08:00 is 2 h 25 min before 10:25, 09:00 is 1 h 25 min before
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT2H25M",
                           "DataAnalysisEndTime": "-PT1H25M"},
        "MonitoringJobDefinitionName": job_definition, "MonitoringType": "DataQuality"}


def test_lambda_request_invokes_the_analyzer_with_the_window() -> None:
    request = build_run_now_request(_doc("lambda"), WINDOW, now=NOW)
    validate("lambda", "Invoke", request.params)
    assert request.params["FunctionName"] == f"{BASE}-dq-analyzer-zip"  # no analyzerImage: the zip package
    assert request.params["InvocationType"] == "RequestResponse"
    assert json.loads(request.params["Payload"]) == {"window_start": "2026-11-24T08:00:00Z",
                                                     "window_end": "2026-11-24T09:00:00Z"}
    assert build_run_now_request(_doc("lambda"), WINDOW, now=NOW, wait=False).params["InvocationType"] == "Event"


def test_processing_job_request_starts_the_state_machine() -> None:
    request = build_run_now_request(_doc("processingJob"), WINDOW, now=NOW, account_id=MOCK_ACCOUNT)
    validate("stepfunctions", "StartExecution", request.params)
    assert request.params["stateMachineArn"] == _rendered("processingJob", "sfn/stateMachine:StateMachine")["arn"]
    assert request.params["name"] == "run-now-20261124T0800-20261124T102500"


def _rendered(engine: str, type_suffix: str, kind: str = "dq") -> dict[str, Any]:
    """The outputs of the resource the component creates for this run kind (the rendered plan, not a name this
    test spells)."""
    plan = render_plan([_doc(engine)])
    (resource,) = [r for r in plan if r["type"].endswith(type_suffix)
                   and r["name"].endswith((f"-{kind}-run", f"-{kind}-analyzer"))]
    return resource["outputs"]


def test_run_now_targets_what_the_components_create() -> None:
    """run-now finds the function / state machine the component created: both names come from the plan."""
    invoke = build_run_now_request(_doc("lambda"), WINDOW, now=NOW)
    assert invoke.params["FunctionName"] == _rendered("lambda", "lambda/function:Function")["name"]


@pytest.mark.parametrize(("engine", "window", "message"), [
    ("lambda", Window(WINDOW.end, WINDOW.start), "is not after"),
    ("lambda", Window(WINDOW.start, datetime(2026, 11, 24, 11, tzinfo=UTC)), "in the future"),
    ("modelMonitor", Window(datetime(2026, 11, 22, tzinfo=UTC), WINDOW.end), "at most 24 hours"),
])
def test_bad_windows_are_refused(engine: str, window: Window, message: str) -> None:
    with pytest.raises(RunNowError, match=message):
        build_run_now_request(_doc(engine), window, now=NOW)


def test_model_quality_must_be_enabled() -> None:
    with pytest.raises(RunNowError, match="modelQuality is not enabled"):
        build_run_now_request(_doc("lambda"), WINDOW, now=NOW, monitoring_type="ModelQuality")


def test_offsets_and_default_window() -> None:
    assert offset(NOW - NOW) == "-PT0H"
    assert offset(NOW - WINDOW.start) == "-PT2H25M"
    assert previous_hour(NOW) == Window(datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC))


def test_poll_is_bounded() -> None:
    clock = iter(range(100))
    calls: list[float] = []
    assert poll(lambda: None, timeout=5, interval=2, sleep=calls.append, clock=lambda: float(next(clock))) is None
    assert len(calls) <= 5


def _streaming(payload: dict[str, Any]) -> StreamingBody:
    body = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(body), len(body))


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")


@pytest.mark.usefixtures("fake_credentials")
@pytest.mark.parametrize(("response", "status", "code"), [
    ({"StatusCode": 200, "Payload": {"status": "CompletedWithViolations", "summary": "3 violation(s)",
                                     "reportUri": "s3://b/r/"}}, "CompletedWithViolations", 1),
    ({"StatusCode": 200, "FunctionError": "Unhandled",
      "Payload": {"errorType": "AnalyzerInputError", "errorMessage": "window holds 3000 MB"}}, "Failed", 3),
])
def test_lambda_run_now_prints_the_function_verdict(response: dict[str, Any], status: str, code: int) -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    stubber = Stubber(client)
    request = build_run_now_request(_doc("lambda"), WINDOW, now=NOW)
    stubber.add_response("invoke", {**response, "Payload": _streaming(response["Payload"])}, request.params)
    with stubber:
        verdict = execute(_doc("lambda"), WINDOW, monitoring_type="DataQuality", wait=True, timeout=60,
                          client=lambda service: client, now=NOW)
    stubber.assert_no_pending_responses()
    assert (verdict.status, verdict.exit_code) == (status, code)
    if status == "Failed":
        assert verdict.detail == "AnalyzerInputError: window holds 3000 MB"


@pytest.mark.usefixtures("fake_credentials")
def test_lambda_run_now_without_waiting_names_the_invocation() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    stubber = Stubber(client)
    request = build_run_now_request(_doc("lambda"), WINDOW, now=NOW, wait=False)
    assert request.params["InvocationType"] == "Event"
    stubber.add_response("invoke", {"StatusCode": 202, "ResponseMetadata": {
        "RequestId": "c0ffee00-1111-2222-3333-444455556666", "HTTPStatusCode": 202}}, request.params)
    with stubber:
        verdict = execute(_doc("lambda"), WINDOW, monitoring_type="DataQuality", wait=False, timeout=0,
                          client=lambda service: client, now=NOW)
    stubber.assert_no_pending_responses()
    assert (verdict.status, verdict.detail) == \
        ("Started", "asynchronous invocation accepted (request id c0ffee00-1111-2222-3333-444455556666)")


@pytest.mark.usefixtures("fake_credentials")
def test_model_monitor_run_now_waits_then_deletes_the_one_off_schedule() -> None:
    client = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(client)
    monitor_schedule, job_definition = _model_monitor_plan()
    # run-now asks the monitor's schedule (fixed name) which (auto-named) job definition it runs
    stubber.add_response("describe_monitoring_schedule", {
        "MonitoringScheduleArn": f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{monitor_schedule}",
        "MonitoringScheduleName": monitor_schedule, "MonitoringScheduleStatus": "Scheduled",
        "CreationTime": NOW, "LastModifiedTime": NOW,
        "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": job_definition, "MonitoringType": "DataQuality",
                                     "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}},
        {"MonitoringScheduleName": monitor_schedule})
    request = build_run_now_request(_doc("modelMonitor"), WINDOW, now=NOW, job_definition_name=job_definition)
    schedule = request.params["MonitoringScheduleName"]
    stubber.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": f"arn:aws:sagemaker:us-east-1:"
                                                        f"123456789012:monitoring-schedule/{schedule}"}, request.params)

    def summaries(status: str) -> dict[str, Any]:
        return {"MonitoringExecutionSummaries": [{
            "MonitoringScheduleName": schedule, "ScheduledTime": NOW, "CreationTime": NOW, "LastModifiedTime": NOW,
            "MonitoringExecutionStatus": status,
            "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/x"}]}

    stubber.add_response("list_monitoring_executions", summaries("InProgress"), {"MonitoringScheduleName": schedule})
    stubber.add_response("list_monitoring_executions", summaries("CompletedWithViolations"),
                         {"MonitoringScheduleName": schedule})
    stubber.add_response("delete_monitoring_schedule", {}, {"MonitoringScheduleName": schedule})
    slept: list[float] = []
    with stubber:
        verdict = execute(_doc("modelMonitor"), WINDOW, monitoring_type="DataQuality", wait=True, timeout=600,
                          client=lambda service: client, now=NOW, sleep=slept.append)
    stubber.assert_no_pending_responses()
    assert verdict.status == "CompletedWithViolations" and len(slept) == 1


@pytest.fixture
def moto_sfn(fake_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


@pytest.mark.usefixtures("moto_sfn")
def test_processing_job_run_now_on_moto() -> None:
    def client(service: str) -> Any:
        return boto3.client(service, region_name="us-east-1")

    iam = client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "states.amazonaws.com"}}]}))["Role"]["Arn"]
    # Stands in for the engine's machine: echoes its input and names the (moto) processing job it "ran".
    definition = {"StartAt": "Done", "States": {"Done": {
        "Type": "Pass", "Result": {"ProcessingJobName": "churn-dq-job-1"}, "ResultPath": "$.analysis", "End": True}}}
    machine = _rendered("processingJob", "sfn/stateMachine:StateMachine")["name"]  # what the component creates
    client("stepfunctions").create_state_machine(name=machine, definition=json.dumps(definition), roleArn=role)
    client("sagemaker").create_processing_job(
        ProcessingJobName="churn-dq-job-1", RoleArn=role,
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 20}},
        AppSpecification={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/analyzer:1"})

    started = execute(_doc("processingJob"), WINDOW, monitoring_type="DataQuality", wait=False, timeout=10,
                      client=client, now=NOW)
    assert started.status == "Started"
    described = client("stepfunctions").describe_execution(executionArn=started.detail)
    assert json.loads(described["input"]) == {"window_start": "2026-11-24T08:00:00Z",
                                              "window_end": "2026-11-24T09:00:00Z"}

    verdict = execute(_doc("processingJob"), WINDOW, monitoring_type="DataQuality", wait=True, timeout=10,
                      client=client, now=datetime(2026, 11, 24, 10, 26, tzinfo=UTC),
                      sleep=lambda s: time.sleep(min(s, 0.05)))
    assert verdict.status == "Completed" and "churn-dq-job-1" in verdict.detail


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump(_manifest("lambda")))
    assert main(["run-now", str(manifest), "--window-start", "2026-11-24T08:00:00Z"]) == 2
    assert "go together" in capsys.readouterr().err
    assert main(["run-now", str(manifest), "--window-start", "2999-01-01T00:00:00Z",
                 "--window-end", "2999-01-01T01:00:00Z"]) == 2
    assert "in the future" in capsys.readouterr().err
    assert main(["run-now", str(manifest), "--name", "other/x"]) == 2
    assert "pass --name" in capsys.readouterr().err
