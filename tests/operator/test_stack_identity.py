"""Stack identity: one stack per resource, unique, within Pulumi's limits, stable, recorded in status, and a path from
the older `<namespace>-<name>` stacks.

Pulumi's rule comes from the CLI itself (pulumi/pulumi pkg/backend/diy/store.go, ParseReference): "stack names are
limited to 100 characters and may only contain alphanumeric, hyphens, underscores, or periods".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelmonitor.loader import parse_document
from modelmonitor.operator import stacks
from modelmonitor.operator.fakes import FakeBackend, FakeStack, planned_resources
from modelmonitor.operator.settings import FINALIZER
from tests.operator.harness import cluster, eventually, operator
from tests.operator.test_lifecycle import RESOURCES_OF_MINIMAL_SPEC, condition_is, minimal_spec

pytestmark = pytest.mark.timeout(40)
PULUMI_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# Kubernetes' limits: a namespace is a DNS label (63), an object name a DNS subdomain (253).
LONGEST_NAMESPACE, LONGEST_NAME = "n" * 63, "m" * 253


@pytest.mark.parametrize(("first", "second"), [
    (("ml-a", "x"), ("ml", "a-x")),
    (("a", "b-c-d"), ("a-b", "c-d")),
    ((LONGEST_NAMESPACE, LONGEST_NAME), (LONGEST_NAMESPACE, LONGEST_NAME[:-1] + "z")),
    (("ml", "m" * 98), ("ml", "m" * 99)),
])
def test_distinct_resources_never_share_a_stack(first: tuple[str, str], second: tuple[str, str]) -> None:
    assert stacks.stack_name(*first) != stacks.stack_name(*second)


@pytest.mark.parametrize(("namespace", "name"), [
    ("ml", "churn"), (LONGEST_NAMESPACE, LONGEST_NAME), ("ml", "a.b.c"), ("ml", "m" * 98), ("ml", "m" * 120)])
def test_names_fit_pulumis_rule_and_never_change(namespace: str, name: str) -> None:
    first = stacks.stack_name(namespace, name)
    assert PULUMI_STACK_NAME.fullmatch(first), first
    assert stacks.stack_name(namespace, name) == first


async def test_resources_whose_old_names_collided_get_their_own_stacks(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FakeBackend()
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create("x", minimal_spec(deletionPolicy="Delete"), namespace="ml-a")
        await c.create("a-x", minimal_spec(deletionPolicy="Delete"), namespace="ml")
        await eventually(lambda: condition_is(c, "Ready", "True", "a-x")
                         and (c.condition("x", "Ready", "ml-a") or {}).get("status") == "True")
        names = {(c.obj("x", "ml-a") or {})["status"]["stackName"], (c.obj("a-x") or {})["status"]["stackName"]}
        assert len(names) == 2 and names <= set(backend.stacks)
        await c.delete("a-x")
        await eventually(lambda: c.obj("a-x") is None)
        survivor = (c.obj("x", "ml-a") or {})["status"]["stackName"]
        assert len(backend.stacks[survivor].resources) == RESOURCES_OF_MINIMAL_SPEC  # still Ready, still there


async def test_a_long_name_gets_a_bounded_stack_and_becomes_ready(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The longest namespace (63) and the longest name the spec allows (39): 103 characters joined."""
    backend = FakeBackend()
    namespace, name = "team-" + "t" * 58, "churn-" + "x" * 33
    async with cluster(tmp_path, monkeypatch) as c, operator(backend):
        await c.create(name, minimal_spec(), namespace=namespace)
        await eventually(lambda: (c.condition(name, "Ready", namespace) or {}).get("status") == "True", timeout=10)
        recorded = (c.obj(name, namespace) or {})["status"]["stackName"]
        assert PULUMI_STACK_NAME.fullmatch(recorded) and recorded in backend.stacks


async def test_a_stack_of_an_older_operator_is_renamed_not_duplicated(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Status left by an older operator (applied, no stackName) and its `ml-churn` stack in the backend: the next up
    moves that stack to the new identity, records it, and creates nothing twice."""
    backend = FakeBackend()
    legacy = "ml-churn"
    document = parse_document({"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                               "metadata": {"name": "churn", "namespace": "ml"}, "spec": minimal_spec()})
    backend.stacks[legacy] = FakeStack(resources=planned_resources(legacy, document), updates=1,
                                       creations=RESOURCES_OF_MINIMAL_SPEC)
    async with cluster(tmp_path, monkeypatch) as c:
        await c.create("churn", minimal_spec(), finalizers=[FINALIZER])
        await c.patch_status("churn", {"lastAppliedHash": "sha256:older-program", "observedGeneration": 1,
                                       "lastOperation": {"type": "up", "result": "Succeeded", "summary": "up Succeeded",
                                                         "startedAt": "2026-11-01T00:00:00Z"}})
        async with operator(backend):
            await eventually(lambda: (c.obj("churn") or {}).get("status", {}).get("stackName") == "ml_churn"
                             and condition_is(c, "Ready", "True"))
        assert legacy not in backend.stacks
        assert ("rename", legacy) in backend.calls
        moved = backend.stacks["ml_churn"]
        assert moved.updates == 2  # the old stack, updated in place
        assert len(moved.resources) == moved.creations == RESOURCES_OF_MINIMAL_SPEC
