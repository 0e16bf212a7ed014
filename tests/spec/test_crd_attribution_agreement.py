"""The CRD (defaulting + CEL, evaluated by tests/spec/crd_harness.py with a real CEL engine) and the spec's
pydantic validators must accept and refuse the same featureAttribution sections; otherwise `modelmonitor validate`
says ok to a manifest `kubectl apply` refuses. Kubernetes applies a schema `default` before CEL runs ("Defaulting",
https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#defaulting), so an
omitted `headers` is `[]` and `has(self.headers)` is true (a disabled section with backgroundRows and no headers:
pydantic accepted it, the API server refused it, until the CEL rule skipped empty headers as pydantic does).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.errors import ManifestError
from modelmonitor.loader import parse_document
from tests.spec.crd_harness import api_server_errors, load_crd

REPO = Path(__file__).resolve().parents[2]


def _variant(edit: Any) -> dict[str, Any]:
    doc = copy.deepcopy(yaml.safe_load((REPO / "examples" / "feature-attribution.yaml").read_text()))
    edit(doc["spec"]["featureAttribution"])
    return dict(doc)


@pytest.mark.parametrize("headers", [None, []])
def test_disabled_attribution_with_rows_and_no_headers_same_verdict(headers: list[str] | None) -> None:
    def edit(section: dict[str, Any]) -> None:
        section["enabled"] = False
        if headers is None:
            section.pop("headers")
        else:
            section["headers"] = headers
    doc = _variant(edit)
    try:
        parse_document(doc)
        ours: list[str] = []
    except ManifestError as exc:
        ours = [str(exc)]
    theirs = api_server_errors(load_crd(), doc)
    assert bool(ours) == bool(theirs), {"validate": ours, "api server": theirs}
