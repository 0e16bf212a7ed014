"""Feature attribution drift as SageMaker Clarify measures it: Kernel SHAP attributions of a bounded sample of the
window, their global values (mean |SHAP| per feature), and the nDCG of the window's feature ranking against the
baseline's.

- Kernel SHAP (Lundberg & Lee 2017): the Shapley values of v(S) = E_background[f(x_S, X_not S)] found by the Shapley-
  kernel-weighted least squares over coalitions, constrained to sum to f(x) − E[f]. With few features every
  coalition is evaluated and the values are exact; beyond `max_coalitions`, coalitions are sampled by size from the
  Shapley kernel with their complements, as the `shap` library's KernelExplainer does. tests check both against
  `shap` (tests/analyzer/fixtures/clarify/shap_golden.json).
- nDCG as "Monitor Feature Attribution Drift for Models in Production"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-feature-attribution-drift.html) defines it:
  DCG = Σᵢ a(f′ᵢ)/log₂(i+1) over the live ranking f′ with the baseline attribution a, divided by the same sum over
  the baseline's own ranking; the violations page links scikit-learn's `ndcg_score`, which tests use as the oracle.
  Below 0.90 is a violation ("Model Feature Attribution Drift Violations", same guide).

Calling the model costs money: `predict` is the caller's (the run invokes the endpoint in batches and counts the
invocations), and `synthetic_rows` says beforehand how many rows a run will send.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Predict = Callable[[Matrix], npt.NDArray[np.float64]]

NDCG_THRESHOLD = 0.90
"""AWS's threshold ("If the score is less than 0.9, then a violation is logged")."""
ATTRIBUTION_DRIFT_CHECK = "feature_attribution_drift_check"


def _all_coalitions(m: int) -> npt.NDArray[np.bool_]:
    codes = np.arange(1, 2 ** m - 1, dtype=np.int64)
    return ((codes[:, None] >> np.arange(m)) & 1).astype(bool)


def _kernel_weight(m: int, size: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The Shapley kernel π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|))."""
    comb = np.array([math.comb(m, int(s)) for s in size], dtype=np.float64)
    weights: npt.NDArray[np.float64] = (m - 1) / (comb * size * (m - size))
    return weights


def _sampled_coalitions(m: int, count: int, rng: np.random.Generator) -> tuple[npt.NDArray[np.bool_],
                                                                                npt.NDArray[np.float64]]:
    """`count` coalitions (an even number: each with its complement), sizes drawn from the kernel's size
    distribution; each drawn coalition weighs the same (the kernel is in the sampling)."""
    sizes = np.arange(1, m)
    size_mass = (m - 1) / (sizes * (m - sizes))
    size_mass /= size_mass.sum()
    pairs = max(1, count // 2)
    drawn = rng.choice(sizes, size=pairs, p=size_mass)
    masks = np.zeros((pairs, m), dtype=bool)
    for row, size in enumerate(drawn):
        masks[row, rng.choice(m, size=size, replace=False)] = True
    coalitions = np.concatenate([masks, ~masks])
    return coalitions, np.ones(coalitions.shape[0], dtype=np.float64)


def coalitions_for(m: int, max_coalitions: int, rng: np.random.Generator
                   ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Every coalition when they fit in `max_coalitions` (exact values), else a paired sample of that many."""
    if m < 2:
        raise ValueError("Kernel SHAP needs at least two features")
    if 2 ** m - 2 <= max_coalitions:
        coalitions = _all_coalitions(m)
        return coalitions, _kernel_weight(m, coalitions.sum(axis=1))
    return _sampled_coalitions(m, max_coalitions, rng)


