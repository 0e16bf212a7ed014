"""The `processingJob` engine's Step Functions state machine, as a pure ASL dict (no Pulumi here).

EventBridge Scheduler starts an execution with `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`
(`SCHEDULER_INPUT`); a manual run or backfill passes `{"window_start": ISO, "window_end": ISO}`; with neither,
the execution's start time ends the window. Then:

    ResolveWindow (JSONata: the only ASL dialect with date arithmetic) → PrepareRun (job id = MD5 of the
    execution name, so job names are unique, ≤ 63 chars and SageMaker-safe whatever the execution is called)
    → Analyze (createProcessingJob.sync, our analyzer image, the BYOC run environment of internal-contracts §5)
    → [instanceCount > 1: Merge, a second job combining the shards' partial statistics] → Succeeded.

Errors: SageMaker API errors and throttling are retried with backoff (`Retry`); a job that fails for lack of
capacity (`CapacityError` in its FailureReason) is re-run a bounded number of times after a wait; any other
failure is caught, emits our `Failed` run event (internal-contracts §2) with `events:putEvents`, and ends the
execution Failed. Successful runs emit their run event from the analyzer itself (it knows the violations).

Single-instance runs read the captures straight from S3 (`dataset_source` = the endpoint's capture prefix; the
analyzer lists only the window's hour prefixes), so a long capture history is never downloaded. Sharded runs
mount the window's hour (hourly windows) or day (windows inside one UTC day) prefix with `ShardedByS3Key`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelmonitor.components.processing_code import code_input, container_entrypoint

SCHEDULER_INPUT = json.dumps({"scheduled_time": "<aws.scheduler.scheduled-time>"})
"""EventBridge Scheduler target `Input`: the scheduler substitutes the firing time (UTC, ISO-8601)."""

RUN_EVENT_SOURCE = "modelmonitor"
RUN_EVENT_DETAIL_TYPE = "ModelMonitor Run State Change"
JOB_ID_LENGTH = 32  # hex MD5 of the execution name
MAX_JOB_NAME_PREFIX = 63 - 1 - JOB_ID_LENGTH - 3  # "-{md5}-a{n}", n one digit → 27
SAGEMAKER_API_ERRORS = ("SageMaker.AmazonSageMakerException", "SageMaker.ResourceLimitExceededException",
                        "ThrottlingException")
"""Error names Step Functions reports for failed SageMaker API calls (AWS's Step Functions SageMaker examples
retry these); a job that runs and fails is `States.TaskFailed` and is not retried blindly."""
CAPACITY_FAILURE_PATTERN = "*CapacityError*"
"""SageMaker's FailureReason prefix when no instance could be provisioned; it appears in the error Cause."""

LOCAL_OUTPUT = "/opt/ml/processing/output"
LOCAL_CAPTURES = "/opt/ml/processing/input/endpoint"
LOCAL_PARTIALS = "/opt/ml/processing/input/partials"
LOCAL_BASELINE_STATS = "/opt/ml/processing/baseline/stats"
LOCAL_BASELINE_CONSTRAINTS = "/opt/ml/processing/baseline/constraints"
REGION_ENV = "AWS_DEFAULT_REGION"
"""botocore's environment variable for the region (its config provider reads AWS_DEFAULT_REGION, not AWS_REGION):
the analyzer's CloudWatch and EventBridge clients in a processing job are created without a region."""
ANALYSIS_STAGE_ENV = "analysis_stage"
"""The analyzer's stage switch (`shard` | `merge`; absent = one full pass)."""
CAPTURE_DATASET_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                   "endpointOutput"]}})
_ENV_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
MAX_ENVIRONMENT = 50
_INTRINSIC_RESERVED = re.compile(r"['{}\\]")


SCHEDULE_MINUTE = 10
"""Runs fire 10 minutes past the hour: captures of the window's last minutes are still being flushed to S3 at
HH:00 (the delivery lag is not published; Model Monitor itself starts runs up to 20 minutes late). The window
is floored to the hour, so the offset never shifts it."""


class StateMachineError(ValueError):
    """The arguments cannot make a valid processing-job state machine; the message names the argument."""


