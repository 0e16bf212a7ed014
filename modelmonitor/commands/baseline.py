"""`modelmonitor baseline DATA -o DIR`: SageMaker-compatible statistics.json and constraints.json from a dataset."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from modelmonitor.cli import EXIT_USAGE
from modelmonitor.commands.analysis_common import HEADER_CHOICES, add_data_options, execute, reading_options


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "baseline", help="compute baseline statistics.json and constraints.json from a dataset",
        description="Compute a baseline from a dataset (the training data, say): statistics.json and "
                    "constraints.json in SageMaker Model Monitor's formats, written to -o DIR. `modelmonitor analyze "
                    "--baseline DIR` and the deployed monitors compare later data with it.",
        epilog="exit status: 0 baseline written; 2 usage error or bad input (one line on stderr names the file, "
               "field or option); 141 the reader of the output went away")
    add_data_options(parser)
    parser.add_argument("--bias-config", metavar="FILE",
                        help="instead: the bias baseline (analysis.json) of a labelled CSV dataset with a header, "
                             "configured by Clarify's bias analysis configuration FILE (JSON)")
    parser.add_argument("--bias-tolerance", metavar="METRIC=MARGIN,...",
                        help="with --bias-config: the configured band, e.g. DPPL=0.1,DI=0.2 — also write "
                             "constraints.json, the analysis with each named metric that much farther from balance "
                             "(0; 1 for DI): set modelBias.baseline.analysisS3Uri to it")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.bias_tolerance is not None and args.bias_config is None:
        print("error: --bias-tolerance goes with --bias-config (the band of a bias baseline)", file=sys.stderr)
        return EXIT_USAGE
    if args.bias_config is not None:
        from modelmonitor.commands.bias_baseline import write_bias_baseline

        return write_bias_baseline(args.data, args.bias_config, args.output, tolerance=args.bias_tolerance)

    def build() -> Any:  # the analyzer loads inside `execute`, with the collector paused (cli.loading_modules)
        from modelmonitor.analyzer.run.job import AnalysisJob

        return AnalysisJob(
            mode="baseline", dataset_source=args.data, output_path=args.output, data_format=args.data_format,
            csv_header=HEADER_CHOICES[args.header], max_malformed_fraction=args.max_malformed,
            **reading_options(args))

    return execute(args, build)
