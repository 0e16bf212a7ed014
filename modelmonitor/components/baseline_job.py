"""`BaselineJob`: a Pulumi dynamic resource that runs a SageMaker baseline processing job: the data-quality baseline
(suggest_baseline), or the bias baseline (`kind: model-bias`, `bias_processing_job_request`).

No Pulumi provider runs a one-off processing job and waits for it, so this one does it over boto3. The job gets
the analyzer's full baseline environment (contract file, "Baseline job"): running it without one is the seed
recipe's bug 2 — the container then has no idea where its dataset is and fails or produces nothing.

Processing jobs cannot be deleted and their names are unique forever in an account/region, so the job name
carries a fingerprint of the inputs: changed inputs → a new job (replace); the same inputs after a failed
deployment → the existing job is adopted instead of colliding with it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi.dynamic

from modelmonitor.components.policies import split_s3_uri
from modelmonitor.components.processing_code import code_input
from modelmonitor.components.stepfunctions import app_specification

DATASET_LOCAL_PATH = "/opt/ml/processing/input/baseline_dataset_input"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
FINAL_STATES = frozenset({"Completed", "Failed", "Stopped"})
INPUT_KEYS = ("job_name", "region", "role_arn", "image_uri", "dataset_s3_uri", "dataset_format", "output_s3_uri",
              "instance_type", "volume_size_gb", "max_runtime_seconds", "kms_key_id", "environment", "code_s3_uri")

BIAS_KIND = "model-bias"
EXTRA_KEYS = ("kind", "config_s3_uri", "tolerance")
"""Inputs of a bias baseline only. Absent (None) for a data-quality baseline, whose fingerprint and diff they then
leave as they were: existing baseline jobs keep their names. `tolerance` (JSON text, `modelBias.baseline.dataset.
tolerance`) is not part of the job's name: a new tolerance replaces the resource, whose create adopts the finished
job of the same name and writes the new band."""

CLARIFY_DATA_INPUT = "/opt/ml/processing/input/data"
CLARIFY_CONFIG_INPUT = "/opt/ml/processing/input/config"
CLARIFY_OUTPUT = "/opt/ml/processing/output"
"""The Clarify processing container's paths (the SageMaker SDK's `SageMakerClarifyProcessor._CLARIFY_*`); our
analyzer's bias baseline mode reads the same inputs (`bias_baseline_environment`)."""
CONFIG_FILE = "analysis_config.json"
ANALYSIS_FILE = "analysis.json"
BAND_FILE = "constraints.json"
"""With a tolerance: the baseline analysis widened into the configured band (bias_report.with_tolerance), in the
same folder. The runs and AWS's Clarify container judge against it; analysis.json stays the dataset's own."""

PROFILE_KEY = "aws_profile"
"""The stack's `aws:profile`: which credentials run the job. Not in INPUT_KEYS: it neither names nor replaces the
job (the same job, started with other credentials, is the same job)."""

log = logging.getLogger(__name__)


class BaselineJobFailed(RuntimeError):
    """The baseline job ended in Failed or Stopped; the message carries SageMaker's FailureReason."""


def dataset_format(file_format: str, header: bool) -> str:
    """The `dataset_format` environment value (a JSON string) of the SageMaker SDK's DatasetFormat helpers.
    Kept a string end to end: a nested dict would pass through Pulumi's serialisation with its keys reordered."""
    formats: dict[str, dict[str, Any]] = {
        "csv": {"csv": {"header": header, "output_columns_position": "START"}},
        "jsonl": {"json": {"lines": True}},
        "parquet": {"parquet": {}},
    }
    if file_format not in formats:
        raise ValueError(f"unsupported baseline dataset format {file_format!r}")
    return json.dumps(formats[file_format], separators=(",", ":"))


def baseline_environment(props: Mapping[str, Any]) -> dict[str, str]:
    return {
        **{str(k): str(v) for k, v in (props.get("environment") or {}).items()},
        "dataset_format": str(props["dataset_format"]),
        "dataset_source": DATASET_LOCAL_PATH,
        "output_path": OUTPUT_LOCAL_PATH,
        # Metrics describe monitoring runs; a baseline must not publish into the alarms' series.
        "publish_cloudwatch_metrics": "Disabled",
    }


def bias_baseline_environment() -> dict[str, str]:
    """Our analyzer's bias baseline mode (internal-contracts §5): the inputs where Clarify's container finds them."""
    return {"monitoring_type": "ModelBias", "analysis_mode": "baseline",
            "analysis_config": f"{CLARIFY_CONFIG_INPUT}/{CONFIG_FILE}", "dataset_source": CLARIFY_DATA_INPUT,
            "output_path": CLARIFY_OUTPUT, "publish_cloudwatch_metrics": "Disabled"}