def synthetic_rows(rows: int, features: int, background: int, max_coalitions: int) -> int:
    """How many rows one attribution run sends to the model: the background, the rows themselves, and rows ×
    coalitions × background synthetic rows."""
    exact = 2 ** features - 2
    coalitions = exact if exact <= max_coalitions else 2 * max(1, max_coalitions // 2)
    return int(background + rows + rows * coalitions * background)


SYNTHETIC_BLOCK_ROWS = 1_000_000
"""Synthetic rows built at once (8 bytes × features each): bounds memory, whatever the sample and coalitions."""


def kernel_shap(predict: Predict, rows: Matrix, background: Matrix, *, max_coalitions: int = 2048,
                seed: int = 0) -> tuple[Matrix, float]:
    """(SHAP values, one row per row and one column per feature; the expected value E_background[f])."""
    n, m = rows.shape
    if background.ndim != 2 or background.shape[1] != m or background.shape[0] == 0:
        raise ValueError(f"the background needs rows of the {m} features")
    coalitions, weights = coalitions_for(m, max_coalitions, np.random.default_rng(seed))
    b, k = background.shape[0], coalitions.shape[0]
    expected = float(np.mean(predict(background)))
    full = np.asarray(predict(rows), dtype=np.float64).reshape(n)
    values = np.empty((n, k), dtype=np.float64)
    step = max(1, SYNTHETIC_BLOCK_ROWS // (k * b))
    for start in range(0, n, step):
        block = rows[start:start + step]
        # Row i, coalition j, background row l → x_i on the coalition's features, the background row elsewhere.
        synthetic = np.broadcast_to(background, (block.shape[0], k, b, m)).copy()
        take = np.broadcast_to(coalitions[None, :, None, :], synthetic.shape)
        synthetic[take] = np.broadcast_to(block[:, None, None, :], synthetic.shape)[take]
        predicted = np.asarray(predict(synthetic.reshape(-1, m)), dtype=np.float64)
        values[start:start + step] = predicted.reshape(block.shape[0], k, b).mean(axis=2)
    # Constrained weighted least squares: φ_last = (f(x) − E[f]) − Σ other φ; regress the rest.
    z = coalitions.astype(np.float64)
    target = values - expected - z[:, -1][None, :] * (full - expected)[:, None]
    design = z[:, :-1] - z[:, -1:]
    weighted = design * weights[:, None]
    solution, *_ = np.linalg.lstsq(weighted.T @ design, weighted.T @ target.T, rcond=None)
    phi = np.empty((n, m), dtype=np.float64)
    phi[:, :-1] = solution.T
    phi[:, -1] = (full - expected) - phi[:, :-1].sum(axis=1)
    return phi, expected


def global_shap_values(values: Matrix, names: list[str]) -> dict[str, float]:
    """Clarify's default aggregation (`agg_method: mean_abs`): the mean absolute SHAP value of each feature."""
    return {name: float(v) for name, v in zip(names, np.abs(values).mean(axis=0), strict=True)}


def ndcg(baseline: Mapping[str, float], live: Mapping[str, float]) -> float:
    """nDCG of the live ranking, judged by the baseline's attributions (AWS's definition, module docstring).
    Features missing from the live attributions rank last; ties in the live values share their mean gain
    (scikit-learn's `ndcg_score` with ties)."""
    names = list(baseline)
    gains = np.array([baseline[n] for n in names], dtype=np.float64)
    scores = np.array([live.get(n, -math.inf) for n in names], dtype=np.float64)
    discounts = 1.0 / np.log2(np.arange(2, len(names) + 2))
    ideal = float(np.sum(np.sort(gains)[::-1] * discounts))
    if ideal == 0:
        return 1.0
    order = np.argsort(-scores, kind="stable")
    dcg, position = 0.0, 0
    sorted_scores = scores[order]
    while position < len(order):
        end = position
        while end + 1 < len(order) and sorted_scores[end + 1] == sorted_scores[position]:
            end += 1
        tied = order[position:end + 1]
        dcg += float(gains[tied].mean() * discounts[position:end + 1].sum())
        position = end + 1
    return dcg / ideal


def explanations_document(global_values: Mapping[str, float], expected_value: float, *, label: str = "label0"
                          ) -> dict[str, Any]:
    """analysis.json's `explanations` section in Clarify's shape."""
    return {"version": "1.0", "explanations": {"kernel_shap": {label: {
        "global_shap_values": dict(global_values), "expected_value": expected_value}}}}


GLOBAL_SHAP_METRIC_PREFIX = "feature_"
"""AWS's name of a feature's global SHAP value metric: `feature_<name>` ("CloudWatch Metrics for Feature Drift
Analysis", https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-feature-attribute-drift-cw.html)."""
EXPLAINABILITY_METHOD = "KernelShap"
GLOBAL_SHAP_VALUE_TYPE = "GlobalShapValues"
MAX_METRIC_NAME = 255
"""PutMetricData's MetricName length limit (botocore's cloudwatch model, MetricDatum.MetricName max 255)."""


def global_shap_metric_records(analysis: Mapping[str, Any], *, dimensions: list[dict[str, str]], timestamp: str
                               ) -> list[dict[str, Any]]:
    """One `feature_<name>` datum per feature and label, with the dimensions AWS's feature attribution jobs publish
    (ExplainabilityMethod=KernelShap, Label, ValueType=GlobalShapValues) after `dimensions` (ours: Endpoint,
    MonitoringSchedule). A feature whose metric name would exceed CloudWatch's 255 characters is left out (a cut
    name could collide with another feature's); a value that is not finite is left out, as CloudWatch refuses it."""
    records: list[dict[str, Any]] = []
    labels = ((analysis.get("explanations") or {}).get("kernel_shap") or {})
    for label, section in labels.items():
        extra = [{"Name": "ExplainabilityMethod", "Value": EXPLAINABILITY_METHOD},
                 {"Name": "Label", "Value": str(label)}, {"Name": "ValueType", "Value": GLOBAL_SHAP_VALUE_TYPE}]
        for feature, value in (section.get("global_shap_values") or {}).items():
            name = f"{GLOBAL_SHAP_METRIC_PREFIX}{feature}"
            if len(name) > MAX_METRIC_NAME or not math.isfinite(float(value)):
                continue
            records.append({"MetricName": name, "Timestamp": timestamp, "Dimensions": [*dimensions, *extra],
                            "Value": float(value), "Unit": "None"})
    return records


def attribution_violations(current: Mapping[str, Any], baseline: Mapping[str, Any],
                           threshold: float = NDCG_THRESHOLD) -> tuple[list[dict[str, str]], dict[str, float]]:
    """(violations, nDCG per label): every label of the baseline's explanations whose live ranking scores below
    the threshold, in AWS's violations schema."""
    violations: list[dict[str, str]] = []
    scores: dict[str, float] = {}
    base = ((baseline.get("explanations") or {}).get("kernel_shap") or {})
    live = ((current.get("explanations") or {}).get("kernel_shap") or {})
    for label, section in base.items():
        if label not in live:
            continue
        score = ndcg(section.get("global_shap_values") or {}, live[label].get("global_shap_values") or {})
        scores[label] = score
        if score < threshold:
            violations.append({"label": label, "metric_name": "shap",
                               "constraint_check_type": ATTRIBUTION_DRIFT_CHECK,
                               "description": f"Feature attribution drift {score:.6g} exceeds threshold "
                                              f"{threshold:.6g}"})
    return violations, scores
