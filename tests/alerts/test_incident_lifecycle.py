"""Incident lifecycle through the real handler: one alert when an incident opens, reminders at most every repeat
interval, one RESOLVED when every source is clear; state in DynamoDB (moto, real ConditionExpression semantics)
surviving cold starts and two containers racing on the same incident."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from modelmonitor.alerts import handler, incident_store, incidents, signals
from modelmonitor.alerts.incidents import Signal
from tests.alerts.conftest import Hook, World, load_event
from tests.alerts.test_alert_webhook_route import _ssm_runtime

TABLE = "modelmonitor-alert-state"
START = datetime(2026, 11, 24, 0, tzinfo=UTC)
GROUP = "credit-default-v3/credit-default-dq"


def _table(world: World) -> None:
    # The Platform's table shape (components/platform.py): string hash key pk, TTL on expiresAt.
    world.clients["dynamodb"].create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_event(hour: int, violations: int) -> dict[str, Any]:
    """The run event of hour `hour` (window hour..hour+1), clean or violating."""
    event = load_event("eventbridge_run_violations.json")
    start = START + timedelta(hours=hour)
    event["id"] = f"run-{hour}"
    event["time"] = _iso(start + timedelta(hours=1, minutes=3))
    event["detail"].update(
        status="CompletedWithViolations" if violations else "Completed", violations=violations,
        driftedFeatures=["income"] if violations else [], windowStart=_iso(start),
        windowEnd=_iso(start + timedelta(hours=1)),
        reportUri=f"s3://mm-artifacts/results/lending/credit-default/data-quality/credit-default-v3/"
                  f"credit-default-dq/{start:%Y/%m/%d/%H}/")
    return event


def alarm_event(hour: int, state: str) -> dict[str, Any]:
    """The drift alarm's transition at hour `hour` + 5 minutes, as SNS delivers it."""
    event = load_event("sns_alarm_drift_metric_math.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message.update(NewStateValue=state, OldStateValue="OK" if state == "ALARM" else "ALARM",
                   StateChangeTime=(START + timedelta(hours=hour, minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"))
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def _put_violations(world: World, hour: int, distance: float) -> None:
    start = START + timedelta(hours=hour)
    doc = {"violations": [{"feature_name": "income", "constraint_check_type": "baseline_drift_check",
                           "description": f"Baseline drift distance: {distance} exceeds threshold: 0.1"}]}
    world.put(f"results/lending/credit-default/data-quality/credit-default-v3/credit-default-dq/"
              f"{start:%Y/%m/%d/%H}/constraint_violations.json", json.dumps(doc).encode())


DRIFT_ALARM = "mm-lending-credit-default-data-drift"
"""The alarm of sns_alarm_drift_metric_math.json."""


def _alarm_in_cloudwatch(world: World, state: str) -> None:
    """The drift alarm as it exists in CloudWatch (the handler asks for its state when a clean run arrives)."""
    cloudwatch = world.clients["cloudwatch"]
    cloudwatch.put_metric_alarm(
        AlarmName=DRIFT_ALARM, Namespace="aws/sagemaker/Endpoints/data-metrics",
        MetricName="feature_baseline_drift_income", Statistic="Maximum", Period=3600, EvaluationPeriods=1,
        Threshold=0.1, ComparisonOperator="GreaterThanThreshold")
    cloudwatch.set_alarm_state(AlarmName=DRIFT_ALARM, StateValue=state, StateReason="test")


def test_one_incident_of_a_day_sends_one_opening_and_one_resolved_alert(world: World, sagemaker: Stubber) -> None:
    """Issue: drift from hour 12 sent a VIOLATIONS alert every hour plus ALARM alerts. Now: hours 12-17 violate,
    the drift alarm fires at 13 and is OK again at 19 (M of N lags the runs): two alerts in all. The clean runs
    of hours 18 (ending 19:00) find the alarm still in ALARM, so the incident waits for its OK at 19:05."""
    _table(world)
    _alarm_in_cloudwatch(world, "ALARM")
    for hour in range(12, 18):
        _put_violations(world, hour, 0.2 + hour / 100)
    for hour in range(24):
        rt = world.runtime(STATE_TABLE=TABLE)  # every invocation a cold start: the state lives in DynamoDB only
        handler.handle(run_event(hour, violations=2 if 12 <= hour < 18 else 0), rt)
        if hour == 13:
            world.put(f"results/lending/credit-default/data-quality/credit-default-v3/credit-default-dq/"
                      f"{START:%Y/%m/%d}/13/constraint_violations.json", json.dumps({"violations": []}).encode())
            handler.handle(alarm_event(13, "ALARM"), rt)
        if hour == 19:
            world.clients["cloudwatch"].set_alarm_state(AlarmName=DRIFT_ALARM, StateValue="OK", StateReason="test")
            handler.handle(alarm_event(19, "OK"), rt)
    published = world.published()
    assert [subject for subject, _ in published] == [
        "[ModelMonitor] VIOLATIONS data drift: lending/credit-default",
        "[ModelMonitor] RESOLVED data quality: lending/credit-default"]
    resolved = published[1][1]
    assert "Duration:  6h 5m" in resolved  # 13:00 (end of the first violating window) to 19:05 (alarm OK)
    assert "Worst:     2 violation(s) in one run or alarm; largest drift income at distance 0.37" in resolved
    assert "Signals:   7 firing, 0 reminder(s) sent" in resolved


def test_reminder_at_most_every_repeat_interval(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime(REPEAT_INTERVALS=json.dumps({"credit-default-dq": 6 * 3600}))
    for hour in range(14):
        handler.handle(run_event(hour, violations=1), rt)
    subjects = [subject for subject, _ in world.published()]
    # Opened at 01:00; reminders on the first signal 6 h after the last alert: 07:00 and 13:00.
    assert subjects == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default",
                        "[ModelMonitor] REMINDER (open 6h) VIOLATIONS data drift: lending/credit-default",
                        "[ModelMonitor] REMINDER (open 12h) VIOLATIONS data drift: lending/credit-default"]


def test_stale_clean_run_does_not_close_a_newer_incident(world: World, sagemaker: Stubber) -> None:
    rt = world.runtime()
    handler.handle(run_event(5, violations=1), rt)
    summary = handler.handle(run_event(3, violations=0), rt)  # a retry of an older, clean window
    assert summary["ignored"] == 1
    assert [s for s, _ in world.published()] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default"]


def test_webhook_gets_the_same_lifecycle(world: World, sagemaker: Stubber, hook: Hook) -> None:
    rt = _ssm_runtime(world, hook)
    for hour, violations in ((0, 1), (1, 1), (2, 0)):
        handler.handle(run_event(hour, violations), rt)
    subjects = [subject for subject, _ in world.published()]
    assert [body["text"].split("\n", 1)[0] for body in hook.bodies] == [f"*{s}*" for s in subjects]
    assert subjects == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default",
                        "[ModelMonitor] RESOLVED data quality: lending/credit-default"]


def test_state_survives_cold_starts_and_closed_incidents_expire(world: World, sagemaker: Stubber) -> None:
    _table(world)
    handler.handle(run_event(0, 1), world.runtime(STATE_TABLE=TABLE))
    handler.handle(run_event(1, 1), world.runtime(STATE_TABLE=TABLE))
    item = world.clients["dynamodb"].get_item(TableName=TABLE, Key={"pk": {"S": f"incident|{GROUP}"}})["Item"]
    assert item["version"] == {"N": "2"} and "expiresAt" not in item  # open incidents never expire
    handler.handle(run_event(2, 0), world.runtime(STATE_TABLE=TABLE))
    item = world.clients["dynamodb"].get_item(TableName=TABLE, Key={"pk": {"S": f"incident|{GROUP}"}})["Item"]
    assert "expiresAt" in item and json.loads(item["state"]["S"])["closed_at"] is not None
    assert len(world.published()) == 2


class _RacingClient:
    """Both containers read the item before either writes: a barrier holds each first get_item until both read."""

    def __init__(self, client: Any, barrier: threading.Barrier) -> None:
        self._client, self._barrier, self._first = client, barrier, True

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._client.get_item(**kwargs)
        if self._first:
            self._first = False
            self._barrier.wait(timeout=10)
        return result

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._client.put_item(**kwargs)
        return response


@pytest.mark.parametrize("existing", [False, True], ids=["first-signal", "open-incident"])
def test_two_containers_racing_on_one_incident_announce_it_once(world: World, existing: bool) -> None:
    _table(world)
    dynamodb = world.clients["dynamodb"]
    at = START.timestamp()
    base = Signal(group=GROUP, monitoring_type="data_quality", source="runs", firing=True, at=at)
    if existing:  # an open incident older than the repeat interval: exactly one of the two may remind
        store = incident_store.DynamoIncidentStore(dynamodb, TABLE)
        incident_store.advance(store, base, repeat_seconds=3600)
    barrier = threading.Barrier(2)
    signals = [
        Signal(group=GROUP, monitoring_type="data_quality", source="runs", firing=True, at=at + 7200),
        Signal(group=GROUP, monitoring_type="data_quality", source="alarm:drift", firing=True, at=at + 7300),
    ]
    steps: list[str] = []

    def container(signal: Signal) -> None:
        store = incident_store.DynamoIncidentStore(_RacingClient(dynamodb, barrier), TABLE)
        transition, _ = incident_store.advance(store, signal, repeat_seconds=3600)
        steps.append(transition.step)

    threads = [threading.Thread(target=container, args=(s,)) for s in signals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(steps) == ["none", "remind" if existing else "open"]
    stored, version = incident_store.DynamoIncidentStore(dynamodb, TABLE).load(f"incident|{GROUP}")
    assert stored is not None and stored.open_sources == ("alarm:drift", "runs")  # both signals counted
    assert stored.firing_signals == (3 if existing else 2) and version == (3 if existing else 2)


def test_failed_delivery_leaves_the_incident_unannounced(world: World, sagemaker: Stubber) -> None:
    rt = handler.build_runtime({"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:gone"},
                               **{k: v for k, v in world.clients.items() if k != "sqs"})
    assert handler.handle(run_event(0, 1), rt)["alerted"] == 0
    rt.settings = world.runtime().settings  # the topic is back; the next violating run announces the incident
    assert handler.handle(run_event(1, 1), rt)["alerted"] == 1
    assert [s for s, _ in world.published()] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default"]


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ([("runs", True, 0)], ["open"]),
        ([("runs", True, 0), ("runs", True, 3600)], ["open", "none"]),
        ([("runs", True, 0), ("runs", False, 3600)], ["open", "resolve"]),
        ([("runs", True, 0), ("alarm:a", True, 60), ("runs", False, 3600), ("alarm:a", False, 7200)],
         ["open", "none", "none", "resolve"]),
        ([("runs", False, 0), ("alarm:a", False, 60)], ["none", "none"]),
        ([("runs", True, 0), ("runs", True, 86400)], ["open", "remind"]),
        ([("runs", True, 0), ("runs", False, 60), ("runs", True, 120)], ["open", "resolve", "open"]),
        ([("runs", True, 100), ("runs", False, 50)], ["open", "none"]),
    ],
)
def test_step_table(signals: list[tuple[str, bool, float]], expected: list[str]) -> None:
    current: incidents.Incident | None = None
    steps = []
    for source, firing, at in signals:
        transition = incidents.step(current, Signal(GROUP, "data_quality", source, firing, at), 86400)
        current = transition.incident
        steps.append(transition.step)
    assert steps == expected


def test_state_round_trips_through_json() -> None:
    transition = incidents.step(None, Signal(GROUP, "data_quality", "runs", True, 5.0, worst_feature="x",
                                             worst_distance=0.3), 60)
    assert transition.incident is not None
    assert incidents.from_json(incidents.to_json(transition.incident)) == transition.incident


def _quality_alarm(hour: int, state: str, reason: str) -> dict[str, Any]:
    """A model-quality alarm (auc below 0.6) as SNS delivers it, on the model-quality schedule."""
    event = load_event("sns_alarm_no_metrics.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    description = message["AlarmDescription"].replace('"kind":"no_metrics"', '"kind":"model_quality"').replace(
        "credit-default-dq", "credit-default-mq-schedule")
    message.update(AlarmName="mm-lending-credit-default-quality-auc", AlarmDescription=description,
                   NewStateValue=state, OldStateValue="OK" if state == "ALARM" else "ALARM", NewStateReason=reason,
                   StateChangeTime=(START + timedelta(hours=hour, minutes=5)).strftime(
                       "%Y-%m-%dT%H:%M:%S.000+0000"))
    message["Trigger"].update(MetricName="auc", Namespace="ModelMonitor/ModelQuality",
                              ComparisonOperator="LessThanThreshold", Threshold=0.6)
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def test_model_quality_incident_reports_its_worst_value(world: World, sagemaker: Stubber) -> None:
    # NewStateReason as CloudWatch words it (the fixtures' "Threshold Crossed: … datapoints [v (time), …] …").
    rt = world.runtime()
    handler.handle(_quality_alarm(2, "ALARM", "Threshold Crossed: 2 out of the last 3 datapoints [0.55 (24/11/26 "
                                              "01:00:00), 0.58 (24/11/26 00:00:00)] were less than the threshold "
                                              "(0.6) (minimum 2 datapoints for OK -> ALARM transition)."), rt)
    handler.handle(_quality_alarm(9, "OK", "Threshold Crossed: 1 out of the last 3 datapoints [0.71 (24/11/26 "
                                           "08:00:00)] was not less than the threshold (0.6)."), rt)
    published = world.published()
    assert [s for s, _ in published] == ["[ModelMonitor] ALARM model quality: lending/credit-default",
                                         "[ModelMonitor] RESOLVED model quality: lending/credit-default"]
    assert "Worst:     mm-lending-credit-default-quality-auc as low as 0.55" in published[1][1]
    assert "Duration:  7h" in published[1][1]


@pytest.mark.parametrize(("reason", "lower", "expected"), [
    ("Threshold Crossed: 1 out of the last 1 datapoints [0.4123 (24/11/26 10:00:00)] was greater than the "
     "threshold (0.1) (minimum 1 datapoint for OK -> ALARM transition).", False, 0.4123),
    ("Threshold Crossed: 2 out of the last 3 datapoints [0.55 (24/11/26 10:00:00), 0.58 (24/11/26 09:00:00)] were "
     "less than the threshold (0.6).", True, 0.55),
    ("Threshold Crossed: 2 out of the last 3 datapoints [1.0 (24/11/26 10:00:00), 3.0 (24/11/26 09:00:00)] were "
     "greater than the threshold (0.0).", False, 3.0),
    ("Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as "
     "[Breaching].", True, None),
])
def test_breaching_value_from_the_alarm_reason(reason: str, lower: bool, expected: float | None) -> None:
    assert signals.breaching_value(reason, lower_is_worse=lower) == expected


def _typed_run_event(hour: int, violations: int, monitoring_type: str, schedule: str) -> dict[str, Any]:
    event = run_event(hour, violations)
    event["id"] = f"{monitoring_type}-{hour}"
    event["detail"].update(monitoringType=monitoring_type, schedule=schedule, driftedFeatures=[],
                           reportUri=event["detail"]["reportUri"].replace("credit-default-dq", schedule))
    return event


def test_bias_and_attribution_runs_are_incidents_of_their_own_type(world: World, sagemaker: Stubber) -> None:
    """A bias run's violations are bias drift (not "data drift"), an attribution run's feature attribution drift;
    each type of one monitor is its own incident, opened and resolved independently of data quality's."""
    rt = world.runtime()
    handler.handle(run_event(0, violations=1), rt)                                      # data quality opens
    handler.handle(_typed_run_event(0, 2, "ModelBias", "credit-default-mb-schedule"), rt)
    handler.handle(_typed_run_event(0, 1, "ModelExplainability", "credit-default-fa-schedule"), rt)
    handler.handle(_typed_run_event(1, 0, "ModelBias", "credit-default-mb-schedule"), rt)   # bias closes
    handler.handle(run_event(1, violations=1), rt)                                      # data quality stays open
    published = world.published()                                                      # read once: it drains
    assert [subject for subject, _ in published] == [
        "[ModelMonitor] VIOLATIONS data drift: lending/credit-default",
        "[ModelMonitor] VIOLATIONS bias drift: lending/credit-default",
        "[ModelMonitor] VIOLATIONS feature attribution drift: lending/credit-default",
        "[ModelMonitor] RESOLVED model bias: lending/credit-default"]
    bias_body = published[1][1]
    assert "Open analysis.json and compare each facet's metrics" in bias_body


@pytest.mark.parametrize("alarm", ["deleted", "INSUFFICIENT_DATA", "OK"])
def test_an_incident_closes_when_its_alarm_stops_firing_without_an_ok_notification(
        world: World, sagemaker: Stubber, alarm: str) -> None:
    """An alarm that fired and was then deleted (a feature dropped from the spec, a monitor or alarm renamed), went to
    INSUFFICIENT_DATA (not an incident signal) or whose OK notification was lost never says OK: the incident stayed
    open for ever, and the monitor's next drift was grouped into it without an alert. Now the next clean run asks
    CloudWatch (DescribeAlarms) and the alarm no longer holds the incident open."""
    _table(world)
    _alarm_in_cloudwatch(world, "ALARM")
    _put_violations(world, 1, 0.3)
    rt = world.runtime(STATE_TABLE=TABLE)
    handler.handle(run_event(1, violations=1), rt)
    handler.handle(alarm_event(1, "ALARM"), rt)
    if alarm == "deleted":
        world.clients["cloudwatch"].delete_alarms(AlarmNames=[DRIFT_ALARM])
    else:
        world.clients["cloudwatch"].set_alarm_state(AlarmName=DRIFT_ALARM, StateValue=alarm, StateReason="test")
    summary = handler.handle(run_event(2, violations=0), world.runtime(STATE_TABLE=TABLE))
    assert not summary["errors"]
    assert [s for s, _ in world.published()] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default",
                                                 "[ModelMonitor] RESOLVED data quality: lending/credit-default"]
    # ... and the next drift opens a new incident with its own alert
    _put_violations(world, 3, 0.3)
    handler.handle(run_event(3, violations=1), world.runtime(STATE_TABLE=TABLE))
    assert [s for s, _ in world.published()] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default"]


