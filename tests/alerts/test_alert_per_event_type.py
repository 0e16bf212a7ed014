"""Each accepted event type end to end: moto S3 + SNS→SQS, botocore Stubber for the SageMaker calls moto lacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from modelmonitor.alerts import handler
from tests.alerts.conftest import BUCKET, RUN_PREFIX, World, load_event, violations_bytes

LATEST = f"{RUN_PREFIX}/2026/11/24/10"
ANALYZER_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
JOB = "model-monitoring-202611241000-5d1e0a2b9c8f7e6d5c4b3a29"

DRIFT_SUBJECT = "[ModelMonitor] ALARM data drift: lending/credit-default"
DRIFT_BODY = """\
ALARM: mm-lending-credit-default-data-drift on lending/credit-default / credit-default-dq

A feature's distribution drifted from the training baseline beyond 0.1 (L-infinity distance): predictions may degrade.

Model:     lending/credit-default
Endpoint:  credit-default-v3
Schedule:  credit-default-dq
State:     ALARM since 2026-11-24T11:05:12.123+0000 (was OK)
Reason:    Threshold Crossed: 1 out of the last 1 datapoints [0.4123 (24/11/26 10:00:00)] was greater than the \
threshold (0.1) (minimum 1 datapoint for OK -> ALARM transition).

Top violations (3 of 3):
  - income: distance 0.4123 > threshold 0.1 (baseline_drift_check)
  - age: distance 0.2 > threshold 0.1 (baseline_drift_check)
  - zip_code: missing_column_check - There are missing columns in current dataset. Number of columns in current \
dataset: 3, Number of columns in baseline constraints: 4

Report:    s3://mm-artifacts/results/lending/credit-default/data-quality/credit-default-v3/credit-default-dq/2026/11/24/10/
Console:   https://s3.console.aws.amazon.com/s3/buckets/mm-artifacts?region=us-east-1&prefix=results%2Flending%2F\
credit-default%2Fdata-quality%2Fcredit-default-v3%2Fcredit-default-dq%2F2026%2F11%2F24%2F10%2F
Dashboard: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/\
mm-credit-default
Alarm:     https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/\
mm-lending-credit-default-data-drift

Next step: Open the report and compare the drifted features with the baseline; if the shift is expected, \
re-baseline, otherwise trace the upstream data source feeding the endpoint.

Incident: data quality of credit-default-v3 / credit-default-dq, open since 2026-11-24 11:05 UTC (1 firing \
signal(s); still firing: alarm:mm-lending-credit-default-data-drift).
Worst so far: 3 violation(s) in one run or alarm; largest drift income at distance 0.4123; \
mm-lending-credit-default-data-drift up to 0.4123.
No further alert for this incident unless it is still open 1d after this one; a RESOLVED alert follows once the \
runs are clean and its alarms are OK."""

FAILED_SUBJECT = "[ModelMonitor] FAILED monitoring run: credit-default-v3"
FAILED_BODY = """\
FAILED: processing job model-monitoring-202611241000-5d1e0a2b9c8f7e6d5c4b3a29 failed on credit-default-v3 / \
credit-default-dq

A monitoring run failed: this window was not analysed.

Endpoint:  credit-default-v3
Schedule:  credit-default-dq
State:     FAILED
Reason:    AlgorithmError: Error: Baseline constraints file not found at \
/opt/ml/processing/baseline/constraints/constraints.json

Job:       https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/processing-jobs/\
model-monitoring-202611241000-5d1e0a2b9c8f7e6d5c4b3a29

