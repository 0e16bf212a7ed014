"""Capture-parser and baseline throughput on generated data (not a test; run
`python -m tests.analyzer.throughput`). The numbers in docs/analyzer.md come from here."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from modelmonitor.analyzer.read.batches import ReadCounters
from modelmonitor.analyzer.read.capture import read_capture
from modelmonitor.analyzer.read.sources import list_objects
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen


def main(repeats: int = 3) -> None:
    root = Path(tempfile.mkdtemp(prefix="analyzer-throughput-"))
    try:
        datagen.write_captures(root / "cap", datagen.baseline_columns(100_000, seed=3), datagen.WINDOW_START,
                               files=2, output=True)
        for copy in range(2):  # 300 000 records
            for f in list((root / "cap").rglob("*.jsonl")):
                if "-copy" not in f.name:
                    shutil.copy(f, f.with_name(f"{f.stem}-copy{copy}.jsonl"))
        objects = list_objects(str(root / "cap"))
        size_mb = sum(o.size for o in objects) / 1e6
        for _ in range(repeats):
            started = time.perf_counter()
            records = sum(b.n_rows for b in read_capture(objects, "output_first", ReadCounters()))
            parse = time.perf_counter() - started
            started = time.perf_counter()
            run(AnalysisJob(mode="baseline", dataset_source=str(root / "cap"), output_path=str(root / "out")))
            full = time.perf_counter() - started
            print(f"{size_mb:.1f} MB, {records} capture records: parser {size_mb / parse:.1f} MB/s "
                  f"({records / parse:,.0f} records/s); full baseline run {size_mb / full:.1f} MB/s")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
