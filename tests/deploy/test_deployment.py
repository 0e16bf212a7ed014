"""deploy/deployment.yaml's shutdown settings, against the Pod termination flow Kubernetes documents
(https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination-flow): the default grace period
is 30 s; a preStop hook runs before SIGTERM and its time counts against the grace period; SIGTERM goes to each
container's PID 1 and SIGKILL to every process left when the period ends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
KUBERNETES_DEFAULT_GRACE_SECONDS = 30


def pod_spec() -> dict[str, Any]:
    (deployment,) = [d for d in yaml.safe_load_all((REPO / "deploy" / "deployment.yaml").read_text()) if d]
    return dict(deployment["spec"]["template"]["spec"])


def test_grace_period_outlasts_a_pulumi_operation_finishing() -> None:
    """30 s would SIGKILL a CLI mid-`up` on every rollout: a locked stack and unrecorded resources. Pulumi finishing
    an in-flight SageMaker endpoint create/update takes minutes (it waits for InService)."""
    grace = pod_spec().get("terminationGracePeriodSeconds", KUBERNETES_DEFAULT_GRACE_SECONDS)
    assert grace >= 600


def test_no_prestop_hook_delays_the_operators_sigterm() -> None:
    (container,) = pod_spec()["containers"]
    assert "preStop" not in container.get("lifecycle", {})


def test_sigterm_reaches_the_operator_through_an_init_that_reaps() -> None:
    """PID 1 gets SIGTERM. Python as PID 1 would also inherit every orphaned plugin process and never reap it; tini
    (without -g) forwards the signal to its child, the operator, alone — the operator stops the CLIs itself."""
    dockerfile = (REPO / "docker" / "operator" / "Dockerfile").read_text()
    final_stage = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[-1]
    entrypoint = re.search(r"^ENTRYPOINT (\[.*\])$", final_stage, flags=re.MULTILINE)
    assert entrypoint is not None
    assert yaml.safe_load(entrypoint.group(1)) == ["/usr/bin/tini", "--", "python", "-m", "modelmonitor.operator"]
    assert "install -y --no-install-recommends tini" in final_stage
    (container,) = pod_spec()["containers"]
    assert "command" not in container, "a command would replace the image's tini entrypoint"
