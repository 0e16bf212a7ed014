"""Every shipped manifest is valid for pydantic AND for the generated CRD (openAPI + CEL); the CRD is in sync."""

from __future__ import annotations

import copy
from pathlib import Path

import cel
import pytest
import yaml

from modelmonitor.crd import render_crd
from modelmonitor.loader import load_monitors
from tests.spec.crd_harness import CRD_PATH, all_rules, api_server_errors, load_crd

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = sorted([*REPO.glob("examples/*.yaml"), *REPO.glob("monitors/*.yaml")])


def test_committed_crd_equals_fresh_generation() -> None:
    assert CRD_PATH.read_text() == render_crd(), "CRD drifted from spec.py: run `make crds`"


def test_there_are_examples_for_each_endpoint_mode_and_baseline() -> None:
    names = {p.name for p in MANIFESTS}
    assert {"minimal.yaml", "full.yaml", "existing-endpoint.yaml"} <= names
    docs = [m.document for m in load_monitors(*MANIFESTS)]
    assert {d.spec.endpoint_mode for d in docs} == {"existing", "create", "batchTransform"}
    assert any(d.spec.baseline.dataset for d in docs) and any(d.spec.baseline.precomputed for d in docs)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_valid_for_pydantic_and_api_server(path: Path) -> None:
    (loaded,) = load_monitors(path)
    raw = yaml.safe_load(path.read_text())
    assert api_server_errors(load_crd(), raw) == []
    # and an update that changes nothing immutable passes the transition rules
    assert api_server_errors(load_crd(), raw, old=copy.deepcopy(raw)) == []
    assert loaded.document.metadata.name == raw["metadata"]["name"]


def test_every_cel_rule_compiles_and_uses_core_cel_only() -> None:
    rules = all_rules(load_crd())
    assert len(rules) >= 10
    for rule in rules:
        cel.compile(rule)
        for k8s_only in ("isURL(", "lowerAscii(", ".?", "quantity("):
            assert k8s_only not in rule


def test_crd_metadata_and_printer_columns() -> None:
    crd = load_crd()
    names = crd["spec"]["names"]
    assert names["shortNames"] == ["mm"] and names["categories"] == ["mlops"]
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "Endpoint", "Ready", "Reason", "Drift", "Last-Op", "Age"]
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert {"conditions", "observedGeneration", "lastOperation", "outputs",
            "lastMonitoringExecution"} <= set(status)


def _descriptions_missing(schema: dict, path: str = "spec") -> list[str]:
    missing = []
    for name, sub in schema.get("properties", {}).items():
        if "description" not in sub:
            missing.append(f"{path}.{name}")
        missing += _descriptions_missing(sub, f"{path}.{name}")
        if isinstance(sub.get("items"), dict):
            missing += _descriptions_missing(sub["items"], f"{path}.{name}[]")
    return missing


def test_every_spec_field_has_a_description() -> None:
    spec = load_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert _descriptions_missing(spec) == []


def test_crd_is_structural() -> None:
    """Structural schemas: every node typed, no $ref/anyOf/oneOf, no additionalProperties beside properties."""
    def walk(node: dict, path: str) -> None:
        assert "$ref" not in node and "anyOf" not in node and "oneOf" not in node, path
        assert "type" in node, f"{path} has no type"
        assert not ("properties" in node and "additionalProperties" in node), path
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                walk(node[key], f"{path}.{key}")
    walk(load_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"], "root")


IMMUTABLE_CHANGES = [
    ("region", lambda d: d["spec"].__setitem__("region", "us-west-2"), "region is immutable"),
    ("endpoint name", lambda d: d["spec"]["endpoint"]["existing"].__setitem__("name", "other"),
     "endpoint.existing.name is immutable"),
    ("endpoint mode", lambda d: d["spec"].__setitem__("endpoint", {"create": {
        "modelDataUrl": "s3://bucket-a/m.tar.gz", "image": "img:1"}}), "endpoint mode (existing/create) is immutable"),
]


@pytest.mark.parametrize(("what", "change", "message"), IMMUTABLE_CHANGES, ids=[c[0] for c in IMMUTABLE_CHANGES])
def test_transition_rules_reject_immutable_changes(what: str, change, message: str) -> None:
    old = yaml.safe_load((REPO / "examples/minimal.yaml").read_text())
    new = copy.deepcopy(old)
    change(new)
    assert api_server_errors(load_crd(), new) == []  # valid as a new object
    errors = api_server_errors(load_crd(), new, old=old)
    assert any(message in e for e in errors), errors


def test_create_endpoint_name_is_immutable() -> None:
    old = yaml.safe_load((REPO / "examples/full.yaml").read_text())
    new = copy.deepcopy(old)
    new["spec"]["endpoint"]["create"]["name"] = "credit-default-v4"
    assert any("endpoint.create.name is immutable" in e for e in api_server_errors(load_crd(), new, old=old))


def test_payload_path_syntax_is_the_analyzers() -> None:
    """The spec validates payload paths with the pattern the analyzer parses them with (one syntax, two places)."""
    from modelmonitor.analyzer.read.payload_mapping import PATH_PATTERN
    from modelmonitor.formats import PAYLOAD_PATH

    assert f"^{PAYLOAD_PATH}$" == PATH_PATTERN