def _s3_input(name: str, uri: str, local_path: str) -> dict[str, Any]:
    return {"InputName": name, "S3Input": {
        "S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}


def bias_processing_job_request(props: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateProcessingJob request of a bias baseline, shaped as the SageMaker SDK's
    `SageMakerClarifyProcessor._run` shapes it: inputs `dataset` and `analysis_config` (the configuration object
    itself, S3Prefix), output `analysis_result`. On AWS's Clarify image: no environment, no entrypoint (Clarify
    supports neither ContainerEntrypoint nor ContainerArguments); on our analyzer: its bias baseline environment
    and, on AWS's provided image, the code bundle."""
    inputs = [_s3_input("dataset", props["dataset_s3_uri"], CLARIFY_DATA_INPUT),
              _s3_input("analysis_config", props["config_s3_uri"], CLARIFY_CONFIG_INPUT)]
    environment = {str(k): str(v) for k, v in (props.get("environment") or {}).items()}
    return _request(props, inputs=inputs, output=("analysis_result", CLARIFY_OUTPUT), environment=environment)


def _request(props: Mapping[str, Any], *, inputs: list[dict[str, Any]], output: tuple[str, str],
             environment: Mapping[str, str]) -> dict[str, Any]:
    """The CreateProcessingJob request (botocore shape) both baseline kinds share: one instance, the output
    (name, local path) uploaded at the end with the platform key, the code bundle when our analyzer runs from it,
    and an Environment only when there is one (AWS's Clarify image takes none)."""
    name, local_path = output
    outputs: dict[str, Any] = {"Outputs": [{"OutputName": name, "S3Output": {
        "S3Uri": props["output_s3_uri"], "LocalPath": local_path, "S3UploadMode": "EndOfJob"}}]}
    if props.get("kms_key_id"):
        outputs["KmsKeyId"] = props["kms_key_id"]
    code = props.get("code_s3_uri")
    request: dict[str, Any] = {
        "ProcessingJobName": props["job_name"],
        "ProcessingInputs": [*inputs, code_input(code)] if code else inputs,
        "ProcessingOutputConfig": outputs,
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": 1, "InstanceType": props["instance_type"],
            "VolumeSizeInGB": int(props["volume_size_gb"])}},
        "StoppingCondition": {"MaxRuntimeInSeconds": int(props["max_runtime_seconds"])},
        "AppSpecification": app_specification(props["image_uri"], code or None),
        "RoleArn": props["role_arn"],
    }
    if environment:
        request["Environment"] = dict(environment)
    return request


def job_request(props: Mapping[str, Any]) -> dict[str, Any]:
    """The request of this baseline job's kind."""
    return bias_processing_job_request(props) if props.get("kind") == BIAS_KIND else processing_job_request(props)


def result_outputs(props: Mapping[str, Any]) -> dict[str, str]:
    """Where the job's results are once it completed (the outputs the runs read)."""
    base = str(props["output_s3_uri"]).rstrip("/")
    if props.get("kind") == BIAS_KIND:
        judged = BAND_FILE if props.get("tolerance") else ANALYSIS_FILE
        return {"analysis_s3_uri": f"{base}/{ANALYSIS_FILE}", "constraints_s3_uri": f"{base}/{judged}"}
    return {"statistics_s3_uri": f"{base}/statistics.json", "constraints_s3_uri": f"{base}/constraints.json"}


