"""Monthly cost per monitored model of the three engines, at 1k / 100k / 10M captured records per hour.

    python benchmarks/engine_cost.py [--seconds-per-record S] [--analyzer-src DIR] [--records N ...]

The analyzer's time per record is measured on this machine when the `modelmonitor analyze` CLI is available
(it generates a capture window, computes a baseline, and times two window sizes: the slope is the per-record
time, the intercept the fixed start-up of one run); otherwise a documented default is used and said so.

Prices: us-east-1, read 2026-11-25 through the project's search tool. Each carries its source and whether a
primary (AWS) source confirmed it; unconfirmed prices are printed as such. Free tiers are ignored (they are per
account and shared by everything in it). CloudWatch metrics, S3 requests and storage are left out: the same
metric names and files are written under every engine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HOURS_PER_MONTH = 730  # AWS's own monthly convention


@dataclass(frozen=True)
class Price:
    value: float
    unit: str
    source: str
    confirmed: bool

    def label(self) -> str:
        return f"${self.value:g} {self.unit} — {self.source}" + ("" if self.confirmed else " [UNCONFIRMED]")


PRICES = {
    "lambda_gb_second": Price(0.0000166667, "per GB-second (x86, first 6B GB-s/month)",
                              "AWS whitepaper 'How AWS Pricing Works: Lambda' ($0.00001667) and aws.amazon.com/"
                              "lambda/pricing tier table as quoted by third parties", True),
    "lambda_request": Price(0.20 / 1e6, "per request ($0.20 per 1M)",
                            "AWS whitepaper 'How AWS Pricing Works: Lambda'", True),
    "sfn_transition": Price(0.025 / 1000, "per state transition ($0.025 per 1,000, Standard)",
                            "aws.amazon.com/step-functions/pricing (US East (N. Virginia) row)", True),
    "scheduler_invocation": Price(1.00 / 1e6, "per invocation ($1.00 per 1M after 14M free)",
                                  "third-party pricing guides only; one guide even calls it free", False),
    "custom_event": Price(1.00 / 1e6, "per custom event put ($1.00 per 1M)",
                          "third-party EventBridge pricing guides", False),
    "processing_m5_xlarge_hour": Price(0.23, "per hour, ml.m5.xlarge Processing (on-demand)",
                                       "no primary source found by search; commonly quoted on-demand rate", False),
}
PROCESSING_MINIMUM_SECONDS = 60
"""SageMaker Processing bills per second with a one-minute minimum (assumption given in the engine brief)."""
INSTANCE_STARTUP_SECONDS = 120
"""Assumed billed start-up of a processing (or Model Monitor) job: instance provisioning + image pull + container
start. AWS does not publish it; jobs commonly spend a few minutes in 'Starting'. Applies to both SageMaker
engines alike, so it never favours ours."""
BUILTIN_ANALYZER_OVERHEAD_SECONDS = 60
"""Extra fixed time of the built-in (Spark/Deequ) analyzer per run beyond ours (JVM/Spark start). Assumption;
its per-record time is taken equal to ours, which favours Model Monitor."""
LAMBDA_INIT_SECONDS = 2.0
"""Cold start of the analyzer's container image (billed: Lambda bills the INIT phase). Assumption."""
DEFAULT_SECONDS_PER_RECORD = 2.0e-5
"""Used when the analyzer cannot be measured here: 50k capture records/s on one core. Not a measurement."""
DEFAULT_BYTES_PER_RECORD = 420
"""Size of one capture JSON line of the generated window (10 features + output); measured when generating."""
SFN_TRANSITIONS_SINGLE = 4  # ResolveWindow, PrepareRun, Analyze, Succeeded
SFN_TRANSITIONS_SHARDED = 5  # + Merge


@dataclass(frozen=True)
class Workload:
    records_per_hour: int
    seconds_per_record: float
    fixed_seconds: float
    bytes_per_record: int
    lambda_memory_mb: int = 3008
    lambda_timeout_seconds: int = 900
    max_lambda_window_mb: int = 2048


@dataclass(frozen=True)
class EngineCost:
    engine: str
    monthly_usd: float | None
    per_run_seconds: float
    note: str = ""


def _processing_seconds(analysis_seconds: float) -> float:
    return max(PROCESSING_MINIMUM_SECONDS, math.ceil(INSTANCE_STARTUP_SECONDS + analysis_seconds))


def model_monitor_cost(w: Workload) -> EngineCost:
    analysis = BUILTIN_ANALYZER_OVERHEAD_SECONDS + w.fixed_seconds + w.records_per_hour * w.seconds_per_record
    billed = _processing_seconds(analysis)
    per_run = billed / 3600 * PRICES["processing_m5_xlarge_hour"].value
    return EngineCost("modelMonitor", per_run * HOURS_PER_MONTH, billed, "1 × ml.m5.xlarge per run")


