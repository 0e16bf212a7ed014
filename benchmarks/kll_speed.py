"""Speed of our KLL sketch (modelmonitor.analyzer.stats.kll) against Apache DataSketches' kll_doubles_sketch: update
(ns per value, 1 M normal doubles, k = 200, whole array and in the analyzer's 50 000-value chunks), merge (µs per
merge of sketches that each saw 250 000 values), and two threads updating their own sketches (our update releases
the GIL, DataSketches' does not). Prints the best and the median of --repeat runs; asserts nothing.

    .venv/bin/python benchmarks/kll_speed.py [--values 1000000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from modelmonitor.analyzer.stats.kll import KllSketch

try:
    from datasketches import kll_doubles_sketch
except ImportError:  # a dev dependency only
    kll_doubles_sketch = None

K = 200
CHUNK = 50_000


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        out.append(time.perf_counter() - start)
    return out


def _row(label: str, seconds: list[float], per: float, unit: str, scale: float) -> None:
    best, median = min(seconds) / per * scale, statistics.median(seconds) / per * scale
    print(f"{label:<52} best {best:8.2f} {unit}   median {median:8.2f} {unit}")


def _update(make: Callable[[], Any], values: np.ndarray, chunk: int | None) -> Callable[[], object]:
    def run() -> object:
        sketch = make()
        if chunk is None:
            sketch.update(values)
        else:
            for start in range(0, values.size, chunk):
                sketch.update(values[start:start + chunk])
        return sketch
    return run


def _parts(make: Callable[[], Any], values: np.ndarray, count: int) -> list[Any]:
    parts = []
    for piece in np.array_split(values, count):
        part = make()
        part.update(piece)
        parts.append(part)
    return parts


def _merge(make: Callable[[], Any], parts: list[Any]) -> Callable[[], object]:
    def run() -> object:
        merged = make()
        for part in parts:
            merged.merge(part)
        return merged
    return run


def _two_threads(make: Callable[[], Any], values: np.ndarray) -> Callable[[], object]:
    def run() -> object:
        threads = [threading.Thread(target=_update(make, values, CHUNK)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return threads
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    values = np.random.default_rng(20261204).normal(size=args.values)
    n, repeat = values.size, args.repeat
    peers: list[tuple[str, Callable[[], Any]]] = [("ours (C, GIL released)", lambda: KllSketch(K))]
    if kll_doubles_sketch is None:
        print("datasketches is not installed: our figures only (pip install datasketches)")
    else:
        peers.append(("datasketches kll_doubles_sketch", lambda: kll_doubles_sketch(K)))
    print(f"{n:,} normal doubles, k = {K}, {repeat} runs each")
    for name, make in peers:
        _update(make, values, None)()  # warm-up
        _row(f"update, one array          {name}", _times(_update(make, values, None), repeat), n, "ns/value", 1e9)
        _row(f"update, {CHUNK:,}-value chunks {name}", _times(_update(make, values, CHUNK), repeat), n, "ns/value",
             1e9)
        parts = _parts(make, values, 4)
        _row(f"merge of 4 x {n // 4:,}-value sketches {name}", _times(_merge(make, parts), repeat * 20), 4,
             "µs/merge", 1e6)
        _row(f"2 threads x own sketch x {n:,} {name}", _times(_two_threads(make, values), repeat), 2 * n,
             "ns/value", 1e9)


if __name__ == "__main__":
    main()
