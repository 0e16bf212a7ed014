"""The run environment our analyzer gets under the `lambda` and `processingJob` engines (pure; no Pulumi).

- `analyzer_knobs(spec, monitoring_type)`: the analysis settings from the spec — drift knobs, payload mapping or
  record preprocessor and sketch parameters (data quality), or the model-quality attributes. The processingJob
  state machine takes these as `ProcessingJobMachineArgs.environment`; it sets everything else itself
  (`stepfunctions._environment`).
- `analyzer_function_environment(...)`: the complete environment of the analyzer Lambda (engine `lambda`): the
  run environment of internal-contracts §5 with S3 locations, plus what the handler needs to run on a schedule
  (`modelmonitor/analyzer/entry/lambda_handler.py`). Lambda allows 4 KB of environment in total; this is ~1.5 KB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from modelmonitor.analyzer.read.preprocessor_script import preprocessor_script
from modelmonitor.components import engine_names
from modelmonitor.components.engine_names import MonitoringType
from modelmonitor.components.names import MonitorNames
from modelmonitor.spec import ModelMonitorDocument, ModelMonitorSpec, duration_seconds, schedule_period_seconds

CAPTURE_DATASET_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                   "endpointOutput"]}})
METRICS_NAMESPACE: dict[str, str] = {"DataQuality": "ModelMonitor/DataQuality",
                                     "ModelQuality": "ModelMonitor/ModelQuality"}
"""internal-contracts §4."""


def _whole_hours(seconds: int) -> int:
    return -(-seconds // 3600) * 3600


def payload_environment(spec: ModelMonitorSpec, *, sketch: bool = True) -> dict[str, str]:
    """How our analyzer turns capture payloads into rows (`spec.payload`) and (data quality) its sketch parameters:
    the run environment's `payload_mapping` / `record_preprocessor_script` and `kll_k` / `kll_c`
    (internal-contracts §5)."""
    payload, dq = spec.payload, spec.data_quality
    environment = {"kll_k": str(dq.sketch_k), "kll_c": repr(dq.sketch_c)} if sketch else {}
    if payload.preprocessor_s3_uri is not None:
        environment["record_preprocessor_script"] = payload.preprocessor_s3_uri
    sides = {key: {"path": side.path, "names": side.names or None}
             for key, side in (("input", payload.input), ("output", payload.output)) if side is not None}
    if sides:
        environment["payload_mapping"] = json.dumps(sides, separators=(",", ":"), sort_keys=True)
    return environment


def generated_preprocessor(spec: ModelMonitorSpec) -> str | None:
    """The record preprocessor source SageMaker's built-in analyzer runs for `spec.payload`'s mapping (engine
    modelMonitor, `dataQuality.analyzer: builtin`); None when there is no mapping to run."""
    payload = spec.payload
    if spec.engine != "modelMonitor" or spec.data_quality.analyzer != "builtin" or payload.input is None:
        return None
    output = payload.output
    return preprocessor_script(payload.input.path, payload.input.names or None,
                               output.path if output else None, (output.names or None) if output else None,
                               map_output=output is not None)


def analyzer_knobs(spec: ModelMonitorSpec, monitoring_type: MonitoringType) -> dict[str, str]:
    if monitoring_type == "DataQuality":
        dq = spec.data_quality
        return {**dq.environment, "drift_methods": ",".join(dq.custom_metrics),
                "comparison_method": dq.method.capitalize(), "drift_threshold": repr(dq.drift_threshold),
                "categorical_drift_threshold": repr(dq.categorical_drift_threshold), **payload_environment(spec)}
    mq = spec.model_quality
    if mq.problem_type is None:
        raise ValueError("modelQuality.problemType is required for a model-quality run")
    knobs = {"problem_type": mq.problem_type,
             "probability_threshold_attribute": repr(mq.probability_threshold),
             "min_ground_truth_coverage": repr(mq.min_ground_truth_coverage),
             **payload_environment(spec, sketch=False)}
    if mq.inference_attribute is not None:
        knobs["inference_attribute"] = mq.inference_attribute
    if mq.probability_attribute is not None:
        knobs["probability_attribute"] = mq.probability_attribute
    return knobs


def label_delay_seconds(spec: ModelMonitorSpec) -> int:
    """The label delay rounded up to whole hours, as the modelMonitor engine's EndTimeOffset
    (`schedules.model_quality_offsets`): labels get at least the declared delay to arrive."""
    return _whole_hours(duration_seconds(spec.model_quality.label_delay))


@dataclass(frozen=True)
class EngineLocations:
    """Where one monitor's run reads and writes (internal-contracts §1)."""

    capture_destination: str
    """The endpoint's DestinationS3Uri (`spec.dataCapture.destinationS3Uri`, or `s3://{bucket}/captures`)."""
    results: str
    """Output S3Uri of this monitoring type: `s3://{bucket}/results/{ns}/{name}/data-quality` (or model-quality)."""
    baseline_statistics: str | None = None
    baseline_constraints: str | None = None
    """Data quality: both required. Model quality: an optional model-quality constraints.json."""


def capture_prefix(document: ModelMonitorDocument, capture_destination: str) -> str:
    endpoint = document.spec.endpoint_source
    variant = endpoint.existing.variant_name if endpoint.existing is not None else \
        endpoint.create.variant_name if endpoint.create is not None else "AllTraffic"
    return f"{capture_destination.rstrip('/')}/{document.endpoint_name}/{variant}"


def analyzer_function_environment(document: ModelMonitorDocument, monitoring_type: MonitoringType,
                                  locations: EngineLocations, *, event_bus_name: str = "default") -> dict[str, str]:
    spec = document.spec
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    section = spec.data_quality if monitoring_type == "DataQuality" else spec.model_quality
    env = {
        **analyzer_knobs(spec, monitoring_type),
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": capture_prefix(document, locations.capture_destination),
        "output_path": locations.results.rstrip("/"),
        "sagemaker_endpoint_name": document.endpoint_name,
        "sagemaker_monitoring_schedule_name": engine_names.schedule(names, monitoring_type),
        "monitoring_type": monitoring_type,
        "cloudwatch_metrics_namespace": METRICS_NAMESPACE[monitoring_type],
        "run_event_bus_name": event_bus_name,
        "modelmonitor_monitor": f"{document.metadata.namespace}/{document.metadata.name}",
        "modelmonitor_engine": "lambda",
        "schedule_period_seconds": str(schedule_period_seconds(section.schedule)),
        "max_window_mb": str(spec.engine_settings.max_lambda_window_mb),
    }
    if monitoring_type == "DataQuality":
        if locations.baseline_statistics is None or locations.baseline_constraints is None:
            raise ValueError("a data-quality run needs the baseline statistics and constraints URIs")
        env["baseline_statistics"] = locations.baseline_statistics
        env["baseline_constraints"] = locations.baseline_constraints
    else:
        assert spec.model_quality.ground_truth_s3_uri is not None  # the spec requires it when enabled
        env["ground_truth_source"] = spec.model_quality.ground_truth_s3_uri.rstrip("/")
        env["label_delay_seconds"] = str(label_delay_seconds(spec))
        if locations.baseline_constraints is not None:
            env["baseline_constraints"] = locations.baseline_constraints
    return env
