"""A local AWS for the demo: a moto server on 127.0.0.1 (ephemeral port), always stopped on exit, and boto3
clients pointed at it. Nothing here can reach a real AWS endpoint: the credentials are fake and every client
gets the emulator's endpoint URL."""

from __future__ import annotations

import os
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
    endpoint_url: str
    region: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url,
                            config=_CLIENT_CONFIG, **_credentials())

    def environment(self) -> dict[str, str]:
        """Environment for code (or subprocesses) that builds its own boto3 clients: they honour
        AWS_ENDPOINT_URL, so production code paths talk to the emulator unchanged."""
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url, "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region}


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"]}


@contextmanager
def local_aws(region: str = "us-east-1") -> Iterator[LocalAws]:
    """Start moto's server on 127.0.0.1, point this process's AWS environment at it, stop it afterwards."""
    from moto.server import ThreadedMotoServer  # the emulator is a demo/dev extra, not a runtime dependency

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        aws = LocalAws(f"http://{host}:{port}", region)
        with mock.patch.dict(os.environ, aws.environment()):
            yield aws
    finally:
        server.stop()
