"""What `modelmonitor analyze` prints: the verdict as one JSON document (`--json`, for scripts) or as lines for
people, whose numbers are rounded (the files keep full precision). Pure functions over the run's result and the
`drift_report.json` it wrote."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

VERDICT_VERSION = 1

def drifted_features(drift_report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each drifted feature with the distance that decided it (the L∞ statistic, `drift_report.json`)."""
    method = str(drift_report.get("comparison_method", ""))
    found = []
    for feature in drift_report.get("features", []):
        if not feature.get("drifted"):
            continue
        linf = feature.get("methods", {}).get("linf", {})
        found.append({"name": feature["name"], "inferred_type": feature.get("inferred_type"), "method": "linf",
                      "comparison_method": method, "distance": linf.get("statistic"),
                      "threshold": linf.get("threshold")})
    return found


def verdict_document(*, status: str, insufficient_data: bool, records: int, malformed: int, unpaired: int,
                     violations: Sequence[Mapping[str, str]], drift_report: Mapping[str, Any],
                     outputs: Mapping[str, str]) -> dict[str, Any]:
    """The `--json` document (its schema: docs/analyzer.md, "Verdict on stdout")."""
    return {
        "version": VERDICT_VERSION, "status": status, "insufficient_data": insufficient_data,
        "records": records, "malformed_records": malformed, "unpaired_records": unpaired,
        "violations": [dict(v) for v in violations],
        "drifted_features": drifted_features(drift_report),
        "outputs": dict(outputs),
    }


def people_lines(document: Mapping[str, Any], summary: str) -> list[str]:
    """The verdict for a terminal: the status line and one line per violation (a drifted feature's violation
    carries its distance and threshold)."""
    from modelmonitor.analyzer.run.people_numbers import round_for_people  # the report rounds the same way

    lines = [f"{document['status']}: {round_for_people(summary)}"]
    for v in document["violations"]:
        lines.append(f"  {v['constraint_check_type']}  {v['feature_name']}: {round_for_people(v['description'])}")
    return lines
