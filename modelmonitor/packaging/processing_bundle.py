"""The analyzer as a code input for an AWS-provided SageMaker Processing image (processingJob engine, baseline jobs).

The SageMaker SDK's framework processors run user code on AWS's framework images by uploading it to S3 and mounting
it at /opt/ml/processing/input/code; this bundle does the same for our analyzer. It carries everything the analyzer
imports besides the standard library — the Lambda zip's contents (sources, cross-compiled C modules, orjson) plus
numpy and pyarrow at the layer's versions (the combination `make layer-compat` tests) and boto3 — as manylinux
wheels for CPython 3.12, so it depends on the image for nothing but a CPython 3.12 on glibc ≥ 2.28.
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

from modelmonitor.packaging import lambda_zip, layers

BOTO3_VERSION = "1.44.18"
"""Pinned, as every other input of the bundle (pyproject.toml's boto3>=1.34 range includes it)."""
GLIBC_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
"""pyarrow 24 publishes manylinux_2_28 wheels; AWS's PyTorch 2.8 training images are Ubuntu 22.04 (glibc 2.35)."""


def bundle_name(python: str = lambda_zip.LAMBDA_PYTHON) -> str:
    return f"analyzer-processing-py{python}-x86_64.zip"


def download_command(dest: Path, python: str = lambda_zip.LAMBDA_PYTHON) -> list[str]:
    platforms = [arg for p in GLIBC_PLATFORMS for arg in ("--platform", p)]
    return [sys.executable, "-m", "pip", "download", f"numpy=={layers.LAYER_NUMPY}",
            f"pyarrow=={layers.LAYER_PYARROW}", f"boto3=={BOTO3_VERSION}", "--only-binary=:all:", *platforms,
            "--python-version", python, "--implementation", "cp", "--dest", str(dest), "--quiet"]


def build(lambda_package: Path, *, out_dir: Path, wheel_dir: Path | None = None) -> Path:
    """The bundle: the Lambda zip's files plus the wheels' contents. `wheel_dir` holds already downloaded wheels."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="mm-processing-") as tmp:
        staging = Path(tmp) / "staging"
        with zipfile.ZipFile(lambda_package) as archive:
            archive.extractall(staging)
        wheels = wheel_dir or Path(tmp) / "wheels"
        if wheel_dir is None:
            subprocess.run(download_command(wheels), check=True)
        for wheel in sorted(wheels.glob("*.whl")):
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(staging)
        target = out_dir / bundle_name()
        lambda_zip.write_zip(staging, target)
    return target
