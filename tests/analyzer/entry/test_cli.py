"""`modelmonitor baseline` / `modelmonitor analyze`: files written and exit status 0 / 1 / 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modelmonitor.cli import main
from tests.analyzer import datagen


@pytest.fixture(scope="module")
def cli_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    train = datagen.write_csv(root / "train.csv", datagen.baseline_columns(5000))
    assert main(["baseline", str(train), "-o", str(root / "base"), "--no-progress"]) == 0
    return root / "base"


def test_baseline_writes_both_files(cli_baseline: Path) -> None:
    assert (cli_baseline / "statistics.json").is_file()
    assert (cli_baseline / "constraints.json").is_file()


def test_analyze_exit_0_without_violations(cli_baseline: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = datagen.write_csv(tmp_path / "now.csv", datagen.baseline_columns(2000, seed=3))
    code = main(["analyze", "--baseline", str(cli_baseline), str(data), "-o", str(tmp_path / "out"),
                 "--no-progress"])
    assert code == 0
    assert capsys.readouterr().out.startswith("Completed: 0 violation(s)")


def test_analyze_exit_1_with_violations_and_report(cli_baseline: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    datagen.write_captures(tmp_path / "cap", datagen.drifted_columns(2000), datagen.WINDOW_START)
    code = main(["analyze", "--baseline", str(cli_baseline), str(tmp_path / "cap"), "-o", str(tmp_path / "out"),
                 "--report", str(tmp_path / "r.html"), "--no-progress"])
    assert code == 1
    out = capsys.readouterr().out
    assert out.startswith("CompletedWithViolations:")
    assert "baseline_drift_check  score: distance:" in out
    assert (tmp_path / "out/constraint_violations.json").is_file()
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


@pytest.mark.parametrize(("args", "message"), [
    (["analyze", "--baseline", "{tmp}/nope", "{data}", "-o", "{tmp}/o"], "nope/statistics.json"),
    (["analyze", "--baseline", "{base}", "{tmp}/missing.csv", "-o", "{tmp}/o"], "no such file or directory"),
    (["analyze", "--baseline", "{base}", "{data}", "-o", "{tmp}/o", "--drift-threshold", "5"],
     "drift_threshold must be in (0, 1]"),
    (["analyze", "--baseline", "{base}", "{data}", "-o", "{tmp}/o", "--methods", "psi,magic"],
     "unknown drift method(s) magic"),
    (["analyze", "--baseline", "{base}", "{data}", "-o", "{tmp}/o", "--start-time", "yesterday",
      "--end-time", "2026-01-01T00:00:00Z"], "start-time 'yesterday' is not an ISO-8601 time"),
    (["baseline", "{tmp}/empty", "-o", "{tmp}/o"], "no records to compute a baseline from"),
    (["analyze", "--baseline", "{base}", "{data}", "-o", "{tmp}/o", "--shard-id", "a"],
     "--shard-id goes with --stage shard"),
    (["analyze", "--baseline", "{base}", "{data}", "-o", "{tmp}/o", "--stage", "shard", "--shard-id", "../x"],
     "--shard-id names a file: letters, digits, '.', '_' and '-' only, got '../x'"),
    (["baseline", "{data}", "-o", "{tmp}/o", "--sketch-k", "4"],
     "sketch k (--sketch-k, kll_k) must be an integer in [8, 65535], got 4"),
    (["analyze", "--baseline", "{base}", "{data}", "-o", "{tmp}/o", "--sketch-c", "1"],
     "sketch c (--sketch-c, kll_c) must be in (0.5, 1), got 1.0"),
])
def test_bad_input_exits_2_with_a_precise_message(cli_baseline: Path, tmp_path: Path, args: list[str],
                                                  message: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = datagen.write_csv(tmp_path / "d.csv", datagen.baseline_columns(100))
    (tmp_path / "empty").mkdir()
    filled = [a.format(tmp=tmp_path, base=cli_baseline, data=data) for a in args]
    assert main([*filled, "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "data.csv"])
    assert exc.value.code == 2
    assert "required" in capsys.readouterr().err


def test_cli_subprocess_exit_status(cli_baseline: Path, tmp_path: Path) -> None:
    datagen.write_captures(tmp_path / "cap", datagen.drifted_columns(500), datagen.WINDOW_START)
    done = subprocess.run([sys.executable, "-m", "modelmonitor.cli", "analyze", "--baseline", str(cli_baseline),
                           str(tmp_path / "cap"), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert "CompletedWithViolations" in done.stdout


def test_shard_and_merge_stages(cli_baseline: Path, tmp_path: Path) -> None:
    for shard in range(2):
        datagen.write_captures(tmp_path / f"cap{shard}", datagen.drifted_columns(600, seed=shard),
                               datagen.WINDOW_START)
        assert main(["analyze", "--baseline", str(cli_baseline), str(tmp_path / f"cap{shard}"), "-o",
                     str(tmp_path / f"parts/{shard}"), "--stage", "shard", "--no-progress"]) == 0
    # a named shard writes its own file name, so shards can share one output directory
    assert main(["analyze", "--baseline", str(cli_baseline), str(tmp_path / "cap0"), "-o", str(tmp_path / "named"),
                 "--stage", "shard", "--shard-id", "host-7", "--no-progress"]) == 0
    assert (tmp_path / "named/partial_statistics-host-7.json").is_file()
    code = main(["analyze", "--baseline", str(cli_baseline), str(tmp_path / "parts"), "-o", str(tmp_path / "out"),
                 "--stage", "merge", "--no-progress"])
    assert code == 1
    report = (tmp_path / "out/drift_report.json").read_text()
    assert '"item_count": 1200' in report


def test_analyze_against_a_reference_dataset_equals_baseline_then_analyze(tmp_path: Path) -> None:
    """One step (`--reference`) gives the two-step run's verdicts and files, and leaves the baseline for reuse."""
    train = datagen.write_csv(tmp_path / "train.csv", datagen.baseline_columns(3000))
    window = datagen.write_csv(tmp_path / "now.csv", datagen.drifted_columns(2000))
    assert main(["baseline", str(train), "-o", str(tmp_path / "base"), "--no-progress"]) == 0
    two_steps = main(["analyze", "--baseline", str(tmp_path / "base"), str(window), "-o", str(tmp_path / "two"),
                      "--no-progress"])
    one_step = main(["analyze", "--reference", str(train), str(window), "-o", str(tmp_path / "one"),
                     "--no-progress"])
    assert one_step == two_steps == 1
    for name in ("constraint_violations.json", "statistics.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    for name in ("statistics.json", "constraints.json"):
        assert (tmp_path / "one/baseline" / name).read_bytes() == (tmp_path / "base" / name).read_bytes(), name


@pytest.mark.parametrize(("args", "message"), [
    (["analyze", "--baseline", "{tmp}/b", "--reference", "{data}", "{data}", "-o", "{tmp}/o"], "not allowed with"),
    (["analyze", "{data}", "-o", "{tmp}/o"], "one of the arguments --baseline --reference is required"),
])
def test_baseline_and_reference_are_exclusive(tmp_path: Path, args: list[str], message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = datagen.write_csv(tmp_path / "d.csv", datagen.baseline_columns(100))
    with pytest.raises(SystemExit) as exc:
        main([a.format(tmp=tmp_path, data=data) for a in args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_reference_without_records_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    data = datagen.write_csv(tmp_path / "d.csv", datagen.baseline_columns(100))
    assert main(["analyze", "--reference", str(tmp_path / "empty"), str(data), "-o", str(tmp_path / "o"),
                 "--no-progress"]) == 2
    assert "no records to compute a baseline from" in capsys.readouterr().err


@pytest.mark.parametrize(("fields", "message"), [
    ({"mode": "baseline", "reference_source": "r.csv"}, "a reference dataset is for a full monitoring run"),
    ({"mode": "monitor", "reference_source": "r.csv", "stage": "shard"}, "a reference dataset is for a full"),
    ({"mode": "monitor", "reference_source": "r.csv", "baseline_statistics": "s.json"}, "not both"),
])
def test_a_reference_job_is_checked(fields: dict[str, str], message: str) -> None:
    from modelmonitor.analyzer.base.errors import AnalyzerInputError
    from modelmonitor.analyzer.run.job import AnalysisJob

    with pytest.raises(AnalyzerInputError, match=message):
        AnalysisJob(dataset_source="d.csv", output_path="o", **fields)  # type: ignore[arg-type]


def test_sketch_parameters_are_sagemakers_by_default_and_settable(tmp_path: Path) -> None:
    """SageMaker's analyzer writes `"parameters": {"c": 0.64, "k": 2048.0}` (fixtures/aws-artifacts/)."""
    import json

    data = datagen.write_csv(tmp_path / "d.csv", datagen.baseline_columns(300))

    def parameters(*extra: str) -> object:
        out = tmp_path / f"o{len(extra)}"
        assert main(["baseline", str(data), "-o", str(out), "--no-progress", *extra]) == 0
        features = json.loads((out / "statistics.json").read_text())["features"]
        numeric = [f for f in features if "numerical_statistics" in f]
        return numeric[0]["numerical_statistics"]["distribution"]["kll"]["sketch"]["parameters"]

    assert parameters() == {"c": 0.64, "k": 2048.0}
    assert parameters("--sketch-k", "200", "--sketch-c", "0.7") == {"c": 0.7, "k": 200.0}
