"""`modelmonitor crd`: print the generated CustomResourceDefinition."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from modelmonitor.crd import render_crd


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("crd", help="print the ModelMonitor CRD (generated)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render_crd())
    return 0
