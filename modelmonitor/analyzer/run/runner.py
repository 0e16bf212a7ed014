"""`run(job) -> AnalysisResult`: one analysis run, whoever starts it (CLI, BYOC container, Lambda, Processing job).

baseline: read the dataset → statistics.json + constraints.json. monitor: read the window, compare it with the
baseline → constraint_violations.json, statistics.json, drift_report.json, CloudWatch metric records and (when
asked) an HTML report. Sharded runs: stage `shard` writes partial statistics, stage `merge` combines them and
carries on as a full run would."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import orjson

from modelmonitor.analyzer.base.binning import quantile_edges
from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.batches import ReadCounters
from modelmonitor.analyzer.read.dataset import read_dataset
from modelmonitor.analyzer.read.sources import list_objects, load_json, write_bytes
from modelmonitor.analyzer.run.constraints import (
    FeatureConstraint,
    MonitoringConfig,
    constraints_document,
    read_constraints,
)
from modelmonitor.analyzer.run.statsfile import ReferenceFeature, read_statistics, statistics_document
from modelmonitor.analyzer.stats.column_lanes import column_lanes
from modelmonitor.analyzer.stats.dataset_stats import DatasetStats

# Batch transform inputs, record preprocessors and partial statistics load only when a job uses them, the checks and
# drift methods only in a monitoring run: a CSV baseline never pays for them (tests/spec/test_cli_startup.py).
if TYPE_CHECKING:
    from modelmonitor.analyzer.run import checks
    from modelmonitor.analyzer.run.job import AnalysisJob

log = logging.getLogger(__name__)

REFERENCE_BASELINE_DIR = "baseline"
"""A reference run's baseline goes to `{output}/baseline/statistics.json` and `constraints.json`: the names
`modelmonitor baseline` writes, so the folder serves as `--baseline` of a later run."""
PARTIAL_FILE = "partial_statistics.json"
"""Shard stage output; with a shard id `partial_statistics-{id}.json` (`partial_file_name`)."""
Status = Literal["Completed", "CompletedWithViolations"]


class Progress(Protocol):
    def start(self, total_bytes: int) -> None: ...
    def advance(self, n_bytes: int) -> None: ...


@dataclass(frozen=True)
class AnalysisResult:
    mode: str
    status: Status
    item_count: int
    malformed_records: int
    violations: tuple[checks.Violation, ...] = ()
    drifted_features: tuple[str, ...] = ()
    insufficient_data: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    metrics: tuple[dict[str, Any], ...] = ()
    """The run's CloudWatch metric records (BYOC format), also when no file was written: engines that publish with
    PutMetricData (Lambda) send these."""
    unpaired_records: int = 0
    """Capture records whose outputs did not pair one-to-one with their inputs (read.payloads)."""

    def _unpaired(self) -> str:
        if not self.unpaired_records:
            return ""
        return (f"; {self.unpaired_records} request(s) whose outputs did not pair with their inputs "
                "(their output columns left empty)")

    def summary(self) -> str:
        """One line for logs and the exit message (after its status prefix)."""
        if self.mode == "baseline":
            return f"baseline of {self.item_count} records ({self.malformed_records} malformed)" + self._unpaired()
        if self.insufficient_data:
            return f"insufficient data: {self.item_count} records in the window, nothing compared"
        text = (f"{len(self.violations)} violation(s) in {self.item_count} records "
                f"({self.malformed_records} malformed)") + self._unpaired()
        if self.drifted_features:
            text += "; drifted: " + ", ".join(self.drifted_features)
        return text


@dataclass(frozen=True)
class Baseline:
    features: list[ReferenceFeature]
    constraints: list[FeatureConstraint]
    config: MonitoringConfig
    item_count: int = 0
    source: str = ""
    """Where it came from, for the report: the baseline directory or the reference dataset."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.constraints]


def load_baseline(job: AnalysisJob) -> Baseline:
    assert job.baseline_statistics and job.baseline_constraints  # guaranteed by AnalysisJob for monitor mode
    return _baseline(job, load_json(job.baseline_statistics, "baseline statistics"), job.baseline_statistics,
                     load_json(job.baseline_constraints, "baseline constraints"), job.baseline_constraints)


