"""Self-contained HTML drift report: one file, inline CSS and SVG, a few lines of inline script, no network
fetches (a Content-Security-Policy forbids them). Drifted features first; per feature a baseline-vs-current
distribution plot and every method's value. Light enough for hundreds of features."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from modelmonitor.analyzer.base.binning import bin_counts
from modelmonitor.analyzer.base.distributions import FloatArray, WeightedSample
from modelmonitor.analyzer.run.statsfile import ReferenceFeature
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats

PLOT_BINS = 24
TOP_CATEGORIES = 10
WIDTH, HEIGHT, PAD = 300, 96, 14
METHOD_COLUMNS = (("linf", "L∞"), ("psi", "PSI"), ("ks", "KS D"), ("js", "JS"), ("wasserstein", "W (σ)"),
                  ("chi2", "χ² V"))

CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1e293b;background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
main{padding:16px 24px}.sum span{margin-right:18px}.bad{color:#b91c1c;font-weight:600}.ok{color:#15803d}
table{border-collapse:collapse;background:#fff;width:100%;margin:12px 0 24px}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.l{text-align:left}th{background:#f1f5f9;position:sticky;top:0}
td.d{color:#b91c1c;font-weight:600}.na{color:#94a3b8}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:8px 10px}
.card.drift{border-color:#fca5a5;box-shadow:0 0 0 1px #fca5a5}.card h3{margin:0 0 4px;font-size:14px;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap}.card p{margin:2px 0;font-size:12px;color:#475569}
svg{display:block}.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
.hidden{display:none}
"""

SCRIPT = """
document.getElementById('only').addEventListener('change', function (e) {
  var only = e.target.checked;
  document.querySelectorAll('[data-clean]').forEach(function (el) { el.classList.toggle('hidden', only); });
});
"""


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


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
                    f'text-anchor="middle">{_esc(k[:8])}</text>' for i, k in enumerate(labels))
    return (f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
            f'<path fill="#cbd5e1" d="{ref_bars}"/><path fill="{color}" d="{cur_bars}"/>{names}</svg>')


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


def _method_cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return '<td class="na">–</td>'
    if result["status"] == "insufficient_data":
        return '<td class="na" title="insufficient data">n/a</td>'
    text = _num(result["statistic"])
    if result.get("p_value") is not None:
        text += f" (p {_num(result['p_value'], 2)})"
    cls = ' class="d"' if result["drifted"] else ""
    return f"<td{cls}>{_esc(text)}</td>"


def _row(i: int, entry: dict[str, Any]) -> str:
    clean = "" if entry["violations"] else " data-clean"
    status = '<span class="bad">drift</span>' if entry["drifted"] else (
        '<span class="bad">violations</span>' if entry["violations"] else '<span class="ok">ok</span>')
    cells = "".join(_method_cell(entry["methods"].get(key)) for key, _ in METHOD_COLUMNS)
    completeness = entry.get("completeness")
    return (f'<tr{clean}><td><a href="#f{i}">{_esc(entry["name"])}</a></td><td class="l">'
            f'{_esc(entry["inferred_type"])}</td><td class="l">{status}</td>'
            f'<td class="l">{_esc(", ".join(entry["violations"]) or "–")}</td>{cells}'
            f'<td>{"–" if completeness is None else f"{completeness:.1%}"}</td></tr>')


def _card(i: int, entry: dict[str, Any], ref: ReferenceFeature | None, col: ColumnStats | None) -> str:
    clean = "" if entry["violations"] else " data-clean"
    cls = "card drift" if entry["drifted"] else "card"
    linf = entry["methods"].get("linf")
    linf_text = "" if linf is None else f"L∞ {_num(linf['statistic'])} (threshold {_num(linf['threshold'])})"
    return (f'<div class="{cls}" id="f{i}"{clean}><h3 title="{_esc(entry["name"])}">{_esc(entry["name"])}</h3>'
            f'<p>{_esc(entry["inferred_type"])} · baseline {int(entry["baseline_count"])} · current '
            f'{int(entry["current_count"])} · {_esc(linf_text)}</p>{_plot(entry, ref, col)}</div>')


def render(report: dict[str, Any], reference: Sequence[ReferenceFeature], current: DatasetStats) -> str:
    refs = {r.name: r for r in reference}
    entries = report["features"]
    window = report.get("window") or {}
    title = f"Drift report — {report.get('endpoint') or 'dataset'}"
    drifted = report.get("drifted_features", [])
    head = "".join(f"<th>{_esc(label)}</th>" for _, label in METHOD_COLUMNS)
    rows = "".join(_row(i, e) for i, e in enumerate(entries))
    cards = "".join(_card(i, e, refs.get(e["name"]), current.columns.get(e["name"])) for i, e in enumerate(entries))
    insufficient = ('<p class="bad">Insufficient data: the window holds no records, nothing was compared.</p>'
                    if report.get("status") == "insufficient_data" else "")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_esc(title)}</title>'
        f"<style>{CSS}</style></head><body><header><h1>{_esc(title)}</h1><div class=\"sum\">"
        f"<span>schedule: {_esc(report.get('schedule') or '–')}</span>"
        f"<span>window: {_esc(window.get('start', '–'))} → {_esc(window.get('end', '–'))}</span>"
        f"<span>records: {int(report['item_count'])}</span>"
        f"<span>malformed: {int(report['malformed_records'])}</span>"
        f"<span>violations: {int(report['violations'])}</span>"
        f"<span>L∞ {_esc(report['comparison_method'])}, threshold {_num(report['comparison_threshold'])} / "
        f"categorical {_num(report['categorical_comparison_threshold'])}</span></div></header><main>"
        f"{insufficient}<p>Drifted: "
        + (f'<span class="bad">{_esc(", ".join(drifted))}</span>' if drifted else '<span class="ok">none</span>')
        + '</p><label><input type="checkbox" id="only"> only features with violations</label>'
        f'<table><thead><tr><th>feature</th><th>type</th><th>status</th><th>violations</th>{head}'
        f"<th>non-null</th></tr></thead><tbody>{rows}</tbody></table>"
        '<p class="legend">Distributions: <i style="background:#cbd5e1"></i>baseline'
        '<i style="background:#2563eb"></i>current<i style="background:#dc2626"></i>current (drifted)</p>'
        f'<div class="grid">{cards}</div></main><script>{SCRIPT}</script></body></html>')