@dataclass(frozen=True)
class ProcessingJobMachineArgs:
    monitor: str
    """`{namespace}/{name}`, as in the run event."""
    endpoint_name: str
    schedule_name: str
    """Our schedule's name: the `MonitoringSchedule` metric dimension and the results path segment."""
    job_name_prefix: str
    """≤ 27 chars, SageMaker name pattern (`job_name_prefix()` derives one)."""
    image_uri: str
    job_role_arn: str
    capture_s3_uri: str
    """The endpoint variant's capture prefix: `{DestinationS3Uri}/{endpoint}/{variant}`."""
    results_s3_uri: str
    """Output S3Uri (`s3://{bucket}/results/{ns}/{name}/data-quality`); runs land in
    `{results}/{endpoint}/{schedule}/yyyy/mm/dd/hh/` (internal-contracts §1)."""
    baseline_statistics_s3_uri: str | None = None
    baseline_constraints_s3_uri: str | None = None
    monitoring_type: Literal["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"] = "DataQuality"
    metrics_namespace: str | None = None
    """Default: `ModelMonitor/DataQuality` or `ModelMonitor/ModelQuality` (internal-contracts §4)."""
    ground_truth_s3_uri: str | None = None
    """Model quality (required there): the ground-truth prefix, passed as `ground_truth_source`."""
    window_seconds: int = 3600
    window_end_offset_seconds: int = 0
    """Model quality: the label delay — the window ends this long before the run, whose time is the evaluation
    time (labels collected after it are late)."""
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    volume_size_gb: int = 20
    max_runtime_seconds: int = 3600
    event_bus_name: str = "default"
    environment: Mapping[str, str] = field(default_factory=dict)
    """Extra analyzer environment (drift_methods, comparison_method, thresholds, model-quality attributes...)."""
    volume_kms_key_id: str | None = None
    output_kms_key_id: str | None = None
    code_s3_uri: str | None = None
    """The analyzer's code bundle prefix (`processing_code`) when `image_uri` is an AWS-provided image; None when
    the image is an analyzer image of ours."""
    capacity_retries: int = 2
    capacity_wait_seconds: int = 600
    startup_allowance_seconds: int = 1800
    """Added to MaxRuntimeInSeconds for the task's own timeout: instance provisioning and image pull."""
    partition: str = "aws"
    """The ARN partition of the state machine's region (`aws-cn` in China): service integration ARNs carry it."""
    region: str | None = None
    """The jobs' region, passed to the container as AWS_DEFAULT_REGION (the variable botocore reads; SageMaker
    Processing sets no region for the container)."""


def job_name_prefix(monitor_name: str, *, kind: str = "dq") -> str:
    """A deterministic ≤ 27-char SageMaker-safe prefix: readable head + 6-char hash of the full name."""
    digest = hashlib.sha256(f"{monitor_name}/{kind}".encode()).hexdigest()[:6]
    head = re.sub(r"[^a-zA-Z0-9]+", "-", monitor_name).strip("-")[: MAX_JOB_NAME_PREFIX - len(kind) - 8]
    return f"{head.rstrip('-')}-{kind}-{digest}" if head else f"mm-{kind}-{digest}"


def _validate(args: ProcessingJobMachineArgs) -> None:
    prefix = args.job_name_prefix
    if not (0 < len(prefix) <= MAX_JOB_NAME_PREFIX and _SAGEMAKER_NAME.fullmatch(prefix)):
        raise StateMachineError(
            f"job_name_prefix {prefix!r} must be 1..{MAX_JOB_NAME_PREFIX} chars matching the SageMaker name "
            "pattern (letters, digits, single '-')")
    if not 0 <= args.capacity_retries <= 9:
        raise StateMachineError(f"capacity_retries must be 0..9 (one digit of the job name), got "
                                f"{args.capacity_retries}")
    for name in ("capture_s3_uri", "results_s3_uri", "ground_truth_s3_uri"):
        value = getattr(args, name)
        if value is not None and not value.startswith("s3://"):
            raise StateMachineError(f"{name} must be an s3:// URI, got {value!r}")
        if value is not None and _INTRINSIC_RESERVED.search(value):
            # These URIs are spliced into States.Format literals, where ' { } \ are syntax.
            raise StateMachineError(f"{name} may not contain ' {{ }} or \\ (got {value!r})")
    if (args.monitoring_type in ("ModelQuality", "ModelBias")) != (args.ground_truth_s3_uri is not None):
        raise StateMachineError("ground_truth_s3_uri is required for ModelQuality and ModelBias runs and only for "
                                "them")
    if (args.baseline_statistics_s3_uri is None) != (args.baseline_constraints_s3_uri is None):
        raise StateMachineError("baseline statistics and constraints URIs go together (both or neither)")
    if not 1 <= args.instance_count <= 100:
        raise StateMachineError(f"instance_count must be 1..100, got {args.instance_count}")
    if args.window_end_offset_seconds < 0:
        raise StateMachineError(f"window_end_offset_seconds (label delay) must be >= 0, got "
                                f"{args.window_end_offset_seconds}")
    if args.window_seconds < 3600 or args.window_seconds % 3600:
        raise StateMachineError(f"window_seconds must be a whole number of hours, got {args.window_seconds}")
    if args.instance_count > 1 and 86400 % args.window_seconds:
        raise StateMachineError(
            "sharded runs (instance_count > 1) mount one hour or one UTC day of captures: the window must divide "
            f"24 h (hourly, every 2/3/4/6/8/12 h, or daily at 00:00), got {args.window_seconds} s")
    for key, value in args.environment.items():
        if not _ENV_KEY.fullmatch(key) or len(value) > 256:
            raise StateMachineError(f"environment {key!r}: keys must match [a-zA-Z_][a-zA-Z0-9_]* and values "
                                    "be at most 256 characters")


