"""The HTML report is one self-contained, light file; drifted features come first; names are escaped."""

from __future__ import annotations

import html
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.people_numbers import round_for_people
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen
from tests.analyzer.widegen import wide_report
from tests.browser.scenarios import Scenario, breast_cancer_report


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


# The report a reader of issue 17 looked at: scikit-learn's breast-cancer data, a 219-row window with two drifted
# features, a completeness problem and a new category (tests/browser/scenarios.py).

class _Cells(HTMLParser):
    """Each table row's cells as (class, title, text), and every SVG <title>, read with the standard library's
    HTML parser."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str, str]]] = []
        self.svg_titles: list[str] = []
        self._cell: list[str] | None = None
        self._attrs: dict[str, str] = {}
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell, self._attrs = [], {k: v or "" for k, v in attrs}
        elif tag == "title" and self.rows:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append((self._attrs.get("class", ""), self._attrs.get("title", ""),
                                  "".join(self._cell).strip()))
            self._cell = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.svg_titles.append(data)
        elif self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, dict[str, Any], str]:
    scenario = breast_cancer_report(tmp_path_factory.mktemp("bc"), drift=True)
    report = json.loads((scenario.root / "out/drift_report.json").read_text())
    return scenario, report, scenario.report.read_text()


def _table(text: str) -> dict[str, list[tuple[str, str, str]]]:
    parser = _Cells()
    parser.feed(text)
    return {row[0][2]: row for row in parser.rows if row}


def test_only_the_deciding_method_is_styled_as_drift(small: tuple[Scenario, dict[str, Any], str]) -> None:
    _, report, text = small
    rows = _table(text)
    noisy = [f["name"] for f in report["features"] if not f["drifted"]
             and any(r.get("drifted") for k, r in f["methods"].items() if k != "linf")]
    assert len(noisy) > 10  # the observation holds: untouched features cross the fixed thresholds
    for feature in report["features"]:
        cells = rows[feature["name"]]
        styled = [i for i, (cls, _, _) in enumerate(cells) if "d" in cls.split()]
        assert styled == ([4] if feature["drifted"] else []), (feature["name"], cells)  # column 4 is L∞
    assert "shown neutrally" in text


def test_legend_and_tooltips_explain_every_method(small: tuple[Scenario, dict[str, Any], str]) -> None:
    _, report, text = small
    legend = html.unescape(text[text.index('<dl class="methods">'):text.index("</dl>")])
    thresholds = {k: r["threshold"] for f in report["features"] for k, r in f["methods"].items()}
    for label, key in (("L∞", "linf"), ("PSI", "psi"), ("KS D", "ks"), ("JS", "js"), ("W (σ)", "wasserstein"),
                       ("χ² V", "chi2")):
        entry = legend[legend.index(f"<dt>{label}</dt>"):]
        entry = entry[: entry.index("</dd>")]
        assert f"{thresholds[key]:g}" in entry, (label, entry)
    assert "Robust" in legend and "1.8·√((n+m)/(n·m))" in legend and "0 means" in legend
    for name, cells in _table(text).items():
        for _, title, value in cells[4:10]:
            assert value in ("–", "n/a") or title, (name, value)  # every value has its tooltip


def test_a_robust_zero_shows_its_raw_distance(small: tuple[Scenario, dict[str, Any], str]) -> None:
    _, report, text = small
    rows = _table(text)
    zeros = [f for f in report["features"] if f["methods"]["linf"]["statistic"] == 0]
    assert zeros
    for feature in zeros:
        raw = float(feature["methods"]["linf"]["note"].split("simple distance ")[1])
        assert rows[feature["name"]][4][2] == f"0 (raw {raw:.2g})"
        assert "sampling allowance" in rows[feature["name"]][4][1]


def test_every_violation_is_described_in_full(small: tuple[Scenario, dict[str, Any], str]) -> None:
    scenario, _, text = small
    plain = html.unescape(text)
    violations = json.loads((scenario.root / "out/constraint_violations.json").read_text())["violations"]
    assert {v["constraint_check_type"] for v in violations} >= {"baseline_drift_check", "completeness_check",
                                                                "categorical_values_check"}
    for v in violations:
        assert round_for_people(v["description"]) in plain, v
    assert "Only 92.7% of data is present" in plain and "values outside it include 'crypto-wallet'" in plain


def test_header_names_inputs_counts_and_run_time(small: tuple[Scenario, dict[str, Any], str]) -> None:
    scenario, _, text = small
    header = html.unescape(text[text.index("<header>"):text.index("</header>")])
    assert str(scenario.window_csv) in header and str(scenario.baseline_dir) in header
    assert "219 in the window" in header and "350 in the baseline" in header
    assert re.search(r"run: <b>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", header)
    assert "schedule" not in header and "–" not in header  # nothing shown that the run does not know


def test_category_labels_are_whole_on_hover(small: tuple[Scenario, dict[str, Any], str]) -> None:
    _, _, text = small
    parser = _Cells()
    parser.feed(text)
    assert "crypto-wallet" in parser.svg_titles and "bank-transfer" in parser.svg_titles
    assert ">crypto-…</text>" in text  # shortened under the bars, with an ellipsis saying so
