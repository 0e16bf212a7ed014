"""How the demo shows its run: one row per simulated hour, then the alert and where the files are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class HourResult:
    index: int
    window_start: datetime
    rows: int
    status: str
    """The run's verdict: Completed, CompletedWithViolations or Failed."""
    drifted_features: tuple[str, ...]
    max_drift: float | None
    alarm_state: str
    """Worst state across the monitor's alarms after this hour's evaluation."""
    alerts: int = 0
    violations: tuple[str, ...] = field(default_factory=tuple)


STATE_STYLE = {"ALARM": "bold red", "OK": "green", "INSUFFICIENT_DATA": "yellow"}


def hour_table(results: Sequence[HourResult], drift_at: int | None = None, drift_until: int | None = None) -> Table:
    table = Table(title="Hourly monitoring runs (simulated)", header_style="bold")
    table.add_column("hour", justify="right")
    table.add_column("window (UTC)")
    table.add_column("rows", justify="right")
    table.add_column("run")
    table.add_column("features drifted")
    table.add_column("max drift", justify="right")
    table.add_column("alarm")
    table.add_column("alerts", justify="right")
    for r in results:
        marker = (" ← drift starts" if drift_at is not None and r.index == drift_at else
                  " ← drift ends" if drift_until is not None and r.index == drift_until else "")
        table.add_row(
            str(r.index), f"{r.window_start:%Y-%m-%d %H:%M}{marker}", str(r.rows), r.status,
            ", ".join(r.drifted_features) or "-",
            "-" if r.max_drift is None else f"{r.max_drift:.3f}",
            f"[{STATE_STYLE.get(r.alarm_state, '')}]{r.alarm_state}[/]", str(r.alerts) if r.alerts else "",
        )
    return table


def print_hours(console: Console, results: Sequence[HourResult], drift_at: int | None = None,
                drift_until: int | None = None) -> None:
    console.print(hour_table(results, drift_at, drift_until))


def first_alert_hour(results: Sequence[HourResult]) -> int | None:
    return next((r.index for r in results if r.alerts), None)
