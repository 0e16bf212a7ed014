"""Every input error stops the run with exit 2 and one line naming the file, the line (or column) and what was
wrong — never a traceback, whose exit 1 means "violations" to whoever runs the analyzer. The texts matched here
are those the tools themselves give: orjson's "Recursion limit reached" (it re-encodes at most 254 levels), the csv
module's "field larger than field limit (131072)"."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.analyzer.entry import byoc
from modelmonitor.cli import main
from tests.analyzer import datagen
from tests.analyzer.hostile import child

_DEEP = "[" * 300 + "1" + "]" * 300


def _capture(data: str, content_type: str = "application/json", encoding: str = "JSON") -> str:
    return json.dumps({"captureData": {"endpointInput": {"observedContentType": content_type, "mode": "INPUT",
                                                         "data": data, "encoding": encoding}},
                       "eventMetadata": {"eventId": "e", "inferenceTime": "2026-01-01T00:00:00Z"},
                       "eventVersion": "0"})


def _one_error_line(outcome: child.Outcome) -> str:
    assert outcome.returncode == 2, outcome.stderr[-800:]
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in outcome.stderr, outcome.stderr[-800:]
    return lines[0]


def test_json_lines_nested_deeper_than_orjson_encodes(tmp_path: Path) -> None:
    data = tmp_path / "deep.jsonl"
    data.write_text('{"a": 1, "b": 2}\n{"a": ' + _DEEP + ', "b": 3}\n')
    line = _one_error_line(child.cli(["baseline", str(data), "-o", str(tmp_path / "o"), "--no-progress"],
                                     timeout=60))
    assert line == (f"error: 1 of 2 records are malformed (more than 10%); first: {data} line 2: a value nested "
                    "too deeply (Recursion limit reached)")


def test_capture_payload_nested_deeper_than_orjson_encodes(tmp_path: Path) -> None:
    data = tmp_path / "capture.jsonl"
    data.write_text(_capture('{"a": 1}') + "\n" + _capture('{"a": ' + _DEEP + "}") + "\n")
    line = _one_error_line(child.cli(["baseline", str(data), "-o", str(tmp_path / "o"), "--no-progress"],
                                     timeout=60))
    assert line.startswith(f"error: 1 of 2 records are malformed (more than 10%); first: {data} line 2: ")
    assert line.endswith("Recursion limit reached")


def test_csv_with_an_unclosed_quote(tmp_path: Path) -> None:
    data = tmp_path / "quote.csv"
    data.write_text("a,b\n1,2\n3,\"" + "x" * 200_000 + "\n4,5\n")
    line = _one_error_line(child.cli(["baseline", str(data), "-o", str(tmp_path / "o"), "--no-progress"],
                                     timeout=60))
    assert line == (f"error: 1 of 3 records are malformed (more than 10%); first: {data} line 3: unreadable CSV "
                    "(field larger than field limit (131072))")


def test_csv_capture_payload_with_an_unclosed_quote(tmp_path: Path) -> None:
    data = tmp_path / "capture.jsonl"
    data.write_text(_capture("1,2", "text/csv", "CSV") + "\n"
                    + _capture("3,\"" + "x" * 200_000 + "\n4,5", "text/csv", "CSV") + "\n")
    line = _one_error_line(child.cli(["baseline", str(data), "-o", str(tmp_path / "o"), "--no-progress"],
                                     timeout=60))
    assert line.startswith(f"error: 1 of 2 records are malformed (more than 10%); first: {data} line 2: ")
    assert "field larger than field limit (131072)" in line


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A real shard's partial statistics (numeric and text columns), and the baseline it was run against."""
    root = tmp_path_factory.mktemp("partial")
    train = datagen.write_csv(root / "train.csv", datagen.baseline_columns(600))
    assert main(["baseline", str(train), "-o", str(root / "base"), "--no-progress"]) == 0
    assert main(["analyze", "--baseline", str(root / "base"), str(train), "-o", str(root / "shard"), "--stage",
                 "shard", "--no-progress"]) in {0, 1}
    return root / "base", json.loads((root / "shard/partial_statistics.json").read_text())


def _numeric(document: dict[str, Any]) -> int:
    return next(i for i, c in enumerate(document["columns"]) if c["kll"]["n"] > 0)


def _no_kll(document: dict[str, Any]) -> None:
    del document["columns"][0]["kll"]


def _other_k(document: dict[str, Any]) -> None:
    document["columns"][_numeric(document)]["kll"] = {"k": 100, "n": 3, "min": 0.1, "max": 0.3,
                                                      "levels": [[0.1, 0.2, 0.3]]}


