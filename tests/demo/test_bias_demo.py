"""`modelmonitor demo --monitor bias`: a loan-approval model whose approval rate for female applicants drops when a
new model version goes live. The shift hour is found, nothing alerts before it, one alert names the metric and the
facet, the resource's status shows the bias condition. The expected metric values are recomputed by hand from the
scenario's generated rows with the definitions of AWS's guide ("Post-training Data and Model Bias Metrics":
DPPL = q̂a − q̂d, DI = q̂d / q̂a; "Pre-training Bias Metrics": DPL = qa − qd; a = the other facet values, d = the
sensitive group) — never read from our analyzer's output."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from modelmonitor.demo import bias_band
from modelmonitor.demo.bias_run import BiasDemoOptions, BiasDemoResult, run_bias_demo
from modelmonitor.demo.bias_scenario import Applications, BiasScenario

HOURS, SHIFT_AT, ROWS = 6, 3, 400


def _by_hand(apps: Applications, rows: np.ndarray) -> dict[str, float]:
    """DPL, DPPL and DI of the given rows: the favourable label is 1, a favourable prediction a score ≥ 0.5."""
    d = apps.sensitive[rows]
    label, predicted = apps.labels[rows] == 1, apps.scores[rows] >= 0.5
    q_a, q_d = predicted[~d].mean(), predicted[d].mean()
    return {"DPL": float(label[~d].mean() - label[d].mean()), "DPPL": float(q_a - q_d), "DI": float(q_d / q_a)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[BiasDemoResult, Path, str]:
    out = tmp_path_factory.mktemp("bias") / "demo-output"
    printed = io.StringIO()
    result = run_bias_demo(BiasDemoOptions(hours=HOURS, shift_at=SHIFT_AT, requests_per_hour=ROWS,
                                           training_rows=3000, output_dir=out), Console(file=printed, width=150))
    return result, out, printed.getvalue()


def test_the_shift_hour_is_found_and_nothing_alerts_before_it(demo: tuple[BiasDemoResult, Path, str]) -> None:
    result = demo[0]
    assert [h.index for h in result.hours] == list(range(HOURS))
    assert all(not h.violations and h.alerts == 0 and h.alarm_state != "ALARM" for h in result.hours[:SHIFT_AT])
    assert next(h.index for h in result.hours if h.violations) == SHIFT_AT
    # The first violating run opens the incident (its run event); the alarm (2 of 3 runs) joins it an hour later.
    assert [h.index for h in result.hours if h.alerts] == [SHIFT_AT]
    assert [h.alarm_state for h in result.hours][SHIFT_AT:SHIFT_AT + 2] == ["OK", "ALARM"]
    assert set(result.hours[SHIFT_AT].violations) == {"DPPL gender=female", "DI gender=female"}


def test_one_alert_names_the_metric_the_facet_and_its_value(demo: tuple[BiasDemoResult, Path, str]) -> None:
    [alert] = demo[0].alerts
    assert alert.subject == "[ModelMonitor] VIOLATIONS bias drift: default/loan-approval-demo"
    shifted = _by_hand(BiasScenario(requests_per_hour=ROWS, shift_hour=SHIFT_AT).hour(SHIFT_AT),
                       np.flatnonzero(BiasScenario(requests_per_hour=ROWS).labelled(SHIFT_AT, ROWS)))
    stated = re.search(r"DPPL of gender=female: bias_drift_check - Value (\S+) does not meet", alert.body)
    assert stated is not None and float(stated.group(1)) == pytest.approx(shifted["DPPL"], abs=1e-9)
    assert "DI of gender=female: bias_drift_check" in alert.body
    assert "Enrichment degraded" not in alert.body


def test_the_runs_metric_values_are_the_hand_computed_ones(demo: tuple[BiasDemoResult, Path, str]) -> None:
    result = demo[0]
    scenario = BiasScenario(requests_per_hour=ROWS, shift_hour=SHIFT_AT)
    for hour in result.hours:
        labelled = np.flatnonzero(scenario.labelled(hour.index, ROWS))  # only labelled requests join
        expected = _by_hand(scenario.hour(hour.index), labelled)
        assert hour.labelled == len(labelled)
        assert hour.values == pytest.approx(expected, abs=1e-9), hour.index
    assert result.hours[SHIFT_AT].values["DPPL"] > 0.2 > abs(result.hours[0].values["DPPL"])
    training = BiasScenario(training_rows=3000).training()
    assert result.training_values == pytest.approx(_by_hand(training, np.arange(len(training))), abs=1e-9)


def test_the_status_shows_the_bias_condition(demo: tuple[BiasDemoResult, Path, str]) -> None:
    result = demo[0]
    condition = next(c for c in result.conditions if c["type"] == "ModelBiasScheduled")
    assert (condition["status"], condition["reason"]) == ("True", "Scheduled")
    assert result.operator_view is not None and "loan-approval-demo" in result.operator_view


def test_the_output_says_what_happened(demo: tuple[BiasDemoResult, Path, str]) -> None:
    printed, out = demo[2], demo[1]
    assert printed.count("Hourly bias runs (simulated)") == 1
    assert f"the new model version went live at hour {SHIFT_AT}; the first violating run judged hour {SHIFT_AT}" \
        in printed
    assert "DPL stayed in band" in printed and "Alerts: 1 (hour 3)" in printed
    assert "accepted band" in printed and "bias baseline of the training set" in printed
    baseline = json.loads((out / "baseline" / "analysis.json").read_text())
    assert "post_training_bias_metrics" in baseline  # the product's baseline, kept beside the team's band
    band = json.loads((out / "baseline" / "constraints.json").read_text())   # baseline --bias-tolerance's band
    stage = "post_training_bias_metrics"
    assert band[stage]["facets"].keys() == baseline[stage]["facets"].keys()


def test_the_default_scenario_stays_in_band_before_the_shift_and_leaves_it_after() -> None:
    """The 24-hour default (seed 7, 400 requests/hour, shift at 12), by hand: every clean hour inside the band the
    demo derives from the training set, every shifted hour outside in DPPL or DI — so the default run alerts once,
    at hour 12."""
    scenario = BiasScenario()
    training = scenario.training()
    rows = scenario.requests_per_hour * scenario.label_coverage

    def rates(flags: np.ndarray) -> bias_band.GroupRates:
        d = training.sensitive
        return bias_band.GroupRates(a=flags[~d].mean(), d=flags[d].mean(), n_a=rows * (1 - d.mean()),
                                    n_d=rows * d.mean())

    errors = bias_band.standard_errors(rates(training.labels == 1), rates(training.scores >= 0.5))
    base = _by_hand(training, np.arange(len(training)))
    # the band by hand: balance (1 for the ratio DI, else 0) ± the training value's distance plus Z errors
    centre = {n: 1.0 if n == "DI" else 0.0 for n in base}
    reach = {n: abs(v - centre[n]) + bias_band.Z * errors[n] for n, v in base.items()}
    limits = {n: (centre[n] - reach[n], centre[n] + reach[n]) for n in base}
    for hour in range(24):
        values = _by_hand(scenario.hour(hour), np.flatnonzero(scenario.labelled(hour, scenario.requests_per_hour)))
        outside = {n for n, v in values.items() if not limits[n][0] <= v <= limits[n][1]}
        assert (outside == set()) if hour < 12 else (outside & {"DPPL", "DI"}), (hour, values, limits)


def test_cli_refuses_what_the_bias_demo_cannot_do(capsys: pytest.CaptureFixture[str]) -> None:
    from modelmonitor.cli import main

    assert main(["demo", "--monitor", "bias", "--engine", "modelMonitor"]) == 2
    assert "--monitor bias runs under --engine lambda only" in capsys.readouterr().out
    assert main(["demo", "--monitor", "bias", "--hours", "6", "--drift-at", "3", "--drift-until", "5"]) == 2
    assert "--drift-until applies to --monitor data-quality only" in capsys.readouterr().out
    assert main(["demo", "--monitor", "bias", "--hours", "3", "--drift-at", "9"]) == 2
