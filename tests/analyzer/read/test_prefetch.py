"""The prefetching worker: order kept, errors surface in the consumer, an early stop stops the worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from modelmonitor.analyzer.read import prefetch
from modelmonitor.analyzer.read.prefetch import prefetched


def test_results_come_in_order_from_a_worker_thread() -> None:
    threads: set[str] = set()

    def double(x: int) -> int:
        threads.add(threading.current_thread().name)
        return 2 * x

    assert list(prefetched(iter(range(100)), double)) == [2 * x for x in range(100)]
    assert threads == {"modelmonitor-prefetch"}


def test_a_producer_error_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("bad block")

    seen: list[int] = []
    with pytest.raises(ValueError, match="bad block"):
        for x in prefetched(produce(), lambda x: x):
            seen.append(x)
    assert seen == [1, 2]


def test_a_transform_error_is_raised_in_the_consumer() -> None:
    with pytest.raises(ZeroDivisionError):
        list(prefetched(iter([1, 0]), lambda x: 1 // x))


def test_stopping_early_stops_the_worker() -> None:
    produced: list[int] = []

    def produce() -> Iterator[int]:
        for i in range(10_000):
            produced.append(i)
            yield i

    results = prefetched(produce(), lambda x: x, depth=2)
    assert next(results) == 0
    results.close()  # joins the worker
    assert not any(t.name == "modelmonitor-prefetch" for t in threading.enumerate())
    assert len(produced) <= 5


def test_threads_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(prefetch.THREADS_ENV, "0")
    names = list(prefetched(iter(range(3)), lambda _x: threading.current_thread().name))
    assert names == [threading.main_thread().name] * 3
