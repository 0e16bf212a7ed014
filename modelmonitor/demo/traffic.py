"""Endpoint traffic as SageMaker's data capture writes it (contract file, "Data capture"): one JSON object per
line, files under `{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/{MM-SS-mmm-uuid}.jsonl`, and ground-truth lines
under `{prefix}/yyyy/mm/dd/hh/`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from modelmonitor.demo.scenario import Table

REQUESTS_PER_FILE = 100


@dataclass(frozen=True)
class CaptureFile:
    key: str
    """Key relative to the capture prefix."""
    body: bytes


def capture_key(endpoint: str, variant: str, at: datetime, file_id: uuid.UUID) -> str:
    return (f"{endpoint}/{variant}/{at:%Y/%m/%d/%H}/"
            f"{at:%M-%S}-{at.microsecond // 1000:03d}-{file_id}.jsonl")


def capture_record(row_csv: str, probability: float, at: datetime, event_id: str,
                   inference_id: str) -> dict[str, object]:
    return {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": row_csv,
                              "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                               "data": f"{probability:.6f}", "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": event_id, "inferenceId": inference_id,
                          "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"},
        "eventVersion": "0",
    }


def hour_capture_files(table: Table, probabilities: np.ndarray, *, endpoint: str, variant: str,
                       hour_start: datetime, rng: np.random.Generator) -> list[CaptureFile]:
    """The capture files of one hour of requests, spread over the hour as SageMaker buffers them."""
    return capture_files(table.csv_rows(), probabilities, endpoint=endpoint, variant=variant, hour_start=hour_start,
                         rng=rng)


def inference_id(hour_start: datetime, index: int) -> str:
    """The inference id the demo's client sends with request `index` of the hour (ground truth joins on it)."""
    return f"{hour_start:%Y%m%d%H}-{index}"


def capture_files(rows: list[str], probabilities: np.ndarray, *, endpoint: str, variant: str,
                  hour_start: datetime, rng: np.random.Generator) -> list[CaptureFile]:
    """The capture files of one hour of requests (CSV lines), spread over the hour as SageMaker buffers them."""
    offsets = np.sort(rng.uniform(0, 3600, len(rows)))
    files: list[CaptureFile] = []
    for start in range(0, len(rows), REQUESTS_PER_FILE):
        lines = []
        for i in range(start, min(start + REQUESTS_PER_FILE, len(rows))):
            at = hour_start + timedelta(seconds=float(offsets[i]))
            ids = uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i)
            lines.append(json.dumps(capture_record(rows[i], float(probabilities[i]), at, str(ids),
                                                   inference_id(hour_start, i))))
        first = hour_start + timedelta(seconds=float(offsets[start]))
        file_id = uuid.UUID(int=int(rng.integers(0, 2**63)))
        files.append(CaptureFile(capture_key(endpoint, variant, first, file_id), "\n".join(lines).encode() + b"\n"))
    return files


def ground_truth_lines(inference_ids: Iterable[str], labels: Iterable[float]) -> bytes:
    lines = [json.dumps({"groundTruthData": {"data": str(int(label)), "encoding": "CSV"},
                         "eventMetadata": {"eventId": inference_id}, "eventVersion": "0"})
             for inference_id, label in zip(inference_ids, labels, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def demo_start(hours: int, now: datetime | None = None) -> datetime:
    """The first simulated hour: `hours` whole hours before the current hour, so every window is in the past."""
    current = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    return current - timedelta(hours=hours)
