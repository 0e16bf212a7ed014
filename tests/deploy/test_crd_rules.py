"""The CRD's CEL rules, run the way the API server runs them: in a real CEL engine, with `self` (and `oldSelf`)
bound to values of the types the schema declares — every field present, and only required fields plus the
defaults the API server applies. The API server type-checks a rule at CRD creation and rejects an object when a
rule errors at runtime (e.g. "no such key" for an absent field read without `has()`); a rule must also return a
bool. https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
#validation-rules"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml

from tests.deploy.apiextensions import apply_defaults

CRD = Path(__file__).resolve().parents[2] / "crds" / "modelmonitors.modelmonitor.io.yaml"


def root() -> dict[str, Any]:
    return yaml.safe_load(CRD.read_text())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def sample(schema: dict[str, Any], full: bool) -> Any:
    """A value of the schema's type: every declared field (full) or only the required ones (not full)."""
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("x-kubernetes-int-or-string"):
        return 1
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema:
            names = schema["properties"] if full else schema.get("required", [])
            return {name: sample(schema["properties"][name], full) for name in names}
        if isinstance(schema.get("additionalProperties"), dict):
            return {"key": sample(schema["additionalProperties"], full)} if full else {}
        return {}
    if kind == "array":
        return [sample(schema["items"], full)] if full else []
    if kind == "integer":
        return int(schema.get("minimum", 1)) + 1
    if kind == "number":
        return float(schema.get("minimum", 0.5)) + 0.25  # a CEL double, as the API server binds `number`
    if kind == "boolean":
        return True
    return "a" * max(1, schema.get("minLength", 1))


def rule_sites(schema: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, rule, self) for every rule whose node has a value in `value`."""
    for entry in schema.get("x-kubernetes-validations", []):
        yield path, entry["rule"], value
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            if name in value:
                yield from rule_sites(sub, value[name], f"{path}.{name}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            yield from rule_sites(schema["additionalProperties"], item, f"{path}[{key}]")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from rule_sites(schema["items"], item, f"{path}[{i}]")


def run_errors(schema: dict[str, Any], value: Any) -> list[str]:
    errors = []
    for path, rule, self_value in rule_sites(schema, value, "root"):
        try:
            result = cel.evaluate(rule, {"self": self_value, "oldSelf": self_value})
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            errors.append(f"{path}: {rule!r} raised {type(e).__name__}: {e}")
            continue
        if not isinstance(result, bool):
            errors.append(f"{path}: {rule!r} returned {result!r}, not a bool")
    return errors


def test_rules_run_on_every_field_present() -> None:
    schema = root()
    assert run_errors(schema, sample(schema, full=True)) == []


def test_rules_run_on_required_fields_and_defaults_only() -> None:
    schema = root()
    minimal = apply_defaults(schema, sample(schema, full=False))
    assert "spec" in minimal
    assert run_errors(schema, minimal) == []


def test_rules_hold_on_the_defaults_they_sit_on() -> None:
    """The API server validates a default value, CEL rules included, when it accepts the CRD."""
    failing = []

    def walk(node: dict[str, Any], path: str) -> None:
        if "default" in node and node.get("x-kubernetes-validations"):
            value = apply_defaults(node, node["default"])
            for _, rule, self_value in rule_sites(node, value, path):
                if cel.evaluate(rule, {"self": self_value, "oldSelf": self_value}) is not True:
                    failing.append(f"{path}: {rule}")
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{name}")
    walk(root(), "root")
    assert failing == []


@pytest.mark.parametrize(("rule", "expected"), [
    ("self.missing == 1", "raised"),          # an absent field read without has(): "no such key"
    ("self.count > 'x'", "raised"),           # no matching overload for int > string
    ("self.count", "not a bool"),
])
def test_run_errors_catches_what_the_api_server_rejects(rule: str, expected: str) -> None:
    schema = {"type": "object", "x-kubernetes-validations": [{"rule": rule}],
              "properties": {"count": {"type": "integer"}}}
    assert any(expected in e for e in run_errors(schema, {"count": 1}))
