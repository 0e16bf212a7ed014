"""What SageMaker Processing does around a monitoring container, reproduced on the local emulator.

For one scheduled execution: download the window's captures and the baseline into the container paths, start
the analyzer's container entrypoint (`python -m modelmonitor.analyzer`, the image's ENTRYPOINT) with the
environment Model Monitor passes, then upload `/opt/ml/processing/output` to the output S3 URI and publish the
metric lines the container wrote under `/opt/ml/output/metrics/cloudwatch/` with PutMetricData. The container
itself is the product's, unchanged; only the platform around it is emulated.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DATA_METRICS_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
CAPTURE_DATASET_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                     "endpointOutput"]}})
CONTAINER_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Execution:
    endpoint: str
    variant: str
    schedule: str
    capture_uri: str
    """DestinationS3Uri of the endpoint's data capture."""
    statistics_uri: str
    constraints_uri: str
    output_uri: str
    """The job definition's output S3Uri; this run's files go below `{endpoint}/{schedule}/yyyy/mm/dd/hh/`."""
    window_start: datetime
    window_end: datetime
    environment: Mapping[str, str]
    """The job definition's Environment (publish_cloudwatch_metrics and the analyzer's knobs)."""
    namespace: str = DATA_METRICS_NAMESPACE


@dataclass(frozen=True)
class ExecutionOutcome:
    status: str
    """Completed, CompletedWithViolations or Failed (from the container's exit code and message)."""
    exit_message: str
    result_uri: str
    local_output: Path
    metrics_published: int


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _download_prefix(s3: Any, uri: str, target: Path) -> int:
    bucket, prefix = _split(uri)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            destination = target / item["Key"][len(prefix):].lstrip("/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(destination))
            count += 1
    return count


def _upload_tree(s3: Any, source: Path, uri: str) -> None:
    bucket, prefix = _split(uri)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"{prefix.rstrip('/')}/{path.relative_to(source).as_posix()}")


def _window_hours(start: datetime, end: datetime) -> list[datetime]:
    hours, at = [], start.replace(minute=0, second=0, microsecond=0)
    while at < end:
        hours.append(at)
        at += timedelta(hours=1)
    return hours


def run_execution(execution: Execution, *, s3: Any, cloudwatch: Any, workdir: Path,
                  extra_env: Mapping[str, str]) -> ExecutionOutcome:
    root = workdir / "opt-ml"
    endpoint_input = root / "processing/input/endpoint"
    capture_base = f"{execution.capture_uri.rstrip('/')}/{execution.endpoint}/{execution.variant}"
    for hour in _window_hours(execution.window_start, execution.window_end):
        _download_prefix(s3, f"{capture_base}/{hour:%Y/%m/%d/%H}/",
                         endpoint_input / execution.endpoint / execution.variant / f"{hour:%Y/%m/%d/%H}")
    baseline = root / "processing/baseline"
    (baseline / "stats").mkdir(parents=True, exist_ok=True)
    (baseline / "constraints").mkdir(parents=True, exist_ok=True)
    s3.download_file(*_split(execution.statistics_uri), str(baseline / "stats/statistics.json"))
    s3.download_file(*_split(execution.constraints_uri), str(baseline / "constraints/constraints.json"))
    output = root / "processing/output"
    output.mkdir(parents=True, exist_ok=True)
    env = {
        **extra_env,
        **execution.environment,
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": str(endpoint_input),
        "output_path": str(output),
        "sagemaker_endpoint_name": execution.endpoint,
        "sagemaker_monitoring_schedule_name": execution.schedule,
        "sagemaker_endpoint_datacapture_prefix": capture_base,
        "start_time": execution.window_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": execution.window_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "baseline_statistics": str(baseline / "stats/statistics.json"),
        "baseline_constraints": str(baseline / "constraints/constraints.json"),
        "MODELMONITOR_OPT_ML_ROOT": str(root),
    }
    completed = subprocess.run([sys.executable, "-m", "modelmonitor.analyzer"], env=env, capture_output=True,
                               text=True, timeout=CONTAINER_TIMEOUT_SECONDS, check=False)
    message_file = root / "output/message"
    message = message_file.read_text(errors="replace") if message_file.is_file() else ""
    if completed.returncode != 0:
        status = "Failed"
        message = message or f"Failed: exit {completed.returncode}: {completed.stderr[-500:]}"
    else:
        status = message.split(":", 1)[0] if message.startswith("CompletedWithViolations") else "Completed"
    result_uri = (f"{execution.output_uri.rstrip('/')}/{execution.endpoint}/{execution.schedule}/"
                  f"{execution.window_start:%Y/%m/%d/%H}/")
    _upload_tree(s3, output, result_uri)
    published = _publish_metrics(cloudwatch, root / "output/metrics/cloudwatch", execution.namespace)
    return ExecutionOutcome(status, message, result_uri, output, published)


def _publish_metrics(cloudwatch: Any, directory: Path, namespace: str) -> int:
    """PutMetricData for every metric line, as the service does with a BYOC container's metric files."""
    data: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*")) if directory.is_dir() else []:
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                record["Timestamp"] = datetime.fromisoformat(record["Timestamp"].replace("Z", "+00:00"))
                data.append(record)
    for start in range(0, len(data), 500):  # PutMetricData takes at most 1000 datums per call
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + 500])
    return len(data)
