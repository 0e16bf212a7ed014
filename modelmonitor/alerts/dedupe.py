"""Idempotency: the same alarm transition or job state delivered twice alerts once.

Choice. SNS and EventBridge deliver at least once, and SageMaker may emit several events per state change, so every
container keeps a bounded in-memory set of recent keys (free, catches retries that land on a warm container). That
set dies with the container and is not shared by concurrent containers, so keys also go to the Platform's state
table (`STATE_TABLE`, shared with incident_store.py): one DynamoDB `PutItem` with
`ConditionExpression attribute_not_exists(pk) OR expiresAt < :now`.
The conditional put is atomic, so two containers racing on one key cannot both win; the item's TTL attribute
(`expiresAt`, `DEDUPE_TTL_SECONDS`, default 7 days) lets DynamoDB purge old keys, and the `< :now` clause covers
TTL's lazy deletion. An SSM parameter per key was rejected: PutParameter is throttled at a few TPS, parameters
count against a 10,000-per-region quota, and there is no expiry without advanced-tier policies.

A key is claimed before alerting and released again when no route delivered the alert, so a retry can succeed.
When the durable store itself fails we fail open (alert, maybe twice): a duplicate page beats a lost one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

MEMORY_CAPACITY = 10_000


class Deduper(Protocol):
    last_error: str
    """Why the last claim could not consult the durable store ('' when it could, or there is none)."""

    def claim(self, key: str) -> bool:
        """True when `key` was not seen before (and is now claimed); False for a duplicate."""
        ...

    def release(self, key: str) -> None: ...


class DynamoWriter(Protocol):
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...


class MemoryDeduper:
    """Per-container set of recent keys; the oldest fall out beyond `capacity` so memory stays bounded."""

    def __init__(self, capacity: int = MEMORY_CAPACITY) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self.last_error = ""

    def claim(self, key: str) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def release(self, key: str) -> None:
        self._seen.pop(key, None)


class DynamoDeduper:
    """Memory first (no API call for warm duplicates), then an atomic conditional put in DynamoDB."""

    def __init__(
        self,
        client: DynamoWriter,
        table: str,
        ttl_seconds: int,
        memory: MemoryDeduper | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._table, self._ttl = client, table, ttl_seconds
        self._memory = memory or MemoryDeduper()
        self._clock = clock
        self.last_error = ""

    def claim(self, key: str) -> bool:
        if not self._memory.claim(key):
            return False
        now = int(self._clock())
        self.last_error = ""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": key}, "expiresAt": {"N": str(now + self._ttl)}},
                ConditionExpression="attribute_not_exists(pk) OR expiresAt < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            self.last_error = f"dedupe table: {err.response.get('Error', {}).get('Code', 'ClientError')}"
        except BotoCoreError as err:
            self.last_error = f"dedupe table: {type(err).__name__}"
        return True

    def release(self, key: str) -> None:
        self._memory.release(key)
        try:
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": key}})
        except (ClientError, BotoCoreError) as err:
            self.last_error = f"dedupe table release: {type(err).__name__}"
