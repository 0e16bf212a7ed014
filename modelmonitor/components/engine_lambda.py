"""Engine `lambda`: EventBridge Scheduler → our analyzer as a Lambda function, per run kind.

Per monitoring type (data quality; model quality when enabled): a log group with retention, the function's own
least-privilege role (`engine_policies.analyzer_policy`), the function (a zip package on AWS's managed AWS SDK for
pandas layer — no image to build, `modelmonitor.packaging` — or the image `engineSettings.analyzerImage` names;
memory/timeout from `engineSettings`, the run environment of internal-contracts §5), and
a Scheduler schedule invoking it with `{"scheduledTime": …}` (flexible window off, retries, dead-letter queue,
a role that may invoke only this function). The analyzer derives the window from the firing time and refuses a
window larger than `max_window_mb` with a message naming processingJob, never sampling silently.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi_aws import cloudwatch, lambda_, sqs

from modelmonitor.components import engine_common as common
from modelmonitor.components import engine_names
from modelmonitor.components.context import BuildContext
from modelmonitor.components.engine_model_monitor import EngineResult
from modelmonitor.components.engine_policies import AnalyzerAccess, AwsScope, analyzer_policy, lambda_trust
from modelmonitor.components.engine_policies import scheduler_invoke_lambda_policy as invoke_policy
from modelmonitor.components.spec_checks import MonitorConfigError
from modelmonitor.packaging import layers, locate
from modelmonitor.packaging.lambda_zip import LAMBDA_PYTHON

LAMBDA_SCHEDULER_INPUT = json.dumps({"scheduledTime": "<aws.scheduler.scheduled-time>"})
"""The analyzer handler's event: EventBridge Scheduler substitutes the firing time (UTC, ISO-8601)."""
HANDLER = "modelmonitor.analyzer.entry.lambda_handler.handler"
LAMBDA_ENTRYPOINT = "/lambda-entrypoint.sh"
"""The analyzer image's ENTRYPOINT is the BYOC/Processing entrypoint (docker/analyzer/Dockerfile); as a Lambda
function it must start the base image's runtime interface client with the handler instead."""
ENGINE = "lambda"
ARCHITECTURE: layers.Architecture = "x86_64"
RUNTIME = f"python{LAMBDA_PYTHON}"
ASYNC_RETRIES = 0
MAX_EVENT_AGE_SECONDS = 3600


