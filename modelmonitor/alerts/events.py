"""Parse raw Lambda events into typed, frozen records — once, at entry.

Everything after this module works on the dataclasses below and never indexes raw dicts. A record that cannot be
parsed becomes a `Malformed` value carrying a precise reason; parsing never raises for one bad record.

Accepted shapes (fixtures in tests/alerts/events/):
- SNS `Records[].Sns.Message` holding a CloudWatch alarm state-change message (or an EventBridge event that an
  EventBridge rule forwarded to SNS);
- EventBridge `aws.sagemaker` "SageMaker Processing Job State Change" / "SageMaker Monitoring Schedule State Change";
- EventBridge `modelmonitor` "ModelMonitor Run State Change" (internal-contracts §2);
- a direct test invocation `{"test": true, "message": "...", "id": "..."}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
RunStatus = Literal["Completed", "CompletedWithViolations", "Failed"]

PROCESSING_JOB_DETAIL_TYPE = "SageMaker Processing Job State Change"
SCHEDULE_DETAIL_TYPE = "SageMaker Monitoring Schedule State Change"
RUN_DETAIL_TYPE = "ModelMonitor Run State Change"
RUN_SOURCE = "modelmonitor"

# SNS caps a message at 256 KB; anything bigger did not come from SNS and is not worth parsing.
MAX_MESSAGE_BYTES = 256 * 1024
MAX_RECORDS = 100
_MAX_TEXT = 4096


class MalformedEvent(ValueError):
    """A record that is not one of the accepted shapes; the message says precisely why."""


OWN_RUN_EVENTS_ENV = "cloudwatch_metrics_namespace"
"""In a processing job's Environment only when one of our engines runs it (internal-contracts §5): such a run emits
its own run event, which is what alerts, so the job's state change would alert a second time."""


@dataclass(frozen=True)
class AlarmNotification:
    alarm_name: str
    alarm_arn: str
    description: str
    new_state: AlarmState
    old_state: str
    reason: str
    state_change_time: str
    region: str
    """AWS region code taken from the alarm ARN ('' when the ARN is absent)."""
    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    """Dimensions of the single metric or of every metric in a metric-math alarm, first occurrence wins."""
    comparison: str = ""
    """Trigger.ComparisonOperator ('' when absent)."""

    def dimension(self, name: str) -> str:
        return next((value for key, value in self.dimensions if key == name), "")


@dataclass(frozen=True)
class ProcessingJobChange:
    event_id: str
    region: str
    job_name: str
    job_arn: str
    status: str
    failure_reason: str
    output_uri: str
    schedule_arn: str
    endpoint: str
    schedule: str
    own_run_events: bool = False
    """Run by one of our engines (Environment says so): its run event alerts, not this state change."""
    time: str = ""
    """The event's `time` (when the state changed)."""


@dataclass(frozen=True)
class ScheduleChange:
    """Detail fields of this event are not documented by AWS (sagemaker-contract.md): we read the names the
    MonitoringSchedule API uses and require only the schedule name and status."""

    event_id: str
    region: str
    schedule_name: str
    status: str
    endpoint: str
    failure_reason: str
    last_modified: str


@dataclass(frozen=True)
class RunChange:
    event_id: str
    region: str
    monitor: str
    endpoint: str
    schedule: str
    engine: str
    monitoring_type: str
    status: RunStatus
    violations: int
    drifted_features: tuple[str, ...]
    report_uri: str
    window_start: str
    window_end: str
    failure_reason: str
    time: str = ""
    """The event's `time` (when the run reported)."""
    evaluation_time: str = ""
    """When the window was judged (its end, plus the label delay for labelled types); empty in events of versions
    that did not send it."""


@dataclass(frozen=True)
class TestInvocation:
    __test__ = False  # not a pytest class, despite the name

    test_id: str
    message: str
    monitor: str
    endpoint: str


@dataclass(frozen=True)
class Malformed:
    where: str
    """Which record: `event`, `Records[2]`, ..."""
    reason: str


