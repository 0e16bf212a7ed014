"""Translate rendered Pulumi inputs (wire format) into boto3 requests and validate them strictly.

The translation is driven by botocore's own input shapes: for each structure member `Foo` the wire key `foo` is
consumed; maps keep their keys (environment variables), a single object where the API wants a list is wrapped
(pulumi-aws models some one-element lists as blocks), and any wire key left over is an error — so a field the
provider would drop or rename cannot slip through. `validate` adds what botocore's ParamValidator leaves out:
enums, patterns and maxima.
"""

from __future__ import annotations

import re
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

SESSION = botocore.session.get_session()
# wire key spellings that differ from lower-camel of the API member
SPECIAL = {"VolumeSizeInGB": "volumeSizeInGb", "KMSKeyArn": "kmsKeyArn", "OKActions": "okActions"}


def _wire_key(member: str) -> str:
    return SPECIAL.get(member, member[0].lower() + member[1:])


def translate(shape: Shape, value: Any, path: str = "") -> Any:
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise AssertionError(f"{path}: expected an object for {shape.name}, got {value!r}")
        remaining = dict(value)
        out: dict[str, Any] = {}
        for member, member_shape in shape.members.items():
            key = _wire_key(member)
            if key in remaining:
                out[member] = translate(member_shape, remaining.pop(key), f"{path}.{member}")
        if remaining:
            raise AssertionError(f"{path}: wire keys with no {shape.name} member: {sorted(remaining)}")
        return out
    if isinstance(shape, ListShape):
        items = value if isinstance(value, list) else [value]
        return [translate(shape.member, item, f"{path}[{i}]") for i, item in enumerate(items)]
    if isinstance(shape, MapShape):
        return {k: translate(shape.value, v, f"{path}.{k}") for k, v in value.items()}
    if shape.type_name in ("integer", "long") and isinstance(value, float):
        assert value == int(value), f"{path}: {value} is not whole"
        return int(value)
    return value


def request(service: str, operation: str, wire: dict[str, Any], renames: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Wire inputs → request; `renames` maps wire keys whose API member has another name (e.g. name →
    JobDefinitionName), `extra` adds request members the provider derives itself."""
    shape = SESSION.get_service_model(service).operation_model(operation).input_shape
    renamed = {(_wire_key(renames[k]) if renames and k in renames else k): v for k, v in wire.items()}
    params = translate(shape, renamed, operation)
    params.update(extra or {})
    validate(service, operation, params)
    return params


def tag_list(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


def validate(service: str, operation: str, params: dict[str, Any]) -> None:
    shape = SESSION.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    problems: list[str] = []
    _strict(shape, params, operation, problems)
    assert problems == [], problems


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    """AWS patterns are Java regexes; the few with Unicode classes (\\p{...}) that Python's re lacks are
    skipped (they guard free-text fields such as descriptions, not names or URIs)."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _strict(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        for member, member_shape in shape.members.items():
            if member in value:
                _strict(member_shape, value[member], f"{path}.{member}", problems)
    elif isinstance(shape, ListShape):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: {len(value)} items > {meta['max']}")
        for i, item in enumerate(value):
            _strict(shape.member, item, f"{path}[{i}]", problems)
    elif isinstance(shape, MapShape):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: {len(value)} entries > {meta['max']}")
        for k, v in value.items():
            _strict(shape.key, k, f"{path} key", problems)
            _strict(shape.value, v, f"{path}.{k}", problems)
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} not in {shape.enum}")
        pattern = _compiled(meta.get("pattern"))
        if pattern is not None and not pattern.match(value):
            problems.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: {len(value)} chars > {meta['max']}")
    elif shape.type_name in ("integer", "long", "float", "double") and "max" in meta and value > meta["max"]:
        problems.append(f"{path}: {value} > {meta['max']}")
