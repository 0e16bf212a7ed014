"""`modelmonitor baseline DATA -o DIR --bias-config FILE`: the bias baseline, Clarify's `analysis.json` of a labelled
CSV dataset with a header (`analyzer/quality/bias_analysis.dataset_analysis`), for `modelBias.baseline`."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.quality.bias_analysis import dataset_analysis
from modelmonitor.analyzer.quality.bias_baseline import read_columns
from modelmonitor.analyzer.quality.bias_config import BiasConfigError, parse_config

EXIT_USAGE = 2


def write_bias_baseline(data: str, config_path: str, output: str) -> int:
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
    return 0
