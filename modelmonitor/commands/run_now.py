"""`modelmonitor run-now MANIFEST`: analyse one chosen window now, with the manifest's engine, and print the
verdict. The shell around `modelmonitor.run_now` (requests, verdicts); exit status: 0 Completed,
1 CompletedWithViolations, 2 bad input, 3 Failed or no verdict within --timeout.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from modelmonitor.errors import ManifestError
from modelmonitor.loader import load_monitors
from modelmonitor.run_now import EXIT_USAGE, RunNowError, Window, execute, parse_time, previous_hour
from modelmonitor.spec import ModelMonitorDocument


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "run-now", help="analyse one window now with the monitor's engine and print the verdict",
        description="Analyse one window of a deployed monitor now, with the engine its manifest names (the "
                    "analyzer Lambda, a Processing job or a Model Monitor schedule), and print the verdict. Talks "
                    "to AWS with the usual credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                    "~/.aws) in the manifest's spec.region.",
        epilog="exit status: 0 Completed (or started, with --no-wait); 1 CompletedWithViolations; 2 usage error, "
               "bad manifest, or no usable AWS credentials (one line on stderr says what to do); 3 Failed, or no "
               "verdict within --timeout")
    parser.add_argument("manifest", metavar="MANIFEST", help="ModelMonitor manifest (file or directory)")
    parser.add_argument("--name", help="namespace/name when MANIFEST holds several monitors")
    parser.add_argument("--window-start", help="ISO-8601 start (default: the previous full hour)")
    parser.add_argument("--window-end", help="ISO-8601 end")
    parser.add_argument("--monitoring-type", choices=["DataQuality", "ModelQuality"], default="DataQuality",
                        help="which analysis to run (default DataQuality)")
    parser.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                        help="wait for the verdict (default) or return once started")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the verdict (default 1800)")
    parser.set_defaults(run=run)


def _choose(path: str, name: str | None) -> ModelMonitorDocument:
    monitors = [m.document for m in load_monitors(path)]
    if name is not None:
        monitors = [d for d in monitors if f"{d.metadata.namespace}/{d.metadata.name}" == name]
    if len(monitors) != 1:
        found = "none" if not monitors else f"{len(monitors)} monitors"
        raise RunNowError(f"{path}: {found} match; pass --name namespace/name to choose one")
    return monitors[0]


def run(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        document = _choose(args.manifest, args.name)
        if (args.window_start is None) != (args.window_end is None):
            raise RunNowError("--window-start and --window-end go together")
        window = (Window(parse_time(args.window_start, "--window-start"), parse_time(args.window_end,
                                                                                       "--window-end"))
                  if args.window_start else previous_hour(now))
        import boto3
        from botocore.config import Config

        # A RequestResponse invoke may run up to Lambda's 15 minutes: the read timeout must outlast it.
        config = Config(read_timeout=max(60, int(args.timeout)), retries={"max_attempts": 3})

        def client(service: str) -> Any:
            return boto3.client(service, region_name=document.spec.region, config=config)

        verdict = execute(document, window, monitoring_type=args.monitoring_type, wait=args.wait,
                          timeout=args.timeout, client=client, now=now)
    except (ManifestError, RunNowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{verdict.status}: {verdict.detail}")
    return verdict.exit_code