def _resolve_window_state(window_seconds: int, end_offset_seconds: int, sharded_picture: str) -> dict[str, Any]:
    """JSONata Pass. Explicit window → as given (evaluated `end_offset` after its end). Otherwise the evaluation
    time is the scheduled (or execution start) time floored to the hour, the window ends `end_offset` before it
    (model quality: the label delay) and spans `window_seconds`. Also the window start's `yyyy/mm/dd/hh` (results
    path) and the sharded input's hour or day prefix."""
    expression = (
        "{% ( $in := $states.input;"
        " $explicit := $exists($in.window_start) and $exists($in.window_end);"
        " $fire := $exists($in.scheduled_time) ? $in.scheduled_time : $states.context.Execution.StartTime;"
        f" $evalMs := $explicit ? $toMillis($in.window_end) + {end_offset_seconds * 1000}"
        " : $floor($toMillis($fire) / 3600000) * 3600000;"
        f" $endMs := $explicit ? $toMillis($in.window_end) : $evalMs - {end_offset_seconds * 1000};"
        f" $startMs := $explicit ? $toMillis($in.window_start) : $endMs - {window_seconds * 1000};"
        " {'window_start': $fromMillis($startMs), 'window_end': $fromMillis($endMs),"
        " 'evaluation_time': $fromMillis($evalMs),"
        " 'hour_path': $fromMillis($startMs, '[Y0001]/[M01]/[D01]/[H01]'),"
        f" 'shard_path': $fromMillis($startMs, '{sharded_picture}')}} ) %}}"
    )
    return {"Type": "Pass", "QueryLanguage": "JSONata", "Output": expression, "Next": "PrepareRun"}


def _environment(args: ProcessingJobMachineArgs, stage: Literal["full", "shard", "merge"]) -> dict[str, str]:
    env: dict[str, str] = {
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": args.capture_s3_uri.rstrip("/"),
        "output_path": LOCAL_OUTPUT,
        "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_metrics_namespace": args.metrics_namespace or f"ModelMonitor/{args.monitoring_type}",
        "sagemaker_endpoint_name": args.endpoint_name,
        "sagemaker_monitoring_schedule_name": args.schedule_name,
        "start_time.$": "$.window_start",
        "end_time.$": "$.window_end",
        "monitoring_type": args.monitoring_type,
        "modelmonitor_monitor": args.monitor,
        "modelmonitor_engine": "processingJob",
        "run_event_bus_name": args.event_bus_name,
    }
    if args.region is not None:
        env[REGION_ENV] = args.region
    if args.ground_truth_s3_uri is not None:
        env["ground_truth_source"] = args.ground_truth_s3_uri.rstrip("/")
        env["evaluation_time.$"] = "$.evaluation_time"
    if stage == "shard":
        env["dataset_source"] = LOCAL_CAPTURES
    elif stage == "merge":
        env["dataset_source"] = LOCAL_PARTIALS
    if stage != "full":
        env[ANALYSIS_STAGE_ENV] = stage
    if args.baseline_statistics_s3_uri is not None:
        env["baseline_statistics"] = f"{LOCAL_BASELINE_STATS}/statistics.json"
        env["baseline_constraints"] = f"{LOCAL_BASELINE_CONSTRAINTS}/constraints.json"
    clashes = sorted(set(args.environment) & {k.removesuffix(".$") for k in env})
    if clashes:
        raise StateMachineError(f"environment may not override the run's own variables: {', '.join(clashes)}")
    env.update(args.environment)
    if len(env) > MAX_ENVIRONMENT:
        raise StateMachineError(f"the run environment has {len(env)} entries; SageMaker allows {MAX_ENVIRONMENT}")
    return env


