"""Every example rendered under Pulumi mocks: the inputs the providers would receive are the correct ones.

Expected values come from the contract (docs/internal-contracts.md, sagemaker-contract.md) and the example
files, written out by hand here — never from the code under test.
"""

from __future__ import annotations

import json
import threading

import pytest

from modelmonitor.components.render import render_plan
from tests.components.conftest import EXAMPLES, example, of_type, one, plan_of

DQ_JOB = "sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
SCHEDULE = "sagemaker/monitoringSchedule:MonitoringSchedule"
ALARM = "cloudwatch/metricAlarm:MetricAlarm"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_child_has_a_component_parent(path) -> None:
    plan = plan_of(path.name)
    components = {r["name"] for r in plan if r["type"].startswith("modelmonitor:index:")}
    assert len(components) == 2
    for r in plan:
        if r["type"].startswith(("pulumi:providers:", "modelmonitor:index:")):
            assert r["parent"] is None, r["name"]
        else:
            assert r["parent"] in components, (r["type"], r["name"], r["parent"])


def test_full_example_schedules_and_images() -> None:
    plan = plan_of("full.yaml")
    schedules = {r["inputs"]["monitoringScheduleConfig"]["monitoringType"]: r for r in of_type(plan, SCHEDULE)}
    assert schedules["DataQuality"]["inputs"]["monitoringScheduleConfig"]["scheduleConfig"] == {
        "scheduleExpression": "cron(0 * ? * * *)"}
    assert schedules["ModelQuality"]["inputs"]["monitoringScheduleConfig"]["scheduleConfig"] == {
        "scheduleExpression": "cron(0 6 ? * * *)"}
    for schedule in schedules.values():
        assert schedule["inputs"]["tags"] == {
            "cost-center": "lending-ml", "modelmonitor:monitor": "lending/credit-default",
            "modelmonitor:notify-on-execution-failure": "true",
            # the Endpoint dimension of the alarms, for the alert Lambda's run metrics (engine_model_monitor.py)
            "modelmonitor:endpoint": "credit-default-v3"}
    mq = one(plan, "ModelQualityJobDefinition")["inputs"]
    # model quality always runs AWS's built-in analyzer: us-west-2's account from the SDK's table
    assert mq["modelQualityAppSpecification"] == {
        "imageUri": "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer",
        "problemType": "BinaryClassification"}
    endpoint_input = mq["modelQualityJobInput"]["endpointInput"]
    # labelDelay 3d, daily schedule: the window is [-4 days, -3 days]
    assert (endpoint_input["startTimeOffset"], endpoint_input["endTimeOffset"]) == ("-P4D", "-P3D")
    assert mq["modelQualityJobInput"]["groundTruthS3Input"] == {
        "s3Uri": "s3://acme-lending-data/credit-default/ground-truth/"}
    dq = one(plan, DQ_JOB)["inputs"]
    assert dq["dataQualityAppSpecification"]["environment"] == {
        "publish_cloudwatch_metrics": "Enabled", "drift_methods": "psi,ks,js,wasserstein,chi2",
        "comparison_method": "Robust", "drift_threshold": "0.1", "categorical_drift_threshold": "0.15",
        "kll_k": "2048", "kll_c": "0.64"}
    repository = one(plan, "ecr/repository:Repository")["outputs"]["repositoryUrl"]
    assert dq["dataQualityAppSpecification"]["imageUri"] == f"{repository}:0.1.0"
    assert dq["dataQualityJobInput"]["endpointInput"]["endpointName"] == "credit-default-v3"
    assert dq["dataQualityJobInput"]["endpointInput"]["localPath"] == "/opt/ml/processing/input/endpoint"


def test_full_example_layout_follows_internal_contracts() -> None:
    plan = plan_of("full.yaml")
    bucket = one(plan, "s3/bucket:Bucket")["outputs"]["bucket"]
    dq = one(plan, DQ_JOB)["inputs"]
    base = f"s3://{bucket}/baselines/lending/credit-default/data-quality"
    assert dq["dataQualityBaselineConfig"] == {"constraintsResource": {"s3Uri": f"{base}/constraints.json"},
                                               "statisticsResource": {"s3Uri": f"{base}/statistics.json"}}
    assert dq["dataQualityJobOutputConfig"]["monitoringOutputs"]["s3Output"]["s3Uri"] == \
        f"s3://{bucket}/results/lending/credit-default/data-quality"
    config = one(plan, "endpointConfiguration:EndpointConfiguration")["inputs"]["dataCaptureConfig"]
    assert config == {
        "enableCapture": True, "initialSamplingPercentage": 50, "destinationS3Uri": f"s3://{bucket}/captures",
        "kmsKeyId": "alias/lending-ml", "captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}],
        "captureContentTypeHeader": {"csvContentTypes": ["text/csv"], "jsonContentTypes": ["application/json"]}}


