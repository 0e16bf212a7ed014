"""`modelmonitor` command line. Each command lives in `modelmonitor/commands/<name>.py` and exposes
`register(subparsers)`; this module only assembles them and maps the result to an exit code."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Command modules, imported lazily so `modelmonitor validate` never pays for Pulumi or numpy imports.
COMMANDS: dict[str, str] = {
    "validate": "modelmonitor.commands.validate",
    "crd": "modelmonitor.commands.crd",
    "demo": "modelmonitor.commands.demo",
    "render": "modelmonitor.commands.render",
    "baseline": "modelmonitor.commands.baseline",
    "analyze": "modelmonitor.commands.analyze",
    "run-now": "modelmonitor.commands.run_now",
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


EXIT_BROKEN_PIPE = 128 + 13
"""What a shell reports for a process ended by SIGPIPE (`render … | head`): the reader stopped reading."""


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    try:
        result: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader of our output went away: nothing more to say, and no traceback. Python would report the
        # failed flush of stdout at exit once more: point stdout at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return result


if __name__ == "__main__":
    sys.exit(main())
