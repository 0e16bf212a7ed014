"""`Platform` (`modelmonitor:index:Platform`): what every monitor of one account/region shares.

Artifact bucket (hardened), a KMS key the alarm and event services may use, two SNS topics, the alert Lambda with
its EventBridge routing, the multi-model dashboard and the ECR repository of our analyzer image.

Two topics, on purpose: alarms publish their raw JSON to the *alarm* topic, which only the alert Lambda reads; the
Lambda turns each alarm or execution event into a readable message (violations, report link) on the *alert* topic,
which people subscribe to. Subscribing people to the raw topic is the seed recipe's bug 7 in another form, and
letting the Lambda read and write the same topic would loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws
from pulumi_aws import cloudwatch, dynamodb, ecr, iam, kms, lambda_, s3, sns

from modelmonitor import __version__
from modelmonitor.components import alarms, alarms_clarify, dashboards, policies
from modelmonitor.components.images import custom_analyzer_image, partition
from modelmonitor.components.names import inline_policy_logical
from modelmonitor.spec import Alerting, duration_seconds

ALERTS_PACKAGE = Path(__file__).resolve().parent.parent / "alerts"
ALERT_HANDLER = "modelmonitor.alerts.handler.handler"
LAMBDA_RUNTIME = "python3.12"
RUN_EVENT_SOURCE = "modelmonitor"
RUN_EVENT_DETAIL_TYPE = "ModelMonitor Run State Change"
FUNCTION_NAME_MAX = 64


@dataclass(frozen=True)
class PlatformArgs:
    region: str
    alert_emails: Sequence[str] = ()
    """Subscribed to the readable alert topic (each address must confirm)."""
    slack_secret_names: Sequence[str] = ()
    """Webhook secrets the alert Lambda may read (SSM parameters / Secrets Manager secrets)."""
    kms_key_arn: str | None = None
    """Use this customer-managed key instead of creating one (its policy must admit cloudwatch.amazonaws.com)."""
    existing_alert_topic_arn: str | None = None
    """Publish readable alerts to this topic instead of creating one."""
    existing_bucket_name: str | None = None
    """Use this bucket (managed elsewhere, hardening included) instead of creating one."""
    capture_retention_days: int = 90
    """Captured inference data expires after this many days (it is the bulk of the bucket)."""
    log_retention_days: int = 30
    analyzer_image_tag: str = __version__
    analyzer_build_context: str | None = None
    """Build our analyzer image from this directory (its Dockerfile) and push it to the platform repository with
    pulumi-docker-build; None: the image is pushed by other means (CI) under `analyzer_image_tag`."""
    tags: Mapping[str, str] = field(default_factory=dict)
    repeat_intervals: Mapping[str, int] = field(default_factory=dict)
    """`alerting.repeatInterval` in seconds per schedule name, for the alert Lambda's incident reminders."""


DEFAULT_REPEAT_SECONDS = duration_seconds(Alerting().repeat_interval)
"""`alerting.repeatInterval`'s default, which the alert Lambda assumes when REPEAT_INTERVALS names no schedule
(alerts/config.py DEFAULT_REPEAT_SECONDS; a test ties the two)."""
LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
"""Lambda: "The total size of all environment variables doesn't exceed 4 KB" (Lambda quotas page)."""


def alert_lambda_environment(topic_arn: pulumi.Input[str], bucket_name: pulumi.Input[str],
                             slack_secret_names: Sequence[str], *, state_table: pulumi.Input[str] = "",
                             repeat_intervals: Mapping[str, int] | None = None) -> dict[str, pulumi.Input[str]]:
    """The variables `modelmonitor.alerts.config.Settings.from_env` reads (tests tie the two together).

    One alert Lambda serves every monitor of the platform and posts to one webhook, so the monitors must agree
    on `alerting.slackWebhookSecret`. Reminder intervals travel per schedule, and only where they differ from
    the default, so a platform of many default monitors stays far from Lambda's 4 KB environment limit."""
    variables: dict[str, pulumi.Input[str]] = {"ALERT_TOPIC_ARN": topic_arn, "ARTIFACT_BUCKET": bucket_name}
    if state_table:
        variables["STATE_TABLE"] = state_table
    overrides = {k: v for k, v in sorted((repeat_intervals or {}).items()) if v != DEFAULT_REPEAT_SECONDS}
    if overrides:
        text = json.dumps(overrides, separators=(",", ":"))
        if len(text) > LAMBDA_ENVIRONMENT_MAX_BYTES // 2:
            raise ValueError(f"spec.alerting.repeatInterval: {len(overrides)} schedules with a non-default interval "
                             "do not fit the alert Lambda's environment; use fewer distinct intervals per platform")
        variables["REPEAT_INTERVALS"] = text
    secrets = sorted(set(slack_secret_names))
    if len(secrets) > 1:
        raise ValueError(
            f"spec.alerting.slackWebhookSecret: monitors sharing one platform (region) must name the same secret, "
            f"got {', '.join(secrets)}")
    if secrets:
        variables["SLACK_WEBHOOK_SECRET"] = secrets[0]
    return variables


