"""Bias drift, feature attribution drift and a batch transform source under the lambda engine (Pulumi mocks).

Expected values come from outside the component code: the analyzer's own parsers (`BiasJob.from_environment`,
`AttributionJob.from_environment`, `BatchCapture.from_environment`) must accept the rendered environment and find in
it what the spec says; Lambda's 4 KB environment quota ("Lambda quotas",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); the SageMaker endpoint ARN format
(`arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}`, "Actions, resources, and condition keys
for Amazon SageMaker", service authorization reference); the M-of-N rule written out from the example.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from modelmonitor.analyzer.quality.attribution_run import AttributionJob
from modelmonitor.analyzer.quality.bias_run import BiasJob
from modelmonitor.analyzer.read.batch_transform import BatchCapture
from modelmonitor.analyzer.read.sources import Window
from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.components.spec_checks import MonitorConfigError
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import example, of_type, on_engine

MONITOR = "growth-churn-scoring"
BASE = "churn-scoring-c4c8f8"
ACCOUNT = "123456789012"
BIAS: dict[str, Any] = {
    "enabled": True, "schedule": "daily@5", "groundTruthS3Uri": "s3://acme-growth-data/churn/ground-truth/",
    "labelDelay": "2d", "label": {"name": "churned", "favourableValues": ["0"]},
    "facets": [{"name": "senior_citizen", "values": ["1"]}], "probabilityAttribute": "0",
    "headers": ["tenure_months", "monthly_charges", "senior_citizen"],
    "baseline": {"analysisS3Uri": "s3://acme-growth-data/churn/bias/analysis.json"}}
ATTRIBUTION: dict[str, Any] = {
    "enabled": True, "headers": ["tenure_months", "monthly_charges", "senior_citizen"],
    "backgroundRows": [[12, 70.5, 0], [40, 20.0, 1]], "numSamples": 32, "maxRows": 10,
    "baselineAnalysisS3Uri": "s3://acme-growth-data/churn/attribution/analysis.json"}
WINDOW = Window(start=datetime(2026, 11, 24, 0, tzinfo=UTC), end=datetime(2026, 11, 25, 0, tzinfo=UTC))


def _document(engine: str = "lambda", **sections: Any) -> ModelMonitorDocument:
    base = on_engine(example("lambda-engine.yaml"), engine)
    raw = base.model_dump(by_alias=True, exclude_none=True)
    raw["spec"].update(sections)
    if "batchTransform" in sections:
        del raw["spec"]["endpoint"]
    return ModelMonitorDocument.model_validate(raw)


_PLANS: dict[str, list[PlannedResource]] = {}


def _plan(key: str, document: ModelMonitorDocument) -> list[PlannedResource]:
    if key not in _PLANS:
        _PLANS[key] = render_plan([document])
    return _PLANS[key]


def clarify_plan() -> list[PlannedResource]:
    return _plan("both", _document(modelBias=BIAS, featureAttribution=ATTRIBUTION))


def _named(resources: list[PlannedResource], suffix: str, name: str) -> PlannedResource:
    (found,) = [r for r in of_type(resources, suffix) if r["name"] == f"{MONITOR}-{name}"]
    return found


def _variables(resources: list[PlannedResource], kind: str) -> dict[str, str]:
    function = _named(resources, "lambda/function:Function", f"{kind}-analyzer")["inputs"]
    variables: dict[str, str] = function["environment"]["variables"]
    return variables


def _config_object(resources: list[PlannedResource], results: str) -> PlannedResource:
    return _named(resources, "s3/bucketObjectv2:BucketObjectv2", f"{results}-analysis-config")


def _inline(resources: list[PlannedResource], env: dict[str, str], results: str) -> dict[str, str]:
    """The run environment with the uploaded configuration's text in place of its URI (the analyzer reads either)."""
    obj = _config_object(resources, results)
    bucket = obj["inputs"]["bucket"]
    assert env["analysis_config"] == f"s3://{bucket}/{obj['inputs']['key']}"
    return {**env, "analysis_config": obj["inputs"]["content"]}


