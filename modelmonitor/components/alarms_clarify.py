"""Alarm definitions of bias drift and feature attribution drift (pure), in the shapes of `alarms.py`.

Every run of our analyzer publishes `violations_count` (bias metrics outside the baseline's band; an nDCG below
0.90) and `monitoring_run_completed` with the dimensions Endpoint + MonitoringSchedule (internal-contracts §4).
The violations alarm follows the M-of-N rule of `spec.alerting`; the heartbeat is `alarms.heartbeat_alarm`.
The violations alarm carries kind `bias_drift` or `attribution_drift`: the alert Lambda groups it with the type's runs
into one incident (alerts/signals.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from modelmonitor.components.alarms import (
    DATA_METRICS_NAMESPACE,
    MODEL_METRICS_NAMESPACE,
    RUN_COMPLETED_METRIC,
    AlarmContext,
    AlarmDefinition,
    AlarmKind,
    _window,
    heartbeat_alarm,
)
from modelmonitor.spec import Alerting, schedule_period_seconds

VIOLATIONS_METRIC = "violations_count"
ClarifyType = Literal["ModelBias", "ModelExplainability"]
OWN_NAMESPACES: dict[ClarifyType, str] = {"ModelBias": "ModelMonitor/ModelBias",
                                          "ModelExplainability": "ModelMonitor/ModelExplainability"}
"""Where our engines publish each type's metrics (internal-contracts §4)."""
_KIND: dict[ClarifyType, AlarmKind] = {"ModelBias": "bias_drift", "ModelExplainability": "attribution_drift"}
_WHAT: dict[ClarifyType, tuple[str, str]] = {
    "ModelBias": ("bias", "bias metrics outside the baseline's band"),
    "ModelExplainability": ("attribution", "feature attribution ranking drifted (nDCG below the threshold)")}


def violations_alarm(monitoring_type: ClarifyType, schedule: str, alerting: Alerting, context: AlarmContext, *,
                     namespace: str) -> AlarmDefinition:
    """`violations_count` > 0 in M of N runs. Missing runs are the heartbeat's concern (treat missing: ignore)."""
    period, n = _window(schedule_period_seconds(schedule), alerting.evaluation_periods)
    m = min(alerting.datapoints_to_alarm, n)
    short, what = _WHAT[monitoring_type]
    return AlarmDefinition(
        key=f"{short}-violations", kind=_KIND[monitoring_type], namespace=namespace, metric_name=VIOLATIONS_METRIC,
        dimensions={"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule},
        statistic="Maximum", period=period, threshold=0, comparison="GreaterThanThreshold",
        evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data="ignore",
        sentence=f"{'Bias drift' if short == 'bias' else 'Feature attribution drift'} of endpoint "
                 f"{context.endpoint}: {what} in {m} of the last {n} runs.", context=context)


def clarify_alarms(monitoring_type: ClarifyType, schedule: str, alerting: Alerting, context: AlarmContext, *,
                   namespace: str) -> list[AlarmDefinition]:
    """The violations alarm and the heartbeat of one type under our engines."""
    short, _ = _WHAT[monitoring_type]
    return [violations_alarm(monitoring_type, schedule, alerting, context, namespace=namespace),
            heartbeat_alarm(f"no-{short}-metrics", namespace=namespace, metric_name=RUN_COMPLETED_METRIC,
                            schedule=schedule, alerting=alerting, context=context,
                            what="bias" if short == "bias" else "feature attribution")]


ENDPOINT_NAMESPACE_PREFIX = "aws/sagemaker/Endpoints/"
BATCH_NAMESPACE_PREFIX = "aws/sagemaker/ModelMonitoring/"
AWS_NAMESPACES: dict[ClarifyType, str] = {"ModelBias": "aws/sagemaker/Endpoints/bias-metrics",
                                          "ModelExplainability": "aws/sagemaker/Endpoints/explainability-metrics"}
"""Where AWS's Clarify container publishes an endpoint's per-metric series (`bias_metric_*`,
`feature_attribution_*`; "CloudWatch Metrics for Bias Drift Analysis" in the SageMaker guide)."""


def batch_location(namespace: str, dimensions: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Where a metric of a batch transform source is: AWS's endpoint namespaces become `aws/sagemaker/
    ModelMonitoring/*` without the Endpoint dimension; our namespaces are unchanged (our engines and the alert
    Lambda publish them with Endpoint = `batch-transform`). One rule for alarms and the dashboard."""
    if not namespace.startswith(ENDPOINT_NAMESPACE_PREFIX):
        return namespace, dict(dimensions)
    return (BATCH_NAMESPACE_PREFIX + namespace.removeprefix(ENDPOINT_NAMESPACE_PREFIX),
            {k: v for k, v in dimensions.items() if k != "Endpoint"})


def model_monitor_namespaces(*, bias: bool, attribution: bool, batch: bool) -> list[str]:
    """The namespaces Model Monitor and its Clarify container publish this monitor's metrics in: data and model
    metrics, and bias / explainability metrics when those types are on; `aws/sagemaker/Endpoints/*` for an endpoint,
    `aws/sagemaker/ModelMonitoring/*` for a batch transform source. The monitoring role may put metrics in these."""
    endpoint = [DATA_METRICS_NAMESPACE, MODEL_METRICS_NAMESPACE,
                *([AWS_NAMESPACES["ModelBias"]] if bias else []),
                *([AWS_NAMESPACES["ModelExplainability"]] if attribution else [])]
    return [batch_location(namespace, {})[0] for namespace in endpoint] if batch else endpoint


def for_batch_transform(definition: AlarmDefinition) -> AlarmDefinition:
    """Model Monitor publishes a batch transform source's metrics under `aws/sagemaker/ModelMonitoring/*` with only
    the MonitoringSchedule dimension ("CloudWatch Metrics", https://docs.aws.amazon.com/sagemaker/latest/dg/
    model-monitor-interpreting-cloudwatch.html; "CloudWatch Metrics for Bring Your Own Containers"): an alarm on
    an endpoint namespace would never see a datapoint. Other alarms (our namespaces, SQS) are unchanged."""
    if not definition.namespace.startswith(ENDPOINT_NAMESPACE_PREFIX):
        return definition
    namespace, dimensions = batch_location(definition.namespace, definition.dimensions)
    return replace(definition, namespace=namespace, dimensions=dimensions)
