"""Generate the ModelMonitor CustomResourceDefinition from the pydantic models.

Pydantic emits JSON Schema 2020-12; a CRD's `openAPIV3Schema` is apiextensions/v1 `JSONSchemaProps`, an OpenAPI
v3.0 dialect that must also be *structural*
(https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
#specifying-a-structural-schema). `openapi_schema` translates every keyword pydantic emits, node by node:

- `$ref` → inlined (a recursive model cannot be a CRD schema and is refused);
- `X | None` → X (absence means None: the API server prunes nulls of non-nullable fields before defaulting);
  a union of one scalar type → the type outside, the members' value checks in `anyOf`; `int | str` →
  `x-kubernetes-int-or-string`; any other union is refused;
- `exclusiveMinimum: n` (2020-12: a number) → `minimum: n` + `exclusiveMinimum: true` (OpenAPI 3.0: a boolean),
  the same for the maximum; `const` → a one-value `enum`; `uniqueItems` → `x-kubernetes-list-type: set`
  (apiextensions forbids `uniqueItems: true`);
- `additionalProperties: false` (extra="forbid") → dropped (apiextensions forbids it; unknown fields are pruned,
  or rejected by strict field validation); `true` or a typeless node → `x-kubernetes-preserve-unknown-fields`;
- annotations (`title`, `examples`) and keywords apiextensions forbids as annotations (`deprecated`, `readOnly`,
  `writeOnly`) → dropped; formats whose pydantic meaning differs from the API server's → dropped;
- `default: null` → dropped; nested objects whose fields all have defaults get `default: {}` so the API server
  defaults them like pydantic does.

Any other keyword raises `CrdSchemaError` naming the field: a new pydantic construct must be translated here, never
passed through to an API server that would reject the whole CRD.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel

from modelmonitor.formats import MAX_MONITOR_NAME_LENGTH
from modelmonitor.spec import ModelMonitorSpec
from modelmonitor.status import ModelMonitorStatus

GROUP = "modelmonitor.io"
PLURAL = "modelmonitors"
VERSION = "v1alpha1"
CRD_NAME = f"{PLURAL}.{GROUP}"

# Keywords with the same name and meaning in JSON Schema 2020-12 and apiextensions/v1 JSONSchemaProps.
_SAME = {"type", "description", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "multipleOf",
         "minItems", "maxItems", "minProperties", "maxProperties", "required", "nullable"}
# Annotations only; `deprecated`/`readOnly`/`writeOnly` are forbidden in a CRD schema.
_ANNOTATIONS = {"title", "examples", "deprecated", "readOnly", "writeOnly", "$schema", "$comment", "$defs"}
# Formats the API server checks as pydantic does. Others are dropped: pydantic's `duration` is ISO 8601 ("P1D"),
# the API server's Go's ("24h"); pydantic's `binary` is raw text, the API server's `byte` base64.
_FORMATS = {"date-time", "date", "uuid", "email", "uri", "ipv4", "ipv6", "hostname", "password"}
_SCALARS = {"string", "integer", "number", "boolean"}
# Only what a union member may carry inside `anyOf` in a structural schema: value validations, no type/description.
_VALUE_CHECKS = {"enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                 "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "format"}

PRINTER_COLUMNS = [
    {"name": "Endpoint", "type": "string", "jsonPath": ".status.endpointName"},
    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Reason", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].reason'},
    {"name": "Drift", "type": "string", "jsonPath": ".status.drift"},
    {"name": "Last-Op", "type": "string", "jsonPath": ".status.lastOperation.summary"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


class CrdSchemaError(ValueError):
    """A pydantic schema construct that has no apiextensions/v1 structural equivalent."""


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return openapi_schema(raw, raw.get("$defs", {}), model.__name__)


def openapi_schema(node: dict[str, Any], defs: dict[str, Any], path: str, refs: tuple[str, ...] = ()) -> dict[
        str, Any]:
    """One JSON Schema 2020-12 node (pydantic's dialect) as an apiextensions/v1 structural schema node."""
    node, refs = _resolve(node, defs, path, refs)
    if "anyOf" in node:
        node = _union(node, defs, path, refs)
    if "allOf" in node and len(node["allOf"]) == 1:  # older pydantic wraps a `$ref` with siblings this way
        (only,) = node.pop("allOf")
        node = {**_resolve(only, defs, path, refs)[0], **node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SAME or key.startswith("x-kubernetes-"):
            out[key] = value
        elif key in _ANNOTATIONS or key in ("exclusiveMinimum", "exclusiveMaximum", "uniqueItems"):
            continue
        elif key == "properties":
            out[key] = {name: openapi_schema(sub, defs, f"{path}.{name}", refs) for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = openapi_schema(value, defs, f"{path}[]", refs)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out[key] = openapi_schema(value, defs, f"{path}.*", refs)
            elif value is True:
                out["x-kubernetes-preserve-unknown-fields"] = True
        elif key == "anyOf":  # value checks of a one-type union, already translated by _union
            out[key] = value
        elif key == "const":
            out["enum"] = [value]
        elif key == "default":
            if value is not None:
                out[key] = value
        elif key == "format":
            if value in _FORMATS:
                out[key] = value
        else:
            raise CrdSchemaError(f"{path}: JSON Schema keyword {key!r} ({value!r}) has no apiextensions/v1 "
                                 "structural equivalent; translate it in modelmonitor/crd.py")
    _exclusive_bounds(node, out)
    _unique_items(node, out, path)
    if "properties" in out:
        out["type"] = "object"
        out.pop("additionalProperties", None)  # apiextensions: mutually exclusive with properties
        _default_empty_objects(out, node["properties"])
    if "enum" in out and "type" not in out:
        out["type"] = _enum_type(out["enum"], path)
    if "type" not in out and not out.get("x-kubernetes-int-or-string"):
        out["x-kubernetes-preserve-unknown-fields"] = True  # `Any`: typeless nodes must preserve unknown fields
    if isinstance(out.get("type"), list):
        raise CrdSchemaError(f"{path}: a list of types {out['type']} cannot be expressed in a CRD schema")
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any], path: str,
             refs: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if "$ref" not in node:
        return node, refs
    name = node["$ref"].split("/")[-1]
    if name in refs:
        raise CrdSchemaError(f"{path}: {name} contains itself; a CRD schema cannot be recursive")
    return {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}, (*refs, name)


def _union(node: dict[str, Any], defs: dict[str, Any], path: str, refs: tuple[str, ...]) -> dict[str, Any]:
    """`X | None` → X's schema, the wrapper's keys (description, rules) winning; one scalar type → `anyOf` of the
    members' value checks under that type; `int | str` → int-or-string."""
    wrapper = {k: v for k, v in node.items() if k != "anyOf"}
    options = [_resolve(o, defs, path, refs)[0] for o in node["anyOf"] if o.get("type") != "null"]
    if len(options) == 1:
        (inner,) = options
        merged = {**inner, **wrapper}
        rules = inner.get("x-kubernetes-validations", []) + wrapper.get("x-kubernetes-validations", [])
        if rules:
            merged["x-kubernetes-validations"] = rules
        return merged
    types = {o.get("type") for o in options}
    if types == {"integer", "string"} and all(set(o) == {"type"} for o in options):
        return {**wrapper, "x-kubernetes-int-or-string": True}
    if len(types) == 1 and types <= _SCALARS and all(set(o) - {"type", "title"} <= _VALUE_CHECKS for o in options):
        branches = [_value_checks(o) for o in options]
        if all(branches):  # a member without checks accepts every value of the type: no anyOf needed
            return {**wrapper, "type": types.pop(), "anyOf": branches}
        return {**wrapper, "type": types.pop()}
    raise CrdSchemaError(f"{path}: a CRD schema cannot express this union (use optional fields and a "
                         f"x-kubernetes-validations rule instead): {node['anyOf']}")


def _value_checks(member: dict[str, Any]) -> dict[str, Any]:
    """A union member's value validations, in OpenAPI 3.0 form (no type: structural schemas forbid it there)."""
    out = {k: v for k, v in member.items() if k in _VALUE_CHECKS and not k.startswith("exclusive")}
    if out.get("format") not in _FORMATS:
        out.pop("format", None)
    _exclusive_bounds(member, out)
    return out


def _exclusive_bounds(node: dict[str, Any], out: dict[str, Any]) -> None:
    """2020-12's numeric `exclusiveMinimum: n` is OpenAPI 3.0's `minimum: n, exclusiveMinimum: true`; with both a
    `ge` and a `gt`, the stricter bound wins."""
    for exclusive, bound, sign in (("exclusiveMinimum", "minimum", 1), ("exclusiveMaximum", "maximum", -1)):
        if exclusive not in node:
            continue
        value = node[exclusive]
        if isinstance(value, bool):
            raise CrdSchemaError(f"{exclusive}: expected a number (JSON Schema 2020-12), got {value!r}")
        if bound in out and sign * out[bound] > sign * value:
            continue  # the inclusive bound is stricter already
        out[bound] = value
        out[exclusive] = True


def _unique_items(node: dict[str, Any], out: dict[str, Any], path: str) -> None:
    if not node.get("uniqueItems"):
        return
    if out.get("items", {}).get("type") not in _SCALARS:
        raise CrdSchemaError(f"{path}: unique items must be scalars (x-kubernetes-list-type: set)")
    out["x-kubernetes-list-type"] = "set"


def _enum_type(values: list[Any], path: str) -> str:
    kinds = {type(v) for v in values}
    for python_type, name in ((str, "string"), (bool, "boolean"), (int, "integer")):
        if kinds == {python_type}:
            return name
    if kinds <= {int, float}:
        return "number"
    raise CrdSchemaError(f"{path}: enum values of mixed types {sorted(k.__name__ for k in kinds)}")


def _default_empty_objects(obj: dict[str, Any], raw_properties: dict[str, Any]) -> None:
    """`default: {}` on optional nested objects whose fields all have defaults, so the API server fills them in as
    pydantic does — but not where pydantic's default is None (`X | None = None`): there absence means None."""
    required = set(obj.get("required", []))
    for name, sub in obj["properties"].items():
        none_default = "default" in raw_properties[name] and raw_properties[name]["default"] is None
        if (name not in required and sub.get("type") == "object" and "properties" in sub
                and not sub.get("required") and "default" not in sub and not none_default):
            sub["default"] = {}


def crd_document() -> dict[str, Any]:
    spec_schema = structural_schema(ModelMonitorSpec)
    status_schema = structural_schema(ModelMonitorStatus)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD_NAME},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "modelmonitor", "kind": "ModelMonitor",
                      "listKind": "ModelMonitorList", "shortNames": ["mm"], "categories": ["mlops"]},
            "versions": [{
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": PRINTER_COLUMNS,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "description": "Monitoring of one SageMaker model: data capture, baseline, drift and "
                                   "model-quality analysis, alarms and alerts.",
                    "required": ["spec"],
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object", "properties": {
                            "name": {"type": "string", "maxLength": MAX_MONITOR_NAME_LENGTH,
                                     "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}}},
                        "spec": spec_schema,
                        "status": status_schema,
                    },
                }},
            }],
        },
    }


def render_crd() -> str:
    header = "# Generated from modelmonitor/spec.py and modelmonitor/status.py by `make crds`. Do not edit.\n"
    return header + yaml.safe_dump(crd_document(), sort_keys=False, width=120)
