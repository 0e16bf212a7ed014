"""How the bias demo chooses its tolerance: an hour's sampling noise of each watched metric.

AWS's bias-drift rule flags a metric whose value is farther from balance than the baseline constraint's (0 for the
differences, 1 for the ratio DI; https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-
violations.html — "if the baseline constraint of DPPL is 0.2 ... -0.3 is farther from 0"). Taken as is, the training
set's value would be the edge of the band: an hour of a few hundred requests lands beyond it about every other hour.
So the demo gives `modelmonitor baseline --bias-tolerance` (the product's configured band, bias_report.with_tolerance)
`Z` standard errors of each watched metric over one hour's labelled requests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelmonitor.analyzer.quality.bias_report import balance

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


def metric_values(analysis: Mapping[str, Any], facet: str) -> dict[str, float]:
    """The watched metrics' values of the facet's (first) group in an analysis.json."""
    values: dict[str, float] = {}
    for section, watched in _SECTIONS.items():
        for split in ((analysis.get(section) or {}).get("facets", {}).get(facet) or [])[:1]:
            for entry in split.get("metrics", []):
                if entry.get("name") in watched and isinstance(entry.get("value"), int | float):
                    values[entry["name"]] = float(entry["value"])
    return values
