"""Where incident state lives between invocations: the Platform's DynamoDB state table (`STATE_TABLE`).

One item per incident group: `pk = incident|{endpoint}/{schedule}`, `version` (a number), `state` (the incident as
JSON, incidents.to_json) and `expiresAt` (TTL; only closed incidents expire). Every write is conditional on the
version read (`attribute_not_exists(pk)` for the first one, `version = :read` after): two containers handling
signals of one incident at once cannot both win; the loser reads again and recomputes, so both signals count and
exactly one of them sends the opening (or resolving) alert. The dedupe keys of dedupe.py share the table (their
`pk` starts `dedupe|`).

Without a table (local runs, tests) a per-container dictionary with the same compare-and-set semantics stands in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import ClientError

from . import incidents
from .incidents import Incident

CLOSED_TTL_SECONDS = 90 * 24 * 3600
"""Closed incidents are kept this long (for staleness checks and forensics), then DynamoDB's TTL removes them."""
MAX_ATTEMPTS = 5


class IncidentConflict(RuntimeError):
    """Every attempt lost the race for the incident's item (MAX_ATTEMPTS concurrent writers)."""


class IncidentStore(Protocol):
    def load(self, key: str) -> tuple[Incident | None, int]:
        """(incident or None, version; 0 when there is no item)."""
        ...

    def save(self, key: str, incident: Incident, expected_version: int) -> bool:
        """Write version `expected_version + 1` if the stored version is still `expected_version`."""
        ...


class DynamoClient(Protocol):
    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...


class MemoryIncidentStore:
    def __init__(self) -> None:
        self._items: dict[str, tuple[int, str]] = {}

    def load(self, key: str) -> tuple[Incident | None, int]:
        if key not in self._items:
            return None, 0
        version, text = self._items[key]
        return incidents.from_json(text), version

    def save(self, key: str, incident: Incident, expected_version: int) -> bool:
        if self._items.get(key, (0, ""))[0] != expected_version:
            return False
        self._items[key] = (expected_version + 1, incidents.to_json(incident))
        return True


class DynamoIncidentStore:
    def __init__(self, client: DynamoClient, table: str, clock: Callable[[], float] = time.time) -> None:
        self._client, self._table, self._clock = client, table, clock

    def load(self, key: str) -> tuple[Incident | None, int]:
        item = self._client.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
        if not item:
            return None, 0
        version = int(item["version"]["N"])
        try:
            return incidents.from_json(item["state"]["S"]), version
        except (ValueError, KeyError):
            return None, version  # unreadable (older format): start over, but still race on its version

    def save(self, key: str, incident: Incident, expected_version: int) -> bool:
        item: dict[str, Any] = {"pk": {"S": key}, "version": {"N": str(expected_version + 1)},
                                "state": {"S": incidents.to_json(incident)}}
        if incident.closed_at is not None:
            item["expiresAt"] = {"N": str(int(self._clock()) + CLOSED_TTL_SECONDS)}
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if expected_version:
            condition = {"ConditionExpression": "version = :read",
                         "ExpressionAttributeValues": {":read": {"N": str(expected_version)}}}
        try:
            self._client.put_item(TableName=self._table, Item=item, **condition)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


def advance(store: IncidentStore, signal: incidents.Signal, repeat_seconds: float, *,
            refine: Callable[[Incident | None, incidents.Signal], incidents.Signal] | None = None
            ) -> tuple[incidents.Transition, Incident | None]:
    """Apply `signal` to its incident with optimistic concurrency: (transition, incident before it). `refine`
    completes the signal from the incident just read (a clear signal's settled alarms), so nothing reads it twice.

    AWS errors other than a lost race propagate (the caller alerts without lifecycle, a duplicate beats a miss)."""
    key = incidents.state_key(signal.group)
    for _ in range(MAX_ATTEMPTS):
        current, version = store.load(key)
        transition = incidents.step(current, refine(current, signal) if refine else signal, repeat_seconds)
        if not transition.changed or transition.incident is None:
            return transition, current
        if store.save(key, transition.incident, version):
            return transition, current
    raise IncidentConflict(f"{key}: lost {MAX_ATTEMPTS} races for the incident state")


def release(store: IncidentStore, transition: incidents.Transition, previous: Incident | None) -> bool:
    """After a failed delivery of an opening alert or reminder: mark it unannounced again, if nobody wrote since."""
    if transition.incident is None or transition.step not in ("open", "remind"):
        return False
    key = incidents.state_key(transition.incident.group)
    current, version = store.load(key)
    if current != transition.incident:
        return False
    return store.save(key, incidents.unannounce(current, previous), version)
