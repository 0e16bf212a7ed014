"""The Platform's alert Lambda and the alert handler agree: the rendered function environment is exactly what
the handler's own configuration parser accepts, and the role allows every call the handler makes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from modelmonitor.alerts.config import Settings
from modelmonitor.components.render import render_plan
from modelmonitor.loader import load_monitors, parse_document

REPO = Path(__file__).resolve().parents[2]


def _plan(path: str) -> list[dict]:
    return [dict(r) for r in render_plan([m.document for m in load_monitors(REPO / path)])]


def _one(plan: list[dict], type_: str, suffix: str = "") -> dict:
    (found,) = [r for r in plan if r["type"] == type_ and r["name"].endswith(suffix)]
    return found


def test_rendered_environment_is_what_the_handler_reads() -> None:
    plan = _plan("examples/full.yaml")
    function = _one(plan, "aws:lambda/function:Function")
    env = function["inputs"]["environment"]["variables"]
    settings = Settings.from_env(env)
    alert_topic = _one(plan, "aws:sns/topic:Topic", "-alerts")
    bucket = _one(plan, "aws:s3/bucket:Bucket")
    assert settings.topic_arn == alert_topic["outputs"]["arn"]
    assert settings.artifact_bucket == bucket["outputs"]["bucket"]
    assert settings.webhook_secret is not None  # full.yaml names /modelmonitor/lending/slack-webhook
    table = _one(plan, "aws:dynamodb/table:Table")
    assert settings.state_table == table["outputs"]["name"]
    assert set(env) == {"ALERT_TOPIC_ARN", "ARTIFACT_BUCKET", "SLACK_WEBHOOK_SECRET", "STATE_TABLE"}


def test_role_allows_listing_and_reading_results() -> None:
    plan = _plan("examples/full.yaml")
    policy = json.loads(_one(plan, "aws:iam/rolePolicy:RolePolicy", "-alerts-policy")["inputs"]["policy"])
    actions = {(a if isinstance(a, str) else tuple(a)) for s in policy["Statement"] for a in [s["Action"]]}
    flat = {x for a in actions for x in ([a] if isinstance(a, str) else a)}
    assert {"s3:ListBucket", "s3:GetObject", "sns:Publish", "sagemaker:ListMonitoringExecutions",
            "sagemaker:DescribeProcessingJob", "ssm:GetParameter"} <= flat
    listing = next(s for s in policy["Statement"] if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["results/*"]}}


def test_monitors_sharing_a_platform_must_agree_on_the_webhook_secret() -> None:
    raw = json.loads(json.dumps(load_monitors(REPO / "examples/full.yaml")[0].document.model_dump(
        by_alias=True, exclude_none=True)))
    other = copy.deepcopy(raw)
    other["metadata"]["name"] = "credit-default-b"
    other["spec"]["endpoint"]["create"]["name"] = "credit-default-b"
    other["spec"]["alerting"]["slackWebhookSecret"] = "/modelmonitor/other-webhook"
    docs = [parse_document(raw), parse_document(other)]
    with pytest.raises(Exception, match="slackWebhookSecret: monitors sharing one platform") as caught:
        render_plan(docs)
    assert "/modelmonitor/other-webhook" in str(caught.value)


def test_only_our_engines_jobs_carry_the_marker_the_handler_skips() -> None:
    """The alert Lambda ignores state changes of processing jobs whose Environment has OWN_RUN_EVENTS_ENV (their run
    event alerts). The processingJob engine's jobs must carry it; Model Monitor's job definitions never, or their
    failures would go unreported."""
    from modelmonitor.alerts.events import OWN_RUN_EVENTS_ENV

    plan = _plan("examples/processing-job.yaml")
    state_machines = [r for r in plan if r["type"] == "aws:sfn/stateMachine:StateMachine"]
    assert state_machines
    for machine in state_machines:
        definition = json.loads(machine["inputs"]["definition"])
        assert OWN_RUN_EVENTS_ENV in definition["States"]["Analyze"]["Parameters"]["Environment"]
    job_definitions = [r for r in _plan("examples/full.yaml") if "JobDefinition" in r["type"]]
    assert job_definitions
    for job in job_definitions:
        assert OWN_RUN_EVENTS_ENV not in json.dumps(job["inputs"])


def test_role_may_describe_every_alarm_the_monitors_create_and_no_other() -> None:
    """The handler asks CloudWatch whether an alarm holding an incident open still fires (alerts/alarm_states.py).
    DescribeAlarms takes alarm ARNs, `arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:${AlarmName}`
    ("Resource types defined by Amazon CloudWatch", service authorization reference); every rendered alarm's ARN
    must match the statement's resource, a stranger's must not."""
    import fnmatch

    plan = _plan("examples/full.yaml")
    policy = json.loads(_one(plan, "aws:iam/rolePolicy:RolePolicy", "-alerts-policy")["inputs"]["policy"])
    (statement,) = [s for s in policy["Statement"] if s["Action"] == "cloudwatch:DescribeAlarms"]
    resource = statement["Resource"]
    _, partition, service, region, account, _ = resource.split(":", 5)
    alarms = [r["inputs"]["name"] for r in plan if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert alarms
    for name in alarms:
        assert fnmatch.fnmatchcase(f"arn:{partition}:{service}:{region}:{account}:alarm:{name}", resource), name
    assert not fnmatch.fnmatchcase(f"arn:{partition}:{service}:{region}:{account}:alarm:billing-alarm", resource)
