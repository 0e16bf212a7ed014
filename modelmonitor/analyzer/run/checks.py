"""Compare a window's statistics with the baseline: SageMaker's constraint checks (→ constraint_violations.json)
and every drift method's value per feature (→ drift_report.json, metrics). Pure: no I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from modelmonitor.analyzer.base.distributions import (
    MIN_SAMPLES_FOR_DRIFT,
    BinnedCounts,
    CategoricalCounts,
    DriftResult,
    WeightedSample,
)
from modelmonitor.analyzer.methods import CATEGORICAL, NUMERIC, chi2, js, ks, linf, psi, wasserstein
from modelmonitor.analyzer.run.constraints import FeatureConstraint, MonitoringConfig
from modelmonitor.analyzer.run.statsfile import ReferenceFeature
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats

COMPLETENESS_SIGMAS = 3.0
"""Completeness may fall this many binomial standard errors below the baseline's before it is a violation; with a
baseline completeness of 100 % the allowance is 0, i.e. any missing value violates, as in SageMaker."""


@dataclass(frozen=True)
class Violation:
    feature_name: str
    constraint_check_type: str
    description: str

    def to_json(self) -> dict[str, str]:
        return {"feature_name": self.feature_name, "constraint_check_type": self.constraint_check_type,
                "description": self.description}


@dataclass(frozen=True)
class FeatureVerdict:
    name: str
    inferred_type: str
    baseline_present: float
    current_present: int
    current_missing: int
    drift: DriftResult | None
    methods: dict[str, DriftResult] = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()

    @property
    def completeness(self) -> float | None:
        total = self.current_present + self.current_missing
        return self.current_present / total if total else None

    @property
    def drifted(self) -> bool:
        return any(v.constraint_check_type == "baseline_drift_check" for v in self.violations)


@dataclass(frozen=True)
class Evaluation:
    features: tuple[FeatureVerdict, ...]
    violations: tuple[Violation, ...]
    insufficient_data: bool
    without_statistics: tuple[str, ...] = ()
    """Constraint features the baseline statistics do not describe (`features_without_statistics`)."""


def features_without_statistics(reference: Sequence[ReferenceFeature],
                                 constraints: Sequence[FeatureConstraint]) -> tuple[str, ...]:
    """Features the constraints name but the statistics lack: they keep their constraint checks, but no drift
    method can run without a baseline distribution."""
    described = {r.name for r in reference}
    return tuple(c.name for c in constraints if c.name not in described)


def current_sample(col: ColumnStats) -> WeightedSample:
    return col.sketch.sample()


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _type_check(ref: FeatureConstraint, col: ColumnStats, threshold: float) -> Violation | None:
    if ref.inferred_type not in ("Integral", "Fractional") or col.present == 0:
        return None
    matching = col.integral + (col.fractional if ref.inferred_type == "Fractional" else 0)
    share = matching / col.present
    if share >= threshold:
        return None
    return Violation(ref.name, "data_type_check",
                     f"Data type match requirement is not met. Expected data type: {ref.inferred_type}, "
                     f"Expected match: {_pct(threshold)}. Observed: Only {_pct(share)} of data is "
                     f"{ref.inferred_type}.")


def _completeness_check(ref: FeatureConstraint, col: ColumnStats) -> Violation | None:
    total = col.present + col.missing
    if ref.completeness is None or total < MIN_SAMPLES_FOR_DRIFT:
        return None
    expected = ref.completeness
    observed = col.present / total
    allowance = COMPLETENESS_SIGMAS * math.sqrt(max(expected * (1 - expected), 0.0) / total)
    if observed >= expected - allowance - 1e-12:
        return None
    return Violation(ref.name, "completeness_check",
                     f"Data completeness requirement is not met. Expected: {_pct(expected)}. "
                     f"Observed: Only {_pct(observed)} of data is present.")


def _domain_check(ref: FeatureConstraint, col: ColumnStats, threshold: float) -> Violation | None:
    if not ref.domains or col.categories is None or col.present < MIN_SAMPLES_FOR_DRIFT:
        return None
    domain = set(ref.domains)
    outside = {v: c for v, c in col.categories.items() if v not in domain}
    share = 1 - sum(outside.values()) / col.present
    if share >= threshold:
        return None
    shown = ", ".join(repr(v) for v in sorted(outside, key=lambda v: -outside[v])[:5])
    return Violation(ref.name, "categorical_values_check",
                     f"Data does not meet the domain requirement: {_pct(share)} of values are in the baseline "
                     f"domain (required {_pct(threshold)}); values outside it include {shown}.")


def _drift(ref: ReferenceFeature, col: ColumnStats, config: MonitoringConfig,
           cur: WeightedSample | None) -> DriftResult | None:
    if ref.is_numeric and ref.sample is not None:
        return linf(ref.sample, cur or current_sample(col), comparison=config.comparison_method,
                    threshold=config.comparison_threshold)
    if ref.inferred_type == "String" and ref.categories is not None and col.categories is not None:
        current = CategoricalCounts(col.categories)
        if config.categorical_drift_method == "ChiSquared":
            return chi2(ref.categories, current, alpha=config.categorical_comparison_threshold)
        return linf(ref.categories, current, comparison=config.comparison_method,
                    threshold=config.categorical_comparison_threshold)
    return None


def _drift_violation(name: str, result: DriftResult) -> Violation | None:
    if not result.drifted or result.statistic is None:
        return None
    if result.method == "chi2":
        text = f"p-value: {result.p_value!r} below threshold: {result.threshold!r} ({result.note})"
    else:
        text = f"distance: {result.statistic!r} exceeds threshold: {result.threshold!r}"
    return Violation(name, "baseline_drift_check", text)


def custom_methods(ref: ReferenceFeature, col: ColumnStats, wanted: Sequence[str],
                   cur: WeightedSample | None = None) -> dict[str, DriftResult]:
    """Every wanted method beside L∞; `cur` is the window's sample when the caller has it already."""
    results: dict[str, DriftResult] = {}
    if ref.is_numeric and ref.sample is not None:
        cur = cur or current_sample(col)
        binned = (BinnedCounts(col.edges, col.histogram)
                  if col.edges is not None and col.histogram is not None else None)
        for name in wanted:
            if name not in NUMERIC or name == "linf":
                continue
            if name == "psi":
                results[name] = psi(ref.sample, binned or cur)
            elif name == "js":
                results[name] = js(ref.sample, binned or cur)
            elif name == "ks":
                results[name] = ks(ref.sample, cur)
            elif name == "wasserstein":
                scale = ref.std_dev if ref.std_dev is not None and np.isfinite(ref.std_dev) else None
                results[name] = wasserstein(ref.sample, cur, scale=scale)
    elif ref.inferred_type == "String" and ref.categories is not None and col.categories is not None:
        current = CategoricalCounts(col.categories)
        for name in wanted:
            if name not in CATEGORICAL or name == "linf":
                continue
            if name == "psi":
                results[name] = psi(ref.categories, current)
            elif name == "js":
                results[name] = js(ref.categories, current)
            elif name == "chi2":
                results[name] = chi2(ref.categories, current)
    return results


