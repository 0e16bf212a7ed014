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


@pytest.mark.timeout(60)
async def test_timers_make_drift_column_and_conditions_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kopf timers in a real operator process: the latest run's outputs in (moto) S3, found through
    AWS_ENDPOINT_URL, become status.drift and DriftDetected; the drift check reports InfrastructureDrifted."""
    import json

    import boto3
    from moto.server import ThreadedMotoServer

    from modelmonitor.operator.fakes import FAKE_BUCKET

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, moto_port = server.get_host_and_port()
    endpoint = f"http://{host}:{moto_port}"
    aws = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket=FAKE_BUCKET)
    s3.put_object(Bucket=FAKE_BUCKET, Body=json.dumps({"violations": [
        {"feature_name": "income", "constraint_check_type": "baseline_drift_check",
         "description": "distance: 0.31 exceeds threshold: 0.1"}]}).encode(),
        Key="results/ml/churn/data-quality/churn-prod/churn-sched/2026/11/24/10/constraint_violations.json")
    s3.close()
    command = [sys.executable, "-m", "modelmonitor.operator", "--standalone", "--driver", "fake",
               "--metrics-port", "0", "--liveness", ""]
    try:
        async with cluster(tmp_path, monkeypatch) as c:
            env = {**os.environ, **aws, "MODELMONITOR_STATE_DIR": str(tmp_path / "state"),
                   "MODELMONITOR_TIMER_TICK_SECONDS": "0.5", "MODELMONITOR_EXECUTION_REFRESH_SECONDS": "0"}
            process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                           stderr=asyncio.subprocess.DEVNULL)
            try:
                await c.create("churn", minimal_spec(
                    engine="lambda", dataCapture={"destinationS3Uri": "s3://acme-captures/churn"},
                    driftDetection={"mode": "Detect", "interval": "1m"}))
                # Plain fields and the timer's conditions are two writes (the conditions merge into the freshest list).
                await eventually(lambda: (c.obj("churn") or {}).get("status", {}).get("drift") == "income"
                                 and condition_is(c, "DriftDetected", "True"), timeout=40)
                await eventually(lambda: condition_is(c, "InfrastructureDrifted", "False"), timeout=20)
                assert condition_is(c, "Ready", "True")
                execution = (c.obj("churn") or {})["status"]["lastMonitoringExecution"]
                assert execution["reportUri"] == (f"s3://{FAKE_BUCKET}/results/ml/churn/data-quality/churn-prod/"
                                                  "churn-sched/2026/11/24/10/")
            finally:
                process.terminate()
                await asyncio.wait_for(process.wait(), 20)
    finally:
        server.stop()
