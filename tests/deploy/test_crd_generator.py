"""modelmonitor/crd.py translates each JSON Schema 2020-12 form pydantic emits into what apiextensions/v1 accepts.
The judges are outside our code: Kubernetes' own CRD schema (kubernetes-validate, strict), the API server's
structural/defaulting/rule checks as documented (tests/deploy/apiextensions.py), and pydantic itself — the
translated schema must accept and refuse the same values pydantic does."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import kubernetes_validate
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelmonitor.crd import CrdSchemaError, structural_schema
from tests.deploy.apiextensions import apply_defaults, value_errors, violations
from tests.deploy.test_kubernetes_schemas import VERSIONS


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = "x"


class Forms(BaseModel):
    """One field per pydantic construct the generator must translate."""
    model_config = ConfigDict(extra="forbid")
    ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5
    floor: Annotated[float, Field(gt=0, ge=0.25)] = 0.5           # ge is the stricter bound
    count: Annotated[int, Field(ge=1, le=10)] = 1
    kind: Literal["only"] = "only"                                # const
    mode: Literal["a", "b"] = "a"
    note: Annotated[str, Field(max_length=8)] | None = None       # Optional: anyOf [X, null], default null
    inner: Inner = Inner()                                        # $ref with a model default
    maybe_inner: Inner | None = None
    tags: set[str] = set()                                        # uniqueItems
    size: int | str = 1                                           # int-or-string
    code: Annotated[str, Field(pattern="^a+$")] | Annotated[str, Field(pattern="^b+$")] = "a"
    anything: Any = None
    extra: dict[str, Any] = {}
    names: Annotated[list[str], Field(max_length=3, description="described")] = []


def crd_with(schema: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "forms.example.io"},
            "spec": {"group": "example.io", "scope": "Namespaced",
                     "names": {"plural": "forms", "singular": "form", "kind": "Form"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": schema}}}}]}}


SCHEMA = structural_schema(Forms)


@pytest.mark.parametrize("version", [VERSIONS[0], VERSIONS[-1]])
def test_translated_schema_is_a_valid_crd(version: str) -> None:
    kubernetes_validate.validate(crd_with(SCHEMA), version, strict=True)


def test_translated_schema_passes_the_api_servers_checks() -> None:
    assert violations({"type": "object", "properties": {"spec": SCHEMA}}) == []


def test_translations() -> None:
    props = SCHEMA["properties"]
    assert props["ratio"] | {} == {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1,
                                   "exclusiveMaximum": True, "default": 0.5}
    assert (props["floor"]["minimum"], "exclusiveMinimum" in props["floor"]) == (0.25, False)
    assert props["kind"]["enum"] == ["only"] and props["kind"]["type"] == "string"
    assert props["note"] == {"type": "string", "maxLength": 8}
    assert props["tags"]["x-kubernetes-list-type"] == "set"
    assert props["size"]["x-kubernetes-int-or-string"] is True
    assert props["code"]["type"] == "string" and props["code"]["anyOf"] == [{"pattern": "^a+$"}, {"pattern": "^b+$"}]
    assert props["anything"] == {"x-kubernetes-preserve-unknown-fields": True}
    assert props["extra"]["x-kubernetes-preserve-unknown-fields"] is True
    assert props["inner"]["default"] == {"label": "x"} and "default" not in props["maybe_inner"]


@pytest.mark.parametrize("value", [
    {}, {"ratio": 0.001}, {"ratio": 0}, {"ratio": 1}, {"ratio": 1.5}, {"floor": 0.2}, {"floor": 0.25},
    {"count": 0}, {"count": 10}, {"kind": "other"}, {"mode": "c"}, {"note": "123456789"}, {"note": "ok"},
    {"tags": ["a", "b"]}, {"size": "50%"}, {"size": 3}, {"size": 1.5}, {"code": "bbb"}, {"code": "ab"},
    {"names": ["a", "b", "c", "d"]}, {"inner": {"label": "y"}}, {"extra": {"k": [1, {"x": None}]}},
])
def test_translated_schema_agrees_with_pydantic(value: dict[str, Any]) -> None:
    try:
        Forms.model_validate(value, strict=False)
        pydantic_ok = True
    except ValidationError:
        pydantic_ok = False
    errors = value_errors(SCHEMA, apply_defaults(SCHEMA, value))
    assert (errors == []) == pydantic_ok, errors


class Node(BaseModel):
    children: list[Node] = []


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]


class Pets(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


class Pair(BaseModel):
    pair: tuple[int, str]


class Mixed(BaseModel):
    value: int | list[str]


@pytest.mark.parametrize(("model", "message"), [
    (Node, "Node contains itself"),
    (Pets, r"Pets\.pet: JSON Schema keyword '(discriminator|oneOf)'"),
    (Pair, "'prefixItems'"),
    (Mixed, "cannot express this union"),
])
def test_untranslatable_constructs_are_refused_by_field(model: type[BaseModel], message: str) -> None:
    with pytest.raises(CrdSchemaError, match=message):
        structural_schema(model)


def test_crd_command_names_an_untranslatable_field_and_exits_2(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import modelmonitor.crd
    from modelmonitor.cli import main

    monkeypatch.setattr(modelmonitor.crd, "ModelMonitorSpec", Pets)
    assert main(["crd"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("modelmonitor crd: Pets.pet: JSON Schema keyword")
