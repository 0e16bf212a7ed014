"""Handler configuration, read once per container from the Lambda environment and validated."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

SecretStore = Literal["ssm", "secretsmanager"]

DEFAULT_DEDUPE_TTL_SECONDS = 7 * 24 * 3600
DEFAULT_REPEAT_SECONDS = 24 * 3600
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 3.0


class ConfigError(ValueError):
    """The Lambda environment is missing or has an invalid setting; the message names the variable."""


@dataclass(frozen=True)
class SecretRef:
    """Where the Slack-compatible webhook URL lives.

    `SLACK_WEBHOOK_SECRET` syntax, first match wins:
    - `ssm:<name-or-arn>` → SSM parameter (SecureString, read WithDecryption);
    - `secretsmanager:<name-or-arn>` → Secrets Manager secret;
    - `arn:aws…:ssm:…` → SSM parameter; `arn:aws…:secretsmanager:…` → Secrets Manager secret;
    - a value starting with `/` → SSM parameter (SSM hierarchies start with `/`);
    - anything else → Secrets Manager secret name.
    The secret holds the URL itself, or JSON `{"url": "..."}` (`webhook_url` also accepted).
    """

    store: SecretStore
    name: str


@dataclass(frozen=True)
class Settings:
    topic_arn: str
    artifact_bucket: str = ""
    dashboard_url_template: str = ""
    webhook_secret: SecretRef | None = None
    log_level: str = "INFO"
    state_table: str = ""
    """The Platform's DynamoDB table (string hash key `pk`, TTL attribute `expiresAt`): incident state and dedupe
    keys. Empty: both live in the container's memory only (local runs and tests)."""
    dedupe_ttl_seconds: int = DEFAULT_DEDUPE_TTL_SECONDS
    repeat_seconds: Mapping[str, int] = field(default_factory=dict)
    """`alerting.repeatInterval` per schedule name, where it differs from the default."""
    default_repeat_seconds: int = DEFAULT_REPEAT_SECONDS
    webhook_timeout_seconds: float = DEFAULT_WEBHOOK_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        topic = env.get("ALERT_TOPIC_ARN", "").strip()
        if not topic.startswith("arn:") or ":sns:" not in topic:
            raise ConfigError("ALERT_TOPIC_ARN must be set to an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")
        level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if level not in logging.getLevelNamesMapping():
            raise ConfigError(f"LOG_LEVEL {level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
        secret = env.get("SLACK_WEBHOOK_SECRET", "").strip()
        return cls(
            topic_arn=topic,
            artifact_bucket=env.get("ARTIFACT_BUCKET", "").strip(),
            dashboard_url_template=env.get("DASHBOARD_URL_TEMPLATE", "").strip(),
            webhook_secret=parse_secret_ref(secret) if secret else None,
            log_level=level,
            state_table=env.get("STATE_TABLE", "").strip(),
            dedupe_ttl_seconds=_positive_int(env, "DEDUPE_TTL_SECONDS", DEFAULT_DEDUPE_TTL_SECONDS),
            repeat_seconds=parse_repeat_intervals(env.get("REPEAT_INTERVALS", "")),
            webhook_timeout_seconds=_positive_float(env, "WEBHOOK_TIMEOUT_SECONDS", DEFAULT_WEBHOOK_TIMEOUT_SECONDS),
        )

    def repeat_for(self, schedule: str) -> int:
        return self.repeat_seconds.get(schedule, self.default_repeat_seconds)


def parse_repeat_intervals(raw: str) -> dict[str, int]:
    """`REPEAT_INTERVALS`: JSON object schedule name → seconds (components/platform.py writes it)."""
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError("REPEAT_INTERVALS must be a JSON object of schedule name to seconds") from None
    if not isinstance(doc, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0 for k, v in doc.items()):
        raise ConfigError("REPEAT_INTERVALS must map schedule names to positive integer seconds")
    return dict(doc)


def parse_secret_ref(value: str) -> SecretRef:
    for prefix, store in (("ssm:", "ssm"), ("secretsmanager:", "secretsmanager")):
        if value.startswith(prefix):
            name = value[len(prefix) :].strip()
            if not name:
                raise ConfigError(f"SLACK_WEBHOOK_SECRET has the {prefix} prefix but no name after it")
            return SecretRef(store, name)  # type: ignore[arg-type]  # the tuple above lists only SecretStore values
    if value.startswith("arn:") and ":ssm:" in value:
        return SecretRef("ssm", value)
    if value.startswith("arn:") and ":secretsmanager:" in value:
        return SecretRef("secretsmanager", value)
    if value.startswith("/"):
        return SecretRef("ssm", value)
    return SecretRef("secretsmanager", value)


def _positive_int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{key} must be a positive integer, got {raw!r}")
    return int(raw)


def _positive_float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a positive number of seconds, got {raw!r}") from None
    if not 0 < value <= 60:
        raise ConfigError(f"{key} must be between 0 and 60 seconds, got {raw!r}")
    return value
