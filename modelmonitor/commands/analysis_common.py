"""Shared by `modelmonitor baseline` and `modelmonitor analyze`: data options, the progress bar, error mapping."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, loading_modules
from modelmonitor.commands import verdict

if TYPE_CHECKING:  # the analyzer (numpy, pyarrow) loads only when a command runs
    from modelmonitor.analyzer.read.batches import HeaderMode
    from modelmonitor.analyzer.run.runner import AnalysisResult

HEADER_CHOICES: dict[str, HeaderMode] = {"auto": "auto", "yes": "present", "no": "absent"}


def add_data_options(parser: argparse.ArgumentParser, *, output_required: bool = True) -> None:
    parser.add_argument("data", metavar="DATA",
                        help="file, directory or s3:// prefix: SageMaker capture JSON lines, CSV, JSON lines, "
                             "Parquet or Arrow IPC")
    parser.add_argument("-o", "--output", required=output_required, metavar="DIR",
                        help="output directory (or s3:// prefix)" + ("" if output_required else
                             "; without it nothing is kept: the run writes into a temporary directory, prints "
                             "its verdict and deletes the directory (a quick look)"))
    parser.add_argument("--format", dest="data_format",
                        choices=["auto", "capture", "csv", "jsonl", "parquet", "arrow"], default="auto",
                        help="input format (default: detected: Parquet and Arrow IPC files by their first bytes, "
                             "text formats by the first line)")
    parser.add_argument("--header", choices=sorted(HEADER_CHOICES), default="auto",
                        help="CSV header row (default: detected)")
    parser.add_argument("--max-malformed", type=float, default=0.1, metavar="FRACTION",
                        help="fail when more than this share of records is malformed (default 0.1)")
    parser.add_argument("--sketch-k", type=int, metavar="K",
                        help="KLL sketch size k (default 2048, as SageMaker's analyzer; 8-65535): larger is more "
                             "accurate and writes a larger statistics.json")
    parser.add_argument("--sketch-c", type=float, metavar="C",
                        help="KLL capacity shrink factor c in (0.5, 1) (default 0.64, as SageMaker's analyzer)")
    parser.add_argument("--preprocessor", metavar="SCRIPT.py",
                        help="record preprocessor for capture data (file or s3:// URI defining "
                             "preprocess_handler(inference_record[, logger]), as SageMaker Model Monitor's)")
    parser.add_argument("--payload", metavar="JSON",
                        help='payload mapping of capture data, as spec.payload: {"input": {"path": '
                             '"instances[*].features", "names": ["a", "b"]}, "output": {"path": "predictions[*]"}}')
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def reading_options(args: argparse.Namespace) -> dict[str, Any]:
    """The KLL parameters and record preprocessor given on the command line (the job's defaults otherwise)."""
    given = {"sketch_k": args.sketch_k, "sketch_c": args.sketch_c, "record_preprocessor": args.preprocessor,
             "payload_mapping": None}
    if args.payload is not None:  # the payload decoders load only for a mapping (a CSV run never needs them)
        from modelmonitor.analyzer.read.payloads import mapping_from_json

        given["payload_mapping"] = mapping_from_json(args.payload, "--payload")
    return {name: value for name, value in given.items() if value is not None}


class RichProgress:
    """A byte-based progress bar on stderr (shown only on a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

        self._progress = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                                  TransferSpeedColumn(), TimeRemainingColumn(),
                                  console=Console(stderr=True), transient=True)
        self._task: Any = None

    def start(self, total_bytes: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("reading", total=total_bytes)

    def advance(self, n_bytes: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n_bytes)

    def stop(self) -> None:
        self._progress.stop()


def execute(args: argparse.Namespace, build: Callable[[], Any], *, as_json: bool = False) -> int:
    """Build the job, run it, print the outcome; map errors to exit 2 and violations to exit 1. Without `-o`
    (analyze only) the run writes into a temporary directory that is gone when this returns."""
    if args.output is None:
        import tempfile  # only for a quick look without -o

        with tempfile.TemporaryDirectory(prefix="modelmonitor-analyze-") as scratch:
            args.output = scratch
            code = _execute(args, build, as_json=as_json, keep=False)
            args.output = None
            return code
    return _execute(args, build, as_json=as_json, keep=True)


def _execute(args: argparse.Namespace, build: Callable[[], Any], *, as_json: bool, keep: bool) -> int:
    with loading_modules():
        from modelmonitor.analyzer.run import runner

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    # A progress bar only where someone watches it: on a terminal, never in pipes or logs.
    progress = RichProgress() if not args.no_progress and sys.stderr.isatty() else None
    try:
        job = build()
        result: AnalysisResult = runner.run(job, progress=progress)
    except AnalyzerInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if progress is not None:
            progress.stop()
    kept = {name: uri for name, uri in result.outputs.items()
            if keep or not uri.startswith(args.output.rstrip("/") + "/")}
    document = verdict.verdict_document(
        status=result.status, insufficient_data=result.insufficient_data, records=result.item_count,
        malformed=result.malformed_records, unpaired=result.unpaired_records,
        violations=[v.to_json() for v in result.violations], drift_report=_drift_report(result), outputs=kept)
    if as_json:
        import json

        print(json.dumps(document, indent=2, allow_nan=False))
    else:
        print("\n".join(verdict.people_lines(document, result.summary())))
    for name, uri in kept.items():
        print(f"  wrote {name}: {uri}", file=sys.stderr)
    if not keep:
        print("  no files kept (-o DIR keeps them)", file=sys.stderr)
    return EXIT_FINDINGS if result.violations else EXIT_OK


def _drift_report(result: AnalysisResult) -> dict[str, Any]:
    """The run's `drift_report.json` (a monitoring run writes one; a baseline run has none)."""
    from modelmonitor.analyzer.read.sources import read_text

    uri = result.outputs.get("drift_report")
    if uri is None:
        return {}
    import json

    document: dict[str, Any] = json.loads(read_text(uri))
    return document
