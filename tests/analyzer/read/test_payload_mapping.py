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
                                          map_output=True))
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


# --- found by an outside review: each was a confirmed defect before the fix -----------------------------------------

def _builtin(record: dict[str, Any], *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    namespace: dict[str, Any] = {}
    exec(compile(preprocessor_script(*args, **kwargs), "generated", "exec"), namespace)
    from modelmonitor.analyzer.read.preprocessor import inference_record

    return namespace["preprocess_handler"](inference_record(record))  # type: ignore[no-any-return]


def test_builtin_script_keeps_columns_aligned_when_outputs_do_not_pair() -> None:
    unpaired = _record({"instances": [[1, 2]]}, {"predictions": [0.9, 0.8]})  # 2 outputs for 1 input
    mapping = PayloadMapping(PayloadSide("instances[*]"), PayloadSide("predictions[*]"))
    assert decode_record(unpaired, "output_first", mapping).rows == [["", "1", "2"]]
    assert _builtin(unpaired, "instances[*]", None, "predictions[*]", None, map_output=True) == [
        {"_c0": None, "_c1": 1, "_c2": 2}]  # the inputs stay in _c1, _c2 as in a paired record
    paired = _record({"instances": [[1, 2]]}, {"predictions": [0.9]})
    assert _builtin(paired, "instances[*]", None, "predictions[*]", None, map_output=True) == [
        {"_c0": 0.9, "_c1": 1, "_c2": 2}]


def test_builtin_script_reads_an_unmapped_output_by_the_shape_rules_as_we_do() -> None:
    fixture = _record({"instances": [1.0, 2.0]}, {"predictions": [3.5, 4.0]})
    mapping = PayloadMapping(input=PayloadSide("instances[*]", ("x",)))
    assert decode_record(fixture, "output_first", mapping).rows == [{"output": "3.5", "x": "1.0"},
                                                                      {"output": "4.0", "x": "2.0"}]
    assert _builtin(fixture, "instances[*]", ["x"]) == [{"output": 3.5, "x": 1.0}, {"output": 4.0, "x": 2.0}]


def test_builtin_script_returns_flattened_json_only() -> None:
    record = _record({"instances": [{"a": 1, "b": [1, 2], "c": {"d": 3}}]}, {"predictions": [0.5]})
    rows = _builtin(record, "instances[*]", ["a", "b", "c"])
    assert rows == [{"output": 0.5, "a": 1, "b": "[1,2]", "c": '{"d":3}'}]
    ours = decode_record(record, "output_first", PayloadMapping(PayloadSide("instances[*]", ("a", "b", "c"))))
    assert ours.rows == [{"output": "0.5", "a": "1", "b": "[1,2]", "c": '{"d":3}'}]


def test_deeply_nested_kserve_data_is_a_malformed_record_not_a_crash(tmp_path: Path) -> None:
    """990 levels: orjson reads it (its limit is 1024), the tensor flattening used to recurse past Python's limit."""
    nested = "[" * 990 + "1" + "]" * 990
    body = '{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "FP32", "data": ' + nested + "}]}"
    bad = _record(body, "{}")
    good = _record({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}, {})
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in [good] * 30 + [bad]))
    result = run(AnalysisJob(mode="baseline", dataset_source=str(data), output_path=str(tmp_path / "o"),
                             capture_layout="input_only"))
    assert (result.item_count, result.malformed_records) == (31, 0)  # one value, however deep: a valid tensor


@pytest.mark.parametrize(("shape", "data"), [([1, 3], [1, 2, 3, 4, 5, 6]), ([2, 3], [1, 2, 3, 4]), ([2, 0], [])])
def test_kserve_data_must_fill_its_shape_exactly(shape: list[int], data: list[int]) -> None:
    """Open Inference Protocol: a tensor's data holds the product of its shape's dimensions."""
    record = _record({"inputs": [{"name": "x", "shape": shape, "datatype": "FP32", "data": data}]}, {})
    with pytest.raises(ValueError, match="KServe v2 tensor 'x'"):
        decode_record(record, "input_only")


def test_an_output_named_like_an_input_is_refused_not_overwritten() -> None:
    clash = _record({"instances": [{"score": 5, "x": 1}]}, {"predictions": [{"score": 0.9}]})
    with pytest.raises(ValueError, match=r"output column\(s\) \['score'\] have the name of an input column"):
        decode_record(clash, "output_first")


def test_names_picking_a_missing_key_make_the_record_malformed() -> None:
    record = _record({"instances": [{"a": 1}]}, {})
    with pytest.raises(ValueError, match=r"no key\(s\) \['b'\]"):
        decode_record(record, "input_only", PayloadMapping(PayloadSide("instances[*]", ("a", "b"))))


def test_builtin_script_reads_csv_and_base64_bodies_as_we_do() -> None:
    """One body decoder serves both analyzers: CRLF, quoted commas, a base64 CSV body, an invalid base64 body."""
    import base64

    csv_body = _record('1,"a,b"\r\n2,c\r\n', "0.1\n0.2", content_type="text/csv", encoding="CSV")
    mapping = PayloadMapping(input=PayloadSide(None, ("n", "s")))
    assert decode_record(csv_body, "output_first", mapping).rows == [{"output": "0.1", "n": "1", "s": "a,b"},
                                                                       {"output": "0.2", "n": "2", "s": "c"}]
    assert _builtin(csv_body, None, ["n", "s"]) == [{"output": "0.1", "n": "1", "s": "a,b"},
                                                     {"output": "0.2", "n": "2", "s": "c"}]
    encoded = _record(base64.b64encode(b"3,d").decode(), base64.b64encode(b"0.3").decode(),
                      content_type="text/csv", encoding="BASE64")
    assert _builtin(encoded, None, ["n", "s"]) == [{"output": "0.3", "n": "3", "s": "d"}]
    broken = _record("not base64!", "0.3", content_type="text/csv", encoding="BASE64")
    with pytest.raises(ValueError):
        decode_record(broken, "input_only", mapping)
    with pytest.raises(ValueError):
        _builtin(broken, None, ["n", "s"])