def _lambda_code() -> pulumi.AssetArchive:
    """The alerts package as `modelmonitor/alerts/...` plus an empty `modelmonitor/__init__.py`, so the handler
    path `modelmonitor.alerts.handler.handler` resolves in Lambda exactly as it does in tests. Only .py files:
    bytecode caches would make the archive (and the deployment) change on every machine."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {"modelmonitor/__init__.py": pulumi.StringAsset("")}
    for path in sorted(ALERTS_PACKAGE.rglob("*.py")):
        assets[f"modelmonitor/alerts/{path.relative_to(ALERTS_PACKAGE).as_posix()}"] = pulumi.FileAsset(str(path))
    return pulumi.AssetArchive(assets)


MODEL_MONITOR_JOB_PREFIX = "model-monitoring-"
"""How SageMaker names the processing job of a Model Monitor execution: `model-monitoring-{yyyymmddHHMM}-{hash}`
(every execution's ProcessingJobArn in ListMonitoringExecutions, AWS's Model Monitor notebooks). AWS does not
promise the format; if it ever changed, failed executions would reach nobody but the heartbeat alarm, which still
fires when runs stop reporting."""


def execution_event_patterns() -> dict[str, dict[str, object]]:
    """Model Monitor executions reaching a final state, and our engines' run events (internal-contracts §2).

    The processing-job rule matches only Model Monitor's executions (EventBridge content filtering, a prefix on
    ProcessingJobName; the event detail carries the DescribeProcessingJob fields, "SageMaker Processing Job State
    Change" in https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
    training pipelines and other processing jobs in the account no longer invoke the alert Lambda. Our
    processingJob engine's jobs do not match either: their run events report them. Completed is routed too: the
    Lambda tells CompletedWithViolations from Completed by the job's ExitMessage, which the event does not carry.
    Two rules rather than one `$or` pattern: each stays a plain, documented pattern."""
    return {
        "executions": {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Processing Job State Change"],
                       "detail": {"ProcessingJobStatus": ["Failed", "Stopped", "Completed"],
                                  "ProcessingJobName": [{"prefix": MODEL_MONITOR_JOB_PREFIX}]}},
        "runs": {"source": [RUN_EVENT_SOURCE], "detail-type": [RUN_EVENT_DETAIL_TYPE]},
    }


class Platform(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]
    alert_topic_arn: pulumi.Output[str]
    analyzer_repository_url: pulumi.Output[str]
    analyzer_repository_arn: pulumi.Output[str]
    analyzer_image_uri: pulumi.Output[str]
    account_id: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("modelmonitor:index:Platform", name, None, opts)
        self._name = name
        self.args = args
        self.partition = partition(args.region)
        self._child = pulumi.ResourceOptions(parent=self)
        tags = {"modelmonitor:platform": name, **args.tags}
        identity = pulumi_aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.account_id = identity.account_id

        self.kms_key_arn = self._key(tags)
        self.bucket_name, self.bucket_arn = self._bucket(tags)
        self.alarm_topic_arn, self.alert_topic_arn = self._topics(tags)
        function = self._alert_lambda(tags)
        self._routing(function)
        repository = ecr.Repository(
            f"{name}-analyzer", image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": self.kms_key_arn}],
            tags=tags, opts=self._child)
        # The lambda engine (the default) runs this image as its analyzer function.
        ecr.RepositoryPolicy(
            f"{name}-analyzer-policy", repository=repository.name, opts=self._child,
            policy=self.account_id.apply(lambda account: json.dumps(
                policies.analyzer_repository_policy(self.partition, args.region, account))))
        self.analyzer_repository_url = repository.repository_url
        self.analyzer_repository_arn = repository.arn
        self.analyzer_image_uri = self._analyzer_image(repository)
        dashboard_name = f"{name}-overview"
        cloudwatch.Dashboard(
            f"{name}-overview", dashboard_name=dashboard_name,
            dashboard_body=dashboards.to_json(dashboards.multi_model_dashboard(args.region)), opts=self._child)
        self.dashboard_url = pulumi.Output.from_input(dashboards.dashboard_url(args.region, dashboard_name))
        self.register_outputs({
            "bucketName": self.bucket_name, "kmsKeyArn": self.kms_key_arn, "alarmTopicArn": self.alarm_topic_arn,
            "alertTopicArn": self.alert_topic_arn, "analyzerRepositoryUrl": self.analyzer_repository_url,
            "analyzerImageUri": self.analyzer_image_uri,
            "dashboardUrl": self.dashboard_url,
        })

    def _analyzer_image(self, repository: ecr.Repository) -> pulumi.Output[str]:
        """The image the custom analyzer runs: digest-pinned when built here (a schedule then never runs an image
        nobody deployed), else the release tag in the repository."""
        tag = self.args.analyzer_image_tag
        url: pulumi.Output[str] = repository.repository_url
        if self.args.analyzer_build_context is None:
            return url.apply(lambda u: custom_analyzer_image(u, tag))
        import pulumi_docker_build as docker_build  # only when building: the SDK is not free to import

        context = self.args.analyzer_build_context
        token = ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self))
        image = docker_build.Image(
            f"{self._name}-analyzer-image", push=True, platforms=["linux/amd64"],
            context={"location": context}, dockerfile={"location": f"{context}/Dockerfile"},
            tags=[url.apply(lambda u: custom_analyzer_image(u, tag))],
            registries=[{"address": token.proxy_endpoint, "username": token.user_name,
                         "password": token.password}],
            opts=self._child)
        pinned: pulumi.Output[str] = pulumi.Output.all(url, image.digest).apply(lambda v: f"{v[0]}@{v[1]}")
        return pinned

    def _key(self, tags: Mapping[str, str]) -> pulumi.Output[str]:
        if self.args.kms_key_arn is not None:
            return pulumi.Output.from_input(self.args.kms_key_arn)
        key = kms.Key(
            f"{self._name}-key", description=f"ModelMonitor {self._name}: artifacts and alert topics",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=self.account_id.apply(lambda account: json.dumps(
                policies.platform_key_policy(self.partition, account))),
            tags=dict(tags), opts=self._child)
        kms.Alias(f"{self._name}-key-alias", name=f"alias/{self._name}", target_key_id=key.key_id, opts=self._child)
        arn: pulumi.Output[str] = key.arn
        return arn

    def _bucket(self, tags: Mapping[str, str]) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        if self.args.existing_bucket_name is not None:
            name = self.args.existing_bucket_name
            return pulumi.Output.from_input(name), pulumi.Output.from_input(f"arn:{self.partition}:s3:::{name}")
        bucket = s3.Bucket(f"{self._name}-artifacts", force_destroy=False, tags=dict(tags), opts=self._child)
        s3.BucketOwnershipControls(
            f"{self._name}-artifacts-ownership", bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"}, opts=self._child)
        s3.BucketPublicAccessBlock(
            f"{self._name}-artifacts-public-access", bucket=bucket.id, block_public_acls=True,
            block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True, opts=self._child)
        s3.BucketServerSideEncryptionConfiguration(
            f"{self._name}-artifacts-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms", "kms_master_key_id": self.kms_key_arn},
                # Bucket keys cut KMS requests (and cost) by orders of magnitude for many small capture files.
                "bucket_key_enabled": True}],
            opts=self._child)
        s3.BucketVersioning(
            f"{self._name}-artifacts-versioning", bucket=bucket.id,
            versioning_configuration={"status": "Enabled"}, opts=self._child)
        s3.BucketLifecycleConfiguration(
            f"{self._name}-artifacts-lifecycle", bucket=bucket.id, rules=[
                {"id": "expire-captures", "status": "Enabled", "filter": {"prefix": "captures/"},
                 "expiration": {"days": self.args.capture_retention_days},
                 "noncurrent_version_expiration": {"noncurrent_days": 7}},
                {"id": "expire-noncurrent-versions", "status": "Enabled", "filter": {"prefix": ""},
                 "noncurrent_version_expiration": {"noncurrent_days": 30},
                 "abort_incomplete_multipart_upload": {"days_after_initiation": 7}},
            ], opts=self._child)
        s3.BucketPolicy(
            f"{self._name}-artifacts-tls-only", bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(policies.tls_only_bucket_policy(arn))),
            opts=self._child)
        return bucket.bucket, bucket.arn

    def _topics(self, tags: Mapping[str, str]) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        alarm_topic = sns.Topic(f"{self._name}-alarms", kms_master_key_id=self.kms_key_arn, tags=dict(tags),
                                opts=self._child)
        sns.TopicPolicy(
            f"{self._name}-alarms-policy", arn=alarm_topic.arn,
            policy=pulumi.Output.all(alarm_topic.arn, self.account_id).apply(
                lambda a: json.dumps(policies.alert_topic_policy(a[0], self.partition, a[1]))),
            opts=self._child)
        if self.args.existing_alert_topic_arn is not None:
            alert_arn: pulumi.Output[str] = pulumi.Output.from_input(self.args.existing_alert_topic_arn)
        else:
            alert_arn = sns.Topic(f"{self._name}-alerts", kms_master_key_id=self.kms_key_arn, tags=dict(tags),
                                  opts=self._child).arn
        for email in sorted(set(self.args.alert_emails)):
            # Logical names carry a hash, not the address: '@' and '+' make awkward URNs.
            digest = hashlib.sha256(email.encode()).hexdigest()[:8]
            sns.TopicSubscription(f"{self._name}-alerts-email-{digest}", topic=alert_arn, protocol="email",
                                  endpoint=email, opts=self._child)
        return alarm_topic.arn, alert_arn

    def _alert_lambda(self, tags: Mapping[str, str]) -> lambda_.Function:
        function_name = f"{self._name}-alerts"
        if len(function_name) > FUNCTION_NAME_MAX:
            raise ValueError(f"Lambda name {function_name!r} exceeds {FUNCTION_NAME_MAX} characters")
        role = iam.Role(f"{self._name}-alerts-role", assume_role_policy=json.dumps(
            policies.assume_role_policy("lambda.amazonaws.com")), tags=dict(tags), opts=self._child)
        log_group = cloudwatch.LogGroup(
            f"{self._name}-alerts-logs", name=f"/aws/lambda/{function_name}",
            retention_in_days=self.args.log_retention_days, tags=dict(tags), opts=self._child)
        state = self._state_table(tags)
        policy = pulumi.Output.all(self.account_id, self.alert_topic_arn, self.bucket_arn, self.kms_key_arn,
                                   state.arn).apply(
            lambda a: json.dumps(policies.alert_lambda_policy(policies.AlertLambdaScope(
                partition=self.partition, region=self.args.region, account=a[0], function_name=function_name,
                topic_arn=a[1], bucket_arn=a[2], kms_key_arns=[a[3]], secret_names=self.args.slack_secret_names,
                state_table_arn=a[4], metrics_namespaces=[alarms.OWN_DATA_METRICS_NAMESPACE,
                                                            *alarms_clarify.OWN_NAMESPACES.values()]))))
        role_policy = iam.RolePolicy(inline_policy_logical(f"{self._name}-alerts-role"), role=role.id,
                                     policy=policy, opts=self._child)
        function = lambda_.Function(
            f"{self._name}-alerts", name=function_name, role=role.arn, runtime=LAMBDA_RUNTIME,
            handler=ALERT_HANDLER, code=_lambda_code(), timeout=60, memory_size=256,
            environment={"variables": alert_lambda_environment(
                self.alert_topic_arn, self.bucket_name, self.args.slack_secret_names, state_table=state.name,
                repeat_intervals=self.args.repeat_intervals)},
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            tags=dict(tags),
            # The log group first, so Lambda never creates an unmanaged one without retention.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, role_policy]))
        sns.TopicSubscription(f"{self._name}-alarms-to-lambda", topic=self.alarm_topic_arn, protocol="lambda",
                              endpoint=function.arn, opts=self._child)
        lambda_.Permission(f"{self._name}-alarms-invoke", action="lambda:InvokeFunction", function=function.name,
                           principal="sns.amazonaws.com", source_arn=self.alarm_topic_arn, opts=self._child)
        return function

    def _state_table(self, tags: Mapping[str, str]) -> dynamodb.Table:
        """Incident state and dedupe keys of the alert Lambda (modelmonitor/alerts/incident_store.py): one item per
        key, read and written one at a time, so on-demand billing costs cents; TTL removes closed incidents and old
        dedupe keys. Encrypted with the platform key, which the Lambda may use already."""
        return dynamodb.Table(
            f"{self._name}-alert-state", billing_mode="PAY_PER_REQUEST", hash_key="pk",
            attributes=[{"name": "pk", "type": "S"}],
            ttl={"attribute_name": "expiresAt", "enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.kms_key_arn}, tags=dict(tags),
            opts=self._child)

    def _routing(self, function: lambda_.Function) -> None:
        for key, pattern in execution_event_patterns().items():
            rule = cloudwatch.EventRule(
                f"{self._name}-{key}", description=f"ModelMonitor {key} that ended, to the alert Lambda",
                event_pattern=json.dumps(pattern), opts=self._child)
            cloudwatch.EventTarget(
                f"{self._name}-{key}-to-lambda", rule=rule.name, arn=function.arn,
                retry_policy={"maximum_retry_attempts": 8, "maximum_event_age_in_seconds": 3600}, opts=self._child)
            lambda_.Permission(f"{self._name}-{key}-invoke", action="lambda:InvokeFunction", function=function.name,
                               principal="events.amazonaws.com", source_arn=rule.arn, opts=self._child)
