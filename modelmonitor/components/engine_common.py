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

from modelmonitor.components import alarms, alarms_clarify, engine_clarify, spec_checks
from modelmonitor.components.context import BuildContext
from modelmonitor.components.engine_environment import analyzer_knobs, label_delay_seconds
from modelmonitor.components.engine_model_monitor import EngineResult
from modelmonitor.components.engine_policies import SCHEDULE_GROUP, AwsScope, Policy, scheduler_trust
from modelmonitor.components.names import inline_policy_logical
from modelmonitor.components.policies import ecr_repository_arn_of_image, kms_statements
from modelmonitor.components.provided_images import provided_processing_image
from modelmonitor.components.spec_checks import MonitorConfigError
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
    "record_preprocessor_script", "analysis_config", "attribution_endpoint", "capture_kind", "batch_content_type",
    "batch_accept", "min_ground_truth_coverage"})


def preprocessor_reads(ctx: BuildContext) -> list[str]:
    """The record preprocessor script our analyzer loads (`spec.payload.preprocessorS3Uri`), read as a baseline."""
    uri = ctx.document.spec.payload.preprocessor_s3_uri
    return [uri] if uri is not None else []


@dataclass(frozen=True)
class RunKind:
    """One monitoring type of one monitor, as our engines run it."""

    key: Literal["dq", "mq", "mb", "fa"]
    monitoring_type: Literal["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
    results: Literal["data-quality", "model-quality", "model-bias", "feature-attribution"]
    schedule: str
    """The spec's schedule (hourly, daily@H, ...)."""
    schedule_name: str
    """The Scheduler schedule's name and the `MonitoringSchedule` metric dimension."""
    namespace: str

    @property
    def period_seconds(self) -> int:
        return schedule_period_seconds(self.schedule)

    @property
    def output_key(self) -> str:
        return {"dq": "dataQuality", "mq": "modelQuality", "mb": "modelBias", "fa": "featureAttribution"}[self.key]

    @property
    def labelled(self) -> bool:
        """Joins ground truth (model quality, bias drift)."""
        return self.key in ("mq", "mb")

    @property
    def clarify(self) -> bool:
        """Runs on Clarify's analysis configuration (bias drift, feature attribution drift)."""
        return self.key in ("mb", "fa")


def run_kinds(ctx: BuildContext) -> list[RunKind]:
    spec = ctx.document.spec
    kinds = []
    if spec.data_quality.enabled:
        kinds.append(RunKind("dq", "DataQuality", "data-quality", spec.data_quality.schedule,
                             ctx.names.data_quality_schedule, alarms.OWN_DATA_METRICS_NAMESPACE))
    if spec.model_quality.enabled:
        kinds.append(RunKind("mq", "ModelQuality", "model-quality", spec.model_quality.schedule,
                             ctx.names.model_quality_schedule, alarms.OWN_MODEL_METRICS_NAMESPACE))
    if spec.model_bias.enabled:
        kinds.append(RunKind("mb", "ModelBias", "model-bias", spec.model_bias.schedule,
                             ctx.names.model_bias_schedule, alarms_clarify.OWN_NAMESPACES["ModelBias"]))
    if spec.feature_attribution.enabled:
        kinds.append(RunKind("fa", "ModelExplainability", "feature-attribution", spec.feature_attribution.schedule,
                             ctx.names.feature_attribution_schedule,
                             alarms_clarify.OWN_NAMESPACES["ModelExplainability"]))
    return kinds


def check_spec(ctx: BuildContext) -> None:
    """What our engines cannot honour is refused (capture modes) or said (settings of the modelMonitor engine)."""
    spec = ctx.document.spec
    if spec.data_quality.enabled and spec.data_quality.analyzer == "builtin":
        pulumi.log.warn(f"{ctx.monitor}: spec.dataQuality.analyzer builtin applies to engine modelMonitor only; "
                        f"engine {spec.engine} runs our analyzer", resource=ctx.parent)
    check_capture_modes(spec)
    spec_checks.check_engine(spec)


def check_capture_modes(spec: ModelMonitorSpec) -> None:
    """What we capture is ours to check; an existing endpoint's capture settings are not visible here."""
    if spec.endpoint is None or spec.endpoint.create is None:
        return
    for section, enabled, needs in (("modelBias", spec.model_bias.enabled, "captureOutput"),
                                    ("featureAttribution", spec.feature_attribution.enabled, "captureInput")):
        captured = spec.data_capture.capture_output if needs == "captureOutput" else spec.data_capture.capture_input
        if enabled and not captured:
            raise MonitorConfigError(f"spec.{section} needs the endpoint's captures: set "
                                     f"spec.dataCapture.{needs}: true or disable {section}")
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
            if kind.clarify:
                engine_clarify.upload_analysis_config(ctx, kind.results, kind.monitoring_type)
            schedule_arns[kind.output_key] = build_run(ctx, kind, dead_letter)
    return engine_result(kinds, schedule_arns, dead_letter_queue_name(ctx) if kinds else None)


def engine_result(kinds: list[RunKind], schedule_arns: dict[str, pulumi.Output[str]],
                  dead_letter: str | None = None) -> EngineResult:
    by_key = {kind.key: kind.schedule_name for kind in kinds}
    return EngineResult(dead_letter_queue=dead_letter,
        clarify_schedules={kind.monitoring_type: (kind.schedule_name, kind.namespace) for kind in kinds
                           if kind.clarify},
        data_quality_schedule=by_key.get("dq"), model_quality_schedule=by_key.get("mq"), schedule_arns=schedule_arns,
        data_quality_heartbeat_metric=RUN_COMPLETED_METRIC, model_quality_heartbeat_metric=RUN_COMPLETED_METRIC,
        data_metrics_namespace=alarms.OWN_DATA_METRICS_NAMESPACE,
        model_metrics_namespace=alarms.OWN_MODEL_METRICS_NAMESPACE, ground_truth_coverage_metric=True,
        records_metric=True)


def analyzer_image(ctx: BuildContext) -> pulumi.Input[str]:
    """The processing image: `spec.engineSettings.analyzerImage`, else AWS's provided image that runs our code
    bundle (`provided_images`; no image of ours to build)."""
    return ctx.document.spec.engine_settings.analyzer_image or provided_processing_image(ctx.platform.region)


def image_repository_arn(ctx: BuildContext) -> pulumi.Input[str]:
    """The ECR repository the job role pulls the analyzer image from: that of `analyzerImage` ("" when it is not
    in ECR, and for AWS's provided images, which SageMaker pulls without the role's permission)."""
    prebuilt = ctx.document.spec.engine_settings.analyzer_image
    if prebuilt is None:
        return ""
    return ecr_repository_arn_of_image(prebuilt, ctx.platform.partition) or ""


def variant_name(spec: ModelMonitorSpec) -> str:
    if spec.endpoint_source.existing is not None:
        return spec.endpoint_source.existing.variant_name
    assert spec.endpoint_source.create is not None
    return spec.endpoint_source.create.variant_name


def capture_prefix(ctx: BuildContext) -> pulumi.Output[str]:
    """`{DestinationS3Uri}/{endpoint}/{variant}`: where SageMaker writes this variant's `yyyy/mm/dd/hh/` captures;
    a batch transform source's DestinationS3Uri itself (its manifests are below it)."""
    spec = ctx.document.spec
    if spec.batch_transform is not None:
        return pulumi.Output.from_input(spec.batch_transform.destination_s3_uri.rstrip("/"))
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
    if kind.labelled:
        truth = kind_ground_truth(ctx, kind)
        assert truth is not None
        env["ground_truth_source"] = truth.rstrip("/")
        env["label_delay_seconds"] = str(label_delay_seconds(spec, kind.monitoring_type))
    if kind.clarify:
        env["analysis_config"] = results_uri(ctx, kind).apply(lambda uri: engine_clarify.config_uri(uri, kind.results))
        baseline = engine_clarify.run_baseline(ctx, kind.monitoring_type)
        if baseline is not None:
            env["baseline_constraints"] = baseline
    return env


def processing_settings(spec: ModelMonitorSpec, kind: RunKind) -> tuple[str, int, int]:
    """(instance type, instance count, max runtime) of a processing job running this kind."""
    if kind.key == "dq":
        dq = spec.data_quality
        return dq.instance_type, dq.instance_count, dq.max_runtime_seconds
    if kind.key == "mq":
        return spec.model_quality.instance_type, 1, spec.model_quality.max_runtime_seconds
    if kind.key == "mb":
        return spec.model_bias.instance_type, 1, spec.model_bias.max_runtime_seconds
    return spec.feature_attribution.instance_type, 1, spec.feature_attribution.max_runtime_seconds


def job_environment(ctx: BuildContext, kind: RunKind, results: str, baseline: str | None = None) -> dict[str, str]:
    """The processing job's analyzer settings: the kind's knobs, and a bias/attribution run's configuration and
    baseline analysis (`clarify_baseline`, resolved)."""
    settings = kind_settings(ctx.document.spec, kind)
    if kind.clarify:
        settings.update(engine_clarify.clarify_settings(results, kind.results, baseline))
    return settings


def clarify_baseline(ctx: BuildContext, kind: RunKind) -> pulumi.Input[str]:
    """A bias/attribution run's baseline analysis ("" when none): an input of whatever renders the run, so a
    baseline computed at deploy time is complete before the run exists."""
    baseline = engine_clarify.run_baseline(ctx, kind.monitoring_type) if kind.clarify else None
    return baseline if baseline is not None else ""


def kind_ground_truth(ctx: BuildContext, kind: RunKind) -> str | None:
    """The ground-truth prefix a labelled run joins (the spec requires it when the type is enabled)."""
    spec = ctx.document.spec
    section = spec.model_bias if kind.key == "mb" else spec.model_quality if kind.key == "mq" else None
    return section.ground_truth_s3_uri if section is not None else None


def kind_reads(ctx: BuildContext, kind: RunKind, results: str, statistics: str, constraints: str) -> list[str]:
    """What a run reads besides captures and ground truth: the baseline (data quality), the analysis configuration
    and baseline analysis (bias, attribution), the record preprocessor."""
    reads = [*preprocessor_reads(ctx)]
    if kind.key == "dq":
        reads += [statistics, constraints]
    if kind.clarify:
        reads.append(engine_clarify.config_prefix(results, kind.results))
        baseline = engine_clarify.baseline_analysis(ctx.document.spec, kind.monitoring_type)
        if baseline is not None:
            reads.append(baseline)
    return reads


def with_kind_grants(policy: Policy, ctx: BuildContext, kind: RunKind, scope: AwsScope) -> Policy:
    """Attribution calls the model: InvokeEndpoint on exactly the endpoint it calls."""
    if kind.key != "fa":
        return policy
    endpoint = engine_clarify.attribution_endpoint(ctx.document.spec, ctx.document.monitored_endpoint)
    return engine_clarify.with_invoke_endpoint(policy, scope, endpoint)


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
        description=f"ModelMonitor {ctx.monitor}: {kind.monitoring_type} run of "
                    + (f"endpoint {ctx.document.monitored_endpoint}" if ctx.document.monitored_endpoint
                       else "batch transform jobs"),
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
