"""`modelmonitor demo`: the whole monitoring loop on one machine, through the product's own code paths.

Scenario → manifest (validated, rendered to the plan `pulumi up` would create) → local AWS (moto server) →
baseline by the analyzer → hourly captures in SageMaker's layout → each hour the analyzer's container entrypoint
under an emulated Processing job → metrics into CloudWatch → the plan's alarms evaluated on the metrics read back
→ on ALARM the alert Lambda handler with the message SNS would deliver → the alert read back from an SQS
subscription of the alert topic. Optionally the operator, on a local Kubernetes API emulator (see kube.py).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import yaml
from rich.console import Console
from rich.table import Table

from modelmonitor.analyzer.run.job import AnalysisJob
from modelmonitor.analyzer.run.runner import run as run_analysis
from modelmonitor.demo import logfile, operator_view
from modelmonitor.demo.alarm_eval import AlarmDefinition, AlarmState, run_alarm, sns_alarm_event
from modelmonitor.demo.aws import LocalAws, local_aws
from modelmonitor.demo.engines import (
    EmulatedSageMaker,
    PlannedRun,
    deliver_run_events,
    execute_run,
    planned_run,
    route_run_events,
)
from modelmonitor.demo.scenario import FEATURES, Drift, Scenario
from modelmonitor.demo.timeline import HourResult, print_hours
from modelmonitor.demo.traffic import demo_start, hour_capture_files
from modelmonitor.loader import parse_document
from modelmonitor.spec import ModelMonitorDocument

NAMESPACE, NAME, ENDPOINT, VARIANT = "default", "churn-demo", "churn-demo", "AllTraffic"
# The team's own bucket: the existing endpoint captures there and the baseline lives there. Monitoring results go
# to the platform's artifact bucket, wherever the rendered plan says.
BUCKET, REGION, ACCOUNT = "acme-churn-data", "us-east-1", "123456789012"
BASELINE_PREFIX = f"baselines/{NAME}"
CAPTURE_URI = f"s3://{BUCKET}/captures"
_STATE_RANK = {"OK": 0, "INSUFFICIENT_DATA": 1, "ALARM": 2}


@dataclass(frozen=True)
class LoopOptions:
    """What every demo scenario takes: its length, traffic, randomness, where files go and which parts run."""

    hours: int = 24
    seed: int = 7
    requests_per_hour: int = 400
    training_rows: int = 5000
    output_dir: Path = Path("demo-output")
    emulator: bool = True
    operator: bool = True


@dataclass(frozen=True)
class DemoOptions(LoopOptions):
    drift_at: int = 12
    engine: str = "lambda"
    """lambda (the default engine) or modelMonitor."""
    drift_until: int | None = None
    """First hour without drift again: the incident closes (one RESOLVED alert). None: the drift lasts."""


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str


@dataclass
class DemoResult:
    hours: list[HourResult] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    plan_counts: dict[str, int] = field(default_factory=dict)
    report: Path | None = None
    report_hour: int | None = None
    """Which simulated hour report.html is of."""
    operator_view: str | None = None


def demo_manifest(engine: str = "lambda") -> dict[str, Any]:
    return {
        "apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {"app": "churn"}},
        "spec": {
            "region": REGION,
            "endpoint": {"existing": {"name": ENDPOINT, "variantName": VARIANT}},
            "dataCapture": {"destinationS3Uri": CAPTURE_URI, "samplingPercentage": 100},
            "baseline": {"precomputed": {"statisticsS3Uri": f"s3://{BUCKET}/{BASELINE_PREFIX}/statistics.json",
                                         "constraintsS3Uri": f"s3://{BUCKET}/{BASELINE_PREFIX}/constraints.json"}},
            "dataQuality": {"schedule": "hourly", "analyzer": "custom", "method": "robust", "driftThreshold": 0.1,
                            "categoricalDriftThreshold": 0.1, "features": list(FEATURES),
                            "customMetrics": ["psi", "ks", "js", "wasserstein", "chi2"]},
            "alerting": {"emails": ["ml-oncall@example.com"], "evaluationPeriods": 3, "datapointsToAlarm": 2},
            "engine": engine,
        },
    }


def plan_for(document: ModelMonitorDocument) -> list[dict[str, Any]]:
    from modelmonitor.components.render import render_plan  # Pulumi is heavy: load it only here

    return [dict(r) for r in render_plan([document], region=REGION)]


def plan_table(counts: dict[str, int]) -> Table:
    table = Table(title="What `pulumi up` would create for this monitor", header_style="bold")
    table.add_column("resource type")
    table.add_column("count", justify="right")
    for kind, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(kind, str(count))
    return table


def plan_alarms(plan: list[dict[str, Any]]) -> list[AlarmDefinition]:
    return [AlarmDefinition.from_plan_inputs(r["name"], r["inputs"]) for r in plan
            if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"]


@dataclass(frozen=True)
class PlannedPlatform:
    bucket: str
    alarm_topic: str
    alert_topic: str
    alert_lambda_environment: dict[str, str]


def planned_platform(plan: list[dict[str, Any]]) -> PlannedPlatform:
    def one(type_: str, suffix: str = "") -> dict[str, Any]:
        return next(r for r in plan if r["type"] == type_ and r["name"].endswith(suffix))

    function = next(r for r in plan if r["type"] == "aws:lambda/function:Function"
                    and r["inputs"].get("handler") == "modelmonitor.alerts.handler.handler")
    return PlannedPlatform(
        bucket=str(one("aws:s3/bucket:Bucket")["outputs"]["bucket"]),
        alarm_topic=str(one("aws:sns/topic:Topic", "-alarms")["outputs"]["name"]),
        alert_topic=str(one("aws:sns/topic:Topic", "-alerts")["outputs"]["name"]),
        alert_lambda_environment={str(k): str(v) for k, v in function["inputs"]["environment"]["variables"].items()})


def setup_aws(aws: LocalAws, platform: PlannedPlatform, data_bucket: str = BUCKET) -> dict[str, str]:
    """Create what `pulumi up` would have created that the loop touches, under the plan's own names: the team's
    data bucket, the platform bucket, the alarm and alert topics, the alert Lambda's state table, and an SQS inbox
    subscribed to the alert topic (standing in for the e-mail subscribers)."""
    s3, sns, sqs = aws.client("s3"), aws.client("sns"), aws.client("sqs")
    s3.create_bucket(Bucket=data_bucket)
    s3.create_bucket(Bucket=platform.bucket)
    alarms_topic = sns.create_topic(Name=platform.alarm_topic)["TopicArn"]
    alerts_topic = sns.create_topic(Name=platform.alert_topic)["TopicArn"]
    if alerts_topic != platform.alert_lambda_environment.get("ALERT_TOPIC_ARN"):
        raise RuntimeError(f"emulated alert topic {alerts_topic} differs from the plan's "
                           f"{platform.alert_lambda_environment.get('ALERT_TOPIC_ARN')}")
    table = platform.alert_lambda_environment.get("STATE_TABLE")
    if table:  # the alert Lambda's incident state, as the Platform declares it (hash key pk, TTL expiresAt)
        aws.client("dynamodb").create_table(
            TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    queue_url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=alerts_topic, Protocol="sqs", Endpoint=queue_arn)
    return {"alarms_topic": alarms_topic, "alerts_topic": alerts_topic, "queue_url": queue_url}


def _baseline(aws: LocalAws, scenario: Scenario, out: Path) -> None:
    training_csv = out / "training.csv"
    training_csv.write_text("\n".join(scenario.training.csv_rows(header=True)) + "\n")
    baseline_dir = out / "baseline"
    run_analysis(AnalysisJob(mode="baseline", dataset_source=str(training_csv), output_path=str(baseline_dir),
                             data_format="csv", csv_header="present"))
    s3 = aws.client("s3")
    for name in ("statistics.json", "constraints.json"):
        s3.upload_file(str(baseline_dir / name), BUCKET, f"{BASELINE_PREFIX}/{name}")


def put_alarms(aws: LocalAws, alarms: list[AlarmDefinition], alarms_topic: str) -> None:
    """The plan's alarms, stored in the emulated CloudWatch with the alarm topic as their action."""
    cloudwatch = aws.client("cloudwatch")
    for alarm in alarms:
        cloudwatch.put_metric_alarm(
            AlarmName=alarm.name, Namespace=alarm.namespace, MetricName=alarm.metric_name,
            Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions.items()], Statistic=alarm.statistic,
            Period=alarm.period, EvaluationPeriods=alarm.evaluation_periods, Threshold=alarm.threshold,
            DatapointsToAlarm=alarm.datapoints_to_alarm, ComparisonOperator=alarm.comparison,
            TreatMissingData=alarm.treat_missing_data, AlarmActions=[alarms_topic])


