"""Reading captured predictions and SageMaker-format ground truth, including from (moto) S3."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import numpy as np
import pytest
from moto import mock_aws
from sklearn import metrics as skm

from modelmonitor.analyzer.quality.ground_truth import (
    GroundTruthError,
    hour_of_key,
    quality_window,
    read_ground_truth_s3,
    read_labels,
    write_outputs,
)
from modelmonitor.analyzer.quality.model_quality import evaluate
from modelmonitor.analyzer.quality.predictions import read_predictions, read_predictions_s3
from modelmonitor.analyzer.read.records import hour_prefixes

T = datetime(2026, 11, 24, 10, 0, 3, tzinfo=UTC)


def capture(output: dict[str, str], *, event_id: str, inference_id: str | None = None,
            at: datetime = T) -> str:
    metadata = {"eventId": event_id, "inferenceTime": at.isoformat().replace("+00:00", "Z")}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2", "encoding": "CSV"},
        "endpointOutput": {"mode": "OUTPUT", **output}}, "eventMetadata": metadata, "eventVersion": "0"})


def label(event_id: str, value: str) -> str:
    return json.dumps({"groundTruthData": {"data": value, "encoding": "CSV"},
                       "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})


def test_csv_json_and_base64_outputs() -> None:
    b64 = base64.b64encode(b'{"result": {"label": 1, "score": 0.91}}').decode()
    lines = [
        capture({"observedContentType": "text/csv", "data": "0,0.12", "encoding": "CSV"}, event_id="e1"),
        capture({"observedContentType": "application/json", "data": '{"result": {"label": 0, "score": 0.3}}',
                 "encoding": "JSON"}, event_id="e2", inference_id="inf-2"),
        capture({"observedContentType": "application/x-custom", "data": b64, "encoding": "BASE64"},
                event_id="e3"),
    ]
    csv_preds = read_predictions(lines[:1], inference_attribute="0", probability_attribute="1")
    assert (csv_preds.ids, csv_preds.predicted, csv_preds.scores) == (["e1"], ["0"], [0.12])
    json_preds = read_predictions(lines[1:], inference_attribute="result.label",
                                  probability_attribute="result.score")
    # inferenceId wins over eventId when the caller passed one.
    assert json_preds.ids == ["inf-2", "e3"]
    assert json_preds.predicted == ["0", "1"]
    assert json_preds.scores == [0.3, 0.91]


def test_json_list_path_and_errors_name_the_record() -> None:
    line = capture({"observedContentType": "application/json", "data": '{"predictions": [{"score": 0.7}]}',
                    "encoding": "JSON"}, event_id="e1")
    preds = read_predictions([line], inference_attribute=None, probability_attribute="predictions.0.score")
    assert preds.scores == [0.7] and preds.predicted == [None]
    with pytest.raises(GroundTruthError, match=r"<captures> line 1: attribute 'predictions.1.score' not found"):
        read_predictions([line], inference_attribute="predictions.1.score")
    with pytest.raises(GroundTruthError, match="no index 3"):
        read_predictions([capture({"data": "1,0.2", "encoding": "CSV"}, event_id="e")], inference_attribute="3")
    with pytest.raises(GroundTruthError, match=r"neither eventMetadata\.inferenceId nor eventId"):
        read_predictions([capture({"data": "1", "encoding": "CSV"}, event_id="")], inference_attribute=None)


def test_predictions_outside_the_window_are_skipped() -> None:
    lines = [capture({"data": "1", "encoding": "CSV"}, event_id=f"e{h}", at=T + timedelta(hours=h))
             for h in range(-1, 3)]
    preds = read_predictions(lines, inference_attribute=None, start=T.replace(second=0),
                             end=T.replace(second=0) + timedelta(hours=2))
    assert preds.ids == ["e0", "e1"]


def test_feature_attribution_requests_are_not_the_endpoints_predictions() -> None:
    """A feature-attribution run sends its synthetic rows to the endpoint marked by InferenceId; data capture records
    them, and they must not count as predictions (they would never be labelled and lower the coverage)."""
    from modelmonitor.analyzer.read.records import SYNTHETIC_INFERENCE_PREFIX

    lines = [capture({"data": "1", "encoding": "CSV"}, event_id="e1", inference_id="customer-7"),
             capture({"data": "0", "encoding": "CSV"}, event_id="e2",
                     inference_id=f"{SYNTHETIC_INFERENCE_PREFIX}2026120105-3")]
    assert read_predictions(lines, inference_attribute=None).ids == ["customer-7"]


def test_window_honours_the_label_delay() -> None:
    now = datetime(2026, 11, 25, 10, 17, tzinfo=UTC)
    window = quality_window(now, period_seconds=86400, label_delay_seconds=24 * 3600)
    assert window.end == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert window.start == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert window.evaluation_time == now
    prefixes = hour_prefixes("s3://b/gt/", datetime(2026, 11, 24, 22, 30, tzinfo=UTC),
                             datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    assert prefixes == ["s3://b/gt/2026/11/24/22/", "s3://b/gt/2026/11/24/23/", "s3://b/gt/2026/11/25/00/",
                        "s3://b/gt/2026/11/25/01/"]
    assert hour_of_key("gt/2026/11/24/22/labels.jsonl") == datetime(2026, 11, 24, 22, tzinfo=UTC)
    with pytest.raises(GroundTruthError, match="yyyy/mm/dd/hh"):
        hour_of_key("gt/labels.jsonl")
    with pytest.raises(GroundTruthError, match="timezone-aware"):
        quality_window(datetime(2026, 1, 1), period_seconds=3600, label_delay_seconds=0)


def test_labels_json_encoding_and_missing_event_id() -> None:
    good = json.dumps({"groundTruthData": {"data": "1", "encoding": "JSON"}, "eventMetadata": {"eventId": "x"}})
    labels = read_labels([("gt/2026/11/24/10/a.jsonl", None, [good])])
    assert (list(labels.ids), list(labels.values)) == (["x"], ["1"])
    assert labels.arrived[0] == datetime(2026, 11, 24, 10, tzinfo=UTC)
    bad = json.dumps({"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {}})
    with pytest.raises(GroundTruthError, match=r"a\.jsonl line 2: eventMetadata.eventId missing"):
        read_labels([("gt/2026/11/24/10/a.jsonl", None, [good, bad])])


@mock_aws
def test_end_to_end_from_s3_with_late_and_missing_labels() -> None:
    rng = np.random.default_rng(3)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="mm-artifacts")
    now = datetime(2026, 11, 25, 12, 5, tzinfo=UTC)
    window = quality_window(now, period_seconds=3600, label_delay_seconds=24 * 3600)
    n = 300
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.5 * y + rng.random(n) * 0.5, 0, 1), 3)
    captures = [capture({"observedContentType": "text/csv", "data": f"{score[i]}", "encoding": "CSV"},
                        event_id=f"ev-{i}", at=window.start + timedelta(seconds=10 * i)) for i in range(n)]
    # Labels: 0..199 filed the morning after, 200..249 filed one hour after "now" (late), 250..299 never.
    on_time = "\n".join(label(f"ev-{i}", str(y[i])) for i in range(200))
    late = "\n".join(label(f"ev-{i}", str(y[i])) for i in range(200, 250))
    s3.put_object(Bucket="mm-artifacts", Key="gt/2026/11/25/03/a.jsonl", Body=on_time.encode())
    s3.put_object(Bucket="mm-artifacts", Key="gt/2026/11/25/13/b.jsonl", Body=late.encode())
    # A re-run of this window one hour later sees the late file too, and still counts it as late.
    labels = read_ground_truth_s3(s3, "s3://mm-artifacts/gt", window)
    assert len(labels.ids) == 200  # the 13h prefix is after the evaluation hour: not even listed
    rerun_labels = read_ground_truth_s3(
        s3, "s3://mm-artifacts/gt",
        type(window)(window.start, window.end, window.evaluation_time + timedelta(hours=1)))
    preds = read_predictions(captures, inference_attribute=None, probability_attribute="0",
                             start=window.start, end=window.end)
    result = evaluate(preds, rerun_labels, problem_type="BinaryClassification",
                      evaluation_time=window.evaluation_time)
    assert result.coverage.matched == 200
    assert result.coverage.late_labels == 50
    assert result.coverage.unmatched_predictions == 100
    assert result.metrics["auc"] == pytest.approx(skm.roc_auc_score(y[:200], score[:200]))


def test_multi_row_outputs_cannot_be_matched_to_one_label() -> None:
    line = capture({"data": "0.1\n0.9", "encoding": "CSV"}, event_id="e1")
    with pytest.raises(GroundTruthError, match="holds 2 rows"):
        read_predictions([line], inference_attribute="0")


@mock_aws
def test_window_from_s3_captures_and_files_written(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="mm-bucket")
    window = quality_window(datetime(2026, 11, 25, 11, 10, tzinfo=UTC), period_seconds=3600,
                            label_delay_seconds=3600)  # window 09:00–10:00, judged at 11:10
    inside = [capture({"data": f"{p}", "encoding": "CSV"}, event_id=f"in-{i}",
                      at=window.start + timedelta(minutes=10 * i)) for i, p in enumerate([0.9, 0.2, 0.7])]
    outside = capture({"data": "0.5", "encoding": "CSV"}, event_id="late-hour", at=window.end)
    s3.put_object(Bucket="mm-bucket", Key="cap/ep/AllTraffic/2026/11/25/09/a.jsonl", Body="\n".join(inside).encode())
    s3.put_object(Bucket="mm-bucket", Key="cap/ep/AllTraffic/2026/11/25/10/b.jsonl", Body=outside.encode())
    s3.put_object(Bucket="mm-bucket", Key="gt/2026/11/25/10/l.jsonl",
                  Body="\n".join([label("in-0", "1"), label("in-1", "0"), label("in-2", "0")]).encode())
    preds = read_predictions_s3(s3, "s3://mm-bucket/cap/ep/AllTraffic", window, inference_attribute=None,
                                probability_attribute="0")
    assert preds.ids == ["in-0", "in-1", "in-2"]  # the 10h prefix is not even listed
    result = evaluate(preds, read_ground_truth_s3(s3, "s3://mm-bucket/gt", window), problem_type="BinaryClassification",
                      evaluation_time=window.evaluation_time,
                      constraints={"binary_classification_constraints": {
                          "precision": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}})
    # Predicted 1,0,1 vs truth 1,0,0: precision 1/2, recall 1, accuracy 2/3.
    assert result.metrics["precision"] == 0.5 and result.metrics["recall"] == 1.0
    written = write_outputs(result, output_dir=tmp_path / "out", metrics_dir=tmp_path / "metrics",
                            endpoint="ep", schedule="ep-mq", evaluation_time=window.evaluation_time)
    assert [p.name for p in written] == ["statistics.json", "constraint_violations.json",
                                         "cloudwatch_metrics.jsonl"]
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())
    assert violations["violations"][0]["metric_name"] == "precision"
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert stats["binary_classification_metrics"]["accuracy"]["value"] == pytest.approx(2 / 3)
    metric_lines = (tmp_path / "metrics" / "cloudwatch_metrics.jsonl").read_text().splitlines()
    assert {json.loads(line)["MetricName"] for line in metric_lines} >= {"precision", "ground_truth_coverage"}


def _capture_line(output: object, *, content_type: str = "application/json", event: str = "e1") -> str:
    return json.dumps({"captureData": {
        "endpointInput": {"data": "1,2", "encoding": "CSV", "mode": "INPUT", "observedContentType": "text/csv"},
        "endpointOutput": {"data": json.dumps(output), "encoding": "JSON", "mode": "OUTPUT",
                           "observedContentType": content_type}},
        "eventMetadata": {"eventId": event, "inferenceTime": "2026-11-24T10:00:03Z"}, "eventVersion": "0"})


def test_predictions_through_the_payload_mapping_and_a_preprocessor(tmp_path: Path) -> None:
    """spec.payload serves model quality's join too: the response decoded by the output mapping (or the record
    preprocessor), the attributes then name its columns — SageMaker's built-in algorithms answer
    `{"predictions": [{"score": …, "predicted_label": …}]}`."""
    from modelmonitor.analyzer.quality.predictions import output_rows_reader
    from modelmonitor.analyzer.read.payloads import PayloadMapping, PayloadSide
    from modelmonitor.analyzer.read.preprocessor import load_preprocessor

    lines = [_capture_line({"predictions": [{"score": 0.8, "predicted_label": 1}]}, event="a"),
             _capture_line({"predictions": [{"score": 0.3, "predicted_label": 0}]}, event="b")]
    mapped = output_rows_reader(PayloadMapping(output=PayloadSide("predictions[*]")), None)
    predictions = read_predictions(lines, inference_attribute="predicted_label", probability_attribute="score",
                                   output_rows=mapped)
    assert predictions.ids == ["a", "b"] and predictions.predicted == ["1", "0"]
    assert predictions.scores == [0.8, 0.3]
    named = output_rows_reader(PayloadMapping(output=PayloadSide("predictions[*].score", ("p",))), None)
    assert read_predictions(lines, inference_attribute=None, probability_attribute="p", output_rows=named).scores == [
        0.8, 0.3]
    with pytest.raises(GroundTruthError, match=r"the response's columns are \['predicted_label', 'score'\]"):
        read_predictions(lines, inference_attribute="label", output_rows=mapped)
    batch = [_capture_line({"predictions": [{"score": 0.1}, {"score": 0.2}]})]
    with pytest.raises(GroundTruthError, match="response holds 2 rows"):
        read_predictions(batch, inference_attribute="score", output_rows=mapped)
    script = tmp_path / "pre.py"
    script.write_text("import json\n\ndef preprocess_handler(inference_record):\n"
                      "    out = json.loads(inference_record.endpoint_output.data)['predictions'][0]\n"
                      "    return {'prob': out['score'], 'label': out['predicted_label']}\n")
    preprocessed = output_rows_reader(None, load_preprocessor(str(script)))
    result = read_predictions(lines, inference_attribute="label", probability_attribute="prob",
                              output_rows=preprocessed)
    assert result.predicted == ["1", "0"] and result.scores == [0.8, 0.3]
