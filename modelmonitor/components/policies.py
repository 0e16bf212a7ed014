"""IAM and resource policy documents as plain dicts (pure; the components serialise them).

Least privilege is the point (the seed recipe's bug 3 put AmazonSageMakerFullAccess on the monitoring role): every
statement names the actions a role really uses and the ARNs it really touches — this model's S3 prefixes
(docs/internal-contracts.md §1), the platform key, its own log groups. The only `"Resource": "*"` statements are
for actions IAM cannot scope to a resource (cloudwatch:PutMetricData, ecr:GetAuthorizationToken,
sagemaker:ListMonitoringExecutions), and
PutMetricData is narrowed to our namespaces with the `cloudwatch:namespace` condition key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.components.names import ALARM_NAME_PREFIX

Policy = dict[str, Any]
Statement = dict[str, Any]

VERSION = "2012-10-17"
KMS_DATA_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def document(*statements: Statement) -> Policy:
    return {"Version": VERSION, "Statement": [s for s in statements if s]}


def assume_role_policy(service: str) -> Policy:
    """Trust policy letting one AWS service (e.g. sagemaker.amazonaws.com) assume the role."""
    return document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def s3_object_arn(uri: str, part: str = "aws") -> str:
    """`s3://bucket/key` → `arn:aws:s3:::bucket/key` (no wildcard added)."""
    bucket, key = split_s3_uri(uri)
    return f"arn:{part}:s3:::{bucket}/{key}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


@dataclass(frozen=True)
class S3Access:
    """What a role reads and writes, as S3 URIs of objects or prefixes (a prefix ends with '/')."""

    read: Sequence[str] = ()
    write: Sequence[str] = ()


def _resources(uris: Sequence[str], part: str) -> list[str]:
    return sorted({s3_object_arn(u, part) + ("*" if u.endswith("/") else "") for u in uris})


def _list_statements(uris: Sequence[str], part: str) -> list[Statement]:
    """s3:ListBucket is a bucket action: grant it per bucket, narrowed to the prefixes with `s3:prefix`."""
    prefixes: dict[str, set[str]] = {}
    for uri in uris:
        bucket, key = split_s3_uri(uri)
        prefixes.setdefault(bucket, set()).add(key + "*" if key.endswith("/") or not key else key)
    return [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:{part}:s3:::{bucket}",
             "Condition": {"StringLike": {"s3:prefix": sorted(keys)}}}
            for bucket, keys in sorted(prefixes.items())]


def kms_statements(keys: Sequence[str], partition: str, region: str, account: str) -> list[Statement]:
    """kms:Decrypt/GenerateDataKey on key ARNs; aliases and bare key ids are resolved by IAM's own means."""
    arns = sorted(k for k in keys if k.startswith("arn:") and ":key/" in k)
    statements: list[Statement] = []
    if arns:
        statements.append({"Effect": "Allow", "Action": KMS_DATA_ACTIONS, "Resource": arns})
    ids = sorted(f"arn:{partition}:kms:{region}:{account}:key/{k}" for k in keys
                 if not k.startswith(("arn:", "alias/")))
    if ids:
        statements.append({"Effect": "Allow", "Action": KMS_DATA_ACTIONS, "Resource": ids})
    aliases = sorted(k.rsplit(":", 1)[-1] if k.startswith("arn:") else k for k in keys if "alias/" in k)
    if aliases:
        statements.append({"Effect": "Allow", "Action": KMS_DATA_ACTIONS,
                           "Resource": f"arn:{partition}:kms:{region}:{account}:key/*",
                           "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases}}})
    return statements


def s3_statements(access: S3Access, part: str = "aws") -> list[Statement]:
    statements: list[Statement] = []
    if access.read:
        statements.append({"Effect": "Allow", "Action": ["s3:GetObject"],
                           "Resource": _resources(access.read, part)})
    if access.write:
        statements.append({"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                           "Resource": _resources(access.write, part)})
    statements.extend(_list_statements([*access.read, *access.write], part))
    return statements


def log_group_arn(part: str, region: str, account: str, group: str) -> str:
    return f"arn:{part}:logs:{region}:{account}:log-group:{group}"


@dataclass(frozen=True)
class MonitoringRoleScope:
    """Everything the monitoring (and baseline) jobs of ONE model may touch."""

    partition: str
    region: str
    account: str
    s3: S3Access
    kms_key_arns: Sequence[str]
    metric_namespaces: Sequence[str]
    ecr_repository_arn: str | None = None
    """Our analyzer's repository, when the custom analyzer runs (the built-in image is AWS's: no grant needed)."""
    extra: Sequence[Statement] = field(default_factory=tuple)


def monitoring_role_policy(scope: MonitoringRoleScope) -> Policy:
    """The monitoring execution role's inline policy: SageMaker Processing runs the analyzer as this role."""
    processing_logs = log_group_arn(scope.partition, scope.region, scope.account, "/aws/sagemaker/ProcessingJobs")
    statements: list[Statement] = [*s3_statements(scope.s3, scope.partition)]
    if scope.kms_key_arns:
        statements.append({"Effect": "Allow", "Action": KMS_DATA_ACTIONS, "Resource": sorted(scope.kms_key_arns)})
    statements += [
        {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": sorted(scope.metric_namespaces)}}},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
         "Resource": processing_logs + ":*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": processing_logs + ":log-stream:*"},
    ]
    if scope.ecr_repository_arn is not None:
        statements += [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                           "ecr:BatchCheckLayerAvailability"],
             "Resource": scope.ecr_repository_arn},
        ]
    statements.extend(scope.extra)
    return document(*statements)


def model_role_policy(partition: str, region: str, account: str, *, model_data_url: str, image: str,
                      capture_prefix: str, kms_keys: Sequence[str] = ()) -> Policy:
    """Role of an endpoint we create: read its artifact, pull its image, write its logs and its data captures
    (`capture_prefix`, an s3:// prefix ending in '/', encrypted with `kms_keys`)."""
    statements: list[Statement] = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": s3_object_arn(model_data_url, partition)},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
         "Resource": s3_object_arn(capture_prefix, partition) + "*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                       "logs:DescribeLogStreams"],
         "Resource": log_group_arn(partition, region, account, "/aws/sagemaker/Endpoints/*") + ":*"},
        {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints"]}}},
    ]
    repository = ecr_repository_arn_of_image(image, partition)
    if repository is not None:
        statements += [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                           "ecr:BatchCheckLayerAvailability"], "Resource": repository},
        ]
    statements.extend(kms_statements(kms_keys, partition, region, account))
    return document(*statements)


