"""Writes tests/analyzer/fixtures/clarify/shap_golden.json: Kernel SHAP values computed by the `shap` library's
KernelExplainer for a fixed model, the oracle of modelmonitor/analyzer/quality/attribution.py.

The model is stored as its parameters (the test rebuilds the same function): f(x) = sigmoid(w·x + c·x0·x1).
Six features: shap evaluates every coalition, so its values are exact and comparable to 1e-9.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shap

OUT = Path(__file__).resolve().parents[2] / "tests/analyzer/fixtures/clarify/shap_golden.json"


def main() -> int:
    rng = np.random.default_rng(20261207)
    weights = np.round(rng.normal(size=6), 3)
    interaction = 0.75

    def model(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(x @ weights + interaction * x[:, 0] * x[:, 1])))

    background = np.round(rng.normal(size=(5, 6)), 3)
    rows = np.round(rng.normal(size=(12, 6)), 3)
    explainer = shap.KernelExplainer(model, background)
    values = explainer.shap_values(rows, nsamples=2 ** 6, l1_reg=False, silent=True)
    OUT.write_text(json.dumps({
        "generator": "tools/clarify_golden/generate_shap.py", "shap": shap.__version__,
        "weights": weights.tolist(), "interaction": interaction, "background": background.tolist(),
        "rows": rows.tolist(), "shap_values": np.asarray(values).tolist(),
        "expected_value": float(explainer.expected_value)}) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