def test_an_alarm_that_fires_after_the_clean_run_keeps_the_incident_open(world: World, sagemaker: Stubber) -> None:
    """The run is judged at its window's end; an ALARM the incident saw later than that is not settled by it."""
    _table(world)
    _put_violations(world, 1, 0.3)
    rt = world.runtime(STATE_TABLE=TABLE)
    handler.handle(run_event(1, violations=1), rt)
    handler.handle(alarm_event(3, "ALARM"), rt)       # 03:05, after the clean window below ends (03:00)
    world.clients["cloudwatch"].delete_alarms(AlarmNames=[DRIFT_ALARM])
    summary = handler.handle(run_event(2, violations=0), rt)
    assert summary["ignored"] == 1
    assert [s for s, _ in world.published()] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default"]


def test_cloudwatch_refusing_describe_alarms_keeps_the_incident_waiting_and_says_why(
        world: World, sagemaker: Stubber) -> None:
    """A role without cloudwatch:DescribeAlarms (or throttling): the incident waits for the alarm's OK, as before."""
    _table(world)
    _put_violations(world, 1, 0.3)
    rt = world.runtime(STATE_TABLE=TABLE)
    handler.handle(run_event(1, violations=1), rt)
    handler.handle(alarm_event(1, "ALARM"), rt)
    stub = Stubber(world.clients["cloudwatch"])
    stub.add_client_error("describe_alarms", service_error_code="AccessDenied", http_status_code=403,
                          service_message="User is not authorized to perform: cloudwatch:DescribeAlarms")
    with stub:
        summary = handler.handle(run_event(2, violations=0), rt)
    assert any("alarm states unknown" in e and "AccessDenied" in e for e in summary["errors"])
    assert [s for s, _ in world.published()] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default"]
    summary = handler.handle(alarm_event(3, "OK"), rt)
    assert [s for s, _ in world.published()][-1] == "[ModelMonitor] RESOLVED data quality: lending/credit-default"


