"""Find and read the latest run's constraint_violations.json. Every AWS failure becomes a note, never an exception:
an alert with a degraded body beats no alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .events import OWN_RUN_EVENTS_ENV, AlarmNotification, Alertable, ProcessingJobChange, RunChange
from .logic import (
    MAX_VIOLATIONS_BYTES,
    VIOLATION_KINDS,
    VIOLATIONS_FILE,
    MonitorContext,
    Violation,
    ViolationsFileError,
    default_results_uri,
    parse_violations,
    pick_latest_segment,
    split_s3_uri,
)
from .render import Enrichment

AWS_ERRORS = (ClientError, BotoCoreError)
# yyyy / mm / dd / hh under {results}/{endpoint}/{schedule}/ (internal-contracts §1)
_HOUR_LAYOUT_WIDTHS = (4, 2, 2, 2)
_MAX_LIST_PAGES = 20


class S3Reader(Protocol):
    def list_objects_v2(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_object(self, **kwargs: Any) -> dict[str, Any]: ...


class SageMakerReader(Protocol):
    def list_monitoring_executions(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_processing_job(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_tags(self, **kwargs: Any) -> dict[str, Any]: ...


class AwsReaders(Protocol):
    """Where enrichment gets its clients; properties, so a client is only made when a lookup needs it."""

    @property
    def s3(self) -> S3Reader: ...

    @property
    def sagemaker(self) -> SageMakerReader: ...


@dataclass(frozen=True)
class JobOutcome:
    exit_message: str
    output_uri: str
    endpoint: str = ""
    schedule: str = ""
    schedule_arn: str = ""
    own_run_events: bool = False
    """Run by one of our engines: its run event alerts (events.OWN_RUN_EVENTS_ENV)."""
    created_at: datetime | None = None


def aws_error_note(err: ClientError | BotoCoreError) -> str:
    """Error code and a short message; never request parameters or credentials."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'ClientError')}: {str(error.get('Message', ''))[:160]}".rstrip(": ")
    return type(err).__name__


def describe_job(sagemaker: SageMakerReader, job_name: str) -> JobOutcome:
    """ExitMessage and first output S3Uri of a processing job (raises the AWS error for the caller to note)."""
    response = sagemaker.describe_processing_job(ProcessingJobName=job_name)
    output_uri = ""
    for output in response.get("ProcessingOutputConfig", {}).get("Outputs", []):
        uri = output.get("S3Output", {}).get("S3Uri")
        if isinstance(uri, str):
            output_uri = uri
            break
    exit_message = response.get("ExitMessage")
    env = response.get("Environment") or {}
    schedule_arn = response.get("MonitoringScheduleArn")
    schedule = env.get("sagemaker_monitoring_schedule_name") or (
        schedule_arn.rsplit("/", 1)[-1] if isinstance(schedule_arn, str) else ""
    )
    return JobOutcome(
        exit_message=exit_message if isinstance(exit_message, str) else "",
        output_uri=output_uri,
        endpoint=str(env.get("sagemaker_endpoint_name", "")),
        schedule=str(schedule),
        schedule_arn=schedule_arn if isinstance(schedule_arn, str) else "",
        own_run_events=OWN_RUN_EVENTS_ENV in env,
        created_at=created if isinstance(created := response.get("CreationTime"), datetime) else None,
    )


NOTIFY_ON_FAILURE_TAG = "modelmonitor:notify-on-execution-failure"
"""Set by the ModelMonitor component on every monitoring schedule from spec.alerting.notifyOnExecutionFailure."""
ENDPOINT_DIMENSION_TAG = "modelmonitor:endpoint"
"""Set by the ModelMonitor component on every Model Monitor schedule: the Endpoint dimension of the monitor's alarms
(the endpoint, or `batch-transform` for a batch transform source), for executions whose job names no endpoint."""


def schedule_tags(sagemaker: SageMakerReader, schedule_arn: str) -> dict[str, str]:
    response = sagemaker.list_tags(ResourceArn=schedule_arn)
    return {str(t.get("Key")): str(t.get("Value")) for t in response.get("Tags", []) if isinstance(t, dict)}


def failure_notifications_enabled(sagemaker: SageMakerReader, schedule_arn: str) -> bool:
    """False only when the schedule says so; an untagged schedule (not ours, or older) is reported."""
    return schedule_tags(sagemaker, schedule_arn).get(NOTIFY_ON_FAILURE_TAG, "true").lower() != "false"


def violations_listed(s3: S3Reader, run_uri: str) -> bool:
    """Whether an execution's output lists violations. Clarify's monitors document the file, not their job's
    ExitMessage: "If violations are detected, the job lists them to the constraint_violations.json file"
    (clarify-model-monitor-bias-drift-violations.html). No file: none. Raises the AWS / format error otherwise."""
    try:
        return bool(read_violations(s3, run_uri))
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return False
        raise


