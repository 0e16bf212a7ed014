"""One model-quality run under our engines: captured predictions + ground truth of a window → `statistics.json`,
`constraint_violations.json` and the metric records (incl. `ground_truth_coverage`).

Configuration is the run environment (internal-contracts §5) with SageMaker's model-quality names where it has
them: `dataset_source` (the endpoint variant's capture prefix), `ground_truth_source`, `problem_type`,
`inference_attribute`, `probability_attribute`, `probability_threshold_attribute` (SageMaker's name for the
threshold value), `baseline_constraints` (a model-quality constraints.json, optional), ours:
`min_ground_truth_coverage`, `evaluation_time` (labels collected later are late; default: the window end).
Captures and ground truth are read from S3 (both engines run model quality straight against S3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.ground_truth import QualityWindow, read_ground_truth_s3
from modelmonitor.analyzer.quality.model_quality import ModelQualityResult, ProblemType, evaluate
from modelmonitor.analyzer.quality.predictions import output_rows_reader, read_predictions_s3
from modelmonitor.analyzer.read.batch_transform import BatchCapture
from modelmonitor.analyzer.read.payloads import PayloadMapping, mapping_from_json
from modelmonitor.analyzer.read.preprocessor import load_preprocessor
from modelmonitor.analyzer.read.sources import Window, env_number, load_json, parse_time, write_bytes

PROBLEM_TYPES: tuple[ProblemType, ...] = ("BinaryClassification", "MulticlassClassification", "Regression")


@dataclass(frozen=True)
class QualityJob:
    capture_source: str
    ground_truth_source: str
    output_path: str
    problem_type: ProblemType
    window: QualityWindow
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float = 0.5
    constraints: str | None = None
    min_ground_truth_coverage: float | None = None
    endpoint_name: str = ""
    schedule_name: str = ""
    payload_mapping: PayloadMapping | None = None
    """`spec.payload`'s output side decodes each response before the attributes are looked up in its columns."""
    record_preprocessor: str | None = None
    """Or a record preprocessor script whose row (one per request) holds the attributes."""
    batch: BatchCapture | None = None
    """Set when the monitored model runs as batch transform jobs: captures are the jobs' manifests."""

    @classmethod
    def from_environment(cls, env: Mapping[str, str], window: Window, *, output_path: str,
                         evaluation_time: datetime | None = None) -> QualityJob:
        problem = env.get("problem_type", "")
        if problem not in PROBLEM_TYPES:
            raise AnalyzerInputError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {problem!r}")
        sources = {k: env.get(k, "") for k in ("dataset_source", "ground_truth_source")}
        for key, value in sources.items():
            if not value.startswith("s3://"):
                raise AnalyzerInputError(f"model quality reads {key} from S3: expected an s3:// prefix, "
                                         f"got {value!r}")
        inference = env.get("inference_attribute") or None
        probability = env.get("probability_attribute") or None
        if inference is None and not (problem == "BinaryClassification" and probability is not None):
            raise AnalyzerInputError("inference_attribute is required (BinaryClassification: or "
                                     "probability_attribute)")
        if evaluation_time is None and env.get("evaluation_time"):
            evaluation_time = parse_time(env["evaluation_time"], "evaluation_time")
        return cls(
            capture_source=sources["dataset_source"], ground_truth_source=sources["ground_truth_source"],
            output_path=output_path, problem_type=problem,
            window=QualityWindow(window.start, window.end, evaluation_time or window.end),
            inference_attribute=inference, probability_attribute=probability,
            probability_threshold=_fraction(env, "probability_threshold_attribute", 0.5),
            constraints=env.get("baseline_constraints") or None,
            min_ground_truth_coverage=_optional_fraction(env, "min_ground_truth_coverage"),
            endpoint_name=env.get("sagemaker_endpoint_name", ""),
            schedule_name=env.get("sagemaker_monitoring_schedule_name", ""),
            payload_mapping=mapping_from_json(env.get("payload_mapping", ""), "payload_mapping"),
            record_preprocessor=env.get("record_preprocessor_script") or None,
            batch=BatchCapture.from_environment(env))


def environment_document(env: Mapping[str, str], key: str, what: str) -> Any:
    """A JSON document the environment gives inline (text starting with `{`) or as a path / s3:// URI."""
    raw = env.get(key, "")
    if not raw.strip():
        raise AnalyzerInputError(f"{key} ({what}, JSON or an s3:// URI) is required")
    if not raw.lstrip().startswith("{"):
        return load_json(raw, key)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AnalyzerInputError(f"{key} is not JSON: {exc}") from exc


def _optional_fraction(env: Mapping[str, str], name: str) -> float | None:
    value = env_number(env, name, float, "a number in [0, 1]")
    if value is None:
        return None
    if not 0.0 <= value <= 1.0:
        raise AnalyzerInputError(f"{name} must be in [0, 1], got {value}")
    return value


def _fraction(env: Mapping[str, str], name: str, default: float) -> float:
    value = _optional_fraction(env, name)
    return default if value is None else value


@dataclass(frozen=True)
class QualityRunResult:
    status: Literal["Completed", "CompletedWithViolations"]
    result: ModelQualityResult
    outputs: dict[str, str]
    metrics: tuple[dict[str, Any], ...]

    def summary(self) -> str:
        c = self.result.coverage
        return (f"{len(self.result.violations)} violation(s); {c.matched} of {c.predictions} predictions "
                f"labelled ({c.late_labels} late labels, {c.orphan_labels} orphan labels)")


def run_quality(job: QualityJob, s3: Any) -> QualityRunResult:
    constraints = load_json(job.constraints, "model-quality constraints") if job.constraints is not None else None
    preprocessor = load_preprocessor(job.record_preprocessor) if job.record_preprocessor else None
    predictions = read_predictions_s3(s3, job.capture_source, job.window, inference_attribute=job.inference_attribute,
                                      probability_attribute=job.probability_attribute,
                                      output_rows=output_rows_reader(job.payload_mapping, preprocessor),
                                      batch=job.batch)
    labels = read_ground_truth_s3(s3, job.ground_truth_source, job.window)
    result = evaluate(predictions, labels, problem_type=job.problem_type,
                      probability_threshold=job.probability_threshold, evaluation_time=job.window.evaluation_time,
                      constraints=constraints, min_ground_truth_coverage=job.min_ground_truth_coverage)
    base = job.output_path.rstrip("/")
    outputs = {"statistics": f"{base}/statistics.json", "constraint_violations": f"{base}/constraint_violations.json"}
    write_bytes(outputs["statistics"], orjson.dumps(result.statistics(evaluation_time=job.window.evaluation_time),
                                                    option=orjson.OPT_INDENT_2))
    write_bytes(outputs["constraint_violations"], orjson.dumps(result.violations_document(),
                                                               option=orjson.OPT_INDENT_2))
    # Metrics are stamped with the window's evaluation time (its end plus the label delay; docs/engines.md, "Metric
    # timestamps"): inside the period CloudWatch alarms evaluate when the run fires, and a rerun of the same window
    # overwrites the same datapoint instead of adding one at run time.
    records = result.metric_records(endpoint=job.endpoint_name, schedule=job.schedule_name,
                                    timestamp=job.window.evaluation_time)
    return QualityRunResult(status="CompletedWithViolations" if result.violations else "Completed",
                            result=result, outputs=outputs, metrics=tuple(records))
