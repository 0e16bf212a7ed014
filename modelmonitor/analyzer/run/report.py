"""Self-contained HTML drift report: one file, inline CSS and SVG, a few lines of inline script, no network
fetches (a Content-Security-Policy forbids them). A header naming the inputs, the verdict and every violation in
full, a legend of the methods; drifted features first; per feature a baseline-vs-current distribution plot and
every method's value, styled by what decides drift (L∞ only; the others are shown neutrally). Light enough for
hundreds of features."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from modelmonitor.analyzer.base.binning import bin_counts
from modelmonitor.analyzer.base.distributions import FloatArray, WeightedSample
from modelmonitor.analyzer.run.checks import Violation
from modelmonitor.analyzer.run.people_numbers import round_for_people
from modelmonitor.analyzer.run.report_legend import (
    DECIDING,
    SUPPORTING,
    SUPPORTING_NOTE,
    deciding_tooltip,
    fmt,
    legend_items,
    raw_distance,
    supporting_tooltip,
)
from modelmonitor.analyzer.run.statsfile import ReferenceFeature
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats

PLOT_BINS = 24
TOP_CATEGORIES = 10
WIDTH, HEIGHT, PAD = 300, 96, 14
OPEN_VIOLATIONS = 12
LABEL_CHARS = 8
"""Characters of a category label under its bars (300 px for ten categories); the whole label shows on hover."""


@dataclass(frozen=True)
class ReportContext:
    """What the run knows beyond drift_report.json: where the data and baseline came from, when it ran, and the
    violations with their full descriptions."""
    dataset: str = ""
    baseline: str = ""
    baseline_records: int | None = None
    generated_at: datetime | None = None
    violations: Sequence[Violation] = field(default_factory=tuple)

CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1e293b;background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
main{padding:16px 24px}.sum span{margin-right:18px}.bad{color:#b91c1c;font-weight:600}.ok{color:#15803d}
table{border-collapse:collapse;background:#fff;width:100%;margin:12px 0 24px}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.l,th.l{text-align:left}th{background:#f1f5f9;position:sticky;top:0}
td.d{color:#b91c1c;font-weight:600}.na{color:#94a3b8}td.s{color:#64748b}th.dec{background:#e2e8f0}
td.v{white-space:normal;text-align:left;max-width:340px;font-size:12px}.warn{color:#b45309;font-weight:600}
header .sum{display:flex;flex-wrap:wrap;gap:2px 18px;font-size:13px;color:#cbd5e1}header .sum b{color:#f8fafc}
.verdict{font-size:16px;margin:4px 0 8px}.verdict.bad{color:#fecaca}.verdict.ok{color:#bbf7d0}
.viol li{margin:2px 0}.viol code,.legend code{background:#f1f5f9;padding:0 3px;border-radius:3px}
dl.methods{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0 16px;font-size:13px}
dl.methods dt{font-weight:600}dl.methods dd{margin:0;color:#334155}
details{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:6px 12px;margin:8px 0}
summary{cursor:pointer;font-weight:600}[title]{cursor:help}small.raw{color:#94a3b8}.nw{white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:8px 10px}
.card.drift{border-color:#fca5a5;box-shadow:0 0 0 1px #fca5a5}.card h3{margin:0 0 4px;font-size:14px;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap}.card p{margin:2px 0;font-size:12px;color:#475569}
svg{display:block}.dist i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
.hidden{display:none}
"""

SCRIPT = """
document.getElementById('only').addEventListener('change', function (e) {
  var only = e.target.checked;
  document.querySelectorAll('[data-clean]').forEach(function (el) { el.classList.toggle('hidden', only); });
});
"""


_num = fmt


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bars_path(props: FloatArray, top: float, x0: float, width: float) -> str:
    """All bars as one path (one DOM node per series keeps big reports light)."""
    scale = (HEIGHT - 2 * PAD) / top if top > 0 else 0.0
    step = width / props.size
    parts = []
    for i, p in enumerate(props):
        h = p * scale
        if h > 0:
            parts.append(f"M{x0 + i * step:.1f} {HEIGHT - PAD:.1f}v{-h:.1f}h{step * 0.9:.1f}v{h:.1f}z")
    return "".join(parts)


