"""The pinned Clarify image table equals the SageMaker Python SDK's `image_uri_config/clarify.json` (a copy of
sagemaker-core/src/sagemaker/core/image_uri_config/clarify.json at SDK commit a24812666d258d9d19c9a82d0c9385ca0bd3ba01
is tests/components/data/sdk-clarify.json), and the URI is built as the SDK's `image_uris.retrieve` builds it."""

from __future__ import annotations

from typing import Any

import botocore.loaders
import pytest

from modelmonitor.components.clarify_images import CLARIFY_ACCOUNTS, CLARIFY_REPOSITORY, clarify_image
from modelmonitor.components.images import UnsupportedRegionError, dns_suffix, partition
from tests.components.data_paths import SDK_CLARIFY

SDK = SDK_CLARIFY["processing"]["versions"]["1.0"]


def test_table_is_the_sdks() -> None:
    assert SDK["registries"] == CLARIFY_ACCOUNTS
    assert SDK["repository"] == CLARIFY_REPOSITORY


@pytest.mark.parametrize(("region", "uri"), [
    ("us-east-1", "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"),
    ("eu-west-1", "131013547314.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0"),
    ("cn-north-1", "122526803553.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-clarify-processing:1.0"),
    ("us-gov-west-1", "598674086554.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-clarify-processing:1.0"),
])
def test_a_few_regions(region: str, uri: str) -> None:
    assert clarify_image(region) == uri


def test_unknown_region_is_refused_by_name() -> None:
    with pytest.raises(UnsupportedRegionError, match="no known image in region 'xx-east-9'"):
        clarify_image("xx-east-9")


def _botocore_partition(region: str) -> dict[str, Any]:
    """botocore's endpoint data: the partition listing the region (its `dnsSuffix` and `partition` name)."""
    partitions = botocore.loaders.Loader().load_data("endpoints")["partitions"]
    (found,) = [p for p in partitions if region in p.get("regions", {})]
    return dict(found)


@pytest.mark.parametrize("region", sorted(CLARIFY_ACCOUNTS))
def test_image_domain_is_the_partitions_dns_suffix(region: str) -> None:
    """The SDK builds image URIs with its ALTERNATE_DOMAINS (sagemaker-core/src/sagemaker/core/common_utils.py:
    us-isof-*: csp.hci.ic.gov, cn-*: amazonaws.com.cn); botocore's endpoint data gives the same suffix per
    partition. Every table region, the us-isof ones included (amazonaws.com there was the defect)."""
    assert clarify_image(region).split("/")[0] == \
        f"{CLARIFY_ACCOUNTS[region]}.dkr.ecr.{region}.{_botocore_partition(region)['dnsSuffix']}"


@pytest.mark.parametrize("region", ["us-isof-east-1", "us-isof-south-1", "cn-northwest-1", "us-gov-west-1",
                                    "eu-west-1"])
def test_arn_partition_and_domain_are_botocores(region: str) -> None:
    """Every regional lookup shares images.dns_suffix / images.partition: both are botocore's (aws-iso-f for
    us-isof-*, not aws)."""
    found = _botocore_partition(region)
    assert (partition(region), dns_suffix(region)) == (found["partition"], found["dnsSuffix"])
