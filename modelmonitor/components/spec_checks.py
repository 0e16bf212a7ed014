"""What the components refuse of a spec, decided from the spec alone (no Pulumi import): the engines raise these as
they build (`render`, `pulumi up`, the operator), and `modelmonitor validate` reports them too — one verdict per
manifest, and `validate` stays free of Pulumi's import cost.

- Which engines provision each section in this version (`check_engine`): the others refuse, never ignore it.
- What AWS's Clarify container needs under engine modelMonitor that the spec must supply (`check_model_monitor`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelmonitor.components.clarify_config import (
    JSON_LINES,
    attribution_dataset_type,
    budget_problem,
    content_template,
    features_attribute,
)
from modelmonitor.errors import ModelMonitorError
from modelmonitor.spec import ModelMonitorSpec


class MonitorConfigError(ModelMonitorError):
    """A valid document that SageMaker would still reject (limits that depend on combinations of fields)."""


PROVISIONED: dict[str, tuple[str, ...]] = {"modelBias": ("lambda", "processingJob", "modelMonitor"),
                                           "featureAttribution": ("lambda", "processingJob", "modelMonitor"),
                                           "batchTransform": ("lambda", "processingJob", "modelMonitor")}
"""Engines that provision each section in this version (the others refuse it, never ignore it silently)."""


def check_engine(spec: ModelMonitorSpec) -> None:
    enabled = {"modelBias": spec.model_bias.enabled, "featureAttribution": spec.feature_attribution.enabled,
               "batchTransform": spec.batch_transform is not None}
    for section, engines in PROVISIONED.items():
        if enabled[section] and spec.engine not in engines:
            raise MonitorConfigError(
                f"spec.{section} is not provisioned under engine {spec.engine} by this version yet: use engine "
                f"{' or '.join(engines)}")
    if (budget := budget_problem(spec.feature_attribution)) is not None:
        # validate says so too; render and `pulumi up` must not deploy runs that would each be refused
        raise MonitorConfigError(budget)
    if spec.batch_transform is not None and spec.engine == "processingJob" and spec.data_quality.instance_count > 1:
        # Sharded runs mount the endpoint capture layout's hour prefixes; batch manifests list other objects.
        raise MonitorConfigError("spec.dataQuality.instanceCount > 1 (sharded runs) reads endpoint captures only: "
                                 "use instanceCount 1 for a spec.batchTransform source")


_PAYLOAD_PATH_HINT = ("set spec.payload.input.path to the key of the features list in each line (keys joined by "
                      "dots, e.g. features; no [n] or [*]), or send text/csv")


def json_lines_features(spec: ModelMonitorSpec, section: str, dataset_type: str, type_field: str
                        ) -> dict[str, Any]:
    """`FeaturesAttribute` of a JSON Lines job input: AWS requires it "if endpoint or batch job input data format
    is application/jsonlines" ("Parameters to Monitor Bias Drift" / "... Attribution Drift"); taken from the payload
    path, and a combination it cannot be taken from is refused here rather than rendered for AWS to refuse."""
    if dataset_type not in JSON_LINES:
        return {}
    attribute = features_attribute(spec)
    if attribute is None:
        raise MonitorConfigError(
            f"spec.{section} under engine modelMonitor: {type_field} is {dataset_type}, and Clarify needs "
            f"FeaturesAttribute (a JMESPath to the features in each JSON line), which spec.payload.input.path "
            f"gives: {_PAYLOAD_PATH_HINT}")
    return {"features_attribute": attribute}


def check_attribution_template(spec: ModelMonitorSpec) -> None:
    """A JSON Lines model needs Clarify's `content_template` (the SDK's ModelConfig refuses application/jsonlines
    without one): refuse when the payload path cannot give it (`clarify_config.content_template`)."""
    fa = spec.feature_attribution
    if fa.content_type in JSON_LINES and content_template(spec) is None:
        raise MonitorConfigError(
            f"spec.featureAttribution under engine modelMonitor: featureAttribution.contentType is "
            f"{fa.content_type}, and Clarify needs a content_template to build each request from the features, "
            f"which spec.payload.input.path gives: {_PAYLOAD_PATH_HINT}")


def bias_input_type(spec: ModelMonitorSpec) -> tuple[str, str]:
    """(content type, the field that says so) of the records a bias job reads: the batch jobs' input; for an
    endpoint, JSON when `spec.payload.input.path` says where the features are in each request, else CSV."""
    if spec.batch_transform is not None:
        return spec.batch_transform.content_type, "spec.batchTransform.contentType"
    side = spec.payload.input
    if side is not None and side.path is not None:
        return "application/jsonlines", "spec.payload.input.path (JSON requests)"
    return "text/csv", "spec.payload"


def check_model_monitor(spec: ModelMonitorSpec) -> None:
    """The refusals of the Clarify job definitions (engine modelMonitor), from the spec alone."""
    if spec.model_bias.enabled:
        json_lines_features(spec, "modelBias", *bias_input_type(spec))
    if spec.feature_attribution.enabled:
        check_attribution_template(spec)
        json_lines_features(spec, "featureAttribution", attribution_dataset_type(spec),
                            "spec.batchTransform.contentType" if spec.batch_transform is not None
                            else "featureAttribution.contentType")


def plan_problems(spec: ModelMonitorSpec) -> list[str]:
    """Every refusal the components would raise for this spec, as messages (empty: none)."""
    checks: list[Callable[[ModelMonitorSpec], None]] = [check_engine]
    if spec.engine == "modelMonitor":
        checks.append(check_model_monitor)
    problems = []
    for check in checks:
        try:
            check(spec)
        except MonitorConfigError as exc:
            problems.append(str(exc))
    return problems
