"""The Platform's state table against what the alert Lambda really does with it: the table the plan declares is
created in moto from the plan's own inputs, the handler's DynamoDB calls are recorded, and the IAM policy must
allow exactly those actions (IAM's DynamoDB action names are the API operation names) on exactly that table."""

from __future__ import annotations

import json
from typing import Any

from botocore.stub import Stubber

from modelmonitor.alerts import handler
from tests.alerts.conftest import World, load_event
from tests.alerts.test_incident_lifecycle import run_event
from tests.components.conftest import of_type, one, plan_of


def _plan_table_and_lambda() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    plan = plan_of("minimal.yaml")
    table = one(plan, "dynamodb/table:Table")
    function = next(r for r in of_type(plan, "lambda/function:Function")
                    if r["inputs"].get("handler") == "modelmonitor.alerts.handler.handler")
    role_policy = next(r for r in of_type(plan, "iam/rolePolicy:RolePolicy") if "alerts" in r["name"])
    statements = json.loads(role_policy["inputs"]["policy"])["Statement"]
    return table, function, statements


def _create_from_plan(world: World, table: dict[str, Any]) -> str:
    inputs, name = table["inputs"], table["outputs"]["name"]
    client = world.clients["dynamodb"]
    client.create_table(
        TableName=name, BillingMode=inputs["billingMode"],
        KeySchema=[{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]])
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": inputs["ttl"]["enabled"], "AttributeName": inputs["ttl"]["attributeName"]})
    return str(name)


def test_policy_allows_exactly_the_dynamodb_calls_the_lambda_makes(world: World, sagemaker: Stubber) -> None:
    table, function, statements = _plan_table_and_lambda()
    name = _create_from_plan(world, table)
    env = function["inputs"]["environment"]["variables"]
    assert env["STATE_TABLE"] == name

    calls: list[str] = []
    client = world.clients["dynamodb"]
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    try:
        rt = world.runtime(STATE_TABLE=name)
        handler.handle(run_event(0, 1), rt)  # opens an incident
        handler.handle(run_event(1, 0), rt)  # resolves it
        # a failed delivery releases its dedupe key
        broken = handler.build_runtime({"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:gone",
                                        "STATE_TABLE": name},
                                       **{k: v for k, v in world.clients.items() if k != "sqs"})
        handler.handle(load_event("sns_alarm_no_metrics.json"), broken)
    finally:
        client.meta.events.unregister("before-call.dynamodb")
    used = {f"dynamodb:{operation}" for operation in calls}
    assert used == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}

    granted = [s for s in statements if any(str(a).startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert len(granted) == 1
    assert set(_as_list(granted[0]["Action"])) == used
    assert granted[0]["Resource"] == table["outputs"]["arn"] == f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}"
    items = client.scan(TableName=name)["Items"]
    assert any(i["pk"]["S"].startswith("incident|") for i in items)  # one table holds incidents and dedupe keys
    assert any(i["pk"]["S"].startswith("run|") for i in items)


def test_table_is_encrypted_with_the_platform_key() -> None:
    table, _, _ = _plan_table_and_lambda()
    key = one(plan_of("minimal.yaml"), "kms/key:Key")
    assert table["inputs"]["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key["outputs"]["arn"]}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
