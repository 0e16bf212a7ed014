from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from modelmonitor.demo.timeline import HourResult, first_alert_hour, print_hours


def test_timeline_rows_and_first_alert() -> None:
    start = datetime(2026, 11, 24, 0, tzinfo=UTC)
    results = [
        HourResult(0, start, 400, "Completed", (), 0.02, "OK"),
        HourResult(1, start.replace(hour=1), 400, "CompletedWithViolations", ("monthly_charges", "payment_method"),
                   0.41, "ALARM", alerts=1),
    ]
    console = Console(record=True, width=200, color_system=None)
    print_hours(console, results, drift_at=1)
    text = console.export_text()
    assert "2026-11-24 01:00 ← drift starts" in text
    assert "monthly_charges, payment_method" in text and "0.410" in text and "ALARM" in text
    assert first_alert_hour(results) == 1 and first_alert_hour(results[:1]) is None
