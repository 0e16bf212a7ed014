"""The container entrypoint (`python -m modelmonitor.analyzer`) under SageMaker's custom-container contract.

Configuration: the environment SageMaker passes (also read from `/opt/ml/config/processingjobconfig.json`'s
`Environment`, real environment variables winning). Outcome: exit 0 with `Completed: …` or
`CompletedWithViolations: …` in `/opt/ml/output/message` (its first 1 KB becomes the execution's ExitMessage);
on failure a non-zero exit and `Failed: <reason>` there. `MODELMONITOR_OPT_ML_ROOT` moves `/opt/ml` for tests.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from modelmonitor.analyzer.errors import AnalyzerInputError
from modelmonitor.analyzer.job import DEFAULT_OPT_ML_ROOT, OPT_ML_ROOT_ENV, AnalysisJob
from modelmonitor.analyzer.runner import AnalysisResult, run
from modelmonitor.errors import ModelMonitorError

log = logging.getLogger("modelmonitor.analyzer")

EXIT_MESSAGE_BYTES = 1024
"""SageMaker keeps the first 1 KB of /opt/ml/output/message as ExitMessage."""
EXIT_FAILED_INPUT, EXIT_FAILED_ENVIRONMENT = 2, 3
REPORT_FILE = "report.html"


def exit_message(result: AnalysisResult) -> str:
    """The one place that decides the status prefix SageMaker reads from the message file."""
    return f"{result.status}: {result.summary()}"


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
        job = AnalysisJob.from_environment(job_environment(environment, root), opt_ml_root=str(root))
        if job.mode == "monitor" and job.stage != "shard":
            job = _with_report(job)
        result = run(job)
    except ModelMonitorError as exc:
        log.error("analysis failed: %s", exc)
        write_message(root, failure_message(exc))
        return EXIT_FAILED_INPUT
    except (OSError, MemoryError) as exc:
        log.error("analysis failed: %s", exc)
        write_message(root, failure_message(exc))
        return EXIT_FAILED_ENVIRONMENT
    message = exit_message(result)
    log.info("%s", message)
    write_message(root, message)
    return 0


def _with_report(job: AnalysisJob) -> AnalysisJob:
    from dataclasses import replace

    return replace(job, report_html=f"{job.output_path.rstrip('/')}/{REPORT_FILE}")
