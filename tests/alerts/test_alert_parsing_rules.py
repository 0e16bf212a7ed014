"""Pure rules of the alert handler: values worked out by hand from the contracts, not from the code's output."""

from __future__ import annotations

import json
import logging

import pytest

from modelmonitor.alerts import logs
from modelmonitor.alerts.config import ConfigError, SecretRef, Settings, parse_secret_ref
from modelmonitor.alerts.events import AlarmNotification, Malformed, parse_event
from modelmonitor.alerts.logic import (
    Violation,
    infer_kind,
    parse_description,
    parse_distance,
    parse_violations,
    pick_latest_segment,
    rank_violations,
)
from modelmonitor.alerts.render import sanitize_subject
from tests.alerts.conftest import load_event

TOPIC = "arn:aws:sns:us-east-1:123456789012:modelmonitor-alerts"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Baseline drift distance: 0.4123 exceeds threshold: 0.1", (0.4123, 0.1)),
        ("distance: 1e-3 exceeds threshold: 5E-4", (0.001, 0.0005)),
        ("distance:0.2   exceeds threshold:0.15", (0.2, 0.15)),
        ("Data type match requirement is not met.", (None, None)),
        ("distance: 0.1.2 exceeds threshold: 0.1", (None, None)),
    ],
)
def test_distance_and_threshold_are_read_from_the_description(text: str, expected: tuple[object, object]) -> None:
    assert parse_distance(text) == expected


def test_latest_hour_segment_ignores_foreign_folders() -> None:
    base = "results/a/b/ep/sched/"
    prefixes = [f"{base}2025/", f"{base}2026/", f"{base}tmp/", f"{base}20270/", f"{base}999/", "other/2030/"]
    assert pick_latest_segment(prefixes, base, 4) == "2026"
    months = [f"{base}2026/{m}/" for m in ("09", "10", "11", "1")]
    assert pick_latest_segment(months, f"{base}2026/", 2) == "11"
    assert pick_latest_segment([], base, 4) == ""


def test_drift_violations_rank_by_distance_then_the_rest_in_file_order() -> None:
    drift = "baseline_drift_check"
    raw = {"violations": [
        {"feature_name": "a", "constraint_check_type": "data_type_check", "description": "type mismatch"},
        {"feature_name": "b", "constraint_check_type": drift, "description": "distance: 0.2 exceeds threshold: 0.1"},
        {"feature_name": "c", "constraint_check_type": "completeness_check", "description": ""},
        {"feature_name": "d", "constraint_check_type": drift, "description": "distance: 0.7 exceeds threshold: 0.1"},
    ]}
    ranked = rank_violations(parse_violations(json.dumps(raw).encode()))
    assert [v.feature for v in ranked] == ["d", "b", "a", "c"]
    assert ranked[0] == Violation("d", "baseline_drift_check", "distance: 0.7 exceeds threshold: 0.1", 0.7, 0.1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALARM\nsecond line", "ALARM second line"),
        ("  leading spaces", "leading spaces"),
        ("drift on café — income", "drift on caf income"),
        ("bell\x07 and tab\t", "bell and tab"),
        ("", "ModelMonitor alert"),
    ],
)
def test_subject_is_single_line_printable_ascii(text: str, expected: str) -> None:
    assert sanitize_subject(text) == expected


