"""Seeded benchmark data: reference/current CSVs with known drift, and the current window as SageMaker captures.

Everything is generated once per (variant, sizes, seed) into a cache directory; a `manifest.json` written last marks
a complete data set, so an interrupted generation is redone rather than half-used.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20261125
CHUNK_ROWS = 100_000
# Numerical features cycle through these shapes so the data is not all Gaussian.
SHAPES = ("normal", "lognormal", "uniform", "exponential")
CATEGORY_CARDINALITIES = (4, 5, 3, 10, 50)
# Captures are spread over this many hour prefixes, each split into files as SageMaker rolls them.
CAPTURE_HOURS = 4
CAPTURE_FILES_PER_HOUR = 6


@dataclass(frozen=True)
class InjectedDrift:
    feature: str
    change: str
    # Sup-distance between the reference and current CDFs (or category frequencies): what SageMaker's L-infinity
    # statistic converges to; 0.1 is its default threshold.
    linf: float
    strong: bool


# Drift injected into the current window. Strong drifts exceed the usual 0.1 distance thresholds; the subtle one is
# far below them, but with a million rows a significance test still rejects it: it shows which tools alarm on what.
NUMERIC_DRIFT = (
    InjectedDrift("f00", "normal: mean shifted by +0.5 sd", 0.197, True),
    InjectedDrift("f01", "lognormal: values scaled by 1.5", 0.315, True),
    InjectedDrift("f02", "uniform: support shifted by +0.2", 0.200, True),
    InjectedDrift("f04", "normal: mean shifted by +0.05 sd (subtle)", 0.020, False),
)
CATEGORICAL_DRIFT = (
    InjectedDrift("c00", "frequencies [.4 .3 .2 .1] -> [.2 .3 .3 .2]", 0.200, True),
    InjectedDrift("c01", "new category 'unseen' takes 15 %", 0.150, True),
)


@dataclass(frozen=True)
class DataSet:
    directory: Path
    variant: str
    rows_ref: int
    rows_cur: int
    numeric_features: list[str]
    categorical_features: list[str]
    drift: list[InjectedDrift]
    ref_csv_bytes: int
    cur_csv_bytes: int
    capture_bytes: int

    @property
    def ref_csv(self) -> Path:
        return self.directory / "reference.csv"

    @property
    def cur_csv(self) -> Path:
        return self.directory / "current.csv"

    @property
    def capture_dir(self) -> Path:
        return self.directory / "capture"

    @property
    def features(self) -> list[str]:
        return self.numeric_features + self.categorical_features


def _numeric_column(rng: np.random.Generator, index: int, rows: int, drifted: bool) -> np.ndarray:
    shape = SHAPES[index % len(SHAPES)]
    # Distinct location/scale per feature so no two columns look alike.
    loc, scale = float(index), 1.0 + index / 10
    if shape == "normal":
        shift = {0: 0.5, 4: 0.05}.get(index, 0.0) if drifted else 0.0
        return rng.normal(loc + shift * scale, scale, rows)
    if shape == "lognormal":
        factor = 1.5 if drifted and index == 1 else 1.0
        return factor * rng.lognormal(np.log(scale), 0.5, rows)
    if shape == "uniform":
        shift = 0.2 * scale if drifted and index == 2 else 0.0
        return rng.uniform(loc + shift, loc + shift + scale, rows)
    return loc + rng.exponential(scale, rows)


def _categorical_column(rng: np.random.Generator, index: int, rows: int, drifted: bool) -> np.ndarray:
    cardinality = CATEGORY_CARDINALITIES[index % len(CATEGORY_CARDINALITIES)]
    names = np.array([f"k{index}_{value:02d}" for value in range(cardinality)] + ["unseen"])
    if index == 0:
        weights = [0.2, 0.3, 0.3, 0.2] if drifted else [0.4, 0.3, 0.2, 0.1]
        probabilities = np.array([*weights, 0.0])
    elif index == 1 and drifted:
        probabilities = np.array([0.85 / cardinality] * cardinality + [0.15])
    else:
        ranks = np.arange(1, cardinality + 1, dtype=float)
        probabilities = np.append((1 / ranks) / (1 / ranks).sum(), 0.0)  # Zipf-like, stable
    return names[rng.choice(len(names), size=rows, p=probabilities)]


def _csv_rows(rng: np.random.Generator, rows: int, n_numeric: int, n_categorical: int, drifted: bool) -> list[str]:
    """One CSV line (no newline) per row: numbers with 6 significant digits, as a model's input would carry them."""
    numeric = np.column_stack([_numeric_column(rng, i, rows, drifted) for i in range(n_numeric)])
    buffer = io.StringIO()
    np.savetxt(buffer, numeric, fmt="%.6g", delimiter=",")
    lines = buffer.getvalue().splitlines()
    if n_categorical:
        categorical = [_categorical_column(rng, i, rows, drifted).tolist() for i in range(n_categorical)]
        lines = [",".join((line, *values)) for line, values in zip(lines, zip(*categorical, strict=True), strict=True)]
    return lines


def _chunks(total: int) -> Iterator[int]:
    for start in range(0, total, CHUNK_ROWS):
        yield min(CHUNK_ROWS, total - start)