def lambda_cost(w: Workload) -> EngineCost:
    seconds = LAMBDA_INIT_SECONDS + w.fixed_seconds + w.records_per_hour * w.seconds_per_record
    window_mb = w.records_per_hour * w.bytes_per_record / 1e6
    if seconds > w.lambda_timeout_seconds or window_mb > w.max_lambda_window_mb:
        return EngineCost("lambda", None, seconds,
                          f"window {window_mb:,.0f} MB / {seconds:,.0f} s exceeds the Lambda limits: processingJob")
    gb_seconds = w.lambda_memory_mb / 1024 * seconds
    per_run = (gb_seconds * PRICES["lambda_gb_second"].value + PRICES["lambda_request"].value
               + PRICES["scheduler_invocation"].value + PRICES["custom_event"].value)
    return EngineCost("lambda", per_run * HOURS_PER_MONTH, seconds, f"{w.lambda_memory_mb} MB")


def processing_job_cost(w: Workload, instance_count: int = 1) -> EngineCost:
    analysis = w.fixed_seconds + w.records_per_hour * w.seconds_per_record / instance_count
    billed = _processing_seconds(analysis) * instance_count
    transitions = SFN_TRANSITIONS_SINGLE
    if instance_count > 1:
        billed += _processing_seconds(w.fixed_seconds)  # the merge job
        transitions = SFN_TRANSITIONS_SHARDED
    per_run = (billed / 3600 * PRICES["processing_m5_xlarge_hour"].value
               + transitions * PRICES["sfn_transition"].value + PRICES["scheduler_invocation"].value
               + PRICES["custom_event"].value)
    return EngineCost("processingJob", per_run * HOURS_PER_MONTH, billed,
                      f"{instance_count} × ml.m5.xlarge" + (" + merge" if instance_count > 1 else ""))


# --- measuring the analyzer ----------------------------------------------------------------------------------

def _capture_line(rng: random.Random, index: int) -> str:
    features = ",".join(f"{rng.gauss(50, 10):.4f}" for _ in range(10))
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": features, "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{rng.random():.4f}",
                           "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"ev-{index}", "inferenceTime": "2026-11-24T10:00:00Z"},
        "eventVersion": "0"})


def _write_capture(path: Path, records: int, seed: int) -> int:
    rng = random.Random(seed)
    size = 0
    with path.open("w") as handle:
        for index in range(records):
            line = _capture_line(rng, index) + "\n"
            size += len(line)
            handle.write(line)
    return size // max(records, 1)


def measure(cli: list[str], env: dict[str, str], cwd: str | None, sizes: tuple[int, int],
            repeat: int = 3) -> tuple[float, float, int]:
    """(seconds per record, fixed seconds per run, bytes per record) from timing two window sizes; the fastest
    of `repeat` runs counts (other load on the machine only ever adds time)."""
    work = Path(tempfile.mkdtemp(prefix="engine-cost-"))
    try:
        base_csv = work / "train.csv"
        rng = random.Random(1)
        with base_csv.open("w") as handle:
            handle.write("prediction," + ",".join(f"f{i}" for i in range(10)) + "\n")
            for _ in range(20_000):
                handle.write(f"{rng.random():.4f}," + ",".join(f"{rng.gauss(50, 10):.4f}" for _ in range(10)) + "\n")
        subprocess.run([*cli, "baseline", str(base_csv), "-o", str(work / "baseline"), "--no-progress"],
                       check=True, env=env, cwd=cwd, capture_output=True, timeout=600)
        timings = []
        record_bytes = DEFAULT_BYTES_PER_RECORD
        for size in sizes:
            capture = work / f"window-{size}.jsonl"
            record_bytes = _write_capture(capture, size, seed=size)
            fastest = math.inf
            for _ in range(repeat):
                started = time.perf_counter()
                done = subprocess.run([*cli, "analyze", str(capture), "--baseline", str(work / "baseline"), "-o",
                                       str(work / f"out-{size}"), "--format", "capture", "--no-progress"],
                                      check=False, env=env, cwd=cwd, capture_output=True, timeout=600)
                if done.returncode not in (0, 1):  # 1 = violations found, still a complete run
                    raise RuntimeError(f"analyze failed: {done.stderr.decode()[-500:]}")
                fastest = min(fastest, time.perf_counter() - started)
            timings.append(fastest)
        (small, large), (t_small, t_large) = sizes, timings
        per_record = max((t_large - t_small) / (large - small), 1e-9)
        return per_record, max(t_small - per_record * small, 0.0), record_bytes
    finally:
        shutil.rmtree(work, ignore_errors=True)


