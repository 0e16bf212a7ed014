"""Pulumi's real failure texts (fakes.PULUMI_FAILURES, turned into exceptions by the SDK's own create_command_error)
are classified by what helps: IAM propagation and network trouble heal with a retry, AccessDenied does not, and a
results bucket that still holds objects blocks a Delete until someone empties it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.automation import CommandResult
from pulumi.automation.errors import create_command_error

from modelmonitor.operator import stacks
from modelmonitor.operator.fakes import PULUMI_FAILURES, FakeBackend
from modelmonitor.operator.settings import FINALIZER
from tests.operator.harness import cluster, eventually, fake_settings, operator
from tests.operator.test_lifecycle import STACK, condition_is, minimal_spec, status

pytestmark = pytest.mark.timeout(40)


def classified(behaviour: str) -> stacks.DriverError:
    stdout, stderr = PULUMI_FAILURES[behaviour]
    return stacks.classify_command_error(create_command_error(CommandResult(stdout, stderr, 255)))


@pytest.mark.parametrize(("behaviour", "kind", "permanent"), [
    ("assume_role", stacks.PropagationError, False),
    ("program_network", stacks.TemporaryDriverError, False),
    ("denied", stacks.PermanentDriverError, True),
    ("bucket_not_empty", stacks.BucketNotEmptyError, True),
])
def test_real_failure_texts_are_classified(behaviour: str, kind: type[stacks.DriverError], permanent: bool) -> None:
    error = classified(behaviour)
    assert isinstance(error, kind) and error.permanent is permanent


def test_bucket_not_empty_names_the_bucket_and_what_to_do() -> None:
    message = classified("bucket_not_empty").message
    assert message.startswith("modelmonitor-ml-churn-artifacts-3f2a still holds monitoring results")
    assert "aws s3 rm s3://modelmonitor-ml-churn-artifacts-3f2a --recursive" in message


@pytest.mark.parametrize("behaviour", ["assume_role", "program_network"])
async def test_transient_failures_retry_to_ready(behaviour: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    backend.script(STACK, "up", behaviour)
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Ready", "True") or condition_is(c, "Stalled", "True"))
        assert condition_is(c, "Ready", "True"), c.condition("churn", "Stalled")
        assert backend.count("up", STACK) == 2


async def test_a_role_that_never_becomes_assumable_stalls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    backend.defaults["up"] = "assume_role"
    async with cluster(tmp_path, monkeypatch) as c, operator(backend, fake_settings(retry_max_seconds=0.2)):
        await c.create("churn", minimal_spec())
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        assert backend.count("up", STACK) == stacks.PropagationError.max_attempts
        assert "check the role's trust policy" in (c.condition("churn", "Stalled") or {})["message"]


async def test_a_results_bucket_with_objects_blocks_delete_until_emptied(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("churn", minimal_spec(deletionPolicy="Delete"))
        await eventually(lambda: condition_is(c, "Ready", "True"))
        backend.script(STACK, "destroy", "bucket_not_empty", "bucket_not_empty")
        await c.delete("churn")
        await eventually(lambda: condition_is(c, "Stalled", "True"))
        stalled = c.condition("churn", "Stalled") or {}
        assert stalled["reason"] == "DestroyBlocked" and "aws s3 rm" in stalled["message"]
        assert FINALIZER in (c.obj("churn") or {})["metadata"]["finalizers"]
        assert status(c)["lastOperation"]["result"] == "Failed"
        # Emptied by hand: the next retry destroys everything and releases the object.
        await eventually(lambda: c.obj("churn") is None, timeout=10)
        assert backend.count("destroy", STACK) == 3 and STACK not in backend.stacks
