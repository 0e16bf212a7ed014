"""Parquet and Arrow IPC datasets: read at all, typed by SageMaker's rules exactly as the same data written to CSV
(the CSV path is the reference: statistics.json and constraints.json byte for byte), detected by magic bytes, refused
clearly when nested or corrupt, read from S3 with ranged GETs."""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.job import AnalysisJob, parse_dataset_format
from modelmonitor.analyzer.run.runner import run
from modelmonitor.cli import main


def _statistics(out: Path) -> dict[str, dict[str, Any]]:
    document = orjson.loads((out / "statistics.json").read_bytes())
    return {f["name"]: f for f in document["features"]}


def _baseline(source: Path | str, out: Path, **kwargs: Any) -> Path:
    run(AnalysisJob(mode="baseline", dataset_source=str(source), output_path=str(out), **kwargs))
    return out


def _csv_text(value: Any) -> str:
    """What a CSV writer writes for a value: Python's text of it (pandas' `to_csv` writes floats as NumPy's `str`,
    which is the same shortest round-trip text as `repr`), booleans as Spark's CSV writer does, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(table: pa.Table, path: Path) -> Path:
    columns = []
    for column in table.columns:
        if pa.types.is_floating(column.type) and column.type != pa.float64():
            # float32: its own shortest text (NumPy's str of the float32 value), as pandas writes it
            columns.append([None if v is None else np.float32(v) for v in column.to_pylist()])
        else:
            columns.append(column.to_pylist())
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.column_names)
        for row in zip(*columns, strict=True):
            writer.writerow([_csv_text(v) for v in row])
    return path


def test_parquet_baseline_is_read_not_refused_as_text(tmp_path: Path) -> None:
    table = pa.table({"age": pa.array([30, 41, None], pa.int64()), "score": [0.5, 1.5, 2.25],
                      "city": ["x", "y", None]})
    pq.write_table(table, tmp_path / "train.parquet")
    stats = _statistics(_baseline(tmp_path / "train.parquet", tmp_path / "o"))
    assert [stats[n]["inferred_type"] for n in ("age", "score", "city")] == ["Integral", "Fractional", "String"]
    assert stats["age"]["numerical_statistics"]["common"]["num_missing"] == 1


_TEXT = st.text(alphabet="ab,\"x 1.0e-", max_size=5)
_COLUMNS = st.sampled_from(["int64", "int32", "uint8", "float64", "float32", "string", "bool", "null"])


def _values(kind: str) -> st.SearchStrategy[Any]:
    if kind in ("int64", "int32"):
        return st.none() | st.integers(-(2**31), 2**31 - 1)
    if kind == "uint8":
        return st.none() | st.integers(0, 255)
    if kind == "float64":
        return st.none() | st.floats(allow_subnormal=False) | st.integers(-5, 5).map(float) | st.just(-0.0)
    if kind == "float32":
        return st.none() | st.floats(width=32, allow_subnormal=False)
    if kind == "string":
        return st.none() | _TEXT | st.sampled_from(["12", "1.5", "nan", "", "3.0"])
    if kind == "bool":
        return st.none() | st.booleans()
    return st.none()


@st.composite
def _tables(draw: st.DrawFn) -> pa.Table:
    n_rows = draw(st.integers(1, 40))
    kinds = draw(st.lists(_COLUMNS, min_size=1, max_size=5))
    arrays = {"id": pa.array(range(n_rows), pa.int64())}  # a never-empty column: no CSV line is blank
    for i, kind in enumerate(kinds):
        values = draw(st.lists(_values(kind), min_size=n_rows, max_size=n_rows))
        arrow_type = pa.null() if kind == "null" else getattr(pa, {"bool": "bool_"}.get(kind, kind))()
        arrays[f"c{i}_{kind}"] = pa.array(values, arrow_type)
    return pa.table(arrays)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_tables())
def test_same_data_as_csv_and_as_parquet_gives_byte_identical_outputs(tmp_path: Path, table: pa.Table) -> None:
    """The same table written as CSV (the reference path) and as Parquet: statistics.json and constraints.json are
    byte-identical. Covers every typing rule: integers Integral, floats Fractional even when whole ("1.0" in CSV),
    NaN/inf missing, float32 as its shortest text, strings typed by their text ("12" Integral), booleans as
    "true"/"false" Strings, nulls and all-null columns missing."""
    root = Path(tempfile.mkdtemp(dir=tmp_path))  # one directory per example (hypothesis may replay one)
    pq.write_table(table, root / "t.parquet")
    _write_csv(table, root / "t.csv")
    from_parquet = _baseline(root / "t.parquet", root / "p")
    from_csv = _baseline(root / "t.csv", root / "c", csv_header="present")
    for name in ("statistics.json", "constraints.json"):
        assert (from_parquet / name).read_bytes() == (from_csv / name).read_bytes(), name


def test_larger_than_one_chunk_differs_from_csv_only_in_summation_order(tmp_path: Path) -> None:
    """Past one chunk the moments are merged chunk by chunk (Chan et al.), and a CSV is chunked by bytes while
    Parquet is chunked by row group: mean, sum and std_dev may differ in the last bits; nothing else may."""
    rng = np.random.default_rng(1)
    n = 150_000
    table = pa.table({"a": rng.integers(0, 1000, n), "b": rng.normal(0, 1, n),
                      "c": pa.array(rng.choice(["x", "y", "z"], n))})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=40_000)
    _write_csv(table, tmp_path / "t.csv")
    parquet = _statistics(_baseline(tmp_path / "t.parquet", tmp_path / "p"))
    text = _statistics(_baseline(tmp_path / "t.csv", tmp_path / "c", csv_header="present"))
    assert (tmp_path / "p/constraints.json").read_bytes() == (tmp_path / "c/constraints.json").read_bytes()
    for name in ("a", "b"):
        ours, reference = parquet[name]["numerical_statistics"], text[name]["numerical_statistics"]
        for key in ("mean", "sum", "std_dev"):
            assert math.isclose(ours.pop(key), reference.pop(key), rel_tol=1e-12, abs_tol=1e-12)
        assert ours == reference
    assert parquet["c"] == text["c"]


def test_arrow_ipc_file_and_stream_and_detection_by_magic_bytes(tmp_path: Path) -> None:
    table = pa.table({"x": pa.array([1, 2, None]), "y": ["a", "b", "c"]})
    pq.write_table(table, tmp_path / "data.csv")  # the name says CSV; the bytes say Parquet
    with pa.OSFile(str(tmp_path / "file.bin"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=2)
    with pa.OSFile(str(tmp_path / "stream.bin"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=2)
    expected = _statistics(_baseline(tmp_path / "data.csv", tmp_path / "p"))
    assert expected["x"]["inferred_type"] == "Integral"
    for name in ("file.bin", "stream.bin"):
        assert _statistics(_baseline(tmp_path / name, tmp_path / f"o-{name}")) == expected
    assert _statistics(_baseline(tmp_path / "stream.bin", tmp_path / "o-arrow", data_format="arrow")) == expected


def test_corrupt_parquet_exits_2_with_one_line_naming_the_file(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    pq.write_table(pa.table({"x": list(range(1000))}), tmp_path / "good.parquet")
    data = (tmp_path / "good.parquet").read_bytes()
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(data[:4] + b"\x00" * (len(data) - 12) + data[-8:])  # magic kept, pages and footer wrecked
    code = main(["baseline", str(bad), "-o", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and "not a readable Parquet file" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(data[: len(data) // 2])
    assert main(["baseline", str(truncated), "-o", str(tmp_path / "o2"), "--no-progress"]) == 2
    assert str(truncated) in capsys.readouterr().err


def test_format_parquet_refuses_a_text_file_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    with pytest.raises(AnalyzerInputError, match=r"a\.csv: not a Parquet file"):
        _baseline(tmp_path / "a.csv", tmp_path / "o", data_format="parquet")


def test_nested_column_is_refused_naming_it(tmp_path: Path) -> None:
    pq.write_table(pa.table({"ok": [1, 2], "tags": [[1, 2], [3]]}), tmp_path / "n.parquet")
    with pytest.raises(AnalyzerInputError, match=r"column 'tags' has type list<element: int64>.*flatten"):
        _baseline(tmp_path / "n.parquet", tmp_path / "o")


def test_dates_timestamps_decimals_and_dictionaries(tmp_path: Path) -> None:
    import datetime as dt
    from decimal import Decimal

    table = pa.table({
        "day": pa.array([dt.date(2026, 12, 6), None]),
        "at": pa.array([dt.datetime(2026, 12, 6, 10, 0), dt.datetime(2026, 12, 6, 11, 30)]),
        "price": pa.array([Decimal("1.50"), Decimal("2.00")], pa.decimal128(5, 2)),
        "units": pa.array([Decimal("3"), Decimal("4")], pa.decimal128(5, 0)),
        "kind": pa.array(["a", "b"]).dictionary_encode(),
    })
    pq.write_table(table, tmp_path / "t.parquet")
    stats = _statistics(_baseline(tmp_path / "t.parquet", tmp_path / "o"))
    assert {n: f["inferred_type"] for n, f in stats.items()} == {
        "day": "String", "at": "String", "price": "Fractional", "units": "Integral", "kind": "String"}
    day = stats["day"]["string_statistics"]
    assert day["common"] == {"num_present": 1, "num_missing": 1}
    assert day["distribution"]["categorical"]["buckets"] == [{"value": "2026-12-06", "count": 1}]


def test_parquet_on_s3_is_read_with_ranged_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    table = pa.table({"a": pa.array(np.arange(5000)), "b": np.linspace(0, 1, 5000)})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=1000)
    local = _statistics(_baseline(tmp_path / "t.parquet", tmp_path / "local"))
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="data")
        s3.put_object(Bucket="data", Key="train/part-0.parquet", Body=(tmp_path / "t.parquet").read_bytes())
        ranges: list[str] = []

        def recording(params: dict[str, Any], **_: Any) -> None:
            ranges.append(params.get("Range", "whole object"))

        session = boto3.Session()
        session.events.register("provide-client-params.s3.GetObject", recording)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
        remote = _statistics(_baseline("s3://data/train/", tmp_path / "remote"))
    assert remote == local
    # The footer, then the row groups' column chunks: never the whole object in one response.
    assert len(ranges) >= 2 and all(r.startswith("bytes=") for r in ranges), ranges


def test_dataset_format_parquet_both_spellings() -> None:
    # {"parquet": {}} is what a baselining job's environment carries (our components write it); {"Parquet": {}}
    # is the API's MonitoringDatasetFormat (SageMaker Python SDK: MonitoringDatasetFormat.parquet()).
    assert parse_dataset_format('{"parquet": {}}') == ("parquet", "auto")
    assert parse_dataset_format('{"Parquet": {}}') == ("parquet", "auto")


def test_cli_format_choice_parquet(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1, 2, 3]}), tmp_path / "t.pq")
    assert main(["baseline", str(tmp_path / "t.pq"), "-o", str(tmp_path / "o"), "--format", "parquet",
                 "--no-progress"]) == 0
    assert _statistics(tmp_path / "o")["x"]["inferred_type"] == "Integral"


_PEAK_RSS = """
import resource, sys
from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run
run(AnalysisJob(mode="baseline", dataset_source=sys.argv[1], output_path=sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _peak_rss(source: Path, out: Path) -> int:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(source), str(out)], capture_output=True, text=True,
                          timeout=300, check=True)
    return int(done.stdout.split()[-1])


