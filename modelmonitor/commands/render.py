"""`modelmonitor render PATH [--region R] [--output table|json|mermaid]`: what `pulumi up` would create, offline.

Runs the same Pulumi program as `pulumi up` under in-process mocks (no AWS, no Pulumi CLI). JSON lists each
resource with its Pulumi type token, logical name, parent and inputs as the provider receives them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any

from modelmonitor.errors import ManifestError, ModelMonitorError
from modelmonitor.loader import load_monitors
from modelmonitor.spec import ModelMonitorDocument


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "render", help="show the AWS resources ModelMonitor would create (offline, Pulumi mocks)",
        description="Render the Pulumi program of the given manifests under Pulumi's mocks (offline: no AWS, no "
                    "Pulumi CLI) and show every resource it would create: a table, JSON (inputs included) or a "
                    "Mermaid graph of the component tree.",
        epilog="exit status: 0 rendered; 2 usage error, a missing file, an invalid manifest, or a monitor the "
               "components refuse (the message says which setting)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest file or directory of *.yaml")
    parser.add_argument("--region", help="render for this region instead of each document's spec.region")
    parser.add_argument("--output", choices=["table", "json", "mermaid"], default="table",
                        help="table (default): resources grouped by type; json: type, name, parent and inputs of "
                             "each; mermaid: the component tree as a Mermaid graph")
    image = parser.add_argument_group(
        "our analyzer image (only engine modelMonitor with dataQuality.analyzer custom runs it), as the stack "
        "settings modelmonitor:analyzerBuildContext / analyzerImagePushed declare it")
    image.add_argument("--analyzer-build-context", metavar="DIR",
                       help="pulumi up builds and pushes the image from DIR (needs Docker there)")
    image.add_argument("--analyzer-image-pushed", action="store_true",
                       help="CI pushes the image to the Platform's repository under analyzerImageTag")
    parser.set_defaults(run=run)


def as_json(plan: Sequence[Any]) -> str:
    return json.dumps([{"type": r["type"], "name": r["name"], "parent": r["parent"], "inputs": r["inputs"]}
                       for r in plan], indent=2, sort_keys=True, default=str)


def _node(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def as_mermaid(plan: Sequence[Any]) -> str:
    """The parent graph: components contain their children (providers are left out: they are plumbing)."""
    lines = ["graph LR"]
    for r in plan:
        if r["type"].startswith("pulumi:providers:"):
            continue
        short = r["type"].rsplit(":", 1)[-1]
        lines.append(f'  {_node(r["name"])}["{r["name"]}<br/><small>{short}</small>"]')
        if r["parent"]:
            lines.append(f"  {_node(r['parent'])} --> {_node(r['name'])}")
    return "\n".join(lines) + "\n"


def break_token(token: str, width: int) -> list[str]:
    """`token` in lines of at most `width` characters, broken only after a `:` or `/` (the joints of a Pulumi type
    token), never inside a word; a part without such a joint stays whole even when longer."""
    parts = re.findall(r"[^:/]*(?:[:/]|$)", token)
    lines: list[str] = []
    for part in (p for p in parts if p):
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return lines or [token]


def table_lines(plan: Sequence[Any], width: int) -> list[tuple[str, str]]:
    """The table view as (text, style) lines: resources grouped under their type, one resource a line. A type
    token (`aws:s3/bucketServerSideEncryptionConfiguration:…`) has no space to wrap at: as a heading of its own it
    gets the whole width (and breaks at its joints when even that is too narrow), where a table column squeezed
    to 80 columns cut it mid-word."""
    resources = [r for r in plan if not r["type"].startswith("pulumi:providers:")]
    by_type: dict[str, list[Any]] = {}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    lines = [(f"Resources ModelMonitor would create: {len(resources)} of {len(by_type)} types "
              f"(and {len(plan) - len(resources)} provider(s))", "bold")]
    for typ, members in by_type.items():
        lines.append(("", ""))
        heading = break_token(f"{typ}  ×{len(members)}", width)
        lines.extend((part, "bold cyan") for part in heading)
        lines.extend((f"  {r['name']}" + (f"  in {r['parent']}" if r["parent"] else ""), "") for r in members)
    return lines


def print_table(plan: Sequence[Any]) -> None:
    from rich.text import Text

    from modelmonitor.commands.output import stdout_console

    console = stdout_console(highlight=False)
    for text, style in table_lines(plan, console.width):
        console.print(Text(text, style=style), overflow="fold")


def run(args: argparse.Namespace) -> int:
    try:
        monitors = load_monitors(*args.paths)
    except ManifestError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    from modelmonitor.components.program import ProgramSettings, check_analyzer_image_provided
    from modelmonitor.components.render import render_plan  # Pulumi imports only when rendering

    settings = ProgramSettings(analyzer_build_context=args.analyzer_build_context,
                               analyzer_image_pushed=args.analyzer_image_pushed)
    documents = [m.document for m in monitors]
    try:
        check_analyzer_image_provided(documents, settings)
        plan = render_plan(documents, region=args.region, settings=settings)
    except ModelMonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.output == "json":
        sys.stdout.write(as_json(plan) + "\n")
    elif args.output == "mermaid":
        sys.stdout.write(as_mermaid(plan))
    else:
        print_table(plan)
        for monitor in monitors:
            if (note := attribution_cost_note(monitor.document)) is not None:
                print(note)
    return 0


def attribution_cost_note(document: ModelMonitorDocument) -> str | None:
    """What one feature attribution run costs in model calls (`clarify_config.attribution_rows_per_run`)."""
    from modelmonitor.components.clarify_config import attribution_rows_per_run

    attribution = document.spec.feature_attribution
    rows = attribution_rows_per_run(attribution) if attribution.enabled else None
    if rows is None:
        return None
    return (f"{document.metadata.namespace}/{document.metadata.name}: each feature attribution run sends at most "
            f"{rows:,} rows to the model (background + rows + rows x coalitions x background)")
