"""Pure decisions: what to do with one ModelMonitor given its spec, its status and what was applied last.

No I/O, no kopf, no Pulumi: handlers gather an `Observed`, call `decide`, and drive the returned action.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from modelmonitor import run_now
from modelmonitor.components.engine_names import MonitoringType
from modelmonitor.operator.settings import RUN_NOW_ANNOTATION
from modelmonitor.spec import ModelMonitorDocument, duration_seconds

Action = Literal["up", "destroy", "forget", "skip", "stall"]
DriftAction = Literal["skip", "detect", "remediate"]
RunNowAction = Literal["none", "skip", "reject", "run"]
# Stands in for the account id while validating a processingJob request: only its shape is checked here.
_PLACEHOLDER_ACCOUNT = "000000000000"

# Spec fields that steer the operator rather than the Pulumi program: changing them needs no `up`.
_OPERATOR_ONLY_FIELDS = ("suspend", "driftDetection")


@dataclass(frozen=True)
class Observed:
    """What a handler saw of one custom resource, reduced to what decisions need."""

    deleting: bool
    spec_hash: str | None
    """Hash of the valid spec and program version; None when the spec is invalid."""
    problems: str = ""
    """Validation problems (one per line) when the spec is invalid."""
    suspend: bool = False
    deletion_policy: str = "Retain"
    """Raw spec.deletionPolicy: read even from an invalid spec, because deletion must still work."""
    reconcile_request: str | None = None
    last_applied_hash: str | None = None
    last_handled_request: str | None = None
    last_operation_type: str | None = None
    """Type of the last recorded operation, if any."""
    last_operation_result: str | None = None
    """Its result: an up that failed or never finished may have left the stack between two specs."""
    missing_image: str = ""
    """Why the program may not run although the spec is valid: it needs our analyzer image and the operator's
    configuration does not say it is pushed (an up would create jobs pointing at nothing)."""


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    """CamelCase, for conditions and events."""
    message: str
    handled_request: str | None = None
    """The reconcile-request annotation value this decision acts on (to record as handled once it succeeds)."""


def decide(observed: Observed) -> Decision:
    if observed.deleting:
        return _decide_deletion(observed)
    if observed.spec_hash is None:
        return Decision("stall", "InvalidSpec", observed.problems or "the spec is invalid")
    if observed.suspend:
        return Decision("skip", "Suspended", "spec.suspend is true: no Pulumi runs until it is false")
    if observed.missing_image:
        return Decision("stall", "AnalyzerImageMissing", observed.missing_image)
    request = observed.reconcile_request
    if request is not None and request != observed.last_handled_request:
        return Decision("up", "ReconcileRequested", f"reconcile requested ({request})", handled_request=request)
    if observed.last_applied_hash is None:
        return Decision("up", "NotYetApplied", "the monitor has not been applied yet")
    if observed.last_operation_type == "up" and observed.last_operation_result in ("Failed", "InProgress"):
        # Reverting to the applied spec after a failed (or interrupted) up of another: that up may have changed
        # some resources, so the applied hash alone no longer says the stack matches.
        return Decision("up", "LastUpUnfinished", "the last up failed or was interrupted: applying the spec again")
    if observed.spec_hash != observed.last_applied_hash:
        return Decision("up", "SpecChanged", "the spec or the program changed since the last successful up")
    return Decision("skip", "UpToDate", "the applied stack matches the spec")


def _decide_deletion(observed: Observed) -> Decision:
    policy = observed.deletion_policy
    if policy == "Delete":
        # Always destroy, even with an empty status: a pod killed after `up` created resources but before its status
        # write leaves no trace here. The backend is the evidence: destroying a stack that does not exist is a no-op.
        return Decision("destroy", "DeletionPolicyDelete", "deletionPolicy Delete: destroying the AWS resources")
    if policy != "Retain":
        # Unreadable policy on an invalid spec: never destroy on an ambiguous instruction.
        return Decision("forget", "DeletionPolicyUnreadable",
                        f"deletionPolicy {policy!r} is not Delete or Retain: keeping the AWS resources")
    return Decision("forget", "DeletionPolicyRetain",
                    "deletionPolicy Retain: the stack is forgotten, the AWS resources are kept")


def spec_hash(document: ModelMonitorDocument, program_version: str) -> str:
    """Stable hash of what an `up` depends on: the parsed spec (defaults applied) and the program version."""
    spec = document.spec.model_dump(mode="json", by_alias=True)
    for name in _OPERATOR_ONLY_FIELDS:
        spec.pop(name, None)
    identity = {"namespace": document.metadata.namespace, "name": document.metadata.name}
    canonical = json.dumps({"spec": spec, "monitor": identity, "program": program_version},
                           sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def raw_deletion_policy(raw_spec: Mapping[str, Any] | None) -> str:
    """deletionPolicy from a raw spec that may be invalid; the schema's default (Retain) when absent."""
    value = (raw_spec or {}).get("deletionPolicy", "Retain")
    return value if isinstance(value, str) else repr(value)