def _s3_input(name: str, uri: str | dict[str, str], local: str, distribution: str) -> dict[str, Any]:
    s3: dict[str, Any] = {"S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": distribution,
                          "LocalPath": local}
    if isinstance(uri, dict):
        s3.update(uri)
    else:
        s3["S3Uri"] = uri
    return {"InputName": name, "S3Input": s3}


def _job_parameters(args: ProcessingJobMachineArgs, stage: Literal["full", "shard", "merge"]) -> dict[str, Any]:
    results_base = f"{args.results_s3_uri.rstrip('/')}/{args.endpoint_name}/{args.schedule_name}"
    partials = {"S3Uri.$": f"States.Format('{results_base}/partials/{{}}/', $.job_id)"}
    inputs: list[dict[str, Any]] = []
    if stage == "shard":
        capture = {"S3Uri.$": f"States.Format('{args.capture_s3_uri.rstrip('/')}/{{}}/', $.shard_path)"}
        inputs.append(_s3_input("captures", capture, LOCAL_CAPTURES, "ShardedByS3Key"))
    elif stage == "merge":
        inputs.append(_s3_input("partials", partials, LOCAL_PARTIALS, "FullyReplicated"))
    if args.baseline_statistics_s3_uri is not None and args.baseline_constraints_s3_uri is not None:
        inputs.append(_s3_input("baseline_statistics", args.baseline_statistics_s3_uri, LOCAL_BASELINE_STATS,
                                "FullyReplicated"))
        inputs.append(_s3_input("baseline_constraints", args.baseline_constraints_s3_uri,
                                LOCAL_BASELINE_CONSTRAINTS, "FullyReplicated"))
    output_uri = (partials if stage == "shard"
                  else {"S3Uri.$": f"States.Format('{results_base}/{{}}/', $.hour_path)"})
    output: dict[str, Any] = {"OutputName": "partials" if stage == "shard" else "results",
                              "S3Output": {**output_uri, "LocalPath": LOCAL_OUTPUT, "S3UploadMode": "EndOfJob"}}
    cluster: dict[str, Any] = {"InstanceCount": args.instance_count if stage == "shard" else 1,
                               "InstanceType": args.instance_type, "VolumeSizeInGB": args.volume_size_gb}
    if args.volume_kms_key_id:
        cluster["VolumeKmsKeyId"] = args.volume_kms_key_id
    output_config: dict[str, Any] = {"Outputs": [output]}
    if args.output_kms_key_id:
        output_config["KmsKeyId"] = args.output_kms_key_id
    letter = "m" if stage == "merge" else "a"
    parameters: dict[str, Any] = {
        "ProcessingJobName.$": f"States.Format('{args.job_name_prefix}-{{}}-{letter}{{}}', $.job_id, $.attempt.n)",
        "RoleArn": args.job_role_arn,
        "AppSpecification": app_specification(args.image_uri, args.code_s3_uri),
        "ProcessingResources": {"ClusterConfig": cluster},
        "StoppingCondition": {"MaxRuntimeInSeconds": args.max_runtime_seconds},
        "ProcessingOutputConfig": output_config,
        "Environment": _environment(args, stage),
        "Tags": [{"Key": "modelmonitor:monitor", "Value": args.monitor.replace("/", ".")},
                 {"Key": "modelmonitor:engine", "Value": "processingJob"}],
    }
    if args.code_s3_uri is not None:
        inputs.append(code_input(args.code_s3_uri))
    if inputs:
        parameters["ProcessingInputs"] = inputs
    return parameters


