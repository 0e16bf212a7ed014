"""Pure decisions of the alert handler: monitor context, what to do with a record, violations, dedupe keys.

No I/O here: the handler feeds parsed records and fetched bytes in, and gets plain values back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from .events import (
    AlarmNotification,
    Alertable,
    ProcessingJobChange,
    RunChange,
    ScheduleChange,
    TestInvocation,
)

KINDS = frozenset({"data_drift", "model_quality", "bias_drift", "attribution_drift", "no_metrics", "execution_failed",
                   "no_captures", "ground_truth_coverage"})
META_KINDS = frozenset({"no_metrics", "no_captures", "ground_truth_coverage", "execution_failed"})
VIOLATION_KINDS = frozenset({"data_drift", "model_quality", "bias_drift", "attribution_drift"})
RUN_KINDS = {"ModelQuality": "model_quality", "ModelBias": "bias_drift", "ModelExplainability": "attribution_drift"}
"""A run event's monitoringType → the alert kind of its violations (data quality: data_drift)."""
RESULTS_FOLDERS = {"model_quality": "model-quality", "bias_drift": "model-bias",
                   "attribution_drift": "feature-attribution"}
"""Alert kind → the engine's results folder (internal-contracts §1); data-quality otherwise."""
SCHEDULE_KIND = "schedule_state"
TEST_KIND = "test"

DESCRIPTION_MARKER = "modelmonitor:"
VIOLATIONS_FILE = "constraint_violations.json"
# The built-in analyzer (and ours, sagemaker-contract.md) writes this first word into the job's ExitMessage when it
# found violations; the processing job's own status still says Completed. Unconfirmed by AWS docs: kept here only.
VIOLATIONS_EXIT_PREFIX = "CompletedWithViolations"
MAX_VIOLATIONS_BYTES = 5 * 1024 * 1024

_DISTANCE = re.compile(r"distance:\s*(?P<distance>[-+0-9.eE]+)\s+exceeds threshold:\s*(?P<threshold>[-+0-9.eE]+)")


@dataclass(frozen=True)
class MonitorContext:
    monitor: str = ""
    """`<namespace>/<name>` of the ModelMonitor resource, '' when unknown."""
    endpoint: str = ""
    schedule: str = ""
    kind: str = ""
    results: str = ""
    """Output S3Uri of the engine (`s3://…/results/{ns}/{name}/data-quality`), '' when unknown."""
    dashboard: str = ""
    summary: str = ""
    """The alarm description's human sentence."""
    region: str = ""


Action = Literal["alert", "ignore", "check_exit_message", "clear"]


@dataclass(frozen=True)
class Decision:
    action: Action
    why: str


@dataclass(frozen=True)
class Violation:
    feature: str
    check_type: str
    description: str
    distance: float | None = None
    threshold: float | None = None


class ViolationsFileError(ValueError):
    """The constraint_violations.json content does not follow the contract."""


def decide(record: Alertable) -> Decision:
    """Which records become alerts. State changes that mean "all is well" (schedule Scheduled) are ignored; a
    clean run is a `clear` signal that may close an incident (signals.py); alarm transitions go on to the
    incident lifecycle (drift, model quality) or alert as they are (the rest, OK included)."""
    match record:
        case AlarmNotification():
            return Decision("alert", f"alarm entered {record.new_state}")
        case ProcessingJobChange(own_run_events=True):
            return Decision("ignore", "the run reports itself with a run event (processingJob engine)")
        case ProcessingJobChange(status="Failed" | "Stopped"):
            return Decision("alert", f"processing job {record.status}")
        case ProcessingJobChange(status="Completed"):
            return Decision("check_exit_message", "a Completed job may hide CompletedWithViolations")
        case ProcessingJobChange():
            return Decision("ignore", f"processing job status {record.status} needs no alert")
        case ScheduleChange(status="Failed" | "Stopped"):
            return Decision("alert", f"schedule {record.status}")
        case ScheduleChange():
            return Decision("ignore", f"schedule status {record.status} needs no alert")
        case RunChange(status="Completed"):
            return Decision("clear", "run completed without violations: may close an open incident")
        case RunChange():
            return Decision("alert", f"run {record.status}")
        case TestInvocation():
            return Decision("alert", "test invocation")
    raise AssertionError(f"unhandled record {type(record).__name__}")  # exhaustive over Alertable


