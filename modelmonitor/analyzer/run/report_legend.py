"""What the HTML report says about its numbers: one entry per method (column label, what it measures, the rule
behind its threshold, whether it decides drift) and the tooltip of each value. Pure text; `report.py` lays it
out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from modelmonitor.analyzer.methods.linf import DEEQU_C_ALPHA


@dataclass(frozen=True)
class MethodText:
    key: str
    label: str
    measures: str
    rule: str
    """How its threshold is applied, with `{t}` for the threshold the run used."""
    rule_by_p: bool = False
    """The threshold is a significance level on the p-value, not a bound on the statistic."""


DECIDING = MethodText(
    "linf", "L∞",
    "the largest gap between the baseline's and the window's distribution: cumulative shares for numbers, "
    "category shares for categories (SageMaker's statistic)",
    "drift when above {t}")

SUPPORTING = (
    MethodText("psi", "PSI", "population stability index over the baseline's deciles (categories: one bin each)",
               "the usual rule of thumb flags values above {t}"),
    MethodText("ks", "KS D", "Kolmogorov-Smirnov statistic: the largest gap between the two cumulative "
               "distributions, with its p-value", "the usual rule flags p below {t}", rule_by_p=True),
    MethodText("js", "JS", "Jensen-Shannon distance (base 2, 0 to 1) between the binned distributions",
               "the usual rule flags values above {t}"),
    MethodText("wasserstein", "W (σ)", "Wasserstein-1 distance divided by the baseline's standard deviation "
               "(how far, in baseline σ, values moved)", "the usual rule flags values above {t}"),
    MethodText("chi2", "χ² V", "Cramér's V of a χ² test of homogeneity between the category counts",
               "our rule flags p below 0.01 with V at least {t}"),
)
METHODS = (DECIDING, *SUPPORTING)

ROBUST_NOTE = (f"Robust (SageMaker's default) subtracts what sampling alone explains at these sizes, "
               f"{DEEQU_C_ALPHA}·√((n+m)/(n·m)) for n baseline and m window values (Deequ's rule), and shows 0 "
               f"when nothing is left: 0 means the difference is within sampling noise, not that the "
               f"distributions are equal (the cell gives the raw distance). Simple compares the raw distance.")

SUPPORTING_NOTE = ("Only L∞ decides drift, as in SageMaker's analyzer. The other statistics are shown neutrally, "
                   "in grey: their usual thresholds do not depend on the sample size, so a small window crosses "
                   "them by chance on features that did not change. Hover a value for its rule.")


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


def robust_allowance(baseline_count: float, current_count: float) -> float | None:
    if baseline_count <= 0 or current_count <= 0:
        return None
    return DEEQU_C_ALPHA * math.sqrt((baseline_count + current_count) / (baseline_count * current_count))


def raw_distance(result: dict[str, Any]) -> float | None:
    """The simple L∞ distance a Robust result was computed from (the method writes it into its note)."""
    note = str(result.get("note") or "")
    marker = "simple distance "
    if marker not in note:
        return None
    try:
        return float(note.split(marker, 1)[1].split(maxsplit=1)[0].rstrip(";,"))
    except ValueError:
        return None


def deciding_tooltip(result: dict[str, Any], entry: dict[str, Any]) -> str:
    value, threshold = result.get("statistic"), result.get("threshold")
    verdict = "drift" if result.get("drifted") else "no drift"
    text = f"L∞ {fmt(value, 4)}, threshold {fmt(threshold)}: {verdict}."
    raw = raw_distance(result)
    if raw is not None:
        allowance = robust_allowance(float(entry["baseline_count"]), float(entry["current_count"]))
        text += (f" Robust: raw distance {fmt(raw, 4)} minus the sampling allowance "
                 f"{fmt(allowance, 3)} (n={int(entry['baseline_count'])}, m={int(entry['current_count'])}), "
                 f"floored at 0.")
    return text


def supporting_tooltip(method: MethodText, result: dict[str, Any]) -> str:
    threshold = result.get("threshold")
    text = f"{method.label} {fmt(result.get('statistic'), 4)}"
    if result.get("p_value") is not None:
        text += f", p {fmt(result['p_value'], 3)}"
    rule = method.rule.format(t=fmt(threshold))
    text += f". {rule[0].upper()}{rule[1:]}"
    crossed = "crosses it" if result.get("drifted") else "stays within it"
    return f"{text}; this value {crossed}. Informational: it does not decide drift."


def legend_items(thresholds: dict[str, str], comparison_method: str) -> list[tuple[str, str]]:
    """(label, explanation) per method, with the thresholds this run used (formatted)."""
    items = []
    for method in METHODS:
        rule = method.rule.format(t=thresholds.get(method.key, "–"))
        role = "Decides drift" if method is DECIDING else "Informational"
        extra = f" Comparison: {comparison_method}. {ROBUST_NOTE}" if method is DECIDING else ""
        items.append((method.label, f"{method.measures}. {role}: {rule}.{extra}"))
    return items
