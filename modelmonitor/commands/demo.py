"""`modelmonitor demo` (what `make demo` runs): the whole monitoring loop on this machine, no cloud needed."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo", help="run the monitoring loop locally: emulated AWS, hourly drift analysis, alarms, alerts",
        description="Run the whole monitoring loop on this machine, no cloud needed: emulated AWS, hours of simulated "
                    "traffic drifting from --drift-at (--monitor data-quality: the input data; --monitor bias: one "
                    "group's approval rate), hourly analysis, alarms and alerts, and the Kubernetes operator; files "
                    "go to --output-dir.",
        epilog="exit status: 0 the demo ran; 2 usage error (invalid --hours, --drift-at or --drift-until, or an "
               "option --monitor bias does not take)")
    parser.add_argument("--hours", type=int, default=24, help="simulated hours of traffic (default 24)")
    parser.add_argument("--drift-at", type=int, default=12, help="hour from which the data drifts (default 12)")
    parser.add_argument("--drift-until", type=int, default=None, metavar="HOUR",
                        help="first hour without drift again, to see the incident close with one RESOLVED alert "
                             "(default: the drift lasts)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the scenario (default 7)")
    parser.add_argument("--requests-per-hour", type=int, default=400)
    parser.add_argument("--output-dir", type=Path, default=Path("demo-output"))
    parser.add_argument("--no-emulator", action="store_true",
                        help="emulate AWS inside this process (no local server or port)")
    parser.add_argument("--no-operator", action="store_true", help="skip the Kubernetes operator part")
    parser.add_argument("--engine", choices=["lambda", "modelMonitor"], default="lambda",
                        help="lambda (default): the analyzer Lambda; modelMonitor: the analyzer container under a "
                             "(emulated) Model Monitor processing job")
    parser.add_argument("--monitor", choices=["data-quality", "bias"], default="data-quality",
                        help="data-quality (default): a churn model whose input data drifts from --drift-at; bias: "
                             "a loan-approval model whose approval rate for one group drops from --drift-at (bias "
                             "drift: spec.modelBias, engine lambda)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Piped output (CI logs, `| tee`) gets a width the timeline fits in, instead of rich's 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 150)
    if args.hours < 1 or not 0 <= args.drift_at <= args.hours:
        console.print(f"[red]error:[/] --hours must be ≥ 1 and --drift-at within 0..{args.hours}")
        return 2
    if args.drift_until is not None and not args.drift_at < args.drift_until <= args.hours:
        console.print(f"[red]error:[/] --drift-until must be after --drift-at ({args.drift_at}) and at most "
                      f"--hours ({args.hours})")
        return 2
    if args.monitor == "bias":
        return _run_bias(args, console)
    from modelmonitor.demo.run import DemoOptions, run_demo  # boto3, moto, kmock: only when the demo runs

    started = time.monotonic()
    result = run_demo(DemoOptions(hours=args.hours, drift_at=args.drift_at, seed=args.seed,
                                  requests_per_hour=args.requests_per_hour, output_dir=args.output_dir,
                                  emulator=not args.no_emulator, operator=not args.no_operator,
                                  engine=args.engine, drift_until=args.drift_until), console)
    if result.operator_view:
        console.print(f"$ kubectl get mm -n default\n{result.operator_view}", markup=False, highlight=False,
                      soft_wrap=True)
    if result.alerts:
        first = result.alerts[0]
        console.rule("First alert, as delivered to the alert topic's subscribers")
        console.print(f"Subject: {first.subject}\n{first.body}", markup=False, highlight=False, soft_wrap=True)
        console.rule()
        console.print("Alerts sent: " + "; ".join(a.subject for a in result.alerts), markup=False,
                      highlight=False, soft_wrap=True)
    else:
        console.print("No alert was sent.")
    if result.report is not None:
        console.print(f"Report: {result.report} (the run of hour {result.report_hour}, the first hour with drift "
                      "or else the last; every hour's report is under runs/hour-NN/)", markup=False, highlight=False)
    else:
        console.print("Report: not written")
    console.print(f"Files:  {args.output_dir}/ (manifest, plan.json, baseline/, runs/hour-NN/, report.html, demo.log)")
    console.print(f"Done in {time.monotonic() - started:.1f} s.")
    return 0


def _run_bias(args: argparse.Namespace, console: Console) -> int:
    if args.engine != "lambda":
        console.print("[red]error:[/] --monitor bias runs under --engine lambda only: bias drift under engine "
                      "modelMonitor is AWS's Clarify container, which cannot run on this machine")
        return 2
    if args.drift_until is not None:
        console.print("[red]error:[/] --drift-until applies to --monitor data-quality only")
        return 2
    from modelmonitor.demo.bias_run import BiasDemoOptions, run_bias_demo

    started = time.monotonic()
    result = run_bias_demo(BiasDemoOptions(hours=args.hours, shift_at=args.drift_at, seed=args.seed,
                                           requests_per_hour=args.requests_per_hour, output_dir=args.output_dir,
                                           emulator=not args.no_emulator, operator=not args.no_operator), console)
    if result.operator_view:
        console.print(f"$ kubectl get mm -n default\n{result.operator_view}", markup=False, highlight=False,
                      soft_wrap=True)
        bias = next((c for c in result.conditions if c.get("type") == "ModelBiasScheduled"), None)
        if bias is not None:
            console.print(f"status.conditions ModelBiasScheduled: {bias.get('status')} ({bias.get('reason')}: "
                          f"{bias.get('message')})", markup=False, highlight=False, soft_wrap=True)
    _print_alerts(console, result.alerts)
    console.print(f"Files:  {args.output_dir}/ (manifest, plan.json, training.csv, bias-config.json, baseline/, "
                  "runs/hour-NN/ with each run's analysis.json and constraint_violations.json, demo.log)")
    console.print(f"Done in {time.monotonic() - started:.1f} s.")
    return 0


def _print_alerts(console: Console, alerts: Any) -> None:
    if not alerts:
        console.print("No alert was sent.")
        return
    first = alerts[0]
    console.rule("First alert, as delivered to the alert topic's subscribers")
    console.print(f"Subject: {first.subject}\n{first.body}", markup=False, highlight=False, soft_wrap=True)
    console.rule()
    console.print("Alerts sent: " + "; ".join(a.subject for a in alerts), markup=False, highlight=False,
                  soft_wrap=True)
