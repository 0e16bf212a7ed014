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
from modelmonitor.spec_clarify import ModelBias
from modelmonitor.spec_quality import ModelQuality

BATCH_ENDPOINT_DIMENSION = "batch-transform"
"""The `Endpoint` dimension and results path segment of a batch transform source under our engines: the analyzer
publishes every metric with an Endpoint dimension, and transform jobs have no endpoint."""


def endpoint_dimension(document: ModelMonitorDocument) -> str:
    """The `Endpoint` dimension of the monitor's alarms and of the run metrics published into our namespaces."""
    return document.monitored_endpoint or BATCH_ENDPOINT_DIMENSION


CAPTURE_DATASET_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                   "endpointOutput"]}})
METRICS_NAMESPACE: dict[str, str] = {"DataQuality": "ModelMonitor/DataQuality",
                                     "ModelQuality": "ModelMonitor/ModelQuality",
                                     "ModelBias": "ModelMonitor/ModelBias",
                                     "ModelExplainability": "ModelMonitor/ModelExplainability"}
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


def source_environment(spec: ModelMonitorSpec) -> dict[str, str]:
    """A batch transform source's run settings (internal-contracts §5); nothing for an endpoint."""
    batch = spec.batch_transform
    if batch is None:
        return {}
    return {"capture_kind": "batchTransform", "batch_content_type": batch.content_type,
            "batch_accept": batch.accept}


def analyzer_knobs(spec: ModelMonitorSpec, monitoring_type: MonitoringType) -> dict[str, str]:
    return {**_type_knobs(spec, monitoring_type), **source_environment(spec)}


def _type_knobs(spec: ModelMonitorSpec, monitoring_type: MonitoringType) -> dict[str, str]:
    if monitoring_type == "DataQuality":
        dq = spec.data_quality
        return {**dq.environment, "drift_methods": ",".join(dq.custom_metrics),
                "comparison_method": dq.method.capitalize(), "drift_threshold": repr(dq.drift_threshold),
                "categorical_drift_threshold": repr(dq.categorical_drift_threshold), **payload_environment(spec)}
    if monitoring_type == "ModelBias":
        return _prediction_knobs(spec, spec.model_bias)
    if monitoring_type == "ModelExplainability":
        attribution = payload_environment(spec, sketch=False)
        if spec.feature_attribution.endpoint_name is not None:
            attribution["attribution_endpoint"] = spec.feature_attribution.endpoint_name
        return attribution
    mq = spec.model_quality
    if mq.problem_type is None:
        raise ValueError("modelQuality.problemType is required for a model-quality run")
    return {"problem_type": mq.problem_type, **_prediction_knobs(spec, mq)}


def _prediction_knobs(spec: ModelMonitorSpec, section: ModelQuality | ModelBias) -> dict[str, str]:
    """Where a labelled run finds each prediction and how it joins labels: the settings model quality and bias
    drift share (internal-contracts §5)."""
    knobs = {"probability_threshold_attribute": repr(section.probability_threshold),
             "min_ground_truth_coverage": repr(section.min_ground_truth_coverage),
             **payload_environment(spec, sketch=False)}
    if section.inference_attribute is not None:
        knobs["inference_attribute"] = section.inference_attribute
    if section.probability_attribute is not None:
        knobs["probability_attribute"] = section.probability_attribute
    return knobs


def label_delay_seconds(spec: ModelMonitorSpec, monitoring_type: MonitoringType = "ModelQuality") -> int:
    """The label delay rounded up to whole hours, as the modelMonitor engine's EndTimeOffset
    (`schedules.model_quality_offsets`): labels get at least the declared delay to arrive."""
    section = spec.model_bias if monitoring_type == "ModelBias" else spec.model_quality
    return _whole_hours(duration_seconds(section.label_delay))


@dataclass(frozen=True)
class EngineLocations:
    """Where one monitor's run reads and writes (internal-contracts §1)."""

    capture_destination: str
    """The endpoint's DestinationS3Uri (`spec.dataCapture.destinationS3Uri`, or `s3://{bucket}/captures`)."""
    results: str
    """Output S3Uri of this monitoring type: `s3://{bucket}/results/{ns}/{name}/data-quality` (or model-quality)."""
    baseline_statistics: str | None = None
    baseline_constraints: str | None = None
    """Data quality: both required. Model quality: an optional model-quality constraints.json. Bias, attribution:
    the baseline analysis.json (optional)."""
    analysis_config: str | None = None
    """Bias, attribution: the uploaded analysis configuration (required)."""


def capture_prefix(document: ModelMonitorDocument, capture_destination: str) -> str:
    if document.spec.batch_transform is not None:
        return document.spec.batch_transform.destination_s3_uri.rstrip("/")
    endpoint = document.spec.endpoint_source
    variant = endpoint.existing.variant_name if endpoint.existing is not None else \
        endpoint.create.variant_name if endpoint.create is not None else "AllTraffic"
    return f"{capture_destination.rstrip('/')}/{document.endpoint_name}/{variant}"


def analyzer_function_environment(document: ModelMonitorDocument, monitoring_type: MonitoringType,
                                  locations: EngineLocations, *, event_bus_name: str = "default") -> dict[str, str]:
    spec = document.spec
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    schedule = {"DataQuality": spec.data_quality.schedule, "ModelQuality": spec.model_quality.schedule,
                "ModelBias": spec.model_bias.schedule,
                "ModelExplainability": spec.feature_attribution.schedule}[monitoring_type]
    env = {
        **analyzer_knobs(spec, monitoring_type),
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": capture_prefix(document, locations.capture_destination),
        "output_path": locations.results.rstrip("/"),
        "sagemaker_endpoint_name": endpoint_dimension(document),
        "sagemaker_monitoring_schedule_name": engine_names.schedule(names, monitoring_type),
        "monitoring_type": monitoring_type,
        "cloudwatch_metrics_namespace": METRICS_NAMESPACE[monitoring_type],
        "run_event_bus_name": event_bus_name,
        "modelmonitor_monitor": f"{document.metadata.namespace}/{document.metadata.name}",
        "modelmonitor_engine": "lambda",
        "schedule_period_seconds": str(schedule_period_seconds(schedule)),
        "max_window_mb": str(spec.engine_settings.max_lambda_window_mb),
    }
    if monitoring_type == "DataQuality":
        if locations.baseline_statistics is None or locations.baseline_constraints is None:
            raise ValueError("a data-quality run needs the baseline statistics and constraints URIs")
        env["baseline_statistics"] = locations.baseline_statistics
        env["baseline_constraints"] = locations.baseline_constraints
    elif monitoring_type in ("ModelQuality", "ModelBias"):
        labelled = spec.model_bias if monitoring_type == "ModelBias" else spec.model_quality
        assert labelled.ground_truth_s3_uri is not None  # the spec requires it when enabled
        env["ground_truth_source"] = labelled.ground_truth_s3_uri.rstrip("/")
        env["label_delay_seconds"] = str(label_delay_seconds(spec, monitoring_type))
    if monitoring_type != "DataQuality" and locations.baseline_constraints is not None:
        env["baseline_constraints"] = locations.baseline_constraints
    if monitoring_type in ("ModelBias", "ModelExplainability"):
        if locations.analysis_config is None:
            raise ValueError(f"a {monitoring_type} run needs its analysis configuration's URI")
        env["analysis_config"] = locations.analysis_config
    return env
