"""Arbitrary input never crashes the loader with anything but the project's own ManifestError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmonitor.errors import ManifestError
from modelmonitor.loader import load_monitors, parse_document, parse_text
from tests.spec.test_invalid_manifests import BASE

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)
SPEC_KEYS = ["region", "endpoint", "dataCapture", "baseline", "dataQuality", "modelQuality", "alerting",
             "engine", "deletionPolicy", "driftDetection", "suspend", "tags"]


def _only_manifest_errors(text: str) -> None:
    _, problems = parse_text(text, "fuzz.yaml")
    for problem in problems:
        assert problem.source == "fuzz.yaml" and problem.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    _only_manifest_errors(text)


@settings(max_examples=300, deadline=None)
@given(values)
def test_arbitrary_yaml_structures(value: Any) -> None:
    _only_manifest_errors(yaml.safe_dump(value))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SPEC_KEYS), values, st.sampled_from(SPEC_KEYS), values)
def test_mutated_valid_documents(key_a: str, value_a: Any, key_b: str, value_b: Any) -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"][key_a] = value_a
    doc["spec"][key_b] = value_b
    try:
        parsed = parse_document(doc, source="fuzz.yaml")
    except ManifestError as exc:
        assert all(p.path.startswith(("spec", "metadata")) for p in exc.problems), exc.problems
    else:
        assert parsed.metadata.name == "churn-prod"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_on_disk(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        load_monitors(path)
    except ManifestError as exc:
        assert all(p.source == str(path) for p in exc.problems)


def test_deeply_nested_yaml_is_a_manifest_error() -> None:
    # Whether this depth exhausts the recursion limit depends on the caller's stack; either way it must end as
    # a precise problem, never a RecursionError.
    _, problems = parse_text("[" * 600 + "]" * 600, "deep.yaml")
    assert len(problems) == 1
    assert problems[0].message in ("not valid YAML: nesting too deep",
                                   "expected a mapping (a ModelMonitor document), got list")
