"""The CRD's openAPI passes the checks the API server runs before it accepts a CRD (tests/deploy/apiextensions.py);
the checker itself is held to the examples of the Kubernetes documentation it is written from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.apiextensions import (
    default_violations,
    rule_violations,
    structural_violations,
    violations,
)

REPO = Path(__file__).resolve().parents[2]


def crd_root(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


@pytest.mark.parametrize("path", [REPO / "crds" / "modelmonitors.modelmonitor.io.yaml", REPO / "deploy" / "crd.yaml"],
                         ids=["crds", "deploy"])
def test_crd_passes_the_api_servers_schema_checks(path: Path) -> None:
    assert violations(crd_root(path)) == []


# "Specifying a structural schema", non-structural example 3, and the doc's list of its violations.
DOC_NON_STRUCTURAL = yaml.safe_load("""
properties:
  foo:
    pattern: "abc"
  metadata:
    type: object
    properties:
      name:
        type: string
        pattern: "^a"
      finalizers:
        type: array
        items:
          type: string
          pattern: "my-finalizer"
anyOf:
- properties:
    bar:
      type: integer
      minimum: 42
  required: ["bar"]
  description: "foo bar object"
""")
DOC_STRUCTURAL = yaml.safe_load("""
type: object
description: "foo bar object"
properties:
  foo:
    type: string
    pattern: "abc"
  bar:
    type: integer
  metadata:
    type: object
    properties:
      name:
        type: string
        pattern: "^a"
anyOf:
- properties:
    bar:
      minimum: 42
  required: ["bar"]
""")


def test_checker_finds_each_violation_the_documentation_lists() -> None:
    found = structural_violations(DOC_NON_STRUCTURAL)
    assert sorted(found) == sorted([
        "root: type must be object [S1][G]",                                         # the type at the root is missing
        "root: type must not be empty [S1]",
        "root.foo: type must not be empty [S1]",                                     # the type of foo is missing
        "root.anyOf[0]: field bar is not specified outside the junctor [S2]",         # bar not specified outside
        "root.anyOf[0].bar: type must not be set inside a logical junctor [S3]",      # bar's type within anyOf
        "root.anyOf[0]: description must not be set inside a logical junctor [S3]",   # description within anyOf
        "root.metadata: only restrictions on metadata.name and metadata.generateName are allowed [S4]",
    ])
    assert violations(DOC_STRUCTURAL) == []


@pytest.mark.parametrize("schema", [
    # the documentation's IntOrString patterns, and int-or-string / preserve-unknown-fields nodes without a type
    {"type": "object", "properties": {"foo": {"x-kubernetes-int-or-string": True}}},
    {"type": "object", "properties": {"foo": {"x-kubernetes-int-or-string": True,
                                              "anyOf": [{"type": "integer"}, {"type": "string"}]}}},
    {"type": "object", "properties": {"foo": {"x-kubernetes-int-or-string": True, "allOf": [
        {"anyOf": [{"type": "integer"}, {"type": "string"}]}, {"maxLength": 3}]}}},
    {"type": "object", "properties": {"json": {"x-kubernetes-preserve-unknown-fields": True}}},
], ids=["int-or-string", "anyOf-pattern", "allOf-pattern", "preserve-unknown"])
def test_documented_structural_exceptions_pass(schema: dict[str, Any]) -> None:
    assert violations(schema) == []


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "object", "properties": {"a": {"type": "array"}}}, "root.a: items must be specified for an array [G]"),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "^(?=x)"}}}, "is not RE2 syntax"),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}}},
     "root.a: uniqueItems cannot be true [V]"),
    ({"type": "object", "properties": {"a": {"type": "object", "additionalProperties": False}}},
     "root.a: additionalProperties cannot be false [V]"),
    ({"type": "object", "properties": {"a": {"type": "string", "readOnly": True}}}, "root.a: readOnly cannot be set"),
    ({"type": "object", "additionalProperties": {"type": "string"}}, "must not be used at the root"),
    ({"type": "object", "properties": {"a": {"type": "integer", "default": 0, "minimum": 1}}},
     "root.a: default is invalid"),
    ({"type": "object", "properties": {"a": {"type": "object", "default": {"b": 1}, "properties": {
        "c": {"type": "integer"}}}}}, "root.a: default sets default.b, which is pruned [D]"),
    ({"type": "object", "properties": {"a": {"type": "string", "default": None}}}, "default null on a non-nullable"),
    ({"type": "object", "properties": {"a": {"type": "object", "default": {}, "required": ["b"], "properties": {
        "b": {"type": "string"}}}}}, "root.a: default is invalid: .: 'b' is a required property [D]"),
    ({"type": "object", "properties": {"a": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                             "default": 0.0}}}, "root.a: default is invalid"),
    ({"type": "object", "x-kubernetes-validations": [{"rule": "has(self.b)"}], "properties": {"a": {"type": "string"}}},
     "undefined field 'b'"),
    ({"type": "object", "x-kubernetes-validations": [{"rule": "has(self)"}]}, "invalid argument to has() macro"),
    ({"type": "object", "properties": {"a": {"type": "array", "items": {
        "type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}}},
     "oldSelf cannot be used on the uncorrelatable portion"),
])
def test_checker_reports_what_the_api_server_refuses(schema: dict[str, Any], expected: str) -> None:
    found = violations(schema)
    assert any(expected in v for v in found), found


def test_rule_checks_skip_literals_methods_and_keyed_lists() -> None:
    schema = {"type": "object", "properties": {
        "name": {"type": "string", "x-kubernetes-validations": [
            {"rule": "self.startsWith('self.nothing') && self.size() < 10"}]},
        "tags": {"type": "object", "additionalProperties": {"type": "string"},
                 "x-kubernetes-validations": [{"rule": "self.anyKey == 'x'"}]},
        "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"],
                  "items": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string"}},
                            "x-kubernetes-validations": [{"rule": "self.k == oldSelf.k"}]}}}}
    assert rule_violations(schema) == [] and default_violations(schema) == []
