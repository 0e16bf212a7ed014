"""Our analyzer on an AWS-provided SageMaker image: its code bundle as a Processing input, as the SageMaker SDK's
framework processors mount user code (`/opt/ml/processing/input/code`), and the entrypoint that unpacks and runs it.

The bundle (`modelmonitor.packaging.processing_bundle`) is uploaded once per content under the monitor's prefix,
`code/{namespace}/{name}/analyzer/{sha256[:16]}/bundle.zip`: a new build is a new key, so the jobs that use it
change with it, and the job roles read only that prefix. Python cannot import C extensions from a zip, so the
entrypoint unpacks it (standard library `zipfile`) and starts the analyzer's BYOC entrypoint, as our image does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

CODE_INPUT_NAME = "code"
CODE_LOCAL_PATH = "/opt/ml/processing/input/code"
BUNDLE_FILE = "bundle.zip"
UNPACKED = "/tmp/modelmonitor-analyzer"


def bundle_digest(bundle: Path) -> str:
    return hashlib.sha256(bundle.read_bytes()).hexdigest()[:16]


def code_prefix(code_root: str, digest: str) -> str:
    """The content-addressed S3 prefix (ends with "/") of a bundle below `code_root` (`s3://…/code/{ns}/{name}`)."""
    return f"{code_root.rstrip('/')}/analyzer/{digest}/"


def container_entrypoint() -> list[str]:
    """AppSpecification.ContainerEntrypoint: unpack the bundle, then the analyzer with only it ahead on the path."""
    # `python -m` puts the working directory first on the path: start there, so nothing else can shadow it
    script = (f"python3 -m zipfile -e {CODE_LOCAL_PATH}/{BUNDLE_FILE} {UNPACKED} && cd {UNPACKED} && "
              f"PYTHONPATH={UNPACKED} exec python3 -m modelmonitor.analyzer")
    return ["/bin/bash", "-c", script]


def code_input(prefix: str) -> dict[str, Any]:
    """The ProcessingInput (CreateProcessingJob shape) that mounts the bundle's prefix."""
    return {"InputName": CODE_INPUT_NAME, "S3Input": {
        "S3Uri": prefix, "LocalPath": CODE_LOCAL_PATH, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated"}}
