"""A wide synthetic dataset (default 200 features) with a known set of shifted features, for report tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import AnalysisResult, run
from tests.analyzer import datagen


def wide_columns(n: int, n_features: int, seed: int, shifted: frozenset[int] = frozenset()) -> datagen.Columns:
    rng = np.random.default_rng(seed)
    cols: datagen.Columns = {}
    for j in range(n_features):
        shift = j in shifted
        if j % 4 == 3:
            cats = [f"c{k}" for k in range(3 + j % 5)]
            p = np.linspace(1, 2, len(cats))
            p = (p[::-1] if shift else p) / p.sum()
            cols[f"cat_{j:03d}"] = list(rng.choice(cats, n, p=p))
        elif j % 4 == 1:
            cols[f"count_{j:03d}"] = [str(v) for v in rng.poisson(3 + j % 7 + (4 if shift else 0), n)]
        else:
            cols[f"num_{j:03d}"] = [f"{v:.4f}" for v in rng.normal(1.5 if shift else 0.0, 1 + j % 3, n)]
    return cols


def wide_report(root: Path, n_features: int = 200, n_shifted: int = 12, *, baseline_rows: int = 3000,
                window_rows: int = 1500) -> tuple[AnalysisResult, Path]:
    # A step of n/k + 1 walks through all four feature kinds (j % 4) instead of hitting one.
    shifted = frozenset(range(0, n_features, n_features // n_shifted + 1))
    train = datagen.write_csv(root / "train.csv", wide_columns(baseline_rows, n_features, seed=1))
    run(AnalysisJob(mode="baseline", dataset_source=str(train), output_path=str(root / "baseline")))
    window = datagen.write_csv(root / "window.csv", wide_columns(window_rows, n_features, seed=2, shifted=shifted))
    report = root / "report.html"
    result = run(AnalysisJob(mode="monitor", dataset_source=str(window), output_path=str(root / "out"),
                             baseline_statistics=str(root / "baseline/statistics.json"),
                             baseline_constraints=str(root / "baseline/constraints.json"), report_html=str(report)))
    return result, report
