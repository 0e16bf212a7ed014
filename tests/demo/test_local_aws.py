"""The demo's AWS emulator binds loopback only, serves boto3 through AWS_ENDPOINT_URL, and always stops."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import boto3
import pytest

from modelmonitor.demo.aws import local_aws


def test_emulator_serves_s3_and_stops() -> None:
    with local_aws() as aws:
        url = urlparse(aws.endpoint_url)
        assert url.hostname == "127.0.0.1" and url.port
        aws.client("s3").create_bucket(Bucket="demo-bucket")
        # code that builds its own clients (production paths) reaches the emulator through the environment
        assert os.environ["AWS_ENDPOINT_URL"] == aws.endpoint_url
        names = [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]]
        assert names == ["demo-bucket"]
    assert "AWS_ENDPOINT_URL" not in os.environ or os.environ["AWS_ENDPOINT_URL"] != aws.endpoint_url
    with pytest.raises(OSError), socket.create_connection((url.hostname, url.port), timeout=1):
        pass


def test_emulator_stops_on_error() -> None:
    with pytest.raises(RuntimeError), local_aws() as aws:
        port = urlparse(aws.endpoint_url).port
        raise RuntimeError("boom")
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