def decide_drift_check(*, mode: str, interval: str, seconds_since_last: float | None, suspended: bool,
                       applied: bool) -> DriftAction:
    """Whether the infrastructure-drift timer acts now (per-monitor interval on a shared timer tick)."""
    if mode == "Off" or suspended or not applied:
        return "skip"
    if seconds_since_last is not None and seconds_since_last < duration_seconds(interval):
        return "skip"
    return "remediate" if mode == "Remediate" else "detect"


@dataclass(frozen=True)
class RunNowDecision:
    action: RunNowAction
    """none: nothing new; skip: recorded without AWS; reject: the value cannot run; run: start one run-now."""
    message: str = ""
    value: str | None = None
    """The annotation value to record in status.lastHandledRunNow (every action but none)."""
    window: run_now.Window | None = None
    monitoring_type: MonitoringType = "DataQuality"


def decide_run_now(value: str | None, last_handled: str | None, *, document: ModelMonitorDocument | None,
                   problems: str = "", driver: str, deleting: bool, now: datetime) -> RunNowDecision:
    """What a `modelmonitor.io/run-now` annotation value asks for: a value acts once (compared with status, so
    restarts and resyncs never repeat it). A value holding `/` is an explicit window START/END; any other value
    (e.g. a timestamp) means the previous full hour. The window is checked even when the driver skips AWS."""
    if value is None or value == last_handled or deleting:
        return RunNowDecision("none")
    where = f"{RUN_NOW_ANNOTATION} {value!r}"
    if document is None:
        return RunNowDecision("reject", f"{where}: the spec is invalid: {problems or 'see the Stalled condition'}",
                              value)
    spec = document.spec
    monitoring_type: MonitoringType = "DataQuality" if spec.data_quality.enabled else "ModelQuality"
    try:
        window = run_now.parse_window(value, RUN_NOW_ANNOTATION) if "/" in value else run_now.previous_hour(now)
        if window.end <= window.start:
            raise run_now.RunNowError(f"window end {_iso(window.end)} is not after its start {_iso(window.start)}")
        if window.end > now:
            raise run_now.RunNowError(f"window end {_iso(window.end)} is in the future: its captures are not "
                                      "written yet")
        # The request builder's own checks (section enabled, Model Monitor's 24 h limit), without any I/O.
        run_now.build_run_now_request(document, window, now=now, monitoring_type=monitoring_type,
                                      account_id=_PLACEHOLDER_ACCOUNT, wait=False)
    except run_now.RunNowError as exc:
        return RunNowDecision("reject", f"{where}: {exc}", value)
    if driver != "automation":
        return RunNowDecision("skip", f"run-now skipped: the {driver} driver touches no AWS", value, window,
                              monitoring_type)
    return RunNowDecision("run", f"{monitoring_type} run-now of {_iso(window.start)}/{_iso(window.end)} "
                          f"with engine {spec.engine}", value, window, monitoring_type)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
