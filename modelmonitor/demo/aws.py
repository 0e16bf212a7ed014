"""A local AWS for the demo: a moto server on 127.0.0.1 (ephemeral port), always stopped on exit, and boto3
clients pointed at it. Nothing here can reach a real AWS endpoint: the credentials are fake and every client
gets the emulator's endpoint URL."""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
from botocore.config import Config

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Emulated calls either answer at once or are not implemented (HTTP 500): retrying only slows the demo down.
_CLIENT_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True)
class LocalAws:
    endpoint_url: str | None
    """The emulator server's URL; None when AWS is emulated in-process (no server, no port)."""
    region: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                            config=_CLIENT_CONFIG, **_credentials())

    def environment(self) -> dict[str, str]:
        """Environment for code (or subprocesses) that builds its own boto3 clients: they honour
        AWS_ENDPOINT_URL, so production code paths talk to the emulator unchanged."""
        env = {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        return env

    @property
    def description(self) -> str:
        return f"moto server at {self.endpoint_url}" if self.endpoint_url else "moto in-process (no server)"


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"]}


@contextmanager
def local_aws(region: str = "us-east-1", *, server: bool = True) -> Iterator[LocalAws]:
    """Start moto's server on 127.0.0.1, point this process's AWS environment at it, stop it afterwards.
    With `server=False`, AWS is emulated inside this process instead (no socket at all)."""
    if not server:
        from moto import mock_aws

        aws = LocalAws(None, region)
        with mock.patch.dict(os.environ, aws.environment()), mock_aws():
            yield aws
        return
    from moto.server import ThreadedMotoServer  # the emulator is a demo/dev extra, not a runtime dependency

    # The emulator's HTTP server logs every request; the demo's output is the timeline, not an access log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    emulator = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    emulator.start()
    try:
        host, port = emulator.get_host_and_port()
        aws = LocalAws(f"http://{host}:{port}", region)
        _reset(aws)  # moto keeps its backends per process: start from an empty account
        with mock.patch.dict(os.environ, aws.environment()):
            yield aws
        _reset(aws)
    finally:
        emulator.stop()


def _reset(aws: LocalAws) -> None:
    request = urllib.request.Request(f"{aws.endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
