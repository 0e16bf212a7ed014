"""deploy/: the CRD copy, least-privilege RBAC, a hardened Deployment wired to the operator's CLI, and the Argo CD
health check (run with a real Lua interpreter when one is installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.operator.__main__ import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def test_crd_copy_matches_the_generated_crd(repo: Path) -> None:
    assert (DEPLOY / "crd.yaml").read_text() == (repo / "crds" / "modelmonitors.modelmonitor.io.yaml").read_text()


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = docs("kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(p.name for p in DEPLOY.glob("*.yaml")
                                                        if p.name != "kustomization.yaml")


def test_cluster_role_is_least_privilege() -> None:
    role = next(d for d in docs("rbac.yaml") if d["kind"] == "ClusterRole")
    grants = {(group, resource): set(rule["verbs"]) for rule in role["rules"]
              for group in rule["apiGroups"] for resource in rule["resources"]}
    # What the operator calls, recorded from the real operator in tests/deploy/test_rbac.py.
    assert grants == {
        ("modelmonitor.io", "modelmonitors"): {"list", "watch", "patch"},
        ("modelmonitor.io", "modelmonitors/status"): {"patch"},
        ("", "events"): {"create"},
        ("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"},
    }
    binding = next(d for d in docs("rbac.yaml") if d["kind"] == "ClusterRoleBinding")
    (account,) = docs("serviceaccount.yaml")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": account["metadata"]["namespace"]}]


def test_deployment_is_hardened_and_matches_the_cli() -> None:
    (deployment,) = docs("deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    args = build_parser().parse_args(container["args"])
    assert (args.standalone, args.max_concurrent_updates, args.driver) == (True, 2, "automation")
    liveness = container["livenessProbe"]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert args.liveness == f"http://0.0.0.0:{ports[liveness['port']]}{liveness['path']}"
    assert ports["metrics"] == args.metrics_port
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert "PULUMI_CONFIG_PASSPHRASE" not in env  # only the file path, from a mounted Secret
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {env["MODELMONITOR_STATE_DIR"], "/tmp", str(Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"]).parent)} <= mounts
    assert "limits" in container["resources"] and "requests" in container["resources"]


def lua(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    return "{" + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()) + "}"


def health(obj: dict[str, Any]) -> tuple[str, str]:
    """Run deploy/argocd/health.lua in a real Lua 5.4 (embedded via lupa), as Argo CD's gopher-lua would."""
    from lupa import lua54

    script = (f"local env = setmetatable({{obj = {lua(obj)}}}, {{__index = _G}})\n"
              f"local check = assert(loadfile({lua(str(DEPLOY / 'argocd' / 'health.lua'))}, 't', env))\n"
              "local hs = check()\nreturn hs.status, hs.message\n")
    status, message = lua54.LuaRuntime().execute(script)
    return str(status), str(message)


def cond(type_: str, status: str, reason: str, message: str = "") -> dict[str, str]:
    return {"type": type_, "status": status, "reason": reason, "message": message}


READY = cond("Ready", "True", "Applied", "12 resources up to date")


@pytest.mark.parametrize(("obj", "expected"), [
    ({"metadata": {"generation": 1}, "spec": {"suspend": True}, "status": {"conditions": [READY]}},
     ("Suspended", "spec.suspend is true: no Pulumi runs")),
    ({"metadata": {"generation": 1}, "spec": {}}, ("Progressing", "Waiting for the operator to report")),
    ({"metadata": {"generation": 2}, "spec": {}, "status": {"observedGeneration": 2, "conditions": [
        cond("Stalled", "True", "InvalidSpec", "spec.region: required field is missing"),
        cond("Ready", "False", "InvalidSpec")]}}, ("Degraded", "spec.region: required field is missing")),
    ({"metadata": {"generation": 3}, "spec": {}, "status": {"observedGeneration": 2, "conditions": [READY]}},
     ("Progressing", "The operator has not yet acted on the latest spec")),
    ({"metadata": {"generation": 2}, "spec": {}, "status": {"observedGeneration": 2, "conditions": [
        cond("Ready", "False", "Retrying"), cond("Reconciling", "True", "Retrying", "attempt 2 failed: locked")]}},
     ("Progressing", "attempt 2 failed: locked")),
    ({"metadata": {"generation": 2}, "spec": {}, "status": {"observedGeneration": 2, "conditions": [
        READY, cond("Reconciling", "False", "Applied"), cond("Stalled", "False", "Applied")]}},
     ("Healthy", "12 resources up to date")),
    ({"metadata": {"generation": 2}, "spec": {}, "status": {"observedGeneration": 2, "conditions": [
        cond("Ready", "False", "Unknown")]}}, ("Degraded", "Unknown")),
])
def test_argocd_health(obj: dict[str, Any], expected: tuple[str, str]) -> None:
    assert health(obj) == expected


def test_dockerfile_pins_cli_and_plugins_to_the_python_sdks() -> None:
    from importlib.metadata import version

    text = (DEPLOY.parent / "docker" / "operator" / "Dockerfile").read_text()
    assert f"ARG PULUMI_VERSION={version('pulumi')}" in text
    assert f"ARG PULUMI_AWS_VERSION={version('pulumi-aws')}" in text
    assert f"ARG PULUMI_AWS_NATIVE_VERSION={version('pulumi-aws-native')}" in text
    assert "USER 10001" in text
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "python", "-m", "modelmonitor.operator"]' in text
