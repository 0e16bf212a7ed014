"""`ModelMonitor` (`modelmonitor:index:ModelMonitor`): the complete monitoring of one endpoint.

Children, in order: the endpoint (when created here), the monitoring role scoped to this model's prefixes, the
baseline, the engine's resources (one swappable builder per engine), alarms on the real metrics plus a heartbeat,
and the model's dashboard. No resource is created inside `.apply()`: previews and mocks see every child.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi
from pulumi_aws import cloudwatch, iam, s3

from modelmonitor.components import (
    alarms,
    alarms_clarify,
    bias_baseline,
    dashboards,
    engine_clarify,
    policies,
    spec_checks,
)
from modelmonitor.components.baseline_job import PROFILE_KEY, BaselineJob, dataset_format, material_fingerprint
from modelmonitor.components.context import BuildContext, Locations, PlatformRefs, UnsupportedEngineError
from modelmonitor.components.endpoint import build_endpoint
from modelmonitor.components.engine_environment import (
    BATCH_ENDPOINT_DIMENSION,
    endpoint_dimension,
    generated_preprocessor,
)
from modelmonitor.components.engine_lambda import LambdaEngine
from modelmonitor.components.engine_model_monitor import EngineResult, ModelMonitorEngine
from modelmonitor.components.engine_policies import AwsScope
from modelmonitor.components.engine_processing_job import ProcessingJobEngine
from modelmonitor.components.images import builtin_analyzer_image
from modelmonitor.components.names import MonitorNames, inline_policy_logical
from modelmonitor.components.processing_code import BUNDLE_FILE, bundle_digest, code_prefix
from modelmonitor.components.provided_images import provided_processing_image
from modelmonitor.components.spec_checks import MonitorConfigError
from modelmonitor.packaging import locate
from modelmonitor.spec import Alerting, ModelMonitorDocument


def clarify_model_grants(document: ModelMonitorDocument, scope: AwsScope) -> list[policies.Statement]:
    """Under engine modelMonitor, AWS's Clarify job runs as the monitoring role and calls the endpoint its
    configuration names (`predictor.endpoint_name`, `clarify_config`): InvokeEndpoint on exactly that one."""
    spec = document.spec
    if spec.engine != "modelMonitor" or not spec.feature_attribution.enabled:
        return []
    endpoint = engine_clarify.attribution_endpoint(spec, document.monitored_endpoint)
    return [engine_clarify.invoke_endpoint_statement(scope, endpoint)]


class EngineBuilder(Protocol):
    def build(self, ctx: BuildContext) -> EngineResult: ...


ENGINES: dict[str, type[EngineBuilder]] = {
    "modelMonitor": ModelMonitorEngine, "lambda": LambdaEngine, "processingJob": ProcessingJobEngine}


def runs_our_analyzer(document: ModelMonitorDocument) -> bool:
    """Our analyzer image runs the baseline and the schedules: our engines always, modelMonitor when custom."""
    spec = document.spec
    return spec.engine != "modelMonitor" or spec.data_quality.analyzer == "custom"


def analyzer_image(document: ModelMonitorDocument, platform: PlatformRefs) -> pulumi.Input[str]:
    """The image baselines and runs use: AWS's built-in analyzer; under our engines a prebuilt image of ours
    (`engineSettings.analyzerImage`) or AWS's provided image running our code bundle; the Platform's ECR image
    only for modelMonitor with `analyzer: custom` (SageMaker Model Monitor runs a container, not a script)."""
    spec = document.spec
    if not runs_our_analyzer(document):
        return builtin_analyzer_image(spec.region)
    if spec.engine != "modelMonitor":
        return spec.engine_settings.analyzer_image or provided_processing_image(spec.region)
    return platform.analyzer_image_uri


def uses_code_bundle(document: ModelMonitorDocument) -> bool:
    """Our analyzer runs as a Processing job on AWS's provided image (processingJob runs, dataset baselines of data
    quality or bias) with its code from S3: our engines without `engineSettings.analyzerImage`."""
    spec = document.spec
    return (spec.engine != "modelMonitor" and spec.engine_settings.analyzer_image is None
            and (spec.engine == "processingJob" or spec.baseline.dataset is not None
                 or bias_baseline.bias_dataset(spec) is not None))


@dataclass(frozen=True)
class ModelMonitorArgs:
    document: ModelMonitorDocument
    platform: PlatformRefs


def retain_on_delete(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    return pulumi.ResourceTransformationResult(
        args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True)))


def monitoring_s3_access(document: ModelMonitorDocument, loc: Locations) -> policies.S3Access:
    """This model's prefixes (internal-contracts §1), its baseline inputs, its captures and its ground truth."""
    spec = document.spec
    endpoint = endpoint_dimension(document)
    destination = spec.data_capture.destination_s3_uri
    if spec.batch_transform is not None:
        captures = spec.batch_transform.destination_s3_uri.rstrip("/") + "/"
    elif destination is None:
        # Created endpoints capture into the platform bucket; an existing endpoint without a declared destination
        # is assumed to do the same (the spec cannot say otherwise for engine modelMonitor; see the report).
        captures = f"{loc.captures}/{endpoint}/"
    elif spec.endpoint_source.create is not None:
        captures = f"{destination.rstrip('/')}/{endpoint}/"
    else:
        # an existing endpoint's declared prefix may already include the endpoint name: grant the whole prefix
        captures = destination.rstrip("/") + "/"
    read = [captures, loc.baseline("data-quality") + "/", loc.baseline("model-quality") + "/"]
    write = [loc.results("data-quality") + "/", loc.results("model-quality") + "/"]
    if spec.baseline.precomputed is not None:
        read += [spec.baseline.precomputed.statistics_s3_uri, spec.baseline.precomputed.constraints_s3_uri]
    if spec.baseline.dataset is not None:
        uri = spec.baseline.dataset.s3_uri
        read.append(uri)
        write.append(loc.baseline("data-quality") + "/")
    if spec.model_quality.enabled and spec.model_quality.ground_truth_s3_uri is not None:
        read.append(spec.model_quality.ground_truth_s3_uri.rstrip("/") + "/")
    for enabled, kind, monitoring_type in ((spec.model_bias.enabled, "model-bias", "ModelBias"),
                                           (spec.feature_attribution.enabled, "feature-attribution",
                                            "ModelExplainability")):
        if enabled:  # engine modelMonitor: Clarify's jobs run with this role
            read.append(loc.baseline(kind) + "/")
            write.append(loc.results(kind) + "/")
            baseline_analysis = engine_clarify.baseline_analysis(spec, monitoring_type)
            if baseline_analysis is not None:
                read.append(baseline_analysis)
    bias_dataset = bias_baseline.bias_dataset(spec)
    if bias_dataset is not None:  # the bias baseline job runs with this role
        read.append(bias_dataset.s3_uri)
        write.append(loc.baseline("model-bias") + "/")
    if spec.model_bias.enabled and spec.model_bias.ground_truth_s3_uri is not None:
        read.append(spec.model_bias.ground_truth_s3_uri.rstrip("/") + "/")
    if spec.payload.preprocessor_s3_uri is not None:
        read.append(spec.payload.preprocessor_s3_uri)
    if generated_preprocessor(spec) is not None:
        read.append(loc.record_preprocessor)
    if uses_code_bundle(document):
        read.append(f"{loc.code_root}/analyzer/")
    return policies.S3Access(read=sorted(set(read)), write=sorted(set(write)))


