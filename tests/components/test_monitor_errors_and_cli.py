"""Clear domain errors for what cannot be provisioned, and the `render` command's three outputs."""

from __future__ import annotations

import json
import runpy

import pytest

from modelmonitor.cli import main
from modelmonitor.components.context import UnsupportedEngineError
from modelmonitor.components.engine_model_monitor import data_quality_environment
from modelmonitor.components.images import UnsupportedRegionError
from modelmonitor.components.monitor import ENGINES
from modelmonitor.components.render import render_plan
from modelmonitor.components.spec_checks import MonitorConfigError
from tests.components.conftest import REPO, example


def with_spec(name: str, **changes: object):
    document = example(name)
    return document.model_copy(update={"spec": document.spec.model_copy(update=changes)})


def test_an_engine_without_a_builder_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ENGINES, "processingJob")
    document = with_spec("existing-endpoint.yaml", engine="processingJob")
    with pytest.raises(UnsupportedEngineError,
                       match=r"fraud-scoring: spec.engine 'processingJob' is not provisioned.*lambda, modelMonitor"):
        render_plan([document])


def test_hourly_runtime_over_sagemaker_limit_is_refused() -> None:
    document = example("minimal.yaml")
    dq = document.spec.data_quality.model_copy(update={"max_runtime_seconds": 4000})
    with pytest.raises(MonitorConfigError, match=r"maxRuntimeSeconds is 4000.*at most 3600"):
        render_plan([with_spec("minimal.yaml", data_quality=dq, engine="modelMonitor")])


def test_reserved_environment_is_refused() -> None:
    dq = example("minimal.yaml").spec.data_quality.model_copy(
        update={"environment": {"publish_cloudwatch_metrics": "Disabled"}})
    with pytest.raises(MonitorConfigError, match="must not set publish_cloudwatch_metrics"):
        render_plan([with_spec("minimal.yaml", data_quality=dq)])


def test_the_own_engine_marker_cannot_be_set_by_hand() -> None:
    # It tells the alert Lambda a run reports itself; on a Model Monitor job it would silence failure alerts.
    dq = example("minimal.yaml").spec.data_quality.model_copy(
        update={"environment": {"cloudwatch_metrics_namespace": "Mine"}})
    with pytest.raises(MonitorConfigError, match="must not set cloudwatch_metrics_namespace"):
        render_plan([with_spec("minimal.yaml", data_quality=dq)])  # lambda, the default engine
    with pytest.raises(MonitorConfigError, match="must not set cloudwatch_metrics_namespace"):
        data_quality_environment(dq)  # the modelMonitor engine's job definitions


def test_builtin_analyzer_in_unknown_region_is_refused() -> None:
    dq = example("minimal.yaml").spec.data_quality.model_copy(update={"analyzer": "builtin"})
    with pytest.raises(UnsupportedRegionError, match="ap-southeast-7"):
        render_plan([with_spec("minimal.yaml", data_quality=dq, engine="modelMonitor")], region="ap-southeast-7")


def test_render_json_lists_type_name_parent_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(REPO / "examples" / "minimal.yaml"), "--output", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    # minimal.yaml runs on the default engine: an EventBridge Scheduler schedule, 10 minutes past each hour
    schedule = next(r for r in plan if r["type"] == "aws:scheduler/schedule:Schedule")
    assert set(schedule) == {"type", "name", "parent", "inputs"}
    assert schedule["parent"] == "default-churn-prod"
    assert schedule["inputs"]["scheduleExpression"] == "cron(10 * ? * * *)"


def test_render_mermaid_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(REPO / "examples" / "minimal.yaml"), "--output", "mermaid"]) == 0
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("graph LR\n")
    assert "n_default_churn_prod --> n_default_churn_prod_dq_run_schedule" in mermaid
    assert main(["render", str(REPO / "examples" / "minimal.yaml"), str(REPO / "examples" / "existing-endpoint.yaml"),
                 "--region", "eu-west-1", "--analyzer-image-pushed"]) == 0
    table = capsys.readouterr().out
    assert "aws:sagemaker/monitoringSchedule:MonitoringSchedule" in table  # existing-endpoint.yaml: modelMonitor
    assert "aws:scheduler/schedule:Schedule" in table  # minimal.yaml: lambda


def test_render_reports_invalid_documents(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "examples" / "minimal.yaml").read_text().replace("region: us-east-1", "region: mars"))
    assert main(["render", str(bad)]) == 2  # an input error (exit 1 means findings elsewhere)
    assert "spec.region: must be an AWS region" in capsys.readouterr().err


def test_pulumi_entry_point_stops_on_invalid_documents(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    bad = tmp_path / "monitors"
    bad.mkdir()
    (bad / "x.yaml").write_text("apiVersion: modelmonitor.io/v1alpha1\nkind: ModelMonitor\nmetadata: {name: x}\n")
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key: str(bad) if key == "monitorsDir" else None)
    with pytest.raises(pulumi.RunError, match=r"x\.yaml: x: spec: required field is missing"):
        runpy.run_path(str(REPO / "__main__.py"))


def _retained(document) -> dict[str, bool]:
    import pulumi

    from modelmonitor.components.program import ProgramSettings, monitors_program
    from modelmonitor.components.render import render_program

    seen: dict[str, bool] = {}

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        seen[args.name] = bool(args.opts and args.opts.retain_on_delete)

    def program() -> None:
        pulumi.runtime.register_stack_transformation(record)
        monitors_program([document], ProgramSettings())

    render_program(program, document.spec.region)
    return seen


def test_deletion_policy_retain_keeps_every_monitor_resource() -> None:
    retained = _retained(example("minimal.yaml"))  # deletionPolicy defaults to Retain
    assert retained["default-churn-prod-dq-run-schedule"] and retained["default-churn-prod-monitoring-role"]
    assert retained["default-churn-prod-dq-analyzer"] and retained["default-churn-prod-runs-dlq"]
    assert not retained["modelmonitor-us-east-1-artifacts"]  # the shared platform is not the monitor's to keep
    deleted = _retained(example("full.yaml"))  # deletionPolicy: Delete
    assert not deleted["lending-credit-default-dq-schedule"]


def test_model_quality_without_captured_predictions_is_refused() -> None:
    capture = example("full.yaml").spec.data_capture.model_copy(update={"capture_output": False})
    with pytest.raises(MonitorConfigError, match="captureOutput: true"):
        render_plan([with_spec("full.yaml", data_capture=capture)])


def test_alarm_topic_in_another_region_is_refused() -> None:
    with pytest.raises(MonitorConfigError, match="snsTopicArn is in region us-west-2, but alarms in eu-west-1"):
        render_plan([example("full.yaml")], region="eu-west-1")
