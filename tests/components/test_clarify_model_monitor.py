"""The modelMonitor engine's bias and explainability job definitions (and a batch source's inputs), rendered from the
examples: each request is translated into CreateModelBiasJobDefinition / CreateModelExplainabilityJobDefinition /
CreateDataQualityJobDefinition / CreateMonitoringSchedule and validated against botocore's sagemaker service model
(shapes, enums, patterns, lengths); the image is AWS's Clarify image of the region (the SDK's table), and the
ConfigUri object is AWS's own analysis configuration (what the analyzer's Clarify-format parsers accept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.analyzer.quality.attribution_run import parse_attribution_config
from modelmonitor.analyzer.quality.bias_config import parse_config
from modelmonitor.cli import main
from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.components.spec_checks import MonitorConfigError
from modelmonitor.spec import ModelMonitorDocument
from tests.components.boto_contract import request, tag_list
from tests.components.conftest import example, of_type, on_engine, one
from tests.components.data_paths import SDK_CLARIFY

_PLANS: dict[str, list[PlannedResource]] = {}


def mm_plan(name: str) -> list[PlannedResource]:
    if name not in _PLANS:
        _PLANS[name] = render_plan([on_engine(example(name), "modelMonitor")])
    return _PLANS[name]


def _wire(resource: PlannedResource, drop: tuple[str, ...] = ("endpointName",)) -> dict[str, Any]:
    wire = {k: v for k, v in resource["inputs"].items() if k not in drop}
    # auto-named by aws-native: the provider sends the generated name (the plan's output)
    wire.setdefault("jobDefinitionName", resource["outputs"]["jobDefinitionName"])
    return wire


def _sdk_image(region: str) -> str:
    registries = SDK_CLARIFY["processing"]["versions"]["1.0"]
    return f"{registries['registries'][region]}.dkr.ecr.{region}.amazonaws.com/{registries['repository']}:1.0"


def _config(plan: list[PlannedResource], uri: str) -> dict[str, Any]:
    (obj,) = [r for r in of_type(plan, "BucketObjectv2") if uri.endswith(r["inputs"]["key"])]
    parsed: dict[str, Any] = json.loads(obj["inputs"]["content"])
    return parsed


def test_bias_job_definition_is_a_valid_request_with_the_regions_clarify_image() -> None:
    plan = mm_plan("bias-drift.yaml")
    job = one(plan, "ModelBiasJobDefinition")
    params = request("sagemaker", "CreateModelBiasJobDefinition", _wire(job))
    assert params["ModelBiasAppSpecification"]["ImageUri"] == _sdk_image("eu-west-1")
    endpoint = params["ModelBiasJobInput"]["EndpointInput"]
    assert endpoint["EndpointName"] == "loan-approval-v4"
    assert (endpoint["ProbabilityAttribute"], endpoint["ProbabilityThresholdAttribute"]) == ("0", 0.5)
    # daily schedule, labelDelay 2d: the window of the day ending 2 days before the run (AWS's offsets format)
    assert (endpoint["StartTimeOffset"], endpoint["EndTimeOffset"]) == ("-P3D", "-P2D")
    assert params["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"] == \
        "s3://acme-lending-data/loan-approval/ground-truth/"
    assert params["ModelBiasBaselineConfig"]["ConstraintsResource"]["S3Uri"] == \
        "s3://acme-lending-baselines/loan-approval/bias/analysis.json"
    config = parse_config(_config(plan, params["ModelBiasAppSpecification"]["ConfigUri"]))
    assert [f.name_or_index for f in config.facets] == ["gender", "age"]
    (schedule,) = [r for r in of_type(plan, "MonitoringSchedule")
                   if r["inputs"]["monitoringScheduleConfig"]["monitoringType"] == "ModelBias"]
    wire = {k: v for k, v in schedule["inputs"].items() if k != "tags"}
    scheduled = request("sagemaker", "CreateMonitoringSchedule", wire, {"name": "MonitoringScheduleName"},
                        {"Tags": tag_list(schedule["inputs"].get("tags"))})
    assert scheduled["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == params["JobDefinitionName"]


def test_explainability_job_definition_is_a_valid_request_without_our_budget_keys() -> None:
    plan = mm_plan("feature-attribution.yaml")
    job = one(plan, "ModelExplainabilityJobDefinition")
    params = request("sagemaker", "CreateModelExplainabilityJobDefinition", _wire(job))
    assert params["ModelExplainabilityAppSpecification"]["ImageUri"] == _sdk_image("us-east-1")
    assert params["ModelExplainabilityJobInput"]["EndpointInput"]["EndpointName"] == "churn-scoring-v2"
    raw = _config(plan, params["ModelExplainabilityAppSpecification"]["ConfigUri"])
    assert "max_rows" not in raw and "max_model_rows" not in raw  # ours; AWS's job does not know them
    assert parse_attribution_config(raw).headers[0] == "tenure_months"


@pytest.mark.parametrize("engine_region", ["cn-north-1", "us-gov-west-1"])
def test_clarify_image_follows_the_region(engine_region: str) -> None:
    plan = render_plan([on_engine(example("bias-drift.yaml"), "modelMonitor")], region=engine_region)
    image = one(plan, "ModelBiasJobDefinition")["inputs"]["modelBiasAppSpecification"]["imageUri"]
    account = SDK_CLARIFY["processing"]["versions"]["1.0"]["registries"][engine_region]
    suffix = "amazonaws.com.cn" if engine_region.startswith("cn-") else "amazonaws.com"
    assert image == f"{account}.dkr.ecr.{engine_region}.{suffix}/sagemaker-clarify-processing:1.0"


def test_batch_source_uses_batch_transform_input() -> None:
    plan = mm_plan("batch-transform.yaml")
    assert not of_type(plan, "sagemaker/endpoint:Endpoint")
    job = one(plan, "DataQualityJobDefinition")
    wire = {k: v for k, v in job["inputs"].items() if k != "tags"}
    wire.setdefault("name", job["outputs"]["name"])
    params = request("sagemaker", "CreateDataQualityJobDefinition", wire, {"name": "JobDefinitionName"})
    batch = params["DataQualityJobInput"]["BatchTransformInput"]
    assert batch["DataCapturedDestinationS3Uri"] == "s3://acme-claims-captures/nightly-scoring"
    assert batch["DatasetFormat"] == {"Csv": {"Header": False}}
    assert "EndpointInput" not in params["DataQualityJobInput"]


def test_batch_source_alarms_watch_model_monitorings_batch_namespace() -> None:
    """AWS: batch transform jobs' metrics are in aws/sagemaker/ModelMonitoring/data-metrics with the
    MonitoringSchedule dimension only ("CloudWatch Metrics for Bring Your Own Containers", SageMaker guide)."""
    alarms = [r["inputs"] for r in of_type(mm_plan("batch-transform.yaml"), "MetricAlarm")]
    sagemaker_alarms = [a for a in alarms if a["namespace"].startswith("aws/sagemaker/")]
    assert sagemaker_alarms
    for alarm in sagemaker_alarms:
        assert alarm["namespace"] == "aws/sagemaker/ModelMonitoring/data-metrics", alarm
        assert set(alarm["dimensions"]) == {"MonitoringSchedule"}, alarm


def test_monitoring_role_reads_the_configuration_baseline_and_labels_and_writes_results() -> None:
    plan = mm_plan("bias-drift.yaml")
    bucket = str(one(plan, "s3/bucket:Bucket")["outputs"]["bucket"])
    (policy,) = [json.loads(r["inputs"]["policy"]) for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                 if r["name"].endswith("-monitoring-policy")]
    text = json.dumps(policy)
    for arn in (f"arn:aws:s3:::{bucket}/baselines/lending/loan-approval/model-bias/",
                "arn:aws:s3:::acme-lending-baselines/loan-approval/bias/analysis.json",
                "arn:aws:s3:::acme-lending-data/loan-approval/ground-truth/",
                f"arn:aws:s3:::{bucket}/results/lending/loan-approval/model-bias/"):
        assert arn in text, arn


# --- What AWS's Clarify job needs to run: a model to call, where the score and the features are, the label column.
# Sources (outside our code):
# - "Parameters to Monitor Attribution Drift"
#   https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-model-explainability-parameters.html
#   (awsdocs/amazon-sagemaker-developer-guide,
#   doc_source/clarify-config-json-monitor-model-explainability-parameters.md)
# - "Parameters to Monitor Bias Drift"
#   https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html
# - "Analysis Configuration Files" (predictor.endpoint_name: "The name of your SageMaker endpoint ... If provided,
#   endpoint_name takes precedence over the model_name parameter")
#   https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html
# - SageMaker Python SDK (aws/sagemaker-python-sdk @ a24812666d25): sagemaker-core/src/sagemaker/core/clarify/
#   __init__.py (`ModelConfig.__init__`: model_name + instance_count + instance_type, or endpoint_name;
#   "content_template field is required for content_type application/jsonlines"),
#   sagemaker-core/src/sagemaker/core/model_monitor/
#   clarify_model_monitoring.py (`ModelBiasMonitor.suggest_baseline`: the monitoring config's headers are
#   DataConfig.headers, label included; `ModelExplainabilityMonitor.suggest_baseline`: model_scores go to the job
#   input, `ExplainabilityAnalysisConfig`: the predictor is `ModelConfig.get_predictor_config()`).

BIAS_FEATURES = ["income", "loan_amount", "age", "gender", "zip_region"]


def _batch_with(**spec: Any) -> ModelMonitorDocument:
    """The batch example under modelMonitor with AWS's built-in data-quality analyzer (ours needs a pushed image
    to render from the CLI)."""
    dumped = on_engine(example("batch-transform.yaml"), "modelMonitor").model_dump(by_alias=True, exclude_none=True)
    quality = {**dumped["spec"]["dataQuality"], "analyzer": "builtin"}
    return ModelMonitorDocument.model_validate({**dumped, "spec": {**dumped["spec"], "dataQuality": quality, **spec}})


def _attribution(**fields: Any) -> dict[str, Any]:
    attribution = example("feature-attribution.yaml").spec.feature_attribution.model_dump(by_alias=True,
                                                                                          exclude_none=True)
    return {**attribution, **fields}


def _attribution_doc(**spec: Any) -> ModelMonitorDocument:
    dumped = on_engine(example("feature-attribution.yaml"), "modelMonitor").model_dump(by_alias=True,
                                                                                        exclude_none=True)
    return ModelMonitorDocument.model_validate({**dumped, "spec": {**dumped["spec"], **spec}})


def _explainability(plan: list[PlannedResource]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The CreateModelExplainabilityJobDefinition request (botocore-validated) and its uploaded configuration."""
    params = request("sagemaker", "CreateModelExplainabilityJobDefinition",
                     _wire(one(plan, "ModelExplainabilityJobDefinition")))
    return params, _config(plan, params["ModelExplainabilityAppSpecification"]["ConfigUri"])


