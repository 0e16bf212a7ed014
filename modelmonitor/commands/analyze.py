"""`modelmonitor analyze (--baseline DIR | --reference DATA) DATA -o DIR [--report FILE.html]`: compare data with a
baseline, or with a reference dataset in one step.

Exit status: 0 no violations, 1 violations found, 2 bad input or usage."""

from __future__ import annotations

import argparse
import re
from typing import Any

from modelmonitor.commands.analysis_common import HEADER_CHOICES, add_data_options, execute, reading_options


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "analyze", help="compare a window of data with a baseline (drift, completeness, types)",
        description="Exit status: 0 no violations, 1 violations found, 2 bad input or usage.")
    add_data_options(parser)
    against = parser.add_mutually_exclusive_group(required=True)
    against.add_argument("--baseline", metavar="DIR",
                         help="directory (or s3:// prefix) holding statistics.json and constraints.json")
    against.add_argument("--reference", metavar="DATA",
                         help="a reference dataset instead (e.g. the training data): its baseline is computed in "
                              "the same run and written to the output as baseline_statistics.json and "
                              "baseline_constraints.json")
    parser.add_argument("--report", metavar="FILE.html", help="also write a self-contained HTML report")
    parser.add_argument("--start-time", help="window start (ISO-8601); filters capture files and records")
    parser.add_argument("--end-time", help="window end (ISO-8601, exclusive)")
    parser.add_argument("--methods", default="psi,ks,js,wasserstein,chi2",
                        help="extra drift methods, comma separated (default: all)")
    parser.add_argument("--comparison-method", choices=["Robust", "Simple"],
                        help="override the baseline's L∞ comparison method")
    parser.add_argument("--drift-threshold", type=float, help="override the numeric drift threshold")
    parser.add_argument("--categorical-drift-threshold", type=float,
                        help="override the categorical drift threshold")
    parser.add_argument("--metrics-dir", metavar="DIR",
                        help="also write CloudWatch metric records (BYOC format) into DIR")
    parser.add_argument("--endpoint", default="", help="Endpoint dimension of the metrics")
    parser.add_argument("--schedule", default="", help="MonitoringSchedule dimension of the metrics")
    parser.add_argument("--stage", choices=["full", "shard", "merge"], default="full",
                        help="shard: write partial statistics only; merge: DATA holds partial statistics to combine")
    parser.add_argument("--shard-id", default="", metavar="ID",
                        help="with --stage shard: this shard's name (its partial statistics file is named after it, "
                             "and its sketches flip coins of their own)")
    parser.set_defaults(run=run)


def build_job(args: argparse.Namespace) -> Any:
    from modelmonitor.analyzer.base.errors import AnalyzerInputError
    from modelmonitor.analyzer.read.sources import Window, parse_time
    from modelmonitor.analyzer.run.job import AnalysisJob, parse_methods

    if bool(args.start_time) != bool(args.end_time):
        raise AnalyzerInputError("--start-time and --end-time go together")
    if args.shard_id and args.stage != "shard":
        raise AnalyzerInputError("--shard-id goes with --stage shard")
    if args.shard_id and not re.fullmatch(r"[A-Za-z0-9._-]+", args.shard_id):
        raise AnalyzerInputError(f"--shard-id names a file: letters, digits, '.', '_' and '-' only, got "
                                 f"{args.shard_id!r}")
    window = (Window(parse_time(args.start_time, "--start-time"), parse_time(args.end_time, "--end-time"))
              if args.start_time else None)
    base = args.baseline.rstrip("/") if args.baseline else None
    return AnalysisJob(
        mode="monitor", dataset_source=args.data, output_path=args.output,
        baseline_statistics=f"{base}/statistics.json" if base else None,
        baseline_constraints=f"{base}/constraints.json" if base else None, reference_source=args.reference,
        data_format=args.data_format, csv_header=HEADER_CHOICES[args.header],
        window=window, publish_cloudwatch_metrics=args.metrics_dir is not None, metrics_dir=args.metrics_dir,
        endpoint_name=args.endpoint, schedule_name=args.schedule, drift_methods=parse_methods(args.methods),
        comparison_method=args.comparison_method, drift_threshold=args.drift_threshold,
        categorical_drift_threshold=args.categorical_drift_threshold, max_malformed_fraction=args.max_malformed,
        report_html=args.report, stage=args.stage, shard_id=args.shard_id, **reading_options(args))


def run(args: argparse.Namespace) -> int:
    return execute(args, lambda: build_job(args))
