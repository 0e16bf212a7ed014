"""The HTML report is one self-contained, light file; drifted features come first; names are escaped."""

from __future__ import annotations

import re
import time
from pathlib import Path

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen
from tests.analyzer.widegen import wide_report


def test_200_feature_report_is_self_contained_and_light(tmp_path: Path) -> None:
    started = time.perf_counter()
    result, report = wide_report(tmp_path, baseline_rows=1000, window_rows=600)
    elapsed = time.perf_counter() - started
    text = report.read_text()
    assert len(result.drifted_features) >= 6
    assert elapsed < 20  # two runs and the report; generous: CI machines are shared
    assert len(text.encode()) < 1_500_000
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert text.count("<svg") == 200
    # drifted features first, in the table and in the cards
    rows = re.findall(r'<tr(?: data-clean)?><td><a href="#f\d+">([^<]+)</a>', text)
    assert rows[: len(result.drifted_features)] == sorted(result.drifted_features)


def test_feature_names_are_escaped(tmp_path: Path) -> None:
    cols = datagen.baseline_columns(200)
    evil = "<script>alert(1)</script>"
    cols[evil] = cols.pop("age")
    data = datagen.write_csv(tmp_path / "d.csv", cols)
    run(AnalysisJob(mode="baseline", dataset_source=str(data), output_path=str(tmp_path / "b")))
    run(AnalysisJob(mode="monitor", dataset_source=str(data), output_path=str(tmp_path / "o"),
                    baseline_statistics=str(tmp_path / "b/statistics.json"),
                    baseline_constraints=str(tmp_path / "b/constraints.json"), report_html=str(tmp_path / "r.html")))
    text = (tmp_path / "r.html").read_text()
    assert evil not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
