"""The `modelmonitor` executable (`cli.run_command`) ends a finished `baseline` or `analyze` without Python's
interpreter teardown (~22 ms of freeing modules and objects once NumPy is loaded), and nothing anyone can see
changes: the exit status, every line of output, the exit callbacks. Other commands, and a process that still has a
thread running, take Python's ordinary way out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modelmonitor.cli import main

# A module-level object of the script: only the interpreter's teardown finalizes it.
_SCRIPT = """
import atexit, os, sys, threading, time
class Witness:
    def __del__(self):
        os.write(1, b"torn down\\n")
witness = Witness()
atexit.register(lambda: os.write(1, b"exit callback ran\\n"))
if os.environ.get("LATE_THREAD"):
    def late():
        time.sleep(0.3)
        open(os.environ["LATE_THREAD"], "w").write("done")
    threading.Thread(target=late).start()
sys.argv = ["modelmonitor", *sys.argv[1:]]
from modelmonitor.cli import run_command
run_command()
"""


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-c", _SCRIPT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **env})


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A reference, its baseline, and a window whose values doubled (drift: exit 1)."""
    root = tmp_path_factory.mktemp("quick-exit")
    for name, scale in (("reference.csv", 1), ("current.csv", 2)):
        (root / name).write_text("x,y\n" + "".join(f"{i * scale},{i % 7}\n" for i in range(600)))
    assert main(["baseline", str(root / "reference.csv"), "-o", str(root / "b"), "--no-progress"]) == 0
    return root / "reference.csv", root / "b", root / "current.csv"


def test_a_finished_analysis_ends_without_the_teardown_and_keeps_status_output_and_callbacks(
        data: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, baseline, current = data
    args = ["analyze", "--baseline", str(baseline), str(current), "-o", str(tmp_path / "a"), "--no-progress"]
    done = _run(args, tmp_path)
    assert main([*args[:-3], "-o", str(tmp_path / "in-process"), "--no-progress"]) == 1
    expected = capsys.readouterr().out
    assert done.returncode == 1, done.stderr  # violations found
    assert done.stdout == expected + "exit callback ran\n"  # the verdict, whole, and the exit callback
    assert "torn down" not in done.stdout
    assert "wrote drift_report" in done.stderr
    assert (tmp_path / "a" / "drift_report.json").read_bytes() == (tmp_path / "in-process" /
                                                                    "drift_report.json").read_bytes()


def test_a_thread_still_running_is_waited_for(data: tuple[Path, Path, Path], tmp_path: Path) -> None:
    reference, _, _ = data
    done = _run(["baseline", str(reference), "-o", str(tmp_path / "b"), "--no-progress"], tmp_path,
                LATE_THREAD=str(tmp_path / "late"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "late").read_text() == "done"
    assert done.stdout.endswith("exit callback ran\ntorn down\n")  # Python's ordinary way out


def test_other_commands_take_the_ordinary_way_out(tmp_path: Path) -> None:
    done = _run(["crd"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "CustomResourceDefinition" in done.stdout
    assert done.stdout.endswith("exit callback ran\ntorn down\n")


def test_usage_errors_exit_as_before(tmp_path: Path) -> None:
    done = _run(["analyze", "--no-such-option"], tmp_path)
    assert done.returncode == 2
    assert "modelmonitor analyze: error:" in done.stderr
    assert done.stdout.endswith("exit callback ran\ntorn down\n")


_COLLECTOR = """
import gc, sys
import modelmonitor.analyzer.run.runner as runner
real_run = runner.run
def run(job, **kwargs):
    print("collector", gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)
    return real_run(job, **kwargs)
runner.run = run
sys.argv = ["modelmonitor", *sys.argv[1:]]
from modelmonitor.cli import main, run_command
if __import__("os").environ.get("AS_LIBRARY"):
    main(sys.argv[1:])
    print("after", gc.isenabled(), gc.get_freeze_count(), file=sys.stderr)
else:
    run_command()
"""


@pytest.mark.parametrize("library", [False, True])
def test_the_collector_runs_while_the_data_is_read(data: tuple[Path, Path, Path], tmp_path: Path,
                                                   library: bool) -> None:
    """The executable pauses garbage collection only while the analyzer loads (its objects are then frozen out of
    later collections); a program that calls `main` keeps its collector untouched."""
    import os

    reference, _, _ = data
    env = {**os.environ, **({"AS_LIBRARY": "1"} if library else {})}
    done = subprocess.run([sys.executable, "-c", _COLLECTOR, "baseline", str(reference), "-o", str(tmp_path / "b"),
                           "--no-progress"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    if library:
        assert "collector True False" in done.stderr and "after True 0" in done.stderr
    else:
        assert "collector True True" in done.stderr