def _columns_5(document: dict[str, Any]) -> None:
    document["columns"] = 5


def _count_text(document: dict[str, Any]) -> None:
    document["columns"][1]["count"] = "many"


@pytest.mark.parametrize(("damage", "expected"), [
    (_no_kll, "column 0 ('{name0}'): missing field(s) kll"),
    (_other_k, "column '{numeric}': its KLL sketch has k=100, the files merged before it k={k}; run every shard "
               "with the same k"),
    (_columns_5, "columns must be a list of column objects, got int 5"),
    (_count_text, "column 1 ('{name1}'): count must be int, got str 'many'"),
])
def test_merge_stage_fed_damaged_partial_statistics(partial: tuple[Path, dict[str, Any]], tmp_path: Path,
                                                     damage: Any, expected: str) -> None:
    baseline, document = partial
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts/partial_statistics-a.json").write_text(json.dumps(document))
    damaged = copy.deepcopy(document)
    damage(damaged)
    bad = tmp_path / "parts/partial_statistics-b.json"
    bad.write_text(json.dumps(damaged))
    columns = document["columns"]
    numeric = columns[_numeric(document)]
    message = expected.format(name0=columns[0]["name"], name1=columns[1]["name"], numeric=numeric["name"],
                              k=numeric["kll"]["k"])
    line = _one_error_line(child.cli(["analyze", "--baseline", str(baseline), str(tmp_path / "parts"), "-o",
                                      str(tmp_path / "o"), "--stage", "merge", "--no-progress"], timeout=60))
    assert line == f"error: partial statistics {bad}: {message}"


def test_byoc_entrypoint_fails_with_one_message_and_exit_2(tmp_path: Path) -> None:
    # The container's contract: /opt/ml/output/message holds "Failed: <why>", the exit code is 2 (bad input).
    root = tmp_path / "opt_ml"
    data = root / "processing/input/baseline_dataset_input/train.csv"
    data.parent.mkdir(parents=True)
    data.write_text("a,b\n" + "1,2\n" * 5 + "3,\"" + "x" * 200_000 + "\n4,5\n")
    env = {"MODELMONITOR_OPT_ML_ROOT": str(root), "dataset_source": str(data.parent),
           "dataset_format": json.dumps({"csv": {"header": True}}), "output_path": str(root / "processing/output"),
           "publish_cloudwatch_metrics": "Disabled"}
    assert byoc.main(env) == 2
    message = (root / "output/message").read_text()
    assert message == (f"Failed: 1 of 7 records are malformed (more than 10%); first: {data} line 7: unreadable "
                       "CSV (field larger than field limit (131072))")


def test_csv_line_that_is_not_utf8_is_one_malformed_record(tmp_path: Path) -> None:
    # A ragged row that is not UTF-8 made Arrow print "Exception ignored ... UnicodeDecodeError" tracebacks (its
    # invalid-row handler decodes the row first), and the line path then dropped the whole block as one record.
    data = tmp_path / "latin1.csv"
    data.write_bytes(b"a,b\nx,1\n\xfb,3,4\n5,2\n")
    line = _one_error_line(child.cli(["baseline", str(data), "-o", str(tmp_path / "o"), "--no-progress"],
                                     timeout=60))
    assert line == (f"error: 1 of 3 records are malformed (more than 10%); first: {data} line 3: not UTF-8 text: "
                    "'utf-8' codec can't decode byte 0xfb in position 0: invalid start byte")


def test_a_local_file_that_shrinks_while_it_is_read_exits_2_naming_it(tmp_path: Path) -> None:
    """A local CSV's blocks are memory maps of the file; a file cut short while it is read takes the pages behind a
    block with it, and touching them is a SIGBUS, which would kill the run without a word (a read() would simply
    have returned less). The run ends with exit 2 and one line naming the file instead. `os.truncate` is what a
    writer truncating the file in place does; the mapped block is then read in full."""
    data = tmp_path / "shrinking.csv"
    data.write_text("a,b\n" + "1.5,2.5\n" * 200_000)
    script = f"""
import os
from modelmonitor.analyzer.read.sources import DataObject, iter_block_views
views = iter_block_views(DataObject({str(data)!r}, os.path.getsize({str(data)!r})), 1 << 20)
first = next(views)
os.truncate({str(data)!r}, 0)
bytes(first)
print("read past the truncation")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert "read past the truncation" not in done.stdout
    assert done.returncode == 2, (done.returncode, done.stderr[-800:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(data) in lines[0] and "shrank" in lines[0], done.stderr[-800:]
