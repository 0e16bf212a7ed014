"""Evidently 0.7 DataDriftPreset on the benchmark CSVs; prints one JSON result line.

Evidently picks the test per column (by type and size: K-S / chi-square p-values for small reference data,
normed Wasserstein / Jensen-Shannon distances otherwise). Its ValueDrift metric reports the score; a column drifts
when a p-value is below the threshold or a distance is at or above it, as Evidently's own stattests decide.
"""

from __future__ import annotations

import warnings
from typing import Any

# common sets the telemetry switches: it is imported before the peer library.
from common import arguments, emit, load, timed, windows

# isort: split
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset


def column_verdicts(snapshot: Any) -> dict[str, dict[str, Any]]:
    verdicts: dict[str, dict[str, Any]] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config["type"].endswith(":ValueDrift"):
            continue
        method, threshold, score = config["method"], config["threshold"], metric["value"]
        drifted = score < threshold if "p_value" in method else score >= threshold
        verdicts[config["column"]] = {"method": method, "threshold": threshold, "score": score, "drift": bool(drifted)}
    return verdicts


def main() -> None:
    args = arguments(__doc__ or "")
    timings: dict[str, float] = {}
    reference, current, features, _ = load(args, timings)
    chunks = []
    with timed(timings, "compute_s"), warnings.catch_warnings():
        # scipy warns on empty categories inside Evidently's chi-square; the verdict is still Evidently's.
        warnings.simplefilter("ignore")
        for key, window in windows(current, args.chunk_column):
            snapshot = Report([DataDriftPreset(columns=features)]).run(window, reference[features])
            verdicts = column_verdicts(snapshot)
            chunks.append({"key": key, "rows": len(window),
                           "drifted": sorted(c for c, v in verdicts.items() if v["drift"]), "columns": verdicts})
    emit({"tool": "evidently", "version": evidently.__version__, "rows_ref": len(reference),
          "rows_cur": len(current), "timings": timings, "chunks": chunks,
          "drifted": sorted({c for chunk in chunks for c in chunk["drifted"]})})


if __name__ == "__main__":
    main()