def test_bias_run_environment_is_what_the_analyzer_reads() -> None:
    resources = clarify_plan()
    env = _variables(resources, "mb")
    bucket = _config_object(resources, "model-bias")["inputs"]["bucket"]
    assert env["analysis_config"] == f"s3://{bucket}/baselines/growth/churn-scoring/model-bias/analysis_config.json"
    job = BiasJob.from_environment(_inline(resources, env, "model-bias"), WINDOW,
                                   output_path=env["output_path"])
    assert job.config.label == "churned" and job.config.label_values_or_threshold == (0,)
    assert [f.name_or_index for f in job.config.facets] == ["senior_citizen"]
    assert job.baseline == "s3://acme-growth-data/churn/bias/analysis.json"
    assert job.source.ground_truth_source == "s3://acme-growth-data/churn/ground-truth"
    assert job.source.probability_attribute == "0"
    assert (env["monitoring_type"], env["cloudwatch_metrics_namespace"]) == ("ModelBias", "ModelMonitor/ModelBias")
    assert env["sagemaker_monitoring_schedule_name"] == f"{BASE}-mb-schedule"
    assert env["output_path"].endswith("/results/growth/churn-scoring/model-bias")
    assert env["label_delay_seconds"] == str(2 * 86400)
    assert env["schedule_period_seconds"] == "86400"


def test_attribution_run_environment_is_what_the_analyzer_reads() -> None:
    resources = clarify_plan()
    env = _variables(resources, "fa")
    job = AttributionJob.from_environment(_inline(resources, env, "feature-attribution"), WINDOW,
                                          output_path=env["output_path"])
    assert job.endpoint == "churn-scoring-v2"  # the monitored endpoint: no endpointName set
    assert job.config.headers == ("tenure_months", "monthly_charges", "senior_citizen")
    assert (job.config.num_samples, job.config.max_rows, job.config.max_model_rows) == (32, 10, 100_000)
    assert job.baseline == "s3://acme-growth-data/churn/attribution/analysis.json"
    assert env["cloudwatch_metrics_namespace"] == "ModelMonitor/ModelExplainability"


@pytest.mark.parametrize("kind", ["dq", "mq", "mb", "fa"])
def test_each_function_environment_fits_lambdas_4_kb(kind: str) -> None:
    env = _variables(clarify_plan(), kind)
    assert sum(len(k) + len(v) for k, v in env.items()) <= 4096


def _policy(resources: list[PlannedResource], kind: str, role: str = "analyzer") -> dict[str, Any]:
    policy = _named(resources, "iam/rolePolicy:RolePolicy", f"{kind}-{role}-policy")["inputs"]["policy"]
    parsed: dict[str, Any] = json.loads(policy)
    return parsed


def _statements_with(policy: dict[str, Any], action: str) -> list[dict[str, Any]]:
    def actions(s: dict[str, Any]) -> list[str]:
        return [s["Action"]] if isinstance(s["Action"], str) else list(s["Action"])
    return [s for s in policy["Statement"] if action in actions(s)]


def test_only_attribution_may_call_the_model_and_only_the_monitored_endpoint() -> None:
    resources = clarify_plan()
    (invoke,) = _statements_with(_policy(resources, "fa"), "sagemaker:InvokeEndpoint")
    assert invoke["Resource"] == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn-scoring-v2"
    for kind in ("dq", "mq", "mb"):
        assert not _statements_with(_policy(resources, kind), "sagemaker:InvokeEndpoint"), kind


def test_bias_and_attribution_roles_read_their_configuration_baseline_and_labels() -> None:
    resources = clarify_plan()
    bucket = _config_object(resources, "model-bias")["inputs"]["bucket"]
    bias = json.dumps(_policy(resources, "mb"))
    assert f"arn:aws:s3:::{bucket}/baselines/growth/churn-scoring/model-bias/" in bias
    assert "arn:aws:s3:::acme-growth-data/churn/bias/analysis.json" in bias
    assert "arn:aws:s3:::acme-growth-data/churn/ground-truth/" in bias
    attribution = json.dumps(_policy(resources, "fa"))
    assert f"arn:aws:s3:::{bucket}/baselines/growth/churn-scoring/feature-attribution/" in attribution
    assert "ground-truth" not in attribution


