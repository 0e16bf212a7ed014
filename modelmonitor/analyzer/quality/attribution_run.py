"""One feature-attribution-drift run under our engines: a bounded sample of the window's captured requests, explained
with Kernel SHAP by calling the model, compared with the baseline's attributions by nDCG.

Configuration: Clarify's explainability-monitoring analysis configuration ("Parameters to Monitor Attribution Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-model-explainability-parameters.html):
`headers` (the feature names), `methods.shap.baseline` (background rows), `methods.shap.num_samples` (coalitions),
`predictor.content_type` / `accept_type`, `predictor.probability` or `label` (which output column is the score).
Ours, because every synthetic row is an inference someone pays for: `max_rows` (window rows explained, default 20)
and `max_model_rows` (rows sent to the model per run, default 100,000) — a run that would need more is refused
before the first call, naming both settings.

Requests are built and responses read as the content types say (`attribution_requests`).
Attribution requests go to the monitored endpoint with an `InferenceId` starting `modelmonitor-attribution-`
(`SYNTHETIC_INFERENCE_PREFIX`): data capture records it, and our readers leave such records out of every window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.attribution import (
    Matrix,
    attribution_violations,
    explanations_document,
    global_shap_metric_records,
    global_shap_values,
    kernel_shap,
    synthetic_rows,
)
from modelmonitor.analyzer.quality.attribution_requests import (
    AttributionError,
    Encoder,
    body_bytes_per_row,
    request_encoder,
    response_scores,
)
from modelmonitor.analyzer.quality.predictions import capture_lines_s3, input_rows_reader, window_records
from modelmonitor.analyzer.quality.run import environment_document
from modelmonitor.analyzer.read.batch_transform import BatchCapture
from modelmonitor.analyzer.read.payloads import PayloadMapping, PayloadSide, mapping_from_json
from modelmonitor.analyzer.read.preprocessor import load_preprocessor
from modelmonitor.analyzer.read.records import SYNTHETIC_INFERENCE_PREFIX
from modelmonitor.analyzer.read.sources import Window, load_json, write_bytes

MAX_REQUEST_BYTES = 5 * 2**20
"""Rows per InvokeEndpoint request are packed up to this size, well under the real-time payload limit (6 MB)."""


@dataclass(frozen=True)
class AttributionConfig:
    headers: tuple[str, ...]
    background: tuple[tuple[float, ...], ...]
    num_samples: int = 2048
    content_type: str = "text/csv"
    accept_type: str = "text/csv"
    score: str | int = 0
    max_rows: int = 20
    max_model_rows: int = 100_000


def _positive(raw: Any, name: str, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise AttributionError(f"{name} must be a positive whole number, got {raw!r}")
    return raw


def parse_attribution_config(raw: Any) -> AttributionConfig:
    if not isinstance(raw, dict):
        raise AttributionError("the explainability analysis configuration must be a JSON object")
    headers = raw.get("headers")
    if not isinstance(headers, list) or len(headers) < 2 or not all(isinstance(h, str) and h for h in headers):
        raise AttributionError("headers: the names of the model's features (at least two) are required")
    shap = ((raw.get("methods") or {}).get("shap")) if isinstance(raw.get("methods"), dict) else None
    if not isinstance(shap, dict):
        raise AttributionError("methods.shap is required (feature attribution uses SHAP)")
    background = shap.get("baseline")
    if not isinstance(background, list) or not background or not all(
            isinstance(row, list) and len(row) == len(headers) for row in background):
        raise AttributionError(f"methods.shap.baseline must be a list of rows of the {len(headers)} features "
                               "(the background data Kernel SHAP replaces absent features with)")
    try:
        rows = tuple(tuple(float(v) for v in row) for row in background)
    except (TypeError, ValueError) as exc:
        raise AttributionError(f"methods.shap.baseline holds a value that is not a number: {exc}") from exc
    predictor = raw.get("predictor") or {}
    score = predictor.get("probability", predictor.get("label", 0))
    if isinstance(score, bool) or not isinstance(score, str | int):
        raise AttributionError("predictor.probability (or label) must be an output column name or index")
    return AttributionConfig(
        headers=tuple(headers), background=rows, num_samples=_positive(shap.get("num_samples"), "num_samples", 2048),
        content_type=str(predictor.get("content_type", "text/csv")),
        accept_type=str(predictor.get("accept_type", "text/csv")), score=score,
        max_rows=_positive(raw.get("max_rows"), "max_rows", 20),
        max_model_rows=_positive(raw.get("max_model_rows"), "max_model_rows", 100_000))


@dataclass
class EndpointModel:
    """`predict` over InvokeEndpoint: rows packed into requests of the configured content type
    (`attribution_requests`), each marked as attribution traffic. A content type whose requests cannot be built is
    refused when the model is made, before the first call."""

    invoke: Callable[..., Any]
    """`sagemaker-runtime`'s invoke_endpoint (or a fake with its signature)."""
    endpoint: str
    config: AttributionConfig
    run_id: str
    payload: PayloadSide | None = None
    """`spec.payload.input`: where the model's request holds the features (JSON requests)."""
    requests: int = 0
    rows_sent: int = 0
    _encode: Encoder = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._encode = request_encoder(self.config.content_type, self.payload)

    def __call__(self, matrix: Matrix) -> npt.NDArray[np.float64]:
        per_request = max(1, MAX_REQUEST_BYTES // body_bytes_per_row(self._encode, matrix.shape[1]))
        out: list[float] = []
        for start in range(0, matrix.shape[0], per_request):
            block = matrix[start:start + per_request]
            self.requests += 1
            response = self.invoke(EndpointName=self.endpoint, Body=self._encode(block),
                                   ContentType=self.config.content_type, Accept=self.config.accept_type,
                                   InferenceId=f"{SYNTHETIC_INFERENCE_PREFIX}{self.run_id}-{self.requests}"[:64])
            out.extend(response_scores(response["Body"].read(), self.config.accept_type, self.config.score, len(block)))
            self.rows_sent += len(block)
        return np.array(out, dtype=np.float64)


def _evenly(rows: Sequence[Any], limit: int) -> list[Any]:
    if len(rows) <= limit:
        return list(rows)
    return [rows[int(i)] for i in np.linspace(0, len(rows) - 1, limit)]


def feature_matrix(rows: Iterable[Any], headers: Sequence[str]) -> Matrix:
    """Request rows (named or positional) → the numeric matrix of the model's features, in `headers` order."""
    out = []
    for number, row in enumerate(rows):
        values = [row.get(h) for h in headers] if isinstance(row, dict) else list(row)
        if len(values) != len(headers):
            raise AttributionError(f"request row {number} has {len(values)} values for {len(headers)} headers")
        try:
            out.append([float(v) for v in values])  # type: ignore[arg-type]  # None raises TypeError: reported
        except (TypeError, ValueError) as exc:
            raise AttributionError(f"request row {number}: Kernel SHAP needs numeric features ({exc})") from exc
    return np.array(out, dtype=np.float64).reshape(-1, len(headers))


@dataclass(frozen=True)
class AttributionResult:
    analysis: dict[str, Any]
    violations: list[dict[str, str]]
    ndcg: dict[str, float]
    rows_explained: int
    model_rows: int
    requests: int

    def metric_records(self, *, endpoint: str, schedule: str, timestamp: str) -> list[dict[str, Any]]:
        """`endpoint` is the monitored endpoint's dimension (the run's `sagemaker_endpoint_name`, `batch-transform`
        for a batch source), never the endpoint the run calls: the alarms watch the former."""
        dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
        values = [("feature_attribution_ndcg", score, "None") for score in self.ndcg.values()]
        values += [("violations_count", float(len(self.violations)), "Count"),
                   ("attribution_model_rows", float(self.model_rows), "Count"),
                   ("monitoring_run_completed", 1.0, "Count")]
        records = [{"MetricName": name, "Timestamp": timestamp, "Dimensions": dimensions, "Value": value,
                    "Unit": unit} for name, value, unit in values if not math.isnan(value)]
        return records + global_shap_metric_records(self.analysis, dimensions=dimensions, timestamp=timestamp)


def explain_window(rows: Sequence[Any], model: EndpointModel, *, baseline: Mapping[str, Any] | None = None,
                   seed: int = 0) -> AttributionResult:
    """Explain an even sample of the window's rows; refuse up front when it would exceed `max_model_rows`."""
    config = model.config
    sample = feature_matrix(_evenly(rows, config.max_rows), config.headers)
    if sample.shape[0] == 0:
        raise AttributionError("the window holds no request to explain")
    background = np.array(config.background, dtype=np.float64)
    needed = synthetic_rows(sample.shape[0], len(config.headers), background.shape[0], config.num_samples)
    if needed > config.max_model_rows:
        raise AttributionError(
            f"explaining {sample.shape[0]} rows of {len(config.headers)} features against {background.shape[0]} "
            f"background rows with {config.num_samples} coalitions sends {needed:,} rows to the model, more than "
            f"max_model_rows ({config.max_model_rows:,}): lower max_rows, num_samples or the background, or raise "
            "max_model_rows")
    values, expected = kernel_shap(model, sample, background, max_coalitions=config.num_samples, seed=seed)
    analysis = explanations_document(global_shap_values(values, list(config.headers)), expected)
    violations, scores = attribution_violations(analysis, baseline) if baseline is not None else ([], {})
    return AttributionResult(analysis=analysis, violations=violations, ndcg=scores, rows_explained=sample.shape[0],
                             model_rows=model.rows_sent, requests=model.requests)


@dataclass(frozen=True)
class AttributionJob:
    """A feature-attribution run's inputs: the window's captures (endpoint or batch), how requests become rows, the
    configuration, the endpoint to call, the endpoint its metrics are published under (`metrics_endpoint`: the
    monitored endpoint, or `batch-transform`) and the baseline analysis (`baseline_constraints`, optional)."""

    capture_source: str
    window: Window
    output_path: str
    config: AttributionConfig
    endpoint: str
    schedule: str = ""
    baseline: str | None = None
    payload_mapping: PayloadMapping | None = None
    record_preprocessor: str | None = None
    batch: BatchCapture | None = None
    metrics_endpoint: str = ""

    @classmethod
    def from_environment(cls, env: Mapping[str, str], window: Window, *, output_path: str) -> AttributionJob:
        config = parse_attribution_config(environment_document(env, "analysis_config",
                                                               "the explainability analysis configuration"))
        source = env.get("dataset_source", "")
        if not source.startswith("s3://"):
            raise AnalyzerInputError(f"feature attribution reads dataset_source from S3, got {source!r}")
        batch = BatchCapture.from_environment(env)
        # A batch transform job has no endpoint to ask: attribution then needs one serving the same model.
        endpoint = env.get("attribution_endpoint") or ("" if batch else env.get("sagemaker_endpoint_name", ""))
        if not endpoint:
            raise AnalyzerInputError("feature attribution calls the model: set attribution_endpoint to an endpoint "
                                     "serving it (a batch transform job has none of its own)")
        mapping = mapping_from_json(env.get("payload_mapping", ""), "payload_mapping")
        request_encoder(config.content_type, mapping.input if mapping else None)  # refuses before any work
        return cls(capture_source=source, window=window, output_path=output_path, config=config, endpoint=endpoint,
                   metrics_endpoint=env.get("sagemaker_endpoint_name") or endpoint,
                   schedule=env.get("sagemaker_monitoring_schedule_name", ""),
                   baseline=env.get("baseline_constraints") or None, payload_mapping=mapping,
                   record_preprocessor=env.get("record_preprocessor_script") or None, batch=batch)


@dataclass(frozen=True)
class AttributionRunResult:
    status: Literal["Completed", "CompletedWithViolations"]
    result: AttributionResult
    outputs: dict[str, str]
    metrics: tuple[dict[str, Any], ...]

    def summary(self) -> str:
        r = self.result
        scores = ", ".join(f"{label} nDCG {score:.3f}" for label, score in r.ndcg.items()) or "no baseline"
        return (f"{len(r.violations)} attribution violation(s) ({scores}); {r.rows_explained} rows explained with "
                f"{r.model_rows:,} model rows in {r.requests} requests")


def run_attribution(job: AttributionJob, s3: Any, invoke: Callable[..., Any]) -> AttributionRunResult:
    baseline = load_json(job.baseline, "attribution baseline") if job.baseline is not None else None
    preprocessor = load_preprocessor(job.record_preprocessor) if job.record_preprocessor else None
    rows_of = input_rows_reader(job.payload_mapping, preprocessor)
    rows = [row for _where, _id, record in window_records(
        capture_lines_s3(s3, job.capture_source, job.window, job.batch), start=job.window.start, end=job.window.end,
        source=job.capture_source) for row in rows_of(record)]
    stamp = job.window.end.isoformat().replace("+00:00", "Z")
    model = EndpointModel(invoke=invoke, endpoint=job.endpoint, config=job.config,
                          run_id=f"{job.window.start:%Y%m%d%H%M}",
                          payload=job.payload_mapping.input if job.payload_mapping else None)
    result = explain_window(rows, model, baseline=baseline)
    base = job.output_path.rstrip("/")
    outputs = {"analysis": f"{base}/analysis.json", "constraint_violations": f"{base}/constraint_violations.json"}
    write_bytes(outputs["analysis"], orjson.dumps(result.analysis, option=orjson.OPT_INDENT_2))
    write_bytes(outputs["constraint_violations"], orjson.dumps({"version": "1.0", "violations": result.violations},
                                                               option=orjson.OPT_INDENT_2))
    records = result.metric_records(endpoint=job.metrics_endpoint or job.endpoint, schedule=job.schedule,
                                    timestamp=stamp)
    return AttributionRunResult(status="CompletedWithViolations" if result.violations else "Completed",
                                result=result, outputs=outputs, metrics=tuple(records))
