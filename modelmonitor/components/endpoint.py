"""Endpoint child builder: for `endpoint.create`, the Model, the EndpointConfiguration with data capture and the
Endpoint; for `endpoint.existing`, nothing (its name is used as is)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi_aws import iam, sagemaker

from modelmonitor.components import policies
from modelmonitor.components.names import MonitorNames, inline_policy_logical
from modelmonitor.spec import DataCapture, ModelMonitorDocument


def data_capture_config(capture: DataCapture, destination: pulumi.Input[str],
                        kms_key: pulumi.Input[str]) -> dict[str, Any]:
    """EndpointConfig DataCaptureConfig (contract file, "Data capture")."""
    modes = [m for m, on in (("Input", capture.capture_input), ("Output", capture.capture_output)) if on]
    return {
        "enable_capture": True,
        "initial_sampling_percentage": capture.sampling_percentage,
        "destination_s3_uri": destination,
        "kms_key_id": kms_key,
        "capture_options": [{"capture_mode": m} for m in modes],
        "capture_content_type_header": {"csv_content_types": list(capture.csv_content_types),
                                        "json_content_types": list(capture.json_content_types)},
    }


def build_endpoint(parent: pulumi.Resource, document: ModelMonitorDocument, names: MonitorNames, *,
                   capture_destination: pulumi.Input[str], capture_kms_key: pulumi.Input[str],
                   account_id: pulumi.Input[str], partition: str, tags: dict[str, str]) -> pulumi.Output[str]:
    """Create the endpoint when asked to; return its name (an Output that resolves once it exists)."""
    spec = document.spec
    create = spec.endpoint_source.create
    if create is None:
        return pulumi.Output.from_input(document.endpoint_name)
    child = pulumi.ResourceOptions(parent=parent)
    role_arn: pulumi.Input[str]
    if create.execution_role_arn is not None:
        role_arn = create.execution_role_arn
    else:
        role = iam.Role(f"{names.logical}-model-role", name=names.model_role, assume_role_policy=json.dumps(
            policies.assume_role_policy("sagemaker.amazonaws.com")), tags=tags, opts=child)
        # Data capture is written with the model's role: it needs the capture prefix and the capture key.
        policy = pulumi.Output.all(account_id, capture_destination, capture_kms_key).apply(
            lambda v: json.dumps(policies.model_role_policy(
                partition, spec.region, str(v[0]), model_data_url=create.model_data_url, image=create.image,
                capture_prefix=f"{str(v[1]).rstrip('/')}/{document.endpoint_name}/", kms_keys=[str(v[2])])))
        iam.RolePolicy(inline_policy_logical(f"{names.logical}-model-role"), role=role.id, policy=policy, opts=child)
        role_arn = role.arn
    model = sagemaker.Model(
        names.replaceable("model"), execution_role_arn=role_arn,
        primary_container={"image": create.image, "model_data_url": create.model_data_url,
                           "environment": dict(create.environment)},
        tags=tags, opts=child)
    config = sagemaker.EndpointConfiguration(
        names.replaceable("endpoint-config"),
        production_variants=[{"variant_name": create.variant_name, "model_name": model.name,
                              "instance_type": create.instance_type,
                              "initial_instance_count": create.instance_count, "initial_variant_weight": 1.0}],
        data_capture_config=data_capture_config(spec.data_capture, capture_destination, capture_kms_key),
        tags=tags, opts=child)
    endpoint = sagemaker.Endpoint(
        f"{names.logical}-endpoint", name=document.endpoint_name, endpoint_config_name=config.name,
        tags=tags, opts=child)
    name: pulumi.Output[str] = endpoint.name
    return name