def _names_exactly_one_model(predictor: dict[str, Any]) -> bool:
    """The SDK's ModelConfig rule: (model_name, instance_count, instance_type) or (endpoint_name), not both."""
    names_model = {"model_name", "instance_type", "initial_instance_count"} <= set(predictor)
    return names_model != ("endpoint_name" in predictor)


def test_attribution_config_names_the_endpoint_clarify_calls_for_a_batch_source() -> None:
    """AWS: `predictor` is "required for batch transform" and names what Clarify calls; a transform job has no
    endpoint, so featureAttribution.endpointName (which the spec requires there) is the predictor's endpoint_name."""
    plan = render_plan([_batch_with(featureAttribution=_attribution(endpointName="claims-shadow"))])
    params, config = _explainability(plan)
    assert "BatchTransformInput" in params["ModelExplainabilityJobInput"]
    assert _names_exactly_one_model(config["predictor"]), config["predictor"]
    assert config["predictor"]["endpoint_name"] == "claims-shadow"


def test_attribution_config_names_the_monitored_endpoint_by_default() -> None:
    """featureAttribution.endpointName unset on an endpoint source: the monitored endpoint (the spec's default)."""
    _, config = _explainability(mm_plan("feature-attribution.yaml"))
    assert _names_exactly_one_model(config["predictor"]), config["predictor"]
    assert config["predictor"]["endpoint_name"] == "churn-scoring-v2"


