"""The payload mapping (`spec.payload`): where the features are and what to call them — the same mapping in our
analyzer and, as a generated record preprocessor, in SageMaker's built-in analyzer.

The request and response shapes are AWS's and TensorFlow Serving's (see test_payload_decoders.py for the sources):
Clarify's `{"instances": [{"features": [...]}]}` requests, SageMaker built-in algorithms' `{"predictions":
[{"score": …}]}` responses, JSON Lines batches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.payload_mapping import MappingError, parse_path
from modelmonitor.analyzer.read.payloads import PayloadMapping, PayloadSide, decode_record
from modelmonitor.analyzer.read.preprocessor import load_preprocessor
from modelmonitor.analyzer.read.preprocessor_script import preprocessor_script
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
from modelmonitor.cli import main

NAMES = ("age", "income", "tenure")


def _record(inp: Any, out: Any, *, content_type: str = "application/json", encoding: str = "JSON") -> dict[str, Any]:
    def side(data: Any, mode: str) -> dict[str, Any]:
        text = data if isinstance(data, str) else json.dumps(data)
        return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}

    return {"captureData": {"endpointInput": side(inp, "INPUT"), "endpointOutput": side(out, "OUTPUT")},
            "eventMetadata": {"eventId": "e", "inferenceTime": "2026-12-06T10:00:00Z"}, "eventVersion": "0"}


CLARIFY = PayloadMapping(input=PayloadSide("instances[*].features", NAMES), output=PayloadSide("predictions[*].score",
                                                                                               ("score",)))


def test_paths_select_rows_and_names_name_them() -> None:
    record = _record({"instances": [{"features": [31, 5200.5, 3]}, {"features": [45, 800, 12]}]},
                     {"predictions": [{"score": 0.2, "predicted_label": 0}, {"score": 0.9, "predicted_label": 1}]})
    decoded = decode_record(record, "output_first", CLARIFY)
    assert decoded.rows == [{"score": "0.2", "age": "31", "income": "5200.5", "tenure": "3"},
                            {"score": "0.9", "age": "45", "income": "800", "tenure": "12"}]
    assert not decoded.unpaired


def test_json_lines_and_csv_bodies_under_a_mapping() -> None:
    lines = '{"features": [1, 2, 3]}\n{"features": [4, 5, 6]}\n'
    mapping = PayloadMapping(input=PayloadSide("features", NAMES))
    decoded = decode_record(_record(lines, "0.1\n0.2", content_type="application/jsonlines"), "input_only", mapping)
    assert decoded.rows == [{"age": "1", "income": "2", "tenure": "3"}, {"age": "4", "income": "5", "tenure": "6"}]
    csv = decode_record(_record("1,2,3\n4,5,6", "0.1\n0.2", content_type="text/csv", encoding="CSV"),
                        "output_first", PayloadMapping(input=PayloadSide(None, NAMES)))
    assert csv.rows == [{"output": "0.1", "age": "1", "income": "2", "tenure": "3"},
                        {"output": "0.2", "age": "4", "income": "5", "tenure": "6"}]


@pytest.mark.parametrize("path", ["", "a..b", "a[*][*]", "a[x]", ".a", "a b"])
def test_invalid_paths_are_refused(path: str) -> None:
    with pytest.raises(MappingError):
        parse_path(path)


def test_a_record_the_mapping_does_not_fit_is_malformed_not_fatal(tmp_path: Path) -> None:
    good = _record({"instances": [{"features": [1, 2, 3]}]}, {"predictions": [{"score": 0.5}]})
    bad = _record({"rows": [[1, 2, 3]]}, {"predictions": [{"score": 0.5}]})
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in [good] * 19 + [bad]))
    result = run(AnalysisJob(mode="baseline", dataset_source=str(data), output_path=str(tmp_path / "o"),
                             payload_mapping=CLARIFY))
    assert (result.item_count, result.malformed_records) == (19, 1)


def test_generated_preprocessor_gives_aws_the_same_rows(tmp_path: Path) -> None:
    """Under analyzer: builtin the mapping becomes a record preprocessor script. Loaded with AWS's contract
    (preprocess_handler(inference_record) → list of dicts) it yields exactly the rows our analyzer reads."""
    script = tmp_path / "preprocessor.py"
    script.write_text(preprocessor_script("instances[*].features", NAMES, "predictions[*].score", ["score"],
                                          with_output=True))
    records = [_record({"instances": [{"features": [i, i * 1.5, i % 4]}, {"features": [i + 1, 2.5, 1]}]},
                       {"predictions": [{"score": i / 100}, {"score": 0.5}]}) for i in range(30)]
    handler = load_preprocessor(str(script))
    for record in records:
        ours = decode_record(record, "output_first", CLARIFY).rows
        assert handler.rows(record) == ours
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    via_mapping = run(AnalysisJob(mode="baseline", dataset_source=str(data), output_path=str(tmp_path / "m"),
                                  payload_mapping=CLARIFY))
    via_script = run(AnalysisJob(mode="baseline", dataset_source=str(data), output_path=str(tmp_path / "s"),
                                 record_preprocessor=str(script)))
    assert via_mapping.item_count == via_script.item_count == 60
    assert (tmp_path / "m/statistics.json").read_bytes() == (tmp_path / "s/statistics.json").read_bytes()


def test_mapping_from_environment_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = json.dumps({"input": {"path": "instances[*].features", "names": list(NAMES)}})
    job = AnalysisJob.from_environment({"dataset_source": "/d", "payload_mapping": raw}, opt_ml_root="/x")
    assert job.payload_mapping == PayloadMapping(input=PayloadSide("instances[*].features", NAMES))
    with pytest.raises(AnalyzerInputError, match=r"payload_mapping: input.path: payload path 'a\[x\]'"):
        AnalysisJob.from_environment({"dataset_source": "/d", "payload_mapping": '{"input": {"path": "a[x]"}}'},
                                     opt_ml_root="/x")
    data = tmp_path / "c.jsonl"
    data.write_text(json.dumps(_record({"instances": [{"features": [1, 2, 3]}]}, {"predictions": [0.5]})) + "\n")
    assert main(["baseline", str(data), "-o", str(tmp_path / "o"), "--payload", raw, "--no-progress"]) == 0
    names = [f["name"] for f in json.loads((tmp_path / "o/statistics.json").read_text())["features"]]
    assert names == ["output", *NAMES]
    assert main(["baseline", str(data), "-o", str(tmp_path / "p"), "--payload", '{"input": {"names": "age"}}',
                 "--no-progress"]) == 2
    assert "--payload: input.names must be a list of distinct non-empty strings" in capsys.readouterr().err