Next step: Read the failure reason and the run's logs (SageMaker jobs: /aws/sagemaker/ProcessingJobs; lambda \
engine: the analyzer function's log group); fix the cause (permissions, baseline, input data) and wait for the next \
scheduled run."""


def _summary(**counts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"processed": 1, "alerted": 0, "duplicates": 0, "malformed": 0, "ignored": 0,
                            "grouped": 0, "degraded": 0, "errors": []}
    return {**base, **counts}


def test_drift_alarm_reads_the_latest_hour_folder_and_ranks_features(world: World, sagemaker: Stubber) -> None:
    world.put(f"{LATEST}/constraint_violations.json", violations_bytes())
    older = {"violations": [{"feature_name": "old", "constraint_check_type": "baseline_drift_check",
                             "description": "distance: 0.9 exceeds threshold: 0.1"}]}
    world.put(f"{RUN_PREFIX}/2026/11/23/09/constraint_violations.json", json.dumps(older).encode())
    world.put(f"{RUN_PREFIX}/2026/11/24/09/constraint_violations.json", json.dumps(older).encode())
    world.put(f"{RUN_PREFIX}/2025/12/31/23/constraint_violations.json", json.dumps(older).encode())

    summary = handler.handle(load_event("sns_alarm_drift_metric_math.json"), world.runtime())

    assert summary == _summary(alerted=1)
    assert world.published() == [(DRIFT_SUBJECT, DRIFT_BODY)]


def test_alarm_without_context_line_uses_dimensions_and_monitoring_executions(world: World, sagemaker: Stubber) -> None:
    stubber = sagemaker
    run = "s3://mm-artifacts/churn/churn-prod/churn-prod-dq/2026/11/24/10"
    job_arn = "arn:aws:sagemaker:us-east-1:123456789012:processing-job/model-monitoring-202611241000-abc"
    stubber.add_response(
        "list_monitoring_executions",
        {"MonitoringExecutionSummaries": [{
            "MonitoringScheduleName": "churn-prod-dq", "ScheduledTime": "2026-11-24T10:00:00Z",
            "CreationTime": "2026-11-24T10:02:00Z", "LastModifiedTime": "2026-11-24T10:20:00Z",
            "MonitoringExecutionStatus": "CompletedWithViolations", "ProcessingJobArn": job_arn,
            "EndpointName": "churn-prod"}]},
        {"MonitoringScheduleName": "churn-prod-dq", "SortBy": "ScheduledTime", "SortOrder": "Descending",
         "MaxResults": 5},
    )
    stubber.add_response("describe_processing_job", _describe_job("model-monitoring-202611241000-abc", run, ""),
                         {"ProcessingJobName": "model-monitoring-202611241000-abc"})
    tenure = {"violations": [{"feature_name": "tenure", "constraint_check_type": "baseline_drift_check",
                              "description": "Baseline drift distance: 0.31 exceeds threshold: 0.2"}]}
    world.put("churn/churn-prod/churn-prod-dq/2026/11/24/10/constraint_violations.json", json.dumps(tenure).encode())
    # No modelmonitor line: endpoint/schedule come from the dimensions, the kind from the metric name.
    summary = handler.handle(load_event("sns_alarm_single_metric_dimensions_only.json"), world.runtime())

    assert summary == _summary(alerted=1)
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] ALARM data drift: churn-prod"
    assert "Endpoint:  churn-prod\nSchedule:  churn-prod-dq\n" in body
    assert "  - tenure: distance 0.31 > threshold 0.2 (baseline_drift_check)" in body
    assert f"Report:    {run}/" in body


def test_drift_alarm_back_to_ok_with_no_open_incident_sends_nothing(world: World, sagemaker: Stubber) -> None:
    # The OK closes an incident (RESOLVED, test_incident_lifecycle.py); alone it has nothing to announce and reads
    # nothing from S3 (the Stubber would report a SageMaker call).
    summary = handler.handle(load_event("sns_alarm_ok.json"), world.runtime())
    assert summary == _summary(ignored=1)
    assert world.published() == []


def test_heartbeat_alarm_gets_meta_wording_and_a_concrete_next_step(world: World, sagemaker: Stubber) -> None:
    handler.handle(load_event("sns_alarm_no_metrics.json"), world.runtime())
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] ALARM no monitoring metrics: lending/credit-default"
    assert "No monitoring run reported metrics for credit-default-v3 in 3 schedule periods." in body
    assert ("aws sagemaker list-monitoring-executions --monitoring-schedule-name credit-default-dq --sort-by "
            "ScheduledTime --sort-order Descending") in body


@pytest.mark.parametrize(
    ("kind", "expected_words"),
    [
        ("no_captures", ["No new data-capture files arrived", "describe-endpoint --endpoint-name credit-default-v3"]),
        ("ground_truth_coverage", ["Too few predictions have ground-truth labels", "eventId/inferenceId"]),
        ("execution_failed", ["A monitoring run failed", "/aws/sagemaker/ProcessingJobs"]),
    ],
)
def test_each_meta_kind_has_its_own_wording(
    world: World, sagemaker: Stubber, kind: str, expected_words: list[str]
) -> None:
    event = load_event("sns_alarm_no_metrics.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message["AlarmDescription"] = message["AlarmDescription"].split("\n")[-1].replace("no_metrics", kind)
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    handler.handle(event, world.runtime())
    [(_, body)] = world.published()
    for words in expected_words:
        assert words in body


SCHEDULE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/credit-default-dq"


def _schedule_tags(notify: str) -> dict[str, Any]:
    return {"Tags": [{"Key": "modelmonitor:monitor", "Value": "lending/credit-default"},
                     {"Key": "modelmonitor:notify-on-execution-failure", "Value": notify}]}


def test_failed_processing_job_alerts_with_the_failure_reason(world: World, sagemaker: Stubber) -> None:
    # The documented event carries no Environment: endpoint and schedule come from DescribeProcessingJob.
    sagemaker.add_response("describe_processing_job", _describe_job(JOB, "", "", status="Failed"),
                           {"ProcessingJobName": JOB})
    sagemaker.add_response("list_tags", _schedule_tags("true"), {"ResourceArn": SCHEDULE_ARN})
    summary = handler.handle(load_event("eventbridge_processing_job_failed.json"), world.runtime())
    assert summary == _summary(alerted=1)
    assert world.published() == [(FAILED_SUBJECT, FAILED_BODY)]


def test_failed_execution_of_a_monitor_that_opted_out_is_not_alerted(world: World, sagemaker: Stubber) -> None:
    """spec.alerting.notifyOnExecutionFailure: false reaches the handler as the schedule's tag."""
    sagemaker.add_response("describe_processing_job", _describe_job(JOB, "", "", status="Failed"),
                           {"ProcessingJobName": JOB})
    sagemaker.add_response("list_tags", _schedule_tags("false"), {"ResourceArn": SCHEDULE_ARN})
    summary = handler.handle(load_event("eventbridge_processing_job_failed.json"), world.runtime())
    assert summary == _summary(ignored=1)
    assert world.published() == []


