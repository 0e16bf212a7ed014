"""operator.status: conditions and status patches, table-driven against hand-written expectations."""

from __future__ import annotations

import pytest

from modelmonitor.operator import status
from modelmonitor.status import ModelMonitorStatus, MonitoringExecution
from tests.operator.documents import doc

T0, T1 = "2026-11-25T03:00:00Z", "2026-11-25T04:00:00Z"


def by_type(conditions: list[dict[str, object]]) -> dict[object, tuple[object, object]]:
    return {c["type"]: (c["status"], c["reason"]) for c in conditions}


def test_merge_keeps_transition_time_when_status_is_unchanged() -> None:
    first = status.merge_conditions([], [status.condition("Ready", "True", "Applied")], now=T0, generation=1)
    same = status.merge_conditions(first, [status.condition("Ready", "True", "Applied", "again")], now=T1,
                                   generation=2)
    flipped = status.merge_conditions(first, [status.condition("Ready", "False", "Retrying")], now=T1, generation=2)
    assert same[0]["lastTransitionTime"] == T0 and same[0]["observedGeneration"] == 2
    assert flipped[0]["lastTransitionTime"] == T1


def test_merge_keeps_conditions_it_does_not_update_and_orders_them() -> None:
    existing = [{"type": "DriftDetected", "status": "True", "reason": "FeaturesDrifted", "lastTransitionTime": T0}]
    merged = status.merge_conditions(existing, [status.condition("Ready", "True", "Applied")], now=T1, generation=1)
    assert [c["type"] for c in merged] == ["Ready", "DriftDetected"]
    assert merged[1]["lastTransitionTime"] == T0


@pytest.mark.parametrize(("spec", "expected"), [
    ({}, {"DataCaptureConfigured": ("True", "ExistingEndpoint"), "BaselineReady": ("True", "Precomputed"),
          "DataQualityScheduled": ("True", "Scheduled"), "ModelQualityScheduled": ("False", "Disabled"),
          "ModelBiasScheduled": ("False", "Disabled"), "FeatureAttributionScheduled": ("False", "Disabled"),
          "AlertingReady": ("False", "NoDestinations")}),
    ({"endpoint": {"create": {"modelDataUrl": "s3://acme-models/m.tar.gz", "image": "img:1"}},
      "baseline": {"dataset": {"s3Uri": "s3://acme-data/train.csv"}}, "dataQuality": {"enabled": False},
      "modelQuality": {"enabled": True, "problemType": "Regression", "inferenceAttribute": "0",
                       "groundTruthS3Uri": "s3://acme-labels/gt/"},
      "alerting": {"emails": ["a@example.com"]}},
     {"DataCaptureConfigured": ("True", "CaptureEnabled"), "BaselineReady": ("True", "Computed"),
      "DataQualityScheduled": ("False", "Disabled"), "ModelQualityScheduled": ("True", "Scheduled"),
      "ModelBiasScheduled": ("False", "Disabled"), "FeatureAttributionScheduled": ("False", "Disabled"),
      "AlertingReady": ("True", "Configured")}),
    ({"featureAttribution": {"enabled": True, "headers": ["a", "b"], "backgroundRows": [[0, 1]]},
      "modelBias": {"enabled": True, "groundTruthS3Uri": "s3://acme-labels/gt/", "label": {"favourableValues": ["1"]},
                    "facets": [{"name": "a"}], "inferenceAttribute": "0"}},
     {"DataCaptureConfigured": ("True", "ExistingEndpoint"), "BaselineReady": ("True", "Precomputed"),
      "DataQualityScheduled": ("True", "Scheduled"), "ModelQualityScheduled": ("False", "Disabled"),
      "ModelBiasScheduled": ("True", "Scheduled"), "FeatureAttributionScheduled": ("True", "Scheduled"),
      "AlertingReady": ("False", "NoDestinations")}),
    ({"endpoint": None, "batchTransform": {"destinationS3Uri": "s3://acme-batch/capture/"}},
     {"DataCaptureConfigured": ("True", "BatchTransform"), "BaselineReady": ("True", "Precomputed"),
      "DataQualityScheduled": ("True", "Scheduled"), "ModelQualityScheduled": ("False", "Disabled"),
      "ModelBiasScheduled": ("False", "Disabled"), "FeatureAttributionScheduled": ("False", "Disabled"),
      "AlertingReady": ("False", "NoDestinations")}),
])
def test_feature_conditions(spec: dict[str, object], expected: dict[str, tuple[str, str]]) -> None:
    conditions = status.feature_conditions(doc(**spec))
    assert {c.type: (c.status, c.reason) for c in conditions} == expected


