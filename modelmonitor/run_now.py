"""Run-now: analyse one chosen window now, with the monitor's engine (library; the CLI is
`modelmonitor.commands.run_now`, the operator acts on the `modelmonitor.io/run-now` annotation).

- modelMonitor: CreateMonitoringSchedule with the one-off `NOW` expression and DataAnalysisStartTime/EndTime
  offsets, referencing the monitor's job definition; waits on ListMonitoringExecutions, then deletes the one-off
  schedule. Its runs land under the one-off schedule's name (results path and metric dimension).
- lambda: Invoke (RequestResponse; `--no-wait`: Event) of the analyzer function with the window.
- processingJob: StartExecution of the monitor's state machine with the window; waits on DescribeExecution and
  reads the verdict from the processing job's ExitMessage (the analyzer's `Completed: …` line).

What request to send is decided by the pure `build_run_now_request`; `execute` sends it through the given client
factory. Verdict exit codes (the CLI's): 0 Completed, 1 CompletedWithViolations, 2 bad input, 3 Failed or no verdict
within the timeout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from modelmonitor.components import engine_names
from modelmonitor.components.engine_names import MonitoringType
from modelmonitor.components.names import MonitorNames
from modelmonitor.errors import ModelMonitorError
from modelmonitor.spec import ModelMonitorDocument

EXIT_COMPLETED, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
MAX_MODEL_MONITOR_WINDOW = timedelta(hours=24)
"""DataAnalysisEndTime may not follow DataAnalysisStartTime by more than 24 hours (SageMaker ScheduleConfig)."""
POLL_SECONDS = 15.0
T = TypeVar("T")


class RunNowError(ModelMonitorError):
    """A run-now request that cannot be made; the message says what to change."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def payload(self) -> str:
        return json.dumps({"window_start": _iso(self.start), "window_end": _iso(self.end)})


class RunNowRequest(NamedTuple):
    service: str
    operation: str
    params: dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def previous_hour(now: datetime) -> Window:
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return Window(end - timedelta(hours=1), end)


def offset(before: timedelta) -> str:
    """A non-positive ISO-8601 duration relative to the one-off run's scheduled time (now), in whole minutes:
    `-PT2H`, `-PT1H25M`, `-PT0H`. SageMaker documents hour examples only; minute precision is unconfirmed."""
    minutes = int(before.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"-PT{hours}H{rest}M" if rest else f"-PT{hours}H"


def _check(document: ModelMonitorDocument, window: Window, monitoring_type: MonitoringType, now: datetime) -> None:
    spec = document.spec
    enabled = spec.data_quality.enabled if monitoring_type == "DataQuality" else spec.model_quality.enabled
    if not enabled:
        section = "dataQuality" if monitoring_type == "DataQuality" else "modelQuality"
        raise RunNowError(f"{document.metadata.namespace}/{document.metadata.name}: {section} is not enabled")
    if window.end <= window.start:
        raise RunNowError(f"--window-end {_iso(window.end)} is not after --window-start {_iso(window.start)}")
    if window.end > now:
        raise RunNowError(f"--window-end {_iso(window.end)} is in the future: its captures are not written yet")


def job_definition_lookup(document: ModelMonitorDocument, monitoring_type: MonitoringType) -> RunNowRequest:
    """modelMonitor: the job definition is auto-named (a replacement must never collide with the old one), so
    run-now asks the monitor's schedule — whose name is fixed — which job definition it runs."""
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    return RunNowRequest("sagemaker", "DescribeMonitoringSchedule",
                         {"MonitoringScheduleName": engine_names.schedule(names, monitoring_type)})


def build_run_now_request(document: ModelMonitorDocument, window: Window, *, now: datetime,
                          monitoring_type: MonitoringType = "DataQuality", account_id: str | None = None,
                          job_definition_name: str | None = None, wait: bool = True) -> RunNowRequest:
    """The one request that starts an analysis of `window` under the document's engine (pure). modelMonitor needs
    the schedule's job definition (`job_definition_lookup`)."""
    _check(document, window, monitoring_type, now)
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    engine = document.spec.engine
    if engine == "lambda":
        return RunNowRequest("lambda", "Invoke", {
            "FunctionName": engine_names.analyzer_function(
                names, monitoring_type, engine_names.analyzer_package_type(document.spec)),
            "InvocationType": "RequestResponse" if wait else "Event",
            "Payload": window.payload().encode()})
    if engine == "processingJob":
        if account_id is None:
            raise RunNowError("the processingJob engine needs the account id for the state machine ARN")
        machine = engine_names.state_machine(names, monitoring_type)
        return RunNowRequest("stepfunctions", "StartExecution", {
            "stateMachineArn": engine_names.state_machine_arn(machine, region=document.spec.region,
                                                              account_id=account_id),
            "name": f"run-now-{window.start:%Y%m%dT%H%M}-{now:%Y%m%dT%H%M%S}",
            "input": window.payload()})
    if window.end - window.start > MAX_MODEL_MONITOR_WINDOW:
        raise RunNowError("Model Monitor analyses at most 24 hours per run: choose a shorter window")
    if job_definition_name is None:
        raise RunNowError("the modelMonitor engine needs the schedule's job definition name (job_definition_lookup)")
    return RunNowRequest("sagemaker", "CreateMonitoringSchedule", {
        "MonitoringScheduleName": engine_names.run_now_schedule(names, monitoring_type, now),
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "NOW",
                               "DataAnalysisStartTime": offset(now - window.start),
                               "DataAnalysisEndTime": offset(now - window.end)},
            "MonitoringJobDefinitionName": job_definition_name,
            "MonitoringType": monitoring_type},
        "Tags": [{"Key": "modelmonitor:monitor", "Value": f"{names.namespace}.{names.name}"},
                 {"Key": "modelmonitor:run-now", "Value": "true"}]})


