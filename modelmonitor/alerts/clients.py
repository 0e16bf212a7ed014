"""boto3 clients of the alert Lambda, made on first use (a cold start pays only for the services it calls)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import boto3
from botocore.config import Config

from . import alarm_states, run_metrics
from .enrich import S3Reader, SageMakerReader
from .routes import ParameterReader, Publisher, SecretReader

_AWS_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
_SERVICES = {"s3": "s3", "sagemaker": "sagemaker", "sns": "sns", "ssm": "ssm", "secrets": "secretsmanager",
             "dynamodb": "dynamodb", "cloudwatch": "cloudwatch"}


class Clients:
    """boto3 clients made on first use, so a cold start pays only for the services it calls; injectable by name."""

    def __init__(self, injected: Mapping[str, Any] | None = None) -> None:
        self._made: dict[str, Any] = dict(injected or {})

    def get(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = boto3.client(_SERVICES[name], config=_AWS_CONFIG)
        return self._made[name]

    @property
    def s3(self) -> S3Reader:
        return cast(S3Reader, self.get("s3"))

    @property
    def sagemaker(self) -> SageMakerReader:
        return cast(SageMakerReader, self.get("sagemaker"))

    @property
    def sns(self) -> Publisher:
        return cast(Publisher, self.get("sns"))

    @property
    def ssm(self) -> ParameterReader:
        return cast(ParameterReader, self.get("ssm"))

    @property
    def secrets(self) -> SecretReader:
        return cast(SecretReader, self.get("secrets"))

    @property
    def cloudwatch(self) -> run_metrics.MetricWriter:
        return cast(run_metrics.MetricWriter, self.get("cloudwatch"))

    @property
    def alarms(self) -> alarm_states.AlarmReader:
        return cast(alarm_states.AlarmReader, self.get("cloudwatch"))
