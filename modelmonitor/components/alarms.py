"""CloudWatch alarm definitions as data (pure): what each monitor alarms on, and why it is the real metric.

Model Monitor publishes per-feature and per-model-quality metrics in `aws/sagemaker/Endpoints/{data,model}-metrics`
with dimensions Endpoint + MonitoringSchedule (docs/internal-contracts.md §4). The seed recipe alarmed on an
`AWS/SageMaker/ProcessingJob` namespace that does not exist (bug 4) — such an alarm never leaves
INSUFFICIENT_DATA and pages nobody. Here the namespaces are one constant each, and every monitor also gets a
heartbeat alarm (missing data = breaching), so a wrong namespace or a dead schedule pages someone instead of
failing silently.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from modelmonitor.spec import Alerting, schedule_period_seconds
from modelmonitor.spec_quality import ModelQualityAlarm

DATA_METRICS_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
MODEL_METRICS_NAMESPACE = "aws/sagemaker/Endpoints/model-metrics"
# Our engines (lambda, processingJob) publish with PutMetricData into namespaces of our own (internal-contracts §4).
OWN_DATA_METRICS_NAMESPACE = "ModelMonitor/DataQuality"
OWN_MODEL_METRICS_NAMESPACE = "ModelMonitor/ModelQuality"
GROUND_TRUTH_COVERAGE_METRIC = "ground_truth_coverage"
# Our analyzer's per-run metric (internal-contracts §4). Under Model Monitor with the custom analyzer the service
# publishes our metric file into DATA_METRICS_NAMESPACE with the same dimensions.
RUN_COMPLETED_METRIC = "monitoring_run_completed"
RECORDS_METRIC = "records_analyzed"
"""Our analyzer's per-run count of the window's records; 0 when the endpoint captured nothing."""
FEATURES_DRIFTED_METRIC = "features_drifted"
"""Per run, how many features drifted: published by our analyzer under every engine (analyzer/run/outputs.py) and,
for Model Monitor executions, by the alert Lambda from their violations file (alerts/run_metrics.py), always into
OWN_DATA_METRICS_NAMESPACE."""
# CloudWatch's limit: EvaluationPeriods × Period ≤ 7 days for periods of an hour or more.
MAX_EVALUATION_SECONDS = 7 * 86400
DESCRIPTION_MAX = 1024

AlarmKind = Literal["data_drift", "model_quality", "bias_drift", "attribution_drift", "no_metrics",
                    "execution_failed", "no_captures", "ground_truth_coverage"]
TreatMissing = Literal["breaching", "notBreaching", "ignore", "missing"]
Comparison = Literal["GreaterThanThreshold", "LessThanThreshold", "GreaterThanOrEqualToThreshold",
                     "LessThanOrEqualToThreshold"]

# The first metric each built-in model-quality analysis emits every run, whatever the metric alarms ask for.
MODEL_QUALITY_HEARTBEAT = {"BinaryClassification": "accuracy", "MulticlassClassification": "accuracy",
                           "Regression": "mae"}


@dataclass(frozen=True)
class AlarmContext:
    """The `modelmonitor:` line of every alarm description (internal-contracts §3)."""

    monitor: str
    endpoint: str
    schedule: str
    results_key: str
    """Key of the results prefix inside the platform bucket, e.g. results/lending/credit-default/data-quality."""
    dashboard: str


@dataclass(frozen=True)
class AlarmDefinition:
    key: str
    """Short, unique within a monitor; part of the alarm name and the Pulumi logical name."""
    kind: AlarmKind
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    statistic: str
    period: int
    threshold: float
    comparison: Comparison
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: TreatMissing
    sentence: str
    context: AlarmContext

    def description(self, bucket: str) -> str:
        """The AlarmDescription once the platform bucket's name is known."""
        return describe(self.sentence, self.kind, self.context, bucket)