def test_long_subject_stays_under_100_characters() -> None:
    subject = sanitize_subject("[ModelMonitor] ALARM data drift: " + "n" * 200)
    assert len(subject) == 99 and subject.endswith("...")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ssm:/mm/slack", SecretRef("ssm", "/mm/slack")),
        ("ssm:mm-slack", SecretRef("ssm", "mm-slack")),
        ("secretsmanager:/odd/leading/slash", SecretRef("secretsmanager", "/odd/leading/slash")),
        ("/mm/slack", SecretRef("ssm", "/mm/slack")),
        ("mm/slack", SecretRef("secretsmanager", "mm/slack")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/mm/slack",
         SecretRef("ssm", "arn:aws:ssm:us-east-1:123456789012:parameter/mm/slack")),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:mm-slack-AbCdEf",
         SecretRef("secretsmanager", "arn:aws:secretsmanager:us-east-1:123456789012:secret:mm-slack-AbCdEf")),
    ],
)
def test_webhook_secret_reference_syntax(value: str, expected: SecretRef) -> None:
    assert parse_secret_ref(value) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "ALERT_TOPIC_ARN must be set"),
        ({"ALERT_TOPIC_ARN": "modelmonitor-alerts"}, "ALERT_TOPIC_ARN must be set"),
        ({"ALERT_TOPIC_ARN": TOPIC, "LOG_LEVEL": "chatty"}, "LOG_LEVEL 'CHATTY' is not a logging level"),
        ({"ALERT_TOPIC_ARN": TOPIC, "SLACK_WEBHOOK_SECRET": "ssm:"}, "has the ssm: prefix but no name"),
        ({"ALERT_TOPIC_ARN": TOPIC, "WEBHOOK_TIMEOUT_SECONDS": "soon"}, "WEBHOOK_TIMEOUT_SECONDS must be a positive"),
        ({"ALERT_TOPIC_ARN": TOPIC, "DEDUPE_TTL_SECONDS": "-5"}, "DEDUPE_TTL_SECONDS must be a positive integer"),
    ],
)
def test_bad_configuration_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_description_splits_sentence_and_context() -> None:
    sentence, fields, problem = parse_description(
        'Drift on income.\nIt matters.\n\nmodelmonitor:{"monitor":"ns/n","kind":"data_drift","extra":3}')
    assert sentence == "Drift on income. It matters."
    assert fields == {"monitor": "ns/n", "kind": "data_drift"}
    assert problem == ""


def test_metric_math_alarm_dimensions_come_from_its_metrics() -> None:
    [(_, alarm)] = parse_event(load_event("sns_alarm_drift_metric_math.json"))
    assert isinstance(alarm, AlarmNotification)
    assert alarm.dimensions == (("Endpoint", "credit-default-v3"), ("MonitoringSchedule", "credit-default-dq"))
    assert (alarm.namespace, alarm.metric_name) == ("aws/sagemaker/Endpoints/data-metrics",
                                                    "feature_baseline_drift_income")
    assert alarm.region == "us-east-1"


@pytest.mark.parametrize(
    ("namespace", "metric", "kind"),
    [
        ("aws/sagemaker/Endpoints/data-metrics", "feature_baseline_drift_income", "data_drift"),
        ("ModelMonitor/DataQuality", "drift_psi_income", "data_drift"),
        ("aws/sagemaker/Endpoints/model-metrics", "auc", "model_quality"),
        ("ModelMonitor/ModelQuality", "ground_truth_coverage", ""),
        ("AWS/SageMaker", "Invocations", ""),
    ],
)
def test_kind_inferred_from_the_metric_when_the_alarm_has_no_context(namespace: str, metric: str, kind: str) -> None:
    assert infer_kind(namespace, metric) == kind


def test_more_records_than_lambda_batches_is_rejected_once() -> None:
    record = load_event("sns_alarm_ok.json")["Records"][0]
    [(where, parsed)] = parse_event({"Records": [record] * 101})
    assert where == "event" and isinstance(parsed, Malformed) and "101 records exceed the limit of 100" in parsed.reason


def test_json_log_line_has_the_fixed_keys() -> None:
    record = logging.LogRecord("modelmonitor.alerts.handler", logging.INFO, __file__, 1, "alert sent", None, None)
    for key, value in logs.alert_fields(monitor="ns/n", kind="data_drift", outcome="alerted", reason="").items():
        setattr(record, key, value)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line == {"level": "INFO", "logger": "modelmonitor.alerts.handler", "message": "alert sent",
                    "monitor": "ns/n", "endpoint": "", "kind": "data_drift", "state": "", "outcome": "alerted"}


def test_emf_line_declares_every_counter() -> None:
    emf = logs.emf_record({"processed": 3, "alerted": 2, "malformed": 1}, "mm-alerts")
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ModelMonitor/Alerts" and directive["Dimensions"] == [["FunctionName"]]
    assert [m["Name"] for m in directive["Metrics"]] == list(logs.EMF_COUNTERS)
    assert (emf["FunctionName"], emf["processed"], emf["alerted"], emf["malformed"], emf["duplicates"]) == (
        "mm-alerts", 3, 2, 1, 0)
