"""The bias baseline: Clarify's `analysis.json` of a labelled CSV dataset with a header (the training or validation
set, with the model's outputs in `predicted_label`), computed by `bias_analysis.dataset_analysis`.

Two callers: `modelmonitor baseline DATA -o DIR --bias-config FILE` (one local file), and the analyzer's bias
baseline mode (`monitoring_type: ModelBias` with `analysis_mode: baseline`, internal-contracts §5), the processing job
a `modelBias.baseline.dataset` runs at deploy time: `analysis_config` (a path, s3:// URI or JSON text),
`dataset_source` (a file, or a folder whose files are all read: a dataset given as an S3 prefix arrives as the
files below it) and `output_path`. Same inputs as AWS's Clarify job, so one baseline configuration serves both.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.bias_analysis import dataset_analysis
from modelmonitor.analyzer.quality.bias_config import BiasConfigError, parse_config
from modelmonitor.analyzer.quality.run import environment_document
from modelmonitor.analyzer.read.sources import write_bytes

BASELINE_MODE = "baseline"
ANALYSIS_FILE = "analysis.json"


def is_bias_baseline(env: Mapping[str, str]) -> bool:
    """The environment asks for a bias baseline (not a bias run, not a data-quality baseline)."""
    return env.get("monitoring_type") == "ModelBias" and env.get("analysis_mode") == BASELINE_MODE


def dataset_files(source: str) -> list[Path]:
    """The dataset's files: `source` itself, or every file below the folder (sorted, hidden files skipped)."""
    if source.startswith("s3://"):
        raise AnalyzerInputError(f"dataset_source {source}: the bias baseline reads a local file or folder (the "
                                 "processing job's dataset input)")
    path = Path(source)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise AnalyzerInputError(f"dataset_source {source}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise AnalyzerInputError(f"dataset_source {source}: the folder holds no dataset file")
    return files


def read_columns(files: Sequence[Path]) -> dict[str, list[str]]:
    """The files' rows as named columns (each file has the same header; short rows read as empty cells)."""
    header: list[str] | None = None
    body: list[list[str]] = []
    for file in files:
        try:
            with file.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
        except UnicodeDecodeError as exc:
            raise AnalyzerInputError(f"{file}: not a UTF-8 CSV file ({exc.reason})") from exc
        if not rows:
            continue
        if header is None:
            header = rows[0]
        elif rows[0] != header:
            raise AnalyzerInputError(f"{file}: its header {rows[0][:20]} differs from the first file's {header[:20]}")
        body += rows[1:]
    if header is None or not body:
        raise AnalyzerInputError("a bias baseline needs a CSV dataset with a header and at least one row")
    return {name: [row[i] if i < len(row) else "" for row in body] for i, name in enumerate(header)}


@dataclass(frozen=True)
class BiasBaselineResult:
    rows: int
    analysis_uri: str

    def summary(self) -> str:
        return f"bias baseline of {self.rows} rows written to {self.analysis_uri}"


def analysis_bytes(columns: Mapping[str, Sequence[Any]], raw_config: Any) -> bytes:
    """analysis.json of the dataset's columns under a parsed-JSON configuration; BiasConfigError names the field."""
    return orjson.dumps(dataset_analysis(columns, parse_config(raw_config)), option=orjson.OPT_INDENT_2)


def run_bias_baseline(env: Mapping[str, str]) -> BiasBaselineResult:
    """The analyzer's bias baseline mode: `analysis_config`, `dataset_source` → `{output_path}/analysis.json`."""
    raw = environment_document(env, "analysis_config", "the bias baseline analysis configuration")
    source, output = env.get("dataset_source", ""), env.get("output_path", "")
    if not source or not output:
        raise AnalyzerInputError("dataset_source and output_path are required for a bias baseline")
    columns = read_columns(dataset_files(source))
    try:
        data = analysis_bytes(columns, raw)
    except BiasConfigError as exc:
        raise AnalyzerInputError(f"bias baseline: {exc}") from exc
    target = f"{output.rstrip('/')}/{ANALYSIS_FILE}"
    write_bytes(target, data)
    return BiasBaselineResult(rows=len(next(iter(columns.values()))), analysis_uri=target)
