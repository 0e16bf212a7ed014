"""Every physical name fits AWS's limits at the longest names the spec allows, on both paths.

Paths: `pulumi up` of monitors/*.yaml (`monitors_program`, what `__main__.py` runs) and the operator's one-monitor
program (`monitor_program`). Manifests are generated (hypothesis) around the spec's extremes: monitor names up to
39 characters and namespaces up to 63 (DNS labels), every example's sections, every engine. A resource that sets
no physical name gets Pulumi's auto-name, `{logical}-{7 characters}`; the render mocks produce names exactly that
long (`render.auto_name`).

Limits come from outside our code: botocore's service models (max length and pattern of each Create call's name
member) and, where the model carries none, AWS's documented limits (cited below). Lambda's model allows 140
characters because it accepts a function ARN; a function NAME is at most 64 (Lambda API reference,
CreateFunction: "The length constraint applies only to the full ARN. If you specify only the function name, it is
limited to 64 characters in length").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmonitor.components.program import ProgramSettings, monitor_program
from modelmonitor.components.render import PlannedResource, render_plan, render_program
from modelmonitor.formats import MAX_MONITOR_NAME_LENGTH
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import EXAMPLES, example, on_engine

NAMESPACE_MAX = 63  # a Kubernetes namespace is a DNS label


@dataclass(frozen=True)
class Limit:
    max_length: int
    pattern: str | None
    source: str


@cache
def _botocore(service: str, operation: str, member: str, *, max_length: int | None = None) -> Limit:
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    metadata = shape.members[member].metadata
    return Limit(max_length or int(metadata["max"]), metadata.get("pattern"),
                 f"botocore {service} {operation}.{member}")


# Documented where botocore's model has no length: S3 "Bucket naming rules" (3-63 characters; lowercase letters,
# numbers, dots and hyphens; begin and end with a letter or number); SNS CreateTopic ("Topic names must be made
# up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and
# 256 characters long"); SQS CreateQueue ("A queue name can have up to 80 characters. Valid values: alphanumeric
# characters, hyphens (-), and underscores (_)"); CloudWatch PutDashboard DashboardName ("maximum 255
# characters [...] A-Z, a-z, 0-9, "-", and "_"").
DOCUMENTED = {
    "aws:s3/bucket:Bucket": Limit(63, r"[a-z0-9][a-z0-9.-]*[a-z0-9]", "S3 user guide, bucket naming rules"),
    "aws:sns/topic:Topic": Limit(256, r"[A-Za-z0-9_-]+", "SNS API reference, CreateTopic Name"),
    "aws:sqs/queue:Queue": Limit(80, r"[A-Za-z0-9_-]+", "SQS API reference, CreateQueue QueueName"),
    "aws:cloudwatch/dashboard:Dashboard": Limit(255, r"[A-Za-z0-9_-]+", "CloudWatch API reference, PutDashboard"),
}

# Pulumi type → (the input holding the physical name, the AWS call that receives it).
NAMED: dict[str, tuple[str, tuple[str, str, str]]] = {
    "aws:iam/role:Role": ("name", ("iam", "CreateRole", "RoleName")),
    "aws:iam/rolePolicy:RolePolicy": ("name", ("iam", "PutRolePolicy", "PolicyName")),
    "aws:lambda/function:Function": ("name", ("lambda", "CreateFunction", "FunctionName")),
    "aws:cloudwatch/eventRule:EventRule": ("name", ("events", "PutRule", "Name")),
    "aws:cloudwatch/logGroup:LogGroup": ("name", ("logs", "CreateLogGroup", "logGroupName")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", ("cloudwatch", "PutMetricAlarm", "AlarmName")),
    "aws:sfn/stateMachine:StateMachine": ("name", ("stepfunctions", "CreateStateMachine", "name")),
    "aws:scheduler/schedule:Schedule": ("name", ("scheduler", "CreateSchedule", "Name")),
    "aws:sagemaker/model:Model": ("name", ("sagemaker", "CreateModel", "ModelName")),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": (
        "name", ("sagemaker", "CreateEndpointConfig", "EndpointConfigName")),
    "aws:sagemaker/endpoint:Endpoint": ("name", ("sagemaker", "CreateEndpoint", "EndpointName")),
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": (
        "name", ("sagemaker", "CreateDataQualityJobDefinition", "JobDefinitionName")),
    "aws-native:sagemaker:ModelQualityJobDefinition": (
        "jobDefinitionName", ("sagemaker", "CreateModelQualityJobDefinition", "JobDefinitionName")),
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": (
        "name", ("sagemaker", "CreateMonitoringSchedule", "MonitoringScheduleName")),
    "aws:ecr/repository:Repository": ("name", ("ecr", "CreateRepository", "repositoryName")),
    "aws:kms/alias:Alias": ("name", ("kms", "CreateAlias", "AliasName")),
    "pulumi-python:dynamic:Resource": ("job_name", ("sagemaker", "CreateProcessingJob", "ProcessingJobName")),
}
LAMBDA_FUNCTION_NAME_MAX = 64


def limit_of(resource_type: str) -> Limit | None:
    if resource_type in DOCUMENTED:
        return DOCUMENTED[resource_type]
    if resource_type not in NAMED:
        return None
    service, operation, member = NAMED[resource_type][1]
    if resource_type == "aws:lambda/function:Function":
        return _botocore(service, operation, member, max_length=LAMBDA_FUNCTION_NAME_MAX)
    return _botocore(service, operation, member)


def physical_name(resource: PlannedResource) -> str | None:
    """The name AWS receives: the explicit input, else the (mock) auto-name Pulumi would give."""
    typ = resource["type"]
    if typ == "aws:s3/bucket:Bucket":
        return str(resource["outputs"]["bucket"])
    field = NAMED[typ][0] if typ in NAMED else "dashboardName" if typ.endswith("dashboard:Dashboard") else "name"
    value = resource["inputs"].get(field) or resource["outputs"].get(field)
    return None if value is None else str(value)


def overflows(plan: list[PlannedResource]) -> list[str]:
    problems = []
    for resource in plan:
        limit = limit_of(resource["type"])
        if limit is None:
            continue
        name = physical_name(resource)
        assert name is not None, f"{resource['type']} {resource['name']}: no physical name in the plan"
        if len(name) > limit.max_length:
            problems.append(f"{resource['type']} {name!r}: {len(name)} > {limit.max_length} ({limit.source})")
        if limit.pattern is not None and not re.fullmatch(limit.pattern, name):
            problems.append(f"{resource['type']} {name!r}: does not match {limit.pattern} ({limit.source})")
    return problems


def _label(length: int) -> st.SearchStrategy[str]:
    """A DNS label of exactly `length` characters (alphanumeric at both ends, '-' allowed inside)."""
    alnum = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789")
    inner = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-")
    if length == 1:
        return alnum
    return st.builds(lambda a, mid, z: a + "".join(mid) + z, alnum,
                     st.lists(inner, min_size=length - 2, max_size=length - 2), alnum)


def _renamed(document: ModelMonitorDocument, name: str, namespace: str, engine: str) -> ModelMonitorDocument:
    moved = on_engine(document, engine)
    return ModelMonitorDocument.model_validate({**moved.model_dump(by_alias=True), "metadata": {
        **moved.metadata.model_dump(by_alias=True), "name": name, "namespace": namespace}})


manifests = st.builds(
    _renamed,
    st.sampled_from([example(p.name) for p in EXAMPLES]),
    st.integers(MAX_MONITOR_NAME_LENGTH - 6, MAX_MONITOR_NAME_LENGTH).flatmap(_label),
    st.integers(NAMESPACE_MAX - 10, NAMESPACE_MAX).flatmap(_label),
    st.sampled_from(["modelMonitor", "lambda", "processingJob"]),
)
PROPERTY = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(document=manifests)
def test_names_fit_on_the_pulumi_up_path(document: ModelMonitorDocument) -> None:
    assert overflows(render_plan([document])) == []


@PROPERTY
@given(document=manifests)
def test_names_fit_in_the_operators_one_monitor_program(document: ModelMonitorDocument) -> None:
    plan = render_program(lambda: monitor_program(document, ProgramSettings()), document.spec.region)
    assert overflows(plan) == []


@pytest.mark.parametrize("engine", ["modelMonitor", "lambda", "processingJob"])
def test_the_longest_names_on_both_paths(engine: str) -> None:
    """The extremes themselves, always (hypothesis may not draw them): 39-character name, 63-character namespace."""
    document = _renamed(example("full.yaml"), "n" * MAX_MONITOR_NAME_LENGTH, "s" * NAMESPACE_MAX, engine)
    assert overflows(render_plan([document])) == []
    one = render_program(lambda: monitor_program(document, ProgramSettings()), document.spec.region)
    assert overflows(one) == []


def test_the_mock_auto_name_is_as_long_as_pulumis() -> None:
    """Pulumi's auto-name appends "-" and 7 random characters (offline-testing.md, checked against pulumi-aws)."""
    from modelmonitor.components.render import auto_name

    assert len(auto_name("x")) == len("x") + 8
