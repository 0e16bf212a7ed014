"""Documents a monitoring run writes besides SageMaker's own: `drift_report.json` (every method's value per
feature) and the CloudWatch metric records of the BYOC contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelmonitor.analyzer.read.sources import Window
from modelmonitor.analyzer.run.checks import Evaluation, FeatureVerdict
from modelmonitor.analyzer.run.constraints import MonitoringConfig

DRIFT_REPORT_VERSION = 1
METRICS_FILE = "cloudwatch_metrics.jsonl"
FEATURES_DRIFTED_METRIC = "features_drifted"
"""Per run: how many features drifted. The default drift alarm watches it (components/alarms.run_drift_alarm)."""
MAX_DRIFT_METRIC = "max_feature_drift"
"""Per run: the largest drift distance of any feature (the worst feature's), whether or not it drifted."""


def _feature_entry(v: FeatureVerdict) -> dict[str, Any]:
    methods = {name: r.to_json() for name, r in v.methods.items()}
    if v.drift is not None:
        methods = {"linf": v.drift.to_json(), **methods}
    return {
        "name": v.name, "inferred_type": v.inferred_type, "drifted": v.drifted,
        "baseline_count": v.baseline_present, "current_count": v.current_present,
        "current_missing": v.current_missing, "completeness": v.completeness,
        "violations": [x.constraint_check_type for x in v.violations], "methods": methods,
    }


def drift_report(evaluation: Evaluation, *, config: MonitoringConfig, item_count: int, malformed: int,
                 window: Window | None, endpoint: str, schedule: str, methods: tuple[str, ...]) -> dict[str, Any]:
    features = sorted(evaluation.features, key=lambda f: (not f.drifted, not f.violations, f.name))
    return {
        "version": DRIFT_REPORT_VERSION,
        "status": "insufficient_data" if evaluation.insufficient_data else "ok",
        "endpoint": endpoint, "schedule": schedule,
        "window": None if window is None else {"start": window.start.isoformat().replace("+00:00", "Z"),
                                               "end": window.end.isoformat().replace("+00:00", "Z")},
        "item_count": item_count, "malformed_records": malformed,
        "comparison_method": config.comparison_method, "comparison_threshold": config.comparison_threshold,
        "categorical_comparison_threshold": config.categorical_comparison_threshold,
        "categorical_drift_method": config.categorical_drift_method, "methods": ["linf", *methods],
        "violations": len(evaluation.violations),
        "drifted_features": [f.name for f in features if f.drifted],
        "features": [_feature_entry(f) for f in features],
    }


def metric_records(evaluation: Evaluation, *, endpoint: str, schedule: str, timestamp: datetime, item_count: int,
                   feature_metrics: bool = True) -> list[dict[str, Any]]:
    """BYOC metric records: per feature `feature_baseline_drift_<f>` (the drift distance compared with the
    threshold), `feature_non_null_<f>` (completeness), `drift_<method>_<f>` per custom method — left out when
    `feature_metrics` is False (the constraints' `emit_metrics: Disabled`); per run, always,
    `monitoring_run_completed` (1, the heartbeat), `violations_count`, `records_analyzed` (the window's records:
    0 when nothing was captured, which the no-captures alarm watches), `features_drifted` (what the default drift
    alarm watches, so a monitor alarms on drift without listing features) and `max_feature_drift` (the worst
    feature's distance; absent when no feature had one, e.g. an empty window). They do not depend on how many
    features there are, and without them the heartbeat alarm would page on a healthy monitor."""
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    # A batch transform source under Model Monitor names no endpoint: its metrics have the MonitoringSchedule
    # dimension only ("CloudWatch Metrics for Bring Your Own Containers"); CloudWatch refuses an empty value.
    dims = ([{"Name": "Endpoint", "Value": endpoint}] if endpoint else []) + [
        {"Name": "MonitoringSchedule", "Value": schedule}]

    def record(name: str, value: float, unit: str = "None") -> dict[str, Any]:
        return {"MetricName": name, "Timestamp": stamp, "Dimensions": dims, "Value": float(value), "Unit": unit}

    records: list[dict[str, Any]] = []
    for f in evaluation.features if feature_metrics else ():
        if f.drift is not None and f.drift.statistic is not None:
            records.append(record(f"feature_baseline_drift_{f.name}", f.drift.statistic))
        if f.completeness is not None:
            records.append(record(f"feature_non_null_{f.name}", f.completeness))
        for method, result in f.methods.items():
            if result.statistic is not None:
                records.append(record(f"drift_{method}_{f.name}", result.statistic))
    records.append(record("monitoring_run_completed", 1.0, "Count"))
    records.append(record("violations_count", float(len(evaluation.violations)), "Count"))
    records.append(record("records_analyzed", float(item_count), "Count"))
    records.append(record(FEATURES_DRIFTED_METRIC, float(sum(1 for f in evaluation.features if f.drifted)), "Count"))
    distances = [f.drift.statistic for f in evaluation.features
                 if f.drift is not None and f.drift.statistic is not None]
    if distances:
        records.append(record(MAX_DRIFT_METRIC, max(distances)))
    return records
