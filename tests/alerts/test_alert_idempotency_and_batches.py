"""Duplicate deliveries alert once (in memory and, opt-in, across containers via DynamoDB); batches go record by
record."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from modelmonitor.alerts import handler
from modelmonitor.alerts.dedupe import DynamoDeduper, MemoryDeduper
from tests.alerts.conftest import World, load_event

TABLE = "modelmonitor-alert-state"
# A heartbeat alarm alerts on every transition; drift alarms follow incidents (test_incident_lifecycle.py).
HEARTBEAT = "sns_alarm_no_metrics.json"


def _create_table(world: World) -> None:
    world.clients["dynamodb"].create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_same_alarm_transition_twice_alerts_once(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    event = load_event(HEARTBEAT)
    first = handler.handle(event, rt)
    second = handler.handle(event, rt)
    assert (first["alerted"], first["duplicates"]) == (1, 0)
    assert (second["alerted"], second["duplicates"]) == (0, 1)
    assert len(world.published()) == 1


def test_a_new_transition_of_the_same_alarm_alerts_again(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    event = load_event(HEARTBEAT)
    handler.handle(event, rt)
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message["StateChangeTime"] = "2026-11-24T18:00:00.000+0000"
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    assert handler.handle(event, rt)["alerted"] == 1
    assert len(world.published()) == 2


def test_sagemaker_repeating_a_job_event_with_a_new_id_is_a_duplicate(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    event = load_event("eventbridge_processing_job_failed.json")
    _describe_once(sagemaker)  # the duplicate costs no SageMaker call: the Stubber would report an extra one
    assert handler.handle(event, rt)["errors"] == []
    event["id"] = "another-delivery-id"
    second = handler.handle(event, rt)
    assert (second["duplicates"], second["errors"]) == (1, [])
    assert len(world.published()) == 1


def test_batch_with_one_bad_record_sends_two_alerts(world: World, sagemaker: Stubber) -> None:
    good_heartbeat = load_event(HEARTBEAT)["Records"][0]
    good_alarm = json.loads(json.dumps(good_heartbeat))
    message = json.loads(good_alarm["Sns"]["Message"])
    message.update(NewStateValue="OK", OldStateValue="ALARM", StateChangeTime="2026-11-24T15:00:40.000+0000")
    good_alarm["Sns"]["Message"] = json.dumps(message)
    bad = json.loads(json.dumps(good_alarm))
    bad["Sns"]["Message"] = "{truncated"
    summary = handler.handle({"Records": [good_alarm, bad, good_heartbeat]}, world.runtime())
    assert summary["processed"] == 3 and summary["alerted"] == 2 and summary["malformed"] == 1
    assert summary["errors"] == ["Records[1]: malformed: SNS message is not JSON (Expecting property name enclosed "
                                 "in double quotes at position 1)"]
    subjects = sorted(subject for subject, _ in world.published())
    assert subjects == ["[ModelMonitor] ALARM no monitoring metrics: lending/credit-default",
                        "[ModelMonitor] OK no monitoring metrics: lending/credit-default"]


def test_batch_repeating_a_record_alerts_once(world: World, sagemaker: Stubber) -> None:
    record = load_event(HEARTBEAT)["Records"][0]
    summary = handler.handle({"Records": [record, record]}, world.runtime())
    assert (summary["alerted"], summary["duplicates"]) == (1, 1)


def test_anonymous_test_invocations_are_never_deduplicated(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    for _ in range(2):
        assert handler.handle({"test": True}, rt)["alerted"] == 1
    assert len(world.published()) == 2


def test_durable_store_dedupes_across_containers(world: World, sagemaker: Stubber) -> None:
    _create_table(world)
    event = load_event("eventbridge_processing_job_failed.json")
    _describe_once(sagemaker)
    cold_start_a = world.runtime(STATE_TABLE=TABLE)
    cold_start_b = world.runtime(STATE_TABLE=TABLE)  # another container: its memory set is empty
    assert handler.handle(event, cold_start_a)["errors"] == []
    assert handler.handle(event, cold_start_b)["duplicates"] == 1
    item = world.clients["dynamodb"].get_item(
        TableName=TABLE, Key={"pk": {"S": "job|model-monitoring-202611241000-5d1e0a2b9c8f7e6d5c4b3a29|Failed"}})
    assert "expiresAt" in item["Item"]
    assert len(world.published()) == 1


def test_durable_store_ignores_expired_keys(world: World, sagemaker: Stubber) -> None:
    _create_table(world)
    client = world.clients["dynamodb"]
    now = [1_000_000.0]
    first = DynamoDeduper(client, TABLE, ttl_seconds=60, clock=lambda: now[0])
    assert first.claim("k") is True
    assert DynamoDeduper(client, TABLE, ttl_seconds=60, clock=lambda: now[0]).claim("k") is False
    now[0] += 61  # TTL deletion is lazy: the item may still be there, but it no longer counts
    assert DynamoDeduper(client, TABLE, ttl_seconds=60, clock=lambda: now[0]).claim("k") is True


def test_durable_store_failure_fails_open_and_is_noted(world: World, sagemaker: Stubber) -> None:
    # No table created: PutItem fails with ResourceNotFoundException.
    summary = handler.handle(load_event(HEARTBEAT), world.runtime(STATE_TABLE=TABLE))
    assert summary["alerted"] == 1
    assert "dedupe table: ResourceNotFoundException" in summary["errors"][0]


def test_failed_delivery_releases_the_key_so_a_retry_can_alert(world: World, sagemaker: Stubber) -> None:
    rt = handler.build_runtime({"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:gone"}, **world.clients)
    event = load_event(HEARTBEAT)
    assert handler.handle(event, rt)["alerted"] == 0
    rt.settings = world.runtime().settings  # the topic is fixed; the retry arrives
    assert handler.handle(event, rt)["alerted"] == 1


@pytest.mark.parametrize("capacity", [1, 3])
def test_memory_set_stays_bounded(capacity: int) -> None:
    seen = MemoryDeduper(capacity=capacity)
    for key in ("a", "b", "c", "d"):
        assert seen.claim(key)
    assert seen.claim("d") is False
    assert seen.claim("a") is True  # evicted long ago


def _describe_once(stubber: Stubber) -> None:
    job = "model-monitoring-202611241000-5d1e0a2b9c8f7e6d5c4b3a29"
    stubber.add_response("describe_processing_job", {
        "ProcessingJobName": job, "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{job}",
        "ProcessingJobStatus": "Failed", "CreationTime": "2026-11-24T10:02:00Z",
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelmonitor-analyzer"},
        "Environment": {"sagemaker_endpoint_name": "credit-default-v3",
                        "sagemaker_monitoring_schedule_name": "credit-default-dq"},
    }, {"ProcessingJobName": job})
