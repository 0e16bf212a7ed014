"""`modelBias.baseline.dataset` under every engine (Pulumi mocks): one baseline processing job, and the runs judged
against its analysis.json.

Expected values come from outside the component code:
- botocore's sagemaker model validates the CreateProcessingJob request (types, required members, enums, patterns,
  ProcessingJobName's 63 characters) and moto accepts it;
- the SageMaker Python SDK's `SageMakerClarifyProcessor` (tests/components/data/sdk-clarify-processor.json, extracted
  from sagemaker-core/src/sagemaker/core/clarify/__init__.py at commit a24812666d258d9d19c9a82d0c9385ca0bd3ba01):
  the input names and local paths (`dataset` → /opt/ml/processing/input/data, `analysis_config` →
  /opt/ml/processing/input/config), the output (`analysis_result` ← /opt/ml/processing/output) and the analysis
  configuration's keys (`ANALYSIS_CONFIG_SCHEMA_V1_0`);
- AWS's Clarify image table (the SDK's image_uri_config/clarify.json, tests/components/data/sdk-clarify.json);
- "Configure a SageMaker Clarify Processing Job" (https://docs.aws.amazon.com/sagemaker/latest/dg/
  clarify-processing-job-configure-parameters.html): ContainerEntrypoint and ContainerArguments are not supported
  on the Clarify image.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modelmonitor.components.baseline_job import job_request
from modelmonitor.components.bias_baseline import job_name
from modelmonitor.components.names import MonitorNames
from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.formats import MAX_MONITOR_NAME_LENGTH
from modelmonitor.spec import ModelMonitorDocument
from tests.components.boto_contract import validate
from tests.components.conftest import example, of_type, on_engine
from tests.components.data_paths import SDK_CLARIFY, SDK_CLARIFY_PROCESSOR

MONITOR = "growth-churn-scoring"
DATASET = "s3://acme-growth-data/churn/train.csv"
BIAS: dict[str, Any] = {
    "enabled": True, "schedule": "daily@5", "groundTruthS3Uri": "s3://acme-growth-data/churn/ground-truth/",
    "labelDelay": "2d", "label": {"name": "churned", "favourableValues": ["0"]},
    "facets": [{"name": "senior_citizen", "values": ["1"]}], "probabilityAttribute": "0",
    "headers": ["tenure_months", "monthly_charges", "senior_citizen"],
    "baseline": {"dataset": {"s3Uri": DATASET, "predictedLabel": "churn_score"}}}
ENGINES = ["lambda", "processingJob", "modelMonitor"]


def _document(engine: str, bias: dict[str, Any] | None = None) -> ModelMonitorDocument:
    raw = on_engine(example("lambda-engine.yaml"), engine).model_dump(by_alias=True, exclude_none=True)
    raw["spec"]["modelBias"] = bias or BIAS
    return ModelMonitorDocument.model_validate(raw)


_PLANS: dict[str, list[PlannedResource]] = {}


def _plan(engine: str) -> list[PlannedResource]:
    if engine not in _PLANS:
        _PLANS[engine] = render_plan([_document(engine)])
    return _PLANS[engine]


def _bias_job(plan: list[PlannedResource]) -> dict[str, Any]:
    (job,) = [r for r in of_type(plan, "pulumi-python:dynamic:Resource") if r["inputs"].get("kind") == "model-bias"]
    inputs: dict[str, Any] = job["inputs"]
    return inputs


def _named(plan: list[PlannedResource], suffix: str, name: str) -> PlannedResource:
    (found,) = [r for r in of_type(plan, suffix) if r["name"] == f"{MONITOR}-{name}"]
    return found


def _bucket(plan: list[PlannedResource]) -> str:
    return str(_named(plan, "s3/bucketObjectv2:BucketObjectv2", "model-bias-baseline-config")["inputs"]["bucket"])


def _analysis_uri(plan: list[PlannedResource]) -> str:
    return f"s3://{_bucket(plan)}/baselines/growth/churn-scoring/model-bias/analysis.json"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_baseline_job_request_is_valid_for_botocore_and_moto(engine: str) -> None:
    props = _bias_job(_plan(engine))
    params = job_request(props)
    validate("sagemaker", "CreateProcessingJob", params)
    with mock_aws():
        client = boto3.client("sagemaker", region_name=props["region"])
        client.create_processing_job(**params)
        described = client.describe_processing_job(ProcessingJobName=params["ProcessingJobName"])
        assert described["ProcessingJobName"] == params["ProcessingJobName"]


@pytest.mark.parametrize("engine", ENGINES)
def test_inputs_and_output_are_the_sdks_clarify_processor(engine: str) -> None:
    params = job_request(_bias_job(_plan(engine)))
    sdk_inputs = {i["InputName"]: i for i in SDK_CLARIFY_PROCESSOR["inputs"]}
    ours = {i["InputName"]: i["S3Input"] for i in params["ProcessingInputs"] if i["InputName"] != "code"}
    assert set(ours) == set(sdk_inputs)
    for name, sdk in sdk_inputs.items():
        assert {k: ours[name][k] for k in ("LocalPath", "S3DataType", "S3InputMode")} == \
            {k: sdk[k] for k in ("LocalPath", "S3DataType", "S3InputMode")}
    assert ours["dataset"]["S3Uri"] == DATASET
    assert ours["analysis_config"]["S3Uri"].endswith("/model-bias/baseline-job/analysis_config.json")
    (output,) = params["ProcessingOutputConfig"]["Outputs"]
    (sdk_output,) = SDK_CLARIFY_PROCESSOR["outputs"]
    assert (output["OutputName"], output["S3Output"]["LocalPath"]) == (sdk_output["OutputName"],
                                                                        sdk_output["LocalPath"])
    # internal-contracts §1: the type's baseline location
    assert output["S3Output"]["S3Uri"].endswith("/baselines/growth/churn-scoring/model-bias")


def test_model_monitor_runs_aws_clarify_image_without_entrypoint_or_environment() -> None:
    params = job_request(_bias_job(_plan("modelMonitor")))
    registry = SDK_CLARIFY["processing"]["versions"]["1.0"]
    assert params["AppSpecification"] == {
        "ImageUri": f"{registry['registries']['us-east-1']}.dkr.ecr.us-east-1.amazonaws.com/"
                    f"{registry['repository']}:1.0"}
    assert "Environment" not in params
    assert [i["InputName"] for i in params["ProcessingInputs"]] == ["dataset", "analysis_config"]


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_our_engines_run_our_analyzer_in_bias_baseline_mode(engine: str) -> None:
    params = job_request(_bias_job(_plan(engine)))
    environment = params["Environment"]
    assert (environment["monitoring_type"], environment["analysis_mode"]) == ("ModelBias", "baseline")
    paths = SDK_CLARIFY_PROCESSOR["paths"]
    assert environment["analysis_config"] == f"{paths['_CLARIFY_CONFIG_INPUT']}/analysis_config.json"
    assert environment["dataset_source"] == paths["_CLARIFY_DATA_INPUT"]
    assert environment["output_path"] == paths["_CLARIFY_OUTPUT"]
    # AWS's provided image with our code bundle (no analyzerImage in the example)
    assert "ContainerEntrypoint" in params["AppSpecification"]
    assert [i["InputName"] for i in params["ProcessingInputs"]] == ["dataset", "analysis_config", "code"]


def test_the_baseline_configuration_is_clarifys_for_a_dataset_with_predicted_labels() -> None:
    plan = _plan("modelMonitor")
    config = json.loads(_named(plan, "s3/bucketObjectv2:BucketObjectv2", "model-bias-baseline-config")["inputs"][
        "content"])
    keys = SDK_CLARIFY_PROCESSOR["analysis_config_keys"]
    assert set(keys["required"]) <= set(config) <= set(keys["required"]) | set(keys["optional"])
    assert set(config["methods"]) <= set(SDK_CLARIFY_PROCESSOR["methods_keys"])
    assert config["dataset_type"] == "text/csv"
    assert config["predicted_label"] == "churn_score"
    assert config["label"] == "churned"
    assert "headers" not in config       # Clarify reads the CSV's header row; the spec's headers are the request's
    assert set(config["methods"]) == {"pre_training_bias", "post_training_bias"}


def test_without_a_predicted_label_only_pre_training_bias_is_asked() -> None:
    bias = {**BIAS, "baseline": {"dataset": {"s3Uri": DATASET}}}
    plan = render_plan([_document("modelMonitor", bias)])
    config = json.loads(_named(plan, "s3/bucketObjectv2:BucketObjectv2", "model-bias-baseline-config")["inputs"][
        "content"])
    assert set(config["methods"]) == {"pre_training_bias"}
    assert "predicted_label" not in config


def test_model_monitor_job_definition_uses_the_computed_baseline() -> None:
    plan = _plan("modelMonitor")
    (definition,) = of_type(plan, "ModelBiasJobDefinition")
    assert definition["inputs"]["modelBiasBaselineConfig"]["constraintsResource"]["s3Uri"] == _analysis_uri(plan)


def test_lambda_runs_use_the_computed_baseline() -> None:
    plan = _plan("lambda")
    function = _named(plan, "lambda/function:Function", "mb-analyzer")["inputs"]
    assert function["environment"]["variables"]["baseline_constraints"] == _analysis_uri(plan)


def test_processing_job_runs_use_the_computed_baseline() -> None:
    plan = _plan("processingJob")
    machine = _named(plan, "sfn/stateMachine:StateMachine", "mb-run")["inputs"]
    assert f'"baseline_constraints": "{_analysis_uri(plan)}"' in machine["definition"]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_monitoring_role_may_read_the_dataset_and_write_the_baseline(engine: str) -> None:
    plan = _plan(engine)
    policy = json.loads(_named(plan, "iam/rolePolicy:RolePolicy", "monitoring-policy")["inputs"]["policy"])
    resources = [r for s in policy["Statement"] for r in
                 ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
                 if "s3:GetObject" in s["Action"] or "s3:PutObject" in s["Action"]]
    readable = [r for s in policy["Statement"] if "s3:GetObject" in s["Action"]
                for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    writable = [r for s in policy["Statement"] if "s3:PutObject" in s["Action"]
                for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    assert resources
    assert "arn:aws:s3:::acme-growth-data/churn/train.csv" in readable
    bucket = _bucket(plan)
    assert f"arn:aws:s3:::{bucket}/baselines/growth/churn-scoring/model-bias/*" in writable


def test_the_longest_monitor_name_still_names_a_valid_job() -> None:
    """ProcessingJobName: botocore's pattern and 63-character maximum, for the longest name a monitor may have."""
    names = MonitorNames("a-namespace-of-some-length", "m" * MAX_MONITOR_NAME_LENGTH)
    name = job_name(names, "f" * 64)
    validate("sagemaker", "DescribeProcessingJob", {"ProcessingJobName": name})
    # the check can fail: botocore's model refuses one character more than its maximum, and a leading hyphen
    with pytest.raises(AssertionError, match="ProcessingJobName"):
        validate("sagemaker", "DescribeProcessingJob", {"ProcessingJobName": name + "x" * (64 - len(name))})
    with pytest.raises(AssertionError, match="ProcessingJobName"):
        validate("sagemaker", "DescribeProcessingJob", {"ProcessingJobName": "-ab"})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_tolerance_points_every_engine_at_the_band_and_keeps_the_job(engine: str) -> None:
    """With `dataset.tolerance` the runs (and AWS's Clarify container) judge against constraints.json, the band the
    job resource writes beside analysis.json; the job's name (what runs the dataset) does not change with it."""
    tolerant = {**BIAS, "baseline": {"dataset": {**BIAS["baseline"]["dataset"], "tolerance": {"DPPL": 0.1}}}}
    plan = render_plan([_document(engine, tolerant)])
    band = _analysis_uri(plan).replace("/analysis.json", "/constraints.json")
    job = _bias_job(plan)
    assert json.loads(job["tolerance"]) == {"DPPL": 0.1}
    assert job["job_name"] == _bias_job(_plan(engine))["job_name"]
    if engine == "modelMonitor":
        (definition,) = of_type(plan, "ModelBiasJobDefinition")
        assert definition["inputs"]["modelBiasBaselineConfig"]["constraintsResource"]["s3Uri"] == band
    elif engine == "lambda":
        function = _named(plan, "lambda/function:Function", "mb-analyzer")["inputs"]
        assert function["environment"]["variables"]["baseline_constraints"] == band
    else:
        machine = _named(plan, "sfn/stateMachine:StateMachine", "mb-run")["inputs"]
        assert f'"baseline_constraints": "{band}"' in machine["definition"]
