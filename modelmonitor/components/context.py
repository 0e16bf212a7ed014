"""What a ModelMonitor's child builders share: the parsed spec, the platform's outputs, names and locations."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from modelmonitor.components.names import MonitorNames
from modelmonitor.errors import ModelMonitorError
from modelmonitor.spec import ModelMonitorDocument


class UnsupportedEngineError(ModelMonitorError, NotImplementedError):
    """The monitor asks for an engine this version cannot provision yet (lambda, processingJob: a later issue)."""


@dataclass(frozen=True)
class PlatformRefs:
    """The Platform outputs a ModelMonitor consumes (a Platform, or the same values from another stack)."""

    region: str
    partition: str
    account_id: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    analyzer_repository_arn: pulumi.Input[str]
    analyzer_image_uri: pulumi.Input[str]
    """Our analyzer image (dataQuality.analyzer: custom), tag- or digest-qualified."""
    aws_profile: str | None = None
    """The stack's `aws:profile`: the credentials the baseline job (boto3, outside any Pulumi provider) uses."""


@dataclass(frozen=True)
class Locations:
    """S3 URIs of one monitor (docs/internal-contracts.md §1), all below the platform bucket."""

    bucket: str
    namespace: str
    name: str

    @property
    def captures(self) -> str:
        return f"s3://{self.bucket}/captures"

    def baseline(self, kind: str) -> str:
        return f"s3://{self.bucket}/baselines/{self.namespace}/{self.name}/{kind}"

    def results(self, kind: str) -> str:
        return f"s3://{self.bucket}/results/{self.namespace}/{self.name}/{kind}"

    @property
    def code_root(self) -> str:
        """Where the analyzer's code bundle for AWS-provided images goes (`processing_code.code_prefix`)."""
        return f"s3://{self.bucket}/code/{self.namespace}/{self.name}"

    @property
    def record_preprocessor(self) -> str:
        """Where the modelMonitor engine puts the record preprocessor it generates from `spec.payload`."""
        return f"s3://{self.bucket}/code/{self.namespace}/{self.name}/record_preprocessor.py"


@dataclass(frozen=True)
class BuildContext:
    document: ModelMonitorDocument
    platform: PlatformRefs
    names: MonitorNames
    endpoint_name: pulumi.Output[str]
    """Resolves once the endpoint exists (created here) or immediately (existing endpoint)."""
    role_arn: pulumi.Output[str]
    statistics_s3_uri: pulumi.Output[str]
    constraints_s3_uri: pulumi.Output[str]
    locations: pulumi.Output[Locations]
    parent: pulumi.Resource
    tags: dict[str, str]
    analyzer_code_s3_uri: pulumi.Output[str] | None = None
    """The analyzer's code bundle prefix when our analyzer runs on an AWS-provided image (`processing_code`);
    None when `engineSettings.analyzerImage` names an image of ours."""
    bias_baseline_s3_uri: pulumi.Output[str] | None = None
    """The bias baseline analysis.json computed at deploy time (`bias_baseline`): resolves once its job completed."""

    @property
    def monitor(self) -> str:
        return f"{self.document.metadata.namespace}/{self.document.metadata.name}"

    def opts(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, depends_on=depends_on)