def enrich(
    record: Alertable,
    ctx: MonitorContext,
    *,
    aws: AwsReaders,
    artifact_bucket: str,
    job: JobOutcome | None = None,
) -> Enrichment:
    if ctx.kind not in VIOLATION_KINDS or (isinstance(record, AlarmNotification) and record.new_state != "ALARM"):
        return Enrichment()
    errors: list[str] = []
    run_uri = _run_uri(record, ctx, aws=aws, artifact_bucket=artifact_bucket, job=job, errors=errors)
    if not run_uri:
        if not errors:
            errors.append("no run folder found for this monitor (neither results prefix nor schedule known)")
        return Enrichment(errors=tuple(errors))
    try:
        violations = read_violations(aws.s3, run_uri)
    except AWS_ERRORS as err:
        errors.append(f"reading {VIOLATIONS_FILE}: {aws_error_note(err)}")
        return Enrichment(run_uri=run_uri, errors=tuple(errors))
    except (ViolationsFileError, ValueError) as err:
        errors.append(f"reading {VIOLATIONS_FILE}: {err}")
        return Enrichment(run_uri=run_uri, errors=tuple(errors))
    return Enrichment(violations=violations, run_uri=run_uri, errors=tuple(errors))


def _run_uri(
    record: Alertable,
    ctx: MonitorContext,
    *,
    aws: AwsReaders,
    artifact_bucket: str,
    job: JobOutcome | None,
    errors: list[str],
) -> str:
    if isinstance(record, RunChange) and record.report_uri:
        return record.report_uri
    if isinstance(record, ProcessingJobChange) and ((job.output_uri if job else "") or record.output_uri):
        return (job.output_uri if job else "") or record.output_uri
    # Otherwise find the monitor's latest run like an alarm would.
    results = ctx.results or default_results_uri(artifact_bucket, ctx.monitor, ctx.kind)
    if results and ctx.endpoint and ctx.schedule:
        try:
            found = latest_run_prefix(aws.s3, results, ctx.endpoint, ctx.schedule)
        except AWS_ERRORS as err:
            errors.append(f"listing {results}: {aws_error_note(err)}")
        except ValueError as err:
            errors.append(f"results prefix: {err}")
        else:
            if found:
                return found
            errors.append(f"no yyyy/mm/dd/hh run folder under {results}/{ctx.endpoint}/{ctx.schedule}/")
    if ctx.schedule:
        try:
            return latest_execution_output(aws.sagemaker, ctx.schedule)
        except AWS_ERRORS as err:
            errors.append(f"ListMonitoringExecutions({ctx.schedule}): {aws_error_note(err)}")
    return ""


def latest_run_prefix(s3: S3Reader, results_uri: str, endpoint: str, schedule: str) -> str:
    """`s3://…/{endpoint}/{schedule}/yyyy/mm/dd/hh/` of the latest run, '' when there is none.

    Walks one level at a time with Delimiter='/', so a year of hourly runs costs four small listings, not 8,760 keys.
    """
    bucket, key = split_s3_uri(results_uri)
    prefix = f"{key.strip('/')}/{endpoint}/{schedule}/".lstrip("/")
    for width in _HOUR_LAYOUT_WIDTHS:
        segment = pick_latest_segment(_common_prefixes(s3, bucket, prefix), prefix, width)
        if not segment:
            return ""
        prefix = f"{prefix}{segment}/"
    return f"s3://{bucket}/{prefix}"


def _common_prefixes(s3: S3Reader, bucket: str, prefix: str) -> list[str]:
    found: list[str] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
    for _ in range(_MAX_LIST_PAGES):
        page = s3.list_objects_v2(**kwargs)
        found += [p["Prefix"] for p in page.get("CommonPrefixes", []) if isinstance(p.get("Prefix"), str)]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            break
        kwargs["ContinuationToken"] = token
    return found


def latest_execution_output(sagemaker: SageMakerReader, schedule: str) -> str:
    """Model Monitor engine: the newest execution's processing job output S3Uri ('' when none has a job yet)."""
    response = sagemaker.list_monitoring_executions(
        MonitoringScheduleName=schedule, SortBy="ScheduledTime", SortOrder="Descending", MaxResults=5
    )
    for summary in response.get("MonitoringExecutionSummaries", []):
        arn = summary.get("ProcessingJobArn")
        if isinstance(arn, str) and "/" in arn:
            return describe_job(sagemaker, arn.rsplit("/", 1)[-1]).output_uri
    return ""


def read_violations(s3: S3Reader, run_uri: str) -> tuple[Violation, ...]:
    bucket, key = split_s3_uri(run_uri.rstrip("/") + "/" + VIOLATIONS_FILE)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    return parse_violations(body.read(MAX_VIOLATIONS_BYTES + 1))
