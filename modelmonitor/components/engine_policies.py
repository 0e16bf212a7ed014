"""Least-privilege IAM documents of the `lambda` and `processingJob` engines (pure dicts, no Pulumi).

- `scheduler_*_policy`: EventBridge Scheduler's role may start exactly one thing (this monitor's analyzer Lambda,
  or its state machine).
- `state_machine_policy`: what `createProcessingJob.sync` needs, per AWS's Step Functions SageMaker page: create /
  describe / stop the processing jobs (scoped to this monitor's job-name prefix), ListTags, `iam:PassRole` of the
  job role only to SageMaker, and the managed EventBridge rule `StepFunctionsGetEventsForSageMakerProcessingJobsRule`
  through which `.sync` learns the job finished; plus `events:PutEvents` for the Failed run event.
- `analyzer_policy`: the analyzer (Lambda function role or processing-job role) reads only this model's capture,
  baseline (and ground-truth) prefixes, writes only its results prefix, publishes metrics only in our namespace
  and run events only with our source.
Every builder returns `{"Version": "2012-10-17", "Statement": [...]}`; tests lint them with parliament.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.components.images import dns_suffix
from modelmonitor.components.stepfunctions import RUN_EVENT_SOURCE

Policy = dict[str, Any]
SYNC_RULE_NAME = "StepFunctionsGetEventsForSageMakerProcessingJobsRule"
VERSION = "2012-10-17"


class PolicyError(ValueError):
    """A policy input that would widen or break the policy; the message names it."""


def _doc(*statements: dict[str, Any]) -> Policy:
    return {"Version": VERSION, "Statement": list(statements)}


def _s3_location(uri: str) -> tuple[str, str]:
    """(bucket, key prefix without trailing slash) of an s3:// URI; an empty or wildcard prefix is refused."""
    if not uri.startswith("s3://"):
        raise PolicyError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[5:].partition("/")
    prefix = prefix.strip("/")
    if not bucket or not prefix or "*" in uri or "?" in uri:
        raise PolicyError(f"{uri!r}: need a bucket and a concrete key prefix (a whole bucket is too wide)")
    return bucket, prefix


@dataclass(frozen=True)
class AwsScope:
    account_id: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, global_service: bool = False) -> str:
        region = "" if global_service else self.region
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def service_endpoint(self, service: str) -> str:
        """`{service}.{region}.{domain}`, the form `kms:ViaService` names (amazonaws.com.cn in China)."""
        return f"{service}.{self.region}.{dns_suffix(self.region)}"

    def event_bus_arn(self, bus_name: str) -> str:
        return bus_name if bus_name.startswith("arn:") else self.arn("events", f"event-bus/{bus_name}")


SCHEDULE_GROUP = "default"
"""The Scheduler schedule group our schedules live in; the Scheduler role's trust names this group's ARN."""


def trust_policy(service: str, *, account_id: str, source_arn: str | None = None) -> Policy:
    """Role trust for an AWS service, pinned to our account (and source ARN when known: confused deputy)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
                 "Condition": condition})


def scheduler_trust(scope: AwsScope, group: str = SCHEDULE_GROUP) -> Policy:
    """EventBridge Scheduler's execution role. AWS's Scheduler guide ("Confused deputy prevention") requires the
    `aws:SourceArn` condition to name the schedule GROUP's ARN and never one schedule: a role conditioned on a
    schedule's own ARN is never assumed, and no scheduled run starts."""
    return trust_policy("scheduler.amazonaws.com", account_id=scope.account_id,
                        source_arn=scope.arn("scheduler", f"schedule-group/{group}"))


def lambda_trust() -> Policy:
    """A Lambda function's execution role exactly as AWS's Lambda guide ("Defining Lambda function permissions
    with an execution role") shows it: the Lambda service principal, no condition."""
    return _doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})


def states_trust(scope: AwsScope, state_machine_name: str) -> Policy:
    """A state machine's role: AWS's Step Functions guide ("Prevent cross-service confused deputy issue") scopes it
    with `aws:SourceArn` on the state machine's ARN and `aws:SourceAccount`."""
    return trust_policy("states.amazonaws.com", account_id=scope.account_id,
                        source_arn=scope.arn("states", f"stateMachine:{state_machine_name}"))


def sagemaker_trust(scope: AwsScope) -> Policy:
    """A processing job's role: any SageMaker job of this account (job names are per run, so no single
    source ARN is known up front; AWS's SageMaker confused-deputy page: `aws:SourceAccount` for "any resource
    in that account")."""
    return trust_policy("sagemaker.amazonaws.com", account_id=scope.account_id)


def scheduler_invoke_lambda_policy(function_arn: str) -> Policy:
    return _doc({"Sid": "InvokeAnalyzer", "Effect": "Allow", "Action": "lambda:InvokeFunction",
                 "Resource": [function_arn, f"{function_arn}:*"]})


def scheduler_start_execution_policy(state_machine_arn: str) -> Policy:
    return _doc({"Sid": "StartRun", "Effect": "Allow", "Action": "states:StartExecution",
                 "Resource": state_machine_arn})


def _put_run_events(scope: AwsScope, event_bus_name: str) -> dict[str, Any]:
    return {"Sid": "PutRunEvents", "Effect": "Allow", "Action": "events:PutEvents",
            "Resource": scope.event_bus_arn(event_bus_name),
            "Condition": {"StringEquals": {"events:source": RUN_EVENT_SOURCE}}}


