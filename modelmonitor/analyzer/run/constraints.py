"""SageMaker's `constraints.json` (version 0.0): suggested from baseline statistics as the built-in analyzer does,
and parsed back with the run's overrides (`comparison_method`, thresholds) applied."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.statsfile import NUMERIC_TYPES
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats

DOMAIN_CARDINALITY_LIMIT = 120
"""String features with at most this many distinct values get a `domains` list (Deequ's column profiler keeps
histograms only up to 120 distinct values); above it the feature is free text: no categorical_values_check."""


def suggest_feature(col: ColumnStats) -> dict[str, Any]:
    inferred = col.inferred_type
    total = col.present + col.missing
    feature: dict[str, Any] = {"name": col.name, "inferred_type": inferred,
                               "completeness": col.present / total if total else 0.0}
    if inferred in NUMERIC_TYPES:
        feature["num_constraints"] = {"is_non_negative": bool(col.count) and col.minimum >= 0}
    elif inferred == "String" and col.categories is not None and len(col.categories) <= DOMAIN_CARDINALITY_LIMIT:
        feature["string_constraints"] = {"domains": sorted(col.categories)}
    return feature


def default_monitoring_config(*, categorical: bool = True) -> dict[str, Any]:
    """As the built-in analyzer generates it (the developer guide's table lists other defaults). AWS's own baseline
    of a numeric-only dataset holds only the three numeric distribution keys (tests/analyzer/fixtures/aws-artifacts/
    real_constraints_churn.json); the categorical ones (the SageMaker SDK's `categorical_comparison_threshold`,
    `categorical_drift_method`) are written when the dataset has a String feature."""
    distribution: dict[str, Any] = {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                    "comparison_method": "Robust"}
    if categorical:
        distribution.update(categorical_comparison_threshold=0.1, categorical_drift_method="LInfinity")
    return {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
        "distribution_constraints": distribution,
    }


def constraints_document(stats: DatasetStats) -> dict[str, Any]:
    categorical = any(c.inferred_type == "String" for c in stats.columns.values())
    return {"version": 0.0, "features": [suggest_feature(c) for c in stats.columns.values()],
            "monitoring_config": default_monitoring_config(categorical=categorical)}


@dataclass(frozen=True)
class FeatureConstraint:
    name: str
    inferred_type: str
    completeness: float | None
    domains: tuple[str, ...] | None


@dataclass(frozen=True)
class MonitoringConfig:
    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: Literal["Robust", "Simple"] = "Robust"
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: Literal["LInfinity", "ChiSquared"] = "LInfinity"

    def overridden(self, *, comparison_method: str | None, drift_threshold: float | None,
                   categorical_drift_threshold: float | None) -> MonitoringConfig:
        config = self
        if comparison_method is not None:
            config = replace(config, comparison_method=_method(comparison_method, "comparison_method"))
        if drift_threshold is not None:
            config = replace(config, comparison_threshold=drift_threshold)
        if categorical_drift_threshold is not None:
            config = replace(config, categorical_comparison_threshold=categorical_drift_threshold)
        return config


def _method(value: str, where: str) -> Literal["Robust", "Simple"]:
    if value == "Robust":
        return "Robust"
    if value == "Simple":
        return "Simple"
    raise AnalyzerInputError(f"{where} must be Robust or Simple, not {value!r}")


def _enabled(raw: dict[str, Any], key: str) -> bool:
    return str(raw.get(key, "Enabled")) != "Disabled"


def parse_monitoring_config(raw: dict[str, Any]) -> MonitoringConfig:
    dist = raw.get("distribution_constraints", {})
    # The developer guide's sample spells it `comparion_method`; accept both.
    method = dist.get("comparison_method", dist.get("comparion_method", "Robust"))
    categorical = str(dist.get("categorical_drift_method", "LInfinity"))
    if categorical not in ("LInfinity", "ChiSquared"):
        raise AnalyzerInputError(f"categorical_drift_method must be LInfinity or ChiSquared, not {categorical!r}")
    return MonitoringConfig(
        evaluate_constraints=_enabled(raw, "evaluate_constraints"), emit_metrics=_enabled(raw, "emit_metrics"),
        datatype_check_threshold=float(raw.get("datatype_check_threshold", 1.0)),
        domain_content_threshold=float(raw.get("domain_content_threshold", 1.0)),
        perform_comparison=_enabled(dist, "perform_comparison"),
        comparison_threshold=float(dist.get("comparison_threshold", 0.1)),
        comparison_method=_method(str(method), "constraints comparison_method"),
        categorical_comparison_threshold=float(dist.get("categorical_comparison_threshold", 0.1)),
        categorical_drift_method="ChiSquared" if categorical == "ChiSquared" else "LInfinity")


def read_constraints(document: Any, source: str) -> tuple[list[FeatureConstraint], MonitoringConfig]:
    try:
        features = []
        for raw in document["features"]:
            domains = raw.get("string_constraints", {}).get("domains")
            completeness = raw.get("completeness")
            features.append(FeatureConstraint(
                name=str(raw["name"]), inferred_type=str(raw.get("inferred_type", "Unknown")),
                completeness=None if completeness is None else float(completeness),
                domains=None if domains is None else tuple(str(d) for d in domains)))
        config = parse_monitoring_config(document.get("monitoring_config", {}))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AnalyzerInputError(f"{source}: not a SageMaker constraints.json ({type(exc).__name__}: {exc})") from exc
    return features, config
