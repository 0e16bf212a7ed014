"""The demo prints a ModelMonitor the way `kubectl get mm` would, from the CRD's own printer columns."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from modelmonitor.crd import PRINTER_COLUMNS
from modelmonitor.demo.kube import _json_path, kubectl_get

OBJ = {
    "metadata": {"name": "churn-demo", "creationTimestamp": "2026-11-25T04:00:00Z"},
    "status": {"endpointName": "churn-demo", "drift": "monthly_charges, payment_method",
               "lastOperation": {"summary": "up Succeeded"},
               "conditions": [{"type": "Reconciling", "status": "False", "reason": "Applied"},
                              {"type": "Ready", "status": "True", "reason": "Applied"}]},
}


def test_columns_from_the_crd() -> None:
    text = kubectl_get(PRINTER_COLUMNS, [OBJ], now=datetime(2026, 11, 25, 4, 0, 42, tzinfo=UTC))
    header, row = text.splitlines()
    assert header.split() == ["NAME", "ENDPOINT", "READY", "REASON", "DRIFT", "LAST-OP", "AGE"]
    assert re.split(r"\s{2,}", row) == ["churn-demo", "churn-demo", "True", "Applied",
                                         "monthly_charges, payment_method", "up Succeeded", "42s"]


def test_missing_values_and_unsupported_paths() -> None:
    assert _json_path({"status": {}}, '.status.conditions[?(@.type=="Ready")].status') is None
    assert kubectl_get(PRINTER_COLUMNS, [{"metadata": {"name": "x"}}]).splitlines()[1].split()[1] == "<none>"
    with pytest.raises(ValueError, match="unsupported JSONPath"):
        _json_path(OBJ, ".status.conditions[0].status")
