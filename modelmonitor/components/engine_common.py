"""What the `lambda` and `processingJob` engines share: the analyzer image, the capture prefix, the run environment
(internal-contracts §5), and the EventBridge Scheduler wiring (schedule, its role, the runs' dead-letter queue).

Both engines run our analyzer once per schedule period and per monitoring type ("run kind": data quality, model
quality); each run kind gets its own schedule named like the modelMonitor engine's MonitoringSchedule, so the
`MonitoringSchedule` metric dimension, the results path and the alarms are the same under every engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi_aws import iam, scheduler, sqs

from modelmonitor.components import alarms
from modelmonitor.components.context import BuildContext, MonitorConfigError
from modelmonitor.components.engine_environment import analyzer_knobs, label_delay_seconds
from modelmonitor.components.engine_model_monitor import EngineResult
from modelmonitor.components.engine_policies import SCHEDULE_GROUP, AwsScope, Policy, scheduler_trust
from modelmonitor.components.names import inline_policy_logical
from modelmonitor.components.policies import ecr_repository_arn_of_image, kms_statements
from modelmonitor.components.stepfunctions import CAPTURE_DATASET_FORMAT, schedule_expression, scheduler_target
from modelmonitor.spec import ModelMonitorSpec, schedule_period_seconds

LOG_RETENTION_DAYS = 30
DLQ_RETENTION_SECONDS = 14 * 86400  # SQS's maximum: a dead-lettered run stays inspectable for two weeks
RUN_EVENT_BUS = "default"
RUN_COMPLETED_METRIC = alarms.RUN_COMPLETED_METRIC
# Set from the spec by the engines; the user's extra environment may not override them.
RESERVED_ENVIRONMENT = frozenset({
    "dataset_format", "dataset_source", "output_path", "baseline_statistics", "baseline_constraints",
    "publish_cloudwatch_metrics", "cloudwatch_metrics_namespace", "sagemaker_endpoint_name",
    "sagemaker_monitoring_schedule_name", "start_time", "end_time", "monitoring_type", "modelmonitor_monitor",
    "modelmonitor_engine", "run_event_bus_name", "drift_methods", "comparison_method", "drift_threshold",
    "categorical_drift_threshold", "max_window_mb", "schedule_period_seconds", "ground_truth_source",
    "evaluation_time", "problem_type", "inference_attribute", "probability_attribute",
    "probability_threshold_attribute", "label_delay_seconds", "analysis_stage", "kll_k", "kll_c", "payload_mapping",
    "record_preprocessor_script"})


def preprocessor_reads(ctx: BuildContext) -> list[str]:
    """The record preprocessor script our analyzer loads (`spec.payload.preprocessorS3Uri`), read as a baseline."""
    uri = ctx.document.spec.payload.preprocessor_s3_uri
    return [uri] if uri is not None else []


@dataclass(frozen=True)
class RunKind:
    """One monitoring type of one monitor, as our engines run it."""

    key: Literal["dq", "mq"]
    monitoring_type: Literal["DataQuality", "ModelQuality"]
    results: Literal["data-quality", "model-quality"]
    schedule: str
    """The spec's schedule (hourly, daily@H, ...)."""
    schedule_name: str
    """The Scheduler schedule's name and the `MonitoringSchedule` metric dimension."""
    namespace: str

    @property
    def period_seconds(self) -> int:
        return schedule_period_seconds(self.schedule)

    @property
    def output_key(self) -> Literal["dataQuality", "modelQuality"]:
        return "dataQuality" if self.key == "dq" else "modelQuality"


def run_kinds(ctx: BuildContext) -> list[RunKind]:
    spec = ctx.document.spec
    kinds = []
    if spec.data_quality.enabled:
        kinds.append(RunKind("dq", "DataQuality", "data-quality", spec.data_quality.schedule,
                             ctx.names.data_quality_schedule, alarms.OWN_DATA_METRICS_NAMESPACE))
    if spec.model_quality.enabled:
        kinds.append(RunKind("mq", "ModelQuality", "model-quality", spec.model_quality.schedule,
                             ctx.names.model_quality_schedule, alarms.OWN_MODEL_METRICS_NAMESPACE))
    return kinds


