"""Pulumi programs: one monitor (the operator's inline program, one stack per custom resource) or many
(`__main__.py`, the GitOps path). Both build the Platform of each region the monitors use, then the monitors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws
import pulumi_aws_native

from modelmonitor import __version__
from modelmonitor.components.context import PlatformRefs
from modelmonitor.components.engine_names import needs_platform_image
from modelmonitor.components.monitor import ModelMonitor, ModelMonitorArgs
from modelmonitor.components.names import MonitorNames, monitor_platform_name, platform_name
from modelmonitor.components.platform import Platform, PlatformArgs
from modelmonitor.components.spec_checks import MonitorConfigError
from modelmonitor.spec import ModelMonitorDocument, duration_seconds


@dataclass(frozen=True)
class ProgramSettings:
    """Stack-level choices that are not part of any one monitor's spec."""

    existing_alert_topic_arn: str | None = None
    """Publish readable alerts to this topic instead of creating one per platform."""
    existing_bucket_name: str | None = None
    """Use this artifact bucket instead of creating one per platform."""
    kms_key_arn: str | None = None
    """Use this customer-managed key instead of creating one per platform."""
    analyzer_image_tag: str = __version__
    """Tag of our analyzer image in the platform's ECR repository (dataQuality.analyzer: custom). The repository's
    tags are immutable, so a release tag, never `latest`: a re-push cannot silently change what runs."""
    analyzer_build_context: str | None = None
    """Build and push our analyzer image from this directory during `pulumi up` (needs Docker where it runs)."""
    analyzer_image_pushed: bool = False
    """Our analyzer image is pushed by other means (CI) under `analyzer_image_tag`. Only engine modelMonitor with
    `dataQuality.analyzer: custom` runs it: such a monitor needs this or `analyzer_build_context`
    (`check_analyzer_image_provided`)."""
    platform_name: str | None = None
    """Prefix of the Platform's name and physical names (Lambda, KMS alias, dashboards), which are unique per
    account/region: two stacks in one account need different prefixes. Default `modelmonitor` (many monitors) or
    `mm-{monitor name}-{hash}` (one monitor)."""


def check_analyzer_image_provided(documents: Sequence[ModelMonitorDocument], settings: ProgramSettings) -> None:
    """A plan whose jobs point at the Platform's analyzer image while nothing pushes it and no setting declares it
    pushed is refused before anything is created, naming the settings that provide it."""
    if settings.analyzer_build_context is not None or settings.analyzer_image_pushed:
        return
    needing = [f"{d.metadata.namespace}/{d.metadata.name}" for d in documents if needs_platform_image(d)]
    if needing:
        raise MonitorConfigError(
            f"{', '.join(needing)}: engine modelMonitor with dataQuality.analyzer custom runs our analyzer image "
            "from the Platform's ECR repository, and nothing provides it. Set modelmonitor:analyzerBuildContext "
            "(pulumi up builds and pushes it; needs Docker; render: --analyzer-build-context DIR) or "
            "modelmonitor:analyzerImagePushed true once CI pushes it under modelmonitor:analyzerImageTag (render: "
            "--analyzer-image-pushed); or use dataQuality.analyzer builtin, or engine lambda / processingJob, which "
            "need no image")


def stack_aws_profile() -> str | None:
    """The stack's `aws:profile`. Explicit providers do not inherit the stack's `aws:*` settings, so the ones
    created here and the baseline job (boto3) are given it: all of them then use the same credentials."""
    return pulumi.Config("aws").get("profile")


def _providers(region: str) -> pulumi.ResourceOptions:
    """Explicit providers per region: a spec's region decides where its resources go, not the stack config."""
    profile = stack_aws_profile()
    aws = pulumi_aws.Provider(f"aws-{region}", region=region, profile=profile)
    native = pulumi_aws_native.Provider(f"aws-native-{region}", region=region, profile=profile)
    return pulumi.ResourceOptions(providers={"aws": aws, "aws-native": native})


