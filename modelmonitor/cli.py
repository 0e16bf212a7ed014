"""`modelmonitor` command line. Each command lives in `modelmonitor/commands/<name>.py` and exposes
`register(subparsers)`; this module only assembles them and maps the result to an exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Command modules, imported lazily so `modelmonitor validate` never pays for Pulumi or numpy imports.
COMMANDS: dict[str, str] = {
    "validate": "modelmonitor.commands.validate",
    "crd": "modelmonitor.commands.crd",
    "baseline": "modelmonitor.commands.baseline",
    "analyze": "modelmonitor.commands.analyze",
}

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmonitor", description="Declarative SageMaker model monitoring.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, module in COMMANDS.items():
        if wanted in (None, name) or wanted not in COMMANDS:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name)  # listed in help, loaded only when chosen
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
