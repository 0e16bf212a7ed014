"""What the API server checks in a CRD's `openAPIV3Schema` before it accepts the CRD, written from Kubernetes' own
documentation and source (no cluster here), each rule citing where it comes from:

[S] "Specifying a structural schema", rules 1-4:
    https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
    #specifying-a-structural-schema
[G] k8s.io/apiextensions-apiserver/pkg/apiserver/schema/validation.go (ValidateStructural): arrays need `items`,
    the root is an object without `additionalProperties`, int-or-string excludes preserve-unknown-fields, nothing
    but value validations under a junctor, `pattern` compiles with Go's regexp (RE2 syntax).
[V] "Validation": fields that cannot be set, `uniqueItems: true`, `additionalProperties: false`, and
    `additionalProperties` beside `properties` are refused. (#validation)
[D] "Defaulting" / "Defaulting and Nullable": defaults are pruned and validate against the schema; null is kept
    only where `nullable: true`. (#defaulting)
[C] "Validation rules" / "Transition rules": rules are compiled and type-checked against the schema (an undefined
    field is a compile error), `has(self)` is invalid, `oldSelf` only where the old value can be correlated, i.e.
    not below a list that is not `x-kubernetes-list-type: map`. (#validation-rules, #transition-rules)

Each function returns human-readable violations ("path: what"); an empty list means the API server's check passes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import re2

JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
TYPES = {"object", "array", "string", "integer", "number", "boolean"}
FORBIDDEN_FIELDS = {"definitions", "dependencies", "deprecated", "discriminator", "id", "patternProperties",
                    "readOnly", "writeOnly", "xml", "$ref"}  # [V]
NOT_IN_JUNCTORS = {"type", "description", "default", "additionalProperties", "nullable", "title", "externalDocs",
                   "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
                   "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys", "x-kubernetes-list-type",
                   "x-kubernetes-map-type", "x-kubernetes-validations"}  # [S] rule 3, [G]
INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def violations(root: dict[str, Any]) -> list[str]:
    """Every check below, on a CRD version's `openAPIV3Schema`."""
    return [*structural_violations(root), *default_violations(root), *rule_violations(root)]


def _children(node: dict[str, Any], path: str) -> Iterator[tuple[dict[str, Any], str]]:
    for name, sub in node.get("properties", {}).items():
        yield sub, f"{path}.{name}"
    if isinstance(node.get("additionalProperties"), dict):
        yield node["additionalProperties"], f"{path}.*"
    if isinstance(node.get("items"), dict):
        yield node["items"], f"{path}[]"