@dataclass(frozen=True)
class Verdict:
    status: str
    """Completed | CompletedWithViolations | Failed | Started | TimedOut."""
    detail: str

    @property
    def exit_code(self) -> int:
        return {"Completed": EXIT_COMPLETED, "Started": EXIT_COMPLETED,
                "CompletedWithViolations": EXIT_VIOLATIONS}.get(self.status, EXIT_FAILED)


def verdict_from_message(message: str) -> Verdict:
    """The analyzer's exit message (`CompletedWithViolations: …`) → a verdict."""
    status, _, detail = message.partition(": ")
    if status not in ("Completed", "CompletedWithViolations", "Failed"):
        return Verdict("Completed", message)
    return Verdict(status, detail)


def poll(probe: Callable[[], T | None], *, timeout: float, interval: float = POLL_SECONDS,
         sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> T | None:
    """`probe()` until it returns a value or `timeout` seconds pass (bounded: never loops forever)."""
    deadline = clock() + timeout
    while True:
        found = probe()
        if found is not None or clock() >= deadline:
            return found
        sleep(min(interval, max(0.0, deadline - clock())))


def _lambda_verdict(response: dict[str, Any]) -> Verdict:
    body = response["Payload"].read() if "Payload" in response else b""
    payload = json.loads(body) if body else {}
    if response.get("FunctionError"):
        return Verdict("Failed", f"{payload.get('errorType', 'Error')}: {payload.get('errorMessage', payload)}")
    return Verdict(payload.get("status", "Completed"),
                   f"{payload.get('summary', '')} (report: {payload.get('reportUri')})")


def _execution_verdict(sfn: Any, sagemaker: Any, execution_arn: str, timeout: float,
                       sleep: Callable[[float], None]) -> Verdict:
    def probe() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return None if described["status"] == "RUNNING" else described

    described = poll(probe, timeout=timeout, sleep=sleep)
    if described is None:
        return Verdict("TimedOut", f"{execution_arn} still running after {timeout:.0f} s")
    if described["status"] != "SUCCEEDED":
        return Verdict("Failed", f"{described['status']}: {described.get('error', '')} {described.get('cause', '')}")
    output = json.loads(described.get("output") or "{}")
    job = (output.get("merge") or output.get("analysis") or {}).get("ProcessingJobName")
    if not job:
        return Verdict("Completed", f"{execution_arn} succeeded")
    message = sagemaker.describe_processing_job(ProcessingJobName=job).get("ExitMessage", "")
    return verdict_from_message(message) if message else Verdict("Completed", f"processing job {job} completed")


_TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


def _schedule_verdict(sagemaker: Any, schedule: str, timeout: float, sleep: Callable[[float], None]) -> Verdict:
    def probe() -> dict[str, Any] | None:
        listed = sagemaker.list_monitoring_executions(MonitoringScheduleName=schedule)
        summaries = listed["MonitoringExecutionSummaries"]
        done = [s for s in summaries if s["MonitoringExecutionStatus"] in _TERMINAL]
        return done[0] if done else None

    summary = poll(probe, timeout=timeout, sleep=sleep)
    if summary is None:
        return Verdict("TimedOut", f"one-off schedule {schedule}: no finished execution after {timeout:.0f} s "
                                   "(it is kept; delete it once it has run)")
    # The one-off schedule has done its work; deleting it keeps the account's schedule list clean.
    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=schedule)
    status = summary["MonitoringExecutionStatus"]
    detail = summary.get("FailureReason") or summary.get("ProcessingJobArn", "")
    return Verdict("Failed" if status == "Stopped" else status, detail)