def test_unreadable_schedule_tags_still_alert_with_a_note(world: World, sagemaker: Stubber) -> None:
    sagemaker.add_response("describe_processing_job", _describe_job(JOB, "", "", status="Failed"),
                           {"ProcessingJobName": JOB})
    sagemaker.add_client_error("list_tags", "AccessDeniedException", "not allowed", 400)
    summary = handler.handle(load_event("eventbridge_processing_job_failed.json"), world.runtime())
    assert summary["alerted"] == 1 and summary["degraded"] == 1
    [(_, body)] = world.published()
    assert "ListTags(credit-default-dq): AccessDeniedException: not allowed" in body


def test_completed_job_with_violations_exit_message_alerts(world: World, sagemaker: Stubber) -> None:
    stubber = sagemaker
    run = f"s3://{BUCKET}/{LATEST}"
    exit_message = "CompletedWithViolations: Job completed successfully with 3 violations."
    stubber.add_response("describe_processing_job", _describe_job(JOB, run, exit_message), {"ProcessingJobName": JOB})
    world.put(f"{LATEST}/constraint_violations.json", violations_bytes())

    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())

    assert summary == _summary(alerted=1)
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] VIOLATIONS data drift: credit-default-v3"
    assert "Top violations (3 of 3):\n  - income: distance 0.4123 > threshold 0.1" in body
    assert f"Report:    {run}/" in body


