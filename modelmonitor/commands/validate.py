"""`modelmonitor validate PATH...`: check ModelMonitor documents without touching AWS."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from modelmonitor.errors import ManifestError
from modelmonitor.loader import LoadedMonitor, load_monitors

ENGINE_NOTES = {
    "modelMonitor": "SageMaker Model Monitor schedules. Only for accounts that still have Model Monitor (AWS no "
                    "longer opens it to new customers); any window size the processing instance can hold.",
    "lambda": "our analyzer in Lambda, the default. Any account, no Model Monitor needed; for windows that fit "
              "Lambda's 15 min / 10 GB (most hourly windows; larger ones fail loudly, naming processingJob).",
    "processingJob": "our analyzer in SageMaker Processing jobs via Step Functions. Any account; for windows too "
                     "large for Lambda (instanceCount > 1 shards them).",
}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "validate", help="validate ModelMonitor manifests (files or directories)",
        description="Check ModelMonitor documents against the spec offline (no AWS, no cluster): every problem of "
                    "every file is reported with its file, document and field.",
        epilog="exit status: 0 all valid; 1 invalid manifests (each problem reported); 2 usage error, or a named "
               "file or directory that does not exist or holds no manifest",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest file or directory of *.yaml")
    parser.add_argument("--output", choices=["text", "json"], default="text")
    parser.set_defaults(run=run)


def summarize(monitor: LoadedMonitor) -> dict[str, Any]:
    doc = monitor.document
    spec = doc.spec
    return {
        "source": monitor.source,
        "namespace": doc.metadata.namespace,
        "name": doc.metadata.name,
        "endpoint": doc.monitored_endpoint or (spec.batch_transform.destination_s3_uri
                                               if spec.batch_transform is not None else ""),
        "endpointMode": spec.endpoint_mode,
        "region": spec.region,
        "engine": spec.engine,
        "dataQuality": spec.data_quality.schedule if spec.data_quality.enabled else "off",
        "modelQuality": spec.model_quality.schedule if spec.model_quality.enabled else "off",
        "modelBias": spec.model_bias.schedule if spec.model_bias.enabled else "off",
        "featureAttribution": spec.feature_attribution.schedule if spec.feature_attribution.enabled else "off",
        "attributionModelRowsPerRun": _rows_per_run(spec.feature_attribution)
        if spec.feature_attribution.enabled else None,
        "baseline": "dataset" if spec.baseline.dataset is not None else "precomputed",
    }


def _rows_per_run(attribution: Any) -> int | None:
    # Imported when needed: `modelmonitor --help` loads every command module, and this one pulls in NumPy.
    from modelmonitor.components.clarify_config import attribution_rows_per_run

    return attribution_rows_per_run(attribution)


def _line(s: dict[str, Any]) -> str:
    return (f"ok  {s['source']}  {s['namespace']}/{s['name']}  endpoint={s['endpoint']} ({s['endpointMode']})"
            f"  region={s['region']}  engine={s['engine']}  dataQuality={s['dataQuality']}"
            f"  modelQuality={s['modelQuality']}  modelBias={s['modelBias']}"
            f"  featureAttribution={s['featureAttribution']}  baseline={s['baseline']}"
            + (f"\n    feature attribution calls the model: at most {s['attributionModelRowsPerRun']:,} rows per run "
               "(background + rows + rows x coalitions x background, capped by maxModelRows)"
               if s["attributionModelRowsPerRun"] is not None else ""))


def run(args: argparse.Namespace) -> int:
    try:
        monitors = load_monitors(*args.paths)
    except ManifestError as exc:
        if args.output == "json":
            problems = [{"source": p.source, "document": p.document, "path": p.path, "message": p.message}
                        for p in exc.problems]
            print(json.dumps({"valid": False, "errors": problems}, indent=2))
        else:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 2 if exc.missing_input else 1
    from modelmonitor.components.spec_checks import plan_problems

    refused = [(m, refusal) for m in monitors for refusal in plan_problems(m.document.spec)]
    if refused:
        for monitor, refusal in refused:
            print(f"error: {monitor.source}: {monitor.document.metadata.name}: {refusal}", file=sys.stderr)
        print(f"{len(refused)} problem(s) found", file=sys.stderr)
        return 1
    summaries = [summarize(m) for m in monitors]
    if args.output == "json":
        print(json.dumps({"valid": True, "monitors": summaries}, indent=2))
    else:
        for s in summaries:
            print(_line(s))
        engines = sorted({s["engine"] for s in summaries})
        for engine in engines:
            print(f"engine {engine}: {ENGINE_NOTES[engine]}")
    return 0
