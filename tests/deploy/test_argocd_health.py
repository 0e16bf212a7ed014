"""deploy/argocd/health.lua, run in a real Lua 5.4 (lupa), agrees with kstatus on every combination of the
conditions and generations a ModelMonitor can carry. The expected value is a transcription of kstatus's
checkGenericProperties (sigs.k8s.io/cli-utils pkg/kstatus/status/generic.go): deletion → Terminating; a
status.observedGeneration that differs from metadata.generation → InProgress; then, in list order, the first
Reconciling=True → InProgress or Stalled=True → Failed; otherwise no generic decision. Argo CD's side: Terminating
and InProgress are Progressing, Failed is Degraded; without a generic decision Ready decides (True → Healthy,
False → Degraded, absent → Progressing); `spec.suspend` → Suspended comes first."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from lupa import lua54

from tests.operator.test_deploy_manifests import lua  # one Python → Lua literal writer

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "argocd" / "health.lua"




RUNTIME = lua54.LuaRuntime()


def health(obj: dict[str, Any]) -> tuple[str, str]:
    """Argo CD runs the script with the object as the global `obj`."""
    script = (f"local env = setmetatable({{obj = {lua(obj)}}}, {{__index = _G}})\n"
              f"local check = assert(loadfile({lua(str(SCRIPT))}, 't', env))\n"
              "local hs = check()\nreturn hs.status, hs.message\n")
    status, message = RUNTIME.execute(script)
    return str(status), str(message)


def kstatus(obj: dict[str, Any]) -> tuple[str, str] | None:
    """checkGenericProperties, transcribed: (status, message), or None when it makes no decision."""
    metadata, status = obj.get("metadata", {}), obj.get("status") or {}
    if metadata.get("deletionTimestamp"):
        return "Terminating", "Resource scheduled for deletion"
    generation = metadata.get("generation")
    if generation is not None and "observedGeneration" in status and status["observedGeneration"] != generation:
        return "InProgress", "latest generation not observed"
    for condition in status.get("conditions", []):
        if condition["type"] == "Reconciling" and condition["status"] == "True":
            return "InProgress", condition["message"]
        if condition["type"] == "Stalled" and condition["status"] == "True":
            return "Failed", condition["message"]
    return None


def expected(obj: dict[str, Any]) -> str:
    if obj.get("spec", {}).get("suspend") is True:
        return "Suspended"
    decided = kstatus(obj)
    if decided is not None:
        return {"Terminating": "Progressing", "InProgress": "Progressing", "Failed": "Degraded"}[decided[0]]
    ready = next((c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == "Ready"), None)
    if ready is None:
        return "Progressing"
    return "Healthy" if ready["status"] == "True" else "Degraded"


def objects() -> list[dict[str, Any]]:
    found = []
    states = [None, "True", "False"]
    for ready, reconciling, stalled in itertools.product(states, states, states):
        conditions = [{"type": t, "status": s, "reason": f"{t}Reason", "message": f"{t} says {s}"}
                      for t, s in (("Ready", ready), ("Reconciling", reconciling), ("Stalled", stalled)) if s]
        for ordered, observed, deleting, suspended in itertools.product(
                (conditions, conditions[::-1]), (None, 1, 2), (False, True), (False, True)):
            status: dict[str, Any] = {"conditions": ordered}
            if observed is not None:
                status["observedGeneration"] = observed
            metadata: dict[str, Any] = {"name": "churn", "generation": 2}
            if deleting:
                metadata["deletionTimestamp"] = "2026-12-06T10:00:00Z"
            found.append({"metadata": metadata, "spec": {"suspend": suspended}, "status": status})
    found.append({"metadata": {"generation": 1}, "spec": {}})
    return found


def test_health_agrees_with_kstatus_on_every_combination() -> None:
    disagreements = [(obj, health(obj)[0], expected(obj)) for obj in objects() if health(obj)[0] != expected(obj)]
    assert disagreements == [], disagreements[:3]


@pytest.mark.parametrize(("conditions", "message"), [
    ([{"type": "Stalled", "status": "True", "reason": "InvalidSpec", "message": "spec.region: required"}],
     "spec.region: required"),
    ([{"type": "Reconciling", "status": "True", "reason": "Retrying", "message": ""}], "Retrying"),
])
def test_message_is_the_deciding_conditions(conditions: list[dict[str, str]], message: str) -> None:
    obj = {"metadata": {"generation": 2}, "spec": {}, "status": {"observedGeneration": 2, "conditions": conditions}}
    assert health(obj)[1] == message


def test_a_stalled_condition_of_an_older_spec_is_not_degraded() -> None:
    """The user fixed an invalid spec (generation 3); until the operator acts on it, kstatus says InProgress."""
    obj = {"metadata": {"generation": 3}, "spec": {}, "status": {"observedGeneration": 2, "conditions": [
        {"type": "Stalled", "status": "True", "reason": "InvalidSpec", "message": "spec.region: required"}]}}
    assert health(obj) == ("Progressing", "The operator has not yet acted on the latest spec")