def app_specification(image_uri: str, code_s3_uri: str | None) -> dict[str, Any]:
    """Our image runs its own ENTRYPOINT; an AWS-provided image runs the code bundle's (`processing_code`)."""
    if code_s3_uri is None:
        return {"ImageUri": image_uri}
    return {"ImageUri": image_uri, "ContainerEntrypoint": container_entrypoint()}


def _job_task(args: ProcessingJobMachineArgs, stage: Literal["full", "shard", "merge"], next_state: str,
              result_path: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": f"arn:{args.partition}:states:::sagemaker:createProcessingJob.sync",
        "Parameters": _job_parameters(args, stage),
        "TimeoutSeconds": args.max_runtime_seconds + args.startup_allowance_seconds,
        "ResultSelector": {"ProcessingJobName.$": "$.ProcessingJobName", "ProcessingJobArn.$": "$.ProcessingJobArn",
                           "ProcessingJobStatus.$": "$.ProcessingJobStatus"},
        "ResultPath": result_path,
        "Retry": [{"ErrorEquals": list(SAGEMAKER_API_ERRORS), "IntervalSeconds": 15, "MaxAttempts": 5,
                   "BackoffRate": 2.0, "MaxDelaySeconds": 300, "JitterStrategy": "FULL"}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ClassifyFailure"}],
        "Next": next_state,
    }


def capture_location(args: ProcessingJobMachineArgs) -> tuple[str, str]:
    """(bucket, key prefix without slashes) of the capture prefix."""
    bucket, _, prefix = args.capture_s3_uri.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def _empty_window_states(args: ProcessingJobMachineArgs) -> dict[str, Any]:
    """Sharded runs mount the window's prefix with ShardedByS3Key, and SageMaker refuses an S3 input whose prefix
    holds no object: the run would fail instead of reporting `records_analyzed = 0`, and the no-captures alarm
    could never fire. So the prefix is listed first (one key is enough); an empty window runs the single-instance
    job, which reads S3 itself and reports the empty window like any other run."""
    bucket, prefix = capture_location(args)
    list_prefix = f"{prefix}/{{}}/" if prefix else "{}/"
    return {
        "CheckCaptures": {
            "Type": "Task",
            "Resource": f"arn:{args.partition}:states:::aws-sdk:s3:listObjectsV2",
            "Parameters": {"Bucket": bucket, "Prefix.$": f"States.Format('{list_prefix}', $.shard_path)",
                           "MaxKeys": 1},
            "ResultSelector": {"KeyCount.$": "$.KeyCount"},
            "ResultPath": "$.captures",
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 5, "MaxAttempts": 3,
                       "BackoffRate": 2.0}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ClassifyFailure"}],
            "Next": "HasCaptures",
        },
        "HasCaptures": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.captures.KeyCount", "NumericGreaterThan": 0, "Next": "Analyze"}],
            "Default": "AnalyzeEmptyWindow",
        },
        "AnalyzeEmptyWindow": _job_task(args, "full", "Succeeded", "$.analysis"),
    }