def processing_job_request(props: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateProcessingJob request (botocore shape) of a data-quality baseline job."""
    inputs: list[dict[str, Any]] = [{"InputName": "baseline_dataset_input", "S3Input": {
        "S3Uri": props["dataset_s3_uri"], "LocalPath": DATASET_LOCAL_PATH, "S3DataType": "S3Prefix",
        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}]
    return _request(props, inputs=inputs, output=("baseline", OUTPUT_LOCAL_PATH),
                    environment=baseline_environment(props))


def fingerprint(props: Mapping[str, Any]) -> str:
    """Hash of the resource's inputs that change the baseline's result (not the job name, which derives from it)."""
    material = {k: props.get(k) for k in INPUT_KEYS if k != "job_name"}
    material.update({k: props[k] for k in EXTRA_KEYS if props.get(k) is not None})
    return material_fingerprint(material)


def material_fingerprint(material: Mapping[str, Any]) -> str:
    """Hash of every entry of `material`, what names a baseline job: the same material adopts the same job, and
    anything that changes the result (dataset, format, analyzer, its code build) must be in it."""
    return hashlib.sha256(json.dumps(dict(material), sort_keys=True, default=str).encode()).hexdigest()


def _client(region: str, profile: str | None = None, service: str = "sagemaker") -> Any:
    """A SageMaker (or S3) client with the stack's AWS profile (`aws:profile`, as the stack's AWS providers use
    it), else the default credential chain."""
    import boto3  # the provider is pickled into the state; import where it runs

    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    return session.client(service, region_name=region)


def _already_exists(exc: Any) -> bool:
    """SageMaker answers a duplicate job name with ResourceInUse (or a ValidationException saying so)."""
    error = exc.response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    return error.get("Code") == "ResourceInUse" or (
        error.get("Code") == "ValidationException" and ("unique" in message or "already exists" in message))


def _not_found(exc: Any) -> bool:
    """SageMaker reports an unknown job as a ValidationException ("Could not find processing job ...")."""
    error = exc.response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    return error.get("Code") == "ResourceNotFound" or (
        error.get("Code") == "ValidationException" and ("could not find" in message or "not found" in message))


class BaselineJobProvider(pulumi.dynamic.ResourceProvider):
    """create: start (or adopt) the job and wait for it; diff: any input change replaces; delete: stop if still
    running (finished processing jobs cannot be deleted; their output stays under baselines/)."""

    def __init__(self, client_factory: Callable[[str], Any] | None = None, poll_seconds: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 s3_factory: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._s3_factory = s3_factory
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._clock = clock

    def _sagemaker(self, props: dict[str, Any]) -> Any:
        if self._client_factory is not None:
            return self._client_factory(props["region"])
        return _client(props["region"], props.get(PROFILE_KEY))

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        from botocore.exceptions import ClientError

        client = self._sagemaker(props)
        name = props["job_name"]
        try:
            client.create_processing_job(**job_request(props))
        except ClientError as exc:
            if not _already_exists(exc):
                raise
            log.info("baseline job %s already exists (same inputs): adopting it", name)
        description = self._wait(client, name, int(props["max_runtime_seconds"]))
        if props.get("kind") == BIAS_KIND and props.get("tolerance"):
            self._write_band(props)
        outs = {**props, "job_arn": description.get("ProcessingJobArn", ""), **result_outputs(props)}
        return pulumi.dynamic.CreateResult(id_=name, outs=outs)

    def _write_band(self, props: dict[str, Any]) -> None:
        """constraints.json beside the job's analysis.json: the analysis widened by the configured tolerance."""
        from modelmonitor.analyzer.quality.bias_report import with_tolerance

        s3 = self._s3_factory(props["region"]) if self._s3_factory is not None else \
            _client(props["region"], props.get(PROFILE_KEY), service="s3")
        bucket, prefix = split_s3_uri(str(props["output_s3_uri"]).rstrip("/"))
        analysis = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/{ANALYSIS_FILE}")["Body"].read())
        band = with_tolerance(analysis, json.loads(props["tolerance"]))
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": props["kms_key_id"]} \
            if props.get("kms_key_id") else {}
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{BAND_FILE}", Body=json.dumps(band, indent=2).encode(),
                      ContentType="application/json", **encryption)

    def _wait(self, client: Any, name: str, max_runtime: int) -> dict[str, Any]:
        """Poll until a final state; bounded by the job's own runtime limit plus start-up slack."""
        deadline = self._clock() + max_runtime + 1800
        while True:
            description: dict[str, Any] = client.describe_processing_job(ProcessingJobName=name)
            status = description["ProcessingJobStatus"]
            if status == "Completed":
                return description
            if status in FINAL_STATES:
                reason = description.get("FailureReason") or description.get("ExitMessage") or "no reason given"
                raise BaselineJobFailed(f"baseline job {name} {status.lower()}: {reason}")
            if self._clock() >= deadline:
                raise BaselineJobFailed(f"baseline job {name} still {status} after {max_runtime + 1800} s")
            self._sleep(self._poll_seconds)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [k for k in (*INPUT_KEYS, *EXTRA_KEYS) if olds.get(k) != news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        client = self._sagemaker(props)
        try:
            status = client.describe_processing_job(ProcessingJobName=_id)["ProcessingJobStatus"]
        except ClientError as exc:
            if _not_found(exc):
                return
            raise
        if status == "InProgress":
            client.stop_processing_job(ProcessingJobName=_id)


class BaselineJob(pulumi.dynamic.Resource):
    job_arn: pulumi.Output[str]
    statistics_s3_uri: pulumi.Output[str]
    constraints_s3_uri: pulumi.Output[str]
    analysis_s3_uri: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = ("analysis_s3_uri",) if props.get("kind") == BIAS_KIND else ("statistics_s3_uri",
                                                                                "constraints_s3_uri")
        super().__init__(BaselineJobProvider(), name, {**props, "job_arn": None, **dict.fromkeys(outputs)}, opts)