def test_violation_alarms_follow_m_of_n_and_heartbeats_watch_each_type() -> None:
    alarms = {r["name"].removeprefix(f"{MONITOR}-"): r["inputs"] for r in of_type(clarify_plan(), "MetricAlarm")}
    bias = alarms["bias-violations"]
    # alerting defaults: 2 of 3 periods; daily@5 → 86400 s periods
    assert {k: bias[k] for k in ("namespace", "metricName", "dimensions", "threshold", "comparisonOperator",
                                 "period", "evaluationPeriods", "datapointsToAlarm")} == {
        "namespace": "ModelMonitor/ModelBias", "metricName": "violations_count",
        "dimensions": {"Endpoint": "churn-scoring-v2", "MonitoringSchedule": f"{BASE}-mb-schedule"},
        "threshold": 0, "comparisonOperator": "GreaterThanThreshold", "period": 86400, "evaluationPeriods": 3,
        "datapointsToAlarm": 2}
    attribution = alarms["attribution-violations"]
    assert (attribution["namespace"], attribution["dimensions"]["MonitoringSchedule"]) == (
        "ModelMonitor/ModelExplainability", f"{BASE}-fa-schedule")
    for heartbeat, namespace in (("no-bias-metrics", "ModelMonitor/ModelBias"),
                                 ("no-attribution-metrics", "ModelMonitor/ModelExplainability")):
        assert (alarms[heartbeat]["namespace"], alarms[heartbeat]["metricName"],
                alarms[heartbeat]["treatMissingData"]) == (namespace, "monitoring_run_completed", "breaching")


def test_the_alert_lambda_reads_each_violations_alarm_as_its_own_kind() -> None:
    """The components write the alarm description, the alert Lambda parses it (its own parser): a bias or
    attribution alarm must open an incident of its type, and its OK must reach the Lambda to close it."""
    from modelmonitor.alerts.logic import parse_description
    from modelmonitor.alerts.signals import INCIDENT_KINDS, monitoring_type

    alarms = {r["name"].removeprefix(f"{MONITOR}-"): r["inputs"] for r in of_type(clarify_plan(), "MetricAlarm")}
    for key, kind, type_ in (("bias-violations", "bias_drift", "model_bias"),
                             ("attribution-violations", "attribution_drift", "model_explainability")):
        _, fields, _ = parse_description(alarms[key]["alarmDescription"])
        assert fields["kind"] == kind and kind in INCIDENT_KINDS
        assert monitoring_type(fields["kind"], alarms[key]["dimensions"]["MonitoringSchedule"]) == type_
        assert alarms[key]["okActions"], key                              # OK closes the incident


def test_each_type_gets_its_schedule() -> None:
    schedules = {r["inputs"]["name"]: r["inputs"] for r in of_type(clarify_plan(), "scheduler/schedule:Schedule")}
    # daily@5 and the default daily (00:00), each fired 10 minutes past (docs/engines.md, "Metric timestamps")
    assert schedules[f"{BASE}-mb-schedule"]["scheduleExpression"] == "cron(10 5 ? * * *)"
    assert schedules[f"{BASE}-fa-schedule"]["scheduleExpression"] == "cron(10 0 ? * * *)"


def test_nothing_of_bias_or_attribution_when_not_enabled() -> None:
    plain = _plan("plain", _document())
    names = {r["name"] for r in plain}
    assert not [n for n in names if "-mb-" in n or "-fa-" in n or "analysis-config" in n]


