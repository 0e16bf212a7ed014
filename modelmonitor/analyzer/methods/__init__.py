"""Drift methods: one module each, one pure function `(ref, cur, *, ...) -> DriftResult` per module.

`NUMERIC` and `CATEGORICAL` name the methods that apply to each feature kind; `linf` is SageMaker's own statistic
and always runs (it decides `baseline_drift_check`), the others are reported per feature and as metrics.

Methods layer: may import `base` only. Belongs here: a drift method (one new module plus one entry below)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelmonitor.analyzer.methods.chi2 import chi2
from modelmonitor.analyzer.methods.js import js
from modelmonitor.analyzer.methods.ks import ks
from modelmonitor.analyzer.methods.linf import linf
from modelmonitor.analyzer.methods.psi import psi
from modelmonitor.analyzer.methods.wasserstein import wasserstein

__all__ = ["CATEGORICAL", "CUSTOM_METHODS", "METHODS", "NUMERIC", "chi2", "js", "ks", "linf", "psi", "wasserstein"]

METHODS: dict[str, Callable[..., Any]] = {
    "linf": linf, "psi": psi, "ks": ks, "js": js, "wasserstein": wasserstein, "chi2": chi2,
}
CUSTOM_METHODS = ("psi", "ks", "js", "wasserstein", "chi2")
"""Methods selectable with `drift_methods` (linf always runs)."""
NUMERIC = frozenset({"linf", "psi", "ks", "js", "wasserstein"})
CATEGORICAL = frozenset({"linf", "psi", "js", "chi2"})
