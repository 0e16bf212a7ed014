"""Baseline → window runs on seeded data with known shifts flag exactly the shifted features."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from modelmonitor.analyzer.read.sources import Window
from modelmonitor.analyzer.run.runner import run
from tests.analyzer import datagen
from tests.analyzer.conftest import monitor_job

EXPECTED = {
    "score": {"baseline_drift_check"},            # mean +1σ
    "plan": {"baseline_drift_check"},             # frequencies 0.6/0.3/0.1 → 0.3/0.3/0.4
    "region": {"categorical_values_check", "baseline_drift_check"},  # new category at 20 %
    "tenure": {"completeness_check"},             # 15 % missing
}


def _by_feature(violations_file: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for v in json.loads(violations_file.read_text())["violations"]:
        found.setdefault(v["feature_name"], set()).add(v["constraint_check_type"])
    return found


def test_drifted_capture_window_flags_exactly_the_shifted_features(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "captures", datagen.drifted_columns(3000), datagen.WINDOW_START)
    result = run(monitor_job(baseline_dir, tmp_path / "captures", tmp_path / "out"))
    assert result.status == "CompletedWithViolations"
    assert _by_feature(tmp_path / "out/constraint_violations.json") == EXPECTED
    assert set(result.drifted_features) == {"score", "plan", "region"}
    report = json.loads((tmp_path / "out/drift_report.json").read_text())
    assert [f["name"] for f in report["features"][:3]] == sorted(["plan", "region", "score"])
    score = next(f for f in report["features"] if f["name"] == "score")
    assert set(score["methods"]) == {"linf", "psi", "ks", "js", "wasserstein"}
    assert all(score["methods"][m]["drifted"] for m in score["methods"])
    for unshifted in ("age", "income", "channel", "balance"):
        entry = next(f for f in report["features"] if f["name"] == unshifted)
        assert entry["violations"] == []
        assert entry["methods"]["psi"]["statistic"] < 0.05


def test_description_format_of_drift_violations(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "captures", datagen.drifted_columns(3000), datagen.WINDOW_START)
    run(monitor_job(baseline_dir, tmp_path / "captures", tmp_path / "out"))
    drift = [v for v in json.loads((tmp_path / "out/constraint_violations.json").read_text())["violations"]
             if v["constraint_check_type"] == "baseline_drift_check"]
    import re
    assert drift and all(re.fullmatch(r"distance: [0-9.e-]+ exceeds threshold: 0\.1", v["description"])
                         for v in drift)


def test_undrifted_window_has_no_violations(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "captures", datagen.baseline_columns(3000, seed=99), datagen.WINDOW_START)
    result = run(monitor_job(baseline_dir, tmp_path / "captures", tmp_path / "out"))
    assert result.violations == ()
    assert result.status == "Completed"


def test_simple_comparison_on_a_small_window_flags_noise_robust_does_not(baseline_dir: Path,
                                                                         tmp_path: Path) -> None:
    # 40 unshifted records: L∞ noise is ~0.2, above 0.1; Robust subtracts 1.8·√((n+m)/nm) ≈ 0.29 first.
    datagen.write_captures(tmp_path / "c", datagen.baseline_columns(40, seed=5), datagen.WINDOW_START)
    robust = run(monitor_job(baseline_dir, tmp_path / "c", tmp_path / "robust"))
    simple = run(monitor_job(baseline_dir, tmp_path / "c", tmp_path / "simple", comparison_method="Simple"))
    assert robust.drifted_features == ()
    assert simple.drifted_features != ()


def test_empty_window_is_insufficient_data_not_drift(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "captures", datagen.drifted_columns(100), datagen.WINDOW_START)
    later = Window(datagen.WINDOW_START + timedelta(hours=5), datagen.WINDOW_START + timedelta(hours=6))
    result = run(monitor_job(baseline_dir, tmp_path / "captures", tmp_path / "out", window=later,
                             report_html=str(tmp_path / "r.html")))
    assert result.item_count == 0
    assert "Insufficient data" in (tmp_path / "r.html").read_text()
    by_name = {m["MetricName"]: m["Value"] for m in result.metrics}
    # Only run metrics; records_analyzed = 0 is what the no-captures alarm watches.
    assert by_name == {"monitoring_run_completed": 1.0, "violations_count": 0.0, "records_analyzed": 0.0,
                       "features_drifted": 0.0}  # no distance without data: no max_feature_drift
    assert result.insufficient_data
    assert result.status == "Completed"
    assert json.loads((tmp_path / "out/drift_report.json").read_text())["status"] == "insufficient_data"


def test_tiny_window_reports_insufficient_data_per_method(baseline_dir: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "captures", datagen.drifted_columns(10), datagen.WINDOW_START)
    result = run(monitor_job(baseline_dir, tmp_path / "captures", tmp_path / "out"))
    assert result.drifted_features == ()
    report = json.loads((tmp_path / "out/drift_report.json").read_text())
    assert all(m["status"] == "insufficient_data" for f in report["features"] for m in f["methods"].values())


def test_missing_extra_and_type_checks(baseline_dir: Path, tmp_path: Path) -> None:
    cols = datagen.baseline_columns(1000, seed=8)
    del cols["age"]
    cols["promo_code"] = ["X1"] * 1000
    cols["income"] = ["n/a" if i % 20 == 0 else v for i, v in enumerate(cols["income"])]
    data = datagen.write_csv(tmp_path / "now.csv", cols)
    result = run(monitor_job(baseline_dir, data, tmp_path / "out"))
    found = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    assert found == {("age", "missing_column_check"), ("promo_code", "extra_column_check"),
                     ("income", "data_type_check")}
    income = next(v for v in result.violations if v.feature_name == "income")
    assert income.description == ("Data type match requirement is not met. Expected data type: Fractional, "
                                  "Expected match: 100.0%. Observed: Only 95.0% of data is Fractional.")


def test_wider_capture_rows_get_positional_extra_columns(baseline_dir: Path, tmp_path: Path) -> None:
    cols = datagen.baseline_columns(300, seed=4)
    cols["surprise"] = ["1"] * 300
    datagen.write_captures(tmp_path / "cap", cols, datagen.WINDOW_START)
    result = run(monitor_job(baseline_dir, tmp_path / "cap", tmp_path / "out"))
    assert [(v.feature_name, v.constraint_check_type) for v in result.violations] == [("_c8", "extra_column_check")]
