"""Run a producer one step ahead on a worker thread: reading and parsing (C and Arrow, without the GIL) overlap with
the statistics of the previous chunk. `MODELMONITOR_ANALYZER_THREADS=0` also turns off the column lanes and keeps
the parser pool to one thread."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")
U = TypeVar("U")

THREADS_ENV = "MODELMONITOR_ANALYZER_THREADS"
"""Set to 0 to read and compute on one thread (debugging, profiling)."""

_POLL_SECONDS = 0.1


def enabled() -> bool:
    return os.environ.get(THREADS_ENV, "").strip() != "0"


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def prefetched(items: Iterator[T], transform: Callable[[T], U], depth: int = 2) -> Iterator[U]:
    """`transform(item)` for every item, in order, produced by a worker thread at most `depth` results ahead.
    The worker's exceptions are raised here; if the consumer stops early, the worker stops too."""
    if not enabled():
        yield from (transform(item) for item in items)
        return
    results: queue.Queue[U | _Failure | object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(result: U | _Failure | object) -> bool:
        while not stop.is_set():
            try:
                results.put(result, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(transform(item)):
                    return
        except BaseException as exc:  # noqa: BLE001 — not handled here: the consumer re-raises it
            put(_Failure(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=work, name="modelmonitor-prefetch", daemon=True)
    worker.start()
    try:
        while (result := results.get()) is not _DONE:
            if isinstance(result, _Failure):
                raise result.error
            yield cast(U, result)
    finally:
        stop.set()
        worker.join()
