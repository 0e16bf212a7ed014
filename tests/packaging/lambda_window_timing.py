"""Analyze time of a 100,000-record hourly capture window on what the Lambda runs: the zip's cross-compiled x86_64
modules and the AWS SDK for pandas layer's numpy/pyarrow (run by `make lambda-timing` in the layer venv). Prints
the timings; a measurement, not a test."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy
import pyarrow

import modelmonitor.analyzer.native._kll as kll
from modelmonitor.analyzer.read.sources import Window
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen

ROWS = 100_000


def main() -> int:
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, pyarrow {pyarrow.__version__}, "
          f"_kll from {kll.__file__}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train = datagen.write_csv(root / "train.csv", datagen.baseline_columns(10_000))
        run(AnalysisJob(mode="baseline", dataset_source=str(train), output_path=str(root / "baseline")))
        datagen.write_captures(root / "captures", datagen.drifted_columns(ROWS), datagen.WINDOW_START,
                               spacing=timedelta(milliseconds=36), files=4)
        timings = []
        for attempt in range(3):
            job = AnalysisJob(mode="monitor", dataset_source=str(root / "captures"),
                              output_path=str(root / f"out{attempt}"),
                              baseline_statistics=str(root / "baseline/statistics.json"),
                              baseline_constraints=str(root / "baseline/constraints.json"),
                              window=Window(datagen.WINDOW_START, datagen.WINDOW_START + timedelta(hours=1)))
            began = time.perf_counter()
            run(job)
            timings.append(time.perf_counter() - began)
        print(f"{ROWS} records, 8 features: analyze {', '.join(f'{t:.3f}' for t in timings)} s "
              f"(best {min(timings):.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
