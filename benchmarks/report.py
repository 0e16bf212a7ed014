"""Pure formatting and goal checks for the benchmark results (no I/O besides returning strings)."""

from __future__ import annotations

from dataclasses import dataclass

from tools import ToolResult

MB = 1_000_000
MIB = 1024 * 1024

# The goals of issue 5.
SPEEDUP_VS_EVIDENTLY = 50.0
SPEEDUP_VS_NANNYML = 2.0
RSS_OVER_RAW_DATA = 2.0
CAPTURE_MB_PER_S = 100.0


@dataclass(frozen=True)
class Goal:
    name: str
    verdict: str  # PASS, MISS or N/A
    measured: str


def _format_rss(value: int) -> str:
    return f"{value / MIB:,.0f} MiB" if value else "-"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:,.1f}×" if numerator and denominator else "-"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    return "\n".join(lines)


def tool_table(results: list[ToolResult], reference: ToolResult | None) -> str:
    """One row per tool; ratios say how many times more time/memory the tool needs than ModelMonitor."""
    rows = []
    for result in results:
        if not result.ok:
            rows.append([result.tool, "-", "-", "-", "-", "-", "-", result.note])
            continue
        ratios = ["-", "-", "-"]
        if reference is not None and reference.ok:
            ratios = [_ratio(result.wall_s, reference.wall_s), _ratio(result.cpu_s, reference.cpu_s),
                      _ratio(result.peak_rss_bytes, reference.peak_rss_bytes)]
        rows.append([result.tool, f"{result.wall_s:,.1f} s", f"{result.cpu_s:,.1f} s",
                     _format_rss(result.peak_rss_bytes), *ratios, ", ".join(result.drifted or []) or "(none)"])
    return markdown_table(["tool", "wall time", "CPU time", "peak RSS", "wall vs MM", "CPU vs MM", "RSS vs MM",
                           "drifted features found"], rows)


def _speedup(peer: float, ours: float) -> str:
    return f"{peer / ours:,.1f}× faster" if peer >= ours else f"{ours / peer:,.1f}× slower"


def split_line(modelmonitor: ToolResult, peers: list[ToolResult]) -> str:
    """The baseline is computed once per model, the analysis every window: how the analysis alone compares (wall)."""
    parts = [f"{run.label} {run.wall_s:,.1f} s wall, {run.cpu_s:,.1f} s CPU, {_format_rss(run.peak_rss_bytes)}"
             for run in modelmonitor.runs]
    analyze = modelmonitor.runs[-1].wall_s
    ratios = [f"{peer.tool.split(' ')[0]} takes {peer.wall_s / analyze:,.1f}× the analyze step's time"
              for peer in peers if peer.ok and analyze]
    return "ModelMonitor steps: " + "; ".join(parts) + (". " + "; ".join(ratios) if ratios else "")


def goals(modelmonitor: ToolResult | None, evidently: ToolResult | None, nannyml: ToolResult | None, *,
          raw_bytes: int, capture_bytes: int, capture_wall_s: float | None,
          one_process: ToolResult | None = None) -> list[Goal]:
    """Each goal of issue 5 with an honest verdict; N/A when a side of the comparison did not run. The speed goals
    are judged twice: on baseline + analyze (two processes, two interpreter start-ups) and on `analyze --reference`
    (one process from the same two files to the verdicts, as each peer runs)."""
    result = []
    for ours, how in ((modelmonitor, "baseline + analyze"), (one_process, "one process")):
        if ours is None and how == "one process":
            continue
        for peer, factor, name in ((evidently, SPEEDUP_VS_EVIDENTLY, "Evidently"),
                                   (nannyml, SPEEDUP_VS_NANNYML, "NannyML")):
            goal = f"≥ {factor:g}× faster than {name} ({how})"
            if ours is None or not ours.ok or peer is None or not peer.ok:
                result.append(Goal(goal, "N/A", "not measured (see table)"))
                continue
            speedup = peer.wall_s / ours.wall_s
            result.append(Goal(goal, "PASS" if speedup >= factor else "MISS",
                               f"{_speedup(peer.wall_s, ours.wall_s)} (CPU time: {_speedup(peer.cpu_s, ours.cpu_s)})"))
    mm_ok = modelmonitor is not None and modelmonitor.ok
    rss_goal = f"peak RSS ≤ {RSS_OVER_RAW_DATA:g}× raw data ({raw_bytes / MB:,.0f} MB of CSV)"
    if mm_ok and modelmonitor is not None:
        share = modelmonitor.peak_rss_bytes / raw_bytes
        result.append(Goal(rss_goal, "PASS" if share <= RSS_OVER_RAW_DATA else "MISS",
                           f"{modelmonitor.peak_rss_bytes / MB:,.0f} MB = {share:.2f}× raw data"))
    else:
        result.append(Goal(rss_goal, "N/A", "ModelMonitor analyzer not available"))
    capture_goal = f"capture JSONL parsing ≥ {CAPTURE_MB_PER_S:g} MB/s"
    if capture_wall_s:
        rate = capture_bytes / MB / capture_wall_s
        result.append(Goal(capture_goal, "PASS" if rate >= CAPTURE_MB_PER_S else "MISS",
                           f"{rate:,.0f} MB/s ({capture_bytes / MB:,.0f} MB in {capture_wall_s:,.1f} s, full analyze)"))
    else:
        result.append(Goal(capture_goal, "N/A", "not measured"))
    return result


def goals_table(items: list[Goal]) -> str:
    return markdown_table(["goal", "verdict", "measured"], [[g.name, g.verdict, g.measured] for g in items])


def detection_table(expected: dict[str, str], results: list[ToolResult]) -> str:
    """Which injected drifts each tool found, and which features it flagged that carry no injected drift."""
    rows = []
    for result in results:
        if not result.ok:
            rows.append([result.tool, "-", "-", result.note])
            continue
        found = set(result.drifted or [])
        hits = [f for f in expected if f in found]
        misses = [f"{f} ({expected[f]})" for f in expected if f not in found]
        false_alarms = sorted(found - set(expected))
        rows.append([result.tool, ", ".join(hits) or "(none)", ", ".join(misses) or "(none)",
                     ", ".join(false_alarms) or "(none)"])
    return markdown_table(["tool", "injected drift found", "injected drift missed", "flagged without injected drift"],
                          rows)