def state_machine_policy(scope: AwsScope, *, job_name_prefix: str, job_role_arn: str,
                         event_bus_name: str = "default", capture_s3_uri: str | None = None) -> Policy:
    """Role of the processingJob engine's state machine; `capture_s3_uri` (sharded runs): it lists the window's
    capture prefix before mounting it (SageMaker refuses an empty input prefix)."""
    if not job_name_prefix or "*" in job_name_prefix:
        raise PolicyError(f"job_name_prefix must be concrete, got {job_name_prefix!r}")
    # SageMaker lower-cases resource names in ARNs.
    jobs = scope.arn("sagemaker", f"processing-job/{job_name_prefix.lower()}-*")
    policy = _doc(
        {"Sid": "RunProcessingJobs", "Effect": "Allow",
         "Action": ["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
                    "sagemaker:StopProcessingJob", "sagemaker:AddTags", "sagemaker:ListTags"],
         "Resource": jobs},
        {"Sid": "PassJobRoleToSageMaker", "Effect": "Allow", "Action": "iam:PassRole", "Resource": job_role_arn,
         "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
        {"Sid": "SyncIntegrationRule", "Effect": "Allow",
         "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
         "Resource": scope.arn("events", f"rule/{SYNC_RULE_NAME}")},
        _put_run_events(scope, event_bus_name),
    )
    if capture_s3_uri is None:
        return policy
    bucket, prefix = _s3_location(capture_s3_uri)
    listing = {"Sid": "ListWindowCaptures", "Effect": "Allow", "Action": "s3:ListBucket",
               "Resource": f"arn:{scope.partition}:s3:::{bucket}",
               "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*"]}}}
    return {**policy, "Statement": [*policy["Statement"], listing]}


@dataclass(frozen=True)
class AnalyzerAccess:
    """What one monitor's analyzer touches."""

    capture_s3_uri: str
    """The endpoint variant's capture prefix (read)."""
    results_s3_uri: str
    """The monitor's results prefix (write; read back for sharded merges)."""
    metrics_namespace: str
    baseline_s3_uris: Sequence[str] = ()
    """Baseline prefixes or files (read), e.g. `s3://b/baselines/{ns}/{name}/data-quality`."""
    ground_truth_s3_uri: str | None = None
    """Model quality: the ground-truth prefix (read)."""
    event_bus_name: str = "default"
    log_group_arns: Sequence[str] = ()
    """The run's log groups, e.g. `…:log-group:/aws/sagemaker/ProcessingJobs:*` or `/aws/lambda/{function}:*`."""
    image_repository_arn: str | None = None
    """processingJob engine: the ECR repository SageMaker pulls the analyzer image from with this role."""
    kms_key_arns: Sequence[str] = field(default_factory=tuple)
    """Keys of SSE-KMS buckets/captures: used only through S3 (kms:ViaService)."""


def _read_statements(sid: str, uris: Sequence[str], scope: AwsScope) -> list[dict[str, Any]]:
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        bucket, prefix = _s3_location(uri)
        by_bucket.setdefault(bucket, []).append(prefix)
    statements = []
    for index, (bucket, prefixes) in enumerate(sorted(by_bucket.items())):
        statements.append({"Sid": f"List{sid}{index}", "Effect": "Allow", "Action": "s3:ListBucket",
                           "Resource": f"arn:{scope.partition}:s3:::{bucket}",
                           "Condition": {"StringLike": {"s3:prefix": sorted(
                               {p for prefix in prefixes for p in (prefix, f"{prefix}/*")})}}})
        statements.append({"Sid": f"Read{sid}{index}", "Effect": "Allow", "Action": "s3:GetObject",
                           # Exact key (a baseline file) or anything below the prefix — never a sibling prefix.
                           "Resource": sorted({f"arn:{scope.partition}:s3:::{bucket}/{key}" for p in prefixes
                                               for key in (p, f"{p}/*")})})
    return statements


def analyzer_policy(scope: AwsScope, access: AnalyzerAccess) -> Policy:
    """Role of the analyzer: the Lambda function's role (engine lambda) or the processing job's (processingJob)."""
    readable = [access.capture_s3_uri, *access.baseline_s3_uris, access.results_s3_uri]
    if access.ground_truth_s3_uri is not None:
        readable.append(access.ground_truth_s3_uri)
    results_bucket, results_prefix = _s3_location(access.results_s3_uri)
    statements = _read_statements("Inputs", readable, scope)
    statements.append({"Sid": "WriteResults", "Effect": "Allow",
                       "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                       "Resource": f"arn:{scope.partition}:s3:::{results_bucket}/{results_prefix}/*"})
    # PutMetricData has no resource type: the namespace condition is what scopes it.
    statements.append({"Sid": "PublishMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
                       "Resource": "*",
                       "Condition": {"StringEquals": {"cloudwatch:namespace": access.metrics_namespace}}})
    statements.append(_put_run_events(scope, access.event_bus_name))
    if access.log_group_arns:
        statements.append({"Sid": "WriteLogs", "Effect": "Allow",
                           "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                      "logs:DescribeLogStreams"],
                           "Resource": list(access.log_group_arns)})
    if access.image_repository_arn is not None:
        # GetAuthorizationToken has no resource type; the layer calls are scoped to the analyzer repository.
        statements.append({"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                           "Resource": "*"})
        statements.append({"Sid": "PullAnalyzerImage", "Effect": "Allow",
                           "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                      "ecr:BatchCheckLayerAvailability"],
                           "Resource": access.image_repository_arn})
    if access.kms_key_arns:
        statements.append({"Sid": "UseBucketKeysThroughS3", "Effect": "Allow",
                           "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": list(access.kms_key_arns),
                           "Condition": {"StringEquals": {"kms:ViaService": scope.service_endpoint("s3")}}})
    return _doc(*statements)