def _numeric_svg(ref: WeightedSample, cur: WeightedSample, drifted: bool, integral: bool) -> str:
    pooled = np.concatenate([ref.values, cur.values])
    if not pooled.size:
        return ""
    lo, hi = (float(v) for v in np.quantile(pooled, [0.005, 0.995]))
    n_bins = PLOT_BINS
    if integral and hi - lo < 3 * PLOT_BINS:
        # One bin per integer (or per few): equal-width bins over integers would alias into empty bins.
        per_bin = max(1, math.ceil((hi - lo + 1) / PLOT_BINS))
        n_bins = max(1, math.ceil((hi - lo + 1) / per_bin))
        lo, hi = math.floor(lo) - 0.5, math.floor(lo) - 0.5 + n_bins * per_bin
    elif hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    inner = np.linspace(lo, hi, n_bins + 1)[1:-1]
    p = bin_counts(ref.values, inner, ref.weights)
    q = bin_counts(cur.values, inner, cur.weights) if cur.values.size else np.zeros_like(p)
    p, q = p / max(p.sum(), 1e-12), q / max(q.sum(), 1e-12)
    top = float(max(p.max(), q.max()))
    width = WIDTH - 2 * PAD
    scale = (HEIGHT - 2 * PAD) / top if top > 0 else 0.0
    step = width / n_bins
    points = " ".join(f"{PAD + (i + 0.5) * step:.1f},{HEIGHT - PAD - v * scale:.1f}" for i, v in enumerate(q))
    color = "#dc2626" if drifted else "#2563eb"
    current = f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>' if q.sum() else ""
    return (f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
            f'<path fill="#cbd5e1" d="{_bars_path(p, top, PAD, width)}"/>{current}'
            f'<text x="{PAD}" y="{HEIGHT - 2}" font-size="10" fill="#64748b">{_esc(_num(lo))}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 2}" font-size="10" fill="#64748b" text-anchor="end">'
            f'{_esc(_num(hi))}</text></svg>')


def _categorical_svg(ref: dict[str, float], cur: dict[str, float], drifted: bool) -> str:
    rt, ct = sum(ref.values()) or 1.0, sum(cur.values()) or 1.0
    labels = sorted(set(ref) | set(cur), key=lambda k: -max(ref.get(k, 0) / rt, cur.get(k, 0) / ct))
    labels = labels[:TOP_CATEGORIES]
    if not labels:
        return ""
    p = np.array([ref.get(k, 0) / rt for k in labels])
    q = np.array([cur.get(k, 0) / ct for k in labels])
    top = float(max(p.max(), q.max()))
    width = WIDTH - 2 * PAD
    step = width / len(labels)
    scale = (HEIGHT - 2 * PAD) / top if top > 0 else 0.0
    color = "#dc2626" if drifted else "#2563eb"
    cur_bars = "".join(f"M{PAD + i * step + step * 0.45:.1f} {HEIGHT - PAD:.1f}v{-v * scale:.1f}"
                       f"h{step * 0.4:.1f}v{v * scale:.1f}z" for i, v in enumerate(q) if v > 0)
    ref_bars = "".join(f"M{PAD + i * step + step * 0.05:.1f} {HEIGHT - PAD:.1f}v{-v * scale:.1f}"
                       f"h{step * 0.4:.1f}v{v * scale:.1f}z" for i, v in enumerate(p) if v > 0)
    names = "".join(f'<text x="{PAD + (i + 0.5) * step:.1f}" y="{HEIGHT - 2}" font-size="9" fill="#64748b" '
                    f'text-anchor="middle"><title>{_esc(k)}</title>{_esc(_short(k))}</text>'
                    for i, k in enumerate(labels))
    return (f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
            f'<path fill="#cbd5e1" d="{ref_bars}"/><path fill="{color}" d="{cur_bars}"/>{names}</svg>')


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _plot(entry: dict[str, Any], ref: ReferenceFeature | None, col: ColumnStats | None) -> str:
    if ref is None or col is None:
        return '<p class="na">no distribution to plot</p>'
    if ref.is_numeric and ref.sample is not None:
        return _numeric_svg(ref.sample, col.sketch.sample(), bool(entry["drifted"]),
                            integral=ref.inferred_type == "Integral")
    if ref.categories is not None and col.categories is not None:
        return _categorical_svg(dict(ref.categories.counts), {k: float(v) for k, v in col.categories.items()},
                                bool(entry["drifted"]))
    return '<p class="na">no distribution to plot</p>'