def execute(document: ModelMonitorDocument, window: Window, *, monitoring_type: MonitoringType, wait: bool,
            timeout: float, client: Callable[[str], Any], now: datetime,
            sleep: Callable[[float], None] = time.sleep) -> Verdict:
    account_id = job_definition_name = None
    if document.spec.engine == "processingJob":
        account_id = client("sts").get_caller_identity()["Account"]
    if document.spec.engine == "modelMonitor":
        _check(document, window, monitoring_type, now)
        lookup = job_definition_lookup(document, monitoring_type)
        described = getattr(client(lookup.service), _snake(lookup.operation))(**lookup.params)
        job_definition_name = described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    request = build_run_now_request(document, window, now=now, monitoring_type=monitoring_type,
                                    account_id=account_id, job_definition_name=job_definition_name, wait=wait)
    service = client(request.service)
    method = getattr(service, _snake(request.operation))
    response = method(**request.params)
    if request.service == "lambda":
        if wait:
            return _lambda_verdict(response)
        request_id = response.get("ResponseMetadata", {}).get("RequestId")
        return Verdict("Started", "asynchronous invocation accepted"
                       + (f" (request id {request_id})" if request_id else ""))
    if request.service == "stepfunctions":
        arn = response["executionArn"]
        return _execution_verdict(service, client("sagemaker"), arn, timeout, sleep) if wait \
            else Verdict("Started", arn)
    schedule = request.params["MonitoringScheduleName"]
    return _schedule_verdict(service, schedule, timeout, sleep) if wait else Verdict("Started", schedule)


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def parse_time(text: str, option: str) -> datetime:
    """An ISO-8601 time (naive means UTC); `option` names where it came from in the error."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RunNowError(f"{option} {text!r} is not ISO-8601 (e.g. 2026-11-24T10:00:00Z)") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_window(text: str, source: str) -> Window:
    """`START/END` (ISO-8601 interval of two instants), e.g. `2026-11-24T10:00:00Z/2026-11-24T11:00:00Z`."""
    start, sep, end = text.partition("/")
    if not sep or not start.strip() or not end.strip():
        raise RunNowError(f"{source} {text!r} is not a window START/END "
                          "(e.g. 2026-11-24T10:00:00Z/2026-11-24T11:00:00Z)")
    return Window(parse_time(start.strip(), f"{source} start"), parse_time(end.strip(), f"{source} end"))