def _monitoring_policy(plan: list[PlannedResource]) -> dict[str, Any]:
    (policy,) = [json.loads(r["inputs"]["policy"]) for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                 if r["name"].endswith("-monitoring-policy")]
    parsed: dict[str, Any] = policy
    return parsed


def test_monitoring_role_may_invoke_exactly_the_endpoint_clarify_calls() -> None:
    """Clarify passes predictor.endpoint_name to InvokeEndpoint ("Analysis Configuration Files": content_type and
    accept_type "passed to the ... InvokeEndpoint API"); the job runs as the monitoring role. SageMaker writes
    resource names in ARNs in lower case ("Amazon SageMaker resource ARNs", IAM service authorization reference)."""
    statements = _monitoring_policy(mm_plan("feature-attribution.yaml"))["Statement"]
    invoke = [s for s in statements if "sagemaker:InvokeEndpoint" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in invoke] == ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-scoring-v2"]
    # the bias monitor calls no model: no grant
    bias = _monitoring_policy(mm_plan("bias-drift.yaml"))["Statement"]
    assert not [s for s in bias if "sagemaker:InvokeEndpoint" in json.dumps(s["Action"])]


def test_explainability_endpoint_input_locates_the_score() -> None:
    """AWS: "The other parameters should be provided in EndpointInput ...: ProbabilityAttribute – Index or JMESPath
    location in the model output for probabilities" (example: "ProbabilityAttribute": 1 for the second column)."""
    plan = render_plan([_attribution_doc(featureAttribution=_attribution(score="1"))])
    params, _ = _explainability(plan)
    assert params["ModelExplainabilityJobInput"]["EndpointInput"]["ProbabilityAttribute"] == "1"