def test_a_run_counts_when_its_window_was_judged_so_durations_mix_no_two_clocks(world: World,
                                                                                  sagemaker: Stubber) -> None:
    """A labelled type's window is judged a label delay after it ends (the event's `evaluationTime`), and its alarm
    fires on that clock too (StateChangeTime). Counting the run at its window's end made the incident start a label
    delay before anything was known: here 2 h, so "3h 5m" for an incident of 1 h 5 min."""
    _table(world)
    _alarm_in_cloudwatch(world, "ALARM")
    rt = world.runtime(STATE_TABLE=TABLE)

    def judged(hour: int, violations: int) -> dict[str, Any]:
        event = run_event(hour, violations)
        event["detail"]["evaluationTime"] = _iso(START + timedelta(hours=hour + 1 + 2))  # window end + 2 h delay
        return event

    _put_violations(world, 12, 0.3)
    handler.handle(judged(12, violations=1), rt)                 # window 12-13, judged 15:00
    handler.handle(alarm_event(15, "ALARM"), rt)                 # 15:05
    handler.handle(judged(13, violations=0), rt)                 # judged 16:00: the alarm still fires
    world.clients["cloudwatch"].set_alarm_state(AlarmName=DRIFT_ALARM, StateValue="OK", StateReason="test")
    handler.handle(alarm_event(16, "OK"), rt)                    # 16:05
    published = world.published()
    assert [s for s, _ in published] == ["[ModelMonitor] VIOLATIONS data drift: lending/credit-default",
                                         "[ModelMonitor] RESOLVED data quality: lending/credit-default"]
    assert "Duration:  1h 5m" in published[1][1]