def has_violations(exit_message: str) -> bool:
    return exit_message.strip().startswith(VIOLATIONS_EXIT_PREFIX)


def parse_description(description: str) -> tuple[str, dict[str, str], str]:
    """Split an alarm description into (human sentence, `modelmonitor:` fields, problem or '')."""
    sentence_lines: list[str] = []
    fields: dict[str, str] = {}
    problem = ""
    for line in description.splitlines():
        stripped = line.strip()
        if not stripped.startswith(DESCRIPTION_MARKER):
            if stripped:
                sentence_lines.append(stripped)
            continue
        try:
            raw = json.loads(stripped[len(DESCRIPTION_MARKER) :])
        except json.JSONDecodeError as err:
            problem = f"the alarm description's modelmonitor line is not JSON ({err.msg})"
            continue
        if not isinstance(raw, dict):
            problem = "the alarm description's modelmonitor line is not a JSON object"
            continue
        fields = {str(k): v for k, v in raw.items() if isinstance(v, str)}
    return " ".join(sentence_lines), fields, problem


def context_for(record: Alertable) -> tuple[MonitorContext, str]:
    """Monitor context of a record, plus a problem note ('' if none) when the alarm's own context is unusable."""
    match record:
        case AlarmNotification():
            sentence, fields, problem = parse_description(record.description)
            kind = fields.get("kind", "")
            if kind and kind not in KINDS:
                problem, kind = f"unknown alarm kind {kind!r}", ""
            kind = kind or infer_kind(record.namespace, record.metric_name)
            if not fields and not record.dimension("Endpoint") and not record.dimension("MonitoringSchedule"):
                problem = problem or "no monitor context (no modelmonitor line, no Endpoint dimension)"
            return (
                MonitorContext(
                    monitor=fields.get("monitor", ""),
                    endpoint=fields.get("endpoint") or record.dimension("Endpoint"),
                    schedule=fields.get("schedule") or record.dimension("MonitoringSchedule"),
                    kind=kind,
                    results=fields.get("results", ""),
                    dashboard=fields.get("dashboard", ""),
                    summary=sentence,
                    region=record.region,
                ),
                problem,
            )
        case ProcessingJobChange():
            schedule = record.schedule or (record.schedule_arn.rsplit("/", 1)[-1] if record.schedule_arn else "")
            kind = "data_drift" if record.status == "Completed" else "execution_failed"
            return MonitorContext(endpoint=record.endpoint, schedule=schedule, kind=kind, region=record.region), ""
        case ScheduleChange():
            return MonitorContext(endpoint=record.endpoint, schedule=record.schedule_name, kind=SCHEDULE_KIND,
                                  region=record.region), ""
        case RunChange():
            if record.status == "Failed":
                kind = "execution_failed"
            else:
                kind = RUN_KINDS.get(record.monitoring_type, "data_drift")
            return MonitorContext(monitor=record.monitor, endpoint=record.endpoint, schedule=record.schedule,
                                  kind=kind, region=record.region), ""
        case TestInvocation():
            return MonitorContext(monitor=record.monitor, endpoint=record.endpoint, kind=TEST_KIND), ""
    raise AssertionError(f"unhandled record {type(record).__name__}")


def infer_kind(namespace: str, metric_name: str) -> str:
    """Kind of an alarm without a modelmonitor line, from its metric (internal-contracts §4); '' if unclear."""
    if metric_name.startswith(("feature_baseline_drift_", "drift_")):
        return "data_drift"
    if namespace.endswith(("model-metrics", "/ModelQuality")) and metric_name != "ground_truth_coverage":
        return "model_quality"
    if namespace.endswith(("bias-metrics", "/ModelBias")) and metric_name.startswith(("bias_metric_", "violations")):
        return "bias_drift"
    if namespace.endswith(("explainability-metrics", "/ModelExplainability")) and \
            metric_name.startswith(("feature_attribution", "violations")):
        return "attribution_drift"
    return ""


def default_results_uri(bucket: str, monitor: str, kind: str) -> str:
    """Engine output S3Uri per internal-contracts §1 when the alarm did not carry it."""
    namespace, _, name = monitor.partition("/")
    if not bucket or not namespace or not name:
        return ""
    folder = RESULTS_FOLDERS.get(kind, "data-quality")
    return f"s3://{bucket}/results/{namespace}/{name}/{folder}"


