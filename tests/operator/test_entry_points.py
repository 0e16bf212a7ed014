"""Both ways to start the operator, as real processes against the emulated cluster: `python -m
modelmonitor.operator` (with kopf's liveness endpoint) and plain `kopf run -m modelmonitor.operator.handlers`."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.operator.harness import cluster, eventually
from tests.operator.test_lifecycle import condition_is, minimal_spec


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.timeout(60)
@pytest.mark.parametrize("entry", ["python-m", "kopf-run"])
async def test_entry_point_runs_the_operator(entry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    liveness = f"http://127.0.0.1:{port}/healthz"
    if entry == "python-m":
        command = [sys.executable, "-m", "modelmonitor.operator", "--standalone", "--driver", "fake",
                   "--metrics-port", "0", "--liveness", liveness]
    else:
        command = [sys.executable, "-m", "kopf", "run", "-m", "modelmonitor.operator.handlers", "--standalone",
                   "--all-namespaces", f"--liveness={liveness}"]
    async with cluster(tmp_path, monkeypatch) as c:
        env = {**os.environ, "MODELMONITOR_DRIVER": "fake", "MODELMONITOR_STATE_DIR": str(tmp_path / "state")}
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                       stderr=asyncio.subprocess.DEVNULL)
        try:
            await c.create("churn", minimal_spec())
            await eventually(lambda: condition_is(c, "Ready", "True"), timeout=40)
            assert await asyncio.to_thread(healthy, liveness)
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 20)
