"""`AnalysisJob`: the one configuration of an analysis run, built from the BYOC environment (SageMaker, Lambda,
Processing jobs — internal-contracts §5) or from CLI arguments."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.methods import CUSTOM_METHODS
from modelmonitor.analyzer.read.batches import HeaderMode
from modelmonitor.analyzer.read.dataset import FormatChoice, LayoutChoice, ReadOptions
from modelmonitor.analyzer.read.sources import Window, env_number, parse_time
from modelmonitor.analyzer.stats.dataset_stats import KLL_C, KLL_K
from modelmonitor.analyzer.stats.kll import KLL_MAX_K, KLL_MIN_K

# Batch transform sources and payload mappings load where a job has them (the environment's job, a batch's read
# options): a CSV run from the command line never pays for them.
if TYPE_CHECKING:
    from modelmonitor.analyzer.read.batch_transform import BatchCapture
    from modelmonitor.analyzer.read.payloads import PayloadMapping

OPT_ML_ROOT_ENV = "MODELMONITOR_OPT_ML_ROOT"
"""Overrides `/opt/ml` (tests run the BYOC entrypoint against a temporary tree)."""
DEFAULT_OPT_ML_ROOT = "/opt/ml"
DEFAULT_MAX_MALFORMED_FRACTION = 0.1
"""Up to 10 % unparseable lines are counted and reported; more means the input is not what we think it is."""

Mode = Literal["baseline", "monitor"]
Stage = Literal["full", "shard", "merge"]


@dataclass(frozen=True)
class AnalysisJob:
    mode: Mode
    dataset_source: str
    """File, directory or s3:// prefix (captures, CSV, JSON lines, Parquet or Arrow IPC); in the merge stage: partial
    statistics."""
    output_path: str
    baseline_statistics: str | None = None
    baseline_constraints: str | None = None
    data_format: FormatChoice = "auto"
    csv_header: HeaderMode = "auto"
    capture_layout: LayoutChoice = "auto"
    window: Window | None = None
    publish_cloudwatch_metrics: bool = False
    metrics_dir: str | None = None
    endpoint_name: str = ""
    schedule_name: str = ""
    drift_methods: tuple[str, ...] = CUSTOM_METHODS
    comparison_method: str | None = None
    drift_threshold: float | None = None
    categorical_drift_threshold: float | None = None
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION
    stage: Stage = "full"
    """`shard`: write partial statistics only; `merge`: combine the partial statistics found in dataset_source."""
    report_html: str | None = None
    shard_id: str = ""
    """Shard stage: names this instance's partial statistics file (instances of one sharded job upload to the
    same S3 prefix, so each needs its own file name)."""
    sketch_k: int = KLL_K
    sketch_c: float = KLL_C
    """The KLL sketch's parameters (SageMaker's k = 2048, c = 0.64 by default): a larger k is more accurate and makes
    statistics.json larger (about k / (1 - c) numbers per numeric feature at most)."""
    payload_mapping: PayloadMapping | None = None
    """Where capture payloads hold their features and what to call them (`spec.payload`, `read.payloads`)."""
    record_preprocessor: str | None = None
    """A record preprocessor script (path or s3:// URI; SageMaker's `record_preprocessor_script` contract) that turns
    each capture record into rows (`read.preprocessor`)."""
    batch: BatchCapture | None = None
    """The monitored model runs as batch transform jobs: the dataset is the inputs the window's jobs' capture
    manifests list (`read.batch_transform`), read as headerless CSV or JSON lines."""
    reference_source: str | None = None
    """Monitor mode against a reference dataset instead of baseline files: its baseline is computed in this run (and
    written beside the results), as comparing two datasets in one step does."""

    @property
    def read_options(self) -> ReadOptions:
        """How `read.read_dataset` reads this job's data."""
        if self.batch is not None:
            from modelmonitor.analyzer.read.batch_transform import dataset_format

            # Whole input files of the window's jobs: no capture records, no per-record time to filter on.
            return ReadOptions(data_format="jsonl" if dataset_format(self.batch.content_type) == "jsonl" else "csv",
                               csv_header="absent", capture_layout=self.capture_layout, window=None,
                               mapping=self.payload_mapping)
        return ReadOptions(data_format=self.data_format, csv_header=self.csv_header,
                           capture_layout=self.capture_layout, window=self.window, mapping=self.payload_mapping)

    def __post_init__(self) -> None:
        baseline_files = bool(self.baseline_statistics and self.baseline_constraints)
        if self.mode == "monitor" and self.reference_source and (self.baseline_statistics or self.baseline_constraints):
            raise AnalyzerInputError("monitor against baseline files or a reference dataset, not both")
        if self.mode == "monitor" and not (baseline_files or self.reference_source):
            raise AnalyzerInputError("monitoring needs both baseline_statistics and baseline_constraints")
        if self.reference_source and (self.mode != "monitor" or self.stage != "full"):
            raise AnalyzerInputError("a reference dataset is for a full monitoring run (not baseline, shard or merge)")
        unknown = sorted(set(self.drift_methods) - set(CUSTOM_METHODS))
        if unknown:
            raise AnalyzerInputError(f"unknown drift method(s) {', '.join(unknown)}; "
                                     f"choose from {', '.join(CUSTOM_METHODS)}")
        for name, value in (("drift_threshold", self.drift_threshold),
                            ("categorical_drift_threshold", self.categorical_drift_threshold)):
            if value is not None and not 0 < value <= 1:
                raise AnalyzerInputError(f"{name} must be in (0, 1], got {value}")
        if not KLL_MIN_K <= self.sketch_k <= KLL_MAX_K:
            raise AnalyzerInputError(f"sketch k (--sketch-k, kll_k) must be an integer in [{KLL_MIN_K}, {KLL_MAX_K}], "
                                     f"got {self.sketch_k}")
        if self.payload_mapping is not None and self.record_preprocessor:
            raise AnalyzerInputError("a payload mapping and a record preprocessor both decide the rows: use one")
        if not 0.5 < self.sketch_c < 1:
            raise AnalyzerInputError(f"sketch c (--sketch-c, kll_c) must be in (0.5, 1), got {self.sketch_c}")
        if self.comparison_method not in (None, "Robust", "Simple"):
            raise AnalyzerInputError(f"comparison_method must be Robust or Simple, not {self.comparison_method!r}")

    @classmethod
    def from_environment(cls, env: Mapping[str, str], *, opt_ml_root: str | None = None) -> AnalysisJob:
        """The BYOC contract's variables (and ours, internal-contracts §5) → a job. Paths SageMaker does not pass
        default to the container layout under `/opt/ml` (or `MODELMONITOR_OPT_ML_ROOT`)."""
        from modelmonitor.analyzer.read.batch_transform import BatchCapture
        from modelmonitor.analyzer.read.payloads import mapping_from_json

        root = Path(opt_ml_root or env.get(OPT_ML_ROOT_ENV) or DEFAULT_OPT_ML_ROOT)
        statistics, constraints = env.get("baseline_statistics") or None, env.get("baseline_constraints") or None
        data_format, header = parse_dataset_format(env.get("dataset_format", ""))
        start, end = env.get("start_time"), env.get("end_time")
        if bool(start) != bool(end):
            raise AnalyzerInputError("start_time and end_time must be set together")
        window = Window(parse_time(start, "start_time"), parse_time(end, "end_time")) if start and end else None
        methods = env.get("drift_methods")
        stage = env.get("analysis_stage", "full")
        if stage not in ("full", "shard", "merge"):
            raise AnalyzerInputError(f"analysis_stage must be full, shard or merge, not {stage!r}")
        return cls(
            mode="monitor" if statistics or constraints else "baseline",
            dataset_source=env.get("dataset_source") or str(root / "processing/input/endpoint"),
            output_path=env.get("output_path") or str(root / "processing/output"),
            baseline_statistics=statistics, baseline_constraints=constraints,
            data_format=data_format, csv_header=header, window=window,
            publish_cloudwatch_metrics=env.get("publish_cloudwatch_metrics", "Disabled") == "Enabled",
            metrics_dir=str(root / "output/metrics/cloudwatch"),
            endpoint_name=env.get("sagemaker_endpoint_name", ""),
            schedule_name=env.get("sagemaker_monitoring_schedule_name", ""),
            drift_methods=parse_methods(methods) if methods is not None else CUSTOM_METHODS,
            comparison_method=env.get("comparison_method") or None,
            drift_threshold=_float(env, "drift_threshold"),
            categorical_drift_threshold=_float(env, "categorical_drift_threshold"),
            stage="shard" if stage == "shard" else "merge" if stage == "merge" else "full",
            shard_id=current_host(root) if stage == "shard" else "",
            sketch_k=_default(env_number(env, "kll_k", int, "an integer"), KLL_K),
            sketch_c=_default(_float(env, "kll_c"), KLL_C),
            record_preprocessor=env.get("record_preprocessor_script") or None,
            payload_mapping=mapping_from_json(env.get("payload_mapping", ""), "payload_mapping"),
            batch=BatchCapture.from_environment(env),
        )


def current_host(root: Path) -> str:
    """This instance's name in a Processing job (`current_host` of `/opt/ml/config/resourceconfig.json`, e.g.
    `algo-2`), else the machine's host name; reduced to characters safe in a file name."""
    host = ""
    config = root / "config" / "resourceconfig.json"
    if config.is_file():
        try:
            host = str(orjson.loads(config.read_bytes()).get("current_host") or "")
        except (OSError, orjson.JSONDecodeError, AttributeError) as exc:
            raise AnalyzerInputError(f"{config}: unreadable resource configuration ({exc})") from exc
    if not host:
        import socket  # only here: a shard stage outside SageMaker (≈ 6 ms of every other run's start-up)

        host = socket.gethostname()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-.") or "shard"


N = TypeVar("N", int, float)


def _float(env: Mapping[str, str], name: str) -> float | None:
    return env_number(env, name, float, "a number")


def _default(value: N | None, default: N) -> N:
    return default if value is None else value


def parse_methods(raw: str) -> tuple[str, ...]:
    return tuple(m.strip().lower() for m in raw.split(",") if m.strip())


def parse_dataset_format(raw: str) -> tuple[FormatChoice, HeaderMode]:
    """SageMaker's `dataset_format` JSON → (format, CSV header mode). Parquet is `{"parquet": {}}` in a baselining
    job's environment and `{"Parquet": {}}` in the API's MonitoringDatasetFormat (the SDK's
    `MonitoringDatasetFormat.parquet()`); both are read."""
    if not raw.strip():
        return "auto", "auto"
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AnalyzerInputError(f"dataset_format is not JSON: {raw[:200]!r}") from exc
    if not isinstance(value, dict) or len(value) != 1:
        raise AnalyzerInputError(f"dataset_format must be an object with one key, got {raw[:200]!r}")
    (kind, options), = value.items()
    options = options if isinstance(options, dict) else {}
    if kind == "sagemakerCaptureJson":
        return "capture", "auto"
    if kind == "csv":
        header = options.get("header")
        return "csv", "auto" if header is None else "present" if header else "absent"
    if kind == "json":
        # the SDK's DatasetFormat.json(lines=...) writes `lines`; the API's MonitoringDatasetFormat Json has `Line`
        if any(options.get(key) is False for key in ("lines", "line", "Line")):
            raise AnalyzerInputError("dataset_format json with lines=false is not supported: use JSON lines")
        return "jsonl", "auto"
    if kind in ("parquet", "Parquet"):
        return "parquet", "auto"
    raise AnalyzerInputError(f"dataset_format {kind!r} is not supported (sagemakerCaptureJson, csv, json or parquet)")
