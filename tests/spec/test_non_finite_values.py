"""Non-finite numbers in modelBias / featureAttribution are refused (an outside review found them accepted).

The analysis configuration is a JSON file (AWS: "The following parameters must be provided in a JSON file",
"Parameters to Monitor Bias Drift" / "... Attribution Drift"), and JSON has no NaN or Infinity: "Numeric values
that cannot be represented in the grammar below (such as Infinity and NaN) are not permitted" (RFC 8259, section 6,
https://www.rfc-editor.org/rfc/rfc8259#section-6). A Kubernetes object is JSON as well, so such a manifest cannot
even be sent to the API server. YAML's `.nan` / `.inf` pass `modelmonitor validate` and are rendered as `NaN` /
`Infinity` into the uploaded analysis_config.json. Either validate refuses them, or the configuration is JSON.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.components.engine_clarify import analysis_config_text
from modelmonitor.errors import ManifestError
from modelmonitor.loader import parse_document

REPO = Path(__file__).resolve().parents[2]


def _reject(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON (RFC 8259 section 6)")


def _bias_facet(spec: dict[str, Any]) -> None:
    spec["modelBias"]["facets"][1]["threshold"] = math.nan


def _bias_label(spec: dict[str, Any]) -> None:
    spec["modelBias"]["label"] = {"name": "approved", "threshold": math.inf}


def _background(spec: dict[str, Any]) -> None:
    spec["featureAttribution"]["backgroundRows"][0][0] = math.nan


@pytest.mark.parametrize(("example", "monitoring_type", "edit"), [
    ("bias-drift.yaml", "ModelBias", _bias_facet),
    ("bias-drift.yaml", "ModelBias", _bias_label),
    ("feature-attribution.yaml", "ModelExplainability", _background)])
def test_non_finite_numbers_are_refused_or_never_reach_the_json(example: str, monitoring_type: str,
                                                                       edit: Any) -> None:
    raw = copy.deepcopy(yaml.safe_load((REPO / "examples" / example).read_text()))
    edit(raw["spec"])
    try:
        document = parse_document(raw)
    except ManifestError:
        return  # refused with a clear error: fine
    json.loads(analysis_config_text(document.spec, monitoring_type), parse_constant=_reject)
