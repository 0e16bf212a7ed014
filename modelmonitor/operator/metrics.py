"""Prometheus metrics of the operator (served by `python -m modelmonitor.operator --metrics-port`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECONCILES = Counter("modelmonitor_reconciles_total", "Reconciliations by decided action and result.",
                     ["action", "result"])
OPERATION_SECONDS = Histogram("modelmonitor_operation_duration_seconds", "Duration of stack operations.",
                              ["operation", "result"],
                              buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 180, 600, 1800, 3600))
DECISIONS = Counter("modelmonitor_decisions_total", "Reconcile decisions by action and reason.", ["action", "reason"])
QUEUE_DEPTH = Gauge("modelmonitor_operations_waiting", "Stack operations waiting for a concurrency slot.")
RUNNING = Gauge("modelmonitor_operations_running", "Stack operations running now.")
WEDGED = Gauge("modelmonitor_operations_wedged",
               "Operations past MODELMONITOR_OPERATION_TIMEOUT_SECONDS whose worker has not returned.")
