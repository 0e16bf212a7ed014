"""Errors the analyzer raises on purpose. Every entry path (CLI, BYOC, Lambda) maps them to its own exit contract."""

from __future__ import annotations

from modelmonitor.errors import ModelMonitorError


class AnalyzerError(ModelMonitorError):
    """Base of the analyzer's own errors."""


class AnalyzerInputError(AnalyzerError):
    """The data, baseline or configuration cannot be analysed (bad path, unreadable file, too many malformed
    records, invalid baseline file, bad environment variable). The message names the culprit precisely."""