# Lambda refuses to set these (its runtime owns them): https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
LAMBDA_RESERVED_PREFIXES = ("AWS_", "_HANDLER", "_X_AMZN_TRACE_ID", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")


def check_lambda_environment(ctx: BuildContext) -> None:
    reserved = sorted(k for k in ctx.document.spec.data_quality.environment if k.startswith(LAMBDA_RESERVED_PREFIXES))
    if reserved:
        raise MonitorConfigError(f"spec.dataQuality.environment: {', '.join(reserved)} are reserved by Lambda's "
                                 "runtime (engine lambda); remove them or use engine processingJob")


def function_name(ctx: BuildContext, kind: common.RunKind) -> str:
    """`run-now` invokes the function by this name: `engine_names` owns it."""
    return engine_names.analyzer_function(ctx.names, kind.monitoring_type,
                                          engine_names.analyzer_package_type(ctx.document.spec))


def package_args(ctx: BuildContext) -> dict[str, Any]:
    """The function's code: the image `engineSettings.analyzerImage` names, else the zip package and the layer
    that carries numpy and pyarrow (refused, naming the setting, where either is missing)."""
    image = ctx.document.spec.engine_settings.analyzer_image
    if image is not None:
        return {"package_type": "Image", "image_uri": image,
                "image_config": {"entry_points": [LAMBDA_ENTRYPOINT], "commands": [HANDLER]}}
    layer = layers.pandas_layer_arn(ctx.platform.region, LAMBDA_PYTHON, ARCHITECTURE)
    code = pulumi.FileArchive(str(locate.lambda_package(ARCHITECTURE)))
    return {"package_type": "Zip", "runtime": RUNTIME, "handler": HANDLER, "code": code, "layers": [layer]}


def log_group_name(ctx: BuildContext, kind: common.RunKind) -> str:
    return f"/aws/lambda/{function_name(ctx, kind)}"


def analyzer_access(ctx: BuildContext, kind: common.RunKind, values: list[object]) -> AnalyzerAccess:
    """values: capture prefix, results URI, statistics, constraints, log group ARN, KMS key ARNs..."""
    capture, results, statistics, constraints, log_group, *keys = (str(v) for v in values)
    return AnalyzerAccess(
        capture_s3_uri=capture, results_s3_uri=results, metrics_namespace=kind.namespace,
        baseline_s3_uris=common.kind_reads(ctx, kind, results, statistics, constraints),
        ground_truth_s3_uri=common.kind_ground_truth(ctx, kind),
        event_bus_name=common.RUN_EVENT_BUS, log_group_arns=[f"{log_group}:*"], kms_key_arns=keys)


class LambdaEngine:
    """Builds the lambda engine's resources for one monitor."""

    def build(self, ctx: BuildContext) -> EngineResult:
        common.check_spec(ctx)
        check_lambda_environment(ctx)
        return common.build_runs(ctx, self._run)

    def _run(self, ctx: BuildContext, kind: common.RunKind, dead_letter: sqs.Queue) -> pulumi.Output[str]:
        settings = ctx.document.spec.engine_settings
        name = function_name(ctx, kind)
        logs = cloudwatch.LogGroup(f"{ctx.names.logical}-{kind.key}-analyzer-logs", name=log_group_name(ctx, kind),
                                   retention_in_days=common.LOG_RETENTION_DAYS, tags=ctx.tags, opts=ctx.opts())
        scope = common.aws_scope(ctx)
        policy = pulumi.Output.all(
            scope, dead_letter.arn, common.capture_prefix(ctx), common.results_uri(ctx, kind), ctx.statistics_s3_uri,
            ctx.constraints_s3_uri, logs.arn, *common.kms_key_arns(ctx),
        ).apply(lambda v: self._policy(ctx, kind, v))
        role_arn = common.role(ctx, f"{kind.key}-analyzer", trust=lambda _: lambda_trust(), policy=policy)
        function = lambda_.Function(
            f"{ctx.names.logical}-{kind.key}-analyzer", name=name, **package_args(ctx), role=role_arn,
            architectures=[ARCHITECTURE], memory_size=settings.lambda_memory_mb,
            timeout=settings.lambda_timeout_seconds,
            environment={"variables": common.run_environment(ctx, kind, engine=ENGINE)},
            description=f"ModelMonitor analyzer: {kind.monitoring_type} of {ctx.monitor}",
            tags=ctx.tags, opts=ctx.opts([logs]))
        # Scheduler invokes asynchronously: a run that fails is not retried by Lambda (it already emitted its
        # Failed run event; re-running a deterministic failure, e.g. a window too large, only burns 15 minutes
        # again) and its event — the firing time, enough to re-drive the run — goes to the dead-letter queue.
        lambda_.FunctionEventInvokeConfig(
            f"{ctx.names.logical}-{kind.key}-analyzer-invoke", function_name=function.name,
            maximum_retry_attempts=ASYNC_RETRIES, maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            destination_config={"on_failure": {"destination": dead_letter.arn}}, opts=ctx.opts())
        return common.schedule_runs(ctx, kind, target_arn=function.arn, target_policy=invoke_policy,
                                    dead_letter=dead_letter, input_json=LAMBDA_SCHEDULER_INPUT)

    @staticmethod
    def _policy(ctx: BuildContext, kind: common.RunKind, values: list[object]) -> str:
        """values: scope, dead-letter queue ARN, then analyzer_access's values."""
        scope = values[0]
        assert isinstance(scope, AwsScope)
        policy = common.with_capture_key(analyzer_policy(scope, analyzer_access(ctx, kind, values[2:])), ctx, scope)
        policy = common.with_kind_grants(policy, ctx, kind, scope)
        return json.dumps(common.with_dead_letter(policy, str(values[1])))