def ecr_repository_arn_of_image(image: str, partition: str = "aws") -> str | None:
    """`123456789012.dkr.ecr.us-west-2.amazonaws.com/repo:tag` → the repository ARN; None for non-ECR images."""
    host, _, rest = image.partition("/")
    parts = host.split(".")
    if len(parts) < 4 or parts[1:3] != ["dkr", "ecr"] or not rest:
        return None
    repository = rest.split("@")[0].split(":")[0]
    return f"arn:{partition}:ecr:{parts[3]}:{parts[0]}:repository/{repository}"


@dataclass(frozen=True)
class AlertLambdaScope:
    partition: str
    region: str
    account: str
    function_name: str
    topic_arn: str
    bucket_arn: str
    kms_key_arns: Sequence[str]
    secret_names: Sequence[str] = ()
    """Slack webhook secrets named by monitors (SSM parameters or Secrets Manager secrets)."""
    state_table_arn: str = ""
    """The incident-state table (modelmonitor/alerts/incident_store.py, dedupe.py)."""
    metrics_namespaces: Sequence[str] = ()
    """Where it publishes run metrics of Model Monitor executions (modelmonitor/alerts/run_metrics.py NAMESPACES)."""


ALERT_STATE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
"""What the alert Lambda does to its state table: read an incident (consistent read), write it conditionally,
claim a dedupe key (PutItem) and release it after a failed delivery (DeleteItem). Nothing else."""