Alertable = AlarmNotification | ProcessingJobChange | ScheduleChange | RunChange | TestInvocation
Parsed = Alertable | Malformed


def parse_event(event: object, own_topic_arn: str = "") -> list[tuple[str, Parsed]]:
    """Split one Lambda event into (where, record) pairs; bad records become `Malformed`, never exceptions.

    A record from `own_topic_arn` (where this handler publishes) is rejected: subscribing the handler to its own
    output topic would feed every alert back in.
    """
    if not isinstance(event, Mapping):
        return [("event", Malformed("event", f"event is a {type(event).__name__}, expected a JSON object"))]
    if "Records" in event:
        records = event["Records"]
        if not isinstance(records, list) or not records:
            return [("event", Malformed("event", "Records is not a non-empty list"))]
        if len(records) > MAX_RECORDS:
            return [("event", Malformed("event", f"{len(records)} records exceed the limit of {MAX_RECORDS}"))]
        return [
            _guarded(f"Records[{i}]", lambda raw: _parse_sns_record(raw, own_topic_arn), record)
            for i, record in enumerate(records)
        ]
    return [_guarded("event", _parse_top_level, event)]


def _guarded(where: str, parse: Callable[[Any], Alertable], raw: Any) -> tuple[str, Parsed]:
    try:
        return where, parse(raw)
    except MalformedEvent as err:
        return where, Malformed(where, str(err))


def _parse_top_level(event: Mapping[str, Any]) -> Alertable:
    if event.get("test") is True:
        return _parse_test(event)
    if "detail-type" in event or "source" in event:
        return _parse_eventbridge(event)
    if not event:
        raise MalformedEvent("empty event")
    keys = ", ".join(sorted(map(str, event))[:8])
    raise MalformedEvent(f"unknown event shape (top-level keys: {keys[:200]})")