def test_memory_does_not_grow_with_parquet_file_size(tmp_path: Path) -> None:
    """A file of 16 row groups is read in the memory of a file of one: peak RSS of the whole run (a fresh
    process each) grows by far less than the 16x larger file's decoded size (61 MiB more)."""
    rng = np.random.default_rng(7)
    group_rows, width = 50_000, 10

    def write(path: Path, groups: int) -> Path:
        schema = pa.schema([(f"f{i}", pa.float64()) for i in range(width)])
        with pq.ParquetWriter(path, schema) as writer:
            for _ in range(groups):
                writer.write_table(pa.table({f"f{i}": rng.normal(size=group_rows) for i in range(width)}, schema))
        return path

    small = _peak_rss(write(tmp_path / "small.parquet", 1), tmp_path / "o1")
    large_file = write(tmp_path / "large.parquet", 16)
    assert pq.ParquetFile(large_file).metadata.num_row_groups == 16
    large = _peak_rss(large_file, tmp_path / "o16")
    decoded_growth = 15 * group_rows * width * 8
    assert large - small < decoded_growth / 3, (small, large)


def test_monitoring_window_in_parquet_gives_the_csv_window_verdicts(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    train = pa.table({"x": rng.normal(0, 1, 4000), "k": pa.array(rng.choice(["a", "b"], 4000))})
    now = pa.table({"x": rng.normal(0.8, 1, 1500), "k": pa.array(rng.choice(["a", "b", "c"], 1500))})
    base = _baseline(_write_csv(train, tmp_path / "train.csv"), tmp_path / "base", csv_header="present")
    pq.write_table(now, tmp_path / "now.parquet")
    _write_csv(now, tmp_path / "now.csv")
    outcomes = []
    for name, options in (("now.parquet", {}), ("now.csv", {"csv_header": "present"})):
        result = run(AnalysisJob(mode="monitor", dataset_source=str(tmp_path / name),
                                 output_path=str(tmp_path / f"o-{name}"),
                                 baseline_statistics=str(base / "statistics.json"),
                                 baseline_constraints=str(base / "constraints.json"), **options))  # type: ignore[arg-type]
        outcomes.append((result.violations, (tmp_path / f"o-{name}" / "constraint_violations.json").read_bytes()))
    assert outcomes[0][0], "the drifted window has violations"
    assert outcomes[0] == outcomes[1]


def test_all_empty_columns_are_unknown_as_deequ_and_aws_write_them(tmp_path: Path) -> None:
    """A column without a single value is `Unknown` in statistics.json and constraints.json.

    Sources: Deequ `analyzers/DataType.scala` — `DataTypeHistogram.toDistribution` counts nulls under `Unknown` and
    `determineType` returns `Unknown` when its ratio is 1.0 (awslabs/deequ 2.0.21); SageMaker's constraints schema
    lists it among the inferred types: `"inferred_type": "Integral" | "Fractional" | "String" | "Unknown"`
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html). The statistics schema
    (model-monitor-interpreting-statistics.html) documents numerical_statistics for Integral/Fractional and
    string_statistics for String only; an Unknown feature gets string_statistics with its counts (num_present 0).

    Deequ's ColumnProfiler would give a typed all-null Parquet column its schema type ("known types"); we keep
    Unknown, as for the same column in CSV (docs/analyzer.md, Inputs)."""
    table = pa.table({"id": [1, 2, 3], "nothing": pa.array([None] * 3, pa.null()),
                      "no_ints": pa.array([None] * 3, pa.int64()), "no_floats": pa.array([None, float("nan"), None]),
                      "no_text": pa.array([None, "", None], pa.string())})
    pq.write_table(table, tmp_path / "t.parquet")
    _write_csv(table, tmp_path / "t.csv")
    for name, options in (("t.parquet", {}), ("t.csv", {"csv_header": "present"})):
        out = _baseline(tmp_path / name, tmp_path / f"o-{name}", **options)
        stats = _statistics(out)
        constraints = {f["name"]: f for f in orjson.loads((out / "constraints.json").read_bytes())["features"]}
        for column in ("nothing", "no_ints", "no_floats", "no_text"):
            assert stats[column]["inferred_type"] == constraints[column]["inferred_type"] == "Unknown", (name, column)
            assert stats[column]["string_statistics"]["common"] == {"num_present": 0, "num_missing": 3}
            assert constraints[column]["completeness"] == 0.0


def test_repeated_column_names_are_refused_naming_them(tmp_path: Path) -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2]), pa.array(["x"])], names=["a", "a", "b"])
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(AnalyzerInputError, match=r"dup\.parquet: the schema repeats column name\(s\) 'a'$"):
        _baseline(tmp_path / "dup.parquet", tmp_path / "o")
