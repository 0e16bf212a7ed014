"""The status a ModelMonitor resource reports (kstatus-compatible). The CRD's status schema is generated from it.

The operator builds these (operator/status.py); kubectl, Argo CD and the printer columns read them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from modelmonitor.spec_base import _Model

ConditionType = Literal["Ready", "Reconciling", "Stalled", "DataCaptureConfigured", "BaselineReady",
                        "DataQualityScheduled", "ModelQualityScheduled", "AlertingReady", "DriftDetected",
                        "InfrastructureDrifted"]


class Condition(_Model):
    type: Annotated[str, Field(max_length=64)]
    """Condition type, e.g. Ready, Reconciling, Stalled, DriftDetected."""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown."""
    reason: Annotated[str, Field(max_length=128)] = ""
    """CamelCase reason for the condition's last transition."""
    message: Annotated[str, Field(max_length=4096)] = ""
    """Human-readable detail."""
    last_transition_time: str | None = None
    """When the status last changed (RFC 3339)."""
    observed_generation: int | None = None
    """metadata.generation this condition was computed for."""


class LastOperation(_Model):
    type: Literal["up", "destroy", "forget", "refresh", "preview", "run-now"]
    """The Pulumi (or run-now) operation."""
    result: Literal["InProgress", "Succeeded", "Failed"]
    """How it ended, or InProgress."""
    summary: str = ""
    """`type result`, for the Last-Op printer column."""
    started_at: str | None = None
    """Start time (RFC 3339)."""
    finished_at: str | None = None
    """End time (RFC 3339)."""
    update_id: str | None = None
    """Pulumi update id."""
    message: Annotated[str, Field(max_length=4096)] = ""
    """Failure reason or a short result description."""


class MonitoringExecution(_Model):
    status: str
    """Completed, CompletedWithViolations, Failed, ... (Model Monitor's execution statuses)."""
    scheduled_time: str | None = None
    """Start of the analysed window / scheduled time (RFC 3339)."""
    violations: int = 0
    """Number of constraint violations."""
    drifted_features: list[str] = []
    """Features with a baseline_drift_check violation."""
    report_uri: str | None = None
    """S3 URI of the run's outputs."""
    failure_reason: str | None = None
    """Why the run failed."""


class ModelMonitorStatus(_Model):
    observed_generation: int | None = None
    """metadata.generation of the spec the status describes."""
    conditions: list[Condition] = []
    """Ready, Reconciling, Stalled and the feature conditions."""
    endpoint_name: str | None = None
    """The monitored SageMaker endpoint (printer column Endpoint)."""
    drift: str | None = None
    """Short drift summary of the last monitoring run (printer column Drift)."""
    last_operation: LastOperation | None = None
    """The last Pulumi operation."""
    last_applied_hash: str | None = None
    """Hash of (spec, program version) of the last successful up; an equal hash means no run is needed."""
    last_handled_reconcile_request: str | None = None
    """Value of the modelmonitor.io/reconcile-request annotation last acted on."""
    last_handled_run_now: str | None = None
    """Value of the modelmonitor.io/run-now annotation last acted on."""
    outputs: dict[str, str] = {}
    """Stack outputs (secrets masked)."""
    stack_name: str | None = None
    """The Pulumi stack holding this monitor's AWS resources; recorded before its first up and never changed."""
    last_monitoring_execution: MonitoringExecution | None = None
    """The latest monitoring run's outcome."""
    last_drift_check_time: str | None = None
    """When the infrastructure-drift check (spec.driftDetection) last ran; kept here so restarts keep its interval."""
