"""Operator settings from the environment and the `python -m modelmonitor.operator` entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmonitor.operator.__main__ import build_parser, main
from modelmonitor.operator.settings import OperatorSettings, SettingsError


def test_defaults() -> None:
    settings = OperatorSettings.from_env({})
    assert (settings.driver, settings.max_concurrent_updates, settings.backend_url) == ("automation", 2, None)
    assert settings.program_settings == {}


def test_from_env() -> None:
    settings = OperatorSettings.from_env({
        "MODELMONITOR_DRIVER": "render", "MODELMONITOR_MAX_CONCURRENT_UPDATES": "5",
        "PULUMI_BACKEND_URL": "s3://state", "PULUMI_SECRETS_PROVIDER": "awskms://alias/x",
        "PULUMI_CONFIG_PASSPHRASE_FILE": "/secrets/p", "PULUMI_CONFIG_PASSPHRASE": "never-read",
        "MODELMONITOR_STATE_DIR": "/state", "MODELMONITOR_PULUMI_PLUGINS": "/plugins",
        "MODELMONITOR_STACK_CONFIG": '{"aws:profile": "ml"}', "MODELMONITOR_ARTIFACT_BUCKET": "shared",
        "MODELMONITOR_RETRY_BASE_SECONDS": "2.5", "MODELMONITOR_TIMER_TICK_SECONDS": "7",
        "MODELMONITOR_ANALYZER_IMAGE_PUSHED": "True"})
    assert settings.timer_tick_seconds == 7.0 and settings.analyzer_image_pushed
    assert not OperatorSettings.from_env({}).analyzer_image_pushed
    assert settings.driver == "render" and settings.max_concurrent_updates == 5
    assert settings.passphrase_file == "/secrets/p" and "never-read" not in repr(settings)
    assert settings.state_dir == Path("/state") and settings.plugins_dir == Path("/plugins")
    assert settings.stack_config == {"aws:profile": "ml"} and settings.retry_base_seconds == 2.5
    assert settings.program_settings == {"existing_bucket_name": "shared"}


@pytest.mark.parametrize(("env", "message"), [
    ({"MODELMONITOR_DRIVER": "terraform"}, "driver must be one of automation, render, fake, got 'terraform'"),
    ({"MODELMONITOR_MAX_CONCURRENT_UPDATES": "two"}, "MODELMONITOR_MAX_CONCURRENT_UPDATES must be a whole number"),
    ({"MODELMONITOR_MAX_CONCURRENT_UPDATES": "0"}, "max concurrent updates must be at least 1, got 0"),
    ({"MODELMONITOR_STACK_CONFIG": "[1]"}, "MODELMONITOR_STACK_CONFIG must be a JSON object of strings"),
    ({"MODELMONITOR_TIMER_TICK_SECONDS": "0"}, "the timer tick must be positive, got 0.0"),
    ({"MODELMONITOR_ANALYZER_IMAGE_PUSHED": "yes"}, "MODELMONITOR_ANALYZER_IMAGE_PUSHED must be true or false"),
])
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        OperatorSettings.from_env(env)


def test_cli_options() -> None:
    args = build_parser().parse_args(["-n", "ml", "-n", "risk-*", "--driver", "fake", "--peering", "mm",
                                      "--max-concurrent-updates", "4"])
    assert (args.namespaces, args.driver, args.peering, args.standalone) == (["ml", "risk-*"], "fake", "mm", False)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--standalone", "--peering", "mm"])


def test_bad_environment_exits_with_a_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    monkeypatch.setenv("MODELMONITOR_DRIVER", "terraform")
    assert main(["--standalone"]) == 2
    assert "driver must be one of" in capsys.readouterr().err
