"""`modelmonitor crd`: print the generated CustomResourceDefinition."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from modelmonitor.crd import CrdSchemaError, render_crd


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "crd", help="print the ModelMonitor CRD (generated)",
        description="Print the ModelMonitor CustomResourceDefinition, generated from the spec this version "
                    "validates with, as YAML on stdout (`modelmonitor crd | kubectl apply -f -`).",
        epilog="exit status: 0 printed; 2 usage error, or a spec field the CRD cannot express (named on "
               "stderr); 141 the reader of the output went away")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        text = render_crd()
    except CrdSchemaError as e:  # a spec field the CRD cannot express: name it, print nothing half-made
        sys.stderr.write(f"modelmonitor crd: {e}\n")
        return 2
    sys.stdout.write(text)
    return 0
