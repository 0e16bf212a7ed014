"""The analyzer Lambda the components declare gets exactly the environment the runtime's own builder (and so
the Lambda handler's tests) expects — the two were written in parallel, this keeps them one contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.components.engine_environment import EngineLocations, analyzer_function_environment
from modelmonitor.components.render import render_plan
from modelmonitor.loader import load_monitors

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rendered() -> tuple:
    document = load_monitors(REPO / "examples/lambda-engine.yaml")[0].document
    plan = render_plan([document])
    functions = {r["inputs"]["environment"]["variables"]["monitoring_type"]: r["inputs"]["environment"]["variables"]
                 for r in plan if r["type"] == "aws:lambda/function:Function"
                 and "monitoring_type" in r["inputs"]["environment"]["variables"]}
    bucket = next(r["outputs"]["bucket"] for r in plan if r["type"] == "aws:s3/bucket:Bucket")
    return document, functions, bucket


@pytest.mark.parametrize("monitoring_type", ["DataQuality", "ModelQuality"])
def test_rendered_environment_equals_the_runtime_builder(rendered: tuple, monitoring_type: str) -> None:
    document, functions, bucket = rendered
    kind = "data-quality" if monitoring_type == "DataQuality" else "model-quality"
    baselines = f"s3://{bucket}/baselines/{document.metadata.namespace}/{document.metadata.name}/data-quality"
    locations = EngineLocations(
        capture_destination=str(document.spec.data_capture.destination_s3_uri),
        results=f"s3://{bucket}/results/{document.metadata.namespace}/{document.metadata.name}/{kind}",
        baseline_statistics=f"{baselines}/statistics.json" if monitoring_type == "DataQuality" else None,
        baseline_constraints=f"{baselines}/constraints.json" if monitoring_type == "DataQuality" else None)
    expected = analyzer_function_environment(document, monitoring_type, locations)  # type: ignore[arg-type]
    declared = functions[monitoring_type]
    assert {k: v for k, v in declared.items() if k != "publish_cloudwatch_metrics"} == expected
    assert declared["publish_cloudwatch_metrics"] == "Enabled"


def test_the_analyzer_accepts_the_declared_data_quality_environment(rendered: tuple) -> None:
    job = AnalysisJob.from_environment(rendered[1]["DataQuality"])
    assert job.mode == "monitor" and job.data_format == "capture" and job.publish_cloudwatch_metrics
    assert job.dataset_source.endswith("/churn-scoring-v2/AllTraffic")


def test_the_payload_section_reaches_the_analyzer_as_it_reads_it() -> None:
    """spec.payload → the run environment (components) → AnalysisJob.from_environment (analyzer): the analyzer gets
    the mapping the spec declares, and a preprocessor URI as its record_preprocessor_script."""
    from modelmonitor.analyzer.read.payloads import PayloadMapping, PayloadSide
    from modelmonitor.components.engine_environment import analyzer_knobs
    from modelmonitor.spec import ModelMonitorSpec

    base = {"region": "us-east-1", "endpoint": {"existing": {"name": "ep"}},
            "dataCapture": {"destinationS3Uri": "s3://bucket-a/captures/"},
            "baseline": {"precomputed": {"statisticsS3Uri": "s3://bucket-a/s.json",
                                         "constraintsS3Uri": "s3://bucket-a/c.json"}},
            "dataQuality": {"sketchK": 512, "sketchC": 0.7}}
    mapped = ModelMonitorSpec.model_validate({**base, "payload": {
        "input": {"path": "instances[*].features", "names": ["a", "b"]}, "output": {"path": "predictions[*]"}}})
    job = AnalysisJob.from_environment({"dataset_source": "/d", **analyzer_knobs(mapped, "DataQuality")},
                                       opt_ml_root="/x")
    assert job.payload_mapping == PayloadMapping(input=PayloadSide("instances[*].features", ("a", "b")),
                                                 output=PayloadSide("predictions[*]", None))
    assert (job.sketch_k, job.sketch_c) == (512, 0.7)
    scripted = ModelMonitorSpec.model_validate({**base, "payload": {"preprocessorS3Uri": "s3://bucket-a/pre.py"}})
    job = AnalysisJob.from_environment({"dataset_source": "/d", **analyzer_knobs(scripted, "DataQuality")},
                                       opt_ml_root="/x")
    assert job.record_preprocessor == "s3://bucket-a/pre.py" and job.payload_mapping is None
