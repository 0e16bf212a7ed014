"""Engine `processingJob`: EventBridge Scheduler → Step Functions → SageMaker Processing job with our analyzer.

Per monitoring type: the processing job's role (`analyzer_policy`, SageMaker trust, ECR pull of the Platform's
analyzer repository), the state machine's role (`state_machine_policy` + CloudWatch Logs delivery), a log group
for the state machine (level ERROR), the state machine whose definition is `processing_job_state_machine(...)`
fed from the spec (instance type/count/volume/runtime, image, roles, capture/baseline/results URIs), and a
Scheduler schedule starting one execution per period (`scheduler_target`: retries, dead-letter queue).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi_aws import cloudwatch, sfn, sqs

from modelmonitor.components import engine_common as common
from modelmonitor.components import engine_names
from modelmonitor.components.context import BuildContext
from modelmonitor.components.engine_environment import label_delay_seconds
from modelmonitor.components.engine_model_monitor import EngineResult
from modelmonitor.components.engine_policies import (
    AnalyzerAccess,
    AwsScope,
    Policy,
    analyzer_policy,
    sagemaker_trust,
    scheduler_start_execution_policy,
    state_machine_policy,
    states_trust,
)
from modelmonitor.components.stepfunctions import (
    ProcessingJobMachineArgs,
    job_name_prefix,
    processing_job_state_machine,
)

ENGINE = "processingJob"
LOG_LEVEL = "ERROR"
# Step Functions' CloudWatch Logs delivery: these actions have no resource type (AWS's "IAM policies for logging
# to CloudWatch Logs" page grants them on "*"); without them, creating a state machine with logging fails.
LOG_DELIVERY_ACTIONS = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"]


def machine_name(ctx: BuildContext, kind: common.RunKind) -> str:
    return engine_names.state_machine(ctx.names, kind.monitoring_type)


def jobs_prefix(ctx: BuildContext, kind: common.RunKind) -> str:
    return job_name_prefix(ctx.names.base, kind=kind.key)


def machine_args(ctx: BuildContext, kind: common.RunKind, values: list[object]) -> ProcessingJobMachineArgs:
    """values: endpoint name, image URI, job role ARN, capture prefix, results URI, statistics, constraints, KMS,
    code bundle prefix ("" when the image is ours), bias/attribution baseline analysis ("" when none)."""
    endpoint, image, job_role, capture, results, statistics, constraints, kms, code, baseline = (
        str(v) for v in values)
    spec = ctx.document.spec
    dq = spec.data_quality
    instance_type, instance_count, max_runtime = common.processing_settings(spec, kind)
    return ProcessingJobMachineArgs(
        monitor=ctx.monitor, endpoint_name=endpoint, schedule_name=kind.schedule_name,
        job_name_prefix=jobs_prefix(ctx, kind), image_uri=image, job_role_arn=job_role, capture_s3_uri=capture,
        results_s3_uri=results,
        baseline_statistics_s3_uri=statistics if kind.key == "dq" else None,
        baseline_constraints_s3_uri=constraints if kind.key == "dq" else None,
        monitoring_type=kind.monitoring_type, metrics_namespace=kind.namespace,
        ground_truth_s3_uri=common.kind_ground_truth(ctx, kind),
        window_seconds=kind.period_seconds,
        window_end_offset_seconds=label_delay_seconds(spec, kind.monitoring_type) if kind.labelled else 0,
        instance_type=instance_type, instance_count=instance_count, volume_size_gb=dq.volume_size_gb,
        max_runtime_seconds=max_runtime,
        event_bus_name=common.RUN_EVENT_BUS, environment=common.job_environment(ctx, kind, results, baseline or None),
        output_kms_key_id=kms, partition=ctx.platform.partition, region=ctx.platform.region,
        code_s3_uri=code or None)


def definition(ctx: BuildContext, kind: common.RunKind, values: list[object]) -> str:
    return json.dumps(processing_job_state_machine(machine_args(ctx, kind, values)), sort_keys=True)


def job_access(ctx: BuildContext, kind: common.RunKind, values: list[object]) -> AnalyzerAccess:
    """values: scope, capture prefix, results URI, statistics, constraints, repository ARN or "", code bundle
    prefix or "", KMS keys..."""
    scope = values[0]
    assert isinstance(scope, AwsScope)
    capture, results, statistics, constraints, repository, code, *keys = (str(v) for v in values[1:])
    reads = common.kind_reads(ctx, kind, results, statistics, constraints)
    return AnalyzerAccess(
        capture_s3_uri=capture, results_s3_uri=results, metrics_namespace=kind.namespace,
        baseline_s3_uris=[*reads, code.rstrip("/")] if code else reads,
        ground_truth_s3_uri=common.kind_ground_truth(ctx, kind),
        event_bus_name=common.RUN_EVENT_BUS,
        log_group_arns=[scope.arn("logs", "log-group:/aws/sagemaker/ProcessingJobs:*")],
        image_repository_arn=repository or None, kms_key_arns=keys)


def machine_policy(scope: AwsScope, *, prefix: str, job_role_arn: str, capture_s3_uri: str | None) -> Policy:
    policy = state_machine_policy(scope, job_name_prefix=prefix, job_role_arn=job_role_arn,
                                  event_bus_name=common.RUN_EVENT_BUS, capture_s3_uri=capture_s3_uri)
    statements: list[dict[str, Any]] = [*policy["Statement"], {
        "Sid": "DeliverExecutionLogs", "Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"}]
    return {**policy, "Statement": statements}


class ProcessingJobEngine:
    """Builds the processingJob engine's resources for one monitor."""

    def build(self, ctx: BuildContext) -> EngineResult:
        common.check_spec(ctx)
        return common.build_runs(ctx, self._run)

    def _run(self, ctx: BuildContext, kind: common.RunKind, dead_letter: sqs.Queue) -> pulumi.Output[str]:
        scope = common.aws_scope(ctx)
        repository = common.image_repository_arn(ctx)
        code = ctx.analyzer_code_s3_uri if ctx.analyzer_code_s3_uri is not None else ""
        job_policy = pulumi.Output.all(
            scope, common.capture_prefix(ctx), common.results_uri(ctx, kind), ctx.statistics_s3_uri,
            ctx.constraints_s3_uri, repository, code, *common.kms_key_arns(ctx),
        ).apply(lambda v: json.dumps(common.with_kind_grants(common.with_capture_key(
            analyzer_policy(v[0], job_access(ctx, kind, v)), ctx, v[0]), ctx, kind, v[0])))
        job_role = common.role(ctx, f"{kind.key}-job", trust=sagemaker_trust, policy=job_policy)
        logs = cloudwatch.LogGroup(
            f"{ctx.names.logical}-{kind.key}-run-logs", name=f"/aws/vendedlogs/states/{machine_name(ctx, kind)}",
            retention_in_days=common.LOG_RETENTION_DAYS, tags=ctx.tags, opts=ctx.opts())
        prefix = jobs_prefix(ctx, kind)
        sharded = kind.key == "dq" and ctx.document.spec.data_quality.instance_count > 1
        states_policy = pulumi.Output.all(scope, job_role, common.capture_prefix(ctx)).apply(
            lambda v: json.dumps(machine_policy(v[0], prefix=prefix, job_role_arn=str(v[1]),
                                                capture_s3_uri=str(v[2]) if sharded else None)))
        name = machine_name(ctx, kind)
        states_role = common.role(ctx, f"{kind.key}-states", trust=lambda scope: states_trust(scope, name),
                                  policy=states_policy)
        machine = sfn.StateMachine(
            f"{ctx.names.logical}-{kind.key}-run", name=name, type="STANDARD", role_arn=states_role,
            definition=pulumi.Output.all(
                ctx.endpoint_name, common.analyzer_image(ctx), job_role, common.capture_prefix(ctx),
                common.results_uri(ctx, kind), ctx.statistics_s3_uri, ctx.constraints_s3_uri,
                ctx.platform.kms_key_arn, code, common.clarify_baseline(ctx, kind)).apply(
                lambda v: definition(ctx, kind, v)),
            logging_configuration={"level": LOG_LEVEL, "include_execution_data": False,
                                   "log_destination": logs.arn.apply(lambda arn: f"{arn}:*")},
            tags=ctx.tags, opts=ctx.opts([logs]))
        return common.schedule_runs(ctx, kind, target_arn=machine.arn, target_policy=scheduler_start_execution_policy,
                                    dead_letter=dead_letter)
