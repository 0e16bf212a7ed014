"""Run metrics for Model Monitor executions, so one drift alarm design serves every engine.

Our analyzer publishes per run `monitoring_run_completed`, `violations_count`, `features_drifted` and
`max_feature_drift` (analyzer/run/outputs.py). AWS's built-in analyzer publishes only per-feature metrics, and only
for features whose constraints emit them. The alert Lambda sees every Model Monitor execution complete, so it
publishes the same run metrics for those runs, computed from the execution's constraint_violations.json (the
format AWS documents: `{"violations": [{feature_name, constraint_check_type, description}]}`, drift as
`baseline_drift_check` with "… distance: X exceeds threshold: Y"), into our own data-quality namespace with the
dimensions every alarm uses (Endpoint, MonitoringSchedule).

Bias drift and feature attribution drift executions (AWS's Clarify container) get the two metrics our analyzer
publishes for those types and the alarms watch — `monitoring_run_completed` and `violations_count`, counted from
the execution's constraint_violations.json in Clarify's formats (logic.violation_subject) — into our namespaces of
those types. Clarify's own per-metric metrics (`bias_metric_*`, `feature_attribution_*`) stay AWS's.

`max_feature_drift` is published only when a feature drifted: the violations file holds no distance for features
under their threshold, and a made-up 0 would be a lie an alarm could act on.

Timestamp: the execution's scheduled hour (its CreationTime floored to the hour; Model Monitor starts executions
within minutes of it), which is the end of the window it analysed — the rule our engines follow (docs/engines.md,
"Metric timestamps"), so the same alarm sees both. A redelivered event stamps the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from .logic import Violation

DATA_METRICS_NAMESPACE = "ModelMonitor/DataQuality"
"""Our engines' data-quality namespace (components/alarms.py OWN_DATA_METRICS_NAMESPACE; a test ties them)."""
NAMESPACES = {"data_quality": DATA_METRICS_NAMESPACE, "model_bias": "ModelMonitor/ModelBias",
              "model_explainability": "ModelMonitor/ModelExplainability"}
"""Monitoring type (signals.monitoring_type) → our engines' namespace of its run metrics (components/
alarms_clarify.py OWN_NAMESPACES; a test ties them). Model quality: AWS's analyzer publishes its own metrics."""
RUN_COMPLETED_METRIC = "monitoring_run_completed"
VIOLATIONS_METRIC = "violations_count"
FEATURES_DRIFTED_METRIC = "features_drifted"
MAX_DRIFT_METRIC = "max_feature_drift"
DRIFT_CHECK = "baseline_drift_check"


class MetricWriter(Protocol):
    def put_metric_data(self, **kwargs: Any) -> dict[str, Any]: ...


def scheduled_hour(created: datetime) -> datetime:
    moment = created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def run_metric_data(violations: tuple[Violation, ...], *, endpoint: str, schedule: str,
                    timestamp: datetime, monitoring_type: str = "data_quality") -> list[dict[str, Any]]:
    """PutMetricData `MetricData` of one execution (pure)."""
    dims = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
    values: list[tuple[str, float, str]] = [
        (RUN_COMPLETED_METRIC, 1.0, "Count"),
        (VIOLATIONS_METRIC, float(len(violations)), "Count"),
    ]
    if monitoring_type != "data_quality":
        return [{"MetricName": name, "Dimensions": dims, "Timestamp": timestamp, "Value": value, "Unit": unit}
                for name, value, unit in values]
    drift = [v for v in violations if v.check_type == DRIFT_CHECK]
    values.append((FEATURES_DRIFTED_METRIC, float(len({v.feature for v in drift})), "Count"))
    distances = [v.distance for v in drift if v.distance is not None]
    if distances:
        values.append((MAX_DRIFT_METRIC, max(distances), "None"))
    return [{"MetricName": name, "Dimensions": dims, "Timestamp": timestamp, "Value": value, "Unit": unit}
            for name, value, unit in values]


def publish(cloudwatch: MetricWriter, data: list[dict[str, Any]], namespace: str = DATA_METRICS_NAMESPACE) -> None:
    """One request: a run's handful of metrics is far below PutMetricData's 1,000 per call."""
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)
