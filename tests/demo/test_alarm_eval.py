"""CloudWatch alarm semantics, from the documentation's examples, not from our own output."""

from __future__ import annotations

import pytest

from modelmonitor.demo.alarm_eval import AlarmDefinition, UnsupportedAlarm, evaluate, run_alarm


def alarm(treat: str = "missing", m: int = 2, n: int = 3, comparison: str = "GreaterThanThreshold") -> AlarmDefinition:
    return AlarmDefinition(name="a", namespace="ns", metric_name="m", dimensions={}, statistic="Average",
                           period=3600, threshold=0.1, comparison=comparison, evaluation_periods=n,
                           datapoints_to_alarm=m, treat_missing_data=treat)


@pytest.mark.parametrize(("window", "treat", "expected"), [
    ([0.0, 0.0, 0.0], "missing", "OK"),
    ([0.2, 0.0, 0.3], "missing", "ALARM"),            # 2 of 3 breach
    ([0.0, 0.0, 0.3], "missing", "OK"),               # 1 of 3: one noisy window pages nobody
    ([None, None, None], "missing", "INSUFFICIENT_DATA"),
    ([None, None, None], "breaching", "ALARM"),       # the "monitoring stopped" alarm
    ([None, None, None], "notBreaching", "OK"),
    ([None, 0.3, None], "breaching", "ALARM"),
    ([None, 0.3, None], "notBreaching", "OK"),
    ([None, 0.3, 0.4], "missing", "ALARM"),
    ([0.5], "missing", "OK"),                         # too short: only 1 datapoint, M=2
])
def test_m_of_n(window: list[float | None], treat: str, expected: str) -> None:
    assert evaluate(alarm(treat), window, "OK") == expected


def test_ignore_keeps_state_when_all_missing() -> None:
    assert evaluate(alarm("ignore"), [None, None, None], "ALARM") == "ALARM"
    assert evaluate(alarm("ignore"), [None, None, None], "OK") == "OK"


def test_less_than_comparison_for_quality_metrics() -> None:
    auc = alarm(comparison="LessThanThreshold", m=1, n=1)
    assert evaluate(auc, [0.05], "OK") == "ALARM" and evaluate(auc, [0.5], "ALARM") == "OK"


def test_run_alarm_transitions_with_reason() -> None:
    states, transitions = run_alarm(alarm(), [0.0, 0.0, 0.2, 0.3, 0.0, 0.0, 0.0])
    assert states == ["OK", "OK", "OK", "ALARM", "ALARM", "OK", "OK"]
    assert [(t.old_state, t.new_state, t.period_index) for t in transitions] == [
        ("INSUFFICIENT_DATA", "OK", 0), ("OK", "ALARM", 3), ("ALARM", "OK", 5)]
    assert transitions[1].reason == ("Threshold Crossed: 2 out of the last 3 datapoints [0, 0.2, 0.3] was "
                                     "GreaterThanThreshold the threshold (0.1).")


def test_from_plan_inputs_reads_wire_format() -> None:
    inputs = {"namespace": "aws/sagemaker/Endpoints/data-metrics", "metricName": "feature_baseline_drift_income",
              "dimensions": {"Endpoint": "e", "MonitoringSchedule": "s"}, "statistic": "Average",
              "period": 3600.0, "threshold": 0.1, "comparisonOperator": "GreaterThanThreshold",
              "evaluationPeriods": 3.0, "datapointsToAlarm": 2.0, "treatMissingData": "notBreaching"}
    parsed = AlarmDefinition.from_plan_inputs("drift", inputs)
    assert (parsed.evaluation_periods, parsed.datapoints_to_alarm, parsed.period) == (3, 2, 3600)
    assert parsed.dimensions == {"Endpoint": "e", "MonitoringSchedule": "s"}
    with pytest.raises(UnsupportedAlarm):
        AlarmDefinition.from_plan_inputs(
            "x", {**inputs, "comparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"})
