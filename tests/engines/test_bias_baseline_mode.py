"""The analyzer's bias baseline mode, end to end through the container entrypoint (`byoc.main`): the environment the
baseline job renders (`baseline_job.bias_baseline_environment`, container paths moved under a temporary root), the
configuration the spec renders (`clarify_config.bias_baseline_config`), a labelled CSV dataset with a header →
analysis.json.

Expected values come from AWS's own implementation: tests/analyzer/fixtures/clarify/golden.json holds datasets and
the report AWS's open-source `smclarify` 0.5 (the library SageMaker Clarify runs) computed for them, pre- and
post-training, every metric (tools/clarify_golden/generate.py). Each scenario is written out as the CSV a user would
give `modelBias.baseline.dataset`, and every metric of our analysis.json must equal smclarify's.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.analyzer.entry.byoc import main
from modelmonitor.analyzer.run.job import OPT_ML_ROOT_ENV
from modelmonitor.components.baseline_job import bias_baseline_environment
from modelmonitor.components.clarify_config import bias_baseline_config
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import example

GOLDEN = json.loads((Path(__file__).parents[1] / "analyzer/fixtures/clarify/golden.json").read_text())
SCENARIOS = {scenario["name"]: scenario for scenario in GOLDEN["scenarios"]}
CONTAINER = "/opt/ml/processing"


def _spec_config(facet: dict[str, Any], *, predicted: bool = True) -> dict[str, Any]:
    raw = example("lambda-engine.yaml").model_dump(by_alias=True, exclude_none=True)
    dataset: dict[str, Any] = {"s3Uri": "s3://acme/train.csv"}
    if predicted:
        dataset["predictedLabel"] = "predicted"
    raw["spec"]["modelBias"] = {
        "enabled": True, "groundTruthS3Uri": "s3://acme/ground-truth/", "inferenceAttribute": "0",
        "label": {"name": "label", "favourableValues": ["1"]}, "facets": [{"name": "facet", **facet}],
        "groupVariable": "group", "baseline": {"dataset": dataset}}
    return bias_baseline_config(ModelMonitorDocument.model_validate(raw).spec)


def _write_dataset(path: Path, scenario: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["f0", "f1", "f2", "facet", "group", "label", "predicted"])
        for features, facet, group, label, predicted in zip(
                scenario["features"], scenario["facet_column"], scenario["group"], scenario["label"],
                scenario["predicted"], strict=True):
            writer.writerow([*(repr(float(v)) for v in features), facet, group, label, predicted])


def _run(tmp_path: Path, scenario: dict[str, Any], config: dict[str, Any]) -> tuple[int, Path]:
    root = tmp_path / "opt-ml"
    env = {k: v.replace(CONTAINER, str(root / "processing")) for k, v in bias_baseline_environment().items()}
    _write_dataset(Path(env["dataset_source"]) / "train.csv", scenario)
    Path(env["analysis_config"]).parent.mkdir(parents=True, exist_ok=True)
    Path(env["analysis_config"]).write_text(json.dumps(config))
    return main({**env, OPT_ML_ROOT_ENV: str(root)}), root


def _by_name(report: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {str(r["value_or_threshold"]): {m["name"]: m for m in r["metrics"]} for r in report}


@pytest.mark.parametrize(("name", "facet"), [("categorical", {"values": ["f"]}),
                                             ("categorical-several-values", {"values": ["f", "x"]}),
                                             ("threshold", {"threshold": 50.0})])
def test_baseline_metrics_equal_smclarifys(tmp_path: Path, name: str, facet: dict[str, Any]) -> None:
    scenario = SCENARIOS[name]
    status, root = _run(tmp_path, scenario, _spec_config(facet))
    assert status == 0, (root / "output" / "message").read_text()
    assert (root / "output" / "message").read_text().startswith("Completed: bias baseline of "
                                                                f"{len(scenario['label'])} rows")
    analysis = json.loads((root / "processing" / "output" / "analysis.json").read_text())
    for stage in ("pre_training", "post_training"):
        (ours,) = analysis[f"{stage}_bias_metrics"]["facets"].values()
        theirs = scenario["clarify"][stage]
        assert _by_name(ours).keys() == _by_name(theirs).keys()
        for value, their_metrics in _by_name(theirs).items():
            our_metrics = _by_name(ours)[value]
            assert our_metrics.keys() == their_metrics.keys()
            for metric, expected in their_metrics.items():
                got = our_metrics[metric]
                if expected.get("error"):
                    assert got["value"] is None, (stage, metric, got)
                elif isinstance(expected["value"], str):
                    assert got["value"] == expected["value"], (stage, metric)
                else:
                    assert got["value"] == pytest.approx(expected["value"], rel=1e-9, abs=1e-12), (stage, metric)


def test_without_predicted_labels_only_pre_training_metrics(tmp_path: Path) -> None:
    scenario = SCENARIOS["categorical"]
    status, root = _run(tmp_path, scenario, _spec_config({"values": ["f"]}, predicted=False))
    assert status == 0
    analysis = json.loads((root / "processing" / "output" / "analysis.json").read_text())
    assert "pre_training_bias_metrics" in analysis
    assert "post_training_bias_metrics" not in analysis


def test_a_label_missing_from_the_dataset_fails_the_job_naming_it(tmp_path: Path) -> None:
    scenario = SCENARIOS["categorical"]
    config = {**_spec_config({"values": ["f"]}), "label": "approved"}
    status, root = _run(tmp_path, scenario, config)
    assert status == 2
    message = (root / "output" / "message").read_text()
    assert message.startswith("Failed: ") and "label 'approved' is not a column of the dataset" in message


def test_an_empty_dataset_folder_fails_the_job(tmp_path: Path) -> None:
    root = tmp_path / "opt-ml"
    env = {k: v.replace(CONTAINER, str(root / "processing")) for k, v in bias_baseline_environment().items()}
    Path(env["dataset_source"]).mkdir(parents=True)
    Path(env["analysis_config"]).parent.mkdir(parents=True)
    Path(env["analysis_config"]).write_text(json.dumps(_spec_config({"values": ["f"]})))
    assert main({**env, OPT_ML_ROOT_ENV: str(root)}) == 2
    assert "holds no dataset file" in (root / "output" / "message").read_text()


def test_the_rendered_job_computes_the_baseline_as_smclarify(tmp_path: Path) -> None:
    """spec → rendered job (Pulumi mocks) → SageMaker Processing emulated around the container (moto S3) →
    analysis.json at the type's baseline location, equal to smclarify's."""
    import boto3
    from moto import mock_aws

    from modelmonitor.components.baseline_job import job_request
    from modelmonitor.components.render import render_plan
    from tests.components.conftest import of_type
    from tests.engines.processing_emulator import run_job

    raw = example("lambda-engine.yaml").model_dump(by_alias=True, exclude_none=True)
    raw["spec"]["modelBias"] = {
        "enabled": True, "groundTruthS3Uri": "s3://acme-data/ground-truth/", "inferenceAttribute": "0",
        "label": {"name": "label", "favourableValues": ["1"]}, "facets": [{"name": "facet", "values": ["f"]}],
        "groupVariable": "group", "baseline": {"dataset": {"s3Uri": "s3://acme-data/bias/", "predictedLabel":
                                                           "predicted"}}}
    plan = render_plan([ModelMonitorDocument.model_validate(raw)])
    (job,) = [r["inputs"] for r in of_type(plan, "pulumi-python:dynamic:Resource")
              if r["inputs"].get("kind") == "model-bias"]
    (config,) = [r["inputs"] for r in of_type(plan, "s3/bucketObjectv2:BucketObjectv2")
                 if r["name"].endswith("model-bias-baseline-config")]
    request = job_request(job)
    # the code bundle is what runs in the container; here the same analyzer runs in process
    request["ProcessingInputs"] = [i for i in request["ProcessingInputs"] if i["InputName"] != "code"]
    scenario = SCENARIOS["categorical"]
    _write_dataset(tmp_path / "train.csv", scenario)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("acme-data", config["bucket"]):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket="acme-data", Key="bias/train.csv", Body=(tmp_path / "train.csv").read_bytes())
        s3.put_object(Bucket=config["bucket"], Key=config["key"], Body=config["content"].encode())
        assert run_job(request, s3=s3, workdir=tmp_path / "job") == [0]
        key = "baselines/growth/churn-scoring/model-bias/analysis.json"
        analysis = json.loads(s3.get_object(Bucket=config["bucket"], Key=key)["Body"].read())
    (ours,) = analysis["post_training_bias_metrics"]["facets"]["facet"]
    (theirs,) = scenario["clarify"]["post_training"]
    expected = {m["name"]: m["value"] for m in theirs["metrics"]}
    got = {m["name"]: m["value"] for m in ours["metrics"]}
    assert got["DPPL"] == pytest.approx(expected["DPPL"], rel=1e-9)
    assert got == pytest.approx(expected, rel=1e-9)
