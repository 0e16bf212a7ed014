"""Malformed input and failing enrichment: nothing escapes, each case is counted and logged with its reason."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from modelmonitor.alerts import handler
from modelmonitor.alerts.config import ConfigError
from tests.alerts.conftest import REGION, RUN_PREFIX, World, load_event, violations_bytes


def _sns(message: str) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "Sns": {"Type": "Notification", "MessageId": "m-1", "Message": message}}]}


def _alarm(**changes: Any) -> dict[str, Any]:
    message = json.loads(load_event("sns_alarm_drift_metric_math.json")["Records"][0]["Sns"]["Message"])
    message.update(changes)
    return _sns(json.dumps(message))


def _bridge(**changes: Any) -> dict[str, Any]:
    event = load_event("eventbridge_processing_job_failed.json")
    event.update(changes)
    return event


def _without_job_name() -> dict[str, Any]:
    event = load_event("eventbridge_processing_job_failed.json")
    del event["detail"]["ProcessingJobName"]
    return event


def _run(**detail: Any) -> dict[str, Any]:
    event = load_event("eventbridge_run_violations.json")
    event["detail"].update(detail)
    return event


MALFORMED: list[tuple[str, object, str]] = [
    ("empty event", {}, "empty event"),
    ("event is a list", [], "event is a list, expected a JSON object"),
    ("event is a string", "ALARM", "event is a str"),
    ("no Records entries", {"Records": []}, "Records is not a non-empty list"),
    ("SNS message not JSON", _sns("ALARM: drift on credit-default"), "SNS message is not JSON"),
    ("SNS message JSON array", _sns("[1, 2]"), "SNS message is JSON but not an object"),
    ("SNS message unrelated JSON", _sns('{"hello": "world"}'), "neither a CloudWatch alarm nor an EventBridge"),
    ("huge SNS message", _sns("x" * (300 * 1024)), "exceeds 262144"),
    ("record from SQS", {"Records": [{"EventSource": "aws:sqs", "body": "{}"}]}, "unsupported record source"),
    ("unknown alarm state", _alarm(NewStateValue="BROKEN"), "NewStateValue 'BROKEN' is not one of"),
    ("alarm without StateChangeTime", _alarm(StateChangeTime=None), "StateChangeTime is missing"),
    ("dimensions of the wrong type", _alarm(Trigger={"Dimensions": "Endpoint=x"}), "Dimensions is not a list"),
    ("alarm name of the wrong type", _alarm(AlarmName=42), "AlarmName is not a non-empty string"),
    ("unknown EventBridge source", _bridge(source="aws.ec2", **{"detail-type": "EC2 Instance State-change"}),
     "unsupported EventBridge event 'aws.ec2'"),
    ("EventBridge detail not an object", _bridge(detail="Failed"), "detail is not an object"),
    ("processing job without a name", _without_job_name(), "ProcessingJobName is missing"),
    ("run event with a bad status", _run(status="Exploded"), "run status 'Exploded' is not"),
    ("run event with violations as text", _run(violations="two"), "violations is not a non-negative integer"),
    ("unknown top-level shape", {"foo": 1}, "unknown event shape (top-level keys: foo)"),
]


@pytest.mark.parametrize(("event", "reason"), [(e, r) for _, e, r in MALFORMED], ids=[n for n, _, _ in MALFORMED])
def test_malformed_input_is_counted_and_logged(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture, event: object, reason: str
) -> None:
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(event, world.runtime())
    assert summary["malformed"] == 1 and summary["alerted"] == 0
    assert len(summary["errors"]) == 1 and reason in summary["errors"][0]
    [logged] = [r for r in caplog.records if getattr(r, "outcome", "") == "malformed"]
    assert reason in logged.reason  # type: ignore[attr-defined]
    assert world.published() == []


def test_huge_message_is_not_echoed_into_logs(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        handler.handle(_sns("{" + "y" * (300 * 1024)), world.runtime())
    assert len(caplog.text) < 5_000


def _degraded(summary: dict[str, Any], caplog: pytest.LogCaptureFixture, note: str) -> str:
    """The alert still went out, counted as degraded, with the note in the summary, the log and the body."""
    assert summary["alerted"] == 1 and summary["degraded"] == 1 and summary["malformed"] == 0
    assert note in summary["errors"][0]
    [logged] = [r for r in caplog.records if getattr(r, "outcome", "") == "alerted_degraded"]
    assert note in logged.reason  # type: ignore[attr-defined]
    return note


def test_truncated_violations_file_degrades_the_alert(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    world.put(f"{RUN_PREFIX}/2026/11/24/10/constraint_violations.json", violations_bytes()[:150])
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(load_event("sns_alarm_drift_metric_math.json"), world.runtime())
    note = _degraded(summary, caplog, "violations file is not valid JSON (JSONDecodeError)")
    [(_, body)] = world.published()
    assert f"Enrichment degraded: reading constraint_violations.json: {note}" in body
    assert "Report:    s3://mm-artifacts/results/lending/credit-default/data-quality/credit-default-v3/" in body


def test_violations_file_without_violations_list_degrades(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    world.put(f"{RUN_PREFIX}/2026/11/24/10/constraint_violations.json", b'{"violation": []}')
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(load_event("sns_alarm_drift_metric_math.json"), world.runtime())
    _degraded(summary, caplog, "violations file has no 'violations' list")


def test_s3_access_denied_still_sends_the_basic_alert(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    stubber = sagemaker
    denied_s3 = boto3.client("s3", region_name=REGION)
    with Stubber(denied_s3) as s3_stub, caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        s3_stub.add_client_error("list_objects_v2", service_error_code="AccessDenied", service_message="Access Denied",
                                 http_status_code=403)
        rt = handler.build_runtime(world.env(), **{**world.clients, "s3": denied_s3})
        # The alarm names its schedule, so after S3 fails the handler tries the Model Monitor path too.
        stubber.add_response("list_monitoring_executions", {"MonitoringExecutionSummaries": []})
        summary = handler.handle(load_event("sns_alarm_drift_metric_math.json"), rt)
    _degraded(summary, caplog, "listing s3://mm-artifacts/results/lending/credit-default/data-quality: "
                               "AccessDenied: Access Denied")
    [(subject, body)] = world.published()
    assert subject == "[ModelMonitor] ALARM data drift: lending/credit-default"
    assert "Top violations" not in body and "Enrichment degraded: listing s3://" in body


def test_missing_bucket_and_sagemaker_throttling_are_both_noted(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    stubber = sagemaker
    stubber.add_client_error("list_monitoring_executions", service_error_code="ThrottlingException",
                             service_message="Rate exceeded", http_status_code=400)
    event = _alarm(AlarmDescription='x\nmodelmonitor:{"kind":"data_drift","endpoint":"e","schedule":"s",'
                                    '"results":"s3://no-such-bucket/results/a/b/data-quality"}')
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(event, world.runtime())
    assert summary["alerted"] == 1 and summary["degraded"] == 1
    assert "NoSuchBucket" in summary["errors"][0]
    assert "ListMonitoringExecutions(s): ThrottlingException: Rate exceeded" in summary["errors"][0]


def test_alarm_without_any_context_is_alerted_and_flagged(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(_alarm(AlarmDescription=None, Trigger={"MetricName": "Latency", "Dimensions": []}),
                                 world.runtime())
    _degraded(summary, caplog, "no monitor context (no modelmonitor line, no Endpoint dimension)")
    [(subject, _)] = world.published()
    assert subject == "[ModelMonitor] ALARM alarm: mm-lending-credit-default-data-drift"


def test_bad_context_line_falls_back_to_dimensions(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(_alarm(AlarmDescription="Drift.\nmodelmonitor:{not json"), world.runtime())
    assert summary["alerted"] == 1
    assert "the alarm description's modelmonitor line is not JSON" in summary["errors"][0]
    [(subject, _)] = world.published()
    assert subject == "[ModelMonitor] ALARM data drift: credit-default-v3"


def test_completed_job_that_cannot_be_described_is_reported_not_alerted(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    stubber = sagemaker
    stubber.add_client_error("describe_processing_job", service_error_code="AccessDeniedException",
                             service_message="not authorized", http_status_code=400)
    with caplog.at_level(logging.INFO, logger="modelmonitor.alerts"):
        summary = handler.handle(load_event("eventbridge_processing_job_completed.json"), world.runtime())
    assert summary["alerted"] == 0 and summary["processed"] == 1
    assert "cannot tell whether the run found violations" in summary["errors"][0]
    assert [r for r in caplog.records if getattr(r, "outcome", "") == "unverified"]


def test_sns_publish_failure_is_reported_and_the_batch_continues(world: World, sagemaker: Stubber) -> None:
    rt = handler.build_runtime({"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:deleted-topic"},
                               **world.clients)
    event = load_event("test_invocation.json")
    summary = handler.handle(event, rt)
    assert summary["alerted"] == 0
    assert "SNS publish failed: NotFound" in summary["errors"][0]


def test_alerts_fed_back_from_our_own_topic_are_rejected(world: World, sagemaker: Stubber) -> None:
    echo = {"Records": [{"EventSource": "aws:sns", "Sns": {"TopicArn": world.topic_arn, "Message": "ALARM: ..."}}]}
    summary = handler.handle(echo, world.runtime())
    assert summary["malformed"] == 1 and "record comes from ALERT_TOPIC_ARN itself" in summary["errors"][0]
    assert world.published() == []


def test_missing_configuration_fails_the_invocation_loudly(world: World) -> None:
    # Not a per-record problem: every record would be lost, so the function errors (and Lambda retries / DLQs).
    with pytest.raises(ConfigError, match="ALERT_TOPIC_ARN must be set"):
        handler.handler(load_event("test_invocation.json"), None)