def dedupe_key(record: Alertable) -> str:
    """Same transition delivered twice → same key. '' means "never deduplicate" (anonymous test invocations)."""
    match record:
        case AlarmNotification():
            return f"alarm|{record.alarm_arn or record.alarm_name}|{record.new_state}|{record.state_change_time}"
        case ProcessingJobChange():
            # Job names are unique per execution and SageMaker may emit several events (distinct ids) per change.
            return f"job|{record.job_name}|{record.status}"
        case ScheduleChange():
            return f"schedule|{record.schedule_name}|{record.status}|{record.last_modified or record.event_id}"
        case RunChange():
            if record.window_start:
                return f"run|{record.monitor}|{record.schedule}|{record.window_start}|{record.status}"
            return f"run-event|{record.event_id}"
        case TestInvocation():
            return f"test|{record.test_id}" if record.test_id else ""
    raise AssertionError(f"unhandled record {type(record).__name__}")


def violation_subject(item: dict[str, object]) -> str | None:
    """What a violation is about, in each format AWS documents for constraint_violations.json: data quality's
    `feature_name`; model quality's `metric_name`; Clarify's bias drift `facet` + `facet_value` + `metric_name`
    ("DPPL of Age=40"; https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html)
    and feature attribution drift `label` + `metric_name` ("shap of label0", no feature field;
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html).
    None when the entry names nothing."""
    feature, metric = item.get("feature_name"), item.get("metric_name")
    if isinstance(feature, str):
        return feature
    facet, value, label = item.get("facet"), item.get("facet_value"), item.get("label")
    if isinstance(facet, str) and isinstance(metric, str):
        return f"{metric} of {facet}" + (f"={value}" if isinstance(value, str) and value else "")
    if isinstance(label, str) and isinstance(metric, str):
        return f"{metric} of {label}"
    return metric if isinstance(metric, str) else None


def parse_violations(raw: bytes) -> tuple[Violation, ...]:
    """Parse constraint_violations.json (`{"violations": [{<subject>, constraint_check_type, description}]}`; the
    subject's fields differ per monitoring type, see violation_subject)."""
    if len(raw) > MAX_VIOLATIONS_BYTES:
        raise ViolationsFileError(f"violations file of {len(raw)} bytes exceeds {MAX_VIOLATIONS_BYTES}")
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ViolationsFileError(f"violations file is not valid JSON ({type(err).__name__})") from None
    items = doc.get("violations") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ViolationsFileError("violations file has no 'violations' list")
    parsed: list[Violation] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ViolationsFileError(f"violations[{i}] is not an object")
        feature, check, text = violation_subject(item), item.get("constraint_check_type"), item.get("description")
        if feature is None or not isinstance(check, str):
            raise ViolationsFileError(f"violations[{i}] lacks feature_name (or facet / label and metric_name) / "
                                      "constraint_check_type strings")
        description = text if isinstance(text, str) else ""
        distance, threshold = parse_distance(description)
        parsed.append(Violation(feature, check, description[:500], distance, threshold))
    return tuple(parsed)


def parse_distance(description: str) -> tuple[float | None, float | None]:
    """`distance: 0.41 exceeds threshold: 0.1` → (0.41, 0.1); anything else → (None, None)."""
    match = _DISTANCE.search(description)
    if not match:
        return None, None
    try:
        return float(match["distance"]), float(match["threshold"])
    except ValueError:
        return None, None


def rank_violations(violations: tuple[Violation, ...]) -> tuple[Violation, ...]:
    """Drift violations first, largest distance first; then the rest in file order."""
    drift = sorted((v for v in violations if v.distance is not None), key=lambda v: -(v.distance or 0.0))
    return (*drift, *(v for v in violations if v.distance is None))


def pick_latest_segment(prefixes: list[str], parent: str, width: int) -> str:
    """Among S3 CommonPrefixes below `parent`, the greatest whose next segment is `width` digits ('' if none).

    The hour layout `yyyy/mm/dd/hh/` is zero-padded, so lexicographic order is time order (internal-contracts §1).
    """
    segments = []
    for prefix in prefixes:
        if not prefix.startswith(parent):
            continue
        segment = prefix[len(parent) :].rstrip("/")
        if len(segment) == width and segment.isdigit():
            segments.append(segment)
    return max(segments, default="")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` → ('bucket', 'a/b'); raises ValueError for anything else."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri[:80]!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"S3 URI has no bucket: {uri[:80]!r}")
    return bucket, key