def describe(sentence: str, kind: AlarmKind, context: AlarmContext, bucket: str) -> str:
    """`<sentence>\\n\\nmodelmonitor:{json}` — the alert Lambda parses the second part (internal-contracts §3)."""
    payload = {"monitor": context.monitor, "endpoint": context.endpoint, "schedule": context.schedule,
               "kind": kind, "results": f"s3://{bucket}/{context.results_key}", "dashboard": context.dashboard}
    text = f"{sentence}\n\nmodelmonitor:{json.dumps(payload, separators=(',', ':'))}"
    if len(text) > DESCRIPTION_MAX:
        # The machine line matters more than the prose: shorten the sentence, never the JSON.
        room = DESCRIPTION_MAX - (len(text) - len(sentence)) - 1
        text = f"{sentence[:max(room, 0)]}…\n\nmodelmonitor:{json.dumps(payload, separators=(',', ':'))}"
    return text


T = TypeVar("T")
INCIDENT_KINDS = frozenset({"data_drift", "model_quality", "bias_drift", "attribution_drift"})
"""Alarms whose ALARM and OK feed the alert Lambda's incidents (modelmonitor/alerts/incidents.py): their OK is
always sent to it, since it closes the incident (one RESOLVED alert); `notifyOnOk` decides for the others."""


def action_targets(kind: AlarmKind, alerting: Alerting, alarm_topic: T, external_topic: T | None
                      ) -> tuple[list[T], list[T]]:
    """(AlarmActions, OKActions). The external `snsTopicArn` gets raw alarm JSON (pager integrations), OK only
    with notifyOnOk."""
    alarm = [alarm_topic] + ([external_topic] if external_topic is not None else [])
    ok: list[T] = [alarm_topic] if alerting.notify_on_ok or kind in INCIDENT_KINDS else []
    if alerting.notify_on_ok and external_topic is not None:
        ok.append(external_topic)
    return alarm, ok


