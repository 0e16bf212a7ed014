"""Parsed ModelMonitor documents for the operator's pure tests."""

from __future__ import annotations

from modelmonitor.loader import parse_document
from modelmonitor.spec import ModelMonitorDocument


def doc(**spec_changes: object) -> ModelMonitorDocument:
    """ml/churn monitoring the existing endpoint churn-prod, with `spec_changes` applied on top."""
    spec: dict[str, object] = {
        "region": "us-east-1", "endpoint": {"existing": {"name": "churn-prod"}},
        "dataCapture": {"destinationS3Uri": "s3://acme-captures/churn"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://acme-baselines/s.json",
                                     "constraintsS3Uri": "s3://acme-baselines/c.json"}}}
    spec.update(spec_changes)
    return parse_document({"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                           "metadata": {"name": "churn", "namespace": "ml"}, "spec": spec})
