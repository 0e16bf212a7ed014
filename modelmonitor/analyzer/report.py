"""Self-contained HTML drift report (placeholder until the report lands)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from modelmonitor.analyzer.stats import DatasetStats
from modelmonitor.analyzer.statsfile import ReferenceFeature


def render(report: dict[str, Any], reference: Sequence[ReferenceFeature], current: DatasetStats) -> str:
    rows = "".join(f"<tr><td>{html.escape(f['name'])}</td><td>{f['drifted']}</td></tr>" for f in report["features"])
    return f"<!doctype html><html><body><table>{rows}</table></body></html>"
