"""The latest monitoring run of a monitor, read where every engine writes it (internal-contracts §1).

Run outputs land at `{results}/{endpoint}/{schedule}/yyyy/mm/dd/hh/` (`constraint_violations.json`, and from our
analyzer `drift_report.json`); the latest run is the greatest hour prefix. Under engine modelMonitor a failed run
writes nothing there, so SageMaker's ListMonitoringExecutions is asked for failures newer than that run.
boto3 honours AWS_ENDPOINT_URL, so the same code reads moto or a local S3.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelmonitor.spec import ModelMonitorDocument
from modelmonitor.status import MonitoringExecution

logger = logging.getLogger(__name__)

_HOUR = re.compile(r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/$")
RESULTS_OUTPUT_KEYS = ("dataQualityResultsS3Uri", "resultsS3Uri")
SCHEDULE_OUTPUT_KEYS = ("dataQualityScheduleName", "monitoringScheduleName")
_FAILED = ("Failed", "Stopped")
DATA_QUALITY_SCHEDULE_SUFFIX = "-dq-schedule"  # components/names.py: MonitorNames.data_quality_schedule


@dataclass(frozen=True)
class RunLocation:
    bucket: str
    prefix: str
    """The hour prefix `…/{endpoint}/{schedule}/yyyy/mm/dd/hh/`."""
    schedule: str
    scheduled_time: datetime


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def results_uri(document: ModelMonitorDocument, outputs: Mapping[str, str], default_bucket: str | None) -> str | None:
    """Where the data-quality runs of this monitor land: an explicit output, else the bucket's contract layout."""
    for key in RESULTS_OUTPUT_KEYS:
        if outputs.get(key, "").startswith("s3://"):
            return outputs[key]
    bucket = outputs.get("bucketName") or default_bucket
    if not bucket or bucket == "[secret]":
        return None
    namespace, name = document.key
    return f"s3://{bucket}/results/{namespace}/{name}/data-quality"


def schedule_name(outputs: Mapping[str, str]) -> str | None:
    """The data-quality schedule's name from the stack's scheduleArns output (a JSON map of ARNs)."""
    for key in SCHEDULE_OUTPUT_KEYS:
        if outputs.get(key):
            return outputs[key]
    try:
        arns = json.loads(outputs.get("scheduleArns") or "{}")
    except ValueError:
        return None
    values = arns.values() if isinstance(arns, dict) else arns if isinstance(arns, list) else []
    names = [str(arn).rsplit("/", 1)[-1] for arn in values]
    return next((n for n in names if n.endswith(DATA_QUALITY_SCHEDULE_SUFFIX)), None)


def _common_prefixes(s3: Any, bucket: str, prefix: str) -> list[str]:
    found: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        found.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
    return found


def latest_run(s3: Any, results: str) -> RunLocation | None:
    """Greatest hour prefix over every endpoint/schedule below `results` (4 date levels descended greedily)."""
    bucket, base = split_s3_uri(results.rstrip("/") + "/")
    best: RunLocation | None = None
    for endpoint in _common_prefixes(s3, bucket, base):
        for schedule in _common_prefixes(s3, bucket, endpoint):
            prefix = schedule
            for _level in range(4):  # yyyy / mm / dd / hh, zero-padded: lexicographic = chronological
                children = _common_prefixes(s3, bucket, prefix)
                if not children:
                    break
                prefix = max(children)
            match = _HOUR.search(prefix)
            if match is None:
                continue
            when = datetime(int(match["y"]), int(match["m"]), int(match["d"]), int(match["h"]), tzinfo=UTC)
            if best is None or when > best.scheduled_time:
                best = RunLocation(bucket, prefix, schedule[len(endpoint):].strip("/"), when)
    return best


def execution_from_files(run: RunLocation, violations: Mapping[str, Any] | None,
                         report: Mapping[str, Any] | None) -> MonitoringExecution:
    """A finished run from its files: violations by the SageMaker format, drifted features by check type."""
    items = list((violations or {}).get("violations") or [])
    drifted = sorted({str(v.get("feature_name")) for v in items
                      if v.get("constraint_check_type") == "baseline_drift_check" and v.get("feature_name")})
    if not drifted and report:
        drifted = sorted(str(f) for f in report.get("drifted_features") or [])
    return MonitoringExecution(
        status="CompletedWithViolations" if items else "Completed",
        scheduled_time=run.scheduled_time.isoformat().replace("+00:00", "Z"),
        violations=len(items), drifted_features=drifted, report_uri=f"s3://{run.bucket}/{run.prefix}")


def newer_failure(summary: Mapping[str, Any] | None, run: RunLocation | None) -> MonitoringExecution | None:
    """A Model Monitor execution that failed after the latest run with outputs (so nothing newer landed in S3)."""
    if summary is None or summary.get("MonitoringExecutionStatus") not in _FAILED:
        return None
    scheduled = summary.get("ScheduledTime")
    if isinstance(scheduled, datetime) and scheduled.tzinfo is None:
        scheduled = scheduled.replace(tzinfo=UTC)
    if run is not None and isinstance(scheduled, datetime) and scheduled <= run.scheduled_time:
        return None
    return MonitoringExecution(
        status=str(summary["MonitoringExecutionStatus"]),
        scheduled_time=scheduled.isoformat().replace("+00:00", "Z") if isinstance(scheduled, datetime) else None,
        failure_reason=str(summary.get("FailureReason") or "no reason given"))


def _read_json(s3: Any, bucket: str, key: str) -> Mapping[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        logger.warning("s3://%s/%s is not JSON; ignoring it", bucket, key)
        return None
    return parsed if isinstance(parsed, Mapping) else None


class ExecutionReader:
    """Reads the latest run with boto3 clients made per region (injectable for tests)."""

    def __init__(self, default_bucket: str | None, clients: Any = None) -> None:
        self.default_bucket = default_bucket
        self._clients = clients

    def _client(self, service: str, region: str) -> Any:
        if self._clients is not None:
            return self._clients(service, region)
        import boto3

        return boto3.client(service, region_name=region)

    def latest(self, document: ModelMonitorDocument, outputs: Mapping[str, str]) -> MonitoringExecution | None:
        uri = results_uri(document, outputs, self.default_bucket)
        if uri is None:
            return None
        s3 = self._client("s3", document.spec.region)
        run = latest_run(s3, uri)
        execution = None
        if run is not None:
            execution = execution_from_files(run, _read_json(s3, run.bucket, run.prefix + "constraint_violations.json"),
                                             _read_json(s3, run.bucket, run.prefix + "drift_report.json"))
        if document.spec.engine == "modelMonitor":
            schedule = schedule_name(outputs) or (run.schedule if run else None)
            if schedule:
                failure = newer_failure(self._latest_execution(document.spec.region, schedule), run)
                execution = failure or execution
        return execution

    def _latest_execution(self, region: str, schedule: str) -> Mapping[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        sagemaker = self._client("sagemaker", region)
        try:
            response = sagemaker.list_monitoring_executions(
                MonitoringScheduleName=schedule, SortBy="ScheduledTime", SortOrder="Descending", MaxResults=1)
        except (BotoCoreError, ClientError) as exc:  # the S3 outputs still tell the latest finished run
            logger.warning("cannot list executions of %s: %s", schedule, exc)
            return None
        summaries = response.get("MonitoringExecutionSummaries") or []
        return summaries[0] if summaries else None
