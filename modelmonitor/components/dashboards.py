"""CloudWatch dashboard bodies (pure). Dashboards, unlike alarms, may use metric-math SEARCH: the multi-model
dashboard finds every endpoint's drift and quality metrics without knowing the monitors in advance."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelmonitor.components.alarms import DATA_METRICS_NAMESPACE, MODEL_METRICS_NAMESPACE
from modelmonitor.components.alarms_clarify import OWN_NAMESPACES, VIOLATIONS_METRIC, ClarifyType, batch_location

Widget = dict[str, Any]
# Our engines' namespaces (internal-contracts §4), searched too so one dashboard covers every engine.
OWN_DATA_NAMESPACE = "ModelMonitor/DataQuality"
OWN_MODEL_NAMESPACE = "ModelMonitor/ModelQuality"
TOP_SERIES = 20


def _metric_widget(title: str, region: str, x: int, y: int, *, metrics: list[Any], period: int,
                   threshold: float | None = None, width: int = 12) -> Widget:
    properties: dict[str, Any] = {"title": title, "region": region, "view": "timeSeries", "stacked": False,
                                  "period": period, "metrics": metrics}
    if threshold is not None:
        properties["annotations"] = {"horizontal": [{"label": "threshold", "value": threshold}]}
    return {"type": "metric", "x": x, "y": y, "width": width, "height": 6, "properties": properties}


def search(namespace: str, term: str, stat: str, period: int, extra: str = "") -> str:
    """A SEARCH over the Endpoint/MonitoringSchedule schema of `namespace`."""
    return f"SEARCH('{{{namespace},Endpoint,MonitoringSchedule}} {term}{extra}', '{stat}', {period})"


def multi_model_dashboard(region: str, period: int = 3600) -> dict[str, Any]:
    """Every monitored endpoint at once: the top drifting features, the worst model-quality metrics and the bias
    and attribution runs with violations (counted in our namespaces under every engine)."""
    widgets: list[Widget] = []
    panels = [
        ("Feature drift (L∞), top series — Model Monitor", DATA_METRICS_NAMESPACE, "feature_baseline_drift"),
        ("Feature drift (L∞), top series — ModelMonitor engines", OWN_DATA_NAMESPACE, "feature_baseline_drift"),
        ("Model quality metrics — Model Monitor", MODEL_METRICS_NAMESPACE, ""),
        ("Model quality metrics — ModelMonitor engines", OWN_MODEL_NAMESPACE, ""),
    ]
    for index, (title, namespace, term) in enumerate(panels):
        expression = f"SORT({search(namespace, term, 'Maximum', period)}, MAX, DESC, {TOP_SERIES})"
        widgets.append(_metric_widget(title, region, (index % 2) * 12, (index // 2) * 6, period=period,
                                      metrics=[[{"expression": expression, "id": f"e{index}", "label": ""}]]))
    clarify: list[tuple[str, ClarifyType]] = [
        ("Bias drift: violations per run, top series", "ModelBias"),
        ("Feature attribution drift: violations per run, top series", "ModelExplainability")]
    for index, (title, monitoring_type) in enumerate(clarify):
        term = 'MetricName="' + VIOLATIONS_METRIC + '"'
        found = search(OWN_NAMESPACES[monitoring_type], term, "Maximum", period)
        expression = f"SORT({found}, MAX, DESC, {TOP_SERIES})"
        widgets.append(_metric_widget(f"{title} (every engine)", region, index * 12, 12, period=period,
                                      metrics=[[{"expression": expression, "id": f"c{index}", "label": ""}]]))
    widgets.append(_metric_widget(
        "Monitoring runs completed (ModelMonitor engines)", region, 0, 18, period=period, width=24,
        metrics=[[{"expression": search(OWN_DATA_NAMESPACE, "monitoring_run_completed", "SampleCount", period),
                   "id": "runs", "label": ""}]]))
    return {"widgets": widgets}


@dataclass(frozen=True)
class ClarifyPanel:
    """The widgets of one bias / attribution schedule: the run metric its violations alarm watches and the
    per-metric series (Clarify's `bias_metric_*` / `feature_attribution_*`, or ours)."""

    monitoring_type: ClarifyType
    schedule: str
    run_namespace: str
    """Our namespace of the type: `violations_count` under every engine (the alert Lambda's under modelMonitor)."""
    metric_namespace: str
    """Where the per-metric series are: AWS's endpoint namespace under modelMonitor (batch_location moves it for a
    batch source), ours under our engines."""


_CLARIFY_WIDGETS: dict[ClarifyType, tuple[str, str]] = {"ModelBias": ("bias drift", "bias_metric"),
                                                        "ModelExplainability": ("feature attribution drift",
                                                                                "feature_attribution")}


def _located(namespace: str, endpoint: str, schedule: str, batch: bool) -> tuple[str, list[str]]:
    """(namespace, flat dimension list) of a metric of this monitor: a batch source's AWS metrics have their own
    namespace and no Endpoint dimension (alarms_clarify.batch_location)."""
    dims = {"Endpoint": endpoint, "MonitoringSchedule": schedule}
    if batch:
        namespace, dims = batch_location(namespace, dims)
    return namespace, [item for pair in dims.items() for item in pair]


def _clarify_widgets(panel: ClarifyPanel, *, region: str, endpoint: str, batch: bool, y: int,
                     period: int) -> list[Widget]:
    title, term = _CLARIFY_WIDGETS[panel.monitoring_type]
    run_namespace, run_dims = _located(panel.run_namespace, endpoint, panel.schedule, batch)
    namespace, dims = _located(panel.metric_namespace, endpoint, panel.schedule, batch)
    # No metric schema: Clarify's series carry more dimensions than these (BiasStage, Facet, …), a schema must name
    # them all; the Namespace designator and the two dimension values select this schedule's series.
    where = " ".join(f'{name}="{value}"' for name, value in zip(dims[::2], dims[1::2], strict=True))
    expression = f"SEARCH('Namespace=\"{namespace}\" {where} {term}', 'Maximum', {period})"
    return [
        _metric_widget(f"{endpoint}: {title}, violations per run", region, 0, y, period=period,
                       metrics=[[run_namespace, VIOLATIONS_METRIC, *run_dims, {"stat": "Maximum"}]]),
        _metric_widget(f"{endpoint}: {title}, metrics", region, 12, y, period=period,
                       metrics=[[{"expression": expression, "id": f"{term}s", "label": ""}]]),
    ]


def monitor_dashboard(*, region: str, endpoint: str, data_schedule: str | None, model_schedule: str | None,
                      features: Sequence[str], drift_threshold: float, quality_metrics: Sequence[str],
                      alarm_arns: Sequence[str], period: int = 3600,
                      data_namespace: str = DATA_METRICS_NAMESPACE,
                      model_namespace: str = MODEL_METRICS_NAMESPACE, batch: bool = False,
                      clarify: Sequence[ClarifyPanel] = ()) -> dict[str, Any]:
    """One model: its drift per feature (or all features by SEARCH when none are declared), its quality metrics,
    its bias / attribution drift and the state of its alarms. `batch`: a batch transform source."""
    widgets: list[Widget] = []
    y = 0
    if alarm_arns:
        widgets.append({"type": "alarm", "x": 0, "y": y, "width": 24, "height": 3,
                        "properties": {"title": "Alarms", "alarms": sorted(alarm_arns)}})
        y += 3
    if data_schedule is not None:
        namespace, dims = _located(data_namespace, endpoint, data_schedule, batch)
        if features:
            metrics: list[Any] = [[namespace, f"feature_baseline_drift_{f}", *dims] for f in features]
        else:
            names = dims[::2]
            term = " ".join(f'{name}="{value}"' for name, value in zip(names, dims[1::2], strict=True))
            metrics = [[{"expression": f"SEARCH('{{{','.join([namespace, *names])}}} "
                                       f"{term} feature_baseline_drift', 'Maximum', {period})", "id": "drift",
                         "label": ""}]]
        widgets.append(_metric_widget(f"{endpoint}: feature drift (L∞)", region, 0, y, metrics=metrics,
                                      period=period, threshold=drift_threshold))
        # What the monitor's drift alarm watches, under every engine (the alert Lambda publishes it for Model
        # Monitor executions): drifted features per run, and the worst feature's distance.
        run_dims = ["Endpoint", endpoint, "MonitoringSchedule", data_schedule]
        widgets.append(_metric_widget(
            f"{endpoint}: features drifted per run", region, 0, y + 6, period=period,
            metrics=[[OWN_DATA_NAMESPACE, "features_drifted", *run_dims, {"stat": "Maximum"}],
                     [OWN_DATA_NAMESPACE, "max_feature_drift", *run_dims, {"stat": "Maximum", "yAxis": "right"}]]))
    if model_schedule is not None and quality_metrics:
        namespace, dims = _located(model_namespace, endpoint, model_schedule, batch)
        widgets.append(_metric_widget(
            f"{endpoint}: model quality", region, 12, y, period=86400,
            metrics=[[namespace, metric, *dims] for metric in quality_metrics]))
    y += 12
    for panel in clarify:
        widgets += _clarify_widgets(panel, region=region, endpoint=endpoint, batch=batch, y=y, period=period)
        y += 6
    return {"widgets": widgets}


def dashboard_url(region: str, name: str) -> str:
    domain = "console.amazonaws.cn" if region.startswith("cn-") else "console.aws.amazon.com"
    return f"https://{region}.{domain}/cloudwatch/home?region={region}#dashboards:name={name}"


def to_json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True)
