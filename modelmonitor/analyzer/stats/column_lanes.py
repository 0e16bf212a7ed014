"""Columns added up side by side. Each column always goes to the same lane (a single-thread executor), so its
chunks are added in order and its statistics are exactly those of a sequential run; different columns proceed in
parallel, which pays because the per-column work (moments, KLL sketch, bins) runs in C without the GIL."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from modelmonitor.analyzer.read import prefetch
from modelmonitor.analyzer.stats.dataset_stats import ColumnRunner

_BATCHES_AHEAD = 2
"""Batches queued on the lanes before the submitting thread waits: bounds the batches held in memory."""


@contextmanager
def column_lanes(lanes: int | None = None) -> Iterator[ColumnRunner | None]:
    """A `DatasetStats.add_columns` runner with `lanes` lanes (default: up to 2 CPUs; none when analyzer threads
    are off); every task has finished, and the first failure is raised, when the block exits."""
    count = lanes if lanes is not None else (min(2, os.cpu_count() or 1) if prefetch.enabled() else 1)
    if count <= 1:
        yield None
        return
    executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"modelmonitor-lane{i}") for i in range(count)]
    assigned: dict[str, ThreadPoolExecutor] = {}
    pending: deque[Future[None]] = deque()

    def run(name: str, work: Callable[[Any], None], argument: Any) -> None:
        executor = assigned.setdefault(name, executors[len(assigned) % count])
        pending.append(executor.submit(work, argument))
        while len(pending) > _BATCHES_AHEAD * len(assigned):
            pending.popleft().result()

    try:
        yield run
        while pending:
            pending.popleft().result()
    finally:
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)
