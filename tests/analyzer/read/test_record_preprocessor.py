"""The record preprocessor hook, with SageMaker Model Monitor's contract ("Preprocessing and Postprocessing",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-and-post-processing.html): a script defining
`preprocess_handler(inference_record)` — or `(inference_record, logger)` — that reads
`inference_record.endpoint_input.data` / `.endpoint_output.data` and returns flattened JSON (a dict of feature name
→ value) or a list of such dicts. The AWS page's own example turns the output array `[1.0, 2.1]` into
`{"prediction0": 1.0, "prediction1": 2.1}`; the first script below is that example's logic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from modelmonitor.cli import main

AWS_EXAMPLE = '''
import json

def preprocess_handler(inference_record):
    input_data = json.loads(inference_record.endpoint_input.data)
    output_data = json.loads(inference_record.endpoint_output.data)
    return {**{f"feature{i}": v for i, v in enumerate(input_data)},
            **{f"prediction{i}": v for i, v in enumerate(output_data)}}
'''


def _record(inp: Any, out: Any, when: str = "2026-12-06T10:00:00Z") -> str:
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "application/json", "mode": "INPUT", "data": json.dumps(inp),
                          "encoding": "JSON"},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "data": json.dumps(out),
                           "encoding": "JSON"}},
        "eventMetadata": {"eventId": "e", "inferenceId": "i", "inferenceTime": when}, "eventVersion": "0"})


def _captures(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "captures.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _baseline(tmp_path: Path, captures: Path, script: Path, **extra: Any) -> tuple[Any, dict[str, Any]]:
    out = tmp_path / "out"
    result = run(AnalysisJob(mode="baseline", dataset_source=str(captures), output_path=str(out),
                             record_preprocessor=str(script), **extra))
    return result, json.loads((out / "statistics.json").read_text())


def test_aws_example_flattens_arrays_into_named_columns(tmp_path: Path) -> None:
    script = tmp_path / "preprocessor.py"
    script.write_text(AWS_EXAMPLE)
    captures = _captures(tmp_path, [_record([i, i * 0.5], [1.0 + i, 2.1]) for i in range(20)])
    result, statistics = _baseline(tmp_path, captures, script)
    assert result.item_count == 20 and result.malformed_records == 0
    names = {f["name"]: f["inferred_type"] for f in statistics["features"]}
    assert names == {"feature0": "Integral", "feature1": "Fractional", "prediction0": "Fractional",
                     "prediction1": "Fractional"}


def test_list_of_dicts_logger_argument_and_dropped_records(tmp_path: Path) -> None:
    script = tmp_path / "batch.py"
    script.write_text('''
import json

def preprocess_handler(inference_record, logger):
    rows = json.loads(inference_record.endpoint_input.data)["instances"]
    if not rows:
        return []                      # drop the record
    logger.info("record %s: %d rows", inference_record.event_metadata.event_id, len(rows))
    return [{"x": r[0], "y": r[1], "when": inference_record.event_metadata.inference_time} for r in rows]
''')
    captures = _captures(tmp_path, [_record({"instances": [[1, 2], [3, 4]]}, {}), _record({"instances": []}, {})])
    result, statistics = _baseline(tmp_path, captures, script)
    assert result.item_count == 2 and result.malformed_records == 0
    assert [f["name"] for f in statistics["features"]] == ["x", "y", "when"]


def test_handler_errors_are_counted_per_record_never_fatal(tmp_path: Path) -> None:
    script = tmp_path / "fussy.py"
    script.write_text('''
def preprocess_handler(inference_record):
    value = float(inference_record.endpoint_input.data.strip('"'))
    if value < 0:
        raise ValueError("negative input")
    if value > 100:
        return "not a dict"
    return {"value": value}
''')
    lines = [json.dumps({"captureData": {"endpointInput": {"data": str(v), "encoding": "CSV", "mode": "INPUT",
                                                           "observedContentType": "text/csv"}},
                         "eventMetadata": {"eventId": str(v)}, "eventVersion": "0"}) for v in range(40)]
    lines += [lines[0].replace('"data": "0"', '"data": "-1"'), lines[0].replace('"data": "0"', '"data": "500"')]
    result, _ = _baseline(tmp_path, _captures(tmp_path, lines), script)
    assert (result.item_count, result.malformed_records) == (40, 2)
    with pytest.raises(AnalyzerInputError, match="preprocess_handler raised ValueError: negative input"):
        _baseline(tmp_path, _captures(tmp_path, lines), script, max_malformed_fraction=0.01)


@pytest.mark.parametrize(("source", "message"), [
    ("def handler(record):\n    return {}\n", "defines no function preprocess_handler"),
    ("import does_not_exist\n", "failed to load: ModuleNotFoundError"),
    ("def preprocess_handler(a, b, c):\n    return {}\n", "must take (inference_record) or (inference_record, logger)"),
])
def test_a_script_that_cannot_serve_is_a_clear_input_error(tmp_path: Path, source: str, message: str) -> None:
    script = tmp_path / "bad.py"
    script.write_text(source)
    captures = _captures(tmp_path, [_record([1], [2])])
    with pytest.raises(AnalyzerInputError) as caught:
        _baseline(tmp_path, captures, script)
    assert message in str(caught.value) and str(script) in str(caught.value)


def test_script_from_s3_and_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    captures = _captures(tmp_path, [_record([i, i], [i]) for i in range(5)])
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="code")
        s3.put_object(Bucket="code", Key="pre/preprocessor.py", Body=AWS_EXAMPLE.encode())
        job = AnalysisJob.from_environment({"dataset_source": str(captures), "output_path": str(tmp_path / "o"),
                                            "record_preprocessor_script": "s3://code/pre/preprocessor.py"},
                                           opt_ml_root=str(tmp_path))
        result = run(job)
    assert job.record_preprocessor == "s3://code/pre/preprocessor.py"
    assert result.item_count == 5


def test_cli_preprocessor_option_and_non_capture_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "preprocessor.py"
    script.write_text(AWS_EXAMPLE)
    captures = _captures(tmp_path, [_record([i, 2 * i], [i]) for i in range(5)])
    assert main(["baseline", str(captures), "-o", str(tmp_path / "a"), "--preprocessor", str(script),
                 "--no-progress"]) == 0
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    assert main(["baseline", str(table), "-o", str(tmp_path / "b"), "--preprocessor", str(script),
                 "--no-progress"]) == 2
    assert "applies to data-capture records; this data is csv" in capsys.readouterr().err


def test_sys_exit_in_a_preprocessor_is_the_records_failure_not_the_runs_success(tmp_path: Path) -> None:
    """A handler (or a script's top level) calling sys.exit(0) used to end `analyze` with exit 0 and no files."""
    exiting = tmp_path / "exiting.py"
    exiting.write_text("import sys\n\ndef preprocess_handler(inference_record):\n    sys.exit(0)\n")
    captures = _captures(tmp_path, [_record([1], [2])])
    with pytest.raises(AnalyzerInputError, match="preprocess_handler raised SystemExit"):
        _baseline(tmp_path, captures, exiting)
    at_load = tmp_path / "at_load.py"
    at_load.write_text("import sys\nsys.exit(0)\n")
    with pytest.raises(AnalyzerInputError, match="failed to load: SystemExit"):
        _baseline(tmp_path, captures, at_load)
