"""Every policy the stack generates: parliament-clean, no *FullAccess, no s3:* on *, scoped to the model's
prefixes (docs/internal-contracts.md §1)."""

from __future__ import annotations

import functools
import gc
import json
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    # parliament opens its bundled data files at import time and never closes them
    warnings.simplefilter("ignore", ResourceWarning)
    from parliament import analyze_policy_string, enhance_finding

    gc.collect()

from modelmonitor.components.engine_processing_job import LOG_DELIVERY_ACTIONS
from modelmonitor.components.render import PlannedResource, render_plan
from tests.components.conftest import EXAMPLES, example, of_type, on_engine, one, plan_of

RESOURCE_POLICY_TYPES = ("aws:s3/bucketPolicy:BucketPolicy", "aws:sns/topicPolicy:TopicPolicy", "aws:kms/key:Key")
# Justified parliament findings (issue, detail fragment) → why it is acceptable.
ALLOWED_FINDINGS = {
    ("UNKNOWN_CONDITION_FOR_ACTION", "kms:ResourceAliases"):
        "IAM has supported kms:ResourceAliases for kms:Decrypt/GenerateDataKey since 2021; parliament's bundled "
        "action database predates it. Used to grant a data-capture key the spec names by alias.",
}
SEVERITIES = {"MEDIUM", "HIGH", "CRITICAL"}


@functools.cache
def all_plans() -> list[list[PlannedResource]]:
    builtin = example("existing-endpoint.yaml")
    builtin = builtin.model_copy(update={"spec": builtin.spec.model_copy(update={
        "data_quality": builtin.spec.data_quality.model_copy(update={"analyzer": "builtin"})})})  # engine modelMonitor
    # the lambda example's monitor (model quality too) on the processingJob engine: job and state machine roles
    sharded = on_engine(example("lambda-engine.yaml"), "processingJob")
    return [*(plan_of(p.name) for p in EXAMPLES), render_plan([builtin]), render_plan([sharded])]


def policies(plan: list[PlannedResource]) -> list[tuple[PlannedResource, str, dict[str, Any]]]:
    found = []
    for r in plan:
        for key in ("policy", "assumeRolePolicy"):
            value = r["inputs"].get(key)
            if isinstance(value, str):
                found.append((r, key, json.loads(value)))
    return found


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    value = document["Statement"]
    return value if isinstance(value, list) else [value]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("index", range(len(EXAMPLES) + 2))
def test_policies_pass_parliament(index: int) -> None:
    plan = all_plans()[index]
    problems = []
    checked = 0
    for resource, key, document in policies(plan):
        if key == "assumeRolePolicy":
            continue  # trust policies have no Resource by design; parliament reads them as malformed identity ones
        if resource["type"] == "aws:ecr/repositoryPolicy:RepositoryPolicy":
            # ECR repository policies have no Resource either (the repository is the resource); checked by hand in
            # tests/components/test_engines.py
            continue
        checked += 1
        for raw in analyze_policy_string(json.dumps(document)).findings:
            finding = enhance_finding(raw)
            if finding.severity not in SEVERITIES:
                continue
            if any(issue == finding.issue and fragment in str(finding.detail)
                   for issue, fragment in ALLOWED_FINDINGS):
                continue
            problems.append((resource["name"], finding.issue, finding.detail))
    assert checked >= 4
    assert problems == []


@pytest.mark.parametrize("index", range(len(EXAMPLES) + 2))
def test_no_full_access_and_no_s3_star(index: int) -> None:
    plan = all_plans()[index]
    assert "FullAccess" not in json.dumps([r["inputs"] for r in plan])
    assert not of_type(plan, "iam/rolePolicyAttachment:RolePolicyAttachment")
    for resource, _key, document in policies(plan):
        for statement in statements(document):
            if statement["Effect"] != "Allow":
                continue
            actions = as_list(statement.get("Action", []))
            resources = as_list(statement.get("Resource", []))
            assert "*" not in actions and "s3:*" not in actions, resource["name"]
            assert "sagemaker:*" not in actions and "iam:*" not in actions, resource["name"]
            if "*" in resources:
                # the only actions IAM cannot scope to a resource; key policies ("*" = this key) aside
                assert resource["type"] == "aws:kms/key:Key" or set(actions) <= {
                    "cloudwatch:PutMetricData", "ecr:GetAuthorizationToken", "sagemaker:ListMonitoringExecutions",
                    *LOG_DELIVERY_ACTIONS}, (resource["name"], actions)


