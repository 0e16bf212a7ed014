"""Resources that can only be replaced, never updated, must not carry a fixed physical name while retained.

Pulumi replaces create-before-delete: a replacement with the same fixed name collides with the resource it
replaces, and with `deletionPolicy: Retain` (retain_on_delete) the old one is never deleted at all, so
`deleteBeforeReplace` cannot help there. So every replace-on-change resource is auto-named, or (not retained) it is
deleteBeforeReplace.

Which properties force a replacement comes from the providers, not from us:
- pulumi-aws-native: the SDK's own `replace_on_changes` resource option (generated from the CloudFormation
  schema's createOnlyProperties), read here from the options the SDK passes to the engine.
- pulumi-aws (bridged from terraform-provider-aws, whose ForceNew flags the Python SDK does not carry): the
  provider source, cited per type below.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pytest

from modelmonitor.components.program import ProgramSettings, monitors_program
from modelmonitor.components.render import render_program
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import EXAMPLES, example, on_engine

# terraform-provider-aws (hashicorp/terraform-provider-aws): each resource's update function handles tags only, so
# every other argument is ForceNew.
#   internal/service/sagemaker/model.go @0cafd6b50f8e41065a3537744e2985d5bdce7d59 (every argument ForceNew: true)
#   internal/service/sagemaker/endpoint_configuration.go: resourceEndpointConfigurationUpdate "// Tags only."
#   internal/service/sagemaker/data_quality_job_definition.go: resourceDataQualityJobDefinitionUpdate "// Tags only."
ALL_BUT_TAGS = "*"
BRIDGED_REPLACE_ON_CHANGES = {
    "aws:sagemaker/model:Model": ALL_BUT_TAGS,
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": ALL_BUT_TAGS,
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": ALL_BUT_TAGS,
}
NAME_PROPERTY = {"aws-native:sagemaker:ModelQualityJobDefinition": "jobDefinitionName"}
NOT_REPLACING = {"tags", "tagsAll", "tags[*]"}


@dataclass(frozen=True)
class Registered:
    type: str
    name: str
    props: dict[str, object]
    replace_on_changes: tuple[str, ...]
    delete_before_replace: bool
    retain_on_delete: bool


def _registered(document_name: str, engine: str) -> list[Registered]:
    return _registered_document(on_engine(example(document_name), engine))


def _registered_document(document: ModelMonitorDocument) -> list[Registered]:
    seen: list[Registered] = []

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        opts = args.opts or pulumi.ResourceOptions()
        seen.append(Registered(args.type_, args.name, dict(args.props), tuple(opts.replace_on_changes or ()),
                               bool(opts.delete_before_replace), bool(opts.retain_on_delete)))

    def program() -> None:
        pulumi.runtime.register_stack_transformation(record)
        monitors_program([document], ProgramSettings())

    render_program(program, document.spec.region)
    return seen


def _replacing(resource: Registered) -> set[str]:
    """The properties this resource sets whose change makes the provider replace it (its name excluded)."""
    name = NAME_PROPERTY.get(resource.type, "name")
    set_props = {key for key, value in resource.props.items() if value is not None}
    declared = BRIDGED_REPLACE_ON_CHANGES.get(resource.type)
    if declared == ALL_BUT_TAGS:
        forcing = set_props - NOT_REPLACING
    else:
        top_level = {path.split(".")[0].split("[")[0] for path in resource.replace_on_changes}
        forcing = {p for p in set_props if _camel(p) in top_level} - NOT_REPLACING
    return {p for p in forcing if _camel(p) != name and p != name}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


@pytest.mark.parametrize("engine", ["modelMonitor", "lambda", "processingJob"])
@pytest.mark.parametrize("path", [p.name for p in EXAMPLES])
def test_replace_on_change_resources_are_auto_named_or_deleted_first(path: str, engine: str) -> None:
    checked = 0
    for resource in _registered(path, engine):
        forcing = _replacing(resource)
        if not forcing:
            continue
        checked += 1
        name_property = NAME_PROPERTY.get(resource.type, "name")
        snake = "job_definition_name" if name_property == "jobDefinitionName" else name_property
        fixed_name = resource.props.get(snake) or resource.props.get(name_property)
        safe = fixed_name is None or (resource.delete_before_replace and not resource.retain_on_delete)
        assert safe, (f"{resource.type} {resource.name} has the fixed name {fixed_name!r}, but a change of "
                      f"{sorted(forcing)} replaces it (retained: {resource.retain_on_delete})")
    if engine == "modelMonitor" and path == "full.yaml":
        assert checked >= 4  # model, endpoint configuration, both job definitions: the test saw them


def test_the_native_sdk_declares_its_replace_on_changes() -> None:
    """The metadata this test relies on is really there (an SDK upgrade that dropped it would blind the test)."""
    (job,) = [r for r in _registered("full.yaml", "modelMonitor")
              if r.type == "aws-native:sagemaker:ModelQualityJobDefinition"]
    assert "modelQualityAppSpecification" in job.replace_on_changes


# terraform-provider-aws internal/service/lambda/function.go @262d4da63aa78d7dcea5d62ac118005e6628db57: of the
# function's arguments only "function_name" and "package_type" are ForceNew (pulumi-aws's Python SDK carries no
# ForceNew flags). Everything else we set is updated in place.
LAMBDA_FORCE_NEW = {"name", "package_type"}


def test_the_analyzer_function_takes_a_new_name_when_its_package_type_changes() -> None:
    """A package type change (the default zip ↔ `engineSettings.analyzerImage`) replaces the function; under
    `deletionPolicy: Retain` the old one is never deleted, so the replacement must not reuse its name."""
    raw = on_engine(example("lambda-engine.yaml"), "lambda").model_dump(by_alias=True)
    raw["spec"]["deletionPolicy"] = "Retain"  # the spec's default: a replaced function is never deleted
    default = ModelMonitorDocument.model_validate(raw)
    raw["spec"]["engineSettings"]["analyzerImage"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/analyzer:1"
    with_image = ModelMonitorDocument.model_validate(raw)

    def analyzers(document: ModelMonitorDocument) -> dict[str, Registered]:
        return {r.name: r for r in _registered_document(document) if r.type == "aws:lambda/function:Function"
                and "monitoring_type" in (r.props.get("environment") or {}).get("variables", {})}

    zipped, imaged = analyzers(default), analyzers(with_image)
    assert zipped and zipped.keys() == imaged.keys()  # same logical names: Pulumi plans a replacement
    for logical, before in zipped.items():
        after = imaged[logical]
        assert (before.props["package_type"], after.props["package_type"]) == ("Zip", "Image")
        replaced_by = {k for k in LAMBDA_FORCE_NEW if before.props.get(k) != after.props.get(k)}
        assert replaced_by == LAMBDA_FORCE_NEW, logical  # the replacement comes with its own name