def test_bias_config_headers_name_the_label_column_last() -> None:
    """AWS's CSV example for bias monitoring: headers ["feature_0", ..., "feature_3", "target"] with label "target";
    for JSON Lines "the last header becomes the header of the label column"; the SDK's suggest_baseline passes the
    dataset's headers, label included."""
    plan = mm_plan("bias-drift.yaml")
    params = request("sagemaker", "CreateModelBiasJobDefinition", _wire(one(plan, "ModelBiasJobDefinition")))
    config = _config(plan, params["ModelBiasAppSpecification"]["ConfigUri"])
    assert config["headers"] == [*BIAS_FEATURES, config["label"]]
    assert parse_config(config).headers == (*BIAS_FEATURES, config["label"])  # our analyzer reads it too


def _json_lines_batch(payload: dict[str, Any]) -> ModelMonitorDocument:
    spec = example("batch-transform.yaml").spec
    bias = example("bias-drift.yaml").spec.model_bias.model_dump(by_alias=True, exclude_none=True)
    return _batch_with(
        batchTransform={**spec.batch_transform.model_dump(by_alias=True, exclude_none=True),  # type: ignore[union-attr]
                        "contentType": "application/jsonlines", "accept": "application/jsonlines"},
        modelBias=bias, payload=payload)


def test_json_lines_batch_bias_job_locates_the_features_from_the_payload_path() -> None:
    """AWS ("Parameters to Monitor Bias Drift"): FeaturesAttribute "is required if endpoint input data format is
    application/jsonlines" — "the "features" parameter value in ... BatchTransformInput ... is used to locate the
    features in the dataset"."""
    plan = render_plan([_json_lines_batch({"input": {"path": "features", "names": BIAS_FEATURES}})])
    params = request("sagemaker", "CreateModelBiasJobDefinition", _wire(one(plan, "ModelBiasJobDefinition")))
    batch = params["ModelBiasJobInput"]["BatchTransformInput"]
    assert batch["DatasetFormat"] == {"Json": {"Line": True}}
    assert batch["FeaturesAttribute"] == "features"


@pytest.mark.parametrize("payload", [{"input": {"names": BIAS_FEATURES}},
                                     {"input": {"path": "instances[*].features", "names": BIAS_FEATURES}}])
def test_json_lines_batch_bias_job_without_a_features_path_is_refused(payload: dict[str, Any]) -> None:
    """No payload path a JMESPath can say: refused at render, naming the fields, never rendered for AWS to refuse."""
    with pytest.raises(MonitorConfigError, match=r"spec.batchTransform.contentType is application/jsonlines.*"
                                                 r"spec.payload.input.path"):
        render_plan([_json_lines_batch(payload)])


