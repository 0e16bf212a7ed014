"""What our engines (`lambda`, `processingJob`) do after an analysis, because no Model Monitor does it for them:
publish the run's metric records with PutMetricData and emit exactly one run event (internal-contracts §2, §4).

Shared by the Lambda handler and the BYOC entrypoint. The decidable parts (`EngineRun.from_environment`,
`run_event_entry`, `metric_requests`) are pure; `publish_metrics` / `emit_run_event` are the thin boto3 shells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.sources import Window, parse_time
from modelmonitor.errors import ModelMonitorError

RUN_EVENT_SOURCE = "modelmonitor"
RUN_EVENT_DETAIL_TYPE = "ModelMonitor Run State Change"
"""Also in `components.stepfunctions` (the state machine's Failed event); the analyzer may not import components."""
NAMESPACE_ENV = "cloudwatch_metrics_namespace"
"""Set only under our engines: its presence is what makes a run publish metrics and emit its event itself."""
MAX_DATUMS_PER_REQUEST = 1000
"""PutMetricData accepts up to 1000 datums per call (CloudWatch API reference, since 2023)."""
MAX_FAILURE_REASON_CHARS = 1024
"""The run event's failureReason is cut like SageMaker's ExitMessage (1 KB): enough to act on, never huge."""

RunStatus = Literal["Completed", "CompletedWithViolations", "Failed"]
MonitoringType = Literal["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
MONITORING_TYPES: tuple[MonitoringType, ...] = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
LABELLED_TYPES: frozenset[str] = frozenset({"ModelQuality", "ModelBias"})
"""Monitoring types judged against ground truth: their window ends a label delay before the run."""
ENGINES = ("lambda", "processingJob")


class EngineOutputError(ModelMonitorError):
    """PutEvents refused the run event, or the engine environment is incomplete; the message says which."""


@dataclass(frozen=True)
class EngineRun:
    """Whose run this is: from the environment the engine's Pulumi component sets (docs/engines.md)."""

    monitor: str
    """`{namespace}/{name}`."""
    engine: str
    monitoring_type: MonitoringType
    endpoint: str
    schedule: str
    metrics_namespace: str
    event_bus_name: str = "default"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> EngineRun | None:
        """None when `cloudwatch_metrics_namespace` is unset (a Model Monitor execution: SageMaker publishes)."""
        namespace = env.get(NAMESPACE_ENV, "").strip()
        if not namespace:
            return None
        missing = [k for k in ("modelmonitor_monitor", "modelmonitor_engine", "sagemaker_endpoint_name",
                               "sagemaker_monitoring_schedule_name") if not env.get(k, "").strip()]
        if missing:
            raise AnalyzerInputError(f"{NAMESPACE_ENV} is set (an engine run) but {', '.join(missing)} "
                                     "is not: the run event and metric dimensions need them")
        engine = env["modelmonitor_engine"]
        if engine not in ENGINES:
            raise AnalyzerInputError(f"modelmonitor_engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        monitoring_type = next((t for t in MONITORING_TYPES if t == env.get("monitoring_type", "DataQuality")), None)
        if monitoring_type is None:
            raise AnalyzerInputError(f"monitoring_type must be one of {', '.join(MONITORING_TYPES)}, not "
                                     f"{env.get('monitoring_type')!r}")
        return cls(monitor=env["modelmonitor_monitor"], engine=engine, monitoring_type=monitoring_type,
                   endpoint=env["sagemaker_endpoint_name"], schedule=env["sagemaker_monitoring_schedule_name"],
                   metrics_namespace=namespace, event_bus_name=env.get("run_event_bus_name") or "default")


@dataclass(frozen=True)
class RunOutcome:
    status: RunStatus
    window: Window | None
    violations: int = 0
    drifted_features: tuple[str, ...] = ()
    report_uri: str | None = None
    failure_reason: str | None = None
    evaluation_time: datetime | None = None
    """When the window was judged: its end, plus the label delay for labelled types (docs/engines.md, "Metric
    timestamps"). None: the window's end."""


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_event_entry(run: EngineRun, outcome: RunOutcome) -> dict[str, Any]:
    """One PutEvents entry, the detail exactly as internal-contracts §2."""
    reason = outcome.failure_reason
    if reason is not None and len(reason) > MAX_FAILURE_REASON_CHARS:
        reason = reason[:MAX_FAILURE_REASON_CHARS - 1] + "…"
    detail = {
        "monitor": run.monitor, "endpoint": run.endpoint, "schedule": run.schedule, "engine": run.engine,
        "monitoringType": run.monitoring_type, "status": outcome.status, "violations": outcome.violations,
        "driftedFeatures": list(outcome.drifted_features), "reportUri": outcome.report_uri,
        "windowStart": iso_z(outcome.window.start) if outcome.window else None,
        "windowEnd": iso_z(outcome.window.end) if outcome.window else None,
        "evaluationTime": iso_z(outcome.evaluation_time) if outcome.evaluation_time
        else iso_z(outcome.window.end) if outcome.window else None,
        "failureReason": reason,
    }
    return {"Source": RUN_EVENT_SOURCE, "DetailType": RUN_EVENT_DETAIL_TYPE, "EventBusName": run.event_bus_name,
            "Detail": orjson.dumps(detail).decode()}


def _datum(record: Mapping[str, Any]) -> dict[str, Any]:
    """A BYOC metric line → a PutMetricData datum (Timestamp as datetime; the rest is already the API's shape)."""
    datum: dict[str, Any] = {"MetricName": record["MetricName"], "Dimensions": list(record["Dimensions"])}
    stamp = record.get("Timestamp")
    datum["Timestamp"] = parse_time(stamp, "metric Timestamp") if isinstance(stamp, str) else stamp
    if "StatisticValues" in record:
        datum["StatisticValues"] = record["StatisticValues"]
    else:
        datum["Value"] = float(record["Value"])
    if record.get("Unit"):
        datum["Unit"] = record["Unit"]
    return datum


def metric_requests(records: Iterable[Mapping[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """PutMetricData keyword arguments for the records, at most `MAX_DATUMS_PER_REQUEST` datums each."""
    datums = [_datum(r) for r in records]
    return [{"Namespace": namespace, "MetricData": datums[i:i + MAX_DATUMS_PER_REQUEST]}
            for i in range(0, len(datums), MAX_DATUMS_PER_REQUEST)]


def publish_metrics(cloudwatch: Any, run: EngineRun, records: Sequence[Mapping[str, Any]]) -> int:
    """PutMetricData into the engine's namespace; returns the number of datums sent. Errors propagate: a run
    whose metrics are lost must not report success (the heartbeat alarm would fire on a healthy monitor)."""
    sent = 0
    for request in metric_requests(records, run.metrics_namespace):
        cloudwatch.put_metric_data(**request)
        sent += len(request["MetricData"])
    return sent


def emit_run_event(events: Any, run: EngineRun, outcome: RunOutcome) -> None:
    response = events.put_events(Entries=[run_event_entry(run, outcome)])
    if response.get("FailedEntryCount"):
        failed = response.get("Entries", [{}])[0]
        raise EngineOutputError(f"EventBridge refused the run event on bus {run.event_bus_name!r}: "
                                f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")


@dataclass(frozen=True)
class Clients:
    """The AWS clients an engine run publishes with (boto3 clients, or stubs in tests); `runtime` (sagemaker-runtime)
    only for feature attribution, which calls the model."""

    cloudwatch: Any
    events: Any
    runtime: Any = None

    @classmethod
    def default(cls) -> Clients:
        import boto3

        # boto3 honours AWS_ENDPOINT_URL itself; the region comes from the runtime (AWS_REGION).
        return cls(cloudwatch=boto3.client("cloudwatch"), events=boto3.client("events"),
                   runtime=boto3.client("sagemaker-runtime"))


def publish(run: EngineRun, outcome: RunOutcome, records: Sequence[Mapping[str, Any]], clients: Clients) -> int:
    """Metrics first, then the event: the event says the run is done, so everything it implies is in place."""
    sent = publish_metrics(clients.cloudwatch, run, records) if records else 0
    emit_run_event(clients.events, run, outcome)
    return sent
