"""Payload decoders: what real endpoints send, each shape parsed into one row per instance, outputs paired by
position — or counted when they do not pair, never dropped or misaligned silently.

Expected rows come from the protocols' own documents, not from our code:
- TensorFlow Serving REST API, "Specifying input tensors in row format" / "columnar format"
  (https://www.tensorflow.org/tfx/serving/api_rest#request_format_2): every element of `instances` is one
  instance; `predictions` holds one element per instance; `inputs` is the columnar form.
- SageMaker's own capture fixture (aws/sagemaker-python-sdk tests/data/monitor/captured-data.jsonl, copied to
  tests/analyzer/fixtures/aws-artifacts/): `{"instances": [1.0, 2.0, 5.0]}` in,
  `{"predictions": [3.5, 4.0, 5.5]}` out — three instances, three predictions.
- KServe's Open Inference Protocol (V2), "Tensor Data" (https://kserve.github.io/website/latest/modelserving/
  data_plane/v2_protocol/): `data` holds the tensor's elements in row-major order, `shape` its dimensions, the
  first being the batch.
- Amazon SageMaker Clarify's JSON Lines / JSON instance format `{"features": [...]}` ("Configure an Analysis",
  `features` JMESPath) and its built-in algorithms' `{"instances": [{"features": [...]}]}` requests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.analyzer.read.batches import ReadCounters
from modelmonitor.analyzer.read.capture import read_capture
from modelmonitor.analyzer.read.payloads import decode_record
from modelmonitor.analyzer.read.sources import DataObject
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run

ARTIFACTS = Path(__file__).resolve().parents[1] / "fixtures/aws-artifacts"


def _payload(data: Any, content_type: str, encoding: str = "JSON") -> dict[str, Any]:
    text = data if isinstance(data, str) else json.dumps(data)
    return {"observedContentType": content_type, "mode": "INPUT", "data": text, "encoding": encoding}


def _record(inp: dict[str, Any], out: dict[str, Any] | None = None) -> dict[str, Any]:
    capture: dict[str, Any] = {"endpointInput": inp}
    if out is not None:
        capture["endpointOutput"] = {**out, "mode": "OUTPUT"}
    return {"captureData": capture, "eventMetadata": {"eventId": "e", "inferenceTime": "2026-12-06T10:00:00Z"},
            "eventVersion": "0"}


def _rows(path: Path, layout: str = "output_first") -> tuple[list[list[str]], list[str] | None, ReadCounters]:
    counters = ReadCounters()
    batches = list(read_capture([DataObject(str(path), path.stat().st_size)], layout, counters))  # type: ignore[arg-type]
    names = batches[0].names if batches else None
    return [list(r) for b in batches for r in zip(*b.columns, strict=True)], names, counters


def test_sagemaker_sdk_fixture_is_three_instances_with_three_predictions() -> None:
    rows, names, counters = _rows(ARTIFACTS / "sdk_captured-data.jsonl")
    assert names is None  # positional: they take the baseline's names
    # Each of the 2 records: instances [1.0, 2.0, 5.0] → predictions [3.5, 4.0, 5.5], output column first.
    assert rows == [["3.5", "1.0"], ["4.0", "2.0"], ["5.5", "5.0"]] * 2
    assert (counters.records, counters.malformed, counters.unpaired) == (6, 0, 0)


def test_sdk_fixture_baseline_has_two_numeric_columns(tmp_path: Path) -> None:
    job = AnalysisJob(mode="baseline", dataset_source=str(ARTIFACTS / "sdk_captured-data.jsonl"),
                      output_path=str(tmp_path))
    result = run(job)
    assert result.item_count == 6
    features = json.loads((tmp_path / "statistics.json").read_text())["features"]
    assert [(f["name"], f["inferred_type"]) for f in features] == [("_c0", "Fractional"), ("_c1", "Fractional")]
    assert features[1]["numerical_statistics"]["sum"] == pytest.approx(2 * (1.0 + 2.0 + 5.0))


def test_churn_capture_records_are_one_row_each() -> None:
    rows, _, counters = _rows(ARTIFACTS / "churn_csv.jsonl")
    assert len(rows) == 24 and {len(r) for r in rows} == {1 + 69}  # one score out, 69 features in
    assert counters.malformed == counters.unpaired == 0


@pytest.mark.parametrize("content_type", ["application/jsonlines", "application/x-jsonlines", "application/json"])
def test_json_lines_batch_is_one_row_per_line(tmp_path: Path, content_type: str) -> None:
    """A JSON Lines request scoring several rows (declared, or recognisable as one document per line)."""
    body = '{"a": 1, "b": 2.5}\n{"a": 3, "b": 4.5}\n'
    out = '{"score": 0.25}\n{"score": 0.75}\n'
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_record(_payload(body, content_type), _payload(out, content_type))) + "\n")
    rows, names, counters = _rows(path)
    assert names == ["score", "a", "b"]
    assert rows == [["0.25", "1", "2.5"], ["0.75", "3", "4.5"]]
    assert (counters.malformed, counters.unpaired) == (0, 0)


def test_base64_json_lines_payload(tmp_path: Path) -> None:
    import base64

    body = base64.b64encode(b'[1, 2]\n[3, 4]\n').decode()
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_record(_payload(body, "application/jsonlines", "BASE64"))) + "\n")
    rows, _, counters = _rows(path, "input_only")
    assert rows == [["1", "2"], ["3", "4"]] and counters.malformed == 0


def test_row_format_instances_scalars_lists_objects_and_features() -> None:
    scalars = decode_record(_record(_payload({"instances": [1.0, 2.0]}, "application/json")), "input_only")
    assert scalars.rows == [["1.0"], ["2.0"]]
    lists = decode_record(_record(_payload({"instances": [[1, 2], [3, 4]]}, "application/json")), "input_only")
    assert lists.rows == [["1", "2"], ["3", "4"]]
    objects = decode_record(_record(_payload({"signature_name": "serving_default",
                                              "instances": [{"x": 1}, {"x": 2}]}, "application/json")),
                            "input_only")
    assert objects.rows == [{"x": "1"}, {"x": "2"}]
    clarify = decode_record(_record(_payload({"instances": [{"features": [0.5, 7, 3]}, {"features": [1, 2, 3]}]},
                                             "application/json")), "input_only")
    assert clarify.rows == [["0.5", "7", "3"], ["1", "2", "3"]]  # numbers, not JSON text
    one = decode_record(_record(_payload({"features": [0.5, 7, 3]}, "application/json")), "input_only")
    assert one.rows == [["0.5", "7", "3"]]


def test_columnar_inputs_are_named_rows() -> None:
    decoded = decode_record(_record(_payload({"inputs": {"tag": ["a", "b"], "signal": [1, 2]}}, "application/json")),
                            "input_only")
    assert decoded.rows == [{"tag": "a", "signal": "1"}, {"tag": "b", "signal": "2"}]


def test_kserve_v2_tensors_batch_first_row_major() -> None:
    request = {"id": "42", "inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP32",
                                       "data": [1, 2, 3, 4, 5, 6]}]}
    response = {"model_name": "m", "id": "42", "outputs": [{"name": "output-0", "shape": [2, 1], "datatype": "FP32",
                                                            "data": [0.1, 0.9]}]}
    decoded = decode_record(_record(_payload(request, "application/json"), _payload(response, "application/json")),
                            "output_first")
    assert decoded.rows == [["0.1", "1", "2", "3"], ["0.9", "4", "5", "6"]]
    assert not decoded.unpaired
    nested = {"inputs": [{"name": "a", "shape": [2], "datatype": "INT64", "data": [7, 8]},
                         {"name": "b", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]}
    assert decode_record(_record(_payload(nested, "application/json")), "input_only").rows == [
        ["7", "1", "2"], ["8", "3", "4"]]


def test_kserve_tensor_that_does_not_split_is_malformed(tmp_path: Path) -> None:
    bad = {"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3]}]}
    good = {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(_record(_payload(b, "application/json"))) + "\n" for b in (bad, good)))
    rows, _, counters = _rows(path, "input_only")
    assert rows == [["1", "2"]]
    assert counters.malformed == 1 and "3 values do not fill shape [2, 2] (4)" in counters.examples[0]


def test_multi_row_csv_paired_row_by_row_or_one_value_per_row() -> None:
    three = _payload("1,2\n3,4\n5,6", "text/csv", "CSV")
    by_rows = decode_record(_record(three, _payload("0.1\n0.2\n0.3", "text/csv", "CSV")), "output_first")
    assert by_rows.rows == [["0.1", "1", "2"], ["0.2", "3", "4"], ["0.3", "5", "6"]]
    # One CSV line holding one prediction per input row (e.g. SageMaker XGBoost's text/csv batch response).
    one_line = decode_record(_record(three, _payload("0.1,0.2,0.3", "text/csv", "CSV")), "output_first")
    assert one_line.rows == by_rows.rows and not one_line.unpaired


def test_outputs_that_do_not_pair_are_counted_and_leave_aligned_empty_columns(tmp_path: Path) -> None:
    three = _payload("1,2\n3,4\n5,6", "text/csv", "CSV")
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_record(three, _payload("0.1,9\n0.2,9", "text/csv", "CSV"))) + "\n"
                    + json.dumps(_record(_payload("7,8", "text/csv", "CSV"), _payload("0.4,9", "text/csv", "CSV")))
                    + "\n")
    rows, _, counters = _rows(path)
    # (Row order across records is not kept between the reader's paths; statistics do not depend on it.)
    assert sorted(rows) == [["", "", "1", "2"], ["", "", "3", "4"], ["", "", "5", "6"], ["0.4", "9", "7", "8"]]
    assert counters.unpaired == 1 and counters.records == 4
    assert counters.unpaired_example.endswith("line 1: 2 output row(s) for 3 input row(s)")


def test_predictions_beside_named_inputs_get_output_names() -> None:
    decoded = decode_record(_record(_payload({"instances": [{"x": 1}, {"x": 2}]}, "application/json"),
                                    _payload({"predictions": [0.3, 0.6]}, "application/json")), "output_first")
    assert decoded.rows == [{"output": "0.3", "x": "1"}, {"output": "0.6", "x": "2"}]


def test_run_summary_reports_unpaired_requests(tmp_path: Path) -> None:
    data = tmp_path / "capture.jsonl"
    records = [_record(_payload(f"{i},{i + 1}\n{i},{i}", "text/csv", "CSV"), _payload("0.5", "text/csv", "CSV"))
               for i in range(4)]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run(AnalysisJob(mode="baseline", dataset_source=str(data), output_path=str(tmp_path / "out")))
    assert result.unpaired_records == 4 and result.item_count == 8
    assert "4 request(s) whose outputs did not pair with their inputs" in result.summary()
