"""`modelmonitor demo`: what `make demo` runs.

Until the end-to-end demo lands (issue 8), it validates the bundled manifests and shows what each would
monitor — a real run of the spec layer, no AWS, no cluster.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from modelmonitor.commands.validate import summarize
from modelmonitor.errors import ManifestError
from modelmonitor.loader import load_monitors

BUNDLED = Path(__file__).resolve().parents[2] / "examples"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("demo", help="run the local demo (no AWS, no cluster)")
    parser.add_argument("--manifests", default=str(BUNDLED), help="manifests to use (default: bundled examples)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        monitors = load_monitors(args.manifests)
    except ManifestError as exc:
        for problem in exc.problems:
            print(f"error: {problem}")
        return 2
    print(f"ModelMonitor demo: {len(monitors)} bundled manifest(s) parsed and validated\n")
    for monitor in monitors:
        s = summarize(monitor)
        print(f"  {s['namespace']}/{s['name']}: endpoint {s['endpoint']} ({s['endpointMode']}) in {s['region']}, "
              f"engine {s['engine']}, data quality {s['dataQuality']}, model quality {s['modelQuality']}, "
              f"baseline {s['baseline']}")
    print("\nThe full local loop (emulated S3/CloudWatch/SNS, hourly drift analysis, alarms, alerts and the "
          "operator) is not part of this build yet.")
    return 0
