"""One bias-drift run under our engines: the window's captured requests and predictions, joined with ground truth as
model quality joins them → Clarify's `analysis.json`, `constraint_violations.json` (against a baseline analysis) and
the `bias_metric_<short>` datums.

The configuration is Clarify's own bias-monitoring analysis configuration ("Parameters to Monitor Bias Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html): `headers`,
`label`, `label_values_or_threshold`, `facet: [{name_or_index, value_or_threshold}]`, `group_variable`, `methods`,
`probability_threshold` — so one file configures AWS's bias job and ours. The request supplies the facet, group
and flip-test features (named by `headers` or `spec.payload`, or addressed by column index); the ground truth the
label; the response the predicted label (`inference_attribute`) or score (`probability_attribute`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from modelmonitor.analyzer.quality.bias_analysis import BiasResult, evaluate_bias
from modelmonitor.analyzer.quality.bias_config import BiasConfig, parse_config
from modelmonitor.analyzer.quality.ground_truth import read_ground_truth_s3
from modelmonitor.analyzer.quality.predictions import input_rows_reader, output_rows_reader, read_predictions_s3
from modelmonitor.analyzer.quality.run import QualityJob, environment_document
from modelmonitor.analyzer.read.preprocessor import load_preprocessor
from modelmonitor.analyzer.read.sources import Window, load_json, write_bytes


@dataclass(frozen=True)
class BiasJob:
    """A bias run's inputs: where captures and ground truth are and how to read them (model quality's job: the same
    join), the analysis configuration, and the baseline analysis (`baseline_constraints`, optional)."""

    source: QualityJob
    config: BiasConfig
    baseline: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str], window: Window, *, output_path: str,
                         evaluation_time: datetime | None = None) -> BiasJob:
        config = parse_config(environment_document(env, "analysis_config", "the bias analysis configuration"))
        # Bias is judged on favourable vs. unfavourable outcomes: the join reads predictions as a binary model's.
        source = QualityJob.from_environment({**env, "problem_type": "BinaryClassification",
                                              "probability_threshold_attribute": str(config.probability_threshold)},
                                             window, output_path=output_path, evaluation_time=evaluation_time)
        return cls(source=source, config=config, baseline=env.get("baseline_constraints") or None)


@dataclass(frozen=True)
class BiasRunResult:
    status: Literal["Completed", "CompletedWithViolations"]
    result: BiasResult
    outputs: dict[str, str]
    metrics: tuple[dict[str, Any], ...]

    def summary(self) -> str:
        c = self.result.coverage
        return (f"{len(self.result.violations)} bias violation(s); {c.matched} of {c.predictions} predictions "
                f"labelled ({c.late_labels} late labels)")


def run_bias(job: BiasJob, s3: Any) -> BiasRunResult:
    baseline = load_json(job.baseline, "bias baseline") if job.baseline is not None else None
    source = job.source
    preprocessor = load_preprocessor(source.record_preprocessor) if source.record_preprocessor else None
    predictions = read_predictions_s3(s3, source.capture_source, source.window,
                                      inference_attribute=source.inference_attribute,
                                      probability_attribute=source.probability_attribute,
                                      output_rows=output_rows_reader(source.payload_mapping, preprocessor),
                                      input_rows=input_rows_reader(source.payload_mapping, preprocessor),
                                      batch=source.batch)
    labels = read_ground_truth_s3(s3, source.ground_truth_source, source.window)
    result = evaluate_bias(predictions, labels, job.config, evaluation_time=source.window.evaluation_time,
                           baseline=baseline)
    base = source.output_path.rstrip("/")
    outputs = {"analysis": f"{base}/analysis.json", "constraint_violations": f"{base}/constraint_violations.json"}
    write_bytes(outputs["analysis"], orjson.dumps(result.analysis, option=orjson.OPT_INDENT_2))
    write_bytes(outputs["constraint_violations"], orjson.dumps(result.violations_document(),
                                                               option=orjson.OPT_INDENT_2))
    # Stamped like model quality's metrics (the evaluation time): docs/engines.md, "Metric timestamps".
    records = result.metric_records(endpoint=source.endpoint_name, schedule=source.schedule_name,
                                    timestamp=source.window.evaluation_time)
    return BiasRunResult(status="CompletedWithViolations" if result.violations else "Completed", result=result,
                         outputs=outputs, metrics=tuple(records))
