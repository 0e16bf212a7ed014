"""Generate the ModelMonitor CustomResourceDefinition from the pydantic models.

Pydantic's JSON schema is turned into a Kubernetes *structural* schema: `$ref`s inlined, `Optional` unions
collapsed to the inner type, `title`s dropped, `const`s made enums, and nested objects whose fields all have
defaults given `default: {}` so the API server defaults them like pydantic does.
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

_DROPPED_KEYS = {"title", "$defs"}

PRINTER_COLUMNS = [
    {"name": "Endpoint", "type": "string", "jsonPath": ".status.endpointName"},
    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
    {"name": "Reason", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].reason'},
    {"name": "Drift", "type": "string", "jsonPath": ".status.drift"},
    {"name": "Last-Op", "type": "string", "jsonPath": ".status.lastOperation.summary"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _structural(raw, raw.get("$defs", {}))


def _structural(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    node = _resolve(node, defs)
    if "anyOf" in node:
        node = _collapse_optional(node, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key == "properties":
            out[key] = {name: _structural(sub, defs) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _structural(value, defs)
        elif key == "const":
            out["enum"] = [value]
        elif key == "default" and value is None:
            continue
        else:
            out[key] = value
    if "properties" in out:
        out["type"] = "object"
        out.pop("additionalProperties", None)  # unknown fields are pruned (or rejected by strict validation)
        _default_empty_objects(out)
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        target = defs[node["$ref"].split("/")[-1]]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _collapse_optional(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """`X | None` becomes X's schema (absence means None); the wrapper's own keys (description, rules) win."""
    options = [o for o in node["anyOf"] if o.get("type") != "null"]
    if len(options) != 1:
        raise ValueError(f"a CRD schema cannot express this union: {node['anyOf']}")
    inner = _resolve(options[0], defs)
    wrapper = {k: v for k, v in node.items() if k != "anyOf"}
    merged = {**inner, **wrapper}
    rules = inner.get("x-kubernetes-validations", []) + wrapper.get("x-kubernetes-validations", [])
    if rules:
        merged["x-kubernetes-validations"] = rules
    return merged


def _default_empty_objects(obj: dict[str, Any]) -> None:
    required = set(obj.get("required", []))
    for name, sub in obj["properties"].items():
        if (name not in required and sub.get("type") == "object" and "properties" in sub
                and not sub.get("required") and "default" not in sub):
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
