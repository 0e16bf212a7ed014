"""Helpers for the state-machine tests: graph walking, `.$` substitution, botocore shape checks, moto runs."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

TERMINAL = {"Succeed", "Fail"}


def successors(state: dict[str, Any]) -> set[str]:
    targets = set()
    if "Next" in state:
        targets.add(state["Next"])
    for choice in state.get("Choices", []):
        targets.add(choice["Next"])
    if "Default" in state:
        targets.add(state["Default"])
    for catcher in state.get("Catch", []):
        targets.add(catcher["Next"])
    return targets


def reachable(definition: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(successors(definition["States"][name]) - seen)
    return seen


def substitute(value: Any, samples: dict[str, Any]) -> Any:
    """Replace every `"key.$": expr` by `"key": samples[expr]` (sample values per JSONPath/intrinsic)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key.endswith(".$"):
                out[key[:-2]] = samples[item]
            else:
                out[key] = substitute(item, samples)
        return out
    if isinstance(value, list):
        return [substitute(item, samples) for item in value]
    return value


def _shape_problems(value: Any, shape: Any, where: str) -> Iterator[str]:
    """Pattern and max-length checks, which botocore's ParamValidator leaves to the service."""
    meta = shape.metadata
    if shape.type_name == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{where}: longer than {meta['max']}"
        pattern = meta.get("pattern")
        if pattern and "\\p{" not in pattern and not re.fullmatch(pattern, value):
            yield f"{where}: {value!r} does not match {pattern}"
    elif shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            yield from _shape_problems(item, shape.members[key], f"{where}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{where}: more than {meta['max']} items"
        for index, item in enumerate(value):
            yield from _shape_problems(item, shape.member, f"{where}[{index}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{where}: more than {meta['max']} entries"
        for key, item in value.items():
            yield from _shape_problems(key, shape.key, f"{where} key {key!r}")
            yield from _shape_problems(item, shape.value, f"{where}[{key!r}]")


def create_processing_job_problems(parameters: dict[str, Any]) -> list[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateProcessingJob").input_shape
    report = ParamValidator().validate(parameters, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    problems.extend(_shape_problems(parameters, shape, "CreateProcessingJob"))
    return problems


def offline_variant(definition: dict[str, Any], *, hour_path: str, shard_path: str) -> dict[str, Any]:
    """What moto can run: the JSONata window state becomes a JSONPath Pass taking an explicit window, and the
    `.sync` job tasks become request-response `aws-sdk:sagemaker:createProcessingJob` calls (moto creates the
    job, instantly Completed). Everything else — intrinsics, Choice, Wait, Catch, putEvents — is unchanged."""
    variant = copy.deepcopy(definition)
    variant["States"]["ResolveWindow"] = {
        "Type": "Pass", "Next": "PrepareRun",
        "Parameters": {"window_start.$": "$.window_start", "window_end.$": "$.window_end",
                       "evaluation_time.$": "$.window_end", "hour_path": hour_path, "shard_path": shard_path}}
    for name in ("Analyze", "AnalyzeEmptyWindow", "Merge"):
        if name in variant["States"]:
            state = variant["States"][name]
            state["Resource"] = "arn:aws:states:::aws-sdk:sagemaker:createProcessingJob"
            state["ResultSelector"] = {"ProcessingJobArn.$": "$.ProcessingJobArn"}
    return variant


def run_to_end(sfn: Any, machine_arn: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))
    for _ in range(300):  # bounded: 30 s at most
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError("state machine execution did not finish within 30 s")


def entered_states(sfn: Any, execution_arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
