"""Structured JSON logs with fixed keys, and one CloudWatch Embedded Metric Format line per invocation."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

LOG_KEYS = ("monitor", "endpoint", "kind", "state", "outcome")
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
EMF_NAMESPACE = "ModelMonitor/Alerts"
EMF_COUNTERS = ("processed", "alerted", "duplicates", "malformed", "ignored", "grouped", "degraded")


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Alert logs always carry LOG_KEYS ('' when unknown); EMF records pass verbatim."""

    def format(self, record: logging.LogRecord) -> str:
        emf = getattr(record, "emf", None)
        if isinstance(emf, Mapping):
            return json.dumps(emf, separators=(",", ":"))
        line: dict[str, Any] = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if hasattr(record, "outcome"):
            line.update({key: getattr(record, key, "") for key in LOG_KEYS})
            for extra in ("reason", "where", "dedupe_key"):
                if getattr(record, extra, ""):
                    line[extra] = getattr(record, extra)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def configure(level: str) -> None:
    """Put the JSON formatter on the root handlers (the Lambda runtime installs one) or add a stderr handler."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        # pytest's capture handlers keep their own format; only the runtime's plain handlers are switched.
        if type(handler).__module__.startswith("_pytest"):
            continue
        handler.setFormatter(JsonFormatter())
    root.setLevel(level)
    # botocore's DEBUG output includes request and response bodies, e.g. the decrypted webhook parameter: the SDK
    # stays at WARNING whatever LOG_LEVEL says.
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level]))


def alert_fields(
    *, monitor: str = "", endpoint: str = "", kind: str = "", state: str = "", outcome: str, **more: str
) -> dict[str, str]:
    """`extra=` for logger calls: the five fixed keys plus optional reason/where/dedupe_key."""
    return {"monitor": monitor, "endpoint": endpoint, "kind": kind, "state": state, "outcome": outcome, **more}


def emf_record(counters: Mapping[str, int], function_name: str) -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": EMF_NAMESPACE,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in EMF_COUNTERS],
                }
            ],
        },
        "FunctionName": function_name or "local",
        **{name: int(counters.get(name, 0)) for name in EMF_COUNTERS},
    }
