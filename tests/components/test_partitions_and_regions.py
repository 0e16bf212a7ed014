"""Partitions, regions and the key policy, checked against botocore's own data and the rendered wiring.

- Every ARN in a plan for a China region carries the region's partition, and `kms:ViaService` names the
  service's endpoint in the region's domain — both from botocore's endpoint data (`partitions`: regionRegex,
  partition, dnsSuffix), not from our `images.partition`.
- Processing jobs get the region in the variable botocore reads (botocore's config provider table maps `region`
  to AWS_DEFAULT_REGION; SageMaker Processing sets none, and the analyzer creates its clients without a region).
- The platform key admits exactly the service principals that publish to topics encrypted with it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.configprovider
import botocore.session
import pytest

from modelmonitor.components.render import PlannedResource, render_plan
from modelmonitor.spec import ModelMonitorDocument
from tests.components.conftest import EXAMPLES, example, of_type, on_engine, one


def _botocore_partition(region: str) -> dict[str, Any]:
    partitions = botocore.session.get_session().get_data("endpoints")["partitions"]
    (found,) = [p for p in partitions if re.match(p["regionRegex"], region)]
    return dict(found)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [value, *_strings(parsed)] if isinstance(parsed, dict | list) else [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("engine", ["modelMonitor", "lambda", "processingJob"])
@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1"])
def test_arns_and_endpoints_follow_the_regions_partition(region: str, engine: str) -> None:
    partition = _botocore_partition(region)
    for path in EXAMPLES:
        document = _without_pager_topic(on_engine(example(path.name), engine))
        if engine == "lambda" and region.startswith("us-gov-"):
            # no managed pandas layer in GovCloud: the zip path is refused there (tests/packaging), an image is not
            document = _with_image(document, f"123456789012.dkr.ecr.{region}.amazonaws.com/analyzer:1")
        plan = render_plan([document], region=region)
        for resource in plan:
            for text in _strings(resource["inputs"]):
                for arn in re.findall(r"arn:[a-z-]+:", text):
                    assert arn == f"arn:{partition['partition']}:", (path.name, resource["name"], text[:200])
            for statement in _statements(resource):
                for endpoint in _values(statement.get("Condition", {}).get("StringEquals", {}).get(
                        "kms:ViaService")):
                    assert endpoint.endswith(f".{region}.{partition['dnsSuffix']}"), (resource["name"], endpoint)


def _without_pager_topic(document: ModelMonitorDocument) -> ModelMonitorDocument:
    """The example's pager topic is in its own region: alarms elsewhere cannot notify it (refused at render)."""
    raw = document.model_dump(by_alias=True)
    raw["spec"]["alerting"].pop("snsTopicArn", None)
    return ModelMonitorDocument.model_validate(raw)


def _with_image(document: ModelMonitorDocument, image: str) -> ModelMonitorDocument:
    raw = document.model_dump(by_alias=True)
    raw["spec"]["engineSettings"]["analyzerImage"] = image
    return ModelMonitorDocument.model_validate(raw)


def _statements(resource: PlannedResource) -> list[dict[str, Any]]:
    policy = resource["inputs"].get("policy")
    return list(json.loads(policy)["Statement"]) if isinstance(policy, str) and policy.startswith("{") else []


def _values(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def test_processing_jobs_get_the_region_botocore_reads() -> None:
    variable = botocore.configprovider.BOTOCORE_DEFAUT_SESSION_VARIABLES["region"][1]
    for path in EXAMPLES:
        document = on_engine(example(path.name), "processingJob")
        for machine in of_type(render_plan([document]), "sfn/stateMachine:StateMachine"):
            definition = json.loads(machine["inputs"]["definition"])
            jobs = [s for s in definition["States"].values() if "createProcessingJob" in str(s.get("Resource"))]
            assert jobs
            for job in jobs:
                assert job["Parameters"]["Environment"][variable] == document.spec.region


def test_the_key_admits_exactly_the_services_that_publish_to_its_topics() -> None:
    plan = render_plan([example("full.yaml")])
    key = one(plan, "kms/key:Key")
    encrypted = {t["outputs"]["arn"] for t in of_type(plan, "sns/topic:Topic")
                 if t["inputs"].get("kmsMasterKeyId") == key["outputs"]["arn"]}
    publishers = set()
    if any(set(a["inputs"].get("alarmActions", [])) & encrypted for a in of_type(plan, "metricAlarm:MetricAlarm")):
        publishers.add("cloudwatch.amazonaws.com")
    if any(t["inputs"]["arn"] in encrypted for t in of_type(plan, "eventTarget:EventTarget")):
        publishers.add("events.amazonaws.com")
    granted = {service for statement in json.loads(key["inputs"]["policy"])["Statement"]
               for service in _values(statement["Principal"].get("Service"))}
    assert granted == publishers == {"cloudwatch.amazonaws.com"}