def check_spec(ctx: BuildContext) -> None:
    """What our engines cannot honour is refused (capture modes) or said (settings of the modelMonitor engine)."""
    spec = ctx.document.spec
    if spec.data_quality.enabled and spec.data_quality.analyzer == "builtin":
        pulumi.log.warn(f"{ctx.monitor}: spec.dataQuality.analyzer builtin applies to engine modelMonitor only; "
                        f"engine {spec.engine} runs our analyzer", resource=ctx.parent)
    check_capture_modes(spec)


def check_capture_modes(spec: ModelMonitorSpec) -> None:
    """What we capture is ours to check; an existing endpoint's capture settings are not visible here."""
    if spec.endpoint_source.create is None:
        return
    if spec.data_quality.enabled and not spec.data_capture.capture_input:
        raise MonitorConfigError("spec.dataQuality needs the endpoint's requests: set spec.dataCapture.captureInput: "
                                 "true or disable dataQuality")
    if spec.model_quality.enabled and not spec.data_capture.capture_output:
        raise MonitorConfigError("spec.modelQuality needs the endpoint's predictions: set "
                                 "spec.dataCapture.captureOutput: true or disable modelQuality")


RunBuilder = Callable[[BuildContext, "RunKind", sqs.Queue], pulumi.Output[str]]


def build_runs(ctx: BuildContext, build_run: RunBuilder) -> EngineResult:
    """One scheduled run per monitoring kind, sharing the monitor's dead-letter queue."""
    kinds = run_kinds(ctx)
    schedule_arns: dict[str, pulumi.Output[str]] = {}
    if kinds:
        dead_letter = dead_letter_queue(ctx)
        for kind in kinds:
            schedule_arns[kind.output_key] = build_run(ctx, kind, dead_letter)
    return engine_result(kinds, schedule_arns, dead_letter_queue_name(ctx) if kinds else None)


def engine_result(kinds: list[RunKind], schedule_arns: dict[str, pulumi.Output[str]],
                  dead_letter: str | None = None) -> EngineResult:
    by_key = {kind.key: kind.schedule_name for kind in kinds}
    return EngineResult(dead_letter_queue=dead_letter,
        data_quality_schedule=by_key.get("dq"), model_quality_schedule=by_key.get("mq"), schedule_arns=schedule_arns,
        data_quality_heartbeat_metric=RUN_COMPLETED_METRIC, model_quality_heartbeat_metric=RUN_COMPLETED_METRIC,
        data_metrics_namespace=alarms.OWN_DATA_METRICS_NAMESPACE,
        model_metrics_namespace=alarms.OWN_MODEL_METRICS_NAMESPACE, ground_truth_coverage_metric=True,
        records_metric=True)


def analyzer_image(ctx: BuildContext) -> pulumi.Input[str]:
    """`spec.engineSettings.analyzerImage`, else the Platform's image (built and pushed into its ECR repository)."""
    return ctx.document.spec.engine_settings.analyzer_image or ctx.platform.analyzer_image_uri


def image_repository_arn(ctx: BuildContext) -> pulumi.Input[str]:
    """The ECR repository SageMaker pulls the analyzer image from ("" when a prebuilt image is not in ECR)."""
    prebuilt = ctx.document.spec.engine_settings.analyzer_image
    if prebuilt is None:
        return ctx.platform.analyzer_repository_arn
    return ecr_repository_arn_of_image(prebuilt, ctx.platform.partition) or ""


def variant_name(spec: ModelMonitorSpec) -> str:
    if spec.endpoint_source.existing is not None:
        return spec.endpoint_source.existing.variant_name
    assert spec.endpoint_source.create is not None
    return spec.endpoint_source.create.variant_name


