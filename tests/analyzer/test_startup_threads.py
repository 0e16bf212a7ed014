"""Start-up of an analyzer process: NumPy's OpenBLAS must not start its spinning thread pool (the analyzer does no
linear algebra worth a thread, and on a 2-CPU machine the spinning took CPU time from the parser and the lanes).
Counted by the operating system: the threads of the process after the analyzer's modules (and NumPy) are loaded."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_THREADS = "import os; print(len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))"


def _run(code: str, **env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    return int(out[0]), out[1]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux's /proc")
def test_loading_the_analyzer_starts_no_blas_threads() -> None:
    threads, setting = _run("import modelmonitor.analyzer.run.runner; import numpy; " + _THREADS)
    assert (threads, setting) == (1, "1")


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux's /proc")
def test_a_thread_count_the_environment_sets_is_kept() -> None:
    assert _run("import modelmonitor.analyzer.run.runner; " + _THREADS, OPENBLAS_NUM_THREADS="2")[1] == "2"
