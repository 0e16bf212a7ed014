"""Pure status building: conditions and status patches from a decision's outcome. No I/O, no kopf.

Conditions follow kstatus: `Ready` says whether the declared monitoring exists as declared; `Reconciling` is True
while work for the current generation is pending (with the attempt in its message); `Stalled` is True when no
retry can help until the spec changes. Every patch here is a JSON merge patch of `.status` in the CRD's camelCase.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from modelmonitor.spec import ModelMonitorDocument
from modelmonitor.status import Condition, LastOperation, MonitoringExecution

ConditionStatus = Literal["True", "False", "Unknown"]
OperationType = Literal["up", "destroy", "forget", "refresh", "preview", "run-now"]
SECRET_MASK = "[secret]"
MAX_MESSAGE = 1024

# Condition types whose value an operation's outcome decides; DriftDetected and InfrastructureDrifted belong
# to the timers and survive every operation patch.
OPERATION_CONDITIONS = ("Ready", "Reconciling", "Stalled")
TIMER_CONDITIONS = ("DriftDetected", "InfrastructureDrifted")
FEATURE_CONDITIONS = ("DataCaptureConfigured", "BaselineReady", "DataQualityScheduled", "ModelQualityScheduled",
                      "ModelBiasScheduled", "FeatureAttributionScheduled", "AlertingReady")


@dataclass(frozen=True)
class OperationRecord:
    """What happened in one Pulumi (or render/fake) operation, with its times (RFC 3339)."""

    type: OperationType
    result: Literal["InProgress", "Succeeded", "Failed"]
    started_at: str
    finished_at: str | None = None
    update_id: str | None = None
    message: str = ""

    def to_status(self) -> dict[str, Any]:
        return _dump(LastOperation(type=self.type, result=self.result, summary=f"{self.type} {self.result}",
                                   started_at=self.started_at, finished_at=self.finished_at,
                                   update_id=self.update_id, message=truncate(self.message)))


def condition(type_: str, status: ConditionStatus, reason: str, message: str = "") -> Condition:
    return Condition(type=type_, status=status, reason=reason, message=truncate(message))


def truncate(message: str, limit: int = MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def merge_conditions(existing: Iterable[Mapping[str, Any]], updates: Sequence[Condition], *, now: str,
                     generation: int | None) -> list[dict[str, Any]]:
    """Replace the updated condition types, keep the others; keep lastTransitionTime when the status is unchanged.

    Merge patches replace whole lists, so every writer sends the full list built here from what it last saw.
    """
    old = {str(c.get("type")): dict(c) for c in existing if isinstance(c, Mapping)}
    merged = dict(old)
    for update in updates:
        previous = old.get(update.type)
        same = previous is not None and previous.get("status") == update.status
        transition = previous.get("lastTransitionTime") if same and previous is not None else now
        merged[update.type] = _dump(update.model_copy(update={
            "last_transition_time": transition or now, "observed_generation": generation}))
    return sorted(merged.values(), key=lambda c: _ORDER.get(str(c["type"]), len(_ORDER)))


_ORDER = {name: i for i, name in enumerate((*OPERATION_CONDITIONS, *FEATURE_CONDITIONS, *TIMER_CONDITIONS))}


def combine_conditions(fresh: Iterable[Mapping[str, Any]], written: Iterable[Mapping[str, Any]],
                       owned: Collection[str]) -> list[dict[str, Any]]:
    """One writer per condition type: `written` replaces the `owned` types of the freshest list and adds the types
    the list lacks; every other type keeps its fresh value (another writer may have changed it meanwhile)."""
    merged = {str(c.get("type")): dict(c) for c in fresh if isinstance(c, Mapping)}
    for cond in written:
        type_ = str(cond.get("type"))
        if type_ in owned or type_ not in merged:
            merged[type_] = dict(cond)
    return sorted(merged.values(), key=lambda c: _ORDER.get(str(c["type"]), len(_ORDER)))


def feature_conditions(document: ModelMonitorDocument) -> list[Condition]:
    """What an applied spec configured, stated honestly (an existing endpoint's capture is not verified)."""
    spec = document.spec
    capture = spec.data_capture
    if spec.batch_transform is not None:
        data_capture = condition("DataCaptureConfigured", "True", "BatchTransform",
                                 f"batch transform jobs capture to {spec.batch_transform.destination_s3_uri}; "
                                 "expected, not verified")
    elif spec.endpoint_source.create is not None:
        data_capture = condition("DataCaptureConfigured", "True", "CaptureEnabled",
                                 f"endpoint {document.endpoint_name} captures {capture.sampling_percentage}% "
                                 "of requests")
    else:
        data_capture = condition("DataCaptureConfigured", "True", "ExistingEndpoint",
                                 f"endpoint {document.endpoint_name} exists; its data capture is expected, "
                                 "not verified")
    baseline = (condition("BaselineReady", "True", "Precomputed", "using the precomputed statistics and constraints")
                if spec.baseline.precomputed is not None else
                condition("BaselineReady", "True", "Computed", "baseline computed from the dataset"))
    data_quality = (condition("DataQualityScheduled", "True", "Scheduled",
                              f"{spec.engine} runs {spec.data_quality.schedule}")
                    if spec.data_quality.enabled else condition("DataQualityScheduled", "False", "Disabled"))
    model_quality = (condition("ModelQualityScheduled", "True", "Scheduled",
                               f"{spec.engine} runs {spec.model_quality.schedule}")
                     if spec.model_quality.enabled else condition("ModelQualityScheduled", "False", "Disabled"))
    model_bias = (condition("ModelBiasScheduled", "True", "Scheduled", f"{spec.engine} runs {spec.model_bias.schedule}")
                  if spec.model_bias.enabled else condition("ModelBiasScheduled", "False", "Disabled"))
    attribution = spec.feature_attribution
    feature_attribution = (
        condition("FeatureAttributionScheduled", "True", "Scheduled",
                  f"{spec.engine} runs {attribution.schedule}; each run calls the model")
        if attribution.enabled else condition("FeatureAttributionScheduled", "False", "Disabled"))
    alerting = spec.alerting
    destinations = [f"{len(alerting.emails)} e-mail subscriber(s) (each must confirm)"] if alerting.emails else []
    if alerting.sns_topic_arn:
        destinations.append(f"topic {alerting.sns_topic_arn}")
    if alerting.slack_webhook_secret:
        destinations.append("a Slack webhook")
    alert = (condition("AlertingReady", "True", "Configured", "alarms notify " + ", ".join(destinations))
             if destinations else
             condition("AlertingReady", "False", "NoDestinations",
                       "alarms exist but no e-mail, SNS topic or Slack webhook receives them"))
    return [data_capture, baseline, data_quality, model_quality, model_bias, feature_attribution, alert]


def mask_outputs(outputs: Mapping[str, tuple[object, bool]]) -> dict[str, str]:
    """Stack outputs as strings; secret ones replaced by a mask so they never reach the API server."""
    masked: dict[str, str] = {}
    for key, (value, secret) in sorted(outputs.items()):
        masked[key] = SECRET_MASK if secret else (value if isinstance(value, str) else _json(value))
    return masked


def applied(document: ModelMonitorDocument, *, existing: Iterable[Mapping[str, Any]], operation: OperationRecord,
            outputs: Mapping[str, str], applied_hash: str, generation: int | None, handled_request: str | None,
            now: str, previous_outputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Status after a successful up: Ready, nothing pending, what was configured."""
    updates = [condition("Ready", "True", "Applied", operation.message or "stack is up to date"),
               condition("Reconciling", "False", "Applied"), condition("Stalled", "False", "Applied"),
               *feature_conditions(document)]
    if not any(c.get("type") == "DriftDetected" for c in existing):
        updates.append(condition("DriftDetected", "Unknown", "NoExecutionYet", "no monitoring run has finished yet"))
    patch: dict[str, Any] = {
        "observedGeneration": generation, "endpointName": document.monitored_endpoint,
        "lastAppliedHash": applied_hash, "lastOperation": operation.to_status(),
        # A merge patch keeps keys it does not name: outputs the stack no longer exports are removed explicitly.
        "outputs": {**{key: None for key in previous_outputs or {} if key not in outputs}, **outputs},
        "conditions": merge_conditions(existing, updates, now=now, generation=generation)}
    if handled_request is not None:
        patch["lastHandledReconcileRequest"] = handled_request
    return patch


def up_to_date(*, existing: Iterable[Mapping[str, Any]], generation: int | None, observed: int | None,
               handled_request: str | None, now: str) -> dict[str, Any]:
    """Status when nothing needed running: the applied stack matches the spec, so Ready, not Reconciling and not
    Stalled — whatever an earlier (invalid, since reverted) spec left there. Empty when already so."""
    existing = list(existing)
    updates = [condition("Ready", "True", "UpToDate", "the applied stack matches the spec"),
               condition("Reconciling", "False", "UpToDate"), condition("Stalled", "False", "UpToDate")]
    current = {str(c.get("type")): c.get("status") for c in existing}
    patch: dict[str, Any] = {}
    if generation != observed or any(current.get(u.type) != u.status for u in updates):
        patch["observedGeneration"] = generation
        patch["conditions"] = merge_conditions(existing, updates, now=now, generation=generation)
    if handled_request is not None:
        patch["lastHandledReconcileRequest"] = handled_request
    return patch


def suspended(*, existing: Iterable[Mapping[str, Any]], generation: int | None, now: str) -> dict[str, Any]:
    """Nothing runs while suspended, so nothing is stalled either (an invalid spec is checked before suspend)."""
    updates = [condition("Reconciling", "False", "Suspended", "spec.suspend is true: no Pulumi runs until it is false"),
               condition("Stalled", "False", "Suspended")]
    return {"observedGeneration": generation,
            "conditions": merge_conditions(existing, updates, now=now, generation=generation)}


def stalled(*, existing: Iterable[Mapping[str, Any]], reason: str, message: str, generation: int | None,
            operation: OperationRecord | None, now: str) -> dict[str, Any]:
    """Status when retrying cannot help until the spec (or the operator's setup) changes."""
    updates = [condition("Stalled", "True", reason, message), condition("Ready", "False", reason, message),
               condition("Reconciling", "False", reason)]
    patch: dict[str, Any] = {"observedGeneration": generation,
                             "conditions": merge_conditions(existing, updates, now=now, generation=generation)}
    if operation is not None:
        patch["lastOperation"] = operation.to_status()
    return patch


def in_progress(*, existing: Iterable[Mapping[str, Any]], operation: OperationRecord, stack: str,
                record_stack: bool, generation: int | None, now: str) -> dict[str, Any]:
    """Status written BEFORE an operation starts: kstatus reads Reconciling=True as InProgress, `kubectl get` shows
    the operation, and the stack is on record before it can hold any resource."""
    message = f"{operation.type} of stack {stack} running: {operation.message}"
    updates = [condition("Reconciling", "True", "Progressing", message), condition("Stalled", "False", "Progressing")]
    if not any(c.get("type") == "Ready" for c in existing):
        updates.append(condition("Ready", "False", "Progressing", message))
    patch: dict[str, Any] = {"lastOperation": operation.to_status(),
                             "conditions": merge_conditions(existing, updates, now=now, generation=generation)}
    if record_stack:
        patch["stackName"] = stack
    return patch


def retrying(*, existing: Iterable[Mapping[str, Any]], operation: OperationRecord, attempt: int, delay: float,
             generation: int | None, now: str) -> dict[str, Any]:
    """Status after a temporary failure: still reconciling, which attempt failed and when the next one runs."""
    message = f"attempt {attempt} failed: {operation.message}; retrying in {delay:g}s"
    reason = "DestroyFailed" if operation.type == "destroy" else "Retrying"
    updates = [condition("Reconciling", "True", reason, message), condition("Ready", "False", reason, message),
               condition("Stalled", "False", reason)]
    return {"lastOperation": operation.to_status(),
            "conditions": merge_conditions(existing, updates, now=now, generation=generation)}


def blocked(*, existing: Iterable[Mapping[str, Any]], operation: OperationRecord, delay: float,
            generation: int | None, now: str) -> dict[str, Any]:
    """A deletion that cannot succeed until someone acts (BucketNotEmpty, a missing stack): Stalled says so, the
    finalizer stays, and the operation is retried at the slowest pace so it completes once the cause is fixed."""
    message = f"{operation.message}; retrying every {delay:g}s"
    reason = f"{operation.type.capitalize()}Blocked"
    updates = [condition("Stalled", "True", reason, message), condition("Ready", "False", reason, message),
               condition("Reconciling", "False", reason)]
    return {"lastOperation": operation.to_status(),
            "conditions": merge_conditions(existing, updates, now=now, generation=generation)}


def backoff_delay(attempt: int, *, base: float, cap: float, hint: float | None = None) -> float:
    """Capped exponential backoff: base, 2·base, 4·base, … never above cap; a driver's hint raises the floor."""
    delay = min(cap, base * 2.0 ** max(0, attempt - 1))
    return min(cap, max(delay, hint or 0.0))


def execution_status(execution: MonitoringExecution | None, *, existing: Iterable[Mapping[str, Any]],
                     generation: int | None, now: str) -> dict[str, Any]:
    """Status from the latest monitoring run: the Drift column, DriftDetected and lastMonitoringExecution."""
    if execution is None:
        return {}
    drift = drift_summary(execution)
    if execution.status == "Failed":
        update = condition("DriftDetected", "Unknown", "ExecutionFailed",
                           execution.failure_reason or "the latest monitoring run failed")
    elif execution.drifted_features:
        update = condition("DriftDetected", "True", "FeaturesDrifted",
                           f"{len(execution.drifted_features)} feature(s) drifted: "
                           f"{', '.join(execution.drifted_features)} ({execution.report_uri or 'no report'})")
    elif execution.status in ("Completed", "CompletedWithViolations"):
        update = condition("DriftDetected", "False", "NoDrift",
                           f"latest run {execution.status} with {execution.violations} violation(s), none a drift")
    else:
        update = condition("DriftDetected", "Unknown", execution.status, "latest run has not finished")
    return {"drift": drift, "lastMonitoringExecution": _dump(execution),
            "conditions": merge_conditions(existing, [update], now=now, generation=generation)}


def drift_summary(execution: MonitoringExecution) -> str:
    """Short text for the Drift printer column."""
    if execution.status == "Failed":
        return "run failed"
    features = execution.drifted_features
    if not features:
        return "none" if execution.status in ("Completed", "CompletedWithViolations") else execution.status
    return ", ".join(features) if len(features) <= 3 else f"{len(features)} features"


def infrastructure_drift(*, existing: Iterable[Mapping[str, Any]], changes: int, generation: int | None, now: str,
                         remediated: bool = False, note: str = "") -> dict[str, Any]:
    if changes == 0:
        update = condition("InfrastructureDrifted", "False", "InSync", "live resources match the stack")
    elif remediated:
        update = condition("InfrastructureDrifted", "False", "Remediated",
                           f"{changes} resource(s) had drifted and were reverted by refresh + up")
    else:
        why = note or "driftDetection.mode Detect: not reverted"
        update = condition("InfrastructureDrifted", "True", "Drifted", f"{changes} resource(s) differ from the stack "
                                                                      f"({why})")
    return {"lastDriftCheckTime": now,
            "conditions": merge_conditions(existing, [update], now=now, generation=generation)}


def _dump(model: Condition | LastOperation | MonitoringExecution) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)
