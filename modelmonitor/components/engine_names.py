"""Physical names of the `lambda` and `processingJob` engines' resources (pure; `names.py` has the rest).

The Pulumi component that creates the analyzer function and the state machine must use these, because
`modelmonitor run-now` finds them by name. The `MonitoringSchedule` dimension and results path segment of our
engines' runs is `MonitorNames.data_quality_schedule` / `model_quality_schedule`, as under Model Monitor, so
alarms, dashboards and the alert handler read every engine the same way.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from modelmonitor.components.images import partition
from modelmonitor.components.names import MonitorNames
from modelmonitor.spec import ModelMonitorDocument, ModelMonitorSpec

MonitoringType = Literal["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
PackageType = Literal["Zip", "Image"]
LAMBDA_NAME_MAX = 64
STATE_MACHINE_NAME_MAX = 80
_LAMBDA_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_KIND: dict[str, str] = {"DataQuality": "dq", "ModelQuality": "mq", "ModelBias": "mb", "ModelExplainability": "fa"}


def kind(monitoring_type: MonitoringType) -> str:
    return _KIND[monitoring_type]


def analyzer_package_type(spec: ModelMonitorSpec) -> PackageType:
    """engine lambda: a zip package on the managed AWS SDK for pandas layer, unless
    `engineSettings.analyzerImage` names an image to run instead."""
    return "Image" if spec.engine_settings.analyzer_image is not None else "Zip"


def analyzer_function(names: MonitorNames, monitoring_type: MonitoringType, package_type: PackageType) -> str:
    """The analyzer Lambda of one monitoring type: `{name}-{hash}-dq-analyzer` (image) or `…-dq-analyzer-zip`
    (≤ 62 of Lambda's 64 chars). Lambda cannot change a function's package type in place (the provider replaces
    it: terraform-provider-aws `package_type` is ForceNew) and Pulumi creates the replacement first — under
    `deletionPolicy: Retain` the old one is never deleted — so each package type has its own name."""
    suffix = "-zip" if package_type == "Zip" else ""
    full = f"{names.base}-{kind(monitoring_type)}-analyzer{suffix}"
    if len(full) > LAMBDA_NAME_MAX or not _LAMBDA_NAME.fullmatch(full):
        raise ValueError(f"{full!r} is not a valid Lambda function name")
    return full


def state_machine(names: MonitorNames, monitoring_type: MonitoringType) -> str:
    """The processingJob engine's state machine: `{name}-{hash}-dq-run`. The component creates it under this
    name and `run-now` starts it by this name: this function is the only place that spells it."""
    full = f"{names.base}-{kind(monitoring_type)}-run"
    if len(full) > STATE_MACHINE_NAME_MAX:
        raise ValueError(f"{full!r} exceeds {STATE_MACHINE_NAME_MAX} characters")
    return full


def state_machine_arn(name: str, *, region: str, account_id: str) -> str:
    return f"arn:{partition(region)}:states:{region}:{account_id}:stateMachine:{name}"


def schedule(names: MonitorNames, monitoring_type: MonitoringType) -> str:
    """The schedule name every engine's runs carry (metric dimension, results path segment, run event)."""
    return {"DataQuality": names.data_quality_schedule, "ModelQuality": names.model_quality_schedule,
            "ModelBias": names.model_bias_schedule,
            "ModelExplainability": names.feature_attribution_schedule}[monitoring_type]


def run_now_schedule(names: MonitorNames, monitoring_type: MonitoringType, now: datetime) -> str:
    """A one-off (`NOW`) Model Monitor schedule: unique per second, within SageMaker's 63 characters."""
    return names.sagemaker(f"{kind(monitoring_type)}-now-{now:%d%H%M%S}")


def needs_platform_image(document: ModelMonitorDocument) -> bool:
    """SageMaker Model Monitor runs our analyzer as a container: engine modelMonitor with `analyzer: custom`
    (its schedules, or a dataset baseline). Our engines run a zip package or a code bundle instead."""
    spec = document.spec
    return (spec.engine == "modelMonitor" and spec.data_quality.analyzer == "custom"
            and (spec.data_quality.enabled or spec.baseline.dataset is not None))
