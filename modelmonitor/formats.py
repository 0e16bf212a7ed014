"""Formatted string types of the spec: each carries its anchored pattern for the CRD and a precise message."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

SAGEMAKER_NAME_MAX = 63
# Every SageMaker/AWS name we derive is `{name}-{6-char hash}-{suffix}`; the longest suffix is 16 characters
# (see components/names.py, which asserts this budget), so a monitor name may use what is left.
NAME_HASH_LENGTH = 6
LONGEST_NAME_SUFFIX = 16
MAX_MONITOR_NAME_LENGTH = SAGEMAKER_NAME_MAX - 1 - NAME_HASH_LENGTH - 1 - LONGEST_NAME_SUFFIX  # 39


def _field(pattern: str, max_length: int) -> Any:
    """Schema side of a formatted string: anchored pattern and length, as the CRD needs them."""
    return Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": f"^(?:{pattern})$"})


def _check(pattern: str, what: str, example: str) -> AfterValidator:
    """Validation side of a formatted string, with a message a human can act on."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError(
                "invalid_format", "must be {what} (e.g. {example}), got {got}",
                {"what": what, "example": example, "got": repr(value)},
            )
        return value

    return AfterValidator(check)


_S3 = r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^\s]*)?"
_DNS = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SM_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
_REGION = r"[a-z]{2}(-gov|-iso|-isob)?-[a-z]+-[0-9]"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_SNS_ARN = r"arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.\-]{1,256}"
_ROLE_ARN = r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/\-]{1,512}"
_KMS = (r"arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[\w/\-]+|alias/[\w/\-]+"
        r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_IMAGE = r"[a-z0-9][\w.\-/:@]*"
_INSTANCE = r"ml\.[a-z0-9]+\.[a-z0-9]+"
_SECRET = r"[\w/+=.@\-]{1,512}"
# `hourly`, `daily`, `daily@HH` (UTC hour), `every Nh` or a SageMaker-compatible cron.
SCHEDULE_PATTERN = (r"hourly|daily|daily@([01]?[0-9]|2[0-3])|every ([1-9]|1[0-9]|2[0-4])h"
                    r"|cron\(0 (\*|([01]?[0-9]|2[0-3])(/([1-9]|1[0-9]|2[0-4]))?) \? \* \* \*\)")
_DURATION = r"[1-9][0-9]{0,3}[mhd]"
PAYLOAD_PATH = (r"(?:[A-Za-z_][A-Za-z0-9_-]*|\[(?:\*|-?[0-9]+)\])"
                r"(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[(?:\*|-?[0-9]+)\])*")
"""The analyzer's payload path syntax (analyzer/read/payload_mapping.PATH_PATTERN; a test holds them equal)."""

S3Uri = Annotated[str, _field(_S3, 1024), _check(_S3, "an s3:// URI", "s3://my-bucket/prefix/")]
PayloadPath = Annotated[str, _field(PAYLOAD_PATH, 256),
                        _check(PAYLOAD_PATH, "a payload path: keys joined by dots, [n] an index, [*] the row axis",
                               "instances[*].features")]
MonitorName = Annotated[str, _field(_DNS, MAX_MONITOR_NAME_LENGTH),
                        _check(_DNS, "a lowercase DNS label (a-z, 0-9, '-')", "churn-prod")]
Namespace = Annotated[str, _field(_DNS, 63), _check(_DNS, "a lowercase DNS label (a-z, 0-9, '-')", "ml-team")]
SageMakerName = Annotated[str, _field(_SM_NAME, SAGEMAKER_NAME_MAX),
                          _check(_SM_NAME, "a SageMaker name (letters, digits, single '-')", "churn-prod")]
Region = Annotated[str, _field(_REGION, 32), _check(_REGION, "an AWS region", "us-east-1")]
Email = Annotated[str, _field(_EMAIL, 254), _check(_EMAIL, "an e-mail address", "mlops@example.com")]
SnsTopicArn = Annotated[str, _field(_SNS_ARN, 300),
                        _check(_SNS_ARN, "an SNS topic ARN", "arn:aws:sns:us-east-1:123456789012:alerts")]
RoleArn = Annotated[str, _field(_ROLE_ARN, 600),
                    _check(_ROLE_ARN, "an IAM role ARN", "arn:aws:iam::123456789012:role/SageMakerExecution")]
KmsKey = Annotated[str, _field(_KMS, 2048), _check(_KMS, "a KMS key ARN, key id or alias", "alias/model-monitor")]
ContainerImage = Annotated[str, _field(_IMAGE, 1024), _check(
    _IMAGE, "a container image URI", "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1.2")]
InstanceType = Annotated[str, _field(_INSTANCE, 64), _check(_INSTANCE, "a SageMaker instance type", "ml.m5.xlarge")]
SecretName = Annotated[str, _field(_SECRET, 512), _check(
    _SECRET, "an SSM parameter or Secrets Manager secret name", "/modelmonitor/slack-webhook")]
Schedule = Annotated[str, _field(SCHEDULE_PATTERN, 64), _check(
    SCHEDULE_PATTERN, "hourly, daily, daily@HH, every Nh (N=1..24) or cron(0 H/N ? * * *)", "hourly")]
Duration = Annotated[str, _field(_DURATION, 8),
                     _check(_DURATION, "a duration in minutes, hours or days", "24h")]
