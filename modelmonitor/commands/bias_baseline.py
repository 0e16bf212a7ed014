"""`modelmonitor baseline DATA -o DIR --bias-config FILE [--bias-tolerance DPPL=0.1,...]`: the bias baseline,
Clarify's `analysis.json` of a labelled CSV dataset with a header (`analyzer/quality/bias_analysis.dataset_analysis`),
for `modelBias.baseline`; with a tolerance also `constraints.json`, the configured band (bias_report.with_tolerance),
as `pulumi up` writes it for `modelBias.baseline.dataset.tolerance`."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.bias_analysis import dataset_analysis
from modelmonitor.analyzer.quality.bias_baseline import read_columns
from modelmonitor.analyzer.quality.bias_config import BiasConfigError, parse_config
from modelmonitor.analyzer.quality.bias_report import check_tolerance, with_tolerance

EXIT_USAGE = 2


def parse_tolerance(text: str) -> dict[str, float]:
    """`DPPL=0.1,DI=0.2` → {"DPPL": 0.1, "DI": 0.2}; ValueError naming the part that is wrong."""
    tolerance: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, margin = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{part!r} is not METRIC=MARGIN")
        try:
            tolerance[name.strip()] = float(margin)
        except ValueError:
            raise ValueError(f"{part!r}: the margin is not a number") from None
    return tolerance


def write_bias_baseline(data: str, config_path: str, output: str, *, tolerance: str | None = None) -> int:
    band: dict[str, float] = {}
    if tolerance is not None:
        try:
            band = parse_tolerance(tolerance)
            check_tolerance(band)  # before any work: nothing half-written
        except ValueError as exc:
            print(f"error: --bias-tolerance: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        config = parse_config(orjson.loads(Path(config_path).read_bytes()))
    except OSError as exc:
        print(f"error: --bias-config {config_path}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except orjson.JSONDecodeError as exc:
        print(f"error: --bias-config {config_path} is not JSON: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BiasConfigError as exc:
        print(f"error: --bias-config {config_path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        columns = read_columns([Path(data)])
    except OSError as exc:
        print(f"error: {data}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except AnalyzerInputError as exc:
        print(f"error: {data}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        analysis = dataset_analysis(columns, config)
    except BiasConfigError as exc:
        print(f"error: {data}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    target = Path(output) / "analysis.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(orjson.dumps(analysis, option=orjson.OPT_INDENT_2))
    print(f"wrote {target}")
    if band:
        constraints = target.with_name("constraints.json")
        constraints.write_bytes(orjson.dumps(with_tolerance(analysis, band), option=orjson.OPT_INDENT_2))
        print(f"wrote {constraints}: the band (upload it and set modelBias.baseline.analysisS3Uri to it)")
    return 0