def _deciding_cell(result: dict[str, Any] | None, entry: dict[str, Any]) -> str:
    if result is None:
        return '<td class="na">–</td>'
    if result["status"] == "insufficient_data":
        return '<td class="na" title="fewer than 30 values on a side: no verdict">n/a</td>'
    cls = "d" if result["drifted"] else ""
    return (f'<td class="{cls}" title="{_esc(deciding_tooltip(result, entry))}">{_esc(_num(result["statistic"]))}'
            f'{_raw_note(result)}</td>')


def _raw_note(result: dict[str, Any]) -> str:
    """A Robust 0 says "within sampling noise": the raw distance beside it keeps it from reading as "identical"."""
    raw = raw_distance(result)
    if raw is None or result["statistic"] != 0:
        return ""
    return f' <small class="raw">(raw {_esc(_num(raw, 2))})</small>'


def _supporting_cell(key: str, result: dict[str, Any] | None) -> str:
    if result is None:
        return '<td class="na">–</td>'
    if result["status"] == "insufficient_data":
        return '<td class="na" title="fewer than 30 values on a side: no value">n/a</td>'
    text = _num(result["statistic"])
    if result.get("p_value") is not None:
        text += f" (p {_num(result['p_value'], 2)})"
    method = next(m for m in SUPPORTING if m.key == key)
    return f'<td class="s" title="{_esc(supporting_tooltip(method, result))}">{_esc(text)}</td>'


def _descriptions(entry: dict[str, Any], context: ReportContext) -> dict[str, str]:
    return {v.constraint_check_type: v.description for v in context.violations if v.feature_name == entry["name"]}


def _row(i: int, entry: dict[str, Any], context: ReportContext) -> str:
    clean = "" if entry["violations"] else " data-clean"
    status = '<span class="bad">drift</span>' if entry["drifted"] else (
        '<span class="warn">violations</span>' if entry["violations"] else '<span class="ok">ok</span>')
    methods = entry["methods"]
    cells = _deciding_cell(methods.get(DECIDING.key), entry) + "".join(
        _supporting_cell(m.key, methods.get(m.key)) for m in SUPPORTING)
    found = _descriptions(entry, context)
    checks = "<br>".join(f"<b>{_esc(check)}</b>: {_esc(round_for_people(found[check]))}" if check in found
                         else _esc(check)
                         for check in entry["violations"]) or "–"
    completeness = entry.get("completeness")
    return (f'<tr{clean}><td><a href="#f{i}">{_esc(entry["name"])}</a></td><td class="l">'
            f'{_esc(entry["inferred_type"])}</td><td class="l">{status}</td>'
            f'<td class="v">{checks}</td>{cells}'
            f'<td>{"–" if completeness is None else f"{completeness:.1%}"}</td></tr>')


def _card(i: int, entry: dict[str, Any], ref: ReferenceFeature | None, col: ColumnStats | None) -> str:
    clean = "" if entry["violations"] else " data-clean"
    cls = "card drift" if entry["drifted"] else "card"
    linf = entry["methods"].get("linf")
    linf_text = "" if linf is None else (f"· <span class=\"nw\">L∞ {_esc(_num(linf['statistic']))}"
                                         f"{_raw_note(linf)}, threshold {_esc(_num(linf['threshold']))}</span>")
    return (f'<div class="{cls}" id="f{i}"{clean}><h3 title="{_esc(entry["name"])}">{_esc(entry["name"])}</h3>'
            f'<p>{_esc(entry["inferred_type"])} · baseline {int(entry["baseline_count"])} · current '
            f'{int(entry["current_count"])} {linf_text}</p>{_plot(entry, ref, col)}</div>')


