"""Fixtures: a baseline computed once per module from the seeded synthetic training set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("baseline")
    train = datagen.write_csv(root / "train.csv", datagen.baseline_columns(10_000))
    run(AnalysisJob(mode="baseline", dataset_source=str(train), output_path=str(root / "out")))
    return root / "out"


def monitor_job(baseline_dir: Path, data: Path, out: Path, **kwargs: object) -> AnalysisJob:
    return AnalysisJob(mode="monitor", dataset_source=str(data), output_path=str(out),
                       baseline_statistics=str(baseline_dir / "statistics.json"),
                       baseline_constraints=str(baseline_dir / "constraints.json"), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    return rng.normal(0, 1, 400), rng.normal(0.3, 1.2, 250)
