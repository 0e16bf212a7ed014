"""Each class of invalid manifest gets a clear, field-precise message — from the loader, and from the CRD
(openAPI + CEL) wherever the Kubernetes API server can enforce the rule."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.errors import ManifestError
from modelmonitor.loader import load_monitors
from tests.spec.crd_harness import api_server_errors, load_crd

Doc = dict[str, Any]

CAPTURE = {"destinationS3Uri": "s3://bucket-a/captures/"}
BASE: Doc = {
    "apiVersion": "modelmonitor.io/v1alpha1",
    "kind": "ModelMonitor",
    "metadata": {"name": "churn-prod"},
    "spec": {
        "region": "us-east-1",
        "endpoint": {"existing": {"name": "churn-prod"}},
        # the default engine (lambda) reads an existing endpoint's captures from its declared prefix
        "dataCapture": {"destinationS3Uri": "s3://bucket-a/captures/"},
        "baseline": {"precomputed": {"statisticsS3Uri": "s3://bucket-a/stats.json",
                                     "constraintsS3Uri": "s3://bucket-a/constraints.json"}},
    },
}


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return mutate


def _delete(path: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[key]
        del node[last]
    return mutate


def _both(*mutations: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        for m in mutations:
            m(doc)
    return mutate


MQ_ON = {"enabled": True, "problemType": "Regression", "inferenceAttribute": "0",
         "groundTruthS3Uri": "s3://bucket-a/gt/"}

# (id, mutation, expected field path, expected message fragment, does the API server reject it too?)
CASES: list[tuple[str, Callable[[Doc], None], str, str, bool]] = [
    ("wrong-api-version", _set("apiVersion", "modelmonitor.io/v1"), "apiVersion",
     "must be modelmonitor.io/v1alpha1, got 'modelmonitor.io/v1'", False),
    ("wrong-kind", _set("kind", "Monitor"), "kind", "must be ModelMonitor, got 'Monitor'", False),
    ("both-endpoint-modes", _set("spec.endpoint.create", {"modelDataUrl": "s3://bucket-a/m.tar.gz", "image": "i:1"}),
     "spec.endpoint", "exactly one of endpoint.existing or endpoint.create must be set (both are)", True),
    ("no-endpoint-mode", _set("spec.endpoint", {}), "spec.endpoint",
     "exactly one of endpoint.existing or endpoint.create must be set (neither is)", True),
    ("both-baselines", _set("spec.baseline.dataset", {"s3Uri": "s3://bucket-a/train.csv"}), "spec.baseline",
     "exactly one of baseline.dataset or baseline.precomputed must be set (both are)", True),
    ("bad-s3-uri", _set("spec.baseline.precomputed.statisticsS3Uri", "https://bucket-a/stats.json"),
     "spec.baseline.precomputed.statisticsS3Uri", "must be an s3:// URI (e.g. s3://my-bucket/prefix/), got "
     "'https://bucket-a/stats.json'", True),
    ("sampling-out-of-range", _set("spec.dataCapture", {**CAPTURE, "samplingPercentage": 150}),
     "spec.dataCapture.samplingPercentage", "must be at most 100, got 150", True),
    ("sampling-zero", _set("spec.dataCapture", {**CAPTURE, "samplingPercentage": 0}),
     "spec.dataCapture.samplingPercentage", "must be at least 1, got 0", True),
    ("bad-schedule", _set("spec.dataQuality", {"schedule": "every 5 minutes"}), "spec.dataQuality.schedule",
     "must be hourly, daily, daily@HH, every Nh (N=1..24) or cron(0 H/N ? * * *) (e.g. hourly), got "
     "'every 5 minutes'", True),
    ("sub-hourly-cron", _set("spec.dataQuality", {"schedule": "cron(*/5 * ? * * *)"}), "spec.dataQuality.schedule",
     "got 'cron(*/5 * ? * * *)'", True),
    ("model-quality-without-ground-truth",
     _set("spec.modelQuality", {k: v for k, v in MQ_ON.items() if k != "groundTruthS3Uri"}), "spec.modelQuality",
     "groundTruthS3Uri is required when modelQuality is enabled", True),
    ("model-quality-without-problem-type",
     _set("spec.modelQuality", {k: v for k, v in MQ_ON.items() if k != "problemType"}), "spec.modelQuality",
     "problemType is required when modelQuality is enabled", True),
    ("model-quality-without-attributes",
     _set("spec.modelQuality", {k: v for k, v in MQ_ON.items() if k != "inferenceAttribute"}), "spec.modelQuality",
     "inferenceAttribute is required", True),
    ("model-quality-alarm-wrong-metric",
     _set("spec.modelQuality", {**MQ_ON, "alarms": [{"metric": "auc", "threshold": 0.7}]}), "spec.modelQuality",
     "alarm metric 'auc' is not a Regression metric; one of: mae, mse, rmse, r2", False),
    ("unknown-field", _set("spec.dataCapture", {**CAPTURE, "captureInptu": True}), "spec.dataCapture.captureInptu",
     "unknown field; did you mean 'captureInput'?", True),
    ("unknown-top-level-field", _set("spec.alarms", []), "spec.alarms", "unknown field", True),
    ("bad-email", _set("spec.alerting", {"emails": ["ops@example.com", "not-an-email"]}), "spec.alerting.emails[1]",
     "must be an e-mail address (e.g. mlops@example.com), got 'not-an-email'", True),
    ("name-too-long", _set("metadata.name", "a" * 40), "metadata.name", "too long: at most 39 characters", True),
    ("name-not-dns", _set("metadata.name", "Churn_Prod"), "metadata.name",
     "must be a lowercase DNS label (a-z, 0-9, '-') (e.g. churn-prod), got 'Churn_Prod'", True),
    ("endpoint-name-not-sagemaker", _set("spec.endpoint.existing.name", "churn--prod_"),
     "spec.endpoint.existing.name", "must be a SageMaker name", True),
    ("m-greater-than-n", _set("spec.alerting", {"evaluationPeriods": 2, "datapointsToAlarm": 3}), "spec.alerting",
     "datapointsToAlarm (3) must not exceed evaluationPeriods (2)", True),
    ("m-greater-than-default-n", _set("spec.alerting", {"datapointsToAlarm": 5}), "spec.alerting",
     "datapointsToAlarm (5) must not exceed evaluationPeriods (3)", True),
    ("captures-nothing", _set("spec.dataCapture", {**CAPTURE, "captureInput": False, "captureOutput": False}),
     "spec.dataCapture", "at least one of captureInput or captureOutput must be true", True),
    ("bad-region", _set("spec.region", "useast1"), "spec.region", "must be an AWS region", True),
    ("missing-region", _delete("spec.region"), "spec.region", "required field is missing", True),
    ("bad-enum", _set("spec.dataQuality", {"method": "fancy"}), "spec.dataQuality.method",
     "must be one of 'robust' or 'simple', got 'fancy'", True),
    ("wrong-type", _set("spec.dataCapture", {**CAPTURE, "samplingPercentage": "lots"}),
     "spec.dataCapture.samplingPercentage",
     "must be a whole number, got 'lots'", True),
    ("threshold-out-of-range", _set("spec.dataQuality", {"driftThreshold": 1.5}), "spec.dataQuality.driftThreshold",
     "must be at most 1.0, got 1.5", True),
    # gt=0: the CRD must say `minimum: 0` + `exclusiveMinimum: true` (OpenAPI 3.0) for the API server to agree.
    ("threshold-zero", _set("spec.dataQuality", {"driftThreshold": 0}), "spec.dataQuality.driftThreshold",
     "must be greater than 0.0, got 0", True),
    ("spec-not-a-mapping", _set("spec", ["region", "us-east-1"]), "spec", "must be a mapping, got list", False),
    ("existing-endpoint-without-capture-prefix-under-lambda",
     _both(_set("spec.engine", "lambda"), _delete("spec.dataCapture.destinationS3Uri")), "spec",
     "dataCapture.destinationS3Uri is required for an existing endpoint unless engine is modelMonitor", True),
    ("existing-endpoint-without-capture-prefix-under-the-default-engine", _delete("spec.dataCapture"), "spec",
     "dataCapture.destinationS3Uri is required for an existing endpoint unless engine is modelMonitor", True),
    ("bad-kms-key", _set("spec.dataCapture", {**CAPTURE, "kmsKeyId": "my key"}), "spec.dataCapture.kmsKeyId",
     "must be a KMS key ARN, key id or alias", True),
    ("payload-mapping-and-preprocessor",
     _set("spec.payload", {"input": {"names": ["a"]}, "preprocessorS3Uri": "s3://bucket-a/pre.py"}), "spec.payload",
     "payload.preprocessorS3Uri excludes payload.input and payload.output", True),
    ("payload-bad-path", _set("spec.payload", {"input": {"path": "instances[x]"}}), "spec.payload.input.path",
     "must be a payload path: keys joined by dots, [n] an index, [*] the row axis (e.g. instances[*].features), "
     "got 'instances[x]'", True),
    ("builtin-analyzer-payload-without-names",
     _both(_set("spec.engine", "modelMonitor"), _set("spec.dataQuality", {"analyzer": "builtin"}),
           _set("spec.payload", {"input": {"path": "instances[*]"}})), "spec",
     "payload.input.names is required when dataQuality.analyzer is builtin", True),
]


def _write(tmp_path: Path, doc: Any, name: str = "monitor.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_monitors(path)
    return [str(p) for p in caught.value.problems]


def test_at_least_fifteen_distinct_classes() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 15


@pytest.mark.parametrize(("case", "mutate", "path", "message", "api_server"), CASES, ids=[c[0] for c in CASES])
def test_invalid_manifest_is_reported_precisely(
        tmp_path: Path, case: str, mutate: Callable[[Doc], None], path: str, message: str, api_server: bool) -> None:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    file = _write(tmp_path, doc)
    problems = _problems(file)
    name = doc["metadata"]["name"]
    expected_prefix = f"{file}: {name}: {path}: "
    assert any(p.startswith(expected_prefix) and message in p for p in problems), problems
    if api_server:
        assert api_server_errors(load_crd(), doc), f"{case}: the CRD should reject this too"


def test_base_document_is_valid_for_both(tmp_path: Path) -> None:
    assert load_monitors(_write(tmp_path, BASE))
    assert api_server_errors(load_crd(), BASE) == []


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    first = _write(tmp_path, BASE, "a.yaml")
    _write(tmp_path, BASE, "b.yaml")
    problems = _problems(tmp_path)
    assert problems == [f"{tmp_path / 'b.yaml'}: churn-prod: metadata.name: duplicate monitor default/churn-prod: "
                        f"also defined in {first} (document 1)"]


def test_same_name_in_other_namespace_is_fine(tmp_path: Path) -> None:
    other = copy.deepcopy(BASE)
    other["metadata"]["namespace"] = "team-b"
    _write(tmp_path, [BASE, other][0], "a.yaml")
    _write(tmp_path, other, "b.yaml")
    assert len(load_monitors(tmp_path)) == 2


def test_duplicate_names_in_one_multi_document_file(tmp_path: Path) -> None:
    path = tmp_path / "multi.yaml"
    path.write_text(yaml.safe_dump(BASE) + "---\n" + yaml.safe_dump(BASE))
    assert any("duplicate monitor default/churn-prod" in p for p in _problems(path))


def test_multi_document_errors_name_each_document(tmp_path: Path) -> None:
    second = copy.deepcopy(BASE)
    second["metadata"]["name"] = "fraud"
    second["spec"]["region"] = "nowhere"
    path = tmp_path / "multi.yaml"
    path.write_text(yaml.safe_dump(BASE) + "---\n" + yaml.safe_dump(second) + "---\n- just\n- a list\n")
    problems = _problems(path)
    assert any(p.startswith(f"{path}: fraud: spec.region: must be an AWS region") for p in problems)
    assert f"{path}: document 3: expected a mapping (a ModelMonitor document), got list" in problems


@pytest.mark.parametrize(("text", "message"), [
    ("spec: [unclosed\n", "not valid YAML: "),
    ("", "file is empty: expected at least one ModelMonitor document"),
    ("---\n---\n", "file is empty: expected at least one ModelMonitor document"),
    ("# only a comment\n", "file is empty"),
    ("a: 1\na: 2\n", "not valid YAML: duplicate key 'a' (line 2, column 1)"),
    ("\t- tab indented\n", "not valid YAML"),
], ids=["unclosed", "empty", "only-separators", "only-comment", "duplicate-key", "tab"])
def test_file_level_problems(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    problems = _problems(path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}: ") and message in problems[0], problems


def test_duplicate_key_inside_spec_is_not_silently_dropped(tmp_path: Path) -> None:
    text = yaml.safe_dump(BASE) + "  region: eu-west-1\n"  # a second `region:` under spec
    problems = _problems(_write(tmp_path, text))
    assert any("duplicate key 'region'" in p for p in problems), problems


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    assert _problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file or directory"]
    (tmp_path / "empty").mkdir()
    assert _problems(tmp_path / "empty") == [f"{tmp_path / 'empty'}: directory holds no *.yaml or *.yml files"]


def test_all_problems_of_all_files_are_reported_at_once(tmp_path: Path) -> None:
    bad_a = copy.deepcopy(BASE)
    bad_a["spec"]["region"] = "x"
    bad_b = copy.deepcopy(BASE)
    bad_b["metadata"]["name"] = "other"
    bad_b["spec"]["dataCapture"] = {"samplingPercentage": 101}
    _write(tmp_path, bad_a, "a.yaml")
    _write(tmp_path, bad_b, "b.yml")
    problems = _problems(tmp_path)
    assert len(problems) == 2
    assert "a.yaml: churn-prod: spec.region" in problems[0] and "b.yml: other: spec.dataCapture" in problems[1]
