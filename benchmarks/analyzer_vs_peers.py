"""Benchmark: ModelMonitor's drift analyzer against Evidently and NannyML on the same files (issue 5).

Every tool runs as its own subprocess on the same CSVs; wall time and peak RSS are those of that subprocess
(measure.py). ModelMonitor runs from the product venv, the peers from `.venv-bench` (kept apart: their pins clash
with the product's). This is a benchmark, not a test: it asserts nothing and prints PASS/MISS per goal.

    make bench                               # full run: 100k reference x 1M current rows x 20 features
    .venv/bin/python benchmarks/analyzer_vs_peers.py --quick --skip-peers
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import datagen
import report
from quality import car_loan_quality

import tools
from tools import (
    BENCH_DIR,
    REPO_ROOT,
    ToolResult,
    modelmonitor_available,
    run_modelmonitor_analyze,
    run_modelmonitor_baseline,
    run_peer,
)

QUICK = {"rows_ref": 10_000, "rows_cur": 50_000}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows-ref", type=int, default=100_000)
    parser.add_argument("--rows-cur", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20, help="numerical features")
    parser.add_argument("--quick", action="store_true", help=f"small smoke run: {QUICK}")
    parser.add_argument("--skip-peers", action="store_true", help="run only ModelMonitor (no .venv-bench needed)")
    parser.add_argument("--skip-quality", action="store_true", help="skip the car-loan detection comparison")
    parser.add_argument("--variants", default="numeric,categorical",
                        help="comma list: numeric (numerical features + captures), categorical (+5 categorical)")
    parser.add_argument("--evidently-max-rows", type=int, default=1_000_000,
                        help="above this many current rows Evidently runs on the first N rows only, and its time "
                             "and memory are extrapolated linearly (labelled as such)")
    parser.add_argument("--peer-timeout", type=float, default=600, help="seconds before a peer run is killed")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each measured command N times and keep the fastest run")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / ".data")
    parser.add_argument("--modelmonitor", type=Path, default=REPO_ROOT / ".venv" / "bin" / "modelmonitor")
    parser.add_argument("--bench-python", type=Path, default=REPO_ROOT / ".venv-bench" / "bin" / "python")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows_ref, args.rows_cur = QUICK["rows_ref"], QUICK["rows_cur"]
    return args


ONE_PROCESS = "ModelMonitor (analyze --reference, one process)"


def run_modelmonitor(args: argparse.Namespace, data: datagen.DataSet, workdir: Path,
                     ) -> tuple[ToolResult, ToolResult | None, ToolResult | None]:
    """Baseline + analyze of the current CSV (two processes); `analyze --reference` on the same files (one process,
    as the peers run); then analyze of the capture JSONL (numeric variant only)."""
    result = ToolResult("ModelMonitor (baseline + analyze)")
    available, why = modelmonitor_available(args.modelmonitor)
    if not available:
        result.note = "modelmonitor analyzer not available"
        result.details["reason"] = why
        return result, None, None
    baseline = run_modelmonitor_baseline(args.modelmonitor, data.ref_csv, workdir, "mm-baseline")
    result.runs.append(baseline)
    if baseline.returncode != 0:
        result.note = f"baseline failed: {baseline.error_summary()}"
        return result, None, None
    analyze, drifted, by_check = run_modelmonitor_analyze(args.modelmonitor, workdir / "baseline", data.cur_csv,
                                                          workdir, "mm-analyze-csv")
    result.runs.append(analyze)
    result.drifted, result.details["violations"] = drifted, by_check
    result.details["analyze_only_s"] = analyze.wall_s
    if drifted is None:
        result.note = f"analyze failed: {analyze.error_summary()}"
    one = ToolResult(ONE_PROCESS)
    run, one.drifted, one.details["violations"] = run_modelmonitor_analyze(
        args.modelmonitor, workdir / "baseline", data.cur_csv, workdir, "mm-analyze-reference",
        reference=data.ref_csv)
    one.runs.append(run)
    if one.drifted is None:
        one.note = f"analyze --reference failed: {run.error_summary()}"
    if not data.capture_bytes:
        return result, one, None
    capture = ToolResult("ModelMonitor (analyze capture JSONL)")
    run, capture.drifted, capture.details["violations"] = run_modelmonitor_analyze(
        args.modelmonitor, workdir / "baseline", data.capture_dir, workdir, "mm-analyze-capture")
    capture.runs.append(run)
    if capture.drifted is None:
        capture.note = f"analyze failed: {run.error_summary()}"
    return result, one, capture


def run_nannyml(args: argparse.Namespace, data: datagen.DataSet, workdir: Path) -> ToolResult:
    result = ToolResult("NannyML (KS / chi2, 10 chunks)")
    arguments = ["--reference", str(data.ref_csv), "--current", str(data.cur_csv), "--chunk-number", "10",
                 "--categorical", ",".join(data.categorical_features)]
    run, output = run_peer(args.bench_python, "run_nannyml.py", arguments, workdir, "nannyml",
                           timeout=args.peer_timeout)
    result.runs.append(run)
    if output is None:
        result.note = f"failed: {run.error_summary()}"
    else:
        result.drifted, result.details = output["drifted"], {"timings": output["timings"], "version": output["version"]}
    return result


def run_evidently(args: argparse.Namespace, data: datagen.DataSet, workdir: Path) -> ToolResult:
    """Evidently on all rows, or on the first --evidently-max-rows rows with time and memory scaled up linearly."""
    rows = min(data.rows_cur, args.evidently_max_rows)
    sampled = rows < data.rows_cur
    suffix = f", extrapolated from {rows:,} rows" if sampled else ""
    result = ToolResult(f"Evidently (DataDriftPreset{suffix})")
    arguments = ["--reference", str(data.ref_csv), "--current", str(data.cur_csv),
                 "--categorical", ",".join(data.categorical_features)]
    if sampled:
        arguments += ["--sample-current", str(rows)]
    run, output = run_peer(args.bench_python, "run_evidently.py", arguments, workdir, "evidently",
                           timeout=args.peer_timeout)
    if output is None:
        result.runs.append(run)
        result.note = f"failed: {run.error_summary()}"
        return result
    result.details = {"timings": output["timings"], "version": output["version"], "measured_rows": rows,
                      "measured_wall_s": run.wall_s, "measured_cpu_s": run.cpu_s,
                      "measured_peak_rss_bytes": run.peak_rss_bytes}
    if sampled:
        # Linear in the current rows, which is what Evidently's per-column sorts and histograms are at best.
        scale = data.rows_cur / rows
        run.wall_s, run.cpu_s = run.wall_s * scale, run.cpu_s * scale
        run.peak_rss_bytes = int(run.peak_rss_bytes * scale)
    result.runs.append(run)
    result.drifted = output["drifted"]
    return result


def benchmark_variant(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    started = time.perf_counter()
    data = datagen.ensure_dataset(args.data_dir, variant, rows_ref=args.rows_ref, rows_cur=args.rows_cur,
                                  n_numeric=args.features, with_captures=variant == "numeric")
    print(f"\n## Variant `{variant}`: {data.rows_ref:,} reference × {data.rows_cur:,} current rows, "
          f"{len(data.numeric_features)} numerical + {len(data.categorical_features)} categorical features "
          f"(data ready in {time.perf_counter() - started:.0f} s: {data.directory})", flush=True)
    workdir = data.directory / "runs"
    mm, one, capture = run_modelmonitor(args, data, workdir)
    results = [mm] + [r for r in (one, capture) if r is not None]
    nannyml = evidently = None
    if not args.skip_peers:
        nannyml = run_nannyml(args, data, workdir)
        evidently = run_evidently(args, data, workdir)
        results += [nannyml, evidently]
    print(report.tool_table(results, mm if mm.ok else None))
    if not mm.ok:
        print(f"\nModelMonitor: {mm.note} ({mm.details.get('reason', '')})")
    else:
        print("\n" + report.split_line(mm, [r for r in (nannyml, evidently) if r is not None]))
    expected = {d.feature: "strong" if d.strong else "subtle" for d in data.drift}
    print("\nInjected drift: " + "; ".join(f"{d.feature}: {d.change}, L∞ {d.linf}" for d in data.drift))
    print(report.detection_table(expected, results))
    raw_bytes = data.ref_csv_bytes + data.cur_csv_bytes
    capture_wall = capture.wall_s if capture and capture.ok else None
    goals = report.goals(mm, evidently, nannyml, raw_bytes=raw_bytes, capture_bytes=data.capture_bytes,
                         capture_wall_s=capture_wall, one_process=one)
    print("\n" + report.goals_table(goals), flush=True)
    return {"variant": variant, "rows_ref": data.rows_ref, "rows_cur": data.rows_cur,
            "features": data.features, "raw_csv_bytes": raw_bytes, "capture_bytes": data.capture_bytes,
            "results": [_result_json(r) for r in results], "goals": [asdict(g) for g in goals]}


def _result_json(result: ToolResult) -> dict[str, Any]:
    return {"tool": result.tool, "ok": result.ok, "wall_s": result.wall_s, "cpu_s": result.cpu_s,
            "peak_rss_bytes": result.peak_rss_bytes,
            "drifted": result.drifted, "note": result.note, "details": result.details,
            "runs": [{"label": r.label, "wall_s": r.wall_s, "cpu_s": r.cpu_s, "peak_rss_bytes": r.peak_rss_bytes,
                      "returncode": r.returncode, "timed_out": r.timed_out} for r in result.runs]}


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    tools.REPEAT = args.repeat
    started = time.perf_counter()
    print(f"# ModelMonitor analyzer vs peers — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {_load()}; fastest of {args.repeat} run(s) per command")
    summary: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "variants": []}
    for variant in [v for v in args.variants.split(",") if v]:
        summary["variants"].append(benchmark_variant(args, variant))
    if not args.skip_peers and not args.skip_quality:
        summary["car_loan"] = car_loan_quality(args.bench_python, args.modelmonitor, args.data_dir / "car-loan")
    summary["total_s"] = time.perf_counter() - started
    summary["load_average_at_end"] = _load()
    results_file = args.data_dir / "results.json"
    results_file.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    print(f"\nTotal {summary['total_s']:.0f} s; results in {results_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
