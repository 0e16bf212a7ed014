"""The container entrypoint (`python -m modelmonitor.analyzer`) under SageMaker's custom-container contract.

Configuration: the environment SageMaker passes (also read from `/opt/ml/config/processingjobconfig.json`'s
`Environment`, real environment variables winning). Outcome: exit 0 with `Completed: …` or
`CompletedWithViolations: …` in `/opt/ml/output/message` (its first 1 KB becomes the execution's ExitMessage);
on failure a non-zero exit and `Failed: <reason>` there. `MODELMONITOR_OPT_ML_ROOT` moves `/opt/ml` for tests.

A bias baseline (`monitoring_type: ModelBias`, `analysis_mode: baseline`; `quality/bias_baseline.py`) writes
analysis.json and nothing else: no metrics, no run event.

Under our processingJob engine (`cloudwatch_metrics_namespace` set) no Model Monitor reads the metric file or the
message: the run (full or merge stage; never a shard) publishes its metrics with PutMetricData and emits its
run event itself (`engine_run`). A failing run only exits non-zero: the state machine's Catch emits the Failed
event, so each run has exactly one.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.entry.engine_outputs import Clients, EngineRun
from modelmonitor.analyzer.entry.engine_run import RunWindow, execute
from modelmonitor.analyzer.quality.bias_baseline import is_bias_baseline, run_bias_baseline
from modelmonitor.analyzer.read.sources import Window, parse_time, s3_client
from modelmonitor.analyzer.run.job import DEFAULT_OPT_ML_ROOT, OPT_ML_ROOT_ENV, AnalysisJob
from modelmonitor.analyzer.run.runner import AnalysisResult, run
from modelmonitor.errors import ModelMonitorError

log = logging.getLogger("modelmonitor.analyzer")

EXIT_MESSAGE_BYTES = 1024
"""SageMaker keeps the first 1 KB of /opt/ml/output/message as ExitMessage."""
EXIT_FAILED_INPUT, EXIT_FAILED_ENVIRONMENT = 2, 3
REPORT_FILE = "report.html"
LAMBDA_HANDLER = "modelmonitor.analyzer.entry.lambda_handler.handler"
"""The image's CMD (docker/analyzer/Dockerfile): the Lambda runtime's handler name."""
FIRST_LAMBDA_HANDLER = "modelmonitor.analyzer.lambda_handler.handler"
"""The handler's path before the analyzer's layer folders (the image's CMD then): still importable
(`modelmonitor/analyzer/lambda_handler.py`) and still accepted by the entrypoint."""


def status_message(status: str, summary: str) -> str:
    """The one place that decides the status prefix SageMaker reads from the message file."""
    return f"{status}: {summary}"


def exit_message(result: AnalysisResult) -> str:
    return status_message(result.status, result.summary())


def failure_message(error: BaseException) -> str:
    return f"Failed: {error}"


def truncate_utf8(text: str, limit: int = EXIT_MESSAGE_BYTES) -> bytes:
    """At most `limit` bytes of UTF-8 without splitting a character, so the prefix always survives intact."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore").encode("utf-8")


def write_message(root: Path, text: str) -> None:
    path = root / "output" / "message"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(truncate_utf8(text))


def job_environment(env: Mapping[str, str], root: Path) -> dict[str, str]:
    """processingjobconfig.json's Environment, overridden by the process environment."""
    merged: dict[str, str] = {}
    # The contract names /opt/ml/config/; the BYOC metrics page names /opt/ml/processing/: read whichever exists.
    candidates = (root / "config" / "processingjobconfig.json", root / "processing" / "processingjobconfig.json")
    for config in (c for c in candidates if c.is_file()):
        try:
            declared = json.loads(config.read_text()).get("Environment") or {}
        except (OSError, ValueError) as exc:
            raise AnalyzerInputError(f"{config}: unreadable job configuration ({exc})") from exc
        merged.update({str(k): str(v) for k, v in declared.items()})
    merged.update(env)
    return merged


def main(env: Mapping[str, str] | None = None) -> int:
    environment = dict(os.environ if env is None else env)
    root = Path(environment.get(OPT_ML_ROOT_ENV) or DEFAULT_OPT_ML_ROOT)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        job_env = job_environment(environment, root)
        engine_run = None if is_bias_baseline(job_env) else EngineRun.from_environment(job_env)
        if is_bias_baseline(job_env):
            message = status_message("Completed", run_bias_baseline(job_env).summary())
        elif engine_run is not None and job_env.get("analysis_stage", "full") != "shard":
            message = _engine_run(job_env, engine_run, root)
        else:
            job = AnalysisJob.from_environment(job_env, opt_ml_root=str(root))
            if job.mode == "monitor" and job.stage != "shard":
                job = _with_report(job)
            message = exit_message(run(job))
    except ModelMonitorError as exc:
        log.error("analysis failed: %s", exc)
        write_message(root, failure_message(exc))
        return EXIT_FAILED_INPUT
    except (OSError, MemoryError, BotoCoreError, ClientError) as exc:
        log.error("analysis failed: %s", exc)
        write_message(root, failure_message(exc))
        return EXIT_FAILED_ENVIRONMENT
    log.info("%s", message)
    write_message(root, message)
    return 0


def output_s3_uri(root: Path, local_path: str) -> str | None:
    """The S3Uri SageMaker uploads `local_path` to, from the job configuration it mounts (the report URI of the
    run event); None outside a Processing job."""
    config = root / "config" / "processingjobconfig.json"
    if not config.is_file():
        return None
    try:
        outputs = (json.loads(config.read_text()).get("ProcessingOutputConfig") or {}).get("Outputs") or []
    except (OSError, ValueError) as exc:
        raise AnalyzerInputError(f"{config}: unreadable job configuration ({exc})") from exc
    for output in outputs:
        s3 = output.get("S3Output") or {}
        if str(s3.get("LocalPath", "")).rstrip("/") == local_path.rstrip("/") and s3.get("S3Uri"):
            return str(s3["S3Uri"])
    return None


def _engine_run(env: Mapping[str, str], engine_run: EngineRun, root: Path) -> str:
    # Only the window and the output folder here: each monitoring type reads the rest of its environment itself
    # (a bias run's baseline_constraints is an analysis.json, not the data-quality pair AnalysisJob expects).
    start, end = env.get("start_time"), env.get("end_time")
    if not start or not end:
        raise AnalyzerInputError("start_time and end_time are required under the processingJob engine")
    window = Window(parse_time(start, "start_time"), parse_time(end, "end_time"))
    output_path = env.get("output_path") or str(root / "processing/output")
    evaluation = parse_time(env["evaluation_time"], "evaluation_time") if env.get("evaluation_time") else None
    result = execute(env, engine_run, RunWindow(window, evaluation or window.end),
                     output_path=output_path, report_uri=output_s3_uri(root, output_path),
                     clients=Clients.default(), s3=s3_client(), emit_failure=False)
    return status_message(result.outcome.status, result.summary)


def _with_report(job: AnalysisJob) -> AnalysisJob:
    from dataclasses import replace

    return replace(job, report_html=f"{job.output_path.rstrip('/')}/{REPORT_FILE}")
