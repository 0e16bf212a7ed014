"""Contract tests: the rendered inputs, turned into the boto3 requests the providers make, are valid for
botocore's service models (types, required members, enums, patterns, limits) and are accepted by moto where moto
implements the call. moto lacks every monitoring-schedule API: those requests are validated and then sent through
botocore's Stubber (which validates again, against the same model)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from modelmonitor.components.baseline_job import job_request, processing_job_request
from modelmonitor.components.render import PlannedResource
from tests.components.boto_contract import request, tag_list, validate
from tests.components.conftest import EXAMPLES, example, of_type, one, plan_of

ACCOUNT = "123456789012"


def sagemaker_requests(plan: list[PlannedResource]) -> list[tuple[str, dict[str, Any]]]:
    """(operation, params) in dependency order."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def add(suffix: str, operation: str, renames: dict[str, str], tags_key: str | None = "tags",
            drop: tuple[str, ...] = ()) -> None:
        for resource in of_type(plan, suffix):
            wire = {k: v for k, v in resource["inputs"].items() if k not in drop and k != tags_key}
            for name_key in renames:
                # Auto-named resources: the provider sends the name Pulumi generated (the plan's output).
                wire.setdefault(name_key, resource["outputs"][name_key])
            extra = {"Tags": tag_list(resource["inputs"].get(tags_key))} if tags_key else None
            calls.append((operation, request("sagemaker", operation, wire, renames, extra)))

    add("sagemaker/model:Model", "CreateModel", {"name": "ModelName"})
    add("endpointConfiguration:EndpointConfiguration", "CreateEndpointConfig", {"name": "EndpointConfigName"})
    add("sagemaker/endpoint:Endpoint", "CreateEndpoint", {"name": "EndpointName"})
    for baseline in of_type(plan, "pulumi-python:dynamic:Resource"):
        params = job_request(baseline["inputs"])
        validate("sagemaker", "CreateProcessingJob", params)
        calls.append(("CreateProcessingJob", params))
    add("DataQualityJobDefinition", "CreateDataQualityJobDefinition", {"name": "JobDefinitionName"})
    # aws-native's endpointName is a CloudFormation-only property; its tags are already a Key/Value list
    add("ModelQualityJobDefinition", "CreateModelQualityJobDefinition", {"jobDefinitionName": "JobDefinitionName"},
        tags_key=None, drop=("endpointName",))
    add("MonitoringSchedule", "CreateMonitoringSchedule", {"name": "MonitoringScheduleName"})
    return calls


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_sagemaker_requests_are_valid_and_moto_accepts_them(path: Path) -> None:
    plan = plan_of(path.name)
    calls = sagemaker_requests(plan)
    operations = [op for op, _ in calls]
    if example(path.name).spec.engine == "modelMonitor":
        assert operations.count("CreateMonitoringSchedule") == len(of_type(plan, "MonitoringSchedule")) >= 1
    else:  # our engines: at most the baseline job (our image) goes to SageMaker
        assert set(operations) <= {"CreateProcessingJob"}
    with mock_aws():
        region = _region(plan)
        client = boto3.client("sagemaker", region_name=region)
        schedules = []
        for operation, params in calls:
            if operation == "CreateMonitoringSchedule":
                schedules.append(params)
                continue
            getattr(client, _snake(operation))(**params)
        for definition in client.list_data_quality_job_definitions()["JobDefinitionSummaries"]:
            described = client.describe_data_quality_job_definition(
                JobDefinitionName=definition["MonitoringJobDefinitionName"])
            assert described["DataQualityAppSpecification"]["Environment"]["publish_cloudwatch_metrics"] == "Enabled"
        stubbed = boto3.client("sagemaker", region_name=region)
        with Stubber(stubbed) as stubber:
            for params in schedules:
                arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:monitoring-schedule/{params['MonitoringScheduleName']}"
                stubber.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": arn}, params)
                assert stubbed.create_monitoring_schedule(**params)["MonitoringScheduleArn"] == arn
            stubber.assert_no_pending_responses()