def analyzer_cli(analyzer_src: str | None) -> tuple[list[str], dict[str, str], str | None] | None:
    """The CLI to time, if it has `analyze`. With --analyzer-src, run from that checkout (cwd first on sys.path)."""
    env = dict(os.environ)
    if analyzer_src:
        env["PYTHONPATH"] = analyzer_src + os.pathsep + env.get("PYTHONPATH", "")
    cli = [sys.executable, "-m", "modelmonitor.cli"]
    probe = subprocess.run([*cli, "analyze", "--help"], check=False, env=env, cwd=analyzer_src,
                           capture_output=True, timeout=120)
    return (cli, env, analyzer_src) if probe.returncode == 0 else None


# --- report --------------------------------------------------------------------------------------------------

def report(seconds_per_record: float, fixed_seconds: float, bytes_per_record: int, how: str,
           volumes: list[int]) -> str:
    lines = [f"Analyzer time per record: {seconds_per_record * 1e6:.2f} µs, fixed per run: {fixed_seconds:.2f} s "
             f"({how}); {bytes_per_record} bytes per capture record.", "",
             "| records/hour | modelMonitor $/month | lambda $/month | processingJob $/month | lambda ÷ MM "
             "| processingJob ÷ MM |", "|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for volume in volumes:
        w = Workload(volume, seconds_per_record, fixed_seconds, bytes_per_record)
        mm, lam, pj = model_monitor_cost(w), lambda_cost(w), processing_job_cost(w)
        assert mm.monthly_usd is not None and pj.monthly_usd is not None
        lam_cell = f"{lam.monthly_usd:,.2f}" if lam.monthly_usd is not None else "n/a"
        lam_ratio = f"{lam.monthly_usd / mm.monthly_usd:.3f}" if lam.monthly_usd is not None else "n/a"
        lines.append(f"| {volume:,} | {mm.monthly_usd:,.2f} | {lam_cell} | {pj.monthly_usd:,.2f} | {lam_ratio} "
                     f"| {pj.monthly_usd / mm.monthly_usd:.3f} |")
        if lam.monthly_usd is None:
            notes.append(f"{volume:,}/h: {lam.note}")
        if volume <= 100_000:
            cheapest = min(c for c in (lam.monthly_usd, pj.monthly_usd) if c is not None)
            verdict = "MET" if cheapest <= mm.monthly_usd / 10 else "NOT MET"
            notes.append(f"goal (≤ 1/10 of Model Monitor) at {volume:,}/h: {verdict} "
                         f"(${cheapest:,.2f} vs ${mm.monthly_usd / 10:,.2f})")
    lines += ["", *notes, "", "Prices (us-east-1, read 2026-11-25):"]
    lines += [f"- {name}: {price.label()}" for name, price in PRICES.items()]
    lines += ["", f"Assumptions: hourly schedule ({HOURS_PER_MONTH} runs/month); processing billed per second, "
              f"{PROCESSING_MINIMUM_SECONDS} s minimum, {INSTANCE_STARTUP_SECONDS} s billed start-up per job; "
              f"built-in analyzer +{BUILTIN_ANALYZER_OVERHEAD_SECONDS} s per run; Lambda {LAMBDA_INIT_SECONDS} s "
              "billed init, 3008 MB; free tiers ignored; metrics/S3 excluded (equal across engines)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds-per-record", type=float, help="skip measuring; use this time per record")
    parser.add_argument("--fixed-seconds", type=float, default=0.0, help="with --seconds-per-record: fixed time")
    parser.add_argument("--analyzer-src", help="a checkout whose modelmonitor package has the analyze command")
    parser.add_argument("--records", type=int, nargs="+", default=[1_000, 100_000, 10_000_000])
    parser.add_argument("--sizes", type=int, nargs=2, default=[20_000, 200_000], metavar=("SMALL", "LARGE"),
                        help="window sizes timed to measure the analyzer")
    parser.add_argument("--repeat", type=int, default=3, help="timings per size; the fastest counts")
    args = parser.parse_args(argv)
    if args.seconds_per_record is not None:
        spr, fixed, size, how = args.seconds_per_record, args.fixed_seconds, DEFAULT_BYTES_PER_RECORD, "given"
    elif (found := analyzer_cli(args.analyzer_src)) is not None:
        spr, fixed, size = measure(*found, sizes=(args.sizes[0], args.sizes[1]), repeat=args.repeat)
        how = (f"measured on this machine, windows of {args.sizes[0]:,} and {args.sizes[1]:,} records, fastest "
               f"of {args.repeat}, all drift methods")
    else:
        spr, fixed, size = DEFAULT_SECONDS_PER_RECORD, 0.0, DEFAULT_BYTES_PER_RECORD
        how = "DEFAULT, not measured: `modelmonitor analyze` is not available in this checkout"
    sys.stdout.write(report(spr, fixed, size, how, args.records) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
