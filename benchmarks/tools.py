"""How each tool is run as a measured subprocess, and how its drift verdict is read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
MEASURE = BENCH_DIR / "measure.py"
PEERS_DIR = BENCH_DIR / "peers"

# The peers phone home unless told not to; nothing may leave this machine.
NO_TELEMETRY = {"NML_DISABLE_USAGE_LOGGING": "1", "DO_NOT_TRACK": "1"}

# Exit codes of `modelmonitor analyze`.
MM_NO_VIOLATIONS, MM_VIOLATIONS = 0, 1


@dataclass
class Run:
    """One measured subprocess."""

    label: str
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str

    def error_summary(self) -> str:
        if self.timed_out:
            return f"timed out after {self.wall_s:.0f} s"
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return f"exit {self.returncode}: {lines[-1] if lines else 'no error output'}"


@dataclass
class ToolResult:
    """What a tool found on one data set, with the runs it took to find it."""

    tool: str
    runs: list[Run] = field(default_factory=list)
    drifted: list[str] | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def wall_s(self) -> float:
        return sum(run.wall_s for run in self.runs)

    @property
    def cpu_s(self) -> float:
        return sum(run.cpu_s for run in self.runs)

    @property
    def peak_rss_bytes(self) -> int:
        return max((run.peak_rss_bytes for run in self.runs), default=0)

    @property
    def ok(self) -> bool:
        return self.drifted is not None


# How often each measured command runs; the fastest run counts (noise from other work on the machine only ever
# adds time). Set once from the command line.
REPEAT = 1


def measure(label: str, command: list[str], workdir: Path, timeout: float | None = None) -> Run:
    """Run `command` REPEAT times (each under a fresh wrapper) and return the fastest successful run."""
    best: Run | None = None
    for _ in range(max(1, REPEAT)):
        run = _measure_once(label, command, workdir, timeout)
        if run.returncode not in (0, MM_VIOLATIONS) or run.timed_out:
            return run
        best = run if best is None or run.wall_s < best.wall_s else best
    assert best is not None
    return best


def _measure_once(label: str, command: list[str], workdir: Path, timeout: float | None) -> Run:
    """Run `command` under a fresh measuring wrapper; see measure.py for why the wrapper is per command."""
    workdir.mkdir(parents=True, exist_ok=True)
    out, err = workdir / f"{label}.stdout", workdir / f"{label}.stderr"
    wrapper = [sys.executable, str(MEASURE), "--stdout", str(out), "--stderr", str(err)]
    if timeout is not None:
        wrapper += ["--timeout", str(timeout)]
    env = {**os.environ, **NO_TELEMETRY}
    completed = subprocess.run([*wrapper, "--", *command], capture_output=True, text=True, env=env, check=True)
    stats = json.loads(completed.stdout)
    return Run(label=label, wall_s=stats["wall_s"], cpu_s=stats["cpu_s"], peak_rss_bytes=stats["peak_rss_bytes"],
               returncode=stats["returncode"], timed_out=stats["timed_out"],
               stdout=out.read_text(encoding="utf-8", errors="replace"),
               stderr=err.read_text(encoding="utf-8", errors="replace"))


# --- ModelMonitor -------------------------------------------------------------------------------------------------

# Options passed to both commands when the CLI has them (a progress bar is no use in a measured run).
_QUIET_FLAGS = ("--no-progress",)
_mm_flags: list[str] = []


def modelmonitor_available(executable: Path) -> tuple[bool, str]:
    """True when the CLI exists and has both `baseline` and `analyze`; otherwise the reason why not. Also compiles
    the package's bytecode first, as `pip install` does for the peers' packages: the product venv's editable
    install leaves that to the first import, and where PYTHONDONTWRITEBYTECODE is set (as on this workplace's
    machines) every measured run would otherwise compile the changed modules again."""
    if not executable.exists():
        return False, f"{executable} does not exist (run `make` to build the product venv)"
    package = Path(__file__).resolve().parent.parent / "modelmonitor"
    subprocess.run([str(executable.parent / "python"), "-m", "compileall", "-q", str(package)], check=False)
    helps = []
    for command in ("baseline", "analyze"):
        probe = subprocess.run([str(executable), command, "--help"], capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            return False, f"`modelmonitor {command}` is not available (exit {probe.returncode})"
        helps.append(probe.stdout)
    _mm_flags[:] = [flag for flag in _QUIET_FLAGS if all(flag in text for text in helps)]
    return True, ""


def drift_violations(output_dir: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Features with a baseline drift violation, and every violation by check type, from the SageMaker file."""
    path = output_dir / "constraint_violations.json"
    violations = json.loads(path.read_text(encoding="utf-8")).get("violations", []) if path.exists() else []
    by_check: dict[str, list[str]] = {}
    for violation in violations:
        by_check.setdefault(violation["constraint_check_type"], []).append(violation["feature_name"])
    return sorted(set(by_check.get("baseline_drift_check", []))), by_check


def flagged_by_method(output_dir: Path) -> dict[str, list[str]]:
    """From our drift report: features each drift method flags (only L∞ makes violations; the rest inform)."""
    path = output_dir / "drift_report.json"
    if not path.exists():
        return {}
    flagged: dict[str, list[str]] = {}
    for feature in json.loads(path.read_text(encoding="utf-8")).get("features", []):
        for method, outcome in feature.get("methods", {}).items():
            if outcome.get("drifted"):
                flagged.setdefault(method, []).append(feature["name"])
    return flagged


def run_modelmonitor_baseline(executable: Path, reference_csv: Path, workdir: Path, label: str) -> Run:
    return measure(label, [str(executable), "baseline", str(reference_csv), "-o", str(workdir / "baseline"),
                           *_mm_flags], workdir)


def run_modelmonitor_analyze(executable: Path, baseline_dir: Path, data: Path, workdir: Path, label: str, *,
                             reference: Path | None = None) -> tuple[Run, list[str] | None, dict[str, list[str]]]:
    """Analyze `data` (a CSV file or a capture directory) against `baseline_dir`, or, given `reference`, against
    that dataset in the same run (`analyze --reference`); drifted features are None when the run failed."""
    output = workdir / label
    against = ["--reference", str(reference)] if reference else ["--baseline", str(baseline_dir)]
    run = measure(label, [str(executable), "analyze", *against, str(data), "-o", str(output), *_mm_flags], workdir)
    if run.returncode not in (MM_NO_VIOLATIONS, MM_VIOLATIONS):
        return run, None, {}
    drifted, by_check = drift_violations(output)
    return run, drifted, by_check


# --- Peers (run in the benchmark venv) ------------------------------------------------------------------------------

def run_peer(python: Path, script: str, arguments: list[str], workdir: Path, label: str, *,
             timeout: float | None) -> tuple[Run, dict[str, Any] | None]:
    """Run a peer runner script; its last stdout line is its JSON result."""
    run = measure(label, [str(python), str(PEERS_DIR / script), *arguments], workdir, timeout)
    if run.returncode != 0 or run.timed_out:
        return run, None
    lines = run.stdout.strip().splitlines()
    try:
        return run, json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return run, None