def _header(report: dict[str, Any], context: ReportContext) -> str:
    window = report.get("window") or {}
    facts = [("data", context.dataset or "–"), ("baseline", context.baseline or "–"),
             ("records", f"{int(report['item_count'])} in the window, {int(report['malformed_records'])} malformed"
              + ("" if context.baseline_records is None else f"; {context.baseline_records} in the baseline"))]
    if report.get("endpoint"):
        facts.append(("endpoint", report["endpoint"]))
    if report.get("schedule"):
        facts.append(("schedule", report["schedule"]))
    if window:
        facts.append(("window", f"{window.get('start', '–')} → {window.get('end', '–')}"))
    if context.generated_at is not None:
        facts.append(("run", context.generated_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()))
    facts.append(("drift rule", f"L∞ {report['comparison_method']} > {_num(report['comparison_threshold'])} "
                                f"(categorical > {_num(report['categorical_comparison_threshold'])})"))
    violations, drifted = int(report["violations"]), report.get("drifted_features", [])
    if report.get("status") == "insufficient_data":
        verdict = '<p class="verdict bad">Insufficient data: the window holds no records, nothing was compared.</p>'
    elif violations:
        verdict = (f'<p class="verdict bad">CompletedWithViolations: {violations} violation(s), '
                   f'{len(drifted)} drifted feature(s)</p>')
    else:
        verdict = '<p class="verdict ok">Completed: no violations, no drift</p>'
    spans = "".join(f"<span>{_esc(k)}: <b>{_esc(v)}</b></span>" for k, v in facts)
    return f'{verdict}<div class="sum">{spans}</div>'


def _violations(context: ReportContext) -> str:
    if not context.violations:
        return ""
    items = "".join(f"<li><b>{_esc(v.feature_name)}</b> <code>{_esc(v.constraint_check_type)}</code>: "
                    f"{_esc(round_for_people(v.description))}</li>" for v in context.violations)
    # A long list would push the table off the first screen: open only when it is short.
    shown = " open" if len(context.violations) <= OPEN_VIOLATIONS else ""
    return (f'<details{shown}><summary>Violations ({len(context.violations)})</summary>'
            f'<ul class="viol">{items}</ul></details>')


def _thresholds(report: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {DECIDING.key: f"{_num(report['comparison_threshold'])} (numeric) / "
                                           f"{_num(report['categorical_comparison_threshold'])} (categorical)"}
    for entry in report["features"]:
        for key, result in entry["methods"].items():
            if key != DECIDING.key and result.get("threshold") is not None:
                found.setdefault(key, _num(result["threshold"]))
    return found


def _legend(report: dict[str, Any]) -> str:
    items = "".join(f'<dt>{_esc(label)}</dt><dd>{_esc(text)}</dd>'
                    for label, text in legend_items(_thresholds(report), report["comparison_method"]))
    return (f'<details open><summary>How to read the numbers</summary><p>{_esc(SUPPORTING_NOTE)}</p>'
            f'<dl class="methods">{items}</dl></details>')


def _title(report: dict[str, Any], context: ReportContext) -> str:
    subject = report.get("endpoint") or (context.dataset.rstrip("/").rsplit("/", 1)[-1] if context.dataset else "")
    return f"Drift report — {subject or 'dataset'}"


def render(report: dict[str, Any], reference: Sequence[ReferenceFeature], current: DatasetStats,
           context: ReportContext | None = None) -> str:
    context = context or ReportContext()
    refs = {r.name: r for r in reference}
    entries = report["features"]
    title = _title(report, context)
    drifted = report.get("drifted_features", [])
    head = (f'<th class="dec" title="decides drift">{_esc(DECIDING.label)} (decides)</th>'
            + "".join(f'<th title="{_esc(m.measures)}; informational">{_esc(m.label)}</th>' for m in SUPPORTING))
    rows = "".join(_row(i, e, context) for i, e in enumerate(entries))
    cards = "".join(_card(i, e, refs.get(e["name"]), current.columns.get(e["name"])) for i, e in enumerate(entries))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_esc(title)}</title>'
        f"<style>{CSS}</style></head><body><header><h1>{_esc(title)}</h1>{_header(report, context)}</header><main>"
        f"{_violations(context)}<p>Drifted: "
        + (f'<span class="bad">{_esc(", ".join(drifted))}</span>' if drifted else '<span class="ok">none</span>')
        + f'</p>{_legend(report)}<label><input type="checkbox" id="only"> only features with violations</label>'
        f'<table><thead><tr><th>feature</th><th class="l">type</th><th class="l">status</th>'
        f'<th class="l">violations</th>{head}'
        f"<th>non-null</th></tr></thead><tbody>{rows}</tbody></table>"
        '<p class="dist">Distributions: <i style="background:#cbd5e1"></i>baseline'
        '<i style="background:#2563eb"></i>current<i style="background:#dc2626"></i>current (drifted)</p>'
        f'<div class="grid">{cards}</div></main><script>{SCRIPT}</script></body></html>')
