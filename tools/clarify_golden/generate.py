"""Writes tests/analyzer/fixtures/clarify/golden.json: bias metrics computed by AWS's `smclarify` (the library
SageMaker Clarify runs) on generated windows, the oracle for our own implementation.

Run by `make clarify-golden` in its own venv (smclarify 0.5 needs pandas 1.x; see requirements.txt). Each scenario
stores its inputs (facet column, labels, predicted labels, group variable, numeric features) as given to smclarify,
and smclarify's report for the pre- and post-training stages, so the test needs no smclarify at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from smclarify.bias import report

OUT = Path(__file__).resolve().parents[2] / "tests/analyzer/fixtures/clarify/golden.json"


def _scenario(name: str, rng: np.random.Generator, rows: int, *, facet_kind: str, p_facet: float = 0.3,
              rate_a: float = 0.6, rate_d: float = 0.4, accuracy: float = 0.8, groups: int = 3,
              features: int = 3) -> dict[str, Any]:
    if facet_kind == "categorical":
        facet_values = rng.choice(["f", "m", "x"], rows, p=[p_facet, 1 - p_facet - 0.05, 0.05])
        sensitive = facet_values == "f"
        facet_column: list[Any] = facet_values.tolist()
        facet_spec: dict[str, Any] = {"values": ["f"]}
    elif facet_kind == "categorical-several":
        facet_values = rng.choice(["f", "m", "x"], rows, p=[p_facet, 1 - p_facet - 0.1, 0.1])
        sensitive = np.isin(facet_values, ["f", "x"])
        facet_column = facet_values.tolist()
        facet_spec = {"values": ["f", "x"]}
    elif facet_kind == "one-vs-all":
        facet_values = rng.choice(["f", "m", "x"], rows, p=[p_facet, 1 - p_facet - 0.1, 0.1])
        sensitive = facet_values == "f"
        facet_column = facet_values.tolist()
        facet_spec = {}
    else:
        age = np.round(rng.uniform(18, 80, rows), 1)
        sensitive = age > 50.0
        facet_column = age.tolist()
        facet_spec = {"threshold": 50.0}
    label = np.where(sensitive, rng.random(rows) < rate_d, rng.random(rows) < rate_a)
    predicted = np.where(rng.random(rows) < accuracy, label, ~label)
    group = rng.integers(0, groups, rows)
    matrix = np.round(rng.normal(size=(rows, features)) + sensitive[:, None] * 0.5, 4)
    return {"name": name, "facet_kind": facet_kind, "facet_column": facet_column, "facet": facet_spec,
            "label": label.astype(int).tolist(), "predicted": predicted.astype(int).tolist(),
            "group": group.tolist(), "features": matrix.tolist()}


def _clarify(scenario: dict[str, Any]) -> dict[str, Any]:
    frame = pd.DataFrame(np.array(scenario["features"]), columns=[f"x{i}" for i in range(len(scenario["features"][0]))])
    frame["facet"] = scenario["facet_column"]
    frame["label"] = scenario["label"]
    frame["predicted"] = scenario["predicted"]
    sensitive = scenario["facet"].get("values") or ([scenario["facet"]["threshold"]] if "threshold" in scenario["facet"]
                                                     else None)
    facet = report.FacetColumn("facet", sensitive)
    label = report.LabelColumn("label", frame["label"], [1])
    group = pd.Series(scenario["group"])
    out = {}
    stages = ((report.StageType.PRE_TRAINING, "pre_training"), (report.StageType.POST_TRAINING, "post_training"))
    for stage, key in stages:
        out[key] = report.bias_report(frame, facet, label, stage_type=stage, metrics=["all"], group_variable=group,
                                      predicted_label_column=report.LabelColumn("predicted", frame["predicted"], [1]))
    return out


def main() -> int:
    rng = np.random.default_rng(20261207)
    scenarios = [
        _scenario("categorical", rng, 600, facet_kind="categorical"),
        _scenario("categorical-several-values", rng, 500, facet_kind="categorical-several"),
        _scenario("one-vs-all", rng, 400, facet_kind="one-vs-all"),
        _scenario("threshold", rng, 500, facet_kind="threshold"),
        _scenario("balanced", rng, 400, facet_kind="categorical", p_facet=0.45, rate_a=0.5, rate_d=0.5),
        _scenario("small-advantaged-group", rng, 60, facet_kind="categorical", p_facet=0.88),
        _scenario("facet-never-positive", rng, 300, facet_kind="categorical", rate_d=0.0, accuracy=1.0),
        _scenario("perfect-model", rng, 300, facet_kind="categorical", accuracy=1.0),
        _scenario("one-group", rng, 300, facet_kind="categorical", groups=1),
    ]
    for scenario in scenarios:
        scenario["clarify"] = _clarify(scenario)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "tools/clarify_golden/generate.py", "smclarify": "0.5",
                               "scenarios": scenarios}, allow_nan=True) + "\n")
    print(f"wrote {len(scenarios)} scenarios to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
