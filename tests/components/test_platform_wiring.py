"""Platform: bucket hardening, encrypted topics, alert routing and the alert Lambda package, as rendered."""

from __future__ import annotations

import json

from modelmonitor.components.program import ProgramSettings, monitor_program
from modelmonitor.components.render import render_program
from tests.components.conftest import example, of_type, on_engine, one, plan_of


def by_suffix(plan, suffix: str, name_end: str):
    return next(r for r in of_type(plan, suffix) if r["name"].endswith(name_end))


def test_bucket_is_hardened() -> None:
    plan = plan_of("full.yaml")
    bucket = one(plan, "s3/bucket:Bucket")
    key_arn = one(plan, "kms/key:Key")["outputs"]["arn"]
    assert one(plan, "BucketPublicAccessBlock")["inputs"] | {"bucket": None} == {
        "bucket": None, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
        "restrictPublicBuckets": True}
    (rule,) = one(plan, "BucketServerSideEncryptionConfiguration")["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
    assert one(plan, "BucketVersioning")["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    policy = json.loads(one(plan, "s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])
    (deny,) = policy["Statement"]
    arn = bucket["outputs"]["arn"]
    assert deny == {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    rules = {r["id"]: r for r in one(plan, "BucketLifecycleConfiguration")["inputs"]["rules"]}
    assert rules["expire-captures"]["filter"] == {"prefix": "captures/"}
    assert rules["expire-captures"]["expiration"] == {"days": 90}
    assert one(plan, "kms/key:Key")["inputs"]["enableKeyRotation"] is True


def test_alarm_and_alert_topics_are_encrypted_and_wired() -> None:
    plan = plan_of("full.yaml")
    key_arn = one(plan, "kms/key:Key")["outputs"]["arn"]
    alarm_topic = by_suffix(plan, "sns/topic:Topic", "-alarms")
    alert_topic = by_suffix(plan, "sns/topic:Topic", "-alerts")
    assert alarm_topic["inputs"]["kmsMasterKeyId"] == alert_topic["inputs"]["kmsMasterKeyId"] == key_arn
    function = one(plan, "lambda/function:Function")
    subscriptions = of_type(plan, "sns/topicSubscription:TopicSubscription")
    to_lambda = [s["inputs"] for s in subscriptions if s["inputs"]["protocol"] == "lambda"]
    assert to_lambda == [{"topic": alarm_topic["outputs"]["arn"], "protocol": "lambda",
                          "endpoint": function["outputs"]["arn"]}]
    emails = sorted(s["inputs"]["endpoint"] for s in subscriptions if s["inputs"]["protocol"] == "email")
    assert emails == ["credit-ml-oncall@example.com", "ml-platform@example.com"]
    assert all(s["inputs"]["topic"] == alert_topic["outputs"]["arn"] for s in subscriptions
               if s["inputs"]["protocol"] == "email")
    key_policy = json.loads(one(plan, "kms/key:Key")["inputs"]["policy"])
    services = next(s for s in key_policy["Statement"] if s["Sid"] == "AlarmsPublishToEncryptedTopic")
    assert services["Principal"]["Service"] == "cloudwatch.amazonaws.com"


def test_execution_events_reach_the_alert_lambda() -> None:
    plan = plan_of("full.yaml")
    function = one(plan, "lambda/function:Function")
    patterns = {json.dumps(json.loads(r["inputs"]["eventPattern"]), sort_keys=True): r
                for r in of_type(plan, "cloudwatch/eventRule:EventRule")}
    sagemaker = {"detail": {"ProcessingJobStatus": ["Failed", "Stopped", "Completed"],
                            "ProcessingJobName": [{"prefix": "model-monitoring-"}]},
                 "detail-type": ["SageMaker Processing Job State Change"], "source": ["aws.sagemaker"]}
    ours = {"detail-type": ["ModelMonitor Run State Change"], "source": ["modelmonitor"]}
    assert set(patterns) == {json.dumps(sagemaker, sort_keys=True), json.dumps(ours, sort_keys=True)}
    targets = of_type(plan, "cloudwatch/eventTarget:EventTarget")
    assert sorted(t["inputs"]["rule"] for t in targets) == sorted(r["outputs"]["name"] for r in patterns.values())
    assert {t["inputs"]["arn"] for t in targets} == {function["outputs"]["arn"]}
    permissions = of_type(plan, "lambda/permission:Permission")
    assert sorted((p["inputs"]["principal"], p["inputs"]["sourceArn"]) for p in permissions) == sorted(
        [("events.amazonaws.com", r["outputs"]["arn"]) for r in patterns.values()]
        + [("sns.amazonaws.com", by_suffix(plan, "sns/topic:Topic", "-alarms")["outputs"]["arn"])])


def test_alert_lambda_package_and_logs() -> None:
    plan = plan_of("full.yaml")
    function = one(plan, "lambda/function:Function")["inputs"]
    assert function["handler"] == "modelmonitor.alerts.handler.handler"
    assert function["runtime"] in ("python3.11", "python3.12")
    files = function["code"]["archive"]
    assert files["modelmonitor/__init__.py"] == {"text": ""}
    assert "modelmonitor/alerts/__init__.py" in files
    assert all(name.startswith(("modelmonitor/alerts/", "modelmonitor/__init__.py")) for name in files)
    assert not any("__pycache__" in name for name in files)
    log_group = one(plan, "cloudwatch/logGroup:LogGroup")["inputs"]
    assert log_group["name"] == f"/aws/lambda/{function['name']}"
    assert log_group["retentionInDays"] == 30
    assert function["loggingConfig"]["logGroup"] == log_group["name"]


def test_single_monitor_program_builds_platform_and_monitor() -> None:
    plan = render_program(lambda: monitor_program(example("minimal.yaml"), ProgramSettings()), "us-east-1")
    components = {r["type"]: r["name"] for r in plan if r["type"].startswith("modelmonitor:")}
    assert components["modelmonitor:index:ModelMonitor"] == "default-churn-prod"
    assert components["modelmonitor:index:Platform"].startswith("mm-churn-prod-")
    assert len(by_suffix(plan, "lambda/function:Function", "-alerts")["inputs"]["name"]) <= 64


def test_existing_bucket_and_topic_are_used_not_created() -> None:
    settings = ProgramSettings(existing_bucket_name="shared-ml-artifacts",
                               existing_alert_topic_arn="arn:aws:sns:us-east-1:123456789012:ml-alerts")
    plan = render_program(lambda: monitor_program(example("minimal.yaml"), settings), "us-east-1")
    assert not of_type(plan, "s3/bucket:Bucket")
    assert [t["name"] for t in of_type(plan, "sns/topic:Topic")] == [
        next(r["name"] for r in plan if r["type"] == "modelmonitor:index:Platform") + "-alarms"]
    analyzer = by_suffix(plan, "lambda/function:Function", "-dq-analyzer")["inputs"]
    assert analyzer["environment"]["variables"]["output_path"] == \
        "s3://shared-ml-artifacts/results/default/churn-prod/data-quality"
    assert by_suffix(plan, "lambda/function:Function", "-alerts")["inputs"]["environment"]["variables"][
        "ALERT_TOPIC_ARN"] == "arn:aws:sns:us-east-1:123456789012:ml-alerts"


def test_analyzer_image_built_here_is_pushed_and_digest_pinned() -> None:
    settings = ProgramSettings(analyzer_build_context="/src/analyzer")
    plan = render_program(lambda: monitor_program(example("minimal.yaml"), settings), "us-east-1")
    image = one(plan, "docker-build:index:Image")
    repository = one(plan, "ecr/repository:Repository")["outputs"]["repositoryUrl"]
    assert image["inputs"]["push"] is True
    assert image["inputs"]["tags"] == [f"{repository}:0.1.0"]
    assert image["inputs"]["context"] == {"location": "/src/analyzer"}
    assert image["inputs"]["registries"][0]["address"] == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    # the default engine's function is a zip package: the pushed image serves modelMonitor with our analyzer
    assert by_suffix(plan, "lambda/function:Function", "-dq-analyzer")["inputs"]["packageType"] == "Zip"
    custom = on_engine(example("lambda-engine.yaml"), "modelMonitor")
    assert custom.spec.data_quality.analyzer == "custom"
    with_dataset = render_program(lambda: monitor_program(custom, settings), "us-east-1")
    baseline = one(with_dataset, "pulumi-python:dynamic:Resource")["inputs"]
    digest = one(with_dataset, "docker-build:index:Image")["outputs"]["digest"]
    repository_url = one(with_dataset, "ecr/repository:Repository")["outputs"]["repositoryUrl"]
    assert baseline["image_uri"] == f"{repository_url}@{digest}"
    assert one(plan, "ecr/repository:Repository")["inputs"]["imageTagMutability"] == "IMMUTABLE"


def test_monitors_in_three_regions_get_three_platforms_and_regional_resources() -> None:
    from modelmonitor.components.render import render_plan
    from tests.components.conftest import EXAMPLES

    documents = [example(p.name) for p in EXAMPLES]
    plan = render_plan(documents)
    platforms = sorted(r["name"] for r in plan if r["type"] == "modelmonitor:index:Platform")
    assert platforms == ["modelmonitor-eu-west-1", "modelmonitor-us-east-1", "modelmonitor-us-west-2"]
    for document in documents:
        service, suffix = (("sagemaker", "MonitoringSchedule") if document.spec.engine == "modelMonitor"
                           else ("scheduler", "scheduler/schedule:Schedule"))
        schedules = [r for r in of_type(plan, suffix)
                     if r["parent"] == f"{document.metadata.namespace}-{document.metadata.name}"]
        assert schedules
        assert all(f":{service}:{document.spec.region}:" in r["outputs"]["arn"] for r in schedules)


def test_platform_prefix_setting_names_the_platforms() -> None:
    from modelmonitor.components.program import monitors_program

    plan = render_program(lambda: monitors_program([example("minimal.yaml")], ProgramSettings(
        platform_name="team-a")), "us-east-1")
    assert by_suffix(plan, "lambda/function:Function", "-alerts")["inputs"]["name"] == "team-a-us-east-1-alerts"