def series(cloudwatch: Any, alarm: AlarmDefinition, start: datetime, hours: int,
           stamp_offset: timedelta = timedelta(0)) -> list[float | None]:
    """The alarm's metric per hourly run, read back from CloudWatch as the alarm would see it: a run's datapoint
    carries its window's end (docs/engines.md, "Metric timestamps"), the period in which the run fires — plus
    `stamp_offset` for runs stamped at their evaluation time (labelled types: the label delay)."""
    first = start + timedelta(seconds=alarm.period) + stamp_offset
    response = cloudwatch.get_metric_statistics(
        Namespace=alarm.namespace, MetricName=alarm.metric_name,
        Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions.items()],
        StartTime=first, EndTime=first + timedelta(hours=hours), Period=alarm.period, Statistics=[alarm.statistic])
    by_time = {p["Timestamp"].astimezone(UTC): p[alarm.statistic] for p in response["Datapoints"]}
    return [by_time.get(first + timedelta(seconds=alarm.period * i)) for i in range(hours)]


def read_alerts(aws: LocalAws, queue_url: str) -> list[Alert]:
    sqs, alerts = aws.client("sqs"), list[Alert]()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not messages.get("Messages"):
            return alerts
        for message in messages["Messages"]:
            envelope = json.loads(message["Body"])
            alerts.append(Alert(envelope.get("Subject", ""), envelope["Message"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@contextmanager
def alert_lambda_environment(env: dict[str, str]) -> Iterator[None]:
    """The alert Lambda's environment exactly as the plan declares it."""
    from modelmonitor.alerts import handler

    with mock.patch.dict(os.environ, env):
        handler.reset_runtime()  # a fresh "container" that reads this configuration
        try:
            yield
        finally:
            handler.reset_runtime()


def _hour_summary(output: Path) -> tuple[tuple[str, ...], float | None, tuple[str, ...]]:
    report_file = output / "drift_report.json"
    if not report_file.is_file():
        return (), None, ()
    report = json.loads(report_file.read_text())
    distances = [f["methods"]["linf"].get("statistic") for f in report["features"] if "linf" in f["methods"]]
    values = [d for d in distances if isinstance(d, int | float)]
    violations_file = output / "constraint_violations.json"
    violations = json.loads(violations_file.read_text()).get("violations", []) if violations_file.is_file() else []
    kinds = tuple(sorted({f"{v['feature_name']}:{v['constraint_check_type']}" for v in violations}))
    return tuple(report["drifted_features"]), (max(values) if values else None), kinds


def run_demo(options: DemoOptions, console: Console) -> DemoResult:
    with logfile.fresh_output(options.output_dir):
        return _run_demo(options, console)


def _run_demo(options: DemoOptions, console: Console) -> DemoResult:
    from modelmonitor.alerts import handler

    result = DemoResult()
    out = options.output_dir
    scenario = Scenario(seed=options.seed, training_rows=options.training_rows,
                        requests_per_hour=options.requests_per_hour,
                        drift=Drift(start_hour=options.drift_at, end_hour=options.drift_until))
    until = f" until hour {options.drift_until}" if options.drift_until is not None else ""
    console.print(f"[bold]1. Scenario[/]: churn model on {len(FEATURES)} features, {options.training_rows} training "
                  f"rows, {options.requests_per_hour} requests/hour; drift from hour {options.drift_at}{until}: "
                  f"{', '.join(scenario.drift.drifted_features)} (shift, new category, missing values)")
    manifest = demo_manifest(options.engine)
    (out / "churn-demo.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    document = parse_document(manifest, source=str(out / "churn-demo.yaml"))
    plan = plan_for(document)
    (out / "plan.json").write_text(json.dumps(plan, indent=2, default=str))
    result.plan_counts = dict(Counter(r["type"] for r in plan))
    console.print(f"[bold]2. Manifest[/] {out / 'churn-demo.yaml'} is valid; planned {len(plan)} resources")
    console.print(plan_table(result.plan_counts))
    alarms, job = plan_alarms(plan), planned_run(plan, options.engine)
    start = demo_start(options.hours)
    with local_aws(REGION, server=options.emulator) as aws:
        console.print(f"[bold]3. Local AWS[/]: {aws.description}")
        platform = planned_platform(plan)
        resources = setup_aws(aws, platform)
        _baseline(aws, scenario, out)
        console.print(f"   baseline computed by the analyzer → s3://{BUCKET}/{BASELINE_PREFIX}/")
        put_alarms(aws, alarms, resources["alarms_topic"])
        states: dict[str, AlarmState] = {a.name: "INSUFFICIENT_DATA" for a in alarms}
        console.print(f"[bold]4. Hourly monitoring[/] of {options.hours} hours from {start:%Y-%m-%d %H:00} UTC, "
                      f"engine {options.engine}: every run, then the alarms, then the alert Lambda")
        run_events = route_run_events(aws, job)
        sagemaker = EmulatedSageMaker()
        operator = operator_view.OperatorSettings(platform.bucket, platform.alert_lambda_environment["ALERT_TOPIC_ARN"])
        with operator_view.kubernetes(manifest, operator, out, options.operator and options.emulator) as kube, \
                alert_lambda_environment(platform.alert_lambda_environment):
            runtime = handler.build_runtime(dict(os.environ), sagemaker=sagemaker)
            loop = _HourlyLoop(start, scenario, aws, alarms, states, job, resources, out,
                               lambda event, _context: handler.handle(event, runtime), run_events, sagemaker)
            for hour in range(options.hours):
                result.hours.append(loop.run_hour(hour))
                result.alerts.extend(read_alerts(aws, resources["queue_url"]))
            result.operator_view = kube.drift_view(result.hours[-1].drifted_features)
        result.report, result.report_hour = _copy_report(out, result)
    print_hours(console, result.hours, options.drift_at, options.drift_until)
    if kube.headline:
        console.print(f"[bold]5. Kubernetes[/]: {kube.headline}")
    return result


@dataclass
class _HourlyLoop:
    """One scheduled execution per hour, then CloudWatch's alarm evaluation, then SNS → the alert Lambda."""

    start: datetime
    scenario: Scenario
    aws: LocalAws
    alarms: list[AlarmDefinition]
    states: dict[str, AlarmState]
    job: PlannedRun
    resources: dict[str, str]
    out: Path
    alert_handler: Any
    run_events: str | None
    sagemaker: EmulatedSageMaker

    def run_hour(self, hour: int) -> HourResult:
        s3, cloudwatch = self.aws.client("s3"), self.aws.client("cloudwatch")
        window_start = self.start + timedelta(hours=hour)
        logfile.hour_marker(hour, f"window {window_start:%Y-%m-%d %H:%M} UTC, one hour")
        table = self.scenario.hour_traffic(hour)
        files = hour_capture_files(table, self.scenario.model.predict_proba(table), endpoint=ENDPOINT,
                                   variant=VARIANT, hour_start=window_start,
                                   rng=np.random.default_rng([self.scenario.seed, hour, 1]))
        for capture in files:
            s3.put_object(Bucket=BUCKET, Key=f"captures/{capture.key}", Body=capture.body)
        outcome = execute_run(self.job, aws=self.aws, window_start=window_start,
                              workdir=self.out / "runs" / f"hour-{hour:02d}", capture_uri=CAPTURE_URI,
                              endpoint=ENDPOINT, variant=VARIANT,
                              statistics_uri=f"s3://{BUCKET}/{BASELINE_PREFIX}/statistics.json",
                              constraints_uri=f"s3://{BUCKET}/{BASELINE_PREFIX}/constraints.json",
                              sagemaker=self.sagemaker, account=ACCOUNT)
        drifted, max_drift, violations = _hour_summary(outcome.local_output)
        sent = deliver_run_events(self.aws, self.run_events, self.alert_handler)
        sent += sum(self._evaluate_alarm(alarm, hour, cloudwatch, window_start) for alarm in self.alarms)
        worst = max(self.states.values(), key=lambda s: _STATE_RANK[s]) if self.states else "OK"
        return HourResult(hour, window_start, len(table), outcome.status, drifted, max_drift, worst, sent,
                          violations)

    def _evaluate_alarm(self, alarm: AlarmDefinition, hour: int, cloudwatch: Any, window_start: datetime) -> int:
        return evaluate_alarm(alarm, series(cloudwatch, alarm, self.start, hour + 1), cloudwatch=cloudwatch,
                              states=self.states, alarms_topic=self.resources["alarms_topic"],
                              alert_handler=self.alert_handler,
                              changed_at=window_start + timedelta(hours=1, minutes=5))


def evaluate_alarm(alarm: AlarmDefinition, datapoints: list[float | None], *, cloudwatch: Any,
                   states: dict[str, AlarmState], alarms_topic: str, alert_handler: Any, changed_at: datetime) -> int:
    """Evaluate after the latest datapoint; on a transition to ALARM (or back to OK, when the alarm notifies OK)
    deliver the alarm to the alert Lambda as SNS would. Returns the alerts it sent."""
    _, transitions = run_alarm(alarm, datapoints)
    sent = 0
    for transition in (t for t in transitions if t.period_index == len(datapoints) - 1):
        states[alarm.name] = transition.new_state
        cloudwatch.set_alarm_state(AlarmName=alarm.name, StateValue=transition.new_state,
                                   StateReason=transition.reason[:1023])
        if transition.new_state == "ALARM" or (transition.new_state == "OK" and alarm.notifies_ok
                                               and transition.old_state == "ALARM"):
            event = sns_alarm_event(transition, region=REGION, account=ACCOUNT, alarms_topic_arn=alarms_topic,
                                    changed_at=changed_at)
            sent += int(alert_handler(event, None)["alerted"])
    return sent


def _copy_report(out: Path, result: DemoResult) -> tuple[Path | None, int | None]:
    """The report of the first hour with drift (else the last hour) becomes demo-output/report.html."""
    chosen = next((r for r in result.hours if r.drifted_features), result.hours[-1] if result.hours else None)
    if chosen is None:
        return None, None
    source = next((out / "runs" / f"hour-{chosen.index:02d}").rglob("report.html"), None)
    if source is None:
        return None, None
    shutil.copyfile(source, out / "report.html")
    return out / "report.html", chosen.index
