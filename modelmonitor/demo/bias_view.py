"""How the bias demo shows its run: one row per simulated hour, the watched metrics against the accepted band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rich.console import Console
from rich.table import Table

from modelmonitor.demo.timeline import STATE_STYLE


@dataclass(frozen=True)
class BiasHour:
    index: int
    window_start: datetime
    judged_at: datetime
    """When the run fired (the label delay after the window)."""
    requests: int
    labelled: int
    approval_sensitive: float
    """The model's approval rate for the facet's group in the hour (the scenario's, for the reader)."""
    approval_others: float
    status: str
    values: Mapping[str, float] = field(default_factory=dict)
    """The watched metrics of the run's analysis.json."""
    violations: tuple[str, ...] = ()
    """`metric facet=value` of each violation in the run's constraint_violations.json."""
    alarm_state: str = "INSUFFICIENT_DATA"
    alerts: int = 0

    def with_outcome(self, alarm_state: str, alerts: int) -> BiasHour:
        return replace(self, alarm_state=alarm_state, alerts=alerts)


def _value(name: str, value: float | None, limits: Mapping[str, tuple[float, float]]) -> str:
    if value is None:
        return "-"
    low, high = limits.get(name, (float("-inf"), float("inf")))
    text = f"{value:.3f}" if name in RATIOS else f"{value:+.3f}"
    return text if low <= value <= high else f"[bold red]{text}![/]"


RATIOS = frozenset({"DI"})
"""Shown without a sign: a ratio, balanced at 1."""


def _run_text(status: str, violations: int) -> str:
    if status == "CompletedWithViolations":
        return f"[bold red]{violations} violation{'s' if violations != 1 else ''}[/]"
    return "ok" if status == "Completed" else status


def bias_table(results: Sequence[BiasHour], limits: Mapping[str, tuple[float, float]],
               shift_at: int | None = None) -> Table:
    names = list(limits) or sorted({n for r in results for n in r.values})
    table = Table(title="Hourly bias runs (simulated), facet gender=female; ! = outside the accepted band "
                  + ", ".join(f"{n} {lo:.2f}..{hi:.2f}" for n, (lo, hi) in limits.items()), header_style="bold")
    table.add_column("hour", justify="right")
    table.add_column("window (UTC)")
    table.add_column("judged at")
    table.add_column("labelled", justify="right")
    table.add_column("approved F / others", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("run")
    table.add_column("alarm")
    table.add_column("alerts", justify="right")
    for r in results:
        marker = " ← model v2" if shift_at is not None and r.index == shift_at else ""
        table.add_row(
            str(r.index), f"{r.window_start:%Y-%m-%d %H:%M}{marker}", f"{r.judged_at:%H:%M}",
            f"{r.labelled}/{r.requests}", f"{r.approval_sensitive:.0%} / {r.approval_others:.0%}",
            *(_value(n, r.values.get(n), limits) for n in names), _run_text(r.status, len(r.violations)),
            f"[{STATE_STYLE.get(r.alarm_state, '')}]{r.alarm_state}[/]", str(r.alerts) if r.alerts else "")
    return table


def print_bias_hours(console: Console, results: Sequence[BiasHour], limits: Mapping[str, tuple[float, float]],
                     shift_at: int | None = None) -> None:
    console.print(bias_table(results, limits, shift_at))


def summary(results: Sequence[BiasHour], limits: Mapping[str, tuple[float, float]], shift_at: int) -> str:
    """What happened, in a sentence or three: where the first violation and the alarm came, against the shift."""
    first = next((r for r in results if r.violations), None)
    alarm = next((r for r in results if r.alarm_state == "ALARM"), None)
    alerted = [r.index for r in results if r.alerts]
    if first is None:
        return f"No bias violation in {len(results)} hours" + (
            f" (the new model version went live at hour {shift_at})." if shift_at < len(results) else ".")
    moved = [f"{name} {first.values[name]:.3f} (accepted {low:.3f}..{high:.3f})" for name, (low, high)
             in limits.items() if name in first.values and not low <= first.values[name] <= high]
    kept = [name for name, (low, high) in limits.items()
            if name in first.values and low <= first.values[name] <= high]
    text = (f"Bias drift: the new model version went live at hour {shift_at}; the first violating run judged hour "
            f"{first.index} ({', '.join(first.violations)}): " + ", ".join(moved) + ".")
    if kept:
        text += f" {', '.join(kept)} stayed in band: the ground truth did not move, the model's predictions did."
    if alarm is not None:
        text += f" The bias alarm went ALARM at hour {alarm.index}."
    text += (f" Alerts: {len(alerted)} (hour {', '.join(map(str, alerted))})." if alerted else " No alert.")
    return text
