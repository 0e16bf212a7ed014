"""AWS's SageMaker images that run our analyzer from a code input, with no image of ours (processingJob engine and
baseline jobs).

Processing needs Python ≥ 3.11 for our package; the SageMaker Python SDK's image tables
(`sagemaker-core/src/sagemaker/core/image_uri_config/*.json` in aws/sagemaker-python-sdk at a24812666) list no
processing-scoped image with it (scikit-learn's 1.4-2 is Python 3.10; Spark 3.5's py312 image starts Spark, not a
script). Framework processors (the SDK's `FrameworkProcessor`) run user code on a framework's *training* image with
the code mounted from S3; PyTorch 2.8.0's CPU training image is Python 3.12, which our bundle is built for
(`modelmonitor.packaging.processing_bundle`: it carries numpy, pyarrow and boto3 itself). The per-region accounts
below are `pytorch.json` → training → 2.8.0 → registries; the tag is the SDK's `_format_tag`:
`{version}-{processor}-{py_version}`.
"""

from __future__ import annotations

from modelmonitor.components.images import regional_image
from modelmonitor.errors import ModelMonitorError

REPOSITORY = "pytorch-training"
TAG = "2.8.0-cpu-py312"
PYTORCH_TRAINING_ACCOUNTS: dict[str, str] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-east-2": "975050140332",
    "ap-northeast-1": "763104351884",
    "ap-northeast-2": "763104351884",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "763104351884",
    "ap-south-2": "772153158452",
    "ap-southeast-1": "763104351884",
    "ap-southeast-2": "763104351884",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-6": "633930458069",
    "ap-southeast-7": "590183813437",
    "ca-central-1": "763104351884",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": "763104351884",
    "eu-central-2": "380420809688",
    "eu-north-1": "763104351884",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": "763104351884",
    "eu-west-2": "763104351884",
    "eu-west-3": "763104351884",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": "763104351884",
    "us-east-1": "763104351884",
    "us-east-2": "763104351884",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": "763104351884",
    "us-west-2": "763104351884",
}


class NoProvidedImageError(ModelMonitorError):
    """No AWS-provided image with Python 3.12 is known in this region."""


def provided_processing_image(region: str) -> str:
    """The AWS-provided image our analyzer's code bundle runs on in `region`."""
    return regional_image(PYTORCH_TRAINING_ACCOUNTS, region, f"{REPOSITORY}:{TAG}", lambda: NoProvidedImageError(
        f"spec.region {region}: no AWS-provided SageMaker image with Python 3.12 is known there for the analyzer "
        "to run on; set spec.engineSettings.analyzerImage to an analyzer image you push to ECR (docs/deploy.md)"))
