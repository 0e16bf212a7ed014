"""Alarm actions and the alert Lambda's settings as the incident lifecycle needs them: drift / model-quality
alarms always send OK to the alert Lambda (it closes the incident), other alarms only with notifyOnOk; the
external pager topic gets OK only with notifyOnOk; `alerting.repeatInterval` reaches the Lambda per schedule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelmonitor.alerts.config import Settings
from modelmonitor.components.names import MonitorNames
from modelmonitor.components.render import render_plan
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import REPO, example, of_type

PAGER = "arn:aws:sns:us-west-2:123456789012:lending-pager"


def _with_alerting(document: ModelMonitorDocument, **changes: Any) -> ModelMonitorDocument:
    alerting = document.spec.alerting.model_copy(update=changes)
    return document.model_copy(update={"spec": document.spec.model_copy(update={"alerting": alerting})})


def _alarms(document: ModelMonitorDocument) -> dict[str, dict[str, Any]]:
    plan = render_plan([document])
    return {r["inputs"]["name"]: r["inputs"] for r in of_type(plan, "cloudwatch/metricAlarm:MetricAlarm")}


@pytest.mark.parametrize("notify_on_ok", [False, True])
def test_ok_actions_follow_the_incident_lifecycle(notify_on_ok: bool) -> None:
    document = _with_alerting(example("full.yaml"), notify_on_ok=notify_on_ok)
    alarms = _alarms(document)
    drift = [a for name, a in alarms.items() if a["metricName"].startswith("feature_baseline_drift_")]
    meta = [a for a in alarms.values() if a["metricName"] in ("monitoring_run_completed", "records_analyzed")
            or a["namespace"] == "AWS/SQS"]
    assert drift and all(PAGER in a["alarmActions"] for a in drift)
    for alarm in drift:
        lambda_topic = next(t for t in alarm["alarmActions"] if t != PAGER)
        assert alarm["okActions"] == ([lambda_topic, PAGER] if notify_on_ok else [lambda_topic])
    for alarm in meta:
        assert alarm["okActions"] == (alarm["alarmActions"] if notify_on_ok else [])


def test_repeat_interval_reaches_the_alert_lambda_per_schedule() -> None:
    document = _with_alerting(example("minimal.yaml"), repeat_interval="6h")
    plan = render_plan([document])
    function = next(r for r in of_type(plan, "lambda/function:Function")
                    if r["inputs"].get("handler") == "modelmonitor.alerts.handler.handler")
    settings = Settings.from_env(function["inputs"]["environment"]["variables"])
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    assert settings.repeat_for(names.data_quality_schedule) == 6 * 3600
    assert settings.repeat_for(names.model_quality_schedule) == 6 * 3600
    assert settings.repeat_for("someone-elses-schedule") == 24 * 3600


def test_default_repeat_interval_adds_nothing_to_the_environment() -> None:
    plan = render_plan([example("minimal.yaml")])
    function = next(r for r in of_type(plan, "lambda/function:Function")
                    if r["inputs"].get("handler") == "modelmonitor.alerts.handler.handler")
    assert "REPEAT_INTERVALS" not in function["inputs"]["environment"]["variables"]


def test_render_of_the_minimal_example_shows_a_drift_alarm(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue: the minimal manifest had only the no-captures and heartbeat alarms."""
    from modelmonitor.cli import main

    assert main(["render", str(REPO / "examples" / "minimal.yaml"), "--output", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    resources = plan["resources"] if isinstance(plan, dict) else plan
    drift = [r for r in resources if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"
             and r["inputs"]["metricName"] == "features_drifted"]
    assert len(drift) == 1
    alarm = drift[0]["inputs"]
    assert (alarm["namespace"], alarm["comparisonOperator"], alarm["threshold"]) == (
        "ModelMonitor/DataQuality", "GreaterThanThreshold", 0)
    assert (alarm["datapointsToAlarm"], alarm["evaluationPeriods"]) == (2, 3)  # the spec's M-of-N defaults


def test_the_lambdas_default_repeat_interval_is_the_specs() -> None:
    from modelmonitor.alerts import config
    from modelmonitor.components import platform
    from modelmonitor.spec import Alerting, duration_seconds

    assert config.DEFAULT_REPEAT_SECONDS == platform.DEFAULT_REPEAT_SECONDS == duration_seconds(
        Alerting().repeat_interval)


@pytest.mark.parametrize("value", ["0h", "24", "1w", "-1h"])
def test_a_bad_repeat_interval_is_refused_naming_the_field(value: str) -> None:
    import yaml

    from modelmonitor.errors import ManifestError
    from modelmonitor.loader import parse_document

    doc = yaml.safe_load((REPO / "examples" / "minimal.yaml").read_text())
    doc["spec"].setdefault("alerting", {})["repeatInterval"] = value
    with pytest.raises(ManifestError, match=r"spec\.alerting\.repeatInterval: must be a duration"):
        parse_document(doc, source="minimal.yaml")
