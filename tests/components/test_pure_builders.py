"""Pure builders: names, images, schedules, alarm definitions, dashboards. Expected values written by hand from
the contract file and SageMaker/CloudWatch documentation."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from modelmonitor.components import alarms, dashboards, images, schedules
from modelmonitor.components.names import MonitorNames, name_hash
from modelmonitor.formats import LONGEST_NAME_SUFFIX, MAX_MONITOR_NAME_LENGTH, SAGEMAKER_NAME_MAX
from modelmonitor.spec import Alerting
from modelmonitor.spec_quality import ModelQualityAlarm

SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def test_name_is_name_hash_suffix() -> None:
    names = MonitorNames("lending", "credit-default")
    expected_hash = hashlib.sha256(b"lending/credit-default").hexdigest()[:6]
    assert names.data_quality_schedule == f"credit-default-{expected_hash}-dq-schedule"
    assert names.model_quality_schedule == f"credit-default-{expected_hash}-mq-schedule"


def test_same_name_in_two_namespaces_gives_different_names() -> None:
    assert MonitorNames("a", "churn").data_quality_schedule != MonitorNames("b", "churn").data_quality_schedule


def test_longest_monitor_name_with_longest_suffix_fits_sagemaker() -> None:
    names = MonitorNames("n" * 63, "a" * MAX_MONITOR_NAME_LENGTH)
    full = names.sagemaker("x" * LONGEST_NAME_SUFFIX)
    assert len(full) == SAGEMAKER_NAME_MAX == 63
    assert SAGEMAKER_NAME.match(full)
    for value in (names.data_quality_schedule, names.model_quality_schedule,
                  names.baseline_job("0123456789abcdef")):
        assert len(value) <= 63 and SAGEMAKER_NAME.match(value)
    assert len(names.monitoring_role) <= 64


def test_suffix_over_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than 16"):
        MonitorNames("ns", "m").sagemaker("x" * 17)


def test_overlong_alarm_names_are_cut_but_stay_distinct() -> None:
    names = MonitorNames("n" * 63, "a" * 39)
    first, second = names.alarm("drift-" + "f" * 199 + "1"), names.alarm("drift-" + "f" * 199 + "2")
    assert len(first) == len(second) == 255
    assert first != second


def test_name_hash_is_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{6}", name_hash("x", "y"))


@pytest.mark.parametrize(("region", "uri"), [
    ("us-east-1", "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"),
    ("us-west-2", "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer"),
    ("eu-central-1", "048819808253.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-model-monitor-analyzer"),
    ("cn-northwest-1", "453252182341.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer"),
    ("us-gov-west-1", "362178532790.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"),
])
def test_builtin_image_comes_from_aws_account_of_the_region(region: str, uri: str) -> None:
    assert images.builtin_analyzer_image(region) == uri


def test_unknown_region_is_a_clear_error_not_a_guess() -> None:
    with pytest.raises(images.UnsupportedRegionError, match=r"'ap-southeast-7'.*dataQuality.analyzer: custom"):
        images.builtin_analyzer_image("ap-southeast-7")


def test_custom_image_uses_the_platform_repository() -> None:
    url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/modelmonitor-analyzer"
    assert images.custom_analyzer_image(url, "0.1.0") == f"{url}:0.1.0"
    with pytest.raises(ValueError):
        images.custom_analyzer_image(url, "a:b")


@pytest.mark.parametrize(("schedule", "cron"), [
    ("hourly", "cron(0 * ? * * *)"),
    ("daily", "cron(0 0 ? * * *)"),
    ("daily@6", "cron(0 6 ? * * *)"),
    ("daily@23", "cron(0 23 ? * * *)"),
    ("every 1h", "cron(0 * ? * * *)"),
    ("every 6h", "cron(0 0/6 ? * * *)"),
    ("every 24h", "cron(0 0 ? * * *)"),
    ("cron(0 3/4 ? * * *)", "cron(0 3/4 ? * * *)"),
])
def test_schedule_to_sagemaker_cron(schedule: str, cron: str) -> None:
    assert schedules.cron_expression(schedule) == cron


@pytest.mark.parametrize(("schedule", "delay", "offsets"), [
    ("daily", "24h", ("-P2D", "-P1D")),
    ("daily@6", "3d", ("-P4D", "-P3D")),
    ("hourly", "2h", ("-PT3H", "-PT2H")),
    ("hourly", "30m", ("-PT2H", "-PT1H")),  # label delay rounds up to whole hours
    ("every 6h", "1d", ("-PT30H", "-P1D")),
])
def test_model_quality_window_ends_label_delay_ago(schedule: str, delay: str, offsets: tuple[str, str]) -> None:
    assert schedules.model_quality_offsets(schedule, delay) == offsets


CONTEXT = alarms.AlarmContext(monitor="ns/m", endpoint="ep", schedule="m-abc123-dq-schedule",
                              results_key="results/ns/m/data-quality", dashboard="https://example/d")


def test_drift_alarm_definition() -> None:
    (alarm,) = alarms.data_drift_alarms(["age"], 0.2, "hourly", Alerting(evaluation_periods=5, datapoints_to_alarm=3),
                                        CONTEXT)
    assert alarm.namespace == "aws/sagemaker/Endpoints/data-metrics"
    assert alarm.metric_name == "feature_baseline_drift_age"
    assert alarm.dimensions == {"Endpoint": "ep", "MonitoringSchedule": "m-abc123-dq-schedule"}
    assert (alarm.period, alarm.evaluation_periods, alarm.datapoints_to_alarm) == (3600, 5, 3)
    assert (alarm.threshold, alarm.comparison, alarm.treat_missing_data) == (0.2, "GreaterThanThreshold", "ignore")


def test_daily_alarm_window_is_clamped_to_seven_days() -> None:
    (alarm,) = alarms.data_drift_alarms(["age"], 0.2, "daily", Alerting(evaluation_periods=10, datapoints_to_alarm=9),
                                        CONTEXT)
    assert alarm.period * alarm.evaluation_periods <= 604800
    assert (alarm.evaluation_periods, alarm.datapoints_to_alarm) == (7, 7)


def test_heartbeat_treats_missing_data_as_breaching() -> None:
    alarm = alarms.heartbeat_alarm("hb", namespace="ns", metric_name="monitoring_run_completed", schedule="every 6h",
                                   alerting=Alerting(missing_runs_periods=3), context=CONTEXT, what="data-quality")
    # three missed runs, plus the period in progress (empty until its run fires 10 minutes in)
    assert (alarm.treat_missing_data, alarm.period, alarm.evaluation_periods, alarm.datapoints_to_alarm) == (
        "breaching", 21600, 4, 4)
    assert (alarm.statistic, alarm.comparison, alarm.threshold) == ("SampleCount", "LessThanThreshold", 1)


def test_model_quality_alarm_direction() -> None:
    low, high = alarms.model_quality_alarms(
        [ModelQualityAlarm(metric="auc", threshold=0.7), ModelQualityAlarm(metric="mae", threshold=3,
                                                                           comparison="greaterThan")],
        "daily", Alerting(), CONTEXT)
    assert (low.comparison, low.statistic) == ("LessThanThreshold", "Minimum")
    assert (high.comparison, high.statistic) == ("GreaterThanThreshold", "Maximum")


def test_description_follows_internal_contract_and_fits_1024() -> None:
    (alarm,) = alarms.data_drift_alarms(["x" * 1000], 0.1, "hourly", Alerting(), CONTEXT)
    text = alarm.description("my-bucket")
    assert len(text) <= 1024
    sentence, separator, machine = text.partition("\n\nmodelmonitor:")
    assert separator and sentence
    assert json.loads(machine) == {"monitor": "ns/m", "endpoint": "ep", "schedule": "m-abc123-dq-schedule",
                                   "kind": "data_drift", "results": "s3://my-bucket/results/ns/m/data-quality",
                                   "dashboard": "https://example/d"}


def test_multi_model_dashboard_searches_every_endpoint() -> None:
    body = dashboards.multi_model_dashboard("us-east-1")
    expressions = [w["properties"]["metrics"][0][0]["expression"] for w in body["widgets"]]
    assert ("SORT(SEARCH('{aws/sagemaker/Endpoints/data-metrics,Endpoint,MonitoringSchedule} "
            "feature_baseline_drift', 'Maximum', 3600), MAX, DESC, 20)") in expressions
    assert any("aws/sagemaker/Endpoints/model-metrics" in e for e in expressions)


def test_monitor_dashboard_lists_declared_features() -> None:
    body = dashboards.monitor_dashboard(region="us-east-1", endpoint="ep", data_schedule="s", model_schedule=None,
                                        features=["a", "b"], drift_threshold=0.1, quality_metrics=[],
                                        alarm_arns=["arn:aws:cloudwatch:us-east-1:1:alarm:x"])
    alarm_widget, drift, per_run = body["widgets"]
    assert alarm_widget["properties"]["alarms"] == ["arn:aws:cloudwatch:us-east-1:1:alarm:x"]
    dims = ["Endpoint", "ep", "MonitoringSchedule", "s"]
    assert drift["properties"]["metrics"] == [
        ["aws/sagemaker/Endpoints/data-metrics", "feature_baseline_drift_a", *dims],
        ["aws/sagemaker/Endpoints/data-metrics", "feature_baseline_drift_b", *dims],
    ]
    # the drift alarm's own metric, in our namespace under every engine
    assert [m[:2] for m in per_run["properties"]["metrics"]] == [
        ["ModelMonitor/DataQuality", "features_drifted"], ["ModelMonitor/DataQuality", "max_feature_drift"]]


def test_monitors_whose_namespace_and_name_join_alike_get_distinct_dashboards_and_alarms() -> None:
    """`ml-a/x` and `ml/a-x` are two monitors (Kubernetes namespaces and our monitor names are DNS labels, so both
    may hold '-'). CloudWatch PutDashboard and PutMetricAlarm overwrite an existing name, and each monitor has its
    own stack: equal names would make one monitor's deployment silently replace the other's alarms and dashboard,
    and deleting one would delete the other's."""
    import botocore.session

    first, second = MonitorNames("ml-a", "x"), MonitorNames("ml", "a-x")
    assert first.dashboard != second.dashboard
    assert first.alarm("data-drift") != second.alarm("data-drift")
    # a feature's alarm key may hold '-' too: name "a" + key "b-drift" against name "a-b" + key "drift"
    assert MonitorNames("ml", "a").alarm("b-drift") != MonitorNames("ml", "a-b").alarm("drift")
    model = botocore.session.get_session().get_service_model("cloudwatch")
    # PutDashboard's DashboardName documentation: "valid characters are A-Z, a-z, 0-9, "-", and "_"", ≤ 255
    documented = model.operation_model("PutDashboard").input_shape.members["DashboardName"].documentation
    assert 'valid characters are A-Z, a-z, 0-9, "-", and "_"' in documented
    longest = MonitorNames("n" * 63, "a" * 39)
    for names in (first, second, longest):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", names.dashboard)
        alarm = names.alarm("drift-" + "f" * 200)
        assert 1 <= len(alarm) <= model.shape_for("AlarmName").metadata["max"]