OWN_ENGINE_ENV = {"sagemaker_endpoint_name": "credit-default-v3", "sagemaker_monitoring_schedule_name":
                  "credit-default-dq", "cloudwatch_metrics_namespace": "ModelMonitor/DataQuality"}


def _own_engine_job(status: str, exit_message: str = "") -> dict[str, Any]:
    return {**_describe_job(JOB, "s3://x/y", exit_message, status=status), "Environment": OWN_ENGINE_ENV}


@pytest.mark.parametrize(("event", "status", "exit_message"), [
    ("eventbridge_processing_job_failed.json", "Failed", ""),
    ("eventbridge_processing_job_completed.json", "Completed",
     "CompletedWithViolations: Job completed successfully with 3 violations."),
])
def test_jobs_of_our_processing_job_engine_leave_alerting_to_their_run_event(
        world: World, sagemaker: Stubber, event: str, status: str, exit_message: str) -> None:
    """The state machine's job also emits our run event (Failed / CompletedWithViolations), which alerts: the
    job's own state change would be a second alert for the same run."""
    sagemaker.add_response("describe_processing_job", _own_engine_job(status, exit_message),
                           {"ProcessingJobName": JOB})
    summary = handler.handle(load_event(event), world.runtime())
    assert summary == _summary(ignored=1)
    assert world.published() == []


def test_an_event_carrying_our_engines_environment_needs_no_lookup(world: World, sagemaker: Stubber) -> None:
    event = load_event("eventbridge_processing_job_failed.json")
    event["detail"]["Environment"] = OWN_ENGINE_ENV
    summary = handler.handle(event, world.runtime())  # no Stubber response queued: any SageMaker call would fail
    assert summary == _summary(ignored=1)
    assert world.published() == []


def test_completed_job_without_violations_is_ignored(world: World, sagemaker: Stubber) -> None:
    stubber = sagemaker
    stubber.add_response("describe_processing_job",
                         _describe_job(JOB, "s3://x/y", "Completed: Job completed successfully with no violations."),
                         {"ProcessingJobName": JOB})
    summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary == _summary(ignored=1)
    assert world.published() == []


def test_stopped_schedule_alerts_and_scheduled_is_ignored(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    assert handler.handle(load_event("eventbridge_monitoring_schedule_stopped.json"), rt) == _summary(alerted=1)
    scheduled = load_event("eventbridge_monitoring_schedule_stopped.json")
    scheduled["detail"]["MonitoringScheduleStatus"] = "Scheduled"
    assert handler.handle(scheduled, rt) == _summary(ignored=1)
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] STOPPED monitoring schedule: credit-default-v3"
    assert "describe-monitoring-schedule --monitoring-schedule-name credit-default-dq" in body


def test_run_event_with_violations_reads_its_report_folder(world: World, sagemaker: Stubber) -> None:
    world.put(f"{LATEST}/constraint_violations.json", violations_bytes())
    summary = handler.handle(load_event("eventbridge_run_violations.json"), world.runtime())
    assert summary == _summary(alerted=1)
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] VIOLATIONS data drift: lending/credit-default"
    assert body.startswith("VIOLATIONS: 2 violation(s) on lending/credit-default / credit-default-dq for window "
                           "2026-11-24T10:00:00Z to 2026-11-24T11:00:00Z\n")
    assert "  - age: distance 0.2 > threshold 0.1 (baseline_drift_check)" in body


