"""Errors the analyzer raises on purpose. Every entry path (CLI, BYOC, Lambda) maps them to its own exit contract."""

from __future__ import annotations

from modelmonitor.errors import ModelMonitorError


class AnalyzerError(ModelMonitorError):
    """Base of the analyzer's own errors."""


class AnalyzerInputError(AnalyzerError):
    """The data, baseline or configuration cannot be analysed (bad path, unreadable file, too many malformed
    records, invalid baseline file, bad environment variable). The message names the culprit precisely."""


class RecordError(AnalyzerError):
    """One record or object that cannot be decoded (not JSON, missing data, bad base64, not an s3:// URI). The
    message names the record (`where`) and the reason; a caller that reads records for its own purpose (model
    quality) re-raises it as its own error."""
