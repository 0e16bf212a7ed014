"""Readers: capture encodings, malformed lines, time windows, CSV headers, JSON lines, S3 (moto)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.batches import ReadCounters
from modelmonitor.analyzer.read.capture import read_capture
from modelmonitor.analyzer.read.csv_reader import read_csv
from modelmonitor.analyzer.read.sources import DataObject, Window, list_objects
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import accumulate, run
from tests.analyzer import datagen


def _capture(data: str, encoding: str, content_type: str = "text/csv") -> str:
    return json.dumps({"captureData": {"endpointInput": {"observedContentType": content_type, "mode": "INPUT",
                                                         "data": data, "encoding": encoding}},
                       "eventMetadata": {"eventId": "x", "inferenceTime": "2026-11-24T10:00:03Z"},
                       "eventVersion": "0"})


def _read(path: Path, layout: str = "input_only") -> tuple[list[list[str]], ReadCounters]:
    counters = ReadCounters()
    batches = list(read_capture([DataObject(str(path), path.stat().st_size)], layout, counters))  # type: ignore[arg-type]
    rows = [list(r) for b in batches for r in zip(*b.columns, strict=True)]
    return rows, counters


def test_capture_encodings_csv_json_base64_and_unknown_literal(tmp_path: Path) -> None:
    lines = [
        _capture("1,2.5,a", "CSV"),
        _capture(json.dumps({"instances": [[3, 4.5, "b"]]}), "JSON", "application/json"),
        _capture(base64.b64encode(b"5,6.5,c").decode(), "BASE64", "application/x-custom"),
        # any other encoding value is base64 too (SageMaker's literal for it is undocumented)
        _capture(base64.b64encode(b"7,8.5,d").decode(), "B64ENC", "text/plain"),
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n")
    rows, counters = _read(path)
    assert rows == [["1", "2.5", "a"], ["3", "4.5", "b"], ["5", "6.5", "c"], ["7", "8.5", "d"]]
    assert counters.malformed == 0


def test_batch_request_rows_and_output_first_layout(tmp_path: Path) -> None:
    record = json.loads(_capture("1,2\n3,4", "CSV"))
    record["captureData"]["endpointOutput"] = {"observedContentType": "text/csv", "mode": "OUTPUT",
                                               "data": "0.1\n0.9", "encoding": "CSV"}
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(record) + "\n")
    rows, _ = _read(path, "output_first")
    assert rows == [["0.1", "1", "2"], ["0.9", "3", "4"]]


def test_malformed_lines_are_counted_and_fatal_only_above_the_threshold(tmp_path: Path) -> None:
    good = [_capture(f"{i},{i}", "CSV") for i in range(95)]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([*good, "{not json", '{"captureData": {}}', "[]", "garbage", "{}"]) + "\n")
    rows, counters = _read(path)
    assert len(rows) == 95
    assert counters.malformed == 5
    assert any("line 96" in e for e in counters.examples)
    job = AnalysisJob(mode="baseline", dataset_source=str(path), output_path=str(tmp_path / "o"))
    assert run(job).malformed_records == 5
    strict = AnalysisJob(mode="baseline", dataset_source=str(path), output_path=str(tmp_path / "o"),
                         max_malformed_fraction=0.01)
    with pytest.raises(AnalyzerInputError, match=r"5 of 100 records are malformed"):
        run(strict)


def test_window_filters_capture_hours_and_records(tmp_path: Path) -> None:
    # 3 hours of captures, one record a minute; the window is the middle hour.
    datagen.write_captures(tmp_path / "cap", datagen.baseline_columns(180), datagen.WINDOW_START,
                           spacing=timedelta(minutes=1))
    window = Window(datagen.WINDOW_START + timedelta(hours=1), datagen.WINDOW_START + timedelta(hours=2))
    objects = list_objects(str(tmp_path / "cap"), window)
    assert objects and all("/2026/11/24/11/" in o.uri for o in objects)
    job = AnalysisJob(mode="baseline", dataset_source=str(tmp_path / "cap"), output_path=str(tmp_path / "o"),
                      window=Window(datagen.WINDOW_START + timedelta(minutes=30),
                                    datagen.WINDOW_START + timedelta(minutes=90)))
    stats, _ = accumulate(job, None)
    assert stats.item_count == 60


def test_headerless_csv_gets_spark_style_names(tmp_path: Path) -> None:
    path = datagen.write_csv(tmp_path / "d.csv", datagen.baseline_columns(50), header=False)
    job = AnalysisJob(mode="baseline", dataset_source=str(path), output_path=str(tmp_path / "o"))
    stats, _ = accumulate(job, None)
    assert list(stats.columns) == [f"_c{i}" for i in range(8)]
    assert stats.columns["_c4"].inferred_type == "String"


def test_csv_header_is_detected_and_ragged_rows_are_malformed(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n3\n4,z,extra\n")
    counters = ReadCounters()
    batches = list(read_csv([DataObject(str(path), 1)], "auto", counters))
    assert batches[0].names == ["a", "b"]
    assert batches[0].columns == [["1", "2"], ["x", "y"]]
    assert counters.malformed == 2


def test_json_lines_dataset_types_and_missing_keys(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [{"a": 1, "b": 1.5, "c": "x"}, {"a": 2, "c": None},
                                                       {"a": 3, "b": 2.0, "c": "y"}]) + "\n")
    job = AnalysisJob(mode="baseline", dataset_source=str(path), output_path=str(tmp_path / "o"))
    stats, _ = accumulate(job, None)
    assert {n: c.inferred_type for n, c in stats.columns.items()} == {"a": "Integral", "b": "Fractional",
                                                                      "c": "String"}
    assert stats.columns["b"].missing == 1 and stats.columns["c"].missing == 1


def test_inferred_types_follow_sagemaker_rules(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("i,f,s,mixed,empty\n1,1.5,a,1,\n2,2,b,x,\n-3,1e3,c,2.5,\n")
    job = AnalysisJob(mode="baseline", dataset_source=str(path), output_path=str(tmp_path / "o"))
    stats, _ = accumulate(job, None)
    assert {n: c.inferred_type for n, c in stats.columns.items()} == {
        "i": "Integral", "f": "Fractional", "s": "String", "mixed": "String", "empty": "Unknown"}


def test_s3_prefix_is_read_with_boto3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    files = datagen.write_captures(tmp_path / "cap", datagen.baseline_columns(200), datagen.WINDOW_START)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="art")
        for f in files:
            s3.put_object(Bucket="art", Key=f"captures/{f.relative_to(tmp_path / 'cap')}", Body=f.read_bytes())
        s3.put_object(Bucket="art", Key="captures-other/x.jsonl", Body=b"{}")
        result = run(AnalysisJob(mode="baseline", dataset_source="s3://art/captures",
                                 output_path="s3://art/out"))
        assert result.item_count == 200
        stats = json.loads(s3.get_object(Bucket="art", Key="out/statistics.json")["Body"].read())
        assert stats["dataset"]["item_count"] == 200
        with pytest.raises(AnalyzerInputError, match="s3://art/nothing"):
            run(AnalysisJob(mode="baseline", dataset_source="s3://art/nothing", output_path=str(tmp_path / "o")))


def test_aws_endpoint_url_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(key, "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="data")
        data = datagen.write_csv(tmp_path / "d.csv", datagen.baseline_columns(120))
        s3.put_object(Bucket="data", Key="train/d.csv", Body=data.read_bytes())
        result = run(AnalysisJob(mode="baseline", dataset_source="s3://data/train/",
                                 output_path=str(tmp_path / "o")))
        assert result.item_count == 120
    finally:
        server.stop()


def test_quoted_csv_takes_the_csv_module_path(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('name,city,n\n"Smith, J",Paris,1\n"Doe ""JD"", K",Rome,2\n')
    counters = ReadCounters()
    batches = list(read_csv([DataObject(str(path), 1)], "auto", counters))
    assert batches[0].names == ["name", "city", "n"]
    assert batches[0].columns == [["Smith, J", 'Doe "JD", K'], ["Paris", "Rome"], ["1", "2"]]
    assert counters.malformed == 0


@pytest.mark.parametrize(("header", "message"), [("a,b,a", "repeats column name(s) 'a'"),
                                                 ("a,,c", "empty column name (column 2)")])
def test_bad_csv_header_is_a_precise_error(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"{header}\n1,2,3\n")
    with pytest.raises(AnalyzerInputError, match=re.escape(message)):
        list(read_csv([DataObject(str(path), 1)], "present", ReadCounters()))


def test_s3_window_lists_only_the_window_hours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelmonitor.analyzer.read import sources

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="art")
        for variant in ("A", "B"):
            files = datagen.write_captures(tmp_path / variant, datagen.baseline_columns(180), datagen.WINDOW_START,
                                           variant=variant, spacing=timedelta(minutes=1))
            for f in files:
                s3.put_object(Bucket="art", Key=f"captures/{f.relative_to(tmp_path / variant)}", Body=f.read_bytes())
        s3.put_object(Bucket="art", Key="plain/data.csv", Body=b"a,b\n1,2\n")
        calls: list[dict[str, str]] = []
        client = boto3.client("s3", region_name="us-east-1")
        client.meta.events.register("before-parameter-build.s3.ListObjectsV2",
                                    lambda params, **_: calls.append(dict(params)))
        monkeypatch.setattr(sources, "s3_client", lambda: client)
        middle = Window(datagen.WINDOW_START + timedelta(hours=1), datagen.WINDOW_START + timedelta(hours=2))
        objects = list_objects("s3://art/captures", middle)
        assert objects and all("/2026/11/24/11/" in o.uri for o in objects)
        assert {o.uri.split("/")[5] for o in objects} == {"A", "B"}
        assert not [c for c in calls if "Delimiter" not in c and not c["Prefix"].endswith("/11/")]
        calls.clear()
        later = Window(datagen.WINDOW_START + timedelta(days=2), datagen.WINDOW_START + timedelta(days=2, hours=1))
        assert list_objects("s3://art/captures/", later) == []
        assert all("Delimiter" in c or c["Prefix"].endswith("/10/") for c in calls)
        # no hourly layout below the prefix: everything is listed and filtered as before
        assert [o.uri for o in list_objects("s3://art/plain", middle)] == ["s3://art/plain/data.csv"]


def test_feature_attribution_requests_are_left_out_of_data_quality_windows(tmp_path: Path) -> None:
    """A feature-attribution run's synthetic rows reach data capture (they are requests to the endpoint); marked by
    their InferenceId, they must not count as the endpoint's traffic — on the fast path's blocks too."""
    from modelmonitor.analyzer.read.records import SYNTHETIC_INFERENCE_PREFIX

    def line(data: str, inference_id: str) -> str:
        record = json.loads(_capture(data, "CSV"))
        record["eventMetadata"]["inferenceId"] = inference_id
        return json.dumps(record)

    path = tmp_path / "capture.jsonl"
    customers = [line(f"{i},{i + 1}", f"customer-{i}") for i in range(50)]
    synthetic = [line("999,999", f"{SYNTHETIC_INFERENCE_PREFIX}2026112410-{i}") for i in range(5)]
    path.write_text("\n".join(customers[:25] + synthetic + customers[25:]) + "\n")
    rows, counters = _read(path)
    assert len(rows) == 50 and ["999", "999"] not in rows
    assert counters.synthetic == 5 and counters.records == 50 and counters.malformed == 0
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(customers) + "\n")
    assert _read(clean)[0] == rows                                         # same rows as without the marked ones