def _parse_sns_record(record: object, own_topic_arn: str) -> Alertable:
    if not isinstance(record, Mapping):
        raise MalformedEvent("record is not an object")
    if record.get("EventSource") != "aws:sns":
        raise MalformedEvent(f"unsupported record source {_short(record.get('EventSource'))}")
    sns = _obj(record, "Sns")
    if own_topic_arn and sns.get("TopicArn") == own_topic_arn:
        raise MalformedEvent("record comes from ALERT_TOPIC_ARN itself: subscribe the handler to the alarm topic, "
                             "not to the topic it publishes to")
    message = _str(sns, "Message", limit=None)
    if len(message.encode()) > MAX_MESSAGE_BYTES:
        raise MalformedEvent(f"SNS message of {len(message.encode())} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        body = json.loads(message)
    except json.JSONDecodeError as err:
        raise MalformedEvent(f"SNS message is not JSON ({err.msg} at position {err.pos})") from None
    if not isinstance(body, Mapping):
        raise MalformedEvent("SNS message is JSON but not an object")
    if "AlarmName" in body:
        return _parse_alarm(body)
    if "detail-type" in body:
        return _parse_eventbridge(body)
    raise MalformedEvent("SNS message is neither a CloudWatch alarm nor an EventBridge event")


def _parse_alarm(msg: Mapping[str, Any]) -> AlarmNotification:
    state = _str(msg, "NewStateValue")
    if state not in get_args(AlarmState):
        raise MalformedEvent(f"NewStateValue {_short(state)} is not one of OK, ALARM, INSUFFICIENT_DATA")
    arn = _opt_str(msg, "AlarmArn")
    trigger = msg.get("Trigger")
    if trigger is not None and not isinstance(trigger, Mapping):
        raise MalformedEvent("Trigger is not an object")
    trigger = trigger or {}
    dimensions, namespace, metric = _trigger_metrics(trigger)
    description = msg.get("AlarmDescription")
    if description is not None and not isinstance(description, str):
        raise MalformedEvent("AlarmDescription is not a string")
    return AlarmNotification(
        alarm_name=_str(msg, "AlarmName"),
        alarm_arn=arn,
        description=(description or "")[:_MAX_TEXT],
        new_state=state,  # type: ignore[arg-type]  # checked against AlarmState above
        old_state=_opt_str(msg, "OldStateValue"),
        reason=_opt_str(msg, "NewStateReason"),
        state_change_time=_str(msg, "StateChangeTime"),
        region=_arn_region(arn),
        namespace=namespace,
        metric_name=metric,
        dimensions=dimensions,
        comparison=_opt_str(trigger, "ComparisonOperator"),
    )


def _trigger_metrics(trigger: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], str, str]:
    """Single-metric alarms carry Dimensions on the Trigger; metric-math alarms carry Metrics[].MetricStat.Metric."""
    found: dict[str, str] = {}
    namespace, metric = _opt_str(trigger, "Namespace"), _opt_str(trigger, "MetricName")
    sources: list[Mapping[str, Any]] = [trigger]
    metrics = trigger.get("Metrics", [])
    if not isinstance(metrics, list):
        raise MalformedEvent("Trigger.Metrics is not a list")
    for item in metrics:
        stat = item.get("MetricStat") if isinstance(item, Mapping) else None
        inner = stat.get("Metric") if isinstance(stat, Mapping) else None
        if isinstance(inner, Mapping):
            sources.append(inner)
            namespace = namespace or _opt_str(inner, "Namespace")
            metric = metric or _opt_str(inner, "MetricName")
    for source in sources:
        dims = source.get("Dimensions", [])
        if not isinstance(dims, list):
            raise MalformedEvent("Trigger Dimensions is not a list")
        for dim in dims:
            if not isinstance(dim, Mapping):
                raise MalformedEvent("a Trigger dimension is not an object")
            # The SNS alarm message spells them lower-case; the API upper-case. Accept both.
            name, value = dim.get("name", dim.get("Name")), dim.get("value", dim.get("Value"))
            if isinstance(name, str) and isinstance(value, str):
                found.setdefault(name, value)
    return tuple(found.items()), namespace, metric


def _parse_eventbridge(event: Mapping[str, Any]) -> Alertable:
    source, detail_type = _str(event, "source"), _str(event, "detail-type")
    detail = _obj(event, "detail")
    event_id, region = _opt_str(event, "id"), _opt_str(event, "region")
    if source == "aws.sagemaker" and detail_type == PROCESSING_JOB_DETAIL_TYPE:
        return replace(_parse_processing_job(event_id, region, detail), time=_opt_str(event, "time"))
    if source == "aws.sagemaker" and detail_type == SCHEDULE_DETAIL_TYPE:
        name = _opt_str(detail, "MonitoringScheduleName") or _arn_resource(_first_resource(event))
        if not name:
            raise MalformedEvent("schedule event names no MonitoringScheduleName")
        return ScheduleChange(
            event_id=event_id,
            region=region,
            schedule_name=name,
            status=_str(detail, "MonitoringScheduleStatus"),
            endpoint=_opt_str(detail, "EndpointName"),
            failure_reason=_opt_str(detail, "FailureReason"),
            last_modified=_opt_scalar(detail, "LastModifiedTime"),
        )
    if source == RUN_SOURCE and detail_type == RUN_DETAIL_TYPE:
        return replace(_parse_run(event_id, region, detail), time=_opt_str(event, "time"))
    raise MalformedEvent(f"unsupported EventBridge event {_short(source)} / {_short(detail_type)}")


