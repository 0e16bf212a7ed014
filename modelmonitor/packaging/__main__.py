"""`python -m modelmonitor.packaging build` builds the analyzer's Lambda zip(s) and its Processing code bundle (from
the x86_64 zip: Processing instances are x86_64); `layer-table FILE` regenerates the
pinned layer table from a tagged aws-sdk-pandas release's docs/source/layers.rst."""

from __future__ import annotations

import argparse
import json
import sysconfig
from pathlib import Path

from modelmonitor.packaging import layers, locate, native, processing_bundle
from modelmonitor.packaging.lambda_zip import LAMBDA_PYTHON, BuildSpec, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelmonitor.packaging")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the analyzer Lambda zip for each architecture")
    b.add_argument("--arch", choices=sorted(native.LAMBDA_ARCHITECTURE), action="append",
                   help="Lambda architecture (repeatable; default: x86_64 and arm64)")
    b.add_argument("--out", type=Path, default=locate.package_dir())
    b.add_argument("--python-include", type=Path, default=None,
                   help=f"CPython {LAMBDA_PYTHON} headers (default: this interpreter's, which must be {LAMBDA_PYTHON})")
    t = sub.add_parser("layer-table", help="print the layer ARN table (JSON) parsed from layers.rst")
    t.add_argument("rst", type=Path)
    t.add_argument("--release", required=True)
    args = parser.parse_args(argv)
    if args.command == "layer-table":
        table = {"release": args.release,
                 "source": f"aws/aws-sdk-pandas tag {args.release}, docs/source/layers.rst "
                           f"(https://aws-sdk-pandas.readthedocs.io/en/{args.release}/layers.html)",
                 "layers": layers.parse_layers_rst(args.rst.read_text())}
        print(json.dumps(table, indent=1, sort_keys=True))
        return 0
    include = args.python_include or Path(sysconfig.get_paths()["include"])
    if not (include / "Python.h").is_file() or f"python{LAMBDA_PYTHON}" not in include.as_posix():
        parser.error(f"--python-include: {include} is not a CPython {LAMBDA_PYTHON} include directory")
    for arch in args.arch or sorted(native.LAMBDA_ARCHITECTURE):
        built = build(BuildSpec(LAMBDA_PYTHON, native.LAMBDA_ARCHITECTURE[arch]), out_dir=args.out,
                      python_include=include)
        print(built)
        if arch == "x86_64":
            print(processing_bundle.build(built, out_dir=args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