def evaluate(current: DatasetStats, reference: Sequence[ReferenceFeature], constraints: Sequence[FeatureConstraint],
             config: MonitoringConfig, methods: Sequence[str]) -> Evaluation:
    without_statistics = features_without_statistics(reference, constraints)
    if current.item_count == 0:
        return Evaluation(features=(), violations=(), insufficient_data=True, without_statistics=without_statistics)
    refs = {r.name: r for r in reference}
    verdicts: list[FeatureVerdict] = []
    violations: list[Violation] = []
    for constraint in constraints:
        col = current.columns.get(constraint.name)
        ref = refs.get(constraint.name)
        if col is None:
            missing = Violation(constraint.name, "missing_column_check",
                                f"Column {constraint.name!r} is in the baseline constraints but not in the "
                                f"current dataset.")
            violations.append(missing)
            verdicts.append(FeatureVerdict(constraint.name, constraint.inferred_type,
                                           ref.num_present if ref else 0.0, 0, 0, None, {}, (missing,)))
            continue
        found: list[Violation | None] = []
        drift: DriftResult | None = None
        results: dict[str, DriftResult] = {}
        if config.evaluate_constraints:
            found += [_type_check(constraint, col, config.datatype_check_threshold),
                      _completeness_check(constraint, col),
                      _domain_check(constraint, col, config.domain_content_threshold)]
        if ref is not None:
            # One window sample per feature: L∞ and the custom methods compare the same one (and share the
            # step CDFs of the pair, distributions.step_cdfs).
            cur = current_sample(col) if ref.is_numeric and ref.sample is not None else None
            if config.perform_comparison:
                drift = _drift(ref, col, config, cur)
                if drift is not None:
                    found.append(_drift_violation(constraint.name, drift))
            results = custom_methods(ref, col, methods, cur)
        mine = tuple(v for v in found if v is not None)
        violations.extend(mine)
        verdicts.append(FeatureVerdict(constraint.name, constraint.inferred_type,
                                       ref.num_present if ref else 0.0, col.present, col.missing, drift, results,
                                       mine))
    known = {c.name for c in constraints}
    for name in current.columns:
        if name not in known:
            violations.append(Violation(name, "extra_column_check",
                                        f"Column {name!r} is in the current dataset but not in the baseline "
                                        f"constraints."))
    return Evaluation(features=tuple(verdicts), violations=tuple(violations), insufficient_data=False,
                      without_statistics=without_statistics)