def capture_prefix(ctx: BuildContext) -> pulumi.Output[str]:
    """`{DestinationS3Uri}/{endpoint}/{variant}`: where SageMaker writes this variant's `yyyy/mm/dd/hh/` captures."""
    spec = ctx.document.spec
    destination: pulumi.Input[str] = (spec.data_capture.destination_s3_uri.rstrip("/")
                                      if spec.data_capture.destination_s3_uri is not None
                                      else ctx.locations.apply(lambda loc: loc.captures))
    variant = variant_name(spec)
    return pulumi.Output.all(destination, ctx.endpoint_name).apply(lambda v: f"{v[0]}/{v[1]}/{variant}")


def results_uri(ctx: BuildContext, kind: RunKind) -> pulumi.Output[str]:
    return ctx.locations.apply(lambda loc: loc.results(kind.results))


def user_environment(environment: dict[str, str]) -> dict[str, str]:
    clash = sorted(RESERVED_ENVIRONMENT & environment.keys())
    if clash:
        raise MonitorConfigError(
            f"spec.dataQuality.environment must not set {', '.join(clash)}: ModelMonitor sets them from the spec")
    return dict(environment)


def kind_settings(spec: ModelMonitorSpec, kind: RunKind) -> dict[str, str]:
    """The analysis knobs of this run kind: the one pure builder the analyzer's runtime is tested against
    (engine_environment.analyzer_knobs), after refusing user variables that would override ours."""
    if kind.key == "dq":
        user_environment(spec.data_quality.environment)
    return analyzer_knobs(spec, kind.monitoring_type)


def run_environment(ctx: BuildContext, kind: RunKind, *, engine: str) -> dict[str, pulumi.Input[str]]:
    """The complete environment of a run whose window the analyzer derives itself from the firing time (lambda):
    internal-contracts §5 plus the engine's own variables."""
    spec = ctx.document.spec
    env: dict[str, pulumi.Input[str]] = {
        **kind_settings(spec, kind),
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": capture_prefix(ctx),
        "output_path": results_uri(ctx, kind),
        "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_metrics_namespace": kind.namespace,
        "sagemaker_endpoint_name": ctx.endpoint_name,
        "sagemaker_monitoring_schedule_name": kind.schedule_name,
        "monitoring_type": kind.monitoring_type,
        "modelmonitor_monitor": ctx.monitor,
        "modelmonitor_engine": engine,
        "run_event_bus_name": RUN_EVENT_BUS,
        "max_window_mb": str(spec.engine_settings.max_lambda_window_mb),
        "schedule_period_seconds": str(kind.period_seconds),
    }
    if kind.key == "dq":
        env["baseline_statistics"] = ctx.statistics_s3_uri
        env["baseline_constraints"] = ctx.constraints_s3_uri
    else:
        assert spec.model_quality.ground_truth_s3_uri is not None
        env["ground_truth_source"] = spec.model_quality.ground_truth_s3_uri.rstrip("/")
        env["label_delay_seconds"] = str(label_delay_seconds(spec))
    return env


def aws_scope(ctx: BuildContext) -> pulumi.Output[AwsScope]:
    partition, region = ctx.platform.partition, ctx.platform.region
    return pulumi.Output.from_input(ctx.platform.account_id).apply(
        lambda account: AwsScope(account_id=str(account), region=region, partition=partition))


def role(ctx: BuildContext, suffix: str, *, trust: Callable[[AwsScope], Policy],
         policy: pulumi.Input[str]) -> pulumi.Output[str]:
    """An IAM role with the trust policy AWS documents for its service principal (`engine_policies.*_trust`) and
    one inline policy; the ARN resolves only once the policy exists."""
    document = aws_scope(ctx).apply(lambda scope: json.dumps(trust(scope)))
    logical = f"{ctx.names.logical}-{suffix}-role"
    created = iam.Role(logical, name=f"{ctx.names.base}-{suffix}", assume_role_policy=document, tags=ctx.tags,
                       opts=ctx.opts())
    attached = iam.RolePolicy(inline_policy_logical(logical), role=created.id, policy=policy, opts=ctx.opts())
    return pulumi.Output.all(created.arn, attached.id).apply(lambda v: str(v[0]))