def test_trust_policies_name_one_service() -> None:
    for resource, key, document in policies(plan_of("full.yaml")):
        if key != "assumeRolePolicy":
            continue
        (statement,) = statements(document)
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Principal"]["Service"] in ("sagemaker.amazonaws.com", "lambda.amazonaws.com"), resource


def test_monitoring_role_is_scoped_to_this_models_prefixes() -> None:
    plan = plan_of("full.yaml")
    bucket = one(plan, "s3/bucket:Bucket")["outputs"]["bucket"]
    policy = json.loads(next(r for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                             if r["name"] == "lending-credit-default-monitoring-policy")["inputs"]["policy"])
    s3 = [s for s in statements(policy) if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    reads = next(s for s in s3 if s["Action"] == ["s3:GetObject"])["Resource"]
    writes = next(s for s in s3 if "s3:PutObject" in s["Action"])["Resource"]
    assert sorted(reads) == sorted([
        f"arn:aws:s3:::{bucket}/captures/credit-default-v3/*",
        f"arn:aws:s3:::{bucket}/baselines/lending/credit-default/data-quality/*",
        f"arn:aws:s3:::{bucket}/baselines/lending/credit-default/model-quality/*",
        "arn:aws:s3:::acme-lending-data/credit-default/train.csv",
        "arn:aws:s3:::acme-lending-data/credit-default/ground-truth/*",
    ])
    assert sorted(writes) == sorted([
        f"arn:aws:s3:::{bucket}/results/lending/credit-default/data-quality/*",
        f"arn:aws:s3:::{bucket}/results/lending/credit-default/model-quality/*",
        f"arn:aws:s3:::{bucket}/baselines/lending/credit-default/data-quality/*",
    ])
    lists = {s["Resource"]: s["Condition"]["StringLike"]["s3:prefix"] for s in s3 if s["Action"] == "s3:ListBucket"}
    assert lists[f"arn:aws:s3:::{bucket}"] == [
        "baselines/lending/credit-default/data-quality/*", "baselines/lending/credit-default/model-quality/*",
        "captures/credit-default-v3/*", "results/lending/credit-default/data-quality/*",
        "results/lending/credit-default/model-quality/*"]
    metrics = next(s for s in statements(policy) if s["Action"] == "cloudwatch:PutMetricData")
    assert metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] == [
        "aws/sagemaker/Endpoints/data-metrics", "aws/sagemaker/Endpoints/model-metrics"]
    kms = [s for s in statements(policy) if s["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]]
    assert {json.dumps(s.get("Condition")) for s in kms} == {
        "null", '{"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/lending-ml"]}}'}


def test_existing_endpoint_reads_its_declared_capture_prefix() -> None:
    plan = plan_of("existing-endpoint.yaml")
    policy = json.loads(next(r for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                             if r["name"] == "risk-fraud-scoring-monitoring-policy")["inputs"]["policy"])
    reads = next(s for s in statements(policy) if s["Action"] == ["s3:GetObject"])["Resource"]
    assert "arn:aws:s3:::acme-risk-captures/fraud-scoring/*" in reads


def test_created_endpoints_role_writes_only_its_captures() -> None:
    plan = plan_of("full.yaml")
    bucket = one(plan, "s3/bucket:Bucket")["outputs"]["bucket"]
    policy = json.loads(next(r for r in of_type(plan, "iam/rolePolicy:RolePolicy")
                             if r["name"] == "lending-credit-default-model-policy")["inputs"]["policy"])
    by_action = {json.dumps(s["Action"]): s for s in statements(policy)}
    assert by_action['["s3:PutObject", "s3:AbortMultipartUpload"]']["Resource"] == \
        f"arn:aws:s3:::{bucket}/captures/credit-default-v3/*"
    assert by_action['"s3:GetObject"']["Resource"] == \
        "arn:aws:s3:::acme-lending-models/credit-default/v3/model.tar.gz"
    # the inference image is AWS's XGBoost image in account 246618743249: pull rights on that repository only
    assert by_action['["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]'][
        "Resource"] == "arn:aws:ecr:us-west-2:246618743249:repository/sagemaker-xgboost"
    kms = by_action['["kms:Decrypt", "kms:GenerateDataKey"]']
    assert kms["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/lending-ml"]}}