def processing_job_state_machine(args: ProcessingJobMachineArgs) -> dict[str, Any]:
    """The ASL definition (serialise with `json.dumps`)."""
    _validate(args)
    sharded = args.instance_count > 1
    shard_picture = "[Y0001]/[M01]/[D01]/[H01]" if args.window_seconds == 3600 else "[Y0001]/[M01]/[D01]"
    detail = {
        "monitor": args.monitor, "endpoint": args.endpoint_name, "schedule": args.schedule_name,
        "engine": "processingJob", "monitoringType": args.monitoring_type, "status": "Failed",
        "violations": 0, "driftedFeatures": [], "reportUri": None,
        "windowStart.$": "$.window_start", "windowEnd.$": "$.window_end", "evaluationTime.$": "$.evaluation_time",
        "failureReason.$": "States.Format('{}: {}', $.error.Error, $.error.Cause)",
    }
    states: dict[str, Any] = {
        "ResolveWindow": _resolve_window_state(args.window_seconds, args.window_end_offset_seconds, shard_picture),
        "PrepareRun": {
            "Type": "Pass",
            "Parameters": {"window_start.$": "$.window_start", "window_end.$": "$.window_end",
                           "evaluation_time.$": "$.evaluation_time", "hour_path.$": "$.hour_path",
                           "shard_path.$": "$.shard_path",
                           "job_id.$": "States.Hash($$.Execution.Name, 'MD5')", "attempt": {"n": 0}},
            "Next": "CheckCaptures" if sharded else "Analyze",
        },
        "Analyze": _job_task(args, "shard" if sharded else "full", "Merge" if sharded else "Succeeded",
                             "$.analysis"),
        "ClassifyFailure": {
            "Type": "Choice",
            "Choices": [{"And": [{"Variable": "$.error.Cause", "IsPresent": True},
                                 {"Variable": "$.error.Cause", "StringMatches": CAPACITY_FAILURE_PATTERN},
                                 {"Variable": "$.attempt.n", "NumericLessThan": args.capacity_retries}],
                         "Next": "WaitForCapacity"}],
            "Default": "EmitFailedEvent",
        },
        "WaitForCapacity": {"Type": "Wait", "Seconds": args.capacity_wait_seconds, "Next": "CountCapacityRetry"},
        "CountCapacityRetry": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.attempt.n, 1)"},
                               "ResultPath": "$.attempt", "Next": "Analyze"},
        "EmitFailedEvent": {
            "Type": "Task",
            "Resource": f"arn:{args.partition}:states:::events:putEvents",
            "Parameters": {"Entries": [{"Source": RUN_EVENT_SOURCE, "DetailType": RUN_EVENT_DETAIL_TYPE,
                                        "EventBusName": args.event_bus_name, "Detail": detail}]},
            "ResultPath": "$.failure_event",
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 3,
                       "BackoffRate": 2.0}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure_event_error", "Next": "RunFailed"}],
            "Next": "RunFailed",
        },
        "RunFailed": {"Type": "Fail", "Error": "ModelMonitor.RunFailed",
                      "Cause": "the analysis failed; the ModelMonitor Run State Change event carries the reason"},
        "Succeeded": {"Type": "Succeed"},
    }
    if sharded:
        states["Merge"] = _job_task(args, "merge", "Succeeded", "$.merge")
        states.update(_empty_window_states(args))
    return {
        "Comment": f"ModelMonitor processingJob engine: {args.monitor} ({args.monitoring_type})",
        "StartAt": "ResolveWindow",
        "States": states,
    }


def schedule_expression(schedule: str, *, minute: int = SCHEDULE_MINUTE) -> str:
    """EventBridge Scheduler expression for a spec `Schedule` (hourly, daily, daily@HH, every Nh, or
    SageMaker's `cron(0 H ? * * *)` forms — the field order is the same in both services)."""
    if not 0 <= minute <= 59:
        raise StateMachineError(f"minute must be 0..59, got {minute}")
    if schedule == "hourly":
        hours = "*"
    elif schedule == "daily":
        hours = "0"
    elif match := re.fullmatch(r"daily@(\d{1,2})", schedule):
        hours = str(int(match.group(1)))
    elif match := re.fullmatch(r"every (\d{1,2})h", schedule):
        hours = f"0/{int(match.group(1))}"
    elif match := re.fullmatch(r"cron\(0 (\S+) \? \* \* \*\)", schedule):
        hours = match.group(1)
    else:
        raise StateMachineError(f"not a ModelMonitor schedule: {schedule!r}")
    return f"cron({minute} {hours} ? * * *)"


def scheduler_target(target_arn: str, role_arn: str, *, max_event_age_seconds: int = 3600,
                     max_retry_attempts: int = 3, dead_letter_arn: str | None = None) -> dict[str, Any]:
    """EventBridge Scheduler `Target` (CreateSchedule shape) starting one run: the state machine (processingJob)
    or the analyzer Lambda, with the firing time as input. A run that cannot start within the hour is dropped
    (or dead-lettered): the next hour's run does not need it, and the heartbeat alarm reports the gap."""
    if not 60 <= max_event_age_seconds <= 86400 or not 0 <= max_retry_attempts <= 185:
        raise StateMachineError("max_event_age_seconds must be 60..86400 and max_retry_attempts 0..185")
    target: dict[str, Any] = {
        "Arn": target_arn, "RoleArn": role_arn, "Input": SCHEDULER_INPUT,
        "RetryPolicy": {"MaximumEventAgeInSeconds": max_event_age_seconds,
                        "MaximumRetryAttempts": max_retry_attempts},
    }
    if dead_letter_arn is not None:
        target["DeadLetterConfig"] = {"Arn": dead_letter_arn}
    return target
