"""Delivery routes: the platform SNS topic, and an optional Slack-compatible incoming webhook.

The webhook URL is a credential (whoever has it can post to the channel): it is read from SSM / Secrets Manager,
cached per container, and never logged, returned or put into an error message.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from .config import SecretRef
from .render import Alert

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_RETRY_PAUSE_SECONDS = 0.2
MAX_WEBHOOK_TEXT = 3000  # Slack truncates a message's text block near 3,000 characters


class Publisher(Protocol):
    def publish(self, **kwargs: Any) -> dict[str, Any]: ...


class ParameterReader(Protocol):
    def get_parameter(self, **kwargs: Any) -> dict[str, Any]: ...


class SecretReader(Protocol):
    def get_secret_value(self, **kwargs: Any) -> dict[str, Any]: ...


class WebhookSecretError(ValueError):
    """The secret exists but does not hold a usable webhook URL (the message never contains the value)."""


@dataclass(frozen=True)
class WebhookResult:
    delivered: bool
    attempts: int
    detail: str
    """HTTP status or exception class: safe to log, never the URL."""


def publish_sns(sns: Publisher, topic_arn: str, alert: Alert) -> str:
    response = sns.publish(TopicArn=topic_arn, Subject=alert.subject, Message=alert.body)
    return str(response.get("MessageId", ""))


def read_webhook_url(ref: SecretRef, ssm: ParameterReader, secrets: SecretReader) -> str:
    """Fetch and validate the URL; AWS errors propagate for the caller to note (they never carry the value)."""
    if ref.store == "ssm":
        raw = ssm.get_parameter(Name=ref.name, WithDecryption=True)["Parameter"]["Value"]
    else:
        raw = secrets.get_secret_value(SecretId=ref.name).get("SecretString", "")
    return validate_webhook_url(extract_url(raw if isinstance(raw, str) else ""))


def extract_url(raw: str) -> str:
    text = raw.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            raise WebhookSecretError("webhook secret looks like JSON but does not parse") from None
        value = doc.get("url") or doc.get("webhook_url") if isinstance(doc, dict) else None
        if not isinstance(value, str):
            raise WebhookSecretError("webhook secret JSON has no string 'url' or 'webhook_url'")
        return value.strip()
    return text


def validate_webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return url  # local relays and tests only; never plain HTTP across a network
    raise WebhookSecretError("webhook secret is not an https:// URL")


def webhook_payload(alert: Alert) -> bytes:
    text = f"*{alert.subject}*\n{alert.body}"
    if len(text) > MAX_WEBHOOK_TEXT:
        text = text[: MAX_WEBHOOK_TEXT - 15] + "\n… (truncated)"
    return json.dumps({"text": text}).encode()


def post_webhook(
    url: str, alert: Alert, timeout: float, attempts: int = 2, sleep: Callable[[float], None] = time.sleep
) -> WebhookResult:
    """POST the alert; retry once on a timeout, connection error, 429 or 5xx; never on other 4xx."""
    host = urlsplit(url).hostname
    # Environment proxies must not see a loopback relay's traffic (or break tests that use one).
    handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK_HOSTS else []
    opener = urllib.request.build_opener(*handlers)
    detail = "not attempted"
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url, data=webhook_payload(alert), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                return WebhookResult(True, attempt, f"HTTP {response.status}")
        except urllib.error.HTTPError as err:
            detail = f"HTTP {err.code}"
            if err.code != 429 and err.code < 500:
                return WebhookResult(False, attempt, detail)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            reason = getattr(err, "reason", None)
            detail = type(reason).__name__ if isinstance(reason, BaseException) else type(err).__name__
        if attempt < attempts:
            sleep(_RETRY_PAUSE_SECONDS)
    return WebhookResult(False, attempts, detail)