def test_applied_status_validates_against_the_crd_status_model() -> None:
    op = status.OperationRecord("up", "Succeeded", T0, T1, update_id="7", message="3 create")
    patch = status.applied(doc(), existing=[], operation=op, outputs={"endpointName": "churn-prod"},
                           applied_hash="sha256:x", generation=3, handled_request="r1", now=T1)
    model = ModelMonitorStatus.model_validate(patch)  # extra="forbid": no field the CRD would prune
    assert model.last_operation is not None and model.last_operation.summary == "up Succeeded"
    assert model.observed_generation == 3 and model.last_handled_reconcile_request == "r1"
    assert by_type(patch["conditions"])["Ready"] == ("True", "Applied")
    assert by_type(patch["conditions"])["DriftDetected"] == ("Unknown", "NoExecutionYet")


@pytest.mark.parametrize(("attempt", "expected"), [(1, 5.0), (2, 10.0), (3, 20.0), (7, 300.0), (8, 300.0)])
def test_backoff_is_exponential_and_capped(attempt: int, expected: float) -> None:
    assert status.backoff_delay(attempt, base=5.0, cap=300.0) == expected


def test_backoff_hint_raises_the_floor_but_not_the_cap() -> None:
    assert status.backoff_delay(1, base=5.0, cap=300.0, hint=60.0) == 60.0
    assert status.backoff_delay(1, base=5.0, cap=300.0, hint=900.0) == 300.0


def test_retrying_status_names_the_attempt_and_delay() -> None:
    op = status.OperationRecord("up", "Failed", T0, T1, message="stack locked")
    patch = status.retrying(existing=[], operation=op, attempt=3, delay=20.0, generation=2, now=T1)
    reconciling = next(c for c in patch["conditions"] if c["type"] == "Reconciling")
    assert (reconciling["status"], reconciling["reason"]) == ("True", "Retrying")
    assert reconciling["message"] == "attempt 3 failed: stack locked; retrying in 20s"
    destroy = status.retrying(existing=[], operation=status.OperationRecord("destroy", "Failed", T0), attempt=1,
                              delay=5.0, generation=2, now=T1)
    assert by_type(destroy["conditions"])["Ready"] == ("False", "DestroyFailed")


def test_stalled_status() -> None:
    patch = status.stalled(existing=[], reason="InvalidSpec", message="spec.region: required field is missing",
                           generation=4, operation=None, now=T1)
    assert by_type(patch["conditions"]) == {"Ready": ("False", "InvalidSpec"), "Reconciling": ("False", "InvalidSpec"),
                                            "Stalled": ("True", "InvalidSpec")}
    assert patch["observedGeneration"] == 4


def test_up_to_date_writes_nothing_when_generation_is_current() -> None:
    settled = [{"type": "Ready", "status": "True"}, {"type": "Reconciling", "status": "False"},
               {"type": "Stalled", "status": "False"}]
    assert status.up_to_date(existing=settled, generation=2, observed=2, handled_request=None, now=T1) == {}
    assert status.up_to_date(existing=[], generation=3, observed=2, handled_request=None, now=T1)[
        "observedGeneration"] == 3


def test_outputs_are_masked_and_stringified() -> None:
    masked = status.mask_outputs({"token": ("s3cr3t", True), "arns": ({"b": "2", "a": "1"}, False),
                                  "name": ("churn", False)})
    assert masked == {"arns": '{"a": "1", "b": "2"}', "name": "churn", "token": "[secret]"}


@pytest.mark.parametrize(("execution", "drift", "condition"), [
    (MonitoringExecution(status="CompletedWithViolations", violations=3, drifted_features=["age", "income"],
                         report_uri="s3://b/r/"), "age, income", ("True", "FeaturesDrifted")),
    (MonitoringExecution(status="CompletedWithViolations", violations=1, drifted_features=[]), "none",
     ("False", "NoDrift")),
    (MonitoringExecution(status="Completed"), "none", ("False", "NoDrift")),
    (MonitoringExecution(status="Failed", failure_reason="OOM"), "run failed", ("Unknown", "ExecutionFailed")),
    (MonitoringExecution(status="CompletedWithViolations", violations=4, drifted_features=["a", "b", "c", "d"]),
     "4 features", ("True", "FeaturesDrifted")),
])
def test_execution_status(execution: MonitoringExecution, drift: str, condition: tuple[str, str]) -> None:
    patch = status.execution_status(execution, existing=[], generation=1, now=T1)
    assert patch["drift"] == drift
    assert by_type(patch["conditions"])["DriftDetected"] == condition
    ModelMonitorStatus.model_validate(patch)


@pytest.mark.parametrize(("changes", "remediated", "expected"), [
    (0, False, ("False", "InSync")), (2, False, ("True", "Drifted")), (2, True, ("False", "Remediated"))])
def test_infrastructure_drift(changes: int, remediated: bool, expected: tuple[str, str]) -> None:
    patch = status.infrastructure_drift(existing=[], changes=changes, remediated=remediated, generation=1, now=T1)
    assert by_type(patch["conditions"])["InfrastructureDrifted"] == expected
