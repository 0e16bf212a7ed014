"""Feature attribution drift against outside oracles: Kernel SHAP against the `shap` library's KernelExplainer
(tests/analyzer/fixtures/clarify/shap_golden.json, made by tools/clarify_golden/generate_shap.py), nDCG against
scikit-learn's `ndcg_score` (which AWS's "Model Feature Attribution Drift Violations" page links) and against the
college-admission example of "Monitor Feature Attribution Drift for Models in Production"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-feature-attribution-drift.html)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from modelmonitor.analyzer.quality.attribution import (
    attribution_violations,
    explanations_document,
    global_shap_values,
    kernel_shap,
    ndcg,
    synthetic_rows,
)

GOLDEN = json.loads((Path(__file__).parents[1] / "fixtures/clarify/shap_golden.json").read_text())
WEIGHTS = np.array(GOLDEN["weights"])


def _model(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ WEIGHTS + GOLDEN["interaction"] * x[:, 0] * x[:, 1])))


def test_exact_kernel_shap_matches_the_shap_library() -> None:
    values, expected = kernel_shap(_model, np.array(GOLDEN["rows"]), np.array(GOLDEN["background"]))
    assert expected == pytest.approx(GOLDEN["expected_value"], abs=1e-12)
    np.testing.assert_allclose(values, np.array(GOLDEN["shap_values"]), atol=1e-9)


def test_values_add_up_to_the_prediction_less_the_expected_value() -> None:
    rows = np.array(GOLDEN["rows"])
    values, expected = kernel_shap(_model, rows, np.array(GOLDEN["background"]), max_coalitions=20, seed=3)
    np.testing.assert_allclose(values.sum(axis=1), _model(rows) - expected, atol=1e-12)


def test_sampled_coalitions_approach_the_exact_values() -> None:
    rng = np.random.default_rng(5)
    weights = rng.normal(size=11)
    rows, background = rng.normal(size=(6, 11)), rng.normal(size=(4, 11))

    def linear(x: np.ndarray) -> np.ndarray:
        return x @ weights

    exact, _ = kernel_shap(linear, rows, background)                          # 2046 coalitions: all of them
    sampled, _ = kernel_shap(linear, rows, background, max_coalitions=400, seed=1)
    # A linear model's Shapley values are known in closed form: w_j (x_j − mean background_j).
    np.testing.assert_allclose(exact, weights * (rows - background.mean(axis=0)), atol=1e-9)
    np.testing.assert_allclose(sampled, exact, atol=1e-9)                       # linear: any coalitions recover it
    nonlinear_exact, _ = kernel_shap(lambda x: np.tanh(linear(x)), rows, background)
    nonlinear_sampled, _ = kernel_shap(lambda x: np.tanh(linear(x)), rows, background, max_coalitions=600, seed=2)
    assert np.abs(nonlinear_sampled - nonlinear_exact).max() < 0.05


def test_the_number_of_model_rows_is_known_before_the_run() -> None:
    calls: list[int] = []

    def counting(x: np.ndarray) -> np.ndarray:
        calls.append(x.shape[0])
        return _model(x)

    rows, background = np.array(GOLDEN["rows"]), np.array(GOLDEN["background"])
    kernel_shap(counting, rows, background)
    assert sum(calls) == synthetic_rows(len(rows), 6, len(background), 2048) == 5 + 12 + 12 * 62 * 5


def test_ndcg_matches_scikit_learn_including_ties() -> None:
    rng = np.random.default_rng(9)
    for _ in range(200):
        m = int(rng.integers(2, 12))
        base = np.round(rng.random(m), 1)
        live = np.round(rng.random(m), 1)                                       # rounding makes ties
        names = [f"f{i}" for i in range(m)]
        ours = ndcg(dict(zip(names, base, strict=True)), dict(zip(names, live, strict=True)))
        if base.sum() == 0:
            continue
        assert ours == pytest.approx(ndcg_score([base], [live]), abs=1e-12)


def test_awss_college_admission_example() -> None:
    baseline = {"SAT score": 0.70, "GPA": 0.50, "Class rank": 0.05}
    live = {"SAT score": 0.10, "GPA": 0.20, "Class rank": 0.70}
    dcg = 0.05 / math.log2(2) + 0.50 / math.log2(3) + 0.70 / math.log2(4)
    ideal = 0.70 / math.log2(2) + 0.50 / math.log2(3) + 0.05 / math.log2(4)
    assert ndcg(baseline, live) == pytest.approx(dcg / ideal)
    assert ndcg(baseline, baseline) == 1.0
    violations, scores = attribution_violations(explanations_document(live, 0.5),
                                                explanations_document(baseline, 0.5))
    assert scores == {"label0": pytest.approx(dcg / ideal)}
    assert violations == [{"label": "label0", "metric_name": "shap",
                           "constraint_check_type": "feature_attribution_drift_check",
                           "description": f"Feature attribution drift {dcg / ideal:.6g} exceeds threshold 0.9"}]


def test_global_values_are_mean_absolute_values() -> None:
    values = np.array([[1.0, -2.0], [-3.0, 0.0]])
    assert global_shap_values(values, ["a", "b"]) == {"a": 2.0, "b": 1.0}
