"""How one scheduled run executes in the demo, per engine, using what the rendered plan declares.

- `modelMonitor`: the schedule's job definition runs our analyzer container under an emulated Processing job
  (processing.py); the service publishes the container's metric lines, and the job's state change goes through
  the plan's executions rule to the alert Lambda, which describes the job (here: the emulated SageMaker below).
- `lambda`: EventBridge Scheduler invokes the analyzer Lambda; here its handler runs in-process with exactly the
  function's declared environment. It reads captures from S3, writes the run's files, publishes its metrics and
  emits the run event itself; the run event reaches the alert Lambda through the plan's EventBridge rule.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from modelmonitor.demo.aws import LocalAws
from modelmonitor.demo.processing import Execution, ExecutionOutcome, run_execution


@dataclass(frozen=True)
class PlannedRun:
    engine: str
    schedule: str
    environment: dict[str, str]
    """The job definition's Environment (modelMonitor) or the analyzer function's (lambda)."""
    results_uri: str
    run_event_pattern: dict[str, Any] | None = None
    """The platform rule that routes this engine's run reports to the alert Lambda: our run events (lambda), the
    processing jobs' state changes (modelMonitor)."""


def planned_run(plan: list[dict[str, Any]], engine: str, monitoring_type: str = "DataQuality") -> PlannedRun:
    if engine == "lambda":
        # the analyzer function of this monitoring type (a zip package by default), not the Platform's alert Lambda
        function = next(r for r in plan if r["type"] == "aws:lambda/function:Function"
                        and r["inputs"]["environment"]["variables"].get("monitoring_type") == monitoring_type)
        env = {str(k): str(v) for k, v in function["inputs"]["environment"]["variables"].items()}
        rule = next(r for r in plan if r["type"] == "aws:cloudwatch/eventRule:EventRule"
                    and '"modelmonitor"' in str(r["inputs"].get("eventPattern")))
        return PlannedRun(engine, env["sagemaker_monitoring_schedule_name"], env, env["output_path"],
                          json.loads(rule["inputs"]["eventPattern"]))
    schedule = next(r for r in plan if r["type"] == "aws:sagemaker/monitoringSchedule:MonitoringSchedule")
    job = next(r for r in plan if r["type"] == "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition")
    environment = job["inputs"]["dataQualityAppSpecification"].get("environment") or {}
    outputs = job["inputs"]["dataQualityJobOutputConfig"]["monitoringOutputs"]
    output = outputs[0] if isinstance(outputs, list) else outputs
    rule = next(r for r in plan if r["type"] == "aws:cloudwatch/eventRule:EventRule"
                and '"aws.sagemaker"' in str(r["inputs"].get("eventPattern")))
    return PlannedRun(engine, str(schedule["inputs"]["name"]), {str(k): str(v) for k, v in environment.items()},
                      str(output["s3Output"]["s3Uri"]), json.loads(rule["inputs"]["eventPattern"]))


@dataclass(frozen=True)
class RunResult:
    status: str
    local_output: Path
    """The run's files, as written (modelMonitor) or downloaded from the results prefix (lambda)."""


