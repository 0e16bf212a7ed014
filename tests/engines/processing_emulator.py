"""SageMaker Processing around our container, for the processingJob engine's jobs as the state machine defines
them: resolve the task's `.$` parameters, lay out `/opt/ml` per instance (resourceconfig.json with
`current_host`, processingjobconfig.json), download inputs (`ShardedByS3Key`: each instance a disjoint share of
the objects), run the BYOC entrypoint in-process (so moto serves its AWS calls), upload every instance's output
directory to the output S3Uri — where same-named files of different instances overwrite each other, as on S3."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from modelmonitor.analyzer.entry import byoc

_FORMAT = re.compile(r"States\.Format\('(?P<template>[^']*)'(?P<args>(?:,\s*\$\.[\w.]+)*)\)")


def _lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        value = value[part]
    return value


def resolve(value: Any, context: dict[str, Any]) -> Any:
    """`"key.$": "$.a.b"` and `"key.$": "States.Format('…{}…', $.x, …)"` → `"key": <value>`."""
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not key.endswith(".$"):
            out[key] = resolve(item, context)
        elif item.startswith("$."):
            out[key[:-2]] = _lookup(context, item[2:])
        else:
            match = _FORMAT.fullmatch(item)
            assert match, f"unsupported intrinsic {item}"
            text = match["template"]
            for arg in (a.strip()[2:] for a in match["args"].split(",") if a.strip()):
                text = text.replace("{}", str(_lookup(context, arg)), 1)
            out[key[:-2]] = text
    return out


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _download(s3: Any, uri: str, target: Path, share: tuple[int, int] | None) -> None:
    bucket, prefix = _split(uri)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = sorted(o["Key"] for page in pages for o in page.get("Contents", []))
    if share is not None:
        keys = keys[share[0]::share[1]]
    for key in keys:
        relative = key[len(prefix):].lstrip("/") if prefix.endswith("/") else key.rsplit("/", 1)[-1]
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def run_job(parameters: dict[str, Any], *, s3: Any, workdir: Path) -> list[int]:
    """Run one resolved CreateProcessingJob request; returns each instance's exit code."""
    count = parameters["ProcessingResources"]["ClusterConfig"]["InstanceCount"]
    hosts = [f"algo-{i + 1}" for i in range(count)]
    codes = []
    for index, host in enumerate(hosts):
        root = workdir / host
        local = json.loads(json.dumps(parameters).replace("/opt/ml", str(root)))
        (root / "config").mkdir(parents=True, exist_ok=True)
        (root / "config/resourceconfig.json").write_text(json.dumps({"current_host": host, "hosts": hosts}))
        (root / "config/processingjobconfig.json").write_text(json.dumps(local))
        for spec in local.get("ProcessingInputs", []):
            s3_input = spec["S3Input"]
            sharded = s3_input["S3DataDistributionType"] == "ShardedByS3Key"
            _download(s3, s3_input["S3Uri"], Path(s3_input["LocalPath"]), (index, count) if sharded else None)
        for output in local["ProcessingOutputConfig"]["Outputs"]:
            Path(output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        # The environment reaches the container through processingjobconfig.json (and as variables).
        codes.append(byoc.main({"MODELMONITOR_OPT_ML_ROOT": str(root)}))
        for output in local["ProcessingOutputConfig"]["Outputs"]:
            source, (bucket, prefix) = Path(output["S3Output"]["LocalPath"]), _split(output["S3Output"]["S3Uri"])
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                key = f"{prefix.rstrip('/')}/{path.relative_to(source).as_posix()}"
                s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
    return codes
