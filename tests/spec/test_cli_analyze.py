"""`modelmonitor analyze` for people and scripts, run as a real process: a `--reference` output folder serves as
`--baseline` next time, `-o` is optional, `--json` prints one parseable verdict, numbers on the console are rounded
while the files keep full precision."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.analyzer import datagen

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelmonitor.cli", *args, "--no-progress"], capture_output=True,
                          text=True, timeout=120, check=False, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("analyze")
    return {"train": datagen.write_csv(root / "train.csv", datagen.baseline_columns(3000)),
            "drifted": datagen.write_csv(root / "drifted.csv", datagen.drifted_columns(2000)),
            "clean": datagen.write_csv(root / "clean.csv", datagen.baseline_columns(2000, seed=3))}


def test_a_reference_output_folder_is_the_baseline_of_the_next_run(data: dict[str, Path], tmp_path: Path) -> None:
    first = _cli("analyze", "--reference", str(data["train"]), str(data["drifted"]), "-o", str(tmp_path / "A"))
    assert first.returncode == 1, first.stderr
    # the folder holds what `modelmonitor baseline` writes, under the names it writes
    assert _cli("baseline", str(data["train"]), "-o", str(tmp_path / "base")).returncode == 0
    for name in ("statistics.json", "constraints.json"):
        assert (tmp_path / "A/baseline" / name).read_bytes() == (tmp_path / "base" / name).read_bytes(), name
    again = _cli("analyze", "--baseline", str(tmp_path / "A/baseline"), str(data["drifted"]), "-o",
                 str(tmp_path / "B"))
    assert again.returncode == first.returncode, again.stderr
    assert again.stdout == first.stdout
    for name in ("constraint_violations.json", "statistics.json"):
        assert (tmp_path / "A" / name).read_bytes() == (tmp_path / "B" / name).read_bytes(), name


def test_the_help_names_the_folder_the_runner_writes() -> None:
    from modelmonitor.analyzer.run.runner import REFERENCE_BASELINE_DIR
    from modelmonitor.commands.analyze import REFERENCE_BASELINE_DIR as SHOWN

    assert SHOWN == REFERENCE_BASELINE_DIR


def test_without_output_nothing_is_kept(data: dict[str, Path], tmp_path: Path) -> None:
    scratch, work = tmp_path / "tmp", tmp_path / "work"
    scratch.mkdir()
    work.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    done = _cli("analyze", "--baseline", str(_baseline(data, tmp_path)), str(data["drifted"]), cwd=work, env=env)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("CompletedWithViolations: ")
    assert "no files kept" in done.stderr
    assert list(scratch.iterdir()) == [] and list(work.iterdir()) == []
    clean = _cli("analyze", "--baseline", str(_baseline(data, tmp_path)), str(data["clean"]), cwd=work, env=env)
    assert clean.returncode == 0 and clean.stdout.startswith("Completed: "), clean.stderr


def test_shard_stage_still_needs_an_output(data: dict[str, Path], tmp_path: Path) -> None:
    done = _cli("analyze", "--baseline", str(_baseline(data, tmp_path)), str(data["drifted"]), "--stage", "shard")
    assert done.returncode == 2 and "give -o DIR" in done.stderr and "Traceback" not in done.stderr


def _baseline(data: dict[str, Path], tmp_path: Path) -> Path:
    out = tmp_path / "baseline"
    if not (out / "constraints.json").is_file():
        assert _cli("baseline", str(data["train"]), "-o", str(out)).returncode == 0
    return out


@pytest.mark.parametrize("window", ["drifted", "clean"])
def test_json_verdict_is_one_document_matching_the_files(data: dict[str, Path], tmp_path: Path,
                                                         window: str) -> None:
    done = _cli("analyze", "--baseline", str(_baseline(data, tmp_path)), str(data[window]), "-o",
                str(tmp_path / "out"), "--json")
    verdict: dict[str, Any] = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert done.returncode == (1 if verdict["status"] == "CompletedWithViolations" else 0)
    assert (verdict["status"] == "CompletedWithViolations") == (window == "drifted")
    files = json.loads((tmp_path / "out/constraint_violations.json").read_text())
    assert verdict["violations"] == files["violations"]
    report = json.loads((tmp_path / "out/drift_report.json").read_text())
    assert [f["name"] for f in verdict["drifted_features"]] == report["drifted_features"]
    linf = {f["name"]: f["methods"]["linf"] for f in report["features"]}
    for feature in verdict["drifted_features"]:
        assert feature["distance"] == linf[feature["name"]]["statistic"]  # full precision, not rounded
        assert feature["distance"] > feature["threshold"]
    if window == "drifted":
        assert verdict["drifted_features"], "the drifted window drifts"
    assert verdict["records"] == 2000
    assert verdict["outputs"]["drift_report"] == str(tmp_path / "out/drift_report.json")


def test_json_schema_is_documented() -> None:
    from modelmonitor.commands.verdict import verdict_document

    doc = (REPO / "docs/analyzer.md").read_text()
    section = doc[doc.index("### Verdict on stdout"):]
    section = section[: section.index("\n## ")]
    sample = verdict_document(status="Completed", insufficient_data=False, records=1, malformed=0, unpaired=0,
                              violations=[], drift_report={}, outputs={})
    for key in sample:
        assert f"`{key}`" in section, key
    for key in ("name", "inferred_type", "method", "comparison_method", "distance", "threshold"):
        assert f"`{key}`" in section, key


def test_console_numbers_are_rounded_and_files_keep_full_precision(data: dict[str, Path], tmp_path: Path) -> None:
    done = _cli("analyze", "--baseline", str(_baseline(data, tmp_path)), str(data["drifted"]), "-o",
                str(tmp_path / "out"))
    assert done.returncode == 1
    printed = re.findall(r"distance: (\S+) exceeds", done.stdout)
    full = [v["description"] for v in json.loads((tmp_path / "out/constraint_violations.json").read_text())
            ["violations"] if v["constraint_check_type"] == "baseline_drift_check"]
    stored = [re.search(r"distance: (\S+) exceeds", d).group(1) for d in full]  # type: ignore[union-attr]
    assert printed and len(printed) == len(stored)
    assert any(len(s.split(".")[1]) > 8 for s in stored)  # what the console used to show
    for shown, exact in zip(printed, stored, strict=True):
        assert len(shown.replace("-", "").replace(".", "").lstrip("0")) <= 4, shown
        assert float(shown) == pytest.approx(float(exact), rel=1e-3)
    assert not re.search(r"\d\.\d{5,}", done.stdout), done.stdout


@pytest.mark.parametrize("case", ["output under a file", "report is a directory"])
def test_a_path_the_system_refuses_is_one_line_and_exit_2(data: dict[str, Path], tmp_path: Path, case: str) -> None:
    """The operating system's own errors (NotADirectoryError, IsADirectoryError), not ours."""
    (tmp_path / "a-file").write_text("")
    args = (["baseline", str(data["train"]), "-o", str(tmp_path / "a-file/out")] if case == "output under a file"
            else ["analyze", "--reference", str(data["train"]), str(data["clean"]), "--report", str(tmp_path)])
    done = _cli(*args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert ("Not a directory" if case == "output under a file" else "Is a directory") in line
    assert str(tmp_path) in line
    assert "Traceback" in _cli(*args, "--debug").stderr
