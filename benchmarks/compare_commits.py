"""The analyzer at another commit against this worktree, on the same files, runs interleaved: CPU time (user +
system of the process) and wall time of `baseline`, `analyze --baseline` and `analyze --reference`, fastest of
--repeat each. On a machine other work is using, CPU time is the steadier figure, and interleaving puts both sides
under the same load. The other commit's package is exported with `git archive` and its C modules built with
setup.py's flags into a temporary directory, which goes first on PYTHONPATH.

    .venv/bin/python benchmarks/compare_commits.py a5bc3d2              # 100k x 1M x 20 numeric
    .venv/bin/python benchmarks/compare_commits.py a5bc3d2 --variant categorical --repeat 5

A benchmark, not a test: it prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen

REPO = Path(__file__).resolve().parent.parent
NATIVE = "modelmonitor/analyzer/native"
MODULES = {"_csvfast": ["_csvfast.c", "_csvfast_kernels.c", "_csvfast_text.c"],
           "_kll": ["_kll.c", "_kll_core.c", "_kll_sort.c", "_kll_simd.c"]}
"""Every source any commit's modules may have; a commit without one of them (older ones lack _kll_simd.c) builds
from those it has."""
FLAGS = ["-O3", "-std=c11", "-fPIC", "-shared"]  # setup.py's optimisation level


def export(ref: str, into: Path) -> None:
    """The package at `ref`, with its C modules built, under `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "modelmonitor"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    include, suffix = sysconfig.get_paths()["include"], sysconfig.get_config_var("EXT_SUFFIX")
    for module, sources in MODULES.items():
        native = into / NATIVE
        subprocess.run(["cc", *FLAGS, f"-I{include}", *[str(native / s) for s in sources if (native / s).exists()],
                        "-o", str(native / f"{module}{suffix}")], check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "modelmonitor")], check=True,
                   stdout=subprocess.DEVNULL)


def commands(data: datagen.DataSet, out: Path) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "modelmonitor.cli"]
    quiet = ["--no-progress"]
    return {"baseline": [*cli, "baseline", str(data.ref_csv), "-o", str(out / "b"), *quiet],
            "analyze": [*cli, "analyze", "--baseline", str(out / "b"), str(data.cur_csv), "-o", str(out / "a"),
                        *quiet],
            "analyze --reference": [*cli, "analyze", "--reference", str(data.ref_csv), str(data.cur_csv), "-o",
                                    str(out / "one"), *quiet]}


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    if done.returncode not in (0, 1):  # 1: `analyze` found violations, as it does on these files
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), wall


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ref", help="the other commit (anything `git archive` takes)")
    parser.add_argument("--variant", default="numeric", choices=["numeric", "categorical"])
    parser.add_argument("--quick", action="store_true", help="10k x 100k rows instead of 100k x 1M")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=REPO / "benchmarks" / ".data")
    args = parser.parse_args(argv)
    rows_ref, rows_cur = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    data = datagen.ensure_dataset(args.data_dir, args.variant, rows_ref=rows_ref, rows_cur=rows_cur,
                                  n_numeric=20, with_captures=False)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "modelmonitor")], check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="mm-compare-") as tmp:
        root = Path(tmp)
        (root / "pkg").mkdir()
        export(args.ref, root / "pkg")
        sides = {args.ref: dict(os.environ, PYTHONPATH=str(root / "pkg")), "this worktree": dict(os.environ)}
        best: dict[tuple[str, str], tuple[float, float]] = {}
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            for side, env in sides.items():
                out = root / side.replace(" ", "-")
                for name, command in commands(data, out).items():
                    cpu, wall = measure(command, env)
                    old = best.get((side, name), (float("inf"), float("inf")))
                    best[side, name] = (min(old[0], cpu), min(old[1], wall))
    print(f"{data.directory.name}: fastest of {args.repeat}, interleaved; load average {load_before:.2f} at the "
          f"start, {os.getloadavg()[0]:.2f} at the end")
    old_side, new_side = args.ref, "this worktree"
    print(f"{'command':<22} {'CPU ' + old_side:>16} {'CPU now':>9} {'ratio':>6}   {'wall ' + old_side:>16} "
          f"{'wall now':>9} {'ratio':>6}")
    names = [*commands(data, Path()), "baseline + analyze"]
    for name in names:
        if name == "baseline + analyze":
            old = tuple(best[old_side, "baseline"][i] + best[old_side, "analyze"][i] for i in (0, 1))
            new = tuple(best[new_side, "baseline"][i] + best[new_side, "analyze"][i] for i in (0, 1))
        else:
            old, new = best[old_side, name], best[new_side, name]
        print(f"{name:<22} {old[0]:>15.3f}s {new[0]:>8.3f}s {new[0] / old[0]:>5.2f}x   {old[1]:>15.3f}s "
              f"{new[1]:>8.3f}s {new[1] / old[1]:>5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