def dead_letter_queue_name(ctx: BuildContext) -> str:
    return f"{ctx.names.base}-runs-dlq"


def dead_letter_queue(ctx: BuildContext) -> sqs.Queue:
    """Scheduler invocations that exhaust their retries land here (encrypted, kept two weeks)."""
    return sqs.Queue(f"{ctx.names.logical}-runs-dlq", name=dead_letter_queue_name(ctx), sqs_managed_sse_enabled=True,
                     message_retention_seconds=DLQ_RETENTION_SECONDS, tags=ctx.tags, opts=ctx.opts())


def with_dead_letter(policy: Policy, queue_arn: str) -> Policy:
    """Scheduler delivers to the dead-letter queue with the schedule's execution role."""
    statements: list[dict[str, Any]] = [*policy["Statement"], {
        "Sid": "DeadLetterUndeliveredRuns", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}]
    return {**policy, "Statement": statements}


def schedule_runs(ctx: BuildContext, kind: RunKind, *, target_arn: pulumi.Output[str],
                  target_policy: Callable[[str], Policy], dead_letter: sqs.Queue,
                  input_json: str | None = None, depends_on: list[pulumi.Resource] | None = None
                  ) -> pulumi.Output[str]:
    """EventBridge Scheduler → target (the analyzer Lambda or the state machine): exact firing time (flexible
    window OFF), bounded retries, a dead-letter queue, and a role that may start only this target."""
    policy = pulumi.Output.all(target_arn, dead_letter.arn).apply(
        lambda v: json.dumps(with_dead_letter(target_policy(str(v[0])), str(v[1]))))
    schedule_name = kind.schedule_name
    role_arn = role(ctx, f"{kind.key}-scheduler", trust=scheduler_trust, policy=policy)
    # The builder's shape (CreateSchedule) carries the retry policy and the input; the ARNs are Outputs here.
    shape = scheduler_target("target", "role", dead_letter_arn="dead-letter")
    retry = shape["RetryPolicy"]
    schedule = scheduler.Schedule(
        f"{ctx.names.logical}-{kind.key}-run-schedule", name=schedule_name, group_name=SCHEDULE_GROUP,
        description=f"ModelMonitor {ctx.monitor}: {kind.monitoring_type} run of endpoint "
                    f"{ctx.document.endpoint_name}",
        schedule_expression=schedule_expression(kind.schedule), schedule_expression_timezone="UTC",
        flexible_time_window={"mode": "OFF"}, state="ENABLED",
        target={"arn": target_arn, "role_arn": role_arn, "input": input_json or shape["Input"],
                "retry_policy": {"maximum_event_age_in_seconds": retry["MaximumEventAgeInSeconds"],
                                 "maximum_retry_attempts": retry["MaximumRetryAttempts"]},
                "dead_letter_config": {"arn": dead_letter.arn}},
        opts=ctx.opts(depends_on))
    arn: pulumi.Output[str] = schedule.arn
    return arn


def with_capture_key(policy: Policy, ctx: BuildContext, scope: AwsScope) -> Policy:
    """A capture key named by alias or key id (not an ARN) is granted by IAM's own means (kms:ResourceAliases)."""
    key = ctx.document.spec.data_capture.kms_key_id
    if key is None or (key.startswith("arn:") and ":key/" in key):
        return policy
    extra = kms_statements([key], scope.partition, scope.region, scope.account_id)
    return {**policy, "Statement": [*policy["Statement"], *extra]}


def kms_key_arns(ctx: BuildContext) -> list[pulumi.Input[str]]:
    """Keys the analyzer uses through S3: the platform key (results), and the capture key when given as an ARN."""
    keys: list[pulumi.Input[str]] = [ctx.platform.kms_key_arn]
    capture_key = ctx.document.spec.data_capture.kms_key_id
    if capture_key is not None and capture_key.startswith("arn:") and ":key/" in capture_key:
        keys.append(capture_key)
    return keys
