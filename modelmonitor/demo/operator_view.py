"""The demo's Kubernetes entry path: a local API server emulator, the real operator process (render driver: the
plan, not AWS), the demo's manifest applied as a ModelMonitor resource, and the `kubectl get mm` view."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class OperatorSettings:
    """What the operator needs from the planned platform."""

    bucket: str
    alert_topic_arn: str


@dataclass
class KubeView:
    headline: str = ""
    """What step 5 says about the operator (printed after the hourly table)."""
    drift_view: Callable[[tuple[str, ...]], str | None] = lambda _drifted: None
    """Waits until the resource's status shows the latest run's drift, then returns the `kubectl get mm` view."""
    status_view: Callable[[], tuple[str, dict[str, Any]] | None] = lambda: None
    """The `kubectl get mm` view and the resource's status as the operator last wrote them."""


@contextmanager
def kubernetes(manifest: dict[str, Any], platform: OperatorSettings, out: Path, enabled: bool) -> Iterator[KubeView]:
    """The Kubernetes entry path: a local API server emulator, the real operator process (render driver: the
    plan, not AWS), the same manifest applied as a ModelMonitor resource. The drift the status shows is read by
    the operator from the emulator's S3, as in production."""
    if not enabled:
        yield KubeView()
        return
    from modelmonitor.crd import PRINTER_COLUMNS
    from modelmonitor.demo.kube import kubectl_get, local_kube

    with local_kube(out) as kube:
        env = {**os.environ, "KUBECONFIG": str(kube.kubeconfig), "MODELMONITOR_DRIVER": "render",
               "MODELMONITOR_ARTIFACT_BUCKET": platform.bucket,
               "MODELMONITOR_ALERT_TOPIC_ARN": platform.alert_topic_arn,
               "MODELMONITOR_STATE_DIR": str(out / "operator-state"), "MODELMONITOR_TIMER_TICK_SECONDS": "1",
               "MODELMONITOR_EXECUTION_REFRESH_SECONDS": "0"}
        log = (out / "operator.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "modelmonitor.operator", "--standalone", "--metrics-port", "0", "--liveness", ""],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            kube.apply(manifest)
            namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
            ready = _wait(lambda: _condition(kube.get(namespace, name), "Ready") == "True", OPERATOR_TIMEOUT)
            headline = (f"local API server at {kube.url}; operator (render driver) "
                        f"{'reconciled' if ready else 'did NOT reconcile'} {namespace}/{name}"
                        f"{'' if ready else ' (see ' + str(out / 'operator.log') + ')'}")

            def drift_view(drifted: tuple[str, ...]) -> str | None:
                _wait(lambda: _drift_shown(kube.get(namespace, name).get("status", {}).get("drift"), drifted),
                      OPERATOR_TIMEOUT)
                return kubectl_get(PRINTER_COLUMNS, [kube.get(namespace, name)])

            def status_view() -> tuple[str, dict[str, Any]]:
                resource = kube.get(namespace, name)
                return kubectl_get(PRINTER_COLUMNS, [resource]), dict(resource.get("status", {}))

            yield KubeView(headline, drift_view, status_view)
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            log.close()


OPERATOR_TIMEOUT = 60.0


def _drift_shown(column: str | None, drifted: tuple[str, ...]) -> bool:
    """The Drift column lists up to three features, else counts them; `none` after a clean run."""
    if not column:
        return False
    if not drifted:
        return column == "none"
    return {f.strip() for f in column.split(",")} >= set(drifted) or column == f"{len(drifted)} features"


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    return next((c.get("status") for c in obj.get("status", {}).get("conditions", []) if c.get("type") == kind), None)


def _wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()
