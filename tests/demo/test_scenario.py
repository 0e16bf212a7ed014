"""The demo scenario is deterministic, its model learns, its drift is where it says, and its captures are in
SageMaker's data-capture format and layout."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np

from modelmonitor.demo.scenario import CATEGORIES, FEATURES, Drift, Scenario
from modelmonitor.demo.traffic import ground_truth_lines, hour_capture_files


def test_deterministic() -> None:
    a, b = Scenario(seed=3, training_rows=500), Scenario(seed=3, training_rows=500)
    assert a.hour_traffic(5).csv_rows() == b.hour_traffic(5).csv_rows()
    assert a.hour_traffic(5).csv_rows() != a.hour_traffic(6).csv_rows()


def test_model_learns_the_churn_signal() -> None:
    scenario = Scenario(seed=1, training_rows=4000)
    probabilities = scenario.model.predict_proba(scenario.training)
    labels = scenario.training_labels
    # AUC by the rank formulation: P(score of a churner > score of a non-churner)
    pos, neg = probabilities[labels == 1], probabilities[labels == 0]
    auc = (pos[:, None] > neg[None, :]).mean()
    assert auc > 0.75


def test_drift_only_from_start_hour() -> None:
    scenario = Scenario(seed=2, training_rows=200, requests_per_hour=2000, drift=Drift(start_hour=3))
    before, after = scenario.hour_traffic(2), scenario.hour_traffic(4)
    assert "crypto-wallet" not in set(before.columns["payment_method"])
    assert 0.2 < np.mean(after.columns["payment_method"] == "crypto-wallet") < 0.4
    assert np.nanmean(after.columns["monthly_charges"]) > 1.25 * np.nanmean(before.columns["monthly_charges"])
    assert np.isnan(before.columns["support_calls"]).sum() == 0
    assert 0.1 < np.isnan(after.columns["support_calls"]).mean() < 0.2  # 2 hours x 8 %
    assert set(before.columns["region"]) <= set(CATEGORIES["region"])


def test_capture_files_follow_sagemaker_layout_and_record_format() -> None:
    scenario = Scenario(seed=4, training_rows=200, requests_per_hour=250)
    table = scenario.hour_traffic(0)
    hour = datetime(2026, 11, 24, 10, tzinfo=UTC)
    files = hour_capture_files(table, scenario.model.predict_proba(table), endpoint="churn", variant="AllTraffic",
                               hour_start=hour, rng=np.random.default_rng(0))
    assert len(files) == 3
    key_pattern = re.compile(r"churn/AllTraffic/2026/11/24/10/\d\d-\d\d-\d{3}-[0-9a-f-]{36}\.jsonl")
    assert all(key_pattern.fullmatch(f.key) for f in files)
    records = [json.loads(line) for f in files for line in f.body.decode().splitlines()]
    assert len(records) == 250
    first = records[0]
    assert first["eventVersion"] == "0"
    assert first["captureData"]["endpointInput"]["encoding"] == "CSV"
    assert first["captureData"]["endpointInput"]["mode"] == "INPUT"
    assert len(first["captureData"]["endpointInput"]["data"].split(",")) == len(FEATURES)
    assert 0 <= float(first["captureData"]["endpointOutput"]["data"]) <= 1
    assert re.fullmatch(r"2026-11-24T10:\d\d:\d\d\.\d{3}Z", first["eventMetadata"]["inferenceTime"])
    gt = json.loads(ground_truth_lines(["a"], [1.0]).decode())
    assert gt == {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "a"},
                  "eventVersion": "0"}