def _window(period: int, periods: int) -> tuple[int, int]:
    """Clamp N so the evaluation range stays within CloudWatch's limit (daily schedules: at most 7 periods)."""
    return period, max(1, min(periods, MAX_EVALUATION_SECONDS // period))


def metric_namespaces(engine: str) -> tuple[str, str]:
    """(data-quality, model-quality) namespace the engine's runs publish into: the alarms must follow it."""
    if engine == "modelMonitor":
        return DATA_METRICS_NAMESPACE, MODEL_METRICS_NAMESPACE
    return OWN_DATA_METRICS_NAMESPACE, OWN_MODEL_METRICS_NAMESPACE


def data_drift_alarms(features: Sequence[str], threshold: float, schedule: str, alerting: Alerting,
                      context: AlarmContext, *, namespace: str = DATA_METRICS_NAMESPACE) -> list[AlarmDefinition]:
    """One alarm per monitored feature on `feature_baseline_drift_<f>` (the L∞ drift distance), M of N periods."""
    period, n = _window(schedule_period_seconds(schedule), alerting.evaluation_periods)
    m = min(alerting.datapoints_to_alarm, n)
    dims = {"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule}
    return [AlarmDefinition(
        key=f"drift-{feature}", kind="data_drift", namespace=namespace,
        metric_name=f"feature_baseline_drift_{feature}", dimensions=dims,
        # One datapoint per run: Maximum is that run's distance (AWS samples use Average; same value here).
        statistic="Maximum", period=period, threshold=threshold, comparison="GreaterThanThreshold",
        evaluation_periods=n, datapoints_to_alarm=m,
        # Runs start up to 20 minutes late, so a period can be empty without anything being wrong. `ignore`
        # keeps the current state through such gaps: a drifted feature stays in ALARM until a run shows it
        # recovered, and a late run never pages. Runs that stop altogether are the heartbeat alarm's job.
        treat_missing_data="ignore",
        sentence=f"Feature '{feature}' of endpoint {context.endpoint} drifted from its baseline: L∞ distance above "
            f"{threshold} in {m} of the last {n} runs.", context=context,
    ) for feature in features]


def run_drift_alarm(threshold: float, schedule: str, alerting: Alerting, context: AlarmContext) -> AlarmDefinition:
    """Every monitor's drift alarm, features listed or not: `features_drifted` above 0 in M of N runs. One design
    for every engine: our analyzer publishes the metric per run, and the alert Lambda publishes it for Model
    Monitor executions (whose built-in analyzer publishes only per-feature metrics)."""
    period, n = _window(schedule_period_seconds(schedule), alerting.evaluation_periods)
    m = min(alerting.datapoints_to_alarm, n)
    return AlarmDefinition(
        key="data-drift", kind="data_drift", namespace=OWN_DATA_METRICS_NAMESPACE,
        metric_name=FEATURES_DRIFTED_METRIC,
        dimensions={"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule},
        statistic="Maximum", period=period, threshold=0, comparison="GreaterThanThreshold",
        evaluation_periods=n, datapoints_to_alarm=m,
        treat_missing_data="ignore",  # as for the per-feature alarms: missing runs are the heartbeat's concern
        sentence=f"Features of endpoint {context.endpoint} drifted from their baseline (L∞ distance above {threshold})"
                 f" in {m} of the last {n} runs.", context=context)


def model_quality_alarms(alarms: Sequence[ModelQualityAlarm], schedule: str, alerting: Alerting,
                         context: AlarmContext, *, namespace: str = MODEL_METRICS_NAMESPACE) -> list[AlarmDefinition]:
    period, n = _window(schedule_period_seconds(schedule), alerting.evaluation_periods)
    m = min(alerting.datapoints_to_alarm, n)
    dims = {"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule}
    result = []
    for alarm in alarms:
        below = alarm.comparison == "lessThan"
        result.append(AlarmDefinition(
            key=f"quality-{alarm.metric.replace('_', '-')}", kind="model_quality", namespace=namespace,
            metric_name=alarm.metric, dimensions=dims, statistic="Minimum" if below else "Maximum",
            period=period, threshold=alarm.threshold,
            comparison="LessThanThreshold" if below else "GreaterThanThreshold",
            evaluation_periods=n, datapoints_to_alarm=m,
            treat_missing_data="ignore",  # as for drift: absence of runs is the heartbeat's concern
            sentence=f"Model quality of endpoint {context.endpoint}: {alarm.metric} "
                     f"{'below' if below else 'above'} {alarm.threshold} in {m} of the last {n} evaluations.",
            context=context,
        ))
    return result


def heartbeat_alarm(key: str, *, namespace: str, metric_name: str, schedule: str, alerting: Alerting,
                    context: AlarmContext, what: str) -> AlarmDefinition:
    """No datapoint of a metric every run emits for `missingRunsPeriods` schedule periods → alarm.

    CloudWatch alarms cannot evaluate SEARCH expressions, so "any metric of this schedule" is not expressible;
    the heartbeat watches one metric that every successful run emits (our analyzer's `monitoring_run_completed`,
    or the built-in analyzer's `feature_non_null_<first monitored feature>` / the problem type's first model
    metric). Missing data is breaching: that is the whole point.
    """
    period, n = _window(schedule_period_seconds(schedule), heartbeat_periods(alerting.missing_runs_periods))
    missed = n - 1
    return AlarmDefinition(
        key=key, kind="no_metrics", namespace=namespace, metric_name=metric_name,
        dimensions={"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule},
        statistic="SampleCount", period=period, threshold=1, comparison="LessThanThreshold",
        evaluation_periods=n, datapoints_to_alarm=n, treat_missing_data="breaching",
        sentence=f"No {what} monitoring metrics from endpoint {context.endpoint} for {missed} schedule periods: "
            f"the schedule is not running, its runs fail, or the endpoint captured no data.", context=context,
    )


def heartbeat_periods(missing_runs: int) -> int:
    """Evaluation periods (all breaching to alarm) of a heartbeat that fires after `missing_runs` runs are missing.

    Runs stamp their datapoints with the window's evaluation time, which opens the period the run publishes in
    (docs/engines.md, "Metric timestamps"), and fire 10 minutes into it. Until then the period in progress holds
    nothing; CloudWatch may count it among "the most recent periods". So one period more than the runs to miss:
    with every run on time at most one period is empty, and the alarm fires once `missing_runs` whole periods
    passed without a run (checked against CloudWatch's evaluation rule in tests/engines/test_alarms_see_runs.py)."""
    return missing_runs + 1


def no_captures_alarm(schedule: str, alerting: Alerting, context: AlarmContext, *,
                      namespace: str) -> AlarmDefinition:
    """Runs that completed on an empty window for `missingRunsPeriods` periods in a row. Such runs are
    "insufficient data", not failures, and they do emit the heartbeat metric: without this alarm an endpoint whose
    traffic or data capture stopped would look healthy. Missing runs are the heartbeat's concern."""
    period, n = _window(schedule_period_seconds(schedule), alerting.missing_runs_periods)
    return AlarmDefinition(
        key="no-captures", kind="no_captures", namespace=namespace, metric_name=RECORDS_METRIC,
        dimensions={"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule},
        statistic="Maximum", period=period, threshold=1, comparison="LessThanThreshold",
        evaluation_periods=n, datapoints_to_alarm=n, treat_missing_data="ignore",
        sentence=f"No captured requests from endpoint {context.endpoint} in the last {n} monitoring windows: the "
                 "endpoint gets no traffic, or its data capture is off or samples too little.", context=context)


def ground_truth_coverage_alarm(minimum: float, schedule: str, alerting: Alerting,
                                context: AlarmContext) -> AlarmDefinition:
    """Our analyzer's `ground_truth_coverage` (labelled fraction of the window's predictions, after the label
    delay) below `modelQuality.minGroundTruthCoverage` in M of N evaluations. Missing runs are the heartbeat's."""
    period, n = _window(schedule_period_seconds(schedule), alerting.evaluation_periods)
    m = min(alerting.datapoints_to_alarm, n)
    return AlarmDefinition(
        key="ground-truth-coverage", kind="ground_truth_coverage", namespace=OWN_MODEL_METRICS_NAMESPACE,
        metric_name=GROUND_TRUTH_COVERAGE_METRIC,
        dimensions={"Endpoint": context.endpoint, "MonitoringSchedule": context.schedule},
        statistic="Minimum", period=period, threshold=minimum, comparison="LessThanThreshold",
        evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data="ignore",
        sentence=f"Ground truth of endpoint {context.endpoint} covers less than {minimum:.0%} of its predictions "
                 f"after the label delay in {m} of the last {n} evaluations: labels are late or missing, so model "
                 "quality cannot be trusted.", context=context)


DEAD_LETTER_NAMESPACE = "AWS/SQS"
DEAD_LETTER_METRIC = "ApproximateNumberOfMessagesVisible"
"""SQS's metric of messages waiting in a queue (dimension QueueName), published every 5 minutes."""
DEAD_LETTER_PERIOD = 300


def dead_letter_alarm(queue_name: str, context: AlarmContext) -> AlarmDefinition:
    """Any message in the runs' dead-letter queue: a scheduled run that could not be started, or an analyzer
    Lambda killed by its timeout or memory limit — those emit no Failed run event, and the heartbeat would only
    notice periods later without saying why. Missing data (an idle queue publishes nothing) is fine."""
    return AlarmDefinition(
        key="runs-dead-letter", kind="execution_failed", namespace=DEAD_LETTER_NAMESPACE,
        metric_name=DEAD_LETTER_METRIC, dimensions={"QueueName": queue_name}, statistic="Maximum",
        period=DEAD_LETTER_PERIOD, threshold=0, comparison="GreaterThanThreshold", evaluation_periods=1,
        datapoints_to_alarm=1, treat_missing_data="notBreaching",
        sentence=f"Scheduled monitoring runs of endpoint {context.endpoint} failed to run (timeout, out of memory "
                 f"or not delivered): they are in the dead-letter queue {queue_name}; read a message for the "
                 "firing time and re-run it with `modelmonitor run-now`.", context=context)
