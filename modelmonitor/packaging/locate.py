"""Where a deployment finds the analyzer's Lambda zip: built once (`make lambda-package`, or the operator image's
build stage) into the package's `packaging/dist/`, or into `$MODELMONITOR_LAMBDA_PACKAGE_DIR`. Rendering never
builds it: a plan must not depend on a compiler or a download happening inside `pulumi up`."""

from __future__ import annotations

import os
from pathlib import Path

from modelmonitor.errors import ModelMonitorError
from modelmonitor.packaging import lambda_zip, native, processing_bundle

PACKAGE_DIR_ENV = "MODELMONITOR_LAMBDA_PACKAGE_DIR"
DEFAULT_DIR = Path(__file__).resolve().parent / "dist"
BUILD_HINT = "make lambda-package (or python -m modelmonitor.packaging build)"


class LambdaPackageMissingError(ModelMonitorError):
    """The analyzer's zip package is not built in this installation."""


def package_dir() -> Path:
    configured = os.environ.get(PACKAGE_DIR_ENV)
    return Path(configured) if configured else DEFAULT_DIR


def lambda_package(lambda_arch: str, python: str = lambda_zip.LAMBDA_PYTHON) -> Path:
    """The built zip for a Lambda architecture ("x86_64" / "arm64"); refused with how to build it if absent."""
    spec = lambda_zip.BuildSpec(python=python, arch=native.LAMBDA_ARCHITECTURE[lambda_arch])
    path = package_dir() / spec.zip_name
    if not path.is_file():
        raise LambdaPackageMissingError(
            f"engine lambda runs the analyzer as a zip package, and {path} is not built: run {BUILD_HINT}, point "
            f"{PACKAGE_DIR_ENV} at a directory holding {spec.zip_name}, or set spec.engineSettings.analyzerImage "
            "to run an analyzer image instead")
    return path


def processing_bundle_path() -> Path:
    """The built Processing code bundle; refused with how to build it if absent."""
    path = package_dir() / processing_bundle.bundle_name()
    if not path.is_file():
        raise LambdaPackageMissingError(
            f"the analyzer runs on an AWS-provided SageMaker image with its code from S3, and {path} is not built: "
            f"run {BUILD_HINT}, point {PACKAGE_DIR_ENV} at a directory holding it, or set "
            "spec.engineSettings.analyzerImage to run an analyzer image instead")
    return path
