"""spec.modelBias, spec.featureAttribution and spec.batchTransform: valid documents pass pydantic and the CRD
(openAPI + CEL); each invalid one is refused by both, with the field and a message naming what to set."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.errors import ManifestError
from modelmonitor.loader import load_monitors
from tests.spec.crd_harness import api_server_errors, load_crd
from tests.spec.test_invalid_manifests import BASE, Doc, _both, _delete, _set

BIAS_ON: Doc = {"enabled": True, "groundTruthS3Uri": "s3://bucket-a/gt/",
                "label": {"name": "approved", "favourableValues": ["1"]},
                "facets": [{"name": "gender", "values": ["female"]}, {"name": "age", "threshold": 40}],
                "probabilityAttribute": "0", "probabilityThreshold": 0.6}
ATTRIBUTION_ON: Doc = {"enabled": True, "headers": ["income", "age", "tenure"],
                       "backgroundRows": [[50000, 40, 3], [20000, 25, 1]], "numSamples": 64}
BATCH: Doc = {"destinationS3Uri": "s3://bucket-a/batch-captures/", "contentType": "text/csv"}


def _batch(doc: Doc) -> None:
    del doc["spec"]["endpoint"]
    del doc["spec"]["dataCapture"]
    doc["spec"]["batchTransform"] = copy.deepcopy(BATCH)


def _with(*mutations: Callable[[Doc], None]) -> Doc:
    doc = copy.deepcopy(BASE)
    for mutate in mutations:
        mutate(doc)
    return doc


def _problems(tmp_path: Path, doc: Doc) -> list[str]:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ManifestError) as caught:
        load_monitors(path)
    return [str(p).split(": ", 2)[2] for p in caught.value.problems]


VALID = {
    "bias": _with(_set("spec.modelBias", BIAS_ON)),
    "bias-threshold-label-precomputed-baseline": _with(_set("spec.modelBias", {
        **BIAS_ON, "label": {"threshold": 0.5}, "inferenceAttribute": "prediction",
        "baseline": {"analysisS3Uri": "s3://bucket-a/bias/analysis.json"}})),
    "attribution": _with(_set("spec.featureAttribution", ATTRIBUTION_ON)),
    "bias-dataset-baseline-with-tolerance": _with(_set("spec.modelBias", {**BIAS_ON, "baseline": {"dataset": {
        "s3Uri": "s3://bucket-a/train.csv", "predictedLabel": "score", "tolerance": {"DPPL": 0.1, "DI": 0.2}}}})),
    "batch": _with(_batch),
    "batch-attribution-with-endpoint": _with(_batch, _set("spec.featureAttribution",
                                                          {**ATTRIBUTION_ON, "endpointName": "churn-shadow"})),
    "attribution-background-uri-model-monitor": _with(_set("spec.engine", "modelMonitor"), _set(
        "spec.featureAttribution", {**{k: v for k, v in ATTRIBUTION_ON.items() if k != "backgroundRows"},
                                    "backgroundS3Uri": "s3://bucket-a/background.csv"})),
}


@pytest.mark.parametrize("case", list(VALID))
def test_valid_for_pydantic_and_api_server(tmp_path: Path, case: str) -> None:
    doc = VALID[case]
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(doc))
    (loaded,) = load_monitors(path)
    assert api_server_errors(load_crd(), doc) == []
    spec = loaded.document.spec
    assert (spec.batch_transform is not None) == case.startswith("batch")


def test_unquoted_numbers_in_values_are_refused_by_both(tmp_path: Path) -> None:
    """The CRD types values as strings: pydantic must not accept what the API server refuses."""
    doc = _with(_set("spec.modelBias", {**BIAS_ON, "label": {"favourableValues": [1]}}))
    assert any(p.startswith("spec.modelBias.label.favourableValues[0]: ") for p in _problems(tmp_path, doc))
    assert api_server_errors(load_crd(), doc)


def load_monitors_from(doc: Doc) -> list[Any]:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(yaml.safe_dump(doc))
        return load_monitors(path)


def test_attribution_is_off_unless_enabled() -> None:
    """It costs inference calls: a document that does not ask for it never gets it."""
    (loaded,) = load_monitors_from(copy.deepcopy(BASE))
    assert loaded.document.spec.feature_attribution.enabled is False
    assert loaded.document.spec.model_bias.enabled is False
    spec = load_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["featureAttribution"]["properties"]["enabled"]["default"] is False


def _bias_without(key: str) -> Callable[[Doc], None]:
    return _set("spec.modelBias", {k: v for k, v in BIAS_ON.items() if k != key})


# (id, mutation, field path, message: the loader's text, which the API server's CEL message contains as well or,
# for openAPI checks, None)
CASES: list[tuple[str, Callable[[Doc], None], str, str, str | None]] = [
    ("both-sources", _set("spec.batchTransform", BATCH), "spec",
     "exactly one of spec.endpoint or spec.batchTransform must be set (both are)",
     "exactly one of spec.endpoint or spec.batchTransform must be set"),
    ("no-source", _delete("spec.endpoint"), "spec",
     "exactly one of spec.endpoint or spec.batchTransform must be set (neither is)",
     "exactly one of spec.endpoint or spec.batchTransform must be set"),
    ("batch-attribution-without-endpoint", _both(_batch, _set("spec.featureAttribution", ATTRIBUTION_ON)), "spec",
     "featureAttribution.endpointName is required for a batch transform source: attribution calls the model, and "
     "a transform job has no endpoint to call", "featureAttribution.endpointName is required"),
    ("batch-destination-not-s3", _both(_batch, _set("spec.batchTransform.destinationS3Uri", "/tmp/x")),
     "spec.batchTransform.destinationS3Uri", "must be an s3:// URI", None),
    ("bias-no-ground-truth", _bias_without("groundTruthS3Uri"), "spec.modelBias",
     "groundTruthS3Uri is required when modelBias is enabled",
     "modelBias.groundTruthS3Uri is required when modelBias is enabled"),
    ("bias-no-facets", _bias_without("facets"), "spec.modelBias", "facets is required when modelBias is enabled",
     "modelBias.facets is required when modelBias is enabled"),
    ("bias-no-label", _bias_without("label"), "spec.modelBias", "label is required when modelBias is enabled",
     "modelBias.label is required when modelBias is enabled"),
    ("bias-no-prediction", _bias_without("probabilityAttribute"), "spec.modelBias",
     "inferenceAttribute or probabilityAttribute is required when modelBias is enabled",
     "modelBias.inferenceAttribute or modelBias.probabilityAttribute is required"),
    ("bias-label-both", _set("spec.modelBias", {**BIAS_ON, "label": {"favourableValues": ["1"], "threshold": 0.5}}),
     "spec.modelBias.label", "exactly one of label.favourableValues or label.threshold must be set (both are)",
     "exactly one of label.favourableValues or label.threshold must be set"),
    ("bias-label-neither", _set("spec.modelBias", {**BIAS_ON, "label": {"name": "y"}}),
     "spec.modelBias.label", "exactly one of label.favourableValues or label.threshold must be set (neither is)",
     "exactly one of label.favourableValues or label.threshold must be set"),
    ("bias-facet-both", _set("spec.modelBias", {**BIAS_ON, "facets": [{"name": "age", "values": ["1"],
                                                                      "threshold": 3}]}),
     "spec.modelBias.facets[0]", "facet 'age': values or threshold, not both",
     "a facet has values or a threshold, not both"),
    ("bias-baseline-both", _set("spec.modelBias", {**BIAS_ON, "baseline": {
        "analysisS3Uri": "s3://bucket-a/a.json", "dataset": {"s3Uri": "s3://bucket-a/train.csv"}}}),
     "spec.modelBias.baseline",
     "exactly one of modelBias.baseline.analysisS3Uri or modelBias.baseline.dataset must be set (both are)",
     "exactly one of modelBias.baseline.analysisS3Uri or modelBias.baseline.dataset must be set"),
    ("bias-tolerance-unknown-metric", _set("spec.modelBias", {**BIAS_ON, "baseline": {"dataset": {
        "s3Uri": "s3://bucket-a/train.csv", "tolerance": {"DPPL": 0.1, "dppl": 0.1}}}}),
     "spec.modelBias.baseline.dataset", "tolerance names unknown bias metric(s) dppl",
     "tolerance keys are Clarify's bias metric short names"),
    ("bias-tolerance-negative", _set("spec.modelBias", {**BIAS_ON, "baseline": {"dataset": {
        "s3Uri": "s3://bucket-a/train.csv", "tolerance": {"DPPL": -0.1}}}}),
     "spec.modelBias.baseline.dataset.tolerance.DPPL", "must be at least 0.0, got -0.1", None),
    ("bias-threshold-range", _set("spec.modelBias", {**BIAS_ON, "probabilityThreshold": 1.5}),
     "spec.modelBias.probabilityThreshold", "must be at most 1", None),
    ("attribution-one-header", _set("spec.featureAttribution", {**ATTRIBUTION_ON, "headers": ["income"],
                                                               "backgroundRows": [[1.0]]}),
     "spec.featureAttribution", "headers (at least two feature names) is required when featureAttribution is "
     "enabled", "featureAttribution.headers (at least two feature names) is required"),
    ("attribution-no-background", _set("spec.featureAttribution", {
        k: v for k, v in ATTRIBUTION_ON.items() if k != "backgroundRows"}), "spec.featureAttribution",
     "exactly one of backgroundRows or backgroundS3Uri must be set when featureAttribution is enabled",
     "exactly one of featureAttribution.backgroundRows or featureAttribution.backgroundS3Uri must be set"),
    ("attribution-row-length", _set("spec.featureAttribution", {**ATTRIBUTION_ON, "backgroundRows": [[1, 2]]}),
     "spec.featureAttribution", "backgroundRows[0] has 2 values, headers name 3 features",
     "each of featureAttribution.backgroundRows must hold one value per header"),
    ("attribution-background-uri-our-engine", _set("spec.featureAttribution", {
        **{k: v for k, v in ATTRIBUTION_ON.items() if k != "backgroundRows"},
        "backgroundS3Uri": "s3://bucket-a/bg.csv"}), "spec",
     "featureAttribution.backgroundS3Uri needs engine modelMonitor; our engines take backgroundRows",
     "featureAttribution.backgroundS3Uri needs engine modelMonitor"),
    ("attribution-samples-zero", _set("spec.featureAttribution", {**ATTRIBUTION_ON, "numSamples": 0}),
     "spec.featureAttribution.numSamples", "must be at least 1", None),
    ("attribution-content-type", _set("spec.featureAttribution", {**ATTRIBUTION_ON, "contentType": "csv"}),
     "spec.featureAttribution.contentType", "must be one of 'text/csv' or 'application/jsonlines', got 'csv'", None),
]


@pytest.mark.parametrize(("case", "mutate", "path", "message", "cel"), CASES, ids=[c[0] for c in CASES])
def test_invalid_is_refused_by_both(tmp_path: Path, case: str, mutate: Callable[[Doc], None], path: str,
                                    message: str, cel: str | None) -> None:
    doc = _with(mutate)
    problems = _problems(tmp_path, doc)
    assert any(p.startswith(f"{path}: ") and message in p for p in problems), problems
    errors = api_server_errors(load_crd(), doc)
    assert errors, f"{case}: the CRD accepts what the loader refuses"
    if cel is not None:
        assert any(cel in e for e in errors), errors


@pytest.mark.parametrize(("model", "data", "message"), [
    ("BiasLabel", {"favourable_values": ["1"], "threshold": 0.5}, "exactly one of label.favourableValues"),
    ("BiasBaseline", {"analysis_s3_uri": "s3://b/a.json", "dataset": {"s3Uri": "s3://b/d.csv"}},
     "exactly one of modelBias.baseline.analysisS3Uri"),
])
def test_exactly_one_holds_for_snake_case_names_too(model: str, data: dict[str, Any], message: str) -> None:
    """The models accept snake_case field names (populate_by_name): the exactly-one rule must see them."""
    import pydantic

    from modelmonitor import spec_clarify

    with pytest.raises(pydantic.ValidationError, match=message):
        getattr(spec_clarify, model).model_validate(data)


def test_the_bias_tolerance_names_the_analyzers_metrics() -> None:
    """`modelBias.baseline.dataset.tolerance` keys are exactly the metrics the analyzer computes (Clarify's short
    names, bias_metrics.PRE_TRAINING / POST_TRAINING)."""
    from modelmonitor.analyzer.quality.bias_metrics import POST_TRAINING, PRE_TRAINING
    from modelmonitor.spec_clarify import BIAS_METRICS

    assert sorted(BIAS_METRICS) == sorted({*PRE_TRAINING, *POST_TRAINING})
