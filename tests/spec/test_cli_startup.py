"""What a `modelmonitor baseline` / `modelmonitor analyze` process of a CSV file loads before (and while) it reads.

Each process pays for its imports before it reads a byte, and the benchmark runs two of them per comparison: the
modules a CSV run never calls must stay unloaded. Each case runs the real command on a small CSV in a fresh
interpreter (as a user's shell would) and lists `sys.modules` when it is done.

Not on the list, on purpose: `inspect`, `ast`, `dis`, `tokenize` (NumPy and orjson import them, and `dataclasses`
does), `pickle`, `ctypes` (NumPy), `uuid`, `platform` (orjson), `base64`, `csv` (the CSV reader's own), `gettext`,
`shutil` (argparse), `logging` (`concurrent.futures` imports it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DENIED = {
    # Parquet/Arrow files and text columns the C parser cannot keep; about a third of a run's start-up.
    "pyarrow": "Arrow",
    # s3:// sources and outputs only.
    "boto3": "AWS SDK", "botocore": "AWS SDK",
    # The progress bar, drawn only on a terminal.
    "rich": "progress bar",
    # Manifests: `analyze` and `baseline` never read one.
    "pydantic": "manifest models", "yaml": "manifest parser",
    # Other formats and features of the analyzer.
    "modelmonitor.analyzer.read.capture": "capture records",
    "modelmonitor.analyzer.read.arrow_capture": "capture records",
    "modelmonitor.analyzer.read.records": "capture records",
    "modelmonitor.analyzer.read.payloads": "capture payload decoders",
    "modelmonitor.analyzer.read.preprocessor": "record preprocessor",
    "modelmonitor.analyzer.read.jsonl": "JSON lines",
    "modelmonitor.analyzer.read.batch_transform": "batch transform inputs",
    "modelmonitor.analyzer.run.partials": "shard merge",
    "modelmonitor.analyzer.run.report": "HTML report", "modelmonitor.analyzer.run.report_legend": "HTML report",
    "modelmonitor.analyzer.quality": "model quality, bias, attribution",
    "modelmonitor.spec": "manifest models",
    # A run without -o (its temporary directory), and a shard stage outside SageMaker (its host name).
    "tempfile": "temporary output directory", "random": "temporary output directory",
    "socket": "shard host name",
}

BASELINE_DENIED = {
    # A baseline compares nothing.
    "modelmonitor.analyzer.run.checks": "constraint checks and drift",
    "modelmonitor.analyzer.run.outputs": "drift report",
}

_LOADED_AFTER = "\n--- loaded modules ---\n"


def _modules_after(argv: list[str], cwd: Path) -> tuple[int, set[str]]:
    """Exit status and `sys.modules` of a fresh interpreter that ran `modelmonitor ARGV` (the console script's
    entry point, `cli.main`)."""
    script = ("import sys\n"
              "from modelmonitor.cli import main\n"
              f"code = main({argv!r})\n"
              f"sys.stdout.write({_LOADED_AFTER!r} + '\\n'.join(sorted(sys.modules)))\n"
              "sys.exit(code)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("MODELMONITOR_OPT_ML_ROOT",)}
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert _LOADED_AFTER in done.stdout, done.stderr[-2000:]
    return done.returncode, set(done.stdout.split(_LOADED_AFTER, 1)[1].split("\n"))


def _denied(loaded: set[str], denied: dict[str, str] = DENIED) -> dict[str, str]:
    return {name: why for name, why in denied.items()
            if any(m == name or m.startswith(name + ".") for m in loaded)}


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A reference and a window whose prices doubled: integers, continuous numbers and a few categories (the
    bench's kinds of column; more rows than the category limit, so the numbers are not kept as categories)."""
    from modelmonitor.analyzer.base.limits import CATEGORY_LIMIT

    root = tmp_path_factory.mktemp("startup")
    rows = CATEGORY_LIMIT + 2000
    colours = ("red", "green", "blue", "grey")
    for name, scale in (("reference.csv", 1), ("current.csv", 2)):
        (root / name).write_text("count,price,colour\n" + "".join(
            f"{i % 50},{i * scale / 7:.6f},{colours[i % 4]}\n" for i in range(rows)))
    return root / "reference.csv", root / "current.csv"


def test_a_csv_baseline_process_loads_nothing_it_does_not_use(csv_files: tuple[Path, Path], tmp_path: Path) -> None:
    code, loaded = _modules_after(["baseline", str(csv_files[0]), "-o", str(tmp_path / "b"), "--no-progress"],
                                  tmp_path)
    assert code == 0 and (tmp_path / "b" / "constraints.json").is_file()
    assert "modelmonitor.analyzer.read.csv_reader" in loaded  # it did read the CSV
    assert _denied(loaded, DENIED | BASELINE_DENIED) == {}


def test_a_csv_analyze_process_loads_nothing_it_does_not_use(csv_files: tuple[Path, Path], tmp_path: Path) -> None:
    assert _modules_after(["baseline", str(csv_files[0]), "-o", str(tmp_path / "b"), "--no-progress"],
                          tmp_path)[0] == 0
    code, loaded = _modules_after(["analyze", "--baseline", str(tmp_path / "b"), str(csv_files[1]), "-o",
                                   str(tmp_path / "a"), "--no-progress"], tmp_path)
    assert code == 1 and (tmp_path / "a" / "drift_report.json").is_file()  # 1: the window's prices doubled: drift
    assert "modelmonitor.analyzer.run.checks" in loaded
    assert _denied(loaded) == {}
