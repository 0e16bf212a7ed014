"""Alarms see the datapoints runs publish: datapoints and the rendered alarms through CloudWatch's evaluation rule
(`tests.components.cloudwatch_eval`, from AWS's "Alarm evaluation" page; both readings of "the most recent
period").

Two checks per monitor (data quality hourly; model quality daily with a 24 h and a 2 d label delay):
- the heartbeat never goes to ALARM while every run is on time, and
- every run's datapoints are inside the evaluation range of the alarms on them at some instant after they are
  published (otherwise M-of-N alarms can never fire on them).

`test_timestamp_rule_*` stamps datapoints by the documented rule (a run's metrics carry its window's evaluation
time: window end + label delay; docs/engines.md, "Metric timestamps"), using the analyzer's own window function.
`test_the_analyzers_timestamps_*` runs the analyzer itself (lambda engine, moto) and takes the timestamps it
really publishes (it used to stamp the window start, labelDelay + one period before the alarm's range).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelmonitor.alerts import run_metrics
from modelmonitor.analyzer.entry import lambda_handler
from modelmonitor.analyzer.entry.engine_outputs import Clients
from modelmonitor.analyzer.entry.engine_run import window_from_event
from modelmonitor.components.engine_environment import label_delay_seconds
from modelmonitor.components.render import render_plan
from modelmonitor.spec import ModelMonitorDocument, schedule_period_seconds
from tests.components.cloudwatch_eval import NEWEST, Alarm, Datapoint, evaluate, visible
from tests.engines.conftest import BUCKET, ENDPOINT, VARIANT, Aws, document, engine_env, upload_baseline

FIRST_FIRE = datetime(2026, 11, 24, 0, 10, tzinfo=UTC)
HEARTBEAT = "monitoring_run_completed"
DRIFT_RUN_METRIC = "features_drifted"
MONITORS = {
    "data-quality-hourly": ("DataQuality", {}),
    "data-quality-hourly-alarm-on-first-missed-run": ("DataQuality", {"missingRunsPeriods": 1}),
    "model-quality-daily-24h": ("ModelQuality", {"schedule": "daily", "labelDelay": "24h"}),
    "model-quality-daily-2d": ("ModelQuality", {"schedule": "daily", "labelDelay": "2d"}),
}


def _document(monitoring_type: str, quality: dict[str, Any]) -> ModelMonitorDocument:
    if monitoring_type == "DataQuality":
        return document(alerting={"emails": [], **quality})
    return document(modelQuality={
        "enabled": True, "problemType": "BinaryClassification", "probabilityAttribute": "0",
        "groundTruthS3Uri": f"s3://{BUCKET}/ground-truth/churn/", "minGroundTruthCoverage": 0.1,
        "alarms": [{"metric": "auc", "threshold": 0.6}], **quality})


def _alarms(doc: ModelMonitorDocument, monitoring_type: str) -> dict[str, Alarm]:
    """The rendered alarms on this monitoring type's metrics, by metric name."""
    namespace = f"ModelMonitor/{monitoring_type}"
    found = {}
    for resource in render_plan([doc]):
        inputs = resource["inputs"]
        if resource["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm" and inputs["namespace"] == namespace:
            found[inputs["metricName"]] = Alarm(
                statistic=inputs["statistic"], period=int(inputs["period"]),
                evaluation_periods=int(inputs["evaluationPeriods"]),
                datapoints_to_alarm=int(inputs["datapointsToAlarm"]), threshold=float(inputs["threshold"]),
                comparison=inputs["comparisonOperator"], treat_missing_data=inputs["treatMissingData"])
    assert HEARTBEAT in found
    return found


def _fires(doc: ModelMonitorDocument, monitoring_type: str, runs: int) -> list[datetime]:
    section = doc.spec.data_quality if monitoring_type == "DataQuality" else doc.spec.model_quality
    period = timedelta(seconds=schedule_period_seconds(section.schedule))
    return [FIRST_FIRE + i * period for i in range(runs)]


def _check(alarms: dict[str, Alarm], runs: Sequence[tuple[datetime, dict[str, datetime]]]) -> None:
    """runs: (published at, {metric name: timestamp}) in firing order, one period apart."""
    datapoints = {name: [Datapoint(stamps[name], 1.0, published) for published, stamps in runs if name in stamps]
                  for name in alarms}
    heartbeat = alarms[HEARTBEAT]
    period = timedelta(seconds=heartbeat.period)
    # Steady state: from the run that completes a full evaluation range up to just before the run after the last.
    start = runs[0][0] + heartbeat.evaluation_periods * period
    end = runs[-1][0] + period - timedelta(minutes=1)
    assert start < end, "too few runs for the heartbeat's range"
    for newest in NEWEST:
        at = start
        while at <= end:
            state = evaluate(heartbeat, datapoints[HEARTBEAT], at, newest)
            assert state != "ALARM", f"heartbeat in ALARM at {at:%Y-%m-%d %H:%M} ({newest}) with every run on time"
            at += timedelta(minutes=10)
        for name, alarm in alarms.items():
            for point in datapoints[name]:
                moments = [point.published + timedelta(minutes=m) for m in range(0, 60 * 24 * 8, 10)]
                assert any(visible(alarm, point, at, newest) for at in moments), (
                    f"{name} stamped {point.timestamp:%Y-%m-%d %H:%M}, published {point.published:%Y-%m-%d %H:%M}:"
                    f" never inside the alarm's {alarm.evaluation_periods} x {alarm.period} s range ({newest})")


@pytest.mark.parametrize("monitor", sorted(MONITORS))
def test_timestamp_rule_keeps_datapoints_in_the_alarms_range(monitor: str) -> None:
    monitoring_type, quality = MONITORS[monitor]
    doc = _document(monitoring_type, quality)
    alarms = _alarms(doc, monitoring_type)
    period = alarms[HEARTBEAT].period
    delay = label_delay_seconds(doc.spec) if monitoring_type == "ModelQuality" else 0
    runs = []
    for fired in _fires(doc, monitoring_type, alarms[HEARTBEAT].evaluation_periods + 3):
        window = window_from_event({"scheduled_time": fired.isoformat()}, period_seconds=period,
                                   end_offset_seconds=delay, now=fired).window
        evaluation_time = window.end + timedelta(seconds=delay)  # the rule: the window's evaluation time
        runs.append((fired, dict.fromkeys(alarms, evaluation_time)))
    _check(alarms, runs)


class _RecordingCloudWatch:
    """The moto CloudWatch client, remembering every datum the analyzer puts."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.data: list[dict[str, Any]] = []

    def put_metric_data(self, **kwargs: Any) -> Any:
        self.data.extend(kwargs["MetricData"])
        return self.client.put_metric_data(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def _put_window(aws: Aws, scenario: Any, window_start: datetime, window_end: datetime, evaluation: datetime) -> None:
    """One hour of captures at the window's start, and labels for them filed before the evaluation time."""
    import numpy as np

    from modelmonitor.demo.traffic import ground_truth_lines, hour_capture_files

    hour = int((window_start - datetime(2026, 11, 20, tzinfo=UTC)).total_seconds() // 3600)
    table = scenario.hour_traffic(hour % 24)
    rng = np.random.default_rng([scenario.seed, hour, 5])
    scores = scenario.model.predict_proba(table)
    for f in hour_capture_files(table, scores, endpoint=ENDPOINT, variant=VARIANT, hour_start=window_start, rng=rng):
        aws.s3.put_object(Bucket=BUCKET, Key=f"captures/{f.key}", Body=f.body)
    ids = [f"{window_start:%Y%m%d%H}-{i}" for i in range(len(table))]
    labels = (rng.random(len(table)) < scores).astype(float)
    filed = min(window_end, evaluation - timedelta(hours=1))
    aws.s3.put_object(Bucket=BUCKET, Key=f"ground-truth/churn/{filed:%Y/%m/%d/%H}/labels.jsonl",
                      Body=ground_truth_lines(ids, labels))


ANALYZER_CASES = sorted(MONITORS)


@pytest.mark.parametrize("monitor", ANALYZER_CASES)
def test_the_analyzers_timestamps_stay_in_the_alarms_range(monitor: str, aws: Aws, scenario: Any,
                                                           baseline_files: Any) -> None:
    monitoring_type, quality = MONITORS[monitor]
    doc = _document(monitoring_type, quality)
    alarms = _alarms(doc, monitoring_type)
    upload_baseline(aws, baseline_files)
    env = engine_env(monitoring_type, doc)  # type: ignore[arg-type]
    recorder = _RecordingCloudWatch(aws.cloudwatch)
    clients = Clients(cloudwatch=recorder, events=aws.events)
    period = alarms[HEARTBEAT].period
    delay = label_delay_seconds(doc.spec) if monitoring_type == "ModelQuality" else 0
    runs = []
    for fired in _fires(doc, monitoring_type, alarms[HEARTBEAT].evaluation_periods + 3):
        window = window_from_event({"scheduled_time": fired.isoformat()}, period_seconds=period,
                                   end_offset_seconds=delay, now=fired).window
        _put_window(aws, scenario, window.start, window.end, window.end + timedelta(seconds=delay))
        recorder.data.clear()
        lambda_handler.run_invocation({"scheduled_time": fired.isoformat()}, env, clients=clients, s3=aws.s3,
                                      now=fired)
        stamps = {d["MetricName"]: d["Timestamp"] for d in recorder.data if d["MetricName"] in alarms}
        runs.append((fired, {k: v if isinstance(v, datetime) else datetime.fromisoformat(str(v)) for k, v in
                             stamps.items()}))
    assert all(set(alarms) <= set(stamps) for _, stamps in runs), json.dumps([sorted(s) for _, s in runs])
    _check(alarms, runs)


def test_every_data_quality_monitor_has_a_drift_alarm_on_a_run_metric() -> None:
    """Issue: without dataQuality.features there was no drift alarm at all."""
    assert DRIFT_RUN_METRIC in _alarms(_document("DataQuality", {}), "DataQuality")
    assert {HEARTBEAT, DRIFT_RUN_METRIC} <= set(_alarms(_builtin(), "DataQuality"))


def _builtin() -> ModelMonitorDocument:
    """Model Monitor with AWS's built-in analyzer and no listed features: AWS publishes no per-run metric."""
    return document(engine="modelMonitor", dataQuality={"analyzer": "builtin"}, alerting={"emails": []})


def test_the_alert_lambdas_timestamps_for_model_monitor_stay_in_the_alarms_range() -> None:
    """Model Monitor executions start within 20 minutes of the scheduled hour and take minutes; the alert Lambda
    publishes their run metrics when the job ends, stamped with the scheduled hour (alerts/run_metrics.py)."""
    alarms = _alarms(_builtin(), "DataQuality")
    runs = []
    for i, fired in enumerate(_fires(_builtin(), "DataQuality", alarms[HEARTBEAT].evaluation_periods + 3)):
        created = fired + timedelta(minutes=(7 * i) % 20)  # anywhere in the first 20 minutes
        ended = created + timedelta(minutes=12)
        data = run_metrics.run_metric_data((), endpoint=ENDPOINT, schedule="s", timestamp=run_metrics.scheduled_hour(
            created))
        runs.append((ended, {d["MetricName"]: d["Timestamp"] for d in data if d["MetricName"] in alarms}))
    assert all(set(alarms) <= set(stamps) for _, stamps in runs)
    _check(alarms, runs)
