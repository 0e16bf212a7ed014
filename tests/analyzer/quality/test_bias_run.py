"""A bias-drift run end to end on S3 (moto): captured requests and predictions, ground truth filed by hour, Clarify's
analysis configuration → analysis.json, constraint_violations.json and bias metric datums.

The scenario the issue asks for: the favourable-outcome rate the model gives one facet drops after hour N. The
baseline is the analysis of an hour before; the drifted hour is judged against it with AWS's documented rule.
The expected metric values are recomputed here from the generated data with the guide's formulas (DPPL = q̂a − q̂d,
DI = q̂d / q̂a), not taken from our code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.bias_config import BiasConfigError, parse_config, split_rule
from modelmonitor.analyzer.quality.bias_run import BiasJob, run_bias
from modelmonitor.analyzer.read.sources import Window

BUCKET = "mm-bias"
CAPTURES = f"s3://{BUCKET}/capture/churn/AllTraffic"
TRUTH = f"s3://{BUCKET}/ground-truth/churn"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
CONFIG = {
    "version": "1.0",
    "headers": ["age", "gender", "income", "region"],
    "label": "approved",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "gender", "value_or_threshold": ["f"]}, {"name_or_index": "age",
                                                                          "value_or_threshold": [50.0]}],
    "group_variable": "region",
    "probability_threshold": 0.5,
}


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _write_hour(s3: Any, hour: int, *, favour_f: float, rows: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """One hour of traffic: the model approves men with p=0.6 and women with p=favour_f; ground truth arrives in the
    same hour for every request. Returns the generated columns for the expected values."""
    rng = np.random.default_rng(seed + hour)
    start = T0 + timedelta(hours=hour)
    gender = rng.choice(["f", "m"], rows)
    age = np.round(rng.uniform(18, 80, rows), 1)
    income = np.round(rng.normal(50_000, 10_000, rows))
    region = rng.choice(["north", "south", "east"], rows)
    approved = np.where(gender == "f", rng.random(rows) < favour_f, rng.random(rows) < 0.6)
    score = approved * 0.5 + rng.random(rows) * 0.4 + 0.05
    label = (rng.random(rows) < np.where(score > 0.5, 0.85, 0.2)).astype(int)
    captures, truth = [], []
    for i in range(rows):
        when = start + timedelta(seconds=5 * i)
        event = f"h{hour}-{i}"
        captures.append(json.dumps({
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                                  "data": f"{age[i]},{gender[i]},{income[i]:.0f},{region[i]}"},
                "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                   "encoding": "CSV", "data": f"{score[i]:.6f}"}},
            "eventMetadata": {"eventId": f"ev-{event}", "inferenceId": event,
                              "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "eventVersion": "0"}))
        truth.append(json.dumps({"groundTruthData": {"data": str(label[i]), "encoding": "CSV"},
                                 "eventMetadata": {"eventId": event}, "eventVersion": "0"}))
    prefix = start.strftime("%Y/%m/%d/%H")
    s3.put_object(Bucket=BUCKET, Key=f"capture/churn/AllTraffic/{prefix}/part.jsonl", Body="\n".join(captures))
    s3.put_object(Bucket=BUCKET, Key=f"ground-truth/churn/{prefix}/labels.jsonl", Body="\n".join(truth))
    return {"gender": gender, "age": age, "score": score, "label": label}


def _job(hour: int, out: str, *, baseline: str | None = None, config: dict[str, Any] = CONFIG) -> BiasJob:
    env = {"dataset_source": CAPTURES, "ground_truth_source": TRUTH, "probability_attribute": "0",
           "analysis_config": json.dumps(config), "sagemaker_endpoint_name": "churn",
           "sagemaker_monitoring_schedule_name": "churn-bias"}
    if baseline:
        env["baseline_constraints"] = baseline
    window = Window(T0 + timedelta(hours=hour), T0 + timedelta(hours=hour + 1))
    return BiasJob.from_environment(env, window, output_path=out)


def _metric(document: dict[str, Any], stage: str, facet: str, name: str) -> Any:
    (split,) = document[f"{stage}_bias_metrics"]["facets"][facet]
    return next(m for m in split["metrics"] if m["name"] == name)["value"]


def test_a_drop_in_one_facets_favourable_rate_is_detected(s3: Any, tmp_path: Any) -> None:
    base = _write_hour(s3, 0, favour_f=0.6)
    drift = _write_hour(s3, 5, favour_f=0.2)
    baseline = run_bias(_job(0, str(tmp_path / "h0")), s3)
    assert baseline.status == "Completed" and baseline.result.coverage.matched == 400
    baseline_file = tmp_path / "h0" / "analysis.json"
    drifted = run_bias(_job(5, str(tmp_path / "h5"), baseline=str(baseline_file)), s3)

    for data, result in ((base, baseline), (drift, drifted)):
        positive = data["score"] >= 0.5
        women = data["gender"] == "f"
        expected_dppl = positive[~women].mean() - positive[women].mean()
        assert _metric(result.result.analysis, "post_training", "gender", "DPPL") == pytest.approx(expected_dppl)
        assert _metric(result.result.analysis, "post_training", "gender", "DI") == \
            pytest.approx(positive[women].mean() / positive[~women].mean())
    assert drifted.status == "CompletedWithViolations"
    flagged = {(v["facet"], v["metric_name"]) for v in drifted.result.violations}
    assert ("gender", "DPPL") in flagged and ("gender", "DI") in flagged
    written = json.loads((tmp_path / "h5" / "constraint_violations.json").read_text())
    assert written["violations"] == drifted.result.violations
    names = {r["MetricName"] for r in drifted.metrics}
    assert {"bias_metric_DPPL", "bias_metric_CI", "violations_count", "ground_truth_coverage"} <= names


def test_facets_split_as_clarify_reads_the_configuration(s3: Any, tmp_path: Any) -> None:
    _write_hour(s3, 0, favour_f=0.6)
    result = run_bias(_job(0, str(tmp_path / "out")), s3)
    facets = result.result.analysis["post_training_bias_metrics"]["facets"]
    assert [s["value_or_threshold"] for s in facets["gender"]] == ["f"]
    assert facets["age"][0]["value_or_threshold"].startswith("(50.0, ")          # a threshold on a numeric facet
    assert result.result.analysis["post_training_bias_metrics"]["label_value_or_threshold"] == "1"
    cddpl = _metric(result.result.analysis, "post_training", "gender", "CDDPL")
    assert isinstance(cddpl, float)                                               # the group variable was found


def test_one_vs_all_when_no_value_is_given(s3: Any, tmp_path: Any) -> None:
    _write_hour(s3, 0, favour_f=0.6)
    config = {**CONFIG, "facet": [{"name_or_index": "region"}]}
    result = run_bias(_job(0, str(tmp_path / "out"), config=config), s3)
    splits = result.result.analysis["pre_training_bias_metrics"]["facets"]["region"]
    assert sorted(s["value_or_threshold"] for s in splits) == ["east", "north", "south"]


@pytest.mark.parametrize(("change", "message"), [
    ({"label": None}, "label: the ground-truth label's column name or index"),
    ({"label_values_or_threshold": []}, "label_values_or_threshold"),
    ({"facet": []}, "facet: a list"),
    ({"facet": [{"name_or_index": True}]}, r"facet\[0\].name_or_index"),
    ({"probability_threshold": 2}, "probability_threshold must be a number in"),
    ({"methods": {"post_training_bias": {"methods": ["DPPL", "XYZ"]}}}, r"unknown \['XYZ'\]"),
])
def test_bad_configuration_names_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(BiasConfigError, match=message):
        parse_config({**CONFIG, **change})


def test_a_missing_configuration_is_an_input_error() -> None:
    window = Window(T0, T0 + timedelta(hours=1))
    with pytest.raises(AnalyzerInputError, match="analysis_config"):
        BiasJob.from_environment({"dataset_source": CAPTURES, "ground_truth_source": TRUTH}, window, output_path="x")


def test_a_facet_missing_from_the_request_names_it(s3: Any, tmp_path: Any) -> None:
    _write_hour(s3, 0, favour_f=0.6, rows=20)
    config = {**CONFIG, "facet": [{"name_or_index": "ethnicity", "value_or_threshold": ["x"]}], "group_variable": None}
    with pytest.raises(BiasConfigError, match=r"facet 'ethnicity' is not one of headers \['age'"):
        run_bias(_job(0, str(tmp_path / "out"), config=config), s3)
    with pytest.raises(BiasConfigError, match="'ethnicity': the request has positional columns"):
        run_bias(_job(0, str(tmp_path / "out"), config={**config, "headers": None}), s3)
    with pytest.raises(BiasConfigError, match="index 9 is outside the request's 4 columns"):
        run_bias(_job(0, str(tmp_path / "out"), config={**config, "facet": [{"name_or_index": 9}]}), s3)


def test_clarifys_continuous_rule() -> None:
    """smclarify's `series_datatype`: a float column is continuous; an integer one when ≥ 5 % of values differ."""
    ages = np.arange(18, 80, dtype=np.float64)
    assert split_rule(ages, (40,)) == (None, 40.0)                     # AWS's example: Age, [40] → lower bound
    ones = np.array([0.0, 1.0] * 50)
    assert split_rule(ones, (1,)) == ((1,), None)                      # 2 of 100 distinct: categorical
    assert split_rule(np.array([0.0, 1.0] * 5), (1,), label=True) == ((1,), None)   # small window, a class label
    assert split_rule(ages, (40, 50)) == ((40, 50), None)              # a list of values: categorical