def _write_csv(path: Path, header: list[str], rng: np.random.Generator, *, rows: int, n_numeric: int,
               n_categorical: int, drifted: bool, keep_rows: bool = False) -> list[str]:
    """Write the CSV in chunks; return its rows when `keep_rows` (the captures are made of them)."""
    kept: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(header) + "\n")
        for size in _chunks(rows):
            lines = _csv_rows(rng, size, n_numeric, n_categorical, drifted)
            out.write("\n".join(lines) + "\n")
            if keep_rows:
                kept.extend(lines)
    return kept


def capture_line(csv_row: str, prediction: str, event_id: str, inference_time: str) -> str:
    """One SageMaker data-capture record (CSV in, CSV out), formatted as the service writes it."""
    record = {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": csv_row, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                               "data": prediction, "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": event_id, "inferenceTime": inference_time},
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":"))


def _write_captures(root: Path, rows: list[str], rng: np.random.Generator) -> None:
    """S3 layout `{endpoint}/{variant}/yyyy/mm/dd/hh/{MM-SS-mmm-uuid}.jsonl`, rows spread evenly over the hours."""
    files = CAPTURE_HOURS * CAPTURE_FILES_PER_HOUR
    per_file = -(-len(rows) // files)
    predictions = rng.uniform(0, 1, len(rows))
    ids = rng.integers(0, 2**63, size=(len(rows), 2))
    for file_index in range(files):
        hour, slot = divmod(file_index, CAPTURE_FILES_PER_HOUR)
        minute = slot * (60 // CAPTURE_FILES_PER_HOUR)
        directory = root / "bench-endpoint" / "AllTraffic" / "2026" / "11" / "24" / f"{hour:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        start, stop = file_index * per_file, min(len(rows), (file_index + 1) * per_file)
        name = f"{minute:02d}-00-000-{ids[start, 0]:016x}.jsonl"
        with (directory / name).open("w", encoding="utf-8") as out:
            for row in range(start, stop):
                second = (row - start) * (60 * (60 // CAPTURE_FILES_PER_HOUR)) // max(1, stop - start)
                timestamp = f"2026-11-24T{hour:02d}:{minute + second // 60:02d}:{second % 60:02d}Z"
                event_id = f"{ids[row, 0]:016x}{ids[row, 1]:016x}"
                out.write(capture_line(rows[row], f"{predictions[row]:.4f}", event_id, timestamp) + "\n")


def _directory_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def ensure_dataset(cache: Path, variant: str, *, rows_ref: int, rows_cur: int, n_numeric: int,
                   with_captures: bool, seed: int = SEED) -> DataSet:
    """Return the cached data set for these parameters, generating it first when absent or incomplete."""
    n_categorical = len(CATEGORY_CARDINALITIES) if variant == "categorical" else 0
    directory = cache / f"{variant}-ref{rows_ref}-cur{rows_cur}-f{n_numeric}-seed{seed}"
    manifest = directory / "manifest.json"
    if manifest.exists():
        return _from_manifest(directory, json.loads(manifest.read_text(encoding="utf-8")))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    numeric = [f"f{i:02d}" for i in range(n_numeric)]
    categorical = [f"c{i:02d}" for i in range(n_categorical)]
    header = numeric + categorical
    # Separate streams per file: the reference does not change when the current window's size does.
    ref_rng, cur_rng, capture_rng = (np.random.default_rng([seed, part]) for part in range(3))
    _write_csv(directory / "reference.csv", header, ref_rng, rows=rows_ref, n_numeric=n_numeric,
               n_categorical=n_categorical, drifted=False)
    current_rows = _write_csv(directory / "current.csv", header, cur_rng, rows=rows_cur, n_numeric=n_numeric,
                              n_categorical=n_categorical, drifted=True, keep_rows=with_captures)
    if with_captures:
        _write_captures(directory / "capture", current_rows, capture_rng)
    drift = [d for d in NUMERIC_DRIFT if d.feature in numeric] + [d for d in CATEGORICAL_DRIFT if d.feature in header]
    content = {
        "variant": variant, "rows_ref": rows_ref, "rows_cur": rows_cur, "numeric_features": numeric,
        "categorical_features": categorical, "drift": [asdict(d) for d in drift],
        "ref_csv_bytes": (directory / "reference.csv").stat().st_size,
        "cur_csv_bytes": (directory / "current.csv").stat().st_size,
        "capture_bytes": _directory_bytes(directory / "capture") if with_captures else 0,
    }
    manifest.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return _from_manifest(directory, content)


def _from_manifest(directory: Path, content: dict[str, Any]) -> DataSet:
    return DataSet(
        directory=directory, variant=content["variant"], rows_ref=content["rows_ref"], rows_cur=content["rows_cur"],
        numeric_features=content["numeric_features"], categorical_features=content["categorical_features"],
        drift=[InjectedDrift(**d) for d in content["drift"]], ref_csv_bytes=content["ref_csv_bytes"],
        cur_csv_bytes=content["cur_csv_bytes"], capture_bytes=content["capture_bytes"],
    )
