"""Whole JSON-line records from SageMaker's hourly S3 layout (`{prefix}/yyyy/mm/dd/hh/…`): data-capture records
and ground-truth records, for readers that need each record's metadata (event ids, times) and not only its rows —
model quality's join of predictions with labels. Errors name the record (`RecordError`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from modelmonitor.analyzer.base.errors import RecordError

SYNTHETIC_INFERENCE_PREFIX = "modelmonitor-attribution-"
"""The InferenceId prefix of the requests a feature-attribution run sends to the monitored endpoint: data capture
records them like any request, and readers leave them out of windows (they are not the endpoint's traffic)."""


def is_synthetic(record: dict[str, Any]) -> bool:
    """A capture record of our own attribution traffic (see SYNTHETIC_INFERENCE_PREFIX)."""
    inference_id = (record.get("eventMetadata") or {}).get("inferenceId")
    return isinstance(inference_id, str) and inference_id.startswith(SYNTHETIC_INFERENCE_PREFIX)


class S3Reader(Protocol):
    """The two S3 calls the reader needs (a boto3 S3 client satisfies it)."""

    def get_paginator(self, operation_name: str) -> Any: ...

    def get_object(self, **kwargs: Any) -> Any: ...


def json_record(line: bytes | str, where: str) -> dict[str, Any]:
    """One JSON-line record, which must be an object."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        raise RecordError(f"{where}: not a JSON line: {err}") from err
    if not isinstance(record, dict):
        raise RecordError(f"{where}: a record must be a JSON object")
    return record


def hour_prefixes(base_uri: str, start: datetime, end: datetime) -> list[str]:
    """`{base}/yyyy/mm/dd/hh/` for every UTC hour overlapping [start, end]."""
    base = base_uri.rstrip("/")
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC)
    prefixes = []
    while hour <= last:
        prefixes.append(f"{base}/{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    return prefixes


def _split(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise RecordError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def iter_s3_objects(s3: S3Reader, prefixes: Iterable[str]) -> Iterator[tuple[str, datetime | None, list[bytes]]]:
    """(key, last-modified, lines) of every object under the given s3:// hour prefixes."""
    for prefix_uri in prefixes:
        bucket, prefix = _split(prefix_uri)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                yield item["Key"], None, body.splitlines()
