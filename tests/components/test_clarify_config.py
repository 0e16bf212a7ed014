"""The analysis configurations rendered from the spec are the files the analyzer's own parsers (Clarify's formats)
accept, saying what the spec says; the attribution cost shown to users is the number of rows Kernel SHAP really
sends to the model."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from modelmonitor.analyzer.quality.attribution import kernel_shap
from modelmonitor.analyzer.quality.attribution_run import parse_attribution_config
from modelmonitor.analyzer.quality.bias_config import Facet, parse_config
from modelmonitor.cli import main
from modelmonitor.components.clarify_config import (
    attribution_analysis_config,
    attribution_exceeds_budget,
    attribution_rows_per_run,
    bias_analysis_config,
)
from modelmonitor.spec import ModelMonitorSpec
from tests.spec.test_clarify_spec import ATTRIBUTION_ON, BIAS_ON, _with
from tests.spec.test_invalid_manifests import _set


def _spec(doc: dict[str, Any]) -> ModelMonitorSpec:
    return ModelMonitorSpec.model_validate(doc["spec"])


def test_bias_configuration_is_what_the_analyzer_parses() -> None:
    spec = _spec(_with(_set("spec.modelBias", {**BIAS_ON, "groupVariable": "zip", "headers": ["gender", "age", "zip"],
                                               "facets": [{"name": "gender", "values": ["female"]},
                                                          {"name": "age", "threshold": 40},
                                                          {"name": "3"}]})))
    config = parse_config(json.loads(json.dumps(bias_analysis_config(spec))))
    assert config.label == "approved"
    assert config.label_values_or_threshold == (1,)  # "1" in the spec: a number, as the label column's values
    assert config.facets == (Facet("gender", ("female",)), Facet("age", (40.0,)), Facet(3, None))
    assert config.group_variable == "zip"
    assert config.headers == ("gender", "age", "zip", "approved")  # the label column last, as AWS lists it
    assert config.probability_threshold == 0.6
    assert config.pre_training is not None and config.post_training is not None


def test_bias_threshold_label() -> None:
    spec = _spec(_with(_set("spec.modelBias", {**BIAS_ON, "label": {"name": "score", "threshold": 0.7}})))
    assert parse_config(bias_analysis_config(spec)).label_values_or_threshold == (0.7,)


def test_attribution_configuration_is_what_the_analyzer_parses() -> None:
    spec = _spec(_with(_set("spec.featureAttribution", {**ATTRIBUTION_ON, "score": "1", "maxRows": 7,
                                                         "maxModelRows": 5000, "accept": "application/json"})))
    config = parse_attribution_config(attribution_analysis_config(spec, ours=True))
    assert config.headers == ("income", "age", "tenure")
    assert config.background == ((50000.0, 40.0, 3.0), (20000.0, 25.0, 1.0))
    assert (config.num_samples, config.max_rows, config.max_model_rows) == (64, 7, 5000)
    assert (config.content_type, config.accept_type, config.score) == ("text/csv", "application/json", 1)
    aws = attribution_analysis_config(spec, ours=False)
    assert "max_rows" not in aws and "max_model_rows" not in aws


@pytest.mark.parametrize(("features", "background", "rows", "samples"), [(3, 2, 4, 64), (6, 3, 5, 20), (2, 1, 3, 500)])
def test_cost_estimate_counts_the_rows_kernel_shap_sends(features: int, background: int, rows: int,
                                                          samples: int) -> None:
    """The estimate against the real computation: every row handed to the model is counted."""
    sent = 0

    def predict(matrix: np.ndarray) -> np.ndarray:
        nonlocal sent
        sent += matrix.shape[0]
        return np.asarray(matrix.sum(axis=1), dtype=np.float64)

    rng = np.random.default_rng(0)
    kernel_shap(predict, rng.normal(size=(rows, features)), rng.normal(size=(background, features)),
                max_coalitions=samples)
    spec = _spec(_with(_set("spec.featureAttribution", {
        **ATTRIBUTION_ON, "headers": [f"f{i}" for i in range(features)], "maxRows": rows, "numSamples": samples,
        "backgroundRows": [[0.0] * features] * background})))
    assert attribution_rows_per_run(spec.feature_attribution) == sent


def test_validate_shows_the_cost_and_refuses_a_budget_no_run_fits(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    doc = _with(_set("spec.featureAttribution", ATTRIBUTION_ON))
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "featureAttribution=daily" in out
    # 2 background + 20 rows + 20 rows × 6 coalitions (all 2**3 - 2 of three features) × 2 background
    assert "at most 262 rows per run" in out
    over = copy.deepcopy(doc)
    over["spec"]["featureAttribution"]["maxModelRows"] = 100
    path.write_text(yaml.safe_dump(over))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "spec.featureAttribution: a run needs 262 model rows" in err and "maxModelRows is 100" in err
    spec = _spec(over)
    assert attribution_exceeds_budget(spec.feature_attribution) == 262



def test_render_shows_the_attribution_cost_the_example_states(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/feature-attribution.yaml says 1,222 rows a run in its header; render and validate must agree."""
    example = Path(__file__).resolve().parents[2] / "examples" / "feature-attribution.yaml"
    assert "= 1,222 rows per run" in example.read_text()
    assert main(["render", str(example)]) == 0
    assert "growth/churn-explained: each feature attribution run sends at most 1,222 rows" in capsys.readouterr().out
    assert main(["validate", str(example)]) == 0
    assert "at most 1,222 rows per run" in capsys.readouterr().out