def build_platform(name: str, region: str, documents: Sequence[ModelMonitorDocument], settings: ProgramSettings,
                   opts: pulumi.ResourceOptions) -> Platform:
    alerting = [d.spec.alerting for d in documents]
    args = PlatformArgs(
        region=region,
        alert_emails=sorted({e for a in alerting for e in a.emails}),
        slack_secret_names=sorted({a.slack_webhook_secret for a in alerting if a.slack_webhook_secret}),
        repeat_intervals=repeat_intervals(documents),
        kms_key_arn=settings.kms_key_arn,
        existing_alert_topic_arn=settings.existing_alert_topic_arn,
        existing_bucket_name=settings.existing_bucket_name,
        analyzer_image_tag=settings.analyzer_image_tag,
        analyzer_build_context=settings.analyzer_build_context,
    )
    return Platform(name, args, opts)


def repeat_intervals(documents: Sequence[ModelMonitorDocument]) -> dict[str, int]:
    """`alerting.repeatInterval` per schedule name: the alert Lambda groups incidents by schedule."""
    found: dict[str, int] = {}
    for d in documents:
        names = MonitorNames(d.metadata.namespace, d.metadata.name)
        seconds = duration_seconds(d.spec.alerting.repeat_interval)
        found |= {names.data_quality_schedule: seconds, names.model_quality_schedule: seconds}
    return found


def platform_refs(platform: Platform) -> PlatformRefs:
    return PlatformRefs(
        region=platform.args.region, partition=platform.partition, account_id=platform.account_id,
        bucket_name=platform.bucket_name, kms_key_arn=platform.kms_key_arn,
        alarm_topic_arn=platform.alarm_topic_arn, analyzer_repository_arn=platform.analyzer_repository_arn,
        analyzer_image_uri=platform.analyzer_image_uri, aws_profile=stack_aws_profile())


def _build_monitor(document: ModelMonitorDocument, platform: Platform,
                   opts: pulumi.ResourceOptions) -> ModelMonitor:
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    return ModelMonitor(names.logical, ModelMonitorArgs(document, platform_refs(platform)), opts)


def monitor_program(document: ModelMonitorDocument, settings: ProgramSettings) -> None:
    """Inline program for ONE monitor: its own Platform (unless settings point at shared pieces) and monitor."""
    names = MonitorNames(document.metadata.namespace, document.metadata.name)
    opts = _providers(document.spec.region)
    platform = build_platform(monitor_platform_name(names, settings.platform_name), document.spec.region,
                              [document], settings, opts)  # one region: the prefix is the whole name
    monitor = _build_monitor(document, platform, opts)
    pulumi.export("endpointName", monitor.endpoint_name)
    pulumi.export("scheduleArns", monitor.schedule_arns)
    pulumi.export("dashboardUrl", monitor.dashboard_url)
    pulumi.export("bucketName", platform.bucket_name)
    pulumi.export("alertTopicArn", platform.alert_topic_arn)
    pulumi.export("alarmTopicArn", platform.alarm_topic_arn)
    pulumi.export("platformDashboardUrl", platform.dashboard_url)


def monitors_program(documents: Sequence[ModelMonitorDocument], settings: ProgramSettings) -> None:
    """Program for many monitors: one Platform per region they use, one ModelMonitor per document."""
    regions = sorted({d.spec.region for d in documents})
    platforms: dict[str, Platform] = {}
    providers: dict[str, pulumi.ResourceOptions] = {}
    for region in regions:
        in_region = [d for d in documents if d.spec.region == region]
        name = platform_name(region, settings.platform_name or "modelmonitor")
        providers[region] = _providers(region)
        platforms[region] = build_platform(name, region, in_region, settings, providers[region])
        pulumi.export(f"platform/{region}", {
            "bucketName": platforms[region].bucket_name, "alertTopicArn": platforms[region].alert_topic_arn,
            "dashboardUrl": platforms[region].dashboard_url})
    for document in documents:
        platform = platforms[document.spec.region]
        monitor = _build_monitor(document, platform, providers[document.spec.region])
        pulumi.export(f"monitor/{document.metadata.namespace}/{document.metadata.name}", {
            "endpointName": monitor.endpoint_name, "scheduleArns": monitor.schedule_arns,
            "dashboardUrl": monitor.dashboard_url})
