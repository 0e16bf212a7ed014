"""The baseline job runs with the stack's AWS credentials, like the stack's providers.

Explicit Pulumi providers do not inherit the stack's `aws:*` configuration, and the baseline job runs through
boto3 outside any provider: with `aws:profile` set, both must use it (else resources are created with one
account's credentials and the baseline job with the machine's default ones). botocore itself proves the job's
client takes the profile: an unknown profile name raises botocore's ProfileNotFound.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ProfileNotFound
from pulumi.runtime import config as pulumi_config

from modelmonitor.components.baseline_job import PROFILE_KEY, BaselineJobProvider
from modelmonitor.components.program import ProgramSettings, monitors_program
from modelmonitor.components.render import render_program
from tests.components.conftest import example, of_type

PROFILE = "ml-prod-deployer"


@pytest.fixture
def stack_profile() -> Iterator[None]:
    pulumi_config.set_config("aws:profile", PROFILE)
    try:
        yield
    finally:
        pulumi_config.CONFIG.get().pop("aws:profile", None)


@pytest.mark.usefixtures("stack_profile")
def test_providers_and_baseline_job_use_the_stacks_profile() -> None:
    document = example("full.yaml")  # creates a baseline job
    plan = render_program(lambda: monitors_program([document], ProgramSettings()), document.spec.region)
    providers = [r for r in plan if r["type"] in ("pulumi:providers:aws", "pulumi:providers:aws-native")]
    assert len(providers) == 2 and all(p["inputs"].get("profile") == PROFILE for p in providers)
    (baseline,) = of_type(plan, "pulumi-python:dynamic:Resource")
    assert baseline["inputs"][PROFILE_KEY] == PROFILE


def test_the_job_client_uses_the_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))  # an empty config: no profile exists
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(ProfileNotFound, match="no-such-profile"):
        BaselineJobProvider().delete("job", {"region": "us-east-1", PROFILE_KEY: "no-such-profile"})