def test_full_example_alarms_watch_real_metrics() -> None:
    plan = plan_of("full.yaml")
    alarms = {r["inputs"]["metricName"]: r["inputs"] for r in of_type(plan, ALARM)}
    features = ["income", "loan_amount", "debt_to_income", "credit_history_months", "employment_type", "region"]
    topic = next(r["outputs"]["arn"] for r in of_type(plan, "sns/topic:Topic") if r["name"].endswith("-alarms"))
    for feature in features:
        alarm = alarms[f"feature_baseline_drift_{feature}"]
        assert alarm["namespace"] == "aws/sagemaker/Endpoints/data-metrics"
        assert alarm["dimensions"] == {"Endpoint": "credit-default-v3",
                                       "MonitoringSchedule": "credit-default-d990b3-dq-schedule"}
        assert (alarm["threshold"], alarm["comparisonOperator"]) == (0.1, "GreaterThanThreshold")
        assert (alarm["datapointsToAlarm"], alarm["evaluationPeriods"], alarm["period"]) == (2, 3, 3600)
        assert alarm["alarmActions"] == [topic, "arn:aws:sns:us-west-2:123456789012:lending-pager"]
        assert alarm["okActions"] == [topic]  # OK closes the incident in the alert Lambda (docs/alerts.md)
        sentence, _, machine = alarm["alarmDescription"].partition("\n\nmodelmonitor:")
        assert feature in sentence
        assert json.loads(machine)["kind"] == "data_drift"
    auc = alarms["auc"]
    assert (auc["namespace"], auc["comparisonOperator"], auc["threshold"]) == (
        "aws/sagemaker/Endpoints/model-metrics", "LessThanThreshold", 0.75)
    assert auc["dimensions"]["MonitoringSchedule"] == "credit-default-d990b3-mq-schedule"
    assert alarms["false_positive_rate"]["comparisonOperator"] == "GreaterThanThreshold"
    heartbeat = alarms["monitoring_run_completed"]
    # missingRunsPeriods 2, plus the period in progress (alarms.heartbeat_periods)
    assert (heartbeat["treatMissingData"], heartbeat["statistic"], heartbeat["evaluationPeriods"]) == (
        "breaching", "SampleCount", 3)
    assert not any("ProcessingJob" in a["namespace"] for a in alarms.values())


def test_existing_endpoint_creates_no_endpoint_resources() -> None:
    plan = plan_of("existing-endpoint.yaml")
    assert not of_type(plan, "sagemaker/endpoint:Endpoint")
    assert not of_type(plan, "sagemaker/model:Model")
    dq = one(plan, DQ_JOB)["inputs"]
    assert dq["dataQualityJobInput"]["endpointInput"]["endpointName"] == "fraud-scoring-v7"


@pytest.mark.parametrize(("region", "image"), [
    ("us-east-1", "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"),
    ("eu-west-1", "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"),
    ("cn-north-1", "453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer"),
])
def test_builtin_analyzer_image_per_region(region: str, image: str) -> None:
    document = example("existing-endpoint.yaml")
    builtin = document.model_copy(update={"spec": document.spec.model_copy(update={
        "data_quality": document.spec.data_quality.model_copy(update={"analyzer": "builtin"})})})
    plan = render_plan([builtin], region=region)
    assert one(plan, DQ_JOB)["inputs"]["dataQualityAppSpecification"]["imageUri"] == image


def test_render_plan_is_repeatable_and_works_from_a_worker_thread() -> None:
    document = example("minimal.yaml")
    first = render_plan([document])
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(len(render_plan([document]))))
    worker.start()
    worker.join(timeout=60)
    assert results == [len(first)]
    assert [r["inputs"] for r in render_plan([document])] == [r["inputs"] for r in first]


async def test_render_plan_runs_from_inside_an_event_loop() -> None:
    import asyncio

    plan = await asyncio.to_thread(render_plan, [example("existing-endpoint.yaml")])
    assert one(plan, SCHEDULE)["inputs"]["name"].startswith("fraud-scoring-")


def test_render_plan_after_an_async_test_still_works() -> None:
    assert one(plan_of("existing-endpoint.yaml", "eu-west-1"), SCHEDULE)


def test_render_restores_the_process_wide_settings_it_tunes() -> None:
    import gc

    import pulumi.runtime.resource

    hook, threshold = pulumi.runtime.resource._get_stack_trace, gc.get_threshold()
    render_plan([example("minimal.yaml")])
    assert pulumi.runtime.resource._get_stack_trace is hook
    assert gc.get_threshold() == threshold