@dataclass
class EmulatedSageMaker:
    """The SageMaker reads the alert Lambda makes about Model Monitor executions, answered from the demo's
    emulated processing jobs (moto's DescribeProcessingJob has no ExitMessage)."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def describe_processing_job(self, **kwargs: Any) -> dict[str, Any]:
        return self.jobs[str(kwargs["ProcessingJobName"])]

    def list_tags(self, **_: Any) -> dict[str, Any]:
        return {"Tags": []}

    def list_monitoring_executions(self, **_: Any) -> dict[str, Any]:
        return {"MonitoringExecutionSummaries": []}


def job_state_change(execution: Execution, outcome: ExecutionOutcome, *, region: str, account: str,
                     sagemaker: EmulatedSageMaker) -> dict[str, Any]:
    """The PutEvents entry of the execution's "SageMaker Processing Job State Change" (named as Model Monitor names
    its jobs), registered with the emulated SageMaker so the alert Lambda can describe it."""
    digest = hashlib.sha256(f"{execution.schedule}{execution.window_end}".encode()).hexdigest()[:24]
    name = f"model-monitoring-{execution.window_end:%Y%m%d%H%M}-{digest}"
    arn = f"arn:aws:sagemaker:{region}:{account}:processing-job/{name}"
    status = "Failed" if outcome.status == "Failed" else "Completed"
    created = execution.window_end + timedelta(minutes=2)
    detail = {"ProcessingJobName": name, "ProcessingJobArn": arn, "ProcessingJobStatus": status,
              "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result",
                                                      "S3Output": {"S3Uri": outcome.result_uri.rstrip("/")}}]}}
    if status == "Failed":
        detail["FailureReason"] = outcome.exit_message[:1024]
    sagemaker.jobs[name] = {**detail, "ExitMessage": outcome.exit_message[:1024], "CreationTime": created,
                            "Environment": {"sagemaker_endpoint_name": execution.endpoint,
                                            "sagemaker_monitoring_schedule_name": execution.schedule}}
    return {"Source": "aws.sagemaker", "DetailType": "SageMaker Processing Job State Change", "Resources": [arn],
            "Time": created + timedelta(minutes=10), "Detail": json.dumps(detail)}


def route_run_events(aws: LocalAws, run: PlannedRun) -> str | None:
    """The plan's rule for this engine's run reports on the default bus, with an SQS queue standing in for its
    Lambda target (moto cannot invoke Lambda functions); returns the queue URL the demo drains into the alert
    handler."""
    if run.run_event_pattern is None:
        return None
    sqs, events = aws.client("sqs"), aws.client("events")
    queue_url: str = sqs.create_queue(QueueName="run-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="modelmonitor-runs", EventPattern=json.dumps(run.run_event_pattern))
    events.put_targets(Rule="modelmonitor-runs", Targets=[{"Id": "alert-lambda", "Arn": queue_arn}])
    return queue_url


def deliver_run_events(aws: LocalAws, queue_url: str | None, alert_handler: Callable[..., Any]) -> int:
    """Hand each routed run event to the alert Lambda as EventBridge would; returns the alerts it sent."""
    if queue_url is None:
        return 0
    sqs, sent = aws.client("sqs"), 0
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sent += int(alert_handler(json.loads(message["Body"]), None)["alerted"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sent


def execute_run(run: PlannedRun, *, aws: LocalAws, window_start: datetime, workdir: Path, capture_uri: str,
                endpoint: str, variant: str, statistics_uri: str, constraints_uri: str,
                sagemaker: EmulatedSageMaker | None = None, account: str = "123456789012") -> RunResult:
    s3 = aws.client("s3")
    if run.engine == "lambda":
        return lambda_run(run, s3=s3, window_start=window_start, workdir=workdir)
    execution = Execution(endpoint=endpoint, variant=variant, schedule=run.schedule, capture_uri=capture_uri,
                          statistics_uri=statistics_uri, constraints_uri=constraints_uri,
                          output_uri=run.results_uri, window_start=window_start,
                          window_end=window_start + timedelta(hours=1), environment=run.environment)
    outcome = run_execution(execution, s3=s3, cloudwatch=aws.client("cloudwatch"), workdir=workdir,
                            extra_env=dict(os.environ))
    if sagemaker is not None:
        entry = job_state_change(execution, outcome, region=aws.region, account=account, sagemaker=sagemaker)
        aws.client("events").put_events(Entries=[entry])
    return RunResult(outcome.status, outcome.local_output)


def lambda_run(run: PlannedRun, *, s3: Any, window_start: datetime, workdir: Path,
               label_delay: timedelta = timedelta(0)) -> RunResult:
    """EventBridge Scheduler's invocation of the analyzer function that judges the window starting `window_start`:
    the schedule fires at minute 10 of the hour after the window (labelled types: after the label delay too);
    the handler analyses the hour before its firing time, `label_delay` earlier."""
    from modelmonitor.analyzer.entry import lambda_handler

    fired_at = window_start + timedelta(hours=1, minutes=10) + label_delay
    with mock.patch.dict(os.environ, run.environment):
        response = lambda_handler.handler({"scheduledTime": fired_at.strftime("%Y-%m-%dT%H:%M:%SZ")}, None)
    local = workdir / "output"
    bucket, _, prefix = str(response["reportUri"]).removeprefix("s3://").partition("/")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            target = local / item["Key"][len(prefix):].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
    return RunResult(str(response["status"]), local)
