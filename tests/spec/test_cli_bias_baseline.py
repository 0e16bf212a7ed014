"""`modelmonitor baseline DATA -o DIR --bias-config FILE` writes Clarify's analysis.json of a labelled dataset; the
values are checked against Clarify's definitions computed here by hand ("Pre-training Bias Metrics", SageMaker
guide: CI = (n_a - n_d) / (n_a + n_d), DPL = q_a - q_d with q the favourable-label proportion of a facet;
"Post-training": DPPL = q̂_a - q̂_d on the predicted labels)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from modelmonitor.cli import main

CONFIG = {"label": "approved", "label_values_or_threshold": [1], "predicted_label": "predicted",
          "facet": [{"name_or_index": "gender", "value_or_threshold": ["female"]}],
          "headers": ["income", "gender", "approved", "predicted"]}


def _dataset(path: Path) -> list[dict[str, str]]:
    rng = random.Random(1)
    rows = []
    for _ in range(400):
        gender = rng.choice(["female", "male"])
        income = rng.randint(20, 120)
        predicted = int(income + (10 if gender == "male" else 0) > 70)
        approved = predicted if rng.random() < 0.85 else 1 - predicted
        rows.append({"income": str(income), "gender": gender, "approved": str(approved), "predicted": str(predicted)})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["income", "gender", "approved", "predicted"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _metric(stage: dict, name: str) -> float:
    (facet,) = stage["facets"]["gender"]
    (metric,) = [m for m in facet["metrics"] if m["name"] == name]
    return float(metric["value"])


def test_bias_baseline_matches_clarifys_definitions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _dataset(tmp_path / "train.csv")
    (tmp_path / "bias.json").write_text(json.dumps(CONFIG))
    assert main(["baseline", str(tmp_path / "train.csv"), "-o", str(tmp_path / "out"),
                 "--bias-config", str(tmp_path / "bias.json")]) == 0
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    female = [r for r in rows if r["gender"] == "female"]
    male = [r for r in rows if r["gender"] == "male"]
    n_a, n_d = len(male), len(female)
    q_a = sum(r["approved"] == "1" for r in male) / n_a
    q_d = sum(r["approved"] == "1" for r in female) / n_d
    p_a = sum(r["predicted"] == "1" for r in male) / n_a
    p_d = sum(r["predicted"] == "1" for r in female) / n_d
    assert _metric(analysis["pre_training_bias_metrics"], "CI") == pytest.approx((n_a - n_d) / (n_a + n_d))
    assert _metric(analysis["pre_training_bias_metrics"], "DPL") == pytest.approx(q_a - q_d)
    assert _metric(analysis["post_training_bias_metrics"], "DPPL") == pytest.approx(p_a - p_d)


def test_bad_bias_config_is_exit_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dataset(tmp_path / "train.csv")
    (tmp_path / "bias.json").write_text(json.dumps({**CONFIG, "facet": []}))
    assert main(["baseline", str(tmp_path / "train.csv"), "-o", str(tmp_path / "out"),
                 "--bias-config", str(tmp_path / "bias.json")]) == 2
    assert "facet: a list of {name_or_index, value_or_threshold} is required" in capsys.readouterr().err


def test_a_tolerance_writes_the_band_beside_the_analysis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--bias-tolerance DPPL=0.1,DI=0.2`: analysis.json stays the dataset's own; constraints.json holds the band
    (each named metric that much farther from balance: 0, or 1 for DI), the file to set as analysisS3Uri."""
    _dataset(tmp_path / "train.csv")
    (tmp_path / "bias.json").write_text(json.dumps(CONFIG))
    assert main(["baseline", str(tmp_path / "train.csv"), "-o", str(tmp_path / "out"), "--bias-config",
                 str(tmp_path / "bias.json"), "--bias-tolerance", "DPPL=0.1,DI=0.2"]) == 0
    out = capsys.readouterr().out
    assert "constraints.json" in out and "analysisS3Uri" in out
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    band = json.loads((tmp_path / "out" / "constraints.json").read_text())
    post, wide = analysis["post_training_bias_metrics"], band["post_training_bias_metrics"]
    dppl, di = _metric(post, "DPPL"), _metric(post, "DI")
    assert _metric(wide, "DPPL") == pytest.approx(dppl + 0.1 if dppl >= 0 else dppl - 0.1)
    assert _metric(wide, "DI") == pytest.approx(di - 0.2 if di < 1 else di + 0.2)
    assert _metric(wide, "DCA") == _metric(post, "DCA")                                 # not named: as it was
    assert band["pre_training_bias_metrics"] == analysis["pre_training_bias_metrics"]


@pytest.mark.parametrize(("value", "message"), [
    ("DPPL", "--bias-tolerance: 'DPPL' is not METRIC=MARGIN"),
    ("DPPL=x", "--bias-tolerance: 'DPPL=x': the margin is not a number"),
    ("DPP=0.1", "--bias-tolerance: unknown bias metric(s) ['DPP']"),
    ("DPPL=-1", "--bias-tolerance: the tolerance of DPPL must be a finite number ≥ 0"),
])
def test_a_bad_tolerance_is_exit_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str,
                                             message: str) -> None:
    _dataset(tmp_path / "train.csv")
    (tmp_path / "bias.json").write_text(json.dumps(CONFIG))
    assert main(["baseline", str(tmp_path / "train.csv"), "-o", str(tmp_path / "out"), "--bias-config",
                 str(tmp_path / "bias.json"), "--bias-tolerance", value]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()                                   # nothing half-written


def test_a_tolerance_without_a_bias_config_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    _dataset(tmp_path / "train.csv")
    assert main(["baseline", str(tmp_path / "train.csv"), "-o", str(tmp_path / "out"),
                 "--bias-tolerance", "DPPL=0.1"]) == 2
    assert "--bias-tolerance goes with --bias-config" in capsys.readouterr().err
