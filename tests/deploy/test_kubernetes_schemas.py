"""Every object `kubectl apply -k deploy/` sends validates against Kubernetes' own schemas (kubernetes-validate,
strict: unknown fields are errors), for every Kubernetes minor version the package ships from 1.25 on: 1.25 is
where the Namespace's `pod-security.kubernetes.io/enforce` label and CRD validation rules (beta) start to work.

The CRD's openAPI is itself checked against apiextensions' structural-schema rules in test_structural_schema.py;
kubernetes-validate checks only the CRD object's shape (e.g. `exclusiveMinimum` must be a boolean)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions
from packaging.version import Version

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VERSIONS = sorted({".".join(v.split(".")[:2]) for v in all_versions() if Version(v) >= Version("1.25")},
                  key=Version)


def applied_objects() -> list[tuple[str, dict[str, Any]]]:
    """What kustomize emits for deploy/: the documents of each listed resource file (no patches or generators)."""
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    assert set(kustomization) <= {"apiVersion", "kind", "resources"}, "teach applied_objects the new fields"
    return [(f"{name}:{doc['kind']}/{doc['metadata']['name']}", doc)
            for name in kustomization["resources"]
            for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc]


OBJECTS = applied_objects()


def test_kustomization_applies_every_manifest_in_deploy() -> None:
    listed = {label.split(":")[0] for label, _ in OBJECTS}
    assert listed == {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert {doc["kind"] for _, doc in OBJECTS} >= {"Namespace", "CustomResourceDefinition", "ServiceAccount",
                                                   "ClusterRole", "ClusterRoleBinding", "Deployment"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("label", "doc"), OBJECTS, ids=[label for label, _ in OBJECTS])
def test_object_validates_against_kubernetes_schemas(label: str, doc: dict[str, Any], version: str) -> None:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        pytest.fail(f"{label} is invalid for Kubernetes {version}: {'.'.join(map(str, e.path))}: {e.message}")


def test_validator_rejects_what_the_api_server_rejects() -> None:
    """The check can fail: a CRD with pydantic's `exclusiveMinimum: 0` and a Deployment with a misspelt field."""
    crd = next(doc for _, doc in OBJECTS if doc["kind"] == "CustomResourceDefinition")
    bad_crd = yaml.safe_load(yaml.safe_dump(crd))
    bad_crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["x"] = {
        "type": "number", "exclusiveMinimum": 0}
    with pytest.raises(kubernetes_validate.ValidationError, match="is not of type 'boolean'"):
        kubernetes_validate.validate(bad_crd, VERSIONS[-1], strict=True)
    deployment = next(doc for _, doc in OBJECTS if doc["kind"] == "Deployment")
    bad_deployment = yaml.safe_load(yaml.safe_dump(deployment))
    bad_deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
    with pytest.raises(kubernetes_validate.ValidationError, match="terminationGracePeriod"):
        kubernetes_validate.validate(bad_deployment, VERSIONS[-1], strict=True)
