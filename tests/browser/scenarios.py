"""Reports to look at and to test: scikit-learn's bundled breast-cancer dataset as the issue's reviewer used it
(350 baseline rows, a 219-row window; bundled with scikit-learn, no download), once with drift, a missing-value
problem and a new category, once untouched; and the 200-feature synthetic report of the browser check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import AnalysisResult, run
from tests.analyzer import datagen

BASELINE_ROWS, WINDOW_ROWS = 350, 219
PAYMENTS = ("card", "bank-transfer", "paypal")
NEW_PAYMENT = "crypto-wallet"
MISSING_SHARE = 16 / WINDOW_ROWS
"""7.3 % of the window's `mean texture` left empty: completeness 92.7 %, below the baseline's 100 %."""


@dataclass(frozen=True)
class Scenario:
    root: Path
    result: AnalysisResult
    report: Path
    window_csv: Path
    baseline_dir: Path


def breast_cancer_columns(drift: bool, seed: int = 5) -> tuple[datagen.Columns, datagen.Columns]:
    """(baseline, window) columns: the 30 measurements plus a categorical `payment` column. With `drift`, the
    window's `mean radius` and `worst area` grow by a quarter, `mean texture` misses 16 values and 10 % of the
    payments use a method the baseline never saw."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rng = np.random.default_rng(seed)
    order = rng.permutation(data.data.shape[0])
    names = [str(n) for n in data.feature_names]
    sides = (order[:BASELINE_ROWS], order[BASELINE_ROWS:BASELINE_ROWS + WINDOW_ROWS])
    out: list[datagen.Columns] = []
    for side, rows in enumerate(sides):
        cols: datagen.Columns = {}
        for j, name in enumerate(names):
            values = data.data[rows, j].copy()
            if drift and side == 1 and name in ("mean radius", "worst area"):
                values *= 1.25
            cols[name] = [f"{v:.6g}" for v in values]
        if drift and side == 1:
            for i in rng.choice(len(rows), round(MISSING_SHARE * len(rows)), replace=False):
                cols["mean texture"][i] = ""
        payments = list(rng.choice(PAYMENTS, len(rows), p=[0.6, 0.25, 0.15]))
        if drift and side == 1:
            for i in rng.choice(len(rows), len(rows) // 10, replace=False):
                payments[i] = NEW_PAYMENT
        cols["payment"] = payments
        out.append(cols)
    return out[0], out[1]


def breast_cancer_report(root: Path, *, drift: bool) -> Scenario:
    baseline, window = breast_cancer_columns(drift)
    train = datagen.write_csv(root / "baseline.csv", baseline)
    window_csv = datagen.write_csv(root / "window.csv", window)
    run(AnalysisJob(mode="baseline", dataset_source=str(train), output_path=str(root / "baseline")))
    report = root / "report.html"
    result = run(AnalysisJob(mode="monitor", dataset_source=str(window_csv), output_path=str(root / "out"),
                             baseline_statistics=str(root / "baseline/statistics.json"),
                             baseline_constraints=str(root / "baseline/constraints.json"),
                             report_html=str(report)))
    return Scenario(root, result, report, window_csv, root / "baseline")
