"""`modelmonitor demo --monitor bias`: bias drift through the product's own code paths, on one machine.

Scenario (bias_scenario.py) → manifest with `spec.modelBias` (validated, rendered to the plan `pulumi up` would
create) → local AWS (moto) with the plan's analysis configuration object → the bias baseline of the training set by
`modelmonitor baseline --bias-config`'s function, with the team's accepted band (bias_band.py) → each hour the
captures and, within the label delay, the ground truth in SageMaker's layout → the bias analyzer Lambda's handler,
fired as the plan's schedule fires it (after the label delay) → its metrics into CloudWatch, its run event through
the plan's rule to the alert Lambda → the plan's bias alarms evaluated → on ALARM the alert Lambda → alerts read
back from an SQS subscription of the alert topic. Optionally the operator on a local Kubernetes API emulator.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich.console import Console

from modelmonitor.demo import bias_band, logfile, operator_view
from modelmonitor.demo.alarm_eval import AlarmState
from modelmonitor.demo.aws import LocalAws, local_aws
from modelmonitor.demo.bias_scenario import FACET, FEATURES, LABEL, SCORE, SENSITIVE, Applications, BiasScenario
from modelmonitor.demo.bias_view import RATIOS, BiasHour, print_bias_hours, summary
from modelmonitor.demo.engines import EmulatedSageMaker, deliver_run_events, lambda_run, planned_run, route_run_events
from modelmonitor.demo.run import (
    REGION,
    Alert,
    LoopOptions,
    alert_lambda_environment,
    evaluate_alarm,
    plan_alarms,
    plan_for,
    plan_table,
    planned_platform,
    put_alarms,
    read_alerts,
    series,
    setup_aws,
)
from modelmonitor.demo.traffic import capture_files, demo_start, ground_truth_lines, inference_id
from modelmonitor.loader import parse_document

NAMESPACE, NAME, ENDPOINT, VARIANT = "default", "loan-approval-demo", "loan-approval-demo", "AllTraffic"
BUCKET = "acme-loans-data"
CAPTURE_URI = f"s3://{BUCKET}/captures"
GROUND_TRUTH_PREFIX = "ground-truth"
BIAS_BASELINE_KEY = f"baselines/{NAME}/bias/constraints.json"
LABEL_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class BiasDemoOptions(LoopOptions):
    shift_at: int = 12


@dataclass
class BiasDemoResult:
    hours: list[BiasHour] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    plan_counts: dict[str, int] = field(default_factory=dict)
    training_values: dict[str, float] = field(default_factory=dict)
    """The watched metrics of the training set (the product's baseline analysis)."""
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    """The accepted band of each watched metric."""
    operator_view: str | None = None
    conditions: list[dict[str, Any]] = field(default_factory=list)


def bias_manifest() -> dict[str, Any]:
    return {
        "apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {"app": "lending"}},
        "spec": {
            "region": REGION,
            "endpoint": {"existing": {"name": ENDPOINT, "variantName": VARIANT}},
            "dataCapture": {"destinationS3Uri": CAPTURE_URI, "samplingPercentage": 100},
            "payload": {"input": {"names": list(FEATURES)}},
            # The spec always names a data-quality baseline; this demo runs bias drift only.
            "baseline": {"precomputed": {"statisticsS3Uri": f"s3://{BUCKET}/baselines/{NAME}/statistics.json",
                                         "constraintsS3Uri": f"s3://{BUCKET}/baselines/{NAME}/constraints.json"}},
            "dataQuality": {"enabled": False},
            "modelBias": {
                "enabled": True, "schedule": "hourly", "groundTruthS3Uri": f"s3://{BUCKET}/{GROUND_TRUTH_PREFIX}/",
                "labelDelay": f"{int(LABEL_DELAY.total_seconds() // 3600)}h",
                "label": {"name": LABEL, "favourableValues": ["1"]},
                "facets": [{"name": FACET, "values": [SENSITIVE]}],
                "probabilityAttribute": "0", "probabilityThreshold": 0.5,
                "baseline": {"analysisS3Uri": f"s3://{BUCKET}/{BIAS_BASELINE_KEY}"}},
            "alerting": {"emails": ["fairness-oncall@example.com"], "evaluationPeriods": 3, "datapointsToAlarm": 2},
            "engine": "lambda",
        },
    }


def _upload_plan_objects(aws: LocalAws, plan: list[dict[str, Any]]) -> list[str]:
    """The S3 objects the plan declares (the bias analysis configuration), as `pulumi up` writes them."""
    s3, written = aws.client("s3"), []
    for resource in plan:
        if resource["type"] == "aws:s3/bucketObjectv2:BucketObjectv2" and "content" in resource["inputs"]:
            inputs = resource["inputs"]
            s3.put_object(Bucket=inputs["bucket"], Key=inputs["key"], Body=inputs["content"].encode())
            written.append(f"s3://{inputs['bucket']}/{inputs['key']}")
    return written


def _plan_analysis_config(plan: list[dict[str, Any]]) -> dict[str, Any]:
    config = next(r for r in plan if r["type"] == "aws:s3/bucketObjectv2:BucketObjectv2"
                  and str(r["inputs"]["key"]).endswith("model-bias/analysis_config.json"))
    parsed: dict[str, Any] = json.loads(config["inputs"]["content"])
    return parsed


def _group_rates(apps: Applications, flags: np.ndarray, rows_per_window: float) -> bias_band.GroupRates:
    sensitive = apps.sensitive
    share = float(sensitive.mean())
    return bias_band.GroupRates(a=float(flags[~sensitive].mean()), d=float(flags[sensitive].mean()),
                                n_a=rows_per_window * (1 - share), n_d=rows_per_window * share)


def _baseline(aws: LocalAws, scenario: BiasScenario, plan: list[dict[str, Any]], out: Path,
              result: BiasDemoResult) -> None:
    """The training set's bias analysis by `modelmonitor baseline --bias-config` (its function), then the band."""
    from modelmonitor.commands.bias_baseline import write_bias_baseline

    training = scenario.training()
    (out / "training.csv").write_text(training.training_csv())
    config = {**_plan_analysis_config(plan), "predicted_label": SCORE,
              "methods": {stage: {"methods": list(names)} for stage, names in bias_band.WATCHED.items()}}
    (out / "bias-config.json").write_text(json.dumps(config, indent=2))
    rows = scenario.requests_per_hour * scenario.label_coverage
    errors_by_metric = bias_band.standard_errors(
        _group_rates(training, training.labels == 1, rows), _group_rates(training, training.scores >= 0.5, rows))
    # `modelmonitor baseline --bias-config … --bias-tolerance …`: the analysis and the band (constraints.json)
    tolerance = ",".join(f"{name}={bias_band.Z * error!r}" for name, error in errors_by_metric.items())
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as errors:
        code = write_bias_baseline(str(out / "training.csv"), str(out / "bias-config.json"), str(out / "baseline"),
                                   tolerance=tolerance)
    if code != 0:
        raise RuntimeError(f"the bias baseline failed: {errors.getvalue().strip()}")
    analysis = json.loads((out / "baseline" / "analysis.json").read_text())
    constraint = json.loads((out / "baseline" / "constraints.json").read_text())
    aws.client("s3").put_object(Bucket=BUCKET, Key=BIAS_BASELINE_KEY, Body=json.dumps(constraint).encode())
    result.training_values = bias_band.metric_values(analysis, FACET)
    result.limits = {name: bias_band.band(value, name)
                     for name, value in bias_band.metric_values(constraint, FACET).items()}


def run_bias_demo(options: BiasDemoOptions, console: Console) -> BiasDemoResult:
    with logfile.fresh_output(options.output_dir):
        return _run(options, console)


def _run(options: BiasDemoOptions, console: Console) -> BiasDemoResult:
    from modelmonitor.alerts import handler

    result, out = BiasDemoResult(), options.output_dir
    scenario = BiasScenario(seed=options.seed, training_rows=options.training_rows,
                            requests_per_hour=options.requests_per_hour, shift_hour=options.shift_at)
    console.print(
        f"[bold]1. Scenario[/]: loan-approval model on {len(FEATURES)} request columns, {options.training_rows} "
        f"training rows, {options.requests_per_hour} requests/hour, {scenario.female_share:.0%} {FACET}="
        f"{SENSITIVE}; ground truth for {scenario.label_coverage:.0%} of requests within "
        f"{LABEL_DELAY.total_seconds() / 3600:g} h. From hour {options.shift_at} a new model version approves "
        f"{SENSITIVE} applicants less often; their repayments (the ground truth) do not change")
    manifest = bias_manifest()
    (out / f"{NAME}.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    document = parse_document(manifest, source=str(out / f"{NAME}.yaml"))
    plan = plan_for(document)
    (out / "plan.json").write_text(json.dumps(plan, indent=2, default=str))
    result.plan_counts = dict(Counter(r["type"] for r in plan))
    console.print(f"[bold]2. Manifest[/] {out / f'{NAME}.yaml'} is valid; planned {len(plan)} resources")
    console.print(plan_table(result.plan_counts))
    alarms, job = plan_alarms(plan), planned_run(plan, "lambda", "ModelBias")
    start = demo_start(options.hours + int(LABEL_DELAY.total_seconds() // 3600))
    with local_aws(REGION, server=options.emulator) as aws:
        console.print(f"[bold]3. Local AWS[/]: {aws.description}")
        platform = planned_platform(plan)
        resources = setup_aws(aws, platform, data_bucket=BUCKET)
        _upload_plan_objects(aws, plan)
        _baseline(aws, scenario, plan, out, result)
        console.print("   bias baseline of the training set (modelmonitor baseline --bias-config): "
                      + ", ".join(f"{k} {v:.3f}" if k in RATIOS else f"{k} {v:+.3f}"
                                  for k, v in result.training_values.items()))
        console.print(f"   accepted band (training value ± {bias_band.Z:g} standard errors of an hour's labelled "
                      "requests): " + ", ".join(f"{k} {lo:.3f}..{hi:.3f}" for k, (lo, hi) in result.limits.items())
                      + f" → s3://{BUCKET}/{BIAS_BASELINE_KEY}")
        put_alarms(aws, alarms, resources["alarms_topic"])
        states: dict[str, AlarmState] = {a.name: "INSUFFICIENT_DATA" for a in alarms}
        console.print(f"[bold]4. Hourly bias runs[/] of {options.hours} hours from {start:%Y-%m-%d %H:00} UTC, "
                      f"engine lambda: each window judged {LABEL_DELAY.total_seconds() / 3600:g} h after it ends "
                      "(the label delay), then the alarms, then the alert Lambda")
        run_events = route_run_events(aws, job)
        operator = operator_view.OperatorSettings(platform.bucket, platform.alert_lambda_environment["ALERT_TOPIC_ARN"])
        with operator_view.kubernetes(manifest, operator, out, options.operator and options.emulator) as kube, \
                alert_lambda_environment(platform.alert_lambda_environment):
            runtime = handler.build_runtime(dict(os.environ), sagemaker=EmulatedSageMaker())

            def alert_handler(event: dict[str, Any], _context: Any) -> Any:
                return handler.handle(event, runtime)

            for hour in range(options.hours):
                logfile.hour_marker(hour, f"window {start + timedelta(hours=hour):%Y-%m-%d %H:%M} UTC, one hour")
                row = _run_hour(aws, scenario, job, window_start=start + timedelta(hours=hour), hour=hour, out=out)
                sent = deliver_run_events(aws, run_events, alert_handler)
                cloudwatch = aws.client("cloudwatch")
                judged_at = start + timedelta(hours=hour + 1) + LABEL_DELAY
                sent += sum(evaluate_alarm(alarm, series(cloudwatch, alarm, start, hour + 1, LABEL_DELAY),
                                           cloudwatch=cloudwatch, states=states,
                                           alarms_topic=resources["alarms_topic"], alert_handler=alert_handler,
                                           changed_at=judged_at + timedelta(minutes=5)) for alarm in alarms)
                worst = max(states.values(), key=lambda s: {"OK": 0, "INSUFFICIENT_DATA": 1, "ALARM": 2}[s])
                result.hours.append(row.with_outcome(worst, sent))
                result.alerts.extend(read_alerts(aws, resources["queue_url"]))
            view = kube.status_view()
            if view is not None:
                result.operator_view, status = view
                result.conditions = list(status.get("conditions", []))
    print_bias_hours(console, result.hours, result.limits, options.shift_at)
    console.print(summary(result.hours, result.limits, options.shift_at), markup=False, highlight=False)
    if kube.headline:
        console.print(f"[bold]5. Kubernetes[/]: {kube.headline}")
    return result


def _run_hour(aws: LocalAws, scenario: BiasScenario, job: Any, *, window_start: datetime, hour: int,
              out: Path) -> BiasHour:
    """The hour's captures and ground truth, then the bias run that judges it (fired after the label delay)."""
    s3 = aws.client("s3")
    apps = scenario.hour(hour)
    for capture in capture_files(apps.request_rows(), apps.scores, endpoint=ENDPOINT, variant=VARIANT,
                                 hour_start=window_start, rng=np.random.default_rng([scenario.seed, 3, hour])):
        s3.put_object(Bucket=BUCKET, Key=f"captures/{capture.key}", Body=capture.body)
    labelled = np.flatnonzero(scenario.labelled(hour, len(apps)))
    arrival = window_start + timedelta(hours=1)  # labels of the hour arrive within the next hour
    s3.put_object(Bucket=BUCKET, Key=f"{GROUND_TRUTH_PREFIX}/{arrival:%Y/%m/%d/%H}/labels-{window_start:%H}.jsonl",
                  Body=ground_truth_lines([inference_id(window_start, int(i)) for i in labelled],
                                          apps.labels[labelled].tolist()))
    run = lambda_run(job, s3=s3, window_start=window_start, workdir=out / "runs" / f"hour-{hour:02d}",
                     label_delay=LABEL_DELAY)
    analysis_file = run.local_output / "analysis.json"
    analysis = json.loads(analysis_file.read_text()) if analysis_file.is_file() else {}
    violations_file = run.local_output / "constraint_violations.json"
    violations = json.loads(violations_file.read_text()).get("violations", []) if violations_file.is_file() else []
    approved = apps.scores >= 0.5
    return BiasHour(
        index=hour, window_start=window_start, judged_at=window_start + timedelta(hours=1) + LABEL_DELAY,
        requests=len(apps), labelled=len(labelled), approval_sensitive=float(approved[apps.sensitive].mean()),
        approval_others=float(approved[~apps.sensitive].mean()), status=run.status,
        values=bias_band.metric_values(analysis, FACET),
        violations=tuple(sorted({f"{v['metric_name']} {v['facet']}={v['facet_value']}" for v in violations})))
