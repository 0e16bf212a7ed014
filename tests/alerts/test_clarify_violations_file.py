"""The alert Lambda reads the violations files of bias and attribution drift runs in the schemas AWS documents for
them, which have no `feature_name`: "Bias Drift Violations"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html: facet,
facet_value, metric_name, constraint_check_type, description) and "Model Feature Attribution Drift Violations"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html:
label, metric_name, constraint_check_type, description). The examples are those pages' own."""

from __future__ import annotations

import json

from modelmonitor.alerts.logic import parse_violations
from modelmonitor.alerts.render import _violation_line

BIAS_EXAMPLE = {"version": "1.0", "violations": [
    {"facet": "Age", "facet_value": "40", "metric_name": "CI", "constraint_check_type": "bias_drift_check",
     "description": "Value 0.0751544567666083 does not meet the constraint requirement"},
    {"facet": "Age", "facet_value": "40", "metric_name": "DPPL", "constraint_check_type": "bias_drift_check",
     "description": "Value -0.0791244970125596 does not meet the constraint requirement"}]}
ATTRIBUTION_EXAMPLE = {"version": "1.0", "violations": [
    {"label": "label0", "metric_name": "shap", "constraint_check_type": "feature_attribution_drift_check",
     "description": "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9"}]}


def test_a_bias_violation_is_named_by_its_metric_facet_and_value() -> None:
    lines = [_violation_line(v) for v in parse_violations(json.dumps(BIAS_EXAMPLE).encode())]
    assert lines == [
        "CI of Age=40: bias_drift_check - Value 0.0751544567666083 does not meet the constraint requirement",
        "DPPL of Age=40: bias_drift_check - Value -0.0791244970125596 does not meet the constraint requirement"]


def test_an_attribution_violation_is_named_by_its_method_and_label() -> None:
    (violation,) = parse_violations(json.dumps(ATTRIBUTION_EXAMPLE).encode())
    assert _violation_line(violation).startswith("shap of label0: feature_attribution_drift_check - Feature "
                                                 "attribution drift 0.7639720923277322")