def test_batch_transform_source_reads_the_jobs_capture() -> None:
    resources = _plan("batch", _document(batchTransform={
        "destinationS3Uri": "s3://acme-growth-captures/batch/", "contentType": "text/csv",
        "accept": "application/jsonlines"}))
    assert not of_type(resources, "sagemaker/endpoint:Endpoint")
    env = _variables(resources, "dq")
    assert env["dataset_source"] == "s3://acme-growth-captures/batch"
    capture = BatchCapture.from_environment(env)
    assert capture is not None and (capture.content_type, capture.accept) == ("text/csv", "application/jsonlines")
    assert env["sagemaker_endpoint_name"] == "batch-transform"
    policy = json.dumps(_policy(resources, "dq"))
    assert "arn:aws:s3:::acme-growth-captures/batch/" in policy


def test_processing_job_runs_bias_and_attribution_with_the_same_settings() -> None:
    """The state machine's job environment carries what the Lambda's does (the analyzer's run is the same)."""
    resources = _plan("processingJob", _document("processingJob", modelBias=BIAS, featureAttribution=ATTRIBUTION))
    lambda_env = _variables(clarify_plan(), "mb")
    machine = _named(resources, "sfn/stateMachine:StateMachine", "mb-run")["inputs"]["definition"]
    definition = json.loads(machine)
    text = json.dumps(definition)
    for key in ("analysis_config", "baseline_constraints", "probability_attribute", "ground_truth_source"):
        assert json.dumps(lambda_env[key]) in text, key
    assert '"monitoring_type": "ModelBias"' in text
    (invoke,) = _statements_with(_policy(resources, "fa", role="job"), "sagemaker:InvokeEndpoint")
    assert invoke["Resource"] == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn-scoring-v2"


def test_sharded_processing_of_a_batch_source_is_refused() -> None:
    document = _document("processingJob", batchTransform={"destinationS3Uri": "s3://acme-growth-captures/batch/"},
                         dataQuality={"instanceCount": 2})
    with pytest.raises(MonitorConfigError, match=r"instanceCount 1 for a spec\.batchTransform source"):
        render_plan([document])


@pytest.mark.parametrize("engine", ["lambda", "processingJob", "modelMonitor"])
def test_a_bias_baseline_dataset_is_computed_not_ignored(engine: str) -> None:
    """Rendered under every engine: one bias baseline job over the dataset (its details:
    test_bias_baseline_render.py)."""
    document = _document(engine, modelBias={**BIAS, "baseline": {"dataset": {"s3Uri": "s3://acme/train.csv"}}})
    jobs = [r["inputs"] for r in of_type(render_plan([document]), "pulumi-python:dynamic:Resource")
            if r["inputs"].get("kind") == "model-bias"]
    assert [job["dataset_s3_uri"] for job in jobs] == ["s3://acme/train.csv"]


@pytest.mark.parametrize(("kind", "monitoring_type", "results"), [("mb", "ModelBias", "model-bias"),
                                                                   ("fa", "ModelExplainability",
                                                                    "feature-attribution")])
def test_the_pure_environment_builder_agrees_with_the_rendered_function(kind: str, monitoring_type: str,
                                                                       results: str) -> None:
    """`engine_environment.analyzer_function_environment` (what the engine tests run the analyzer with) and the
    component's rendered Lambda environment are the same run configuration."""
    from modelmonitor.components.engine_environment import EngineLocations, analyzer_function_environment

    resources = clarify_plan()
    rendered = _variables(resources, kind)
    bucket = _config_object(resources, results)["inputs"]["bucket"]
    document = _document(modelBias=BIAS, featureAttribution=ATTRIBUTION)
    locations = EngineLocations(
        capture_destination="s3://acme-growth-captures/churn-scoring/",
        results=f"s3://{bucket}/results/growth/churn-scoring/{results}",
        baseline_constraints=rendered.get("baseline_constraints"), analysis_config=rendered["analysis_config"])
    pure = analyzer_function_environment(document, monitoring_type, locations)  # type: ignore[arg-type]
    # publish_cloudwatch_metrics: set by the component only, for data and model quality alike (pre-existing)
    assert pure == {k: v for k, v in rendered.items() if k != "publish_cloudwatch_metrics"}
