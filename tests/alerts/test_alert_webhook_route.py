"""Slack-compatible webhook route against a local HTTP server: success, 500 (retried once), timeout. The SNS alert
always goes out, and the webhook URL (a credential) never reaches logs or the handler's result."""

from __future__ import annotations

import json
import logging
import time

import pytest
from botocore.stub import Stubber

from modelmonitor.alerts import handler, logs
from tests.alerts.conftest import TOKEN, Hook, World, load_event

PARAMETER = "/modelmonitor/slack-webhook"


def _ssm_runtime(world: World, hook: Hook, **env: str) -> handler.Runtime:
    world.clients["ssm"].put_parameter(Name=PARAMETER, Value=hook.url, Type="SecureString")
    return world.runtime(SLACK_WEBHOOK_SECRET=PARAMETER, WEBHOOK_TIMEOUT_SECONDS="0.3", **env)


def _assert_secret_kept(caplog: pytest.LogCaptureFixture, summary: object) -> None:
    formatter = logs.JsonFormatter()
    rendered = "\n".join(formatter.format(r) for r in caplog.records)
    for text in (caplog.text, rendered, json.dumps(summary)):
        assert TOKEN not in text and "127.0.0.1" not in text


def test_webhook_success(world: World, sagemaker: Stubber, hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    rt = _ssm_runtime(world, hook)
    with caplog.at_level(logging.DEBUG):
        summary = handler.handle(load_event("eventbridge_run_failed.json"), rt)
    assert summary["alerted"] == 1 and summary["errors"] == []
    [(subject, body)] = world.published()
    [posted] = hook.bodies
    assert posted == {"text": f"*{subject}*\n{body}"}
    assert [r.reason for r in caplog.records if getattr(r, "outcome", "") == "webhook_delivered"] == ["HTTP 200"]
    _assert_secret_kept(caplog, summary)


def test_webhook_500_is_retried_once_and_sns_still_delivers(
    world: World, sagemaker: Stubber, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    hook.status = 500
    rt = _ssm_runtime(world, hook)
    with caplog.at_level(logging.DEBUG):
        summary = handler.handle(load_event("eventbridge_run_failed.json"), rt)
    assert len(hook.bodies) == 2
    assert summary["alerted"] == 1
    assert summary["errors"] == ["event: webhook failed after 2 attempt(s): HTTP 500"]
    assert len(world.published()) == 1
    _assert_secret_kept(caplog, summary)


def test_webhook_4xx_is_not_retried(world: World, sagemaker: Stubber, hook: Hook) -> None:
    hook.status = 404
    summary = handler.handle(load_event("eventbridge_run_failed.json"), _ssm_runtime(world, hook))
    assert len(hook.bodies) == 1
    assert summary["errors"] == ["event: webhook failed after 1 attempt(s): HTTP 404"]


def test_webhook_timeout_is_bounded(
    world: World, sagemaker: Stubber, hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    hook.delay = 1.0
    started = time.monotonic()
    rt = _ssm_runtime(world, hook)
    with caplog.at_level(logging.DEBUG):
        summary = handler.handle(load_event("eventbridge_run_failed.json"), rt)
    elapsed = time.monotonic() - started
    assert elapsed < 1.8  # two attempts of 0.3 s plus the pause, not two full server delays
    assert summary["alerted"] == 1
    assert summary["errors"] == ["event: webhook failed after 2 attempt(s): TimeoutError"]
    assert len(world.published()) == 1
    _assert_secret_kept(caplog, summary)


def test_webhook_url_is_cached_per_container(world: World, sagemaker: Stubber, hook: Hook) -> None:
    rt = _ssm_runtime(world, hook)
    handler.handle({"test": True}, rt)
    world.clients["ssm"].delete_parameter(Name=PARAMETER)  # a second read would now fail
    summary = handler.handle({"test": True}, rt)
    assert summary["errors"] == [] and len(hook.bodies) == 2


def test_secrets_manager_json_secret(world: World, sagemaker: Stubber, hook: Hook) -> None:
    world.clients["secrets"].create_secret(Name="modelmonitor/slack", SecretString=json.dumps({"url": hook.url}))
    rt = world.runtime(SLACK_WEBHOOK_SECRET="secretsmanager:modelmonitor/slack")
    summary = handler.handle({"test": True}, rt)
    assert summary["errors"] == [] and len(hook.bodies) == 1


def test_missing_secret_still_sends_sns_and_reports(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    rt = world.runtime(SLACK_WEBHOOK_SECRET="ssm:/modelmonitor/absent")
    with caplog.at_level(logging.DEBUG):
        summary = handler.handle({"test": True}, rt)
    assert summary["alerted"] == 1
    assert summary["errors"] == ["event: webhook secret /modelmonitor/absent unreadable: ParameterNotFound: "
                                 "Parameter /modelmonitor/absent not found."]
    assert len(world.published()) == 1


def test_plain_http_to_a_remote_host_is_refused_without_echoing_it(
    world: World, sagemaker: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    world.clients["ssm"].put_parameter(Name=PARAMETER, Value=f"http://hooks.example.com/{TOKEN}", Type="SecureString")
    rt = world.runtime(SLACK_WEBHOOK_SECRET=PARAMETER)
    with caplog.at_level(logging.DEBUG):
        summary = handler.handle({"test": True}, rt)
    assert summary["errors"] == [f"event: webhook secret {PARAMETER} unusable: webhook secret is not an https:// URL"]
    assert TOKEN not in caplog.text and "hooks.example.com" not in caplog.text