def alert_lambda_policy(scope: AlertLambdaScope) -> Policy:
    """The alert Lambda reads results and execution details, publishes to the topic, writes its own logs."""
    p, r, a = scope.partition, scope.region, scope.account
    logs = log_group_arn(p, r, a, f"/aws/lambda/{scope.function_name}")
    statements: list[Statement] = [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{logs}:log-stream:*"},
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": scope.topic_arn},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{scope.bucket_arn}/results/*"},
        # The handler finds the latest run by listing the results prefix's yyyy/mm/dd/hh folders.
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": scope.bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": ["results/*"]}}},
        {"Effect": "Allow", "Action": ["sagemaker:DescribeProcessingJob"],
         "Resource": f"arn:{p}:sagemaker:{r}:{a}:processing-job/*"},
        {"Effect": "Allow", "Action": ["sagemaker:DescribeMonitoringSchedule", "sagemaker:ListTags"],
         "Resource": f"arn:{p}:sagemaker:{r}:{a}:monitoring-schedule/*"},
        # List actions take no resource ARN in IAM; this one only reads execution summaries.
        {"Effect": "Allow", "Action": "sagemaker:ListMonitoringExecutions", "Resource": "*"},
        # Whether an alarm that holds an incident open still fires (alerts/alarm_states.py): only our alarms.
        {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms",
         "Resource": f"arn:{p}:cloudwatch:{r}:{a}:alarm:{ALARM_NAME_PREFIX}*"},
    ]
    if scope.state_table_arn:
        statements.append({"Effect": "Allow", "Action": list(ALERT_STATE_ACTIONS), "Resource": scope.state_table_arn})
    if scope.metrics_namespaces:
        # PutMetricData has no resource type: the namespace condition is what scopes it.
        statements.append({"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
                           "Condition": {"StringEquals": {"cloudwatch:namespace": sorted(scope.metrics_namespaces)}}})
    if scope.kms_key_arns:
        statements.append({"Effect": "Allow", "Action": KMS_DATA_ACTIONS, "Resource": sorted(scope.kms_key_arns)})
    ssm = sorted(n for n in scope.secret_names)
    if ssm:
        statements.append({"Effect": "Allow", "Action": "ssm:GetParameter",
                           "Resource": [f"arn:{p}:ssm:{r}:{a}:parameter/{n.lstrip('/')}" for n in ssm]})
        statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": [f"arn:{p}:secretsmanager:{r}:{a}:secret:{n.lstrip('/')}-*" for n in ssm]})
    return document(*statements)


def tls_only_bucket_policy(bucket_arn: str) -> Policy:
    """Refuse every request to the bucket that does not use TLS."""
    return document({
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })


def platform_key_policy(partition: str, account: str) -> Policy:
    """Key of the bucket and the topics. CloudWatch alarms publish to the encrypted alarm topic only when the key
    lets their service principal use it — with the AWS-managed `alias/aws/sns` key they cannot, and alarm
    notifications are dropped silently. Nothing routes EventBridge to a topic (its rules target the alert Lambda),
    so events.amazonaws.com gets nothing. The account statement delegates everything else to IAM policies."""
    return document(
        {"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow",
         "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "AlarmsPublishToEncryptedTopic", "Effect": "Allow",
         "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
    )


def alert_topic_policy(topic_arn: str, partition: str, account: str) -> Policy:
    """Only this account's alarms and principals publish to the alert topic."""
    return document(
        {"Sid": "AccountPrincipals", "Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
         "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"], "Resource": topic_arn},
        {"Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
    )


def analyzer_repository_policy(partition: str, region: str, account: str) -> Policy:
    """Lambda pulls a function's container image with the Lambda service principal: the repository must allow it
    (otherwise CreateFunction tries to add this statement itself, which needs ecr:SetRepositoryPolicy). Only this
    account's functions in this region."""
    return document(
        {"Sid": "LambdaPullsAnalyzerImage", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Condition": {"StringLike": {"aws:SourceArn": f"arn:{partition}:lambda:{region}:{account}:function:*"}}},
    )