class ModelMonitor(pulumi.ComponentResource):
    endpoint_name: pulumi.Output[str]
    schedule_arns: pulumi.Output[Mapping[str, str]]
    dashboard_url: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ModelMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        document, platform = args.document, args.platform
        spec = document.spec
        if spec.deletion_policy == "Retain":
            # deletionPolicy Retain: deleting the monitor (or its document) leaves every AWS resource in place and
            # only stops tracking it. A transformation on the component reaches all of its children.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[retain_on_delete]))
        super().__init__("modelmonitor:index:ModelMonitor", name, None, opts)
        engine = ENGINES.get(spec.engine)
        if engine is None:
            raise UnsupportedEngineError(
                f"{document.metadata.namespace}/{document.metadata.name}: spec.engine {spec.engine!r} is not "
                f"provisioned by this version yet (supported: {', '.join(sorted(ENGINES))})")
        names = MonitorNames(document.metadata.namespace, document.metadata.name)
        tags = {"modelmonitor:monitor": f"{names.namespace}/{names.name}", **spec.tags}
        topic = spec.alerting.sns_topic_arn
        if topic is not None and topic.split(":")[3] != spec.region:
            # CloudWatch alarm actions may only name a topic in the alarm's own region.
            raise MonitorConfigError(
                f"{names.namespace}/{names.name}: spec.alerting.snsTopicArn is in region {topic.split(':')[3]}, "
                f"but alarms in {spec.region} can only notify topics in {spec.region}")
        spec_checks.check_engine(spec)
        if (spec.endpoint is not None and spec.endpoint.existing is not None
                and spec.data_capture.destination_s3_uri is None):
            pulumi.log.warn(
                f"{names.namespace}/{names.name}: endpoint {document.endpoint_name} is not created here and "
                "spec.dataCapture.destinationS3Uri is not set; the monitoring role may read captures only under "
                "the platform bucket's captures/ prefix. Set destinationS3Uri if the endpoint captures elsewhere.",
                resource=self)
        child = pulumi.ResourceOptions(parent=self)
        locations = pulumi.Output.from_input(platform.bucket_name).apply(
            lambda bucket: Locations(bucket, names.namespace, names.name))
        capture_kms = spec.data_capture.kms_key_id or platform.kms_key_arn

        declared_destination = spec.data_capture.destination_s3_uri
        self.endpoint_name = pulumi.Output.from_input(BATCH_ENDPOINT_DIMENSION) if spec.batch_transform \
            is not None else build_endpoint(
            self, document, names,
            capture_destination=declared_destination.rstrip("/") if declared_destination else locations.apply(
                lambda loc: loc.captures),
            capture_kms_key=capture_kms, account_id=platform.account_id, partition=platform.partition, tags=tags)
        self.role_arn = self._role(document, platform, names, locations, tags)
        code = self._analyzer_code(platform, names, locations) if uses_code_bundle(document) else None
        statistics, constraints = self._baseline(document, platform, names, locations=locations,
                                                 role_arn=self.role_arn, tags=tags, code=code)
        ctx = BuildContext(document=document, platform=platform, names=names, endpoint_name=self.endpoint_name,
                           role_arn=self.role_arn, statistics_s3_uri=statistics, constraints_s3_uri=constraints,
                           locations=locations, parent=self, tags=tags,
                           analyzer_code_s3_uri=code[1] if code is not None else None)
        result = engine().build(bias_baseline.with_bias_baseline(ctx))

        dashboard_name = names.dashboard
        self.dashboard_url = pulumi.Output.from_input(dashboards.dashboard_url(spec.region, dashboard_name))
        definitions = self._alarm_definitions(document, result)
        bucket = pulumi.Output.from_input(platform.bucket_name)
        alarm_arns = [self._alarm(names, platform, spec.alerting, definition, bucket=bucket, tags=tags, child=child)
                      for definition in definitions]
        cloudwatch.Dashboard(
            f"{names.logical}-dashboard", dashboard_name=dashboard_name,
            dashboard_body=pulumi.Output.all(*alarm_arns).apply(lambda arns: dashboards.to_json(
                dashboards.monitor_dashboard(
                    region=spec.region, endpoint=document.monitored_endpoint or BATCH_ENDPOINT_DIMENSION,
                    data_schedule=result.data_quality_schedule, model_schedule=result.model_quality_schedule,
                    features=spec.data_quality.features, drift_threshold=spec.data_quality.drift_threshold,
                    quality_metrics=[a.metric for a in spec.model_quality.alarms], alarm_arns=arns,
                    data_namespace=result.data_metrics_namespace, model_namespace=result.model_metrics_namespace,
                    batch=spec.batch_transform is not None, clarify=self._clarify_panels(document, result)))),
            opts=child)
        self.schedule_arns = pulumi.Output.all(**result.schedule_arns) if result.schedule_arns else \
            pulumi.Output.from_input({})
        self.register_outputs({"endpointName": self.endpoint_name, "scheduleArns": self.schedule_arns,
                               "dashboardUrl": self.dashboard_url, "roleArn": self.role_arn})

    def _role(self, document: ModelMonitorDocument, platform: PlatformRefs, names: MonitorNames,
              locations: pulumi.Output[Locations], tags: dict[str, str]) -> pulumi.Output[str]:
        spec = document.spec
        child = pulumi.ResourceOptions(parent=self)
        role = iam.Role(f"{names.logical}-monitoring-role", name=names.monitoring_role, assume_role_policy=json.dumps(
            policies.assume_role_policy("sagemaker.amazonaws.com")), tags=tags, opts=child)
        # Our engines use this role for the baseline job only (with our image).
        custom = runs_our_analyzer(document) and (spec.data_quality.enabled or spec.engine != "modelMonitor")
        extra_keys = [spec.data_capture.kms_key_id] if spec.data_capture.kms_key_id else []

        def render(values: list[object]) -> str:
            account, loc, key_arn, repo_arn = (str(values[0]), values[1], str(values[2]), str(values[3]))
            assert isinstance(loc, Locations)
            prebuilt = spec.engine_settings.analyzer_image if spec.engine != "modelMonitor" else None
            # a prebuilt analyzer image (our engines) is pulled from its own repository by the baseline job
            # (AWS's provided image, under our engines without one, needs no permission of the role)
            image_repository = policies.ecr_repository_arn_of_image(prebuilt, platform.partition) if prebuilt \
                else repo_arn if spec.engine == "modelMonitor" else None
            scope = policies.MonitoringRoleScope(
                partition=platform.partition, region=spec.region, account=account,
                s3=monitoring_s3_access(document, loc), kms_key_arns=[],
                metric_namespaces=alarms_clarify.model_monitor_namespaces(
                    bias=spec.model_bias.enabled, attribution=spec.feature_attribution.enabled,
                    batch=spec.batch_transform is not None),
                ecr_repository_arn=image_repository if custom else None,
                extra=[*policies.kms_statements([key_arn, *extra_keys], platform.partition, spec.region, account),
                       *clarify_model_grants(document, AwsScope(account, spec.region, platform.partition))])
            return json.dumps(policies.monitoring_role_policy(scope))

        policy = iam.RolePolicy(
            inline_policy_logical(f"{names.logical}-monitoring-role"), role=role.id, opts=child,
            policy=pulumi.Output.all(platform.account_id, locations, platform.kms_key_arn,
                                     platform.analyzer_repository_arn).apply(render))
        # Consumers must not use the role before its permissions exist (IAM is eventually consistent anyway,
        # but at least the order is right).
        return pulumi.Output.all(role.arn, policy.id).apply(lambda values: str(values[0]))

    def _analyzer_code(self, platform: PlatformRefs, names: MonitorNames,
                       locations: pulumi.Output[Locations]) -> tuple[str, pulumi.Output[str]]:
        """Upload the analyzer's code bundle (content-addressed key); returns (digest, prefix once uploaded)."""
        bundle = locate.processing_bundle_path()
        digest = bundle_digest(bundle)
        prefix = locations.apply(lambda loc: code_prefix(loc.code_root, digest))
        bucket = pulumi.Output.from_input(platform.bucket_name)
        uploaded = s3.BucketObjectv2(
            f"{names.logical}-analyzer-code", bucket=bucket,
            key=pulumi.Output.all(bucket, prefix).apply(
                lambda v: str(v[1]).removeprefix(f"s3://{v[0]}/") + BUNDLE_FILE),
            source=pulumi.FileAsset(str(bundle)), opts=pulumi.ResourceOptions(parent=self))
        return digest, pulumi.Output.all(uploaded.id, prefix).apply(lambda v: str(v[1]))

    def _baseline(self, document: ModelMonitorDocument, platform: PlatformRefs, names: MonitorNames, *,
                  locations: pulumi.Output[Locations], role_arn: pulumi.Output[str],
                  tags: dict[str, str], code: tuple[str, pulumi.Output[str]] | None,
                  ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        baseline = document.spec.baseline
        if baseline.precomputed is not None:
            return (pulumi.Output.from_input(baseline.precomputed.statistics_s3_uri),
                    pulumi.Output.from_input(baseline.precomputed.constraints_s3_uri))
        assert baseline.dataset is not None
        dq = document.spec.data_quality
        # Under our engines the baseline is always our analyzer's (the SDK's baseline environment, our image).
        image = analyzer_image(document, platform)
        analyzer = "custom" if runs_our_analyzer(document) else "builtin"
        props_for_name = {"dataset_s3_uri": baseline.dataset.s3_uri, "analyzer": analyzer,
                          "dataset_format": dataset_format(baseline.dataset.format, baseline.dataset.header),
                          "instance_type": dq.instance_type, "region": document.spec.region}
        if code is not None:
            # a new analyzer build is a new baseline job (the same name would adopt the old job's result)
            props_for_name["code"] = code[0]
        output = locations.apply(lambda loc: loc.baseline("data-quality"))
        job = BaselineJob(f"{names.logical}-baseline", {
            "job_name": names.baseline_job(material_fingerprint(props_for_name)), "region": document.spec.region,
            "role_arn": role_arn, "image_uri": image, "dataset_s3_uri": baseline.dataset.s3_uri,
            "dataset_format": props_for_name["dataset_format"], "output_s3_uri": output,
            "instance_type": dq.instance_type, "volume_size_gb": dq.volume_size_gb,
            "max_runtime_seconds": dq.max_runtime_seconds, "kms_key_id": platform.kms_key_arn,
            "environment": {}, "code_s3_uri": code[1] if code is not None else None,
            PROFILE_KEY: platform.aws_profile}, opts=pulumi.ResourceOptions(parent=self))
        # Known up front (internal-contracts §1), but tied to the job so schedules wait for the baseline to exist.
        return (pulumi.Output.all(job.id, output).apply(lambda v: f"{v[1]}/statistics.json"),
                pulumi.Output.all(job.id, output).apply(lambda v: f"{v[1]}/constraints.json"))

    @staticmethod
    def _clarify_panels(document: ModelMonitorDocument, result: EngineResult) -> list[dashboards.ClarifyPanel]:
        """Under modelMonitor the per-metric series are AWS's Clarify container's; under our engines ours."""
        panels = []
        for monitoring_type, (schedule, namespace) in sorted(result.clarify_schedules.items()):
            clarify_type: alarms_clarify.ClarifyType = \
                "ModelBias" if monitoring_type == "ModelBias" else "ModelExplainability"
            metrics = alarms_clarify.AWS_NAMESPACES[clarify_type] if document.spec.engine == "modelMonitor" \
                else namespace
            panels.append(dashboards.ClarifyPanel(clarify_type, schedule, namespace, metrics))
        return panels

    @staticmethod
    def _alarm_definitions(document: ModelMonitorDocument, result: EngineResult) -> list[alarms.AlarmDefinition]:
        spec = document.spec
        names = MonitorNames(document.metadata.namespace, document.metadata.name)
        endpoint = endpoint_dimension(document)
        dashboard = dashboards.dashboard_url(spec.region, names.dashboard)
        definitions: list[alarms.AlarmDefinition] = []
        results_key = f"results/{names.namespace}/{names.name}"
        if result.data_quality_schedule is not None:
            context = alarms.AlarmContext(monitor=f"{names.namespace}/{names.name}", endpoint=endpoint,
                                          schedule=result.data_quality_schedule,
                                          results_key=f"{results_key}/data-quality", dashboard=dashboard)
            definitions.append(alarms.run_drift_alarm(spec.data_quality.drift_threshold, spec.data_quality.schedule,
                                                      spec.alerting, context))
            definitions += alarms.data_drift_alarms(spec.data_quality.features, spec.data_quality.drift_threshold,
                                                    spec.data_quality.schedule, spec.alerting, context,
                                                    namespace=result.data_metrics_namespace)
            # The built-in analyzer with no listed features publishes no per-run metric; the alert Lambda publishes
            # our run metrics for its executions (alerts/run_metrics.py), so the heartbeat watches those.
            heartbeat_namespace, heartbeat_metric = (
                (result.data_metrics_namespace, result.data_quality_heartbeat_metric)
                if result.data_quality_heartbeat_metric is not None
                else (alarms.OWN_DATA_METRICS_NAMESPACE, alarms.RUN_COMPLETED_METRIC))
            definitions.append(alarms.heartbeat_alarm(
                "no-data-quality-metrics", namespace=heartbeat_namespace, metric_name=heartbeat_metric,
                schedule=spec.data_quality.schedule, alerting=spec.alerting, context=context, what="data-quality"))
            if result.records_metric:
                definitions.append(alarms.no_captures_alarm(spec.data_quality.schedule, spec.alerting, context,
                                                            namespace=result.data_metrics_namespace))
        if result.model_quality_schedule is not None:
            mq = spec.model_quality
            assert mq.problem_type is not None
            context = alarms.AlarmContext(monitor=f"{names.namespace}/{names.name}", endpoint=endpoint,
                                          schedule=result.model_quality_schedule,
                                          results_key=f"{results_key}/model-quality", dashboard=dashboard)
            definitions += alarms.model_quality_alarms(mq.alarms, mq.schedule, spec.alerting, context,
                                                       namespace=result.model_metrics_namespace)
            definitions.append(alarms.heartbeat_alarm(
                "no-model-quality-metrics", namespace=result.model_metrics_namespace,
                metric_name=result.model_quality_heartbeat_metric or alarms.MODEL_QUALITY_HEARTBEAT[mq.problem_type],
                schedule=mq.schedule, alerting=spec.alerting, context=context, what="model-quality"))
            if result.ground_truth_coverage_metric:
                definitions.append(alarms.ground_truth_coverage_alarm(
                    mq.min_ground_truth_coverage, mq.schedule, spec.alerting, context))
        for monitoring_type, (schedule, namespace) in result.clarify_schedules.items():
            clarify_type: alarms_clarify.ClarifyType = \
                "ModelBias" if monitoring_type == "ModelBias" else "ModelExplainability"
            section = spec.model_bias if clarify_type == "ModelBias" else spec.feature_attribution
            results = "model-bias" if clarify_type == "ModelBias" else "feature-attribution"
            context = alarms.AlarmContext(monitor=f"{names.namespace}/{names.name}", endpoint=endpoint,
                                          schedule=schedule, results_key=f"{results_key}/{results}",
                                          dashboard=dashboard)
            definitions += alarms_clarify.clarify_alarms(clarify_type, section.schedule, spec.alerting, context,
                                                         namespace=namespace)
        if result.dead_letter_queue is not None and definitions:
            # One queue per monitor: its alarm carries the first run kind's context.
            definitions.append(alarms.dead_letter_alarm(result.dead_letter_queue, definitions[0].context))
        if spec.batch_transform is not None:
            definitions = [alarms_clarify.for_batch_transform(d) for d in definitions]
        return definitions

    @staticmethod
    def _alarm(names: MonitorNames, platform: PlatformRefs, alerting: Alerting, definition: alarms.AlarmDefinition, *,
               bucket: pulumi.Output[str], tags: dict[str, str], child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        external: pulumi.Input[str] | None = alerting.sns_topic_arn
        actions, ok_actions = alarms.action_targets(definition.kind, alerting, platform.alarm_topic_arn, external)
        alarm = cloudwatch.MetricAlarm(
            f"{names.logical}-{definition.key}", name=names.alarm(definition.key),
            alarm_description=bucket.apply(definition.description), namespace=definition.namespace,
            metric_name=definition.metric_name, dimensions=definition.dimensions, statistic=definition.statistic,
            period=definition.period, threshold=definition.threshold,
            comparison_operator=definition.comparison, evaluation_periods=definition.evaluation_periods,
            datapoints_to_alarm=definition.datapoints_to_alarm, treat_missing_data=definition.treat_missing_data,
            alarm_actions=actions, ok_actions=ok_actions,
            tags=tags, opts=child)
        arn: pulumi.Output[str] = alarm.arn
        return arn