def test_failed_run_event_and_completed_run_event(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    assert handler.handle(load_event("eventbridge_run_failed.json"), rt) == _summary(alerted=1)
    completed = load_event("eventbridge_run_violations.json")
    completed["detail"]["status"] = "Completed"
    assert handler.handle(completed, rt) == _summary(ignored=1)
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] FAILED monitoring run: lending/credit-default"
    assert "Reason:    No capture files under s3://mm-artifacts/captures/credit-default-v3/ for the window" in body


def test_direct_test_invocation_through_the_real_entry_point(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in world.env(LOG_LEVEL="debug").items():
        monkeypatch.setenv(key, value)
    summary = handler.handler(load_event("test_invocation.json"), None)
    assert summary == _summary(alerted=1)
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] TEST alert route: lending/credit-default"
    assert body.startswith("TEST: Route check from the runbook\n")


def test_dashboard_template_fills_in_when_the_alarm_has_no_dashboard(world: World, sagemaker: Stubber) -> None:
    template = "https://dash.example/d/{namespace}/{name}?endpoint={endpoint}&x={unknown}"
    rt = world.runtime(DASHBOARD_URL_TEMPLATE=template)
    handler.handle(load_event("eventbridge_run_failed.json"), rt)
    [(_, body)] = world.published()
    assert "Dashboard: https://dash.example/d/lending/credit-default?endpoint=credit-default-v3&x={unknown}" in body


def test_failed_job_whose_description_fails_still_alerts(world: World, sagemaker: Stubber) -> None:
    sagemaker.add_client_error("describe_processing_job", service_error_code="ValidationException",
                               service_message="Could not find processing job", http_status_code=400)
    summary = handler.handle(load_event("eventbridge_processing_job_failed.json"), world.runtime())
    assert summary["alerted"] == 1 and summary["degraded"] == 1
    [(subject, body)] = world.published()
    assert subject == f"[ModelMonitor] FAILED monitoring run: {JOB}"
    assert body.endswith(f"Enrichment degraded: DescribeProcessingJob({JOB}): ValidationException: Could not find "
                         "processing job")


def _describe_job(name: str, output_uri: str, exit_message: str, status: str = "Completed") -> dict[str, Any]:
    response: dict[str, Any] = {
        "ProcessingJobName": name,
        "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{name}",
        "ProcessingJobStatus": status,
        "CreationTime": "2026-11-24T10:02:00Z",
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": ANALYZER_IMAGE},
        "MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/credit-default-dq",
        "Environment": {"sagemaker_endpoint_name": "credit-default-v3",
                        "sagemaker_monitoring_schedule_name": "credit-default-dq"},
    }
    if exit_message:
        response["ExitMessage"] = exit_message
    if output_uri:
        response["ProcessingOutputConfig"] = {"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": output_uri, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]}
    return response



def test_eventbridge_event_forwarded_through_sns_is_unwrapped(world: World, sagemaker: Stubber) -> None:
    sagemaker.add_response("describe_processing_job", _describe_job(JOB, "", "", status="Failed"),
                           {"ProcessingJobName": JOB})
    sagemaker.add_response("list_tags", _schedule_tags("true"), {"ResourceArn": SCHEDULE_ARN})
    inner = load_event("eventbridge_processing_job_failed.json")
    wrapped = {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "MessageId": "f-1",
                                                               "Message": json.dumps(inner)}}]}
    summary = handler.handle(wrapped, world.runtime())
    assert summary == {**_summary(alerted=1), "errors": []}
    assert world.published() == [(FAILED_SUBJECT, FAILED_BODY)]


def test_insufficient_data_is_reported_without_enrichment(world: World, sagemaker: Stubber) -> None:
    event = load_event("sns_alarm_ok.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message.update(NewStateValue="INSUFFICIENT_DATA", NewStateReason="Insufficient Data: 1 datapoint was unknown.")
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    handler.handle(event, world.runtime())
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] INSUFFICIENT_DATA data drift: lending/credit-default"
    assert "Reason:    Insufficient Data: 1 datapoint was unknown.\n" in body
    assert "Top violations" not in body and "Enrichment degraded" not in body