def structural_violations(root: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if root.get("type") != "object":
        found.append("root: type must be object [S1][G]")
    if "additionalProperties" in root:
        found.append("root: additionalProperties must not be used at the root [G]")
    metadata = root.get("properties", {}).get("metadata")
    if metadata is not None:  # [S] rule 4
        extra = set(metadata) - {"type", "properties"}
        names = set(metadata.get("properties", {}))
        if metadata.get("type") != "object" or extra or not names <= {"name", "generateName"}:
            found.append("root.metadata: only restrictions on metadata.name and metadata.generateName are allowed [S4]")
    found += _structural(root, "root")
    return found


def _structural(node: dict[str, Any], path: str) -> list[str]:
    found: list[str] = []
    typeless_ok = node.get("x-kubernetes-int-or-string") or node.get("x-kubernetes-preserve-unknown-fields")
    if "type" not in node and not typeless_ok:
        found.append(f"{path}: type must not be empty [S1]")
    if "type" in node and node["type"] not in TYPES:
        found.append(f"{path}: type {node['type']!r} is not one of {sorted(TYPES)}")
    if node.get("type") == "array" and "items" not in node:
        found.append(f"{path}: items must be specified for an array [G]")
    if node.get("x-kubernetes-int-or-string") and node.get("x-kubernetes-preserve-unknown-fields"):
        found.append(f"{path}: x-kubernetes-preserve-unknown-fields must be false with int-or-string [G]")
    for flag in ("x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string"):
        if flag in node and node[flag] is not True:
            found.append(f"{path}: {flag} must be true or absent")
    found += [f"{path}: {key} cannot be set [V]" for key in sorted(FORBIDDEN_FIELDS & set(node))]
    if node.get("uniqueItems") is True:
        found.append(f"{path}: uniqueItems cannot be true [V]")
    if node.get("additionalProperties") is False:
        found.append(f"{path}: additionalProperties cannot be false [V]")
    if "additionalProperties" in node and "properties" in node:
        found.append(f"{path}: additionalProperties and properties are mutually exclusive [V]")
    if node.get("x-kubernetes-list-type") == "set" and node.get("items", {}).get("type") not in TYPES - {"object",
                                                                                                        "array"}:
        found.append(f"{path}: x-kubernetes-list-type set needs scalar items")
    if "pattern" in node:
        try:
            re2.compile(node["pattern"])
        except re2.error as e:
            found.append(f"{path}: pattern {node['pattern']!r} is not RE2 syntax: {e} [G]")
    found += _junctor_violations(node, path)
    for sub, sub_path in _children(node, path):
        found += _structural(sub, sub_path)
    return found


def _junctor_violations(node: dict[str, Any], path: str) -> list[str]:
    found: list[str] = []
    int_or_string = node.get("x-kubernetes-int-or-string")
    for junctor in JUNCTORS:
        if junctor not in node:
            continue
        branches = [node[junctor]] if junctor == "not" else node[junctor]
        if int_or_string and junctor == "anyOf" and branches == INT_OR_STRING:
            continue  # the first exception of [S] "IntOrString"
        for i, branch in enumerate(branches):
            if int_or_string and junctor == "allOf" and i == 0 and branch == {"anyOf": INT_OR_STRING}:
                continue  # the second exception
            found += _nested(branch, node, f"{path}.{junctor}[{i}]")
    return found


def _nested(branch: dict[str, Any], outside: dict[str, Any], path: str) -> list[str]:
    """[S] rules 2 and 3 inside one junctor branch, against the node it sits on (`outside`)."""
    found = [f"{path}: {key} must not be set inside a logical junctor [S3]"
             for key in sorted(NOT_IN_JUNCTORS & set(branch))]
    if "metadata" in branch.get("properties", {}):
        found.append(f"{path}: metadata must not be specified in a nested context [G]")
    for name, sub in branch.get("properties", {}).items():
        declared = outside.get("properties", {}).get(name)
        if declared is None:
            found.append(f"{path}: field {name} is not specified outside the junctor [S2]")
        found += _nested(sub, declared or {}, f"{path}.{name}")
    if isinstance(branch.get("items"), dict):
        if not isinstance(outside.get("items"), dict):
            found.append(f"{path}: items are not specified outside the junctor [S2]")
        found += _nested(branch["items"], outside.get("items") or {}, f"{path}[]")
    for junctor in JUNCTORS:
        for i, sub in enumerate([branch[junctor]] if junctor == "not" and junctor in branch
                                else branch.get(junctor, [])):
            found += _nested(sub, outside, f"{path}.{junctor}[{i}]")
    return found


# --- defaults [D] ---------------------------------------------------------------------------------------------

def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """The API server's defaulting: nulls of non-nullable fields pruned, then absent fields defaulted, recursively."""
    value = copy.deepcopy(value)
    _default(schema, value)
    return value


def _default(schema: dict[str, Any], value: Any) -> None:
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            if name in value and value[name] is None and not sub.get("nullable"):
                del value[name]
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                _default(sub, value[name])
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for item in value.values():
            _default(schema["additionalProperties"], item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(schema["items"], item)


def unknown_fields(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    """What pruning would remove from `value`."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for name, item in value.items():
            if name not in schema["properties"]:
                found.append(f"{path}.{name}")
            else:
                found += unknown_fields(schema["properties"][name], item, f"{path}.{name}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for name, item in value.items():
            found += unknown_fields(schema["additionalProperties"], item, f"{path}.{name}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found += unknown_fields(schema["items"], item, f"{path}[{i}]")
    return found


def value_errors(schema: dict[str, Any], value: Any) -> list[str]:
    """OpenAPI v3.0 value validation (boolean exclusive bounds, nullable) via jsonschema's Draft 4 semantics."""
    validator = jsonschema.Draft4Validator(_draft4(schema))
    return [f"{'.'.join(map(str, e.absolute_path)) or '.'}: {e.message}" for e in validator.iter_errors(value)]


def _draft4(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_draft4(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _draft4(v) if k in ("items", "additionalProperties", "not") or k in JUNCTORS else v
           for k, v in schema.items() if k != "properties" and not k.startswith("x-kubernetes-")}
    if "properties" in schema:
        out["properties"] = {name: _draft4(sub) for name, sub in schema["properties"].items()}
    if schema.get("nullable") and "type" in schema:
        out["type"] = [schema["type"], "null"]
    if schema.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    return out


def default_violations(root: dict[str, Any], path: str = "root") -> list[str]:
    found: list[str] = []
    for node, node_path in _walk(root, path):
        if "default" not in node:
            continue
        default = node["default"]
        if default is None and not node.get("nullable"):
            found.append(f"{node_path}: default null on a non-nullable field [D]")
            continue
        found += [f"{node_path}: default sets {field}, which is pruned [D]"
                  for field in unknown_fields(node, default, "default")]
        defaulted = apply_defaults(node, default)
        found += [f"{node_path}: default is invalid: {e} [D]" for e in value_errors(node, defaulted)]
    return found


def _walk(node: dict[str, Any], path: str) -> Iterator[tuple[dict[str, Any], str]]:
    yield node, path
    for sub, sub_path in _children(node, path):
        yield from _walk(sub, sub_path)


# --- CEL rules [C] --------------------------------------------------------------------------------------------

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_CHAIN = re.compile(r"\b(self|oldSelf)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)(\s*\()?")


def field_chains(rule: str) -> list[list[str]]:
    """Each `self.a.b` / `oldSelf.a.b` field selection in a rule (a trailing method call like `.startsWith(` is not
    a field); string literals are ignored."""
    text = without_literals(rule)
    chains = []
    for match in _CHAIN.finditer(text):
        parts = [p.strip() for p in match.group(2).split(".") if p.strip()]
        if match.group(3) and parts:
            parts = parts[:-1]
        chains.append(parts)
    return chains


def _select(schema: dict[str, Any], parts: list[str]) -> str | None:
    """None when the chain resolves in the schema, else the first undefined field."""
    for part in parts:
        if "properties" in schema:
            if part not in schema["properties"]:
                return part
            schema = schema["properties"][part]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]  # a map: any key may be selected
        else:
            return part  # a scalar, list, or preserved unknown field has no selectable fields
    return None


def rule_violations(root: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for node, path, correlatable in _walk_rules(root, "root", True):
        for entry in node.get("x-kubernetes-validations", []):
            rule = entry["rule"]
            if re.search(r"\bhas\(\s*self\s*\)", rule):
                found.append(f"{path}: {rule!r}: invalid argument to has() macro [C]")
            if re.search(r"\boldSelf\b", without_literals(rule)) and not correlatable:
                found.append(f"{path}: {rule!r}: oldSelf cannot be used on the uncorrelatable portion of the "
                             "schema [C]")
            for chain in field_chains(rule):
                missing = _select(node, chain)
                if missing is not None:
                    found.append(f"{path}: {rule!r}: undefined field '{missing}' [C]")
    return found


def without_literals(rule: str) -> str:
    """The rule without its string literals (so 'oldSelf' in a message-like literal is not a variable)."""
    return _STRING_LITERAL.sub("''", rule)


def _walk_rules(node: dict[str, Any], path: str, correlatable: bool) -> Iterator[tuple[dict[str, Any], str, bool]]:
    yield node, path, correlatable
    for name, sub in node.get("properties", {}).items():
        yield from _walk_rules(sub, f"{path}.{name}", correlatable)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk_rules(node["additionalProperties"], f"{path}.*", correlatable)
    if isinstance(node.get("items"), dict):
        keyed = node.get("x-kubernetes-list-type") == "map"
        yield from _walk_rules(node["items"], f"{path}[]", correlatable and keyed)