def _baseline(job: AnalysisJob, statistics: Any, statistics_source: str, constraints: Any,
              constraints_source: str) -> Baseline:
    item_count, features = read_statistics(statistics, statistics_source)
    constraint_list, config = read_constraints(constraints, constraints_source)
    config = config.overridden(comparison_method=job.comparison_method, drift_threshold=job.drift_threshold,
                               categorical_drift_threshold=job.categorical_drift_threshold)
    source = (f"{job.reference_source} (reference dataset)" if job.reference_source
              else statistics_source.rsplit("/", 1)[0])
    return Baseline(features, constraint_list, config, item_count, source)


def reference_baseline(job: AnalysisJob, written: dict[str, str]) -> Baseline:
    """The baseline of `job.reference_source`, computed here as `modelmonitor baseline` would, and written under
    the results (`baseline/statistics.json`, `baseline/constraints.json`) for later runs."""
    assert job.reference_source
    reference = replace(job, mode="baseline", dataset_source=job.reference_source, reference_source=None,
                        data_format="auto", window=None, record_preprocessor=None)
    stats, _ = accumulate(reference, None)
    if stats.item_count == 0:
        raise AnalyzerInputError(f"{job.reference_source}: no records to compute a baseline from")
    statistics, constraints = statistics_document(stats), constraints_document(stats)
    for name, document in (("statistics", statistics), ("constraints", constraints)):
        written[f"baseline_{name}"] = uri = _out(job, f"{REFERENCE_BASELINE_DIR}/{name}.json")
        _write_json(uri, document)
    return _baseline(job, statistics, job.reference_source, constraints, job.reference_source)


def accumulate(job: AnalysisJob, baseline: Baseline | None, progress: Progress | None = None
               ) -> tuple[DatasetStats, ReadCounters]:
    """Read the job's data into statistics (or merge partial statistics in the merge stage)."""
    stats = DatasetStats(seed_salt=job.shard_id, sketch_k=job.sketch_k, sketch_c=job.sketch_c)
    if baseline is not None:
        stats.bins = {f.name: quantile_edges(f.sample) for f in baseline.features
                      if f.is_numeric and f.sample is not None}
    if job.batch is not None and job.stage != "merge":
        if job.window is None:
            raise AnalyzerInputError("a batch transform source needs the run's window (start_time, end_time)")
        from modelmonitor.analyzer.read.batch_transform import input_data_objects

        objects = input_data_objects(job.dataset_source, job.window.start, job.window.end)
    else:
        objects = list_objects(job.dataset_source, None if job.stage == "merge" else job.window)
    if job.stage == "merge":
        from modelmonitor.analyzer.run.partials import load_partial, merge_partial

        totals = ReadCounters()
        for obj in objects:
            raw = load_json(obj.uri, "partial statistics")
            part, bad = load_partial(raw, obj.uri)
            merge_partial(stats, part, obj.uri)
            totals.malformed += bad
            totals.unpaired += int(raw.get("unpaired_records", 0))
        return stats, totals
    if progress:
        progress.start(sum(o.size for o in objects))
    options = job.read_options
    if job.record_preprocessor:
        from modelmonitor.analyzer.read.preprocessor import load_preprocessor

        options = replace(options, preprocessor=load_preprocessor(job.record_preprocessor))
    dataset = read_dataset(objects, options, known_names=baseline.names if baseline else None,
                           on_bytes=progress.advance if progress else None)
    with column_lanes() as run_column:
        for batch in dataset.batches:
            assert batch.names is not None  # read_dataset names every batch
            stats.add_columns(batch.names, batch.text_columns, batch.n_rows, run_column)
    dataset.check_malformed(job.max_malformed_fraction)
    counters, fmt = dataset.counters, dataset.format
    if counters.malformed:
        log.warning("skipped %d malformed records, e.g. %s", counters.malformed, counters.examples[0])
    if counters.unpaired:
        log.warning("%d records' outputs did not pair with their inputs (output columns left empty), e.g. %s",
                    counters.unpaired, counters.unpaired_example)
    log.info("read %d records from %d object(s) as %s", stats.item_count, len(objects), fmt)
    return stats, counters


def partial_file_name(shard_id: str) -> str:
    """One file per shard instance: the instances of a sharded Processing job upload the same local output path
    to one S3 prefix, so a shared name would leave only the last instance's statistics to merge."""
    return f"partial_statistics-{shard_id}.json" if shard_id else PARTIAL_FILE


def _out(job: AnalysisJob, name: str) -> str:
    base = job.output_path.rstrip("/")
    return f"{base}/{name}"