def _parse_processing_job(event_id: str, region: str, detail: Mapping[str, Any]) -> ProcessingJobChange:
    env = detail.get("Environment", {})
    env = env if isinstance(env, Mapping) else {}
    output_uri = ""
    outputs = detail.get("ProcessingOutputConfig", {})
    outputs = outputs.get("Outputs", []) if isinstance(outputs, Mapping) else []
    for output in outputs if isinstance(outputs, list) else []:
        s3 = output.get("S3Output") if isinstance(output, Mapping) else None
        if isinstance(s3, Mapping) and isinstance(s3.get("S3Uri"), str):
            output_uri = s3["S3Uri"]
            break
    arn = _opt_str(detail, "ProcessingJobArn")
    return ProcessingJobChange(
        event_id=event_id,
        region=region or _arn_region(arn),
        job_name=_str(detail, "ProcessingJobName"),
        job_arn=arn,
        status=_str(detail, "ProcessingJobStatus"),
        failure_reason=_opt_str(detail, "FailureReason"),
        output_uri=output_uri,
        schedule_arn=_opt_str(detail, "MonitoringScheduleArn"),
        endpoint=_env_str(env, "sagemaker_endpoint_name"),
        schedule=_env_str(env, "sagemaker_monitoring_schedule_name"),
        own_run_events=OWN_RUN_EVENTS_ENV in env,
    )


def _parse_run(event_id: str, region: str, detail: Mapping[str, Any]) -> RunChange:
    status = _str(detail, "status")
    if status not in get_args(RunStatus):
        raise MalformedEvent(f"run status {_short(status)} is not Completed, CompletedWithViolations or Failed")
    violations = detail.get("violations", 0)
    if violations is None:
        violations = 0
    if isinstance(violations, bool) or not isinstance(violations, int) or violations < 0:
        raise MalformedEvent("run violations is not a non-negative integer")
    drifted = detail.get("driftedFeatures") or []
    if not isinstance(drifted, list) or not all(isinstance(f, str) for f in drifted):
        raise MalformedEvent("run driftedFeatures is not a list of strings")
    return RunChange(
        event_id=event_id,
        region=region,
        monitor=_str(detail, "monitor"),
        endpoint=_str(detail, "endpoint"),
        schedule=_opt_str(detail, "schedule"),
        engine=_opt_str(detail, "engine"),
        monitoring_type=_opt_str(detail, "monitoringType"),
        status=status,  # type: ignore[arg-type]  # checked against RunStatus above
        violations=violations,
        drifted_features=tuple(drifted[:100]),
        report_uri=_opt_str(detail, "reportUri"),
        window_start=_opt_str(detail, "windowStart"),
        window_end=_opt_str(detail, "windowEnd"),
        failure_reason=_opt_str(detail, "failureReason"),
        evaluation_time=_opt_str(detail, "evaluationTime"),
    )


def _parse_test(event: Mapping[str, Any]) -> TestInvocation:
    return TestInvocation(
        test_id=_opt_scalar(event, "id"),
        message=_opt_str(event, "message") or "Test alert from the ModelMonitor alert handler.",
        monitor=_opt_str(event, "monitor"),
        endpoint=_opt_str(event, "endpoint"),
    )


# --- small validators: each names the field it rejects ---------------------------------------------------------


def _obj(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{key} is {'missing' if value is None else 'not an object'}")
    return value


def _str(parent: Mapping[str, Any], key: str, *, limit: int | None = _MAX_TEXT) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{key} is {'missing' if value is None else 'not a non-empty string'}")
    return value if limit is None else value[:limit]


def _opt_str(parent: Mapping[str, Any], key: str) -> str:
    value = parent.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} is not a string")
    return value[:_MAX_TEXT]


def _opt_scalar(parent: Mapping[str, Any], key: str) -> str:
    value = parent.get(key)
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str | int | float):
        return str(value)[:_MAX_TEXT]
    raise MalformedEvent(f"{key} is not a string or number")


def _env_str(env: Mapping[str, Any], key: str) -> str:
    value = env.get(key)
    return value if isinstance(value, str) else ""


def _first_resource(event: Mapping[str, Any]) -> str:
    resources = event.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], str):
        return resources[0]
    return ""


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and arn.startswith("arn:") else ""


def _arn_resource(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") and "/" in arn else ""


def _short(value: object) -> str:
    return repr(value)[:60]
