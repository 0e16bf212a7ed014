"""Analyzer container images: AWS's built-in Model Monitor analyzer per region, or ours from the Platform's ECR.

The built-in image lives in an AWS-owned account that differs per region (the SageMaker Python SDK's
`image_uri_config/model-monitor.json`; us-gov-west-1 from the developer guide). Taking the account from the
caller's own account is the seed recipe's bug 1: the pull fails with "repository does not exist".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import botocore.loaders

from modelmonitor.errors import ModelMonitorError

BUILTIN_ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"

MODEL_MONITOR_ACCOUNTS: dict[str, str] = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-central-2": "590183933784",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-south-2": "437450045455",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "il-central-1": "843974653677",
    "me-central-1": "588750061953",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
    "us-gov-west-1": "362178532790",
}


class UnsupportedRegionError(ModelMonitorError):
    """The built-in Model Monitor analyzer has no known image in this region."""


@functools.cache
def _partitions() -> tuple[dict[str, Any], ...]:
    return tuple(botocore.loaders.Loader().load_data("endpoints")["partitions"])


def _partition_of(region: str) -> dict[str, Any]:
    """The region's partition in botocore's endpoint data, resolved as botocore resolves it: a listed region first,
    then the partitions' `regionRegex`; a region no partition claims is in `aws` (botocore's default)."""
    partitions = _partitions()
    for candidate in partitions:
        if region in candidate.get("regions", {}):
            return candidate
    for candidate in partitions:
        if re.match(candidate["regionRegex"], region):
            return candidate
    (default,) = [p for p in partitions if p["partition"] == "aws"]
    return default


def dns_suffix(region: str) -> str:
    """AWS's domain for a region (amazonaws.com, amazonaws.com.cn, csp.hci.ic.gov, ...): the partition's
    `dnsSuffix` in botocore's endpoint data, which the SageMaker SDK's `ALTERNATE_DOMAINS` table agrees with."""
    suffix: str = _partition_of(region)["dnsSuffix"]
    return suffix


def partition(region: str) -> str:
    """The ARN partition of a region (aws, aws-cn, aws-us-gov, aws-iso-f, ...), from botocore's endpoint data."""
    name: str = _partition_of(region)["partition"]
    return name


def regional_image(accounts: Mapping[str, str], region: str, repository: str, missing: Callable[[], Exception]
                   ) -> str:
    """`{account}.dkr.ecr.{region}.{domain}/{repository}` from a per-region account table of AWS's images (the
    SageMaker SDK's `image_uris` form); `missing()` is raised for a region the table lacks."""
    account = accounts.get(region)
    if account is None:
        raise missing()
    return f"{account}.dkr.ecr.{region}.{dns_suffix(region)}/{repository}"


def builtin_analyzer_image(region: str) -> str:
    """URI of SageMaker's built-in Model Monitor analyzer in `region` (no tag: AWS publishes it untagged)."""
    return regional_image(MODEL_MONITOR_ACCOUNTS, region, BUILTIN_ANALYZER_REPOSITORY, lambda: UnsupportedRegionError(
        f"SageMaker Model Monitor's built-in analyzer has no known image in region {region!r}; known regions: "
        f"{', '.join(sorted(MODEL_MONITOR_ACCOUNTS))}. Use dataQuality.analyzer: custom or another engine."))


def custom_analyzer_image(repository_url: str, tag: str) -> str:
    """Our analyzer image in the Platform's ECR repository (`repository_url` as ECR reports it, no tag)."""
    if not tag or ":" in tag or "@" in tag:
        raise ValueError(f"not an image tag: {tag!r}")
    return f"{repository_url}:{tag}"
