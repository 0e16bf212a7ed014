"""Runs Python code in a child process with a time limit and reads the child's own peak resident memory (VmHWM
from /proc/self/status, as the kernel counts it), so a test can bound memory or a hang without risking its own
process."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_REPO = Path(__file__).resolve().parents[3]

_WRAPPER = """
import json, sys
def peak_bytes():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
code = 0
try:
{body}
finally:
    print("\\n" + json.dumps({{"peak_bytes": peak_bytes()}}))
sys.exit(code)
"""


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    peak_bytes: int


def run(body: str, *, timeout: float) -> Outcome:
    """`body` (Python statements; may set `code`) in a fresh interpreter at the repository root. Raises
    subprocess.TimeoutExpired when it runs past `timeout` seconds (the child is killed)."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    done = subprocess.run([sys.executable, "-c", _WRAPPER.format(body=indented)], cwd=_REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)
    last = done.stdout.rstrip().rsplit("\n", 1)[-1]
    return Outcome(done.returncode, done.stdout, done.stderr, int(json.loads(last)["peak_bytes"]))


def cli(args: list[str], *, timeout: float) -> Outcome:
    """`modelmonitor ARGS` in a child: its exit code, output and peak memory."""
    return run(f"from modelmonitor.cli import main\ncode = main({args!r})", timeout=timeout)
