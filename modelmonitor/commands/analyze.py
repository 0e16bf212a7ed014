"""`modelmonitor analyze (--baseline DIR | --reference DATA) DATA [-o DIR] [--json] [--report FILE.html]`: compare
data with a baseline, or with a reference dataset in one step.

Exit status: 0 no violations, 1 violations found, 2 bad input or usage."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from modelmonitor.cli import EXIT_USAGE
from modelmonitor.commands.analysis_common import HEADER_CHOICES, add_data_options, execute, reading_options

REFERENCE_BASELINE_DIR = "baseline"
"""Where `--reference` leaves the baseline it computed, under the output: `statistics.json` and `constraints.json`,
as `modelmonitor baseline` names them, so `--baseline OUT/baseline` reuses it. The analyzer's runner writes it
(`runner.REFERENCE_BASELINE_DIR`); this name is the one users read in the help."""

METHODS_HELP = ("drift methods reported beside L∞, comma separated, from: psi (population stability index), ks "
                "(Kolmogorov-Smirnov D), js (Jensen-Shannon distance), wasserstein (W1 divided by the baseline's "
                "standard deviation), chi2 (χ² test, shown as Cramér's V); default all. L∞ always runs and alone "
                "decides drift, as SageMaker's analyzer")

EXIT_STATUS = ("exit status: 0 no violations; 1 violations found; 2 usage error or bad input (one line on stderr "
               "names the file, field or option); 141 the reader of the output went away")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "analyze", help="compare a window of data with a baseline (drift, completeness, types)",
        description="Compare a dataset (a window of captured traffic, a CSV, ...) with a baseline, as SageMaker "
                    "Model Monitor's analyzer does: constraint checks (missing and extra columns, types, "
                    "completeness, categorical values) and drift (L∞, plus the --methods). Prints the verdict "
                    "(--json: one JSON document) and writes constraint_violations.json, statistics.json and "
                    "drift_report.json to -o DIR.",
        epilog=EXIT_STATUS)
    add_data_options(parser, output_required=False)
    against = parser.add_mutually_exclusive_group(required=True)
    against.add_argument("--baseline", metavar="DIR",
                         help="directory (or s3:// prefix) holding statistics.json and constraints.json, as "
                              "`modelmonitor baseline -o DIR` writes them")
    against.add_argument("--reference", metavar="DATA",
                         help="a reference dataset instead (e.g. the training data): its baseline is computed in "
                              f"the same run and written to OUT/{REFERENCE_BASELINE_DIR}/ (statistics.json, "
                              f"constraints.json), so a later run can use --baseline OUT/{REFERENCE_BASELINE_DIR}")
    parser.add_argument("--json", action="store_true",
                        help="print the verdict on stdout as one JSON document (status, violations, drifted "
                             "features with their distances; schema in docs/analyzer.md) instead of lines")
    parser.add_argument("--report", metavar="FILE.html", help="also write a self-contained HTML report")
    parser.add_argument("--start-time", metavar="ISO",
                        help="window start (ISO-8601); filters capture files and records")
    parser.add_argument("--end-time", metavar="ISO", help="window end (ISO-8601, exclusive)")
    parser.add_argument("--methods", default="psi,ks,js,wasserstein,chi2", metavar="M,M,...", help=METHODS_HELP)
    parser.add_argument("--comparison-method", choices=["Robust", "Simple"],
                        help="override the baseline's L∞ comparison method: Robust subtracts what sampling alone "
                             "explains at these sample sizes (so small differences read 0), Simple compares the raw "
                             "distance")
    parser.add_argument("--drift-threshold", type=float, metavar="X",
                        help="override the numeric drift threshold, in (0, 1]")
    parser.add_argument("--categorical-drift-threshold", type=float, metavar="X",
                        help="override the categorical drift threshold, in (0, 1]")
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
    if args.output is None and args.stage == "shard":
        print("error: --stage shard writes partial statistics for a later merge: give -o DIR to keep them",
              file=sys.stderr)
        return EXIT_USAGE
    return execute(args, lambda: build_job(args), as_json=args.json)
