"""The bias demo's accepted band: the training set's bias analysis, widened by an hour's sampling noise.

AWS's bias-drift rule flags a metric whose value is farther from balance than the baseline constraint's (0 for the
differences, 1 for the ratio DI; https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-
violations.html — "if the baseline constraint of DPPL is 0.2 ... -0.3 is farther from 0"). The constraint file is an
analysis.json, and the training set's analysis taken as-is would make that limit the expected value itself: an hour
of a few hundred requests lands beyond it about every other hour. So the team writes its tolerance into the
constraint, as AWS's example does: each watched metric moves away from balance by `Z` standard errors of its value
over one hour's labelled requests. Metrics not listed here are not in the constraint file, so they are reported,
never judged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelmonitor.analyzer.quality.bias_report import balance, with_tolerance

Z = 3.5
"""Standard errors of tolerance: a clean metric-hour lands outside with probability about 0.05 %."""
WATCHED = {"pre_training_bias": ("DPL",), "post_training_bias": ("DPPL", "DI")}
"""The metrics the team judges, as Clarify's analysis configuration names them (`methods`)."""
_SECTIONS = {"pre_training_bias_metrics": WATCHED["pre_training_bias"],
             "post_training_bias_metrics": WATCHED["post_training_bias"]}


@dataclass(frozen=True)
class GroupRates:
    """Favourable rates of the advantaged (a) and disadvantaged (d) group, and the rows each has in one window."""

    a: float
    d: float
    n_a: float
    n_d: float


def standard_errors(labels: GroupRates, predictions: GroupRates) -> dict[str, float]:
    """Standard error of DPL (labels), DPPL (predictions) — a difference of two proportions — and of DI = q̂d / q̂a
    by the delta method, at the window's group sizes."""
    def difference(r: GroupRates) -> float:
        return math.sqrt(r.a * (1 - r.a) / r.n_a + r.d * (1 - r.d) / r.n_d)

    p = predictions
    ratio = (p.d / p.a) * math.sqrt((1 - p.d) / (p.n_d * p.d) + (1 - p.a) / (p.n_a * p.a))
    return {"DPL": difference(labels), "DPPL": difference(predictions), "DI": ratio}


def band(value: float, name: str) -> tuple[float, float]:
    """The interval a window's value may take without a violation, for a constraint `value`."""
    centre = balance(name)
    return centre - abs(value - centre), centre + abs(value - centre)


def accepted_band(analysis: Mapping[str, Any], tolerances: Mapping[str, float]) -> dict[str, Any]:
    """The constraint file: the product's configured band (`modelBias.baseline.dataset.tolerance`,
    bias_report.with_tolerance) with the demo's tolerances. The demo's analysis holds the watched metrics only."""
    return with_tolerance(analysis, tolerances)


def metric_values(analysis: Mapping[str, Any], facet: str) -> dict[str, float]:
    """The watched metrics' values of the facet's (first) group in an analysis.json."""
    values: dict[str, float] = {}
    for section, watched in _SECTIONS.items():
        for split in ((analysis.get(section) or {}).get("facets", {}).get(facet) or [])[:1]:
            for entry in split.get("metrics", []):
                if entry.get("name") in watched and isinstance(entry.get("value"), int | float):
                    values[entry["name"]] = float(entry["value"])
    return values
