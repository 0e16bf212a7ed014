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
                 for r in plan if r["type"] == "aws:lambda/function:Function" and r["inputs"].get("packageType") ==
                 "Image"}
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
