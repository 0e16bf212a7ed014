"""Seeded synthetic datasets with known shifts, and writers for CSV and SageMaker capture JSON lines."""

from __future__ import annotations

import base64
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

Columns = dict[str, list[str]]


def baseline_columns(n: int, seed: int = 7) -> Columns:
    rng = np.random.default_rng(seed)
    return {
        "age": [str(v) for v in rng.integers(18, 80, n)],
        "income": [f"{v:.2f}" for v in rng.lognormal(10, 0.5, n)],
        "score": [f"{v:.4f}" for v in rng.normal(0, 1, n)],
        "tenure": [str(v) for v in rng.poisson(5, n)],
        "plan": list(rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1])),
        "region": list(rng.choice(["north", "south", "east", "west"], n)),
        "channel": list(rng.choice(["web", "app"], n, p=[0.7, 0.3])),
        "balance": [f"{v:.2f}" for v in rng.normal(1000, 200, n)],
    }


def drifted_columns(n: int, seed: int = 11) -> Columns:
    """Same generator as the baseline except: score's mean +1 σ; region gains a new category `central`; plan's
    frequencies move (0.6/0.3/0.1 → 0.3/0.3/0.4); tenure loses 15 % of its values."""
    rng = np.random.default_rng(seed)
    cols = baseline_columns(n, seed)
    cols["score"] = [f"{v:.4f}" for v in rng.normal(1.0, 1, n)]
    cols["region"] = list(rng.choice(["north", "south", "east", "west", "central"], n,
                                     p=[0.2, 0.2, 0.2, 0.2, 0.2]))
    cols["plan"] = list(rng.choice(["basic", "plus", "pro"], n, p=[0.3, 0.3, 0.4]))
    missing = rng.random(n) < 0.15
    cols["tenure"] = ["" if m else v for v, m in zip(cols["tenure"], missing, strict=True)]
    return cols


def rows(cols: Columns) -> list[list[str]]:
    return [list(r) for r in zip(*cols.values(), strict=True)]


def write_csv(path: Path, cols: Columns, header: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(list(cols))
        writer.writerows(rows(cols))
    return path


def capture_line(fields: list[str], when: datetime, *, encoding: str = "CSV", output: str | None = None) -> str:
    data = ",".join(fields)
    if encoding == "BASE64":
        payload = {"observedContentType": "text/csv", "mode": "INPUT",
                   "data": base64.b64encode(data.encode()).decode(), "encoding": "BASE64"}
    elif encoding == "JSON":
        payload = {"observedContentType": "application/json", "mode": "INPUT",
                   "data": json.dumps({"instances": [[float(f) if f else None for f in fields]]}),
                   "encoding": "JSON"}
    else:
        payload = {"observedContentType": "text/csv", "mode": "INPUT", "data": data, "encoding": "CSV"}
    capture: dict[str, object] = {"endpointInput": payload}
    if output is not None:
        capture["endpointOutput"] = {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                     "data": output, "encoding": "CSV"}
    return json.dumps({"captureData": capture,
                       "eventMetadata": {"eventId": f"e-{when.timestamp()}",
                                         "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
                       "eventVersion": "0"})


def write_captures(root: Path, cols: Columns, start: datetime, *, endpoint: str = "ep", variant: str = "AllTraffic",
                   files: int = 4, spacing: timedelta = timedelta(seconds=1), output: bool = False) -> list[Path]:
    """Rows as capture records `spacing` apart from `start`, in hourly S3-layout folders, `files` files per hour."""
    all_rows = rows(cols)
    by_file: dict[Path, list[str]] = {}
    for i, fields in enumerate(all_rows):
        when = start + i * spacing
        hour_dir = root / endpoint / variant / when.strftime("%Y/%m/%d/%H")
        path = hour_dir / f"{when:%M}-part{i % files}.jsonl"
        by_file.setdefault(path, []).append(capture_line(fields, when, output="0.5" if output else None))
    for path, lines in by_file.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    return sorted(by_file)


WINDOW_START = datetime(2026, 11, 24, 10, tzinfo=UTC)
