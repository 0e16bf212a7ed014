"""Run one command and report its wall time, CPU time and peak resident memory as JSON on stdout.

Run this wrapper as a fresh process per measured command: `RUSAGE_CHILDREN.ru_maxrss` is the largest peak of all
children a process has waited for, so a wrapper that only ever starts one child measures exactly that child (and
anything it waits for). The command's own stdout goes to `--stdout`, its stderr to `--stderr`.

    python benchmarks/measure.py --stdout out.txt --stderr err.txt --timeout 600 -- cmd arg...
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stdout", type=Path, required=True)
    parser.add_argument("--stderr", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=None, help="seconds; the command is killed after it")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    timed_out = False
    with args.stdout.open("wb") as out, args.stderr.open("wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        try:
            returncode = child.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            child.kill()
            returncode = child.wait()
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Linux reports ru_maxrss in KiB. CPU time barely moves when other work shares the machine; wall time does.
    json.dump({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_bytes": usage.ru_maxrss * 1024,
               "returncode": returncode, "timed_out": timed_out}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
