"""Operator settings: one small dataclass, read from the environment (a Deployment's env / ConfigMap).

Secrets are never held here: the Pulumi passphrase reaches the CLI only through the file named by
PULUMI_CONFIG_PASSPHRASE_FILE (a mounted Secret) or the inherited PULUMI_CONFIG_PASSPHRASE variable.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import modelmonitor

DriverName = Literal["automation", "render", "fake"]
DRIVERS: tuple[str, ...] = get_args(DriverName)

# The annotation users set (any new value) to force one Pulumi run.
RECONCILE_REQUEST_ANNOTATION = "modelmonitor.io/reconcile-request"
# The annotation users set (any new value; `START/END` for an explicit window) to start one run-now analysis.
RUN_NOW_ANNOTATION = "modelmonitor.io/run-now"
# kopf's own bookkeeping annotations live under a prefix of their own, so that kopf never mistakes ours for its
# storage (it strips its storage prefix from the diff it compares). Annotations, not status.kopf: the CRD's status
# schema is structural and a real API server prunes unknown status fields.
KOPF_STORAGE_PREFIX = "operator.modelmonitor.io"
FINALIZER = "modelmonitor.io/stack"


class SettingsError(ValueError):
    """An environment variable of the operator has an unusable value."""


@dataclass(frozen=True)
class OperatorSettings:
    driver: DriverName = "automation"
    """How stacks are driven: automation (Pulumi Automation API), render (mocks, no AWS) or fake (tests)."""
    max_concurrent_updates: int = 2
    """Pulumi operations running at once, across all monitors."""
    backend_url: str | None = None
    """PULUMI_BACKEND_URL, e.g. s3://state-bucket?region=us-east-1."""
    secrets_provider: str | None = None
    """PULUMI_SECRETS_PROVIDER, e.g. awskms://alias/modelmonitor."""
    passphrase_file: str | None = None
    """PULUMI_CONFIG_PASSPHRASE_FILE: path of a mounted file holding the passphrase (its content is never read)."""
    state_dir: Path = Path("/tmp/modelmonitor-operator")
    """Per-stack work dirs and PULUMI_HOMEs live below it."""
    plugins_dir: Path | None = None
    """Pre-installed Pulumi plugins (the image's); linked into every per-stack PULUMI_HOME."""
    project_name: str = "modelmonitor"
    """Pulumi project of the per-monitor stacks."""
    stack_config: Mapping[str, str] = field(default_factory=dict)
    """Extra stack config (MODELMONITOR_STACK_CONFIG, a JSON object), e.g. {"aws:profile": "..."}."""
    update_timeout_seconds: float = 3600.0
    """An update holding the stack lock longer than this is considered dead: its lock is cancelled once."""
    operation_timeout_seconds: float = 3600.0
    """Time limit of one operation: past it, its CLI is interrupted (SIGINT), the update cancelled, the attempt
    retried."""
    cancel_grace_seconds: float = 60.0
    """How long an interrupted CLI (a timeout, or the operator stopping) may take to stop before it is killed; keep
    the Deployment's terminationGracePeriodSeconds above it."""
    retry_base_seconds: float = 5.0
    """First retry delay of a temporary failure; doubles per attempt."""
    retry_max_seconds: float = 600.0
    """Cap of the retry delay."""
    execution_refresh_seconds: float = 300.0
    """How often the latest monitoring execution is read from S3 / SageMaker."""
    timer_tick_seconds: float = 30.0
    """How often each monitor's timer checks whether its execution refresh or driftDetection.interval is due."""
    artifact_bucket: str | None = None
    """A shared artifact bucket for every monitor's Platform (else each stack creates its own)."""
    alert_topic_arn: str | None = None
    """A shared alert topic (else each stack creates its own)."""
    kms_key_arn: str | None = None
    """A shared customer-managed KMS key (else each stack creates its own)."""
    analyzer_image_pushed: bool = False
    """Our analyzer image is in each Platform's ECR repository (pushed by CI): only then are monitors with engine
    modelMonitor and `dataQuality.analyzer: custom` applied (the operator's pod cannot build it)."""
    program_version: str = modelmonitor.__version__
    """Version of the Pulumi program; part of the applied hash, so an upgrade re-applies every monitor."""

    def __post_init__(self) -> None:
        if self.driver not in DRIVERS:
            raise SettingsError(f"driver must be one of {', '.join(DRIVERS)}, got {self.driver!r}")
        if self.max_concurrent_updates < 1:
            raise SettingsError(f"max concurrent updates must be at least 1, got {self.max_concurrent_updates}")
        if self.operation_timeout_seconds <= 0 or self.cancel_grace_seconds <= 0:
            raise SettingsError("the operation timeout and the cancel grace period must be positive")
        if self.timer_tick_seconds <= 0:
            raise SettingsError(f"the timer tick must be positive, got {self.timer_tick_seconds}")
        if not 0 < self.retry_base_seconds <= self.retry_max_seconds:
            raise SettingsError("retry delays must satisfy 0 < base <= max")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperatorSettings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        text = {"driver": "MODELMONITOR_DRIVER", "backend_url": "PULUMI_BACKEND_URL",
                "secrets_provider": "PULUMI_SECRETS_PROVIDER", "passphrase_file": "PULUMI_CONFIG_PASSPHRASE_FILE",
                "project_name": "MODELMONITOR_PROJECT", "artifact_bucket": "MODELMONITOR_ARTIFACT_BUCKET",
                "alert_topic_arn": "MODELMONITOR_ALERT_TOPIC_ARN", "kms_key_arn": "MODELMONITOR_KMS_KEY_ARN",
                "program_version": "MODELMONITOR_PROGRAM_VERSION"}
        numbers = {"max_concurrent_updates": "MODELMONITOR_MAX_CONCURRENT_UPDATES",
                   "update_timeout_seconds": "MODELMONITOR_UPDATE_TIMEOUT_SECONDS",
                   "operation_timeout_seconds": "MODELMONITOR_OPERATION_TIMEOUT_SECONDS",
                   "cancel_grace_seconds": "MODELMONITOR_CANCEL_GRACE_SECONDS",
                   "retry_base_seconds": "MODELMONITOR_RETRY_BASE_SECONDS",
                   "retry_max_seconds": "MODELMONITOR_RETRY_MAX_SECONDS",
                   "execution_refresh_seconds": "MODELMONITOR_EXECUTION_REFRESH_SECONDS",
                   "timer_tick_seconds": "MODELMONITOR_TIMER_TICK_SECONDS"}
        for name, var in text.items():
            if env.get(var):
                values[name] = env[var]
        for name, var in numbers.items():
            if env.get(var):
                values[name] = _number(var, env[var], integer=name == "max_concurrent_updates")
        pushed = env.get("MODELMONITOR_ANALYZER_IMAGE_PUSHED", "").strip().lower()
        if pushed not in ("", "true", "false"):
            raise SettingsError(f"MODELMONITOR_ANALYZER_IMAGE_PUSHED must be true or false, got {pushed!r}")
        values["analyzer_image_pushed"] = pushed == "true"
        if env.get("MODELMONITOR_STATE_DIR"):
            values["state_dir"] = Path(env["MODELMONITOR_STATE_DIR"])
        if env.get("MODELMONITOR_PULUMI_PLUGINS"):
            values["plugins_dir"] = Path(env["MODELMONITOR_PULUMI_PLUGINS"])
        if env.get("MODELMONITOR_STACK_CONFIG"):
            values["stack_config"] = _string_map("MODELMONITOR_STACK_CONFIG", env["MODELMONITOR_STACK_CONFIG"])
        return cls(**values)  # type: ignore[arg-type]

    @property
    def program_settings(self) -> dict[str, str]:
        """Keyword arguments of components.program.ProgramSettings that the operator's configuration sets."""
        chosen = {"existing_bucket_name": self.artifact_bucket, "existing_alert_topic_arn": self.alert_topic_arn,
                  "kms_key_arn": self.kms_key_arn}
        return {key: value for key, value in chosen.items() if value}

    def replace(self, **changes: object) -> OperatorSettings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _number(var: str, raw: str, *, integer: bool) -> float | int:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise SettingsError(f"{var} must be {kind}, got {raw!r}") from None


def _string_map(var: str, raw: str) -> dict[str, str]:
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{var} must be a JSON object of strings: {exc.msg}") from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise SettingsError(f"{var} must be a JSON object of strings")
    return {str(k): v for k, v in parsed.items()}
