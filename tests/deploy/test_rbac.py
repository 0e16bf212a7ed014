"""deploy/rbac.yaml grants exactly the API calls the operator makes — no more (least privilege), no less (every
call it makes would otherwise be refused with 403 on a real cluster).

The calls are not listed by hand: the real kopf operator (all handlers, `--standalone`, cluster-wide, as
deploy/deployment.yaml runs it) drives a ModelMonitor through create → Ready → spec change → delete against the
kmock API-server emulator, and every request it sent is turned into the RBAC (verb, apiGroup, resource) the API
server would authorize it as (https://kubernetes.io/docs/reference/access-authn-authz/authorization/
#determine-the-request-verb). Discovery (/api, /apis, /version) is granted to every authenticated user by the
built-in system:discovery role and needs no rule."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from kmock._internal import apps

from modelmonitor.demo.kube import ApiServerEmulator, register_resources, write_kubeconfig
from modelmonitor.operator.fakes import FakeBackend
from tests.operator.harness import Cluster, eventually, operator

pytestmark = pytest.mark.timeout(60)
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
Grant = tuple[str, str, str]  # (verb, apiGroup, resource[/subresource])

SPEC = {"region": "us-east-1", "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/churn/statistics.json",
                                     "constraintsS3Uri": "s3://acme-baselines/churn/constraints.json"}}}


def rbac_request(method: str, path: str, params: dict[str, str]) -> Grant | None:
    """The RBAC attributes of one HTTP request to the API server, None for a non-resource (discovery) URL."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) > 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) > 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    if rest[:1] == ["namespaces"] and len(rest) > 2:
        rest = rest[2:]  # a namespaced resource (a bare /namespaces/<name> is the namespace object itself)
    resource, named, subresource = rest[0], len(rest) > 1, rest[2] if len(rest) > 2 else None
    if method == "GET":
        verb = "get" if named else ("watch" if params.get("watch") in ("true", "1") else "list")
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if named else "deletecollection"}[method]
    return verb, group, f"{resource}/{subresource}" if subresource else resource


def granted() -> set[Grant]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()) if d]
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    return {(verb, group, resource) for rule in role["rules"] for verb in rule["verbs"]
            for group in rule["apiGroups"] for resource in rule["resources"]}


@attrs.define(kw_only=True)
class RecordingEmulator(ApiServerEmulator):
    """Keeps (method, path, query, user agent) of every request (the base emulator drops its history)."""
    seen: list[tuple[str, str, dict[str, str], str]] = attrs.field(factory=list, init=False)

    async def _handle(self, request: Any) -> Any:
        self.seen.append((str(request.method.value).upper(), request.url.path, dict(request.url.query),
                          str(request.headers.get("User-Agent", ""))))
        return await super()._handle(request)


@contextlib.asynccontextmanager
async def recording_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    async with RecordingEmulator() as k, apps.Server(k) as server:
        register_resources(k)
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", server.url)))
        yield Cluster(k, str(server.url))


async def operator_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> set[Grant]:
    async with recording_cluster(tmp_path, monkeypatch) as c:
        async with operator(FakeBackend()):
            await c.create("churn", SPEC)
            ready = lambda: (c.condition("churn", "Ready") or {}).get("status") == "True"  # noqa: E731
            await eventually(ready)
            await c.patch("churn", {"spec": {"tags": {"team": "risk"}}})
            await eventually(lambda: (c.obj("churn") or {}).get("status", {}).get("observedGeneration") == 2)
            await c.delete("churn")
            await eventually(lambda: c.obj("churn") is None)
        assert isinstance(c.k, RecordingEmulator)
        seen = list(c.k.seen)
    calls = set()
    for method, path, query, agent in seen:
        if not agent.startswith("kopf/"):
            continue  # the test's own kubectl-like requests
        call = rbac_request(method, path, query)
        if call is not None:
            calls.add(call)
    return calls


async def test_cluster_role_grants_exactly_what_the_operator_calls(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = await operator_calls(tmp_path, monkeypatch)
    assert ("patch", "modelmonitor.io", "modelmonitors/status") in calls  # the recording works
    assert ("create", "", "events") in calls
    assert sorted(calls - granted()) == [], "the operator makes calls the ClusterRole refuses"
    assert sorted(granted() - calls) == [], "the ClusterRole grants what the operator never calls"


@pytest.mark.parametrize(("method", "path", "params", "expected"), [
    ("GET", "/apis/modelmonitor.io/v1alpha1/modelmonitors", {"watch": "true"}, ("watch", "modelmonitor.io",
                                                                                 "modelmonitors")),
    ("GET", "/apis/modelmonitor.io/v1alpha1/modelmonitors", {}, ("list", "modelmonitor.io", "modelmonitors")),
    ("PATCH", "/apis/modelmonitor.io/v1alpha1/namespaces/ml/modelmonitors/x/status", {},
     ("patch", "modelmonitor.io", "modelmonitors/status")),
    ("POST", "/api/v1/namespaces/ml/events", {}, ("create", "", "events")),
    ("GET", "/api/v1/namespaces/ml", {}, ("get", "", "namespaces")),
    ("GET", "/apis", {}, None),
    ("GET", "/api/v1", {}, None),
])
def test_rbac_request_attributes(method: str, path: str, params: dict[str, str], expected: Grant | None) -> None:
    assert rbac_request(method, path, params) == expected


def test_deployment_runs_the_mode_recorded_above() -> None:
    from modelmonitor.operator.__main__ import build_parser

    (deployment,) = [d for d in yaml.safe_load_all((DEPLOY / "deployment.yaml").read_text()) if d]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = build_parser().parse_args(container["args"])
    assert (args.standalone, args.namespaces, args.peering) == (True, [], None)
