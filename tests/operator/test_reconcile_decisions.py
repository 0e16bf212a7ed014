"""reconcile.decide and friends: every decision from a table of observations (pure, no I/O)."""

from __future__ import annotations

import dataclasses

import pytest

from modelmonitor.operator import reconcile
from modelmonitor.operator.reconcile import Observed
from tests.operator.documents import doc

H1, H2 = "sha256:aaa", "sha256:bbb"
BASE = Observed(deleting=False, spec_hash=H1, last_applied_hash=H1)


@pytest.mark.parametrize(("changes", "action", "reason", "handled"), [
    ({}, "skip", "UpToDate", None),
    ({"last_applied_hash": None}, "up", "NotYetApplied", None),
    ({"spec_hash": H2}, "up", "SpecChanged", None),
    ({"spec_hash": None, "problems": "spec.region: required field is missing"}, "stall", "InvalidSpec", None),
    ({"suspend": True, "spec_hash": H2}, "skip", "Suspended", None),
    ({"suspend": True, "reconcile_request": "r1"}, "skip", "Suspended", None),
    ({"reconcile_request": "r1"}, "up", "ReconcileRequested", "r1"),
    ({"reconcile_request": "r1", "last_handled_request": "r1"}, "skip", "UpToDate", None),
    ({"reconcile_request": "r2", "last_handled_request": "r1"}, "up", "ReconcileRequested", "r2"),
    ({"spec_hash": None, "problems": "x", "reconcile_request": "r1"}, "stall", "InvalidSpec", None),
    # A valid spec whose program needs an image the operator cannot build and nobody declared pushed.
    ({"missing_image": "push it"}, "stall", "AnalyzerImageMissing", None),
    ({"missing_image": "push it", "spec_hash": H2, "reconcile_request": "r1"}, "stall", "AnalyzerImageMissing",
     None),
    ({"missing_image": "push it", "suspend": True}, "skip", "Suspended", None),
    ({"missing_image": "push it", "deleting": True, "deletion_policy": "Delete"}, "destroy",
     "DeletionPolicyDelete", None),
    # A failed or interrupted up of another spec may have changed resources: reverting runs an up.
    ({"last_operation_type": "up", "last_operation_result": "Failed"}, "up", "LastUpUnfinished", None),
    ({"last_operation_type": "up", "last_operation_result": "InProgress"}, "up", "LastUpUnfinished", None),
    ({"last_operation_type": "run-now", "last_operation_result": "Failed"}, "skip", "UpToDate", None),
    # deletion
    ({"deleting": True, "deletion_policy": "Delete"}, "destroy", "DeletionPolicyDelete", None),
    ({"deleting": True, "deletion_policy": "Retain"}, "forget", "DeletionPolicyRetain", None),
    # An empty status is no evidence that nothing exists: the backend decides (destroying no stack is a no-op).
    ({"deleting": True, "deletion_policy": "Delete", "last_applied_hash": None}, "destroy", "DeletionPolicyDelete",
     None),
    ({"deleting": True, "deletion_policy": "Delete", "last_applied_hash": None, "last_operation_type": "up"},
     "destroy", "DeletionPolicyDelete", None),
    ({"deleting": True, "deletion_policy": "Destroy", "spec_hash": None}, "forget", "DeletionPolicyUnreadable",
     None),
    ({"deleting": True, "deletion_policy": "Delete", "suspend": True}, "destroy", "DeletionPolicyDelete", None),
])
def test_decide(changes: dict[str, object], action: str, reason: str, handled: str | None) -> None:
    decision = reconcile.decide(dataclasses.replace(BASE, **changes))  # type: ignore[arg-type]
    assert (decision.action, decision.reason, decision.handled_request) == (action, reason, handled)


def test_invalid_spec_decision_carries_the_problems() -> None:
    decision = reconcile.decide(dataclasses.replace(BASE, spec_hash=None, problems="spec.a: bad\nspec.b: worse"))
    assert decision.message == "spec.a: bad\nspec.b: worse"


def test_hash_changes_with_the_spec_and_the_program_version_only() -> None:
    base = reconcile.spec_hash(doc(), "1.0")
    assert reconcile.spec_hash(doc(), "1.0") == base
    assert reconcile.spec_hash(doc(), "1.1") != base
    assert reconcile.spec_hash(doc(dataQuality={"schedule": "daily"}), "1.0") != base
    assert reconcile.spec_hash(doc(deletionPolicy="Delete"), "1.0") != base  # may change retainOnDelete
    # Operator-only fields do not change what an up would do.
    assert reconcile.spec_hash(doc(suspend=True), "1.0") == base
    assert reconcile.spec_hash(doc(driftDetection={"mode": "Off"}), "1.0") == base
    # Defaults written out explicitly are the same spec.
    assert reconcile.spec_hash(doc(dataCapture={"samplingPercentage": 20,
                                               "destinationS3Uri": "s3://acme-captures/churn"}), "1.0") == base


@pytest.mark.parametrize(("raw", "expected"), [
    (None, "Retain"), ({}, "Retain"), ({"deletionPolicy": "Delete"}, "Delete"), ({"deletionPolicy": 3}, "3")])
def test_raw_deletion_policy(raw: dict[str, object] | None, expected: str) -> None:
    assert reconcile.raw_deletion_policy(raw) == expected


@pytest.mark.parametrize(("mode", "since", "suspended", "applied", "expected"), [
    ("Off", None, False, True, "skip"),
    ("Detect", None, False, True, "detect"),
    ("Detect", 3599.0, False, True, "skip"),      # interval 1h not elapsed
    ("Detect", 3600.0, False, True, "detect"),
    ("Remediate", 7200.0, False, True, "remediate"),
    ("Detect", None, True, True, "skip"),
    ("Detect", None, False, False, "skip"),       # nothing applied: nothing can drift
])
def test_drift_check_schedule(mode: str, since: float | None, suspended: bool, applied: bool, expected: str) -> None:
    assert reconcile.decide_drift_check(mode=mode, interval="1h", seconds_since_last=since, suspended=suspended,
                                        applied=applied) == expected
