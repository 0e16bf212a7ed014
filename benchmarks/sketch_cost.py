"""What SageMaker's sketch parameters cost: `baseline` + `analyze` with k = 2048, c = 0.64 (the default, as AWS's
analyzer) against k = 200, c = 2/3 (DataSketches' defaults, ours before), same files, same machine, runs
interleaved; fastest of --repeat per command. Also the size of the statistics.json each writes.

    .venv/bin/python benchmarks/sketch_cost.py                 # 100k x 1M x 20 numeric, and 20k x 100k x 200
    .venv/bin/python benchmarks/sketch_cost.py --quick

A benchmark, not a test: it prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen

import tools

REPO = Path(__file__).resolve().parent.parent
PARAMETERS = {"k2048-c0.64": [], "k200-c2/3": ["--sketch-k", "200", "--sketch-c", repr(2 / 3)]}


def _measure(cli: Path, data: datagen.DataSet, out: Path, extra: list[str]) -> tuple[tools.Run, tools.Run, int]:
    base, window = out / "baseline", out / "window"
    baseline = tools.measure("baseline", [str(cli), "baseline", str(data.ref_csv), "-o", str(base),
                                          "--no-progress", *extra], out)
    analyze = tools.measure("analyze", [str(cli), "analyze", "--baseline", str(base), str(data.cur_csv), "-o",
                                        str(window), "--no-progress", *extra], out)
    return baseline, analyze, (window / "statistics.json").stat().st_size


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k x 100k x 20 and 5k x 20k x 200")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=REPO / "benchmarks" / ".data")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / ".data" / "sketch-cost")
    args = parser.parse_args(argv)
    tools.REPEAT = args.repeat
    cli = REPO / ".venv" / "bin" / "modelmonitor"
    available, why = tools.modelmonitor_available(cli)
    if not available:
        print(why, file=sys.stderr)
        return 2
    shapes = ([(10_000, 100_000, 20), (5_000, 20_000, 200)] if args.quick
              else [(100_000, 1_000_000, 20), (20_000, 100_000, 200)])
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; fastest of {args.repeat} per command; "
          "wall and CPU seconds (CPU: user + system of the process, steadier than wall on a busy machine)")
    print(f"{'data':<26} {'parameters':<12} {'baseline s':>10} {'(CPU)':>6} {'analyze s':>10} {'(CPU)':>6} "
          f"{'peak RSS MiB':>12} {'statistics.json KB':>18}")
    for rows_ref, rows_cur, features in shapes:
        data = datagen.ensure_dataset(args.data_dir, "numeric", rows_ref=rows_ref, rows_cur=rows_cur,
                                      n_numeric=features, with_captures=False)
        label = f"{rows_ref // 1000}k x {rows_cur // 1000}k x {features}"
        for name, extra in PARAMETERS.items():
            baseline, analyze, size = _measure(cli, data, args.out / f"{features}-{name.replace('/', '_')}", extra)
            rss = max(baseline.peak_rss_bytes, analyze.peak_rss_bytes) / 2**20
            print(f"{label:<26} {name:<12} {baseline.wall_s:>10.2f} {baseline.cpu_s:>6.2f} {analyze.wall_s:>10.2f} "
                  f"{analyze.cpu_s:>6.2f} {rss:>12.0f} {size / 1000:>18.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