def _write_json(uri: str, document: Any) -> None:
    write_bytes(uri, orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


def run(job: AnalysisJob, *, progress: Progress | None = None, now: datetime | None = None) -> AnalysisResult:
    written: dict[str, str] = {}
    baseline = None
    if job.mode == "monitor":
        baseline = reference_baseline(job, written) if job.reference_source else load_baseline(job)
    stats, counters = accumulate(job, baseline, progress)
    malformed, unpaired = counters.malformed, counters.unpaired
    if job.stage == "shard":
        written["partial_statistics"] = _out(job, partial_file_name(job.shard_id))
        _write_json(written["partial_statistics"], stats.to_json(malformed=malformed, unpaired=unpaired))
        return AnalysisResult(job.mode, "Completed", stats.item_count, malformed, outputs=written,
                              unpaired_records=unpaired)
    written["statistics"] = _out(job, "statistics.json")
    _write_json(written["statistics"], statistics_document(stats))
    if baseline is None:
        if stats.item_count == 0:
            raise AnalyzerInputError(f"{job.dataset_source}: no records to compute a baseline from")
        written["constraints"] = _out(job, "constraints.json")
        _write_json(written["constraints"], constraints_document(stats))
        return AnalysisResult("baseline", "Completed", stats.item_count, malformed, outputs=written,
                              unpaired_records=unpaired)
    result = _monitor(job, baseline, stats, malformed=malformed, written=written, now=now or datetime.now(UTC))
    return replace(result, unpaired_records=unpaired)


def _monitor(job: AnalysisJob, baseline: Baseline, stats: DatasetStats, *, malformed: int,
             written: dict[str, str], now: datetime) -> AnalysisResult:
    from modelmonitor.analyzer.run import checks, outputs

    evaluation = checks.evaluate(stats, baseline.features, baseline.constraints, baseline.config, job.drift_methods)
    if evaluation.without_statistics:
        log.warning("the baseline constraints name %d feature(s) its statistics lack: %s; no drift method can run "
                    "for them (their constraint checks still do)", len(evaluation.without_statistics),
                    ", ".join(repr(n) for n in evaluation.without_statistics))
    written["constraint_violations"] = _out(job, "constraint_violations.json")
    _write_json(written["constraint_violations"], {"violations": [v.to_json() for v in evaluation.violations]})
    report = outputs.drift_report(evaluation, config=baseline.config, item_count=stats.item_count,
                                  malformed=malformed, window=job.window, endpoint=job.endpoint_name,
                                  schedule=job.schedule_name, methods=job.drift_methods)
    report["features_without_statistics"] = list(evaluation.without_statistics)
    written["drift_report"] = _out(job, "drift_report.json")
    _write_json(written["drift_report"], report)
    records = outputs.metric_records(evaluation, endpoint=job.endpoint_name, schedule=job.schedule_name,
                                     timestamp=job.window.end if job.window else now,
                                     item_count=stats.item_count, feature_metrics=baseline.config.emit_metrics)
    if job.publish_cloudwatch_metrics and job.metrics_dir:
        path = f"{job.metrics_dir.rstrip('/')}/{outputs.METRICS_FILE}"
        write_bytes(path, b"".join(orjson.dumps(r) + b"\n" for r in records))
        written["metrics"] = path
    if job.report_html:
        from modelmonitor.analyzer.run import report as html_report

        context = html_report.ReportContext(dataset=job.dataset_source, baseline=baseline.source,
                                            baseline_records=baseline.item_count, generated_at=now,
                                            violations=evaluation.violations)
        write_bytes(job.report_html, html_report.render(report, baseline.features, stats, context).encode("utf-8"))
        written["report"] = job.report_html
    violations = evaluation.violations
    return AnalysisResult(
        mode="monitor", status="CompletedWithViolations" if violations else "Completed",
        item_count=stats.item_count, malformed_records=malformed, violations=violations,
        drifted_features=tuple(f.name for f in evaluation.features if f.drifted),
        insufficient_data=evaluation.insufficient_data, outputs=written, metrics=tuple(records))


def result_prefix(output_uri: str, endpoint: str, schedule: str, window_start: datetime) -> str:
    """Where a run's files go under our engines (internal-contracts §1):
    `{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/`, the hour being the window's UTC start."""
    hour = window_start.astimezone(UTC).strftime("%Y/%m/%d/%H")
    return f"{output_uri.rstrip('/')}/{endpoint}/{schedule}/{hour}/"