def test_json_lines_refusal_is_exit_2_in_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _json_lines_batch({"input": {"names": BIAS_FEATURES}}).model_dump(by_alias=True, exclude_none=True,
                                                                                     mode="json")
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["render", str(path)]) == 2
    err = capsys.readouterr().err
    assert "FeaturesAttribute" in err and "spec.payload.input.path" in err and "Traceback" not in err
    # validate gives the same verdict (exit 1: an invalid manifest), without importing Pulumi (spec_checks)
    assert main(["validate", str(path)]) == 1
    said = capsys.readouterr().err
    assert "FeaturesAttribute" in said and "spec.payload.input.path" in said


def test_validate_reports_what_the_components_refuse_without_importing_pulumi() -> None:
    """`modelmonitor validate` must not pay for Pulumi (cli.py): the checks it shares with the engines live in a
    module that imports none of it. Run in a fresh interpreter, as the CLI starts."""
    import subprocess
    import sys

    code = ("import sys; from modelmonitor.components import spec_checks; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_aws_native')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_json_lines_attribution_config_has_a_content_template_and_records() -> None:
    """AWS: content_template "used to construct the model input from dataset instances ... only used when
    content_type is application/jsonlines ... should have only one placeholder, $features" (example
    "{\\"features\\":$features}"); the SDK's ModelConfig raises without one. The JSON Lines example's baseline rows are
    records ({"features":[...]}: "The format should be the same as the dataset format") and its EndpointInput has
    "FeaturesAttribute": "features"."""
    plan = render_plan([_attribution_doc(
        featureAttribution=_attribution(contentType="application/jsonlines"),
        payload={"input": {"path": "features"}})])
    params, config = _explainability(plan)
    predictor = config["predictor"]
    assert predictor["content_type"] == "application/jsonlines"
    assert predictor["content_template"] == '{"features":$features}'
    assert config["methods"]["shap"]["baseline"][0] == {"features": [24, 65.0, 1500.0, 0, 12]}
    assert params["ModelExplainabilityJobInput"]["EndpointInput"]["FeaturesAttribute"] == "features"


def test_json_lines_attribution_without_a_payload_path_is_refused() -> None:
    """The reviewer's test expected a template with no payload mapping at all; nothing in the spec says where the
    model wants its features then, so it is refused (as the bias input is), naming the fields."""
    with pytest.raises(MonitorConfigError, match=r"featureAttribution.contentType is application/jsonlines.*"
                                                 r"spec.payload.input.path"):
        render_plan([_attribution_doc(featureAttribution=_attribution(contentType="application/jsonlines"))])


def _endpoint_bias(payload: dict[str, Any]) -> ModelMonitorDocument:
    dumped = on_engine(example("bias-drift.yaml"), "modelMonitor").model_dump(by_alias=True, exclude_none=True)
    return ModelMonitorDocument.model_validate({**dumped, "spec": {**dumped["spec"], "payload": payload}})


def test_an_endpoint_sent_json_gets_its_features_attribute_from_the_payload_path() -> None:
    """Same page, EndpointInput: FeaturesAttribute locates the features when the requests are JSON — which a
    payload path says of an endpoint's requests (a CSV endpoint has no path, and gets none)."""
    plan = render_plan([_endpoint_bias({"input": {"path": "features", "names": BIAS_FEATURES}})])
    params = request("sagemaker", "CreateModelBiasJobDefinition", _wire(one(plan, "ModelBiasJobDefinition")))
    assert params["ModelBiasJobInput"]["EndpointInput"]["FeaturesAttribute"] == "features"
    csv_plan = mm_plan("bias-drift.yaml")
    csv = request("sagemaker", "CreateModelBiasJobDefinition", _wire(one(csv_plan, "ModelBiasJobDefinition")))
    assert "FeaturesAttribute" not in csv["ModelBiasJobInput"]["EndpointInput"]


def test_an_endpoint_sent_json_whose_features_no_jmespath_key_locates_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _endpoint_bias({"input": {"path": "instances[*].features", "names": BIAS_FEATURES}})
    with pytest.raises(MonitorConfigError, match=r"spec.payload.input.path \(JSON requests\)"):
        render_plan([document])
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(document.model_dump(by_alias=True, exclude_none=True, mode="json")))
    assert main(["validate", str(path)]) == 1
    assert "FeaturesAttribute" in capsys.readouterr().err
