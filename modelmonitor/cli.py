"""`modelmonitor` command line. Each command lives in `modelmonitor/commands/<name>.py` and exposes
`register(subparsers)`; this module only assembles them and maps the result to an exit code."""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

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

QUICK_EXIT_COMMANDS = frozenset({"baseline", "analyze"})
"""Commands whose process ends without Python's interpreter teardown (`run_command`): their work is done and
written when `main` returns (no thread left, every file closed)."""

_PROCESS = {"executable": False}
"""Set by `run_command`: this process is the `modelmonitor` executable, not a program that called `main`."""

EXIT_BROKEN_PIPE = 128 + 13
"""What a shell reports for a process ended by SIGPIPE (`render … | head`): the reader stopped reading."""

EXIT_STATUS_HELP = ("exit status: 0 success (no findings); 1 findings (invalid manifests, violations); 2 usage, "
                    "input or credential error (one line on stderr says what to do); 3 run-now: the run failed "
                    "or gave no verdict in time; 141 the reader of the output went away (`… | head`). Each "
                    "command's --help gives its own.")

CREDENTIAL_HINT = ("set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                   "temporary credentials), or run `aws configure`")

# botocore's errors that mean "this machine has no usable AWS credentials or region": the user's setup, not a
# failed run, so exit 2 like any other usage error (docs/engines.md gives exit 1 a meaning of its own).
_SETUP_ERRORS = ("NoCredentialsError", "PartialCredentialsError", "NoRegionError", "ProfileNotFound",
                 "CredentialRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError")
# Error codes of AWS answers that refuse the credentials themselves (expired, unknown or unsigned keys).
_REFUSED_CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidSignatureException", "AuthFailure"})


def setup_errors() -> tuple[type[BaseException], ...]:
    """The exception classes `main` turns into exit 2. Only when botocore is already loaded: a command that never
    talked to AWS cannot raise them, and `validate` must not pay for importing botocore."""
    if "botocore.exceptions" not in sys.modules:
        return ()
    exceptions = sys.modules["botocore.exceptions"]
    return tuple(getattr(exceptions, name) for name in (*_SETUP_ERRORS, "ClientError") if hasattr(exceptions, name))


def setup_error_line(exc: BaseException) -> str | None:
    """One line saying what went wrong and what to do, or None when `exc` is not a setup problem (an AWS error
    about something else: it is not ours to reword)."""
    name = type(exc).__name__
    if name == "ClientError":
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code not in _REFUSED_CREDENTIAL_CODES:
            return None
        return f"error: AWS refused the credentials ({code}): {CREDENTIAL_HINT}"
    if name == "NoRegionError":
        return "error: no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or spec.region in the manifest"
    if name == "ProfileNotFound":
        return f"error: {exc}: set AWS_PROFILE to a profile of ~/.aws/config, or unset it"
    return f"error: no usable AWS credentials ({exc}): {CREDENTIAL_HINT}"


# Help of commands whose module another part of the project owns (the demo's): filled in here when it has none.
_FALLBACK_HELP: dict[str, tuple[str, str]] = {
    "demo": ("Run the whole monitoring loop on this machine, no cloud needed: emulated AWS, hours of simulated "
             "traffic drifting from --drift-at, hourly analysis, alarms and alerts, and the Kubernetes operator; "
             "files go to --output-dir.",
             "exit status: 0 the demo ran; 2 usage error (invalid --hours or --drift-at)"),
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmonitor",
        description="Declarative SageMaker model monitoring: validate and render ModelMonitor manifests offline, "
                    "compute baselines and analyse data for drift on this machine, run a deployed monitor now, "
                    "or watch the whole loop in a local demo.",
        epilog=EXIT_STATUS_HELP)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, module in COMMANDS.items():
        if wanted in (None, name) or wanted not in COMMANDS:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name)  # listed in help, loaded only when chosen
    for name, (description, epilog) in _FALLBACK_HELP.items():
        command = sub.choices[name]
        command.description = command.description or description
        command.epilog = command.epilog or epilog
    for command in sub.choices.values():
        # Also after the command name (`modelmonitor run-now m.yaml --debug`); SUPPRESS keeps the top-level value.
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the traceback of an error instead of one line")
    return parser


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
    except OSError as exc:
        # A path on the command line the system refuses (an output under a regular file, a report path that is a
        # directory, no permission, a full disk): the user's to fix, so one line and exit 2.
        if args.debug:
            raise
        where = f": {exc.filename}" if exc.filename is not None else ""
        print(f"error: {exc.strerror or exc}{where} (check the paths given on the command line; --debug shows the "
              f"traceback)", file=sys.stderr)
        return EXIT_USAGE
    except setup_errors() as exc:
        line = setup_error_line(exc)
        if line is None or args.debug:
            raise
        print(f"{line} (--debug shows the traceback)", file=sys.stderr)
        return EXIT_USAGE
    return result


@contextmanager
def loading_modules() -> Iterator[None]:
    """Around a command's heavy imports (NumPy and the analyzer): garbage collection waits until they are done.
    Importing creates ~10^5 objects and no garbage, so the ~40 collections it would trigger cost ~6 ms for nothing;
    what was loaded is then set aside from later collections (`gc.freeze`). Only in the `modelmonitor` executable:
    a program calling `main` keeps its collector as it set it."""
    if not _PROCESS["executable"] or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def run_command() -> NoReturn:
    """The `modelmonitor` executable: `main` on the command line, then the end of the process.

    Python's own shutdown, once NumPy is loaded, spends ~22 ms freeing every module and object one by one — a tenth
    of a `modelmonitor baseline` of 100k rows — for memory the operating system takes back at once. After
    `baseline` and `analyze` nothing is left to do then, so the process ends as soon as what shutdown does that
    anyone can see is done: the exit callbacks (logging's flush among them) run and the output is flushed. Any other
    command, a thread still running or output that cannot be flushed take Python's ordinary way out."""
    import threading

    _PROCESS["executable"] = True
    try:
        code = main()
    finally:
        # What `loading_modules` froze is collectable again: an ordinary shutdown finalizes every object as before.
        gc.unfreeze()
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if command not in QUICK_EXIT_COMMANDS or threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()  # as shutdown would; they are then cleared, so a fallback below never runs them twice
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)  # Python reports what it cannot flush, as before
    os._exit(code)


if __name__ == "__main__":
    # `python -m modelmonitor.cli` runs a second copy of this module; the commands read `_PROCESS` from the one
    # they import by name, so that is the one to run.
    importlib.import_module("modelmonitor.cli").run_command()
