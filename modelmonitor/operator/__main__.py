"""`python -m modelmonitor.operator`: run the ModelMonitor operator (a thin wrapper around `kopf run`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from modelmonitor.operator.settings import DRIVERS, OperatorSettings, SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modelmonitor.operator",
                                     description="Reconcile ModelMonitor resources into Pulumi stacks.")
    parser.add_argument("-n", "--namespace", action="append", default=[], dest="namespaces",
                        help="watch this namespace (repeatable; glob patterns allowed); default: all namespaces")
    parser.add_argument("--max-concurrent-updates", type=int, default=None,
                        help="Pulumi operations running at once (default 2, or MODELMONITOR_MAX_CONCURRENT_UPDATES)")
    parser.add_argument("--driver", choices=DRIVERS, default=None,
                        help="automation (Pulumi Automation API), render (plan under mocks, no AWS) or fake")
    peering = parser.add_mutually_exclusive_group()
    peering.add_argument("--standalone", action="store_true", help="no peering: this is the only operator")
    peering.add_argument("--peering", default=None, help="kopf peering object name (for several replicas)")
    parser.add_argument("--liveness", default="http://0.0.0.0:8080/healthz",
                        help="kopf liveness endpoint (empty to disable)")
    parser.add_argument("--metrics-port", type=int, default=9090, help="Prometheus metrics port (0 disables)")
    parser.add_argument("--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = OperatorSettings.from_env()
        overrides: dict[str, object] = {}
        if args.driver is not None:
            overrides["driver"] = args.driver
        if args.max_concurrent_updates is not None:
            overrides["max_concurrent_updates"] = args.max_concurrent_updates
        settings = settings.replace(**overrides)
    except SettingsError as exc:
        print(f"modelmonitor operator: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port)
    from modelmonitor.operator import handlers

    handlers.run(namespaces=args.namespaces, standalone=args.standalone, peering=args.peering,
                 liveness=args.liveness or None, settings=settings, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