def test_multi_model_dashboard_shows_bias_and_attribution_violations_of_every_engine() -> None:
    """Every engine's bias and attribution runs count their violations in our namespaces (the analyzer under our
    engines, the alert Lambda for Model Monitor's Clarify executions: alerts/run_metrics.py), with the Endpoint and
    MonitoringSchedule dimensions the overview searches by."""
    from modelmonitor.alerts import run_metrics

    body = dashboards.multi_model_dashboard("us-east-1")
    expressions = [w["properties"]["metrics"][0][0]["expression"] for w in body["widgets"]]
    for monitoring_type in ("model_bias", "model_explainability"):
        namespace = run_metrics.NAMESPACES[monitoring_type]
        assert (f"SORT(SEARCH('{{{namespace},Endpoint,MonitoringSchedule}} MetricName=\"violations_count\"', "
                "'Maximum', 3600), MAX, DESC, 20)") in expressions
    # "CloudWatch search expression syntax" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
    # search-expression-syntax.html): SEARCH(' {Namespace, DimensionName1, ...} SearchTerm', 'Statistic'), its
    # example SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average') (namespace unquoted with '/')
    documented = re.compile(r"SEARCH\('\{[A-Za-z0-9/_.-]+(,[A-Za-z]+)+\} MetricName=\"[A-Za-z_]+\"', "
                            r"'(Maximum|Minimum|Average|Sum|SampleCount)', \d+\)")
    for expression in expressions:
        if "violations_count" in expression:
            assert documented.search(expression), expression
    widths = {(w["x"], w["y"]): w["width"] for w in body["widgets"]}
    assert len(widths) == len(body["widgets"])                         # no two widgets on one spot