def test_full_example_baseline_job_has_the_analyzer_environment() -> None:
    (baseline,) = of_type(plan_of("full.yaml"), "pulumi-python:dynamic:Resource")
    params = processing_job_request(baseline["inputs"])
    assert params["Environment"] == {
        "dataset_format": '{"csv":{"header":true,"output_columns_position":"START"}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled"}
    assert params["ProcessingInputs"][0]["S3Input"]["LocalPath"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert params["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath"] == "/opt/ml/processing/output"


def _region(plan: list[PlannedResource]) -> str:
    return str(one(plan, "pulumi:providers:aws")["inputs"]["region"])


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def alarm_requests(plan: list[PlannedResource]) -> list[dict[str, Any]]:
    out = []
    for alarm in of_type(plan, "metricAlarm:MetricAlarm"):
        wire = dict(alarm["inputs"])
        wire["dimensions"] = [{"name": k, "value": v} for k, v in wire["dimensions"].items()]
        tags = tag_list(wire.pop("tags", None))
        out.append(request("cloudwatch", "PutMetricAlarm", wire, {"name": "AlarmName"}, {"Tags": tags}))
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_alarms_and_dashboards_are_valid_and_moto_accepts_them(path: Path) -> None:
    plan = plan_of(path.name)
    alarms = alarm_requests(plan)
    dashboards = [request("cloudwatch", "PutDashboard", d["inputs"]) for d in of_type(plan, "Dashboard")]
    with mock_aws():
        client = boto3.client("cloudwatch", region_name=_region(plan))
        for params in alarms:
            client.put_metric_alarm(**params)
        for params in dashboards:
            json.loads(params["DashboardBody"])
            client.put_dashboard(**params)
        stored = client.describe_alarms()["MetricAlarms"]
        assert len(stored) == len(alarms) >= 1
        ours = example(path.name).spec.engine != "modelMonitor"
        for alarm in stored:
            if alarm["Namespace"] == "AWS/SQS":  # our engines' runs dead-letter queue (SQS's own metric)
                assert ours and [d["Name"] for d in alarm["Dimensions"]] == ["QueueName"]
                continue
            # the namespace follows the engine (internal-contracts §4); the run-level drift alarm watches our namespace
            # under every engine (the alert Lambda publishes it for Model Monitor executions)
            run_level = alarm["MetricName"] == "features_drifted"
            assert alarm["Namespace"] in ({"ModelMonitor/DataQuality", "ModelMonitor/ModelQuality",
                                           "ModelMonitor/ModelBias", "ModelMonitor/ModelExplainability"}
                                          if ours or run_level else {"aws/sagemaker/Endpoints/data-metrics",
                                                                     "aws/sagemaker/Endpoints/model-metrics"})
            assert {d["Name"] for d in alarm["Dimensions"]} == {"Endpoint", "MonitoringSchedule"}
            assert len(alarm["AlarmDescription"]) <= 1024
        assert len(client.list_dashboards()["DashboardEntries"]) == len(dashboards)


def test_platform_requests_are_valid_and_moto_accepts_them() -> None:
    plan = plan_of("full.yaml")
    region = _region(plan)
    bucket = one(plan, "s3/bucket:Bucket")["outputs"]["bucket"]
    with mock_aws():
        iam = boto3.client("iam")
        roles = {}
        for role in of_type(plan, "iam/role:Role"):
            params = request("iam", "CreateRole", {"roleName": role["outputs"]["name"],
                                                   "assumeRolePolicyDocument": role["inputs"]["assumeRolePolicy"]})
            roles[role["outputs"]["name"]] = iam.create_role(**params)["Role"]["Arn"]
        for policy in of_type(plan, "iam/rolePolicy:RolePolicy"):
            params = request("iam", "PutRolePolicy", {"roleName": policy["inputs"]["role"], "policyName": "inline",
                                                      "policyDocument": policy["inputs"]["policy"]})
            iam.put_role_policy(**params)
        kms = boto3.client("kms", region_name=region)
        key = one(plan, "kms/key:Key")["inputs"]
        key_id = kms.create_key(**request("kms", "CreateKey", {
            "description": key["description"], "policy": key["policy"]}))["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=key_id)
        kms.create_alias(**request("kms", "CreateAlias", {
            "aliasName": one(plan, "kms/alias:Alias")["inputs"]["name"], "targetKeyId": key_id}))
        repository = one(plan, "ecr/repository:Repository")
        ecr = boto3.client("ecr", region_name=region)
        ecr.create_repository(**request("ecr", "CreateRepository", {
            "repositoryName": repository["outputs"]["name"],
            "imageTagMutability": repository["inputs"]["imageTagMutability"],
            "imageScanningConfiguration": {"scanOnPush": repository["inputs"]["imageScanningConfiguration"][
                "scanOnPush"]},
            "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": repository["inputs"][
                "encryptionConfigurations"][0]["kmsKey"]}}))
        repository_policy = one(plan, "ecr/repositoryPolicy:RepositoryPolicy")["inputs"]
        ecr.set_repository_policy(**request("ecr", "SetRepositoryPolicy", {
            "repositoryName": repository["outputs"]["name"], "policyText": repository_policy["policy"]}))
        logs = boto3.client("logs", region_name=region)
        group = one(plan, "cloudwatch/logGroup:LogGroup")["inputs"]
        logs.create_log_group(**request("logs", "CreateLogGroup", {"logGroupName": group["name"]}))
        logs.put_retention_policy(**request("logs", "PutRetentionPolicy", {
            "logGroupName": group["name"], "retentionInDays": group["retentionInDays"]}))

        s3 = boto3.client("s3", region_name=region)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        pab = one(plan, "BucketPublicAccessBlock")["inputs"]
        s3.put_public_access_block(**request("s3", "PutPublicAccessBlock", {
            "bucket": bucket, "publicAccessBlockConfiguration": {
                k: pab[k] for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy",
                                    "restrictPublicBuckets")}}, {}))
        (rule,) = one(plan, "BucketServerSideEncryptionConfiguration")["inputs"]["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        s3.put_bucket_encryption(**request("s3", "PutBucketEncryption", {
            "bucket": bucket, "serverSideEncryptionConfiguration": {"rules": [{
                "applyServerSideEncryptionByDefault": {"sSEAlgorithm": default["sseAlgorithm"],
                                                       "kMSMasterKeyID": default["kmsMasterKeyId"]},
                "bucketKeyEnabled": rule["bucketKeyEnabled"]}]}}))
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        rules = one(plan, "BucketLifecycleConfiguration")["inputs"]["rules"]
        lifecycle = request("s3", "PutBucketLifecycleConfiguration", {
            "bucket": bucket, "lifecycleConfiguration": {"rules": [
                {("iD" if k == "id" else k): v for k, v in r.items()} for r in rules]}})
        s3.put_bucket_lifecycle_configuration(**lifecycle)
        s3.put_bucket_policy(**request("s3", "PutBucketPolicy", {
            "bucket": bucket, "policy": one(plan, "s3/bucketPolicy:BucketPolicy")["inputs"]["policy"]}))
        assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"

        sns = boto3.client("sns", region_name=region)
        arns = {}
        for topic in of_type(plan, "sns/topic:Topic"):
            params = request("sns", "CreateTopic", {"name": topic["outputs"]["name"], "attributes": {
                "KmsMasterKeyId": topic["inputs"]["kmsMasterKeyId"]}})
            arns[topic["outputs"]["arn"]] = sns.create_topic(**params)["TopicArn"]
        for policy in of_type(plan, "sns/topicPolicy:TopicPolicy"):
            sns.set_topic_attributes(**request("sns", "SetTopicAttributes", {
                "topicArn": policy["inputs"]["arn"], "attributeName": "Policy",
                "attributeValue": policy["inputs"]["policy"]}))

        (function,) = [f["inputs"] for f in of_type(plan, "lambda/function:Function") if f["name"].endswith("-alerts")]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            for name, asset in function["code"]["archive"].items():
                zf.writestr(name, asset["text"] if "text" in asset else Path(asset["file"]).read_text())
        lam = boto3.client("lambda", region_name=region)
        role_name = function["role"].rsplit("/", 1)[-1]
        params = request("lambda", "CreateFunction", {
            k: v for k, v in function.items() if k not in ("code", "tags")}, {"name": "FunctionName"}, {
            "Code": {"ZipFile": archive.getvalue()}, "Role": roles[role_name]})
        created = lam.create_function(**params)
        assert created["Handler"] == "modelmonitor.alerts.handler.handler"
        for permission in of_type(plan, "lambda/permission:Permission"):
            lam.add_permission(**request("lambda", "AddPermission", {
                **permission["inputs"], "statementId": permission["name"]}, {"function": "FunctionName"}))
        for subscription in of_type(plan, "sns/topicSubscription:TopicSubscription"):
            params = request("sns", "Subscribe", {"topicArn": arns[subscription["inputs"]["topic"]],
                                                  "protocol": subscription["inputs"]["protocol"],
                                                  "endpoint": subscription["inputs"]["endpoint"]})
            if params["Protocol"] == "lambda":
                params["Endpoint"] = created["FunctionArn"]
            sns.subscribe(**params)

        events = boto3.client("events", region_name=region)
        for rule in of_type(plan, "cloudwatch/eventRule:EventRule"):
            events.put_rule(**request("events", "PutRule", {"name": rule["outputs"]["name"], **{
                k: rule["inputs"][k] for k in ("eventPattern", "description")}}))
        for target in of_type(plan, "cloudwatch/eventTarget:EventTarget"):
            events.put_targets(**request("events", "PutTargets", {"rule": target["inputs"]["rule"], "targets": [{
                "id": "alert-lambda", "arn": created["FunctionArn"],
                "retryPolicy": target["inputs"]["retryPolicy"]}]}))
        # moto has no TestEventPattern and cannot deliver to Lambda: once the Lambda targets were accepted, swap
        # them for SQS queues and send both event kinds (and one that must not match).
        sqs = boto3.client("sqs", region_name=region)
        queues = {}
        for rule in events.list_rules()["Rules"]:
            events.remove_targets(Rule=rule["Name"], Ids=["alert-lambda"])
            url = sqs.create_queue(QueueName=f"q-{rule['Name']}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_targets(Rule=rule["Name"], Targets=[{"Id": "probe", "Arn": arn}])
            queues[rule["Name"]] = url
        events.put_events(Entries=[
            {"Source": "aws.sagemaker", "DetailType": "SageMaker Processing Job State Change",
             "Detail": json.dumps({"ProcessingJobStatus": "Failed", "ProcessingJobName": "model-monitoring-x"})},
            {"Source": "aws.sagemaker", "DetailType": "SageMaker Processing Job State Change",
             "Detail": json.dumps({"ProcessingJobStatus": "InProgress", "ProcessingJobName": "model-monitoring-x"})},
            {"Source": "aws.sagemaker", "DetailType": "SageMaker Processing Job State Change",
             "Detail": json.dumps({"ProcessingJobStatus": "Failed", "ProcessingJobName": "training-prep-x"})},
            {"Source": "modelmonitor", "DetailType": "ModelMonitor Run State Change",
             "Detail": json.dumps({"monitor": "lending/credit-default", "status": "Failed"})},
        ])
        received = {name: [json.loads(m["Body"]) for m in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])] for name, url in queues.items()}
        routed = sorted((event["source"], event["detail"]["ProcessingJobStatus" if event["source"] ==
                                                            "aws.sagemaker" else "status"])
                        for messages in received.values() for event in messages)
        assert routed == [("aws.sagemaker", "Failed"), ("modelmonitor", "Failed")]
