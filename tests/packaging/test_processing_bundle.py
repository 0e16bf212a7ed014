"""Our analyzer on AWS's provided Processing image, with no image of ours: the baseline job's request as the
component renders it (validated against botocore's CreateProcessingJob model), then its ContainerEntrypoint run
the way SageMaker would — the code input's object at its LocalPath, the request's Environment — on a CPython 3.12
that has no numpy, pyarrow, orjson or boto3 installed: everything must come from the bundle."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import botocore.session

from modelmonitor.components.baseline_job import dataset_format, processing_job_request
from modelmonitor.components.processing_code import BUNDLE_FILE, CODE_LOCAL_PATH, UNPACKED
from modelmonitor.components.provided_images import provided_processing_image
from modelmonitor.packaging.locate import processing_bundle_path
from tests.analyzer import datagen
from tests.components.boto_contract import validate

OPT_ML = "/opt/ml"


def lambda_python() -> str:
    """The CPython 3.12 `make lambda-package` builds for (a pyenv 3.12, or python3.12 on PATH)."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12.*/bin/python3.12")))
    path = os.environ.get("LAMBDA_PYTHON") or (found[-1] if found else shutil.which("python3.12"))
    assert path, "no CPython 3.12 on this machine (make lambda-package needs one too)"
    return path


def test_the_baseline_job_runs_our_analyzer_from_the_bundle_on_a_bare_python(tmp_path: Path) -> None:
    props = {"job_name": "mm-baseline-test", "region": "us-east-1", "role_arn": "arn:aws:iam::123456789012:role/r",
             "image_uri": provided_processing_image("us-east-1"), "dataset_s3_uri": "s3://b/train/",
             "dataset_format": dataset_format("csv", True), "output_s3_uri": "s3://b/baselines/ns/n/data-quality",
             "instance_type": "ml.m5.xlarge", "volume_size_gb": 20, "max_runtime_seconds": 3600,
             "kms_key_id": None, "environment": {}, "code_s3_uri": "s3://b/code/ns/n/analyzer/0123456789abcdef/"}
    request = processing_job_request(props)
    validate("sagemaker", "CreateProcessingJob", request)
    assert request["AppSpecification"]["ImageUri"] == \
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-cpu-py312"
    (code,) = [i for i in request["ProcessingInputs"] if i["S3Input"]["LocalPath"] == CODE_LOCAL_PATH]
    assert code["S3Input"]["S3Uri"] == props["code_s3_uri"]

    # SageMaker's side: inputs at their LocalPaths below a stand-in /opt/ml, `python3` = the bare 3.12
    root = tmp_path / "opt_ml"
    local = {i["S3Input"]["LocalPath"]: root / i["S3Input"]["LocalPath"].removeprefix(f"{OPT_ML}/")
             for i in request["ProcessingInputs"]}
    local[CODE_LOCAL_PATH].mkdir(parents=True)
    shutil.copy(processing_bundle_path(), local[CODE_LOCAL_PATH] / BUNDLE_FILE)
    (dataset,) = [p for k, p in local.items() if k != CODE_LOCAL_PATH]
    datagen.write_csv(dataset / "train.csv", datagen.baseline_columns(500))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(lambda_python())

    def rooted(text: str) -> str:
        return text.replace(UNPACKED, str(tmp_path / "unpacked")).replace(OPT_ML, str(root))

    environment = {k: rooted(v) for k, v in request["Environment"].items()}
    command = [rooted(part) for part in request["AppSpecification"]["ContainerEntrypoint"]]
    done = subprocess.run(command, env={**environment, "PATH": f"{bin_dir}:/usr/bin:/bin",
                                        "MODELMONITOR_OPT_ML_ROOT": str(root), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (root / "output/message").read_text() == "Completed: baseline of 500 records (0 malformed)"
    assert {p.name for p in (root / "processing/output").iterdir()} == {"statistics.json", "constraints.json"}


def test_the_bare_python_really_lacks_what_the_bundle_carries() -> None:
    """Otherwise the test above would prove nothing."""
    for module in ("numpy", "pyarrow", "orjson", "boto3"):
        done = subprocess.run([lambda_python(), "-c", f"import {module}"], capture_output=True, timeout=60,
                              check=False)
        assert done.returncode != 0, module


def test_the_entrypoint_fits_sagemakers_limits() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateProcessingJob").input_shape.members["AppSpecification"]
    entry = shape.members["ContainerEntrypoint"]
    from modelmonitor.components.processing_code import container_entrypoint

    parts = container_entrypoint()
    assert len(parts) <= entry.metadata["max"]
    assert all(len(p) <= entry.member.metadata["max"] for p in parts)
