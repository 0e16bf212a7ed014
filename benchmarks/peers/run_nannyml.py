"""NannyML UnivariateDriftCalculator on the benchmark CSVs; prints one JSON result line.

NannyML judges drift per chunk: thresholds for distance methods come from the spread of the metric over the
reference chunks (mean ± 3 sd), chi2 alerts on p < 0.05. The same chunker splits reference and analysis data, so a
chunk count (not one giant chunk) is what lets NannyML set its thresholds at all. A feature is reported drifted when
any analysis chunk alerts on it.
"""

from __future__ import annotations

import argparse
from typing import Any

# common sets the telemetry switches: it is imported before the peer library.
from common import arguments, emit, load, timed

# isort: split
import nannyml
from nannyml.drift.univariate import UnivariateDriftCalculator


def extra_arguments(parser: argparse.ArgumentParser) -> None:
    chunking = parser.add_mutually_exclusive_group()
    chunking.add_argument("--chunk-size", type=int, default=None)
    chunking.add_argument("--chunk-number", type=int, default=None)
    parser.add_argument("--continuous-method", default="kolmogorov_smirnov")
    parser.add_argument("--categorical-method", default="chi2")


def chunk_alerts(data: Any, features: list[str]) -> list[dict[str, Any]]:
    """Per analysis chunk: its key, rows covered and the features NannyML raised an alert for."""
    analysis = data[data["chunk", "chunk", "period"] == "analysis"]
    chunks = []
    for _, row in analysis.iterrows():
        # An alert cell is a (numpy) bool, or NaN when NannyML could not compute the method for that chunk.
        alerts = sorted(column for column, method, field in analysis.columns
                        if field == "alert" and column in features and row[column, method, field] == 1)
        values = {column: float(row[column, method, "value"]) for column, method, field in analysis.columns
                  if field == "value" and column in features}
        chunks.append({"key": str(row["chunk", "chunk", "key"]), "index": int(row["chunk", "chunk", "chunk_index"]),
                       "start": int(row["chunk", "chunk", "start_index"]),
                       "end": int(row["chunk", "chunk", "end_index"]), "drifted": alerts, "values": values})
    return chunks


def main() -> None:
    args = arguments(__doc__ or "", extra_arguments)
    timings: dict[str, float] = {}
    reference, current, features, categorical = load(args, timings)
    if args.chunk_column is not None:
        current = current.drop(columns=[args.chunk_column])
    chunking = {"chunk_size": args.chunk_size} if args.chunk_size else {"chunk_number": args.chunk_number or 10}
    calculator = UnivariateDriftCalculator(
        column_names=features, treat_as_categorical=categorical or None,
        continuous_methods=[args.continuous_method], categorical_methods=[args.categorical_method], **chunking,
    )
    with timed(timings, "fit_s"):
        calculator.fit(reference)
    with timed(timings, "calculate_s"):
        result = calculator.calculate(current)
    chunks = chunk_alerts(result.data, features)
    emit({"tool": "nannyml", "version": nannyml.__version__, "rows_ref": len(reference), "rows_cur": len(current),
          "chunking": chunking, "methods": [args.continuous_method, args.categorical_method], "timings": timings,
          "chunks": chunks, "drifted": sorted({c for chunk in chunks for c in chunk["drifted"]})})


if __name__ == "__main__":
    main()
