"""What the Kubernetes API server does with our CRD, reproduced for tests: defaulting, openAPI validation with
strict field validation (unknown fields rejected, as `kubectl apply` does by default), and CEL rules evaluated
with a real CEL engine, transition rules (`oldSelf`) included."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import cel
import jsonschema
import yaml

CRD_PATH = Path(__file__).resolve().parents[2] / "crds" / "modelmonitors.modelmonitor.io.yaml"


def load_crd() -> dict[str, Any]:
    return copy.deepcopy(_parsed_crd())


@functools.cache
def _parsed_crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_PATH.read_text())


def root_schema(crd: dict[str, Any]) -> dict[str, Any]:
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def spec_schema(crd: dict[str, Any]) -> dict[str, Any]:
    return root_schema(crd)["properties"]["spec"]


def apply_defaults(schema: dict[str, Any], obj: Any) -> Any:
    obj = copy.deepcopy(obj)
    _default(schema, obj)
    return obj


def _default(schema: dict[str, Any], obj: Any) -> None:
    if isinstance(obj, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            if name not in obj and "default" in sub:
                obj[name] = copy.deepcopy(sub["default"])
            if name in obj:
                _default(sub, obj[name])
    elif isinstance(obj, list) and "items" in schema:
        for item in obj:
            _default(schema["items"], item)


def _strict(schema: Any) -> Any:
    """Strict field validation: objects with declared properties reject anything undeclared."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
        if "properties" in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def openapi_errors(schema: dict[str, Any], obj: Any) -> list[str]:
    # A CRD schema is OpenAPI 3.0 (JSON Schema Draft 4 semantics: `exclusiveMinimum` is a boolean beside
    # `minimum`). Draft 7 would read `exclusiveMinimum: true` as the number 1, and accepted pydantic's numeric
    # 2020-12 form that the API server refuses.
    validator = jsonschema.Draft4Validator(_strict(schema))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]


def cel_errors(schema: dict[str, Any], new: Any, old: Any = None, path: str = "") -> list[str]:
    """Evaluate every x-kubernetes-validations rule at its node; transition rules only where old exists."""
    errors: list[str] = []
    for rule in schema.get("x-kubernetes-validations", []):
        is_transition = "oldSelf" in rule["rule"]
        if is_transition and old is None:
            continue
        bindings = {"self": new, "oldSelf": old} if is_transition else {"self": new}
        if cel.evaluate(rule["rule"], bindings) is not True:
            errors.append(f"{path}: {rule['message']}")
    if isinstance(new, dict):
        props = schema.get("properties")
        for name, value in new.items():
            sub = props.get(name) if props else schema.get("additionalProperties")
            if isinstance(sub, dict):
                old_value = old.get(name) if isinstance(old, dict) else None
                errors += cel_errors(sub, value, old_value, f"{path}.{name}" if path else name)
    elif isinstance(new, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(new):
            errors += cel_errors(schema["items"], item, None, f"{path}[{i}]")
    return errors


def all_rules(schema: Any) -> list[str]:
    found: list[str] = []
    if isinstance(schema, dict):
        found += [r["rule"] for r in schema.get("x-kubernetes-validations", [])]
        for value in schema.values():
            found += all_rules(value)
    elif isinstance(schema, list):
        for value in schema:
            found += all_rules(value)
    return found


def api_server_errors(crd: dict[str, Any], document: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    """Errors the API server would report for creating (or updating from `old`) this document's spec."""
    schema = spec_schema(crd)
    spec = apply_defaults(schema, document.get("spec", {}))
    errors = openapi_errors(schema, spec)
    name_schema = root_schema(crd)["properties"]["metadata"]["properties"]["name"]
    errors += [f"metadata.{e}" for e in openapi_errors(name_schema, document.get("metadata", {}).get("name"))]
    if errors:
        return errors  # the API server does not run CEL on a schema-invalid object
    old_spec = apply_defaults(schema, old["spec"]) if old is not None else None
    return cel_errors(schema, spec, old_spec, "spec")
