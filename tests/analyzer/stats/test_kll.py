"""Our C KLL sketch: the same levels as a line-by-line transcription of DataSketches' algorithm, KLL's guarantees
(exact up to k, weight = n, rank error within the stated bound over many seeds), merges, JSON, validation, threads,
and agreement with DataSketches itself."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from modelmonitor.analyzer.native import _kll
from modelmonitor.analyzer.stats.kll import KllSketch, normalized_rank_error
from tests.analyzer.kll_reference import RefKll

N = 20_000
EPS_SINGLE = normalized_rank_error(200, False)
EPS_DOUBLE = normalized_rank_error(200, True)


def _distributions(rng: np.random.Generator, n: int = N) -> dict[str, np.ndarray]:
    ascending = np.sort(rng.normal(size=n))
    return {"normal": rng.normal(size=n), "lognormal": rng.lognormal(size=n),
            "ties": rng.integers(0, 10, n).astype(np.float64), "sorted": ascending,
            "reverse-sorted": ascending[::-1].copy()}


def _total_weight(levels: list[list[float]]) -> int:
    return sum(len(level) << h for h, level in enumerate(levels))


def _true_ranks(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.sort(values), points, side="right") / values.size


class _Truth:
    """Exact ranks of a data set at 1001 of its quantiles, to measure a sketch's worst rank error against."""

    def __init__(self, values: np.ndarray) -> None:
        self.points = np.unique(np.quantile(values, np.linspace(0, 1, 1001)))
        self.ranks = _true_ranks(values, self.points)

    def max_error(self, sketch: KllSketch) -> float:
        return float(np.abs(sketch.get_cdf(self.points)[:-1] - self.ranks).max())


def _max_rank_error(sketch: KllSketch, values: np.ndarray) -> float:
    return _Truth(values).max_error(sketch)


def _filled(values: np.ndarray, seed: int = 1, k: int = 200) -> KllSketch:
    sketch = KllSketch(k=k, seed=seed)
    sketch.update(values)
    return sketch


def test_normalized_rank_error_is_datasketches() -> None:
    for k in (8, 100, 200, 1000):
        for pmf in (False, True):
            assert normalized_rank_error(k, pmf) == pytest.approx(kll_doubles_sketch.get_normalized_rank_error(k, pmf))
    assert (round(EPS_SINGLE, 4), round(EPS_DOUBLE, 4)) == (0.0133, 0.0165)


@pytest.mark.parametrize("case", range(24))
def test_same_levels_as_the_reference_transcription(case: int) -> None:
    """Updates in chunks and merges (into deeper and shallower sketches, with infinities, ties, k from 8 to 1000)
    give exactly the levels of the Python transcription of DataSketches fed the same values and coins."""
    rng = np.random.default_rng(case)
    k = (8, 10, 20, 50, 200, 1000)[case % 6]
    n = int(rng.integers(0, 30_000))
    values = list(_distributions(rng, n).values())[case % 5]
    if case % 4 == 3 and n:
        values[rng.integers(0, n, 3)] = [math.inf, -math.inf, math.nan]
    seed = int(rng.integers(0, 2**64, dtype=np.uint64))
    ours, ref = KllSketch(k=k, seed=seed), RefKll(k, seed)
    for chunk in np.array_split(values, int(rng.integers(1, 8))):
        ours.update(chunk)
        for v in chunk.tolist():
            ref.update(v)
    for _ in range(int(rng.integers(1, 4))):
        other_seed = int(rng.integers(0, 2**63))
        extra = rng.normal(size=int(rng.integers(0, 3 * n + 10))) * 3
        other, other_ref = KllSketch(k=k, seed=other_seed), RefKll(k, other_seed)
        other.update(extra)
        for v in extra.tolist():
            other_ref.update(v)
        if rng.random() < 0.5:
            ours.merge(other)
            ref.merge(other_ref)
        else:  # the deeper sketch absorbs ours
            other.merge(ours)
            other_ref.merge(ref)
            ours, ref = other, other_ref
        if rng.random() < 0.3:
            assert ours.levels() == ref.levels_out()
    assert ours.levels() == ref.levels_out()
    assert ours.n == ref.n
    if ours.n:
        assert (ours.min, ours.max) == (ref.min, ref.max)


def test_exact_while_n_is_at_most_k() -> None:
    rng = np.random.default_rng(2)
    for n in (1, 7, 199, 200):
        values = rng.normal(size=n)
        sketch = _filled(values)
        assert sketch.levels() == [sorted(values.tolist())]
        assert sketch.num_retained == n
        assert np.array_equal(sketch.get_cdf(np.sort(values))[:-1], np.arange(1, n + 1) / n)
        assert sketch.get_quantile(0.5) == float(np.sort(values)[math.ceil(0.5 * n) - 1])
    sketch = _filled(rng.normal(size=201))
    assert sketch.num_levels == 2 and sketch.num_retained < 201



@pytest.mark.parametrize("shape", ["normal", "ties", "sorted", "reverse-sorted", "infinities and signed zeros"])
def test_long_level_zero_is_sorted_exactly(shape: str) -> None:
    """Level zero of a sketch with a large k holds tens of thousands of items, which the sort handles in pieces
    (sorting networks, then merges through scratch space taken from the heap): what comes out is numpy's sort, and
    every bit of every value survives (-0.0 and 0.0 compare equal, so only their count is checked)."""
    rng = np.random.default_rng(5)
    n = 60_000
    values = {"normal": rng.normal(size=n), "ties": rng.integers(-3, 4, n).astype(np.float64),
              "sorted": np.sort(rng.normal(size=n)), "reverse-sorted": np.sort(rng.normal(size=n))[::-1].copy(),
              "infinities and signed zeros": rng.choice([-math.inf, math.inf, -0.0, 0.0, 1.5, -2.5], n)}[shape]
    sketch = KllSketch(k=65535, c=0.64)
    sketch.update(values)
    (level,) = sketch.levels()
    assert np.array_equal(np.array(level), np.sort(values))
    assert np.signbit(np.array(level)).sum() == np.signbit(values).sum()


@pytest.mark.parametrize("case", range(4))
def test_same_levels_as_the_reference_transcription_with_long_levels(case: int) -> None:
    """k = 5000: level zero passes the 2,048 items the sort keeps on the stack and level one the 1,024 a merge in
    place does, so the heap-backed paths give the transcription's levels too (with ties and infinities)."""
    rng = np.random.default_rng(100 + case)
    k, n = 5000, 40_000
    values = list(_distributions(rng, n).values())[case + 1 if case < 3 else 0]
    values[rng.integers(0, n, 4)] = [math.inf, -math.inf, math.inf, math.nan]
    ours, ref = KllSketch(k=k, seed=case), RefKll(k, case)
    for chunk in np.array_split(values, 3):
        ours.update(chunk)
        for v in chunk.tolist():
            ref.update(v)
    assert ours.levels() == ref.levels_out()
    assert ours.num_levels >= 3

def test_exact_mode_answers_exactly_as_datasketches() -> None:
    values = np.random.default_rng(3).integers(0, 20, 150).astype(np.float64)
    ours, theirs = _filled(values), kll_doubles_sketch(200)
    theirs.update(values)
    points = [-1.0, 0.0, 3.0, 3.5, 19.0, 25.0]
    for inclusive in (True, False):
        assert ours.get_cdf(points, inclusive).tolist() == theirs.get_cdf(points, inclusive)
        for rank in (0.0, 0.1, 0.5, 0.77, 1.0):
            assert ours.get_quantile(rank, inclusive) == theirs.get_quantile(rank, inclusive)


def test_total_weight_is_n_after_updates_and_many_merges() -> None:
    rng = np.random.default_rng(4)
    parts = []
    for i in range(60):
        sketch = KllSketch(seed=i)
        for chunk in np.array_split(rng.lognormal(size=int(rng.integers(0, 20_000))), 3):
            sketch.update(chunk)
            assert _total_weight(sketch.levels()) == sketch.n
        parts.append(sketch)
    chain = KllSketch()
    for part in parts:
        chain.merge(part)
        assert _total_weight(chain.levels()) == chain.n
    while len(parts) > 1:  # a merge tree, as sharded runs build
        parts[0].merge(parts.pop())
        assert _total_weight(parts[0].levels()) == parts[0].n
    assert parts[0].n == chain.n == int(chain.sample().total)
    levels = chain.levels()
    assert all(level == sorted(level) for level in levels)


def test_rank_error_within_the_stated_bound_over_200_seeds() -> None:
    """DataSketches fits its bounds to the 99th percentile of the maximum error over all ranks: count the seeds
    whose worst rank error exceeds them (the single-sided bound too, which is the stricter one)."""
    for name, values in _distributions(np.random.default_rng(5)).items():
        truth = _Truth(values)
        errors = np.array([truth.max_error(_filled(values, seed)) for seed in range(200)])
        assert np.mean(errors > EPS_DOUBLE) <= 0.02, (name, errors.max())
        assert np.mean(errors > EPS_SINGLE) <= 0.05, (name, errors.max())


def test_four_shards_merged_are_as_accurate_as_one_pass() -> None:
    rng = np.random.default_rng(6)
    failures = 0
    for seed in range(50):
        values = rng.lognormal(size=N)
        merged = KllSketch(seed=seed)
        for i, shard in enumerate(np.array_split(values, 4)):
            merged.merge(_filled(shard, seed=1000 * seed + i))
        one_pass = _filled(values, seed)
        assert merged.n == one_pass.n == N
        assert (merged.min, merged.max) == (values.min(), values.max())
        failures += _max_rank_error(merged, values) > EPS_DOUBLE
        points = np.quantile(values, np.linspace(0.01, 0.99, 99))
        assert np.abs(merged.get_cdf(points) - one_pass.get_cdf(points)).max() <= 2 * EPS_DOUBLE
    assert failures <= 1


def test_min_max_exact_and_nan_ignored() -> None:
    values = np.random.default_rng(7).normal(size=50_000)
    values[::7] = np.nan
    sketch = _filled(values)
    finite = values[~np.isnan(values)]
    assert sketch.n == finite.size
    assert (sketch.min, sketch.max) == (finite.min(), finite.max())
    assert not any(math.isnan(v) for level in sketch.levels() for v in level)
    nothing = _filled(np.full(10, np.nan))
    assert nothing.is_empty() and nothing.n == 0


@pytest.mark.parametrize("seed", range(6))
def test_min_max_keep_the_first_zero_met_as_one_pass_does(seed: int) -> None:
    """min and max are folded in several chains at once; where a bound is zero, its sign is still the one a
    single pass in arrival order keeps (the first -0.0 or 0.0 met, a later zero of the other sign never replaces
    it), across chunks, with NaN in between."""
    rng = np.random.default_rng(seed)
    sketch = KllSketch(k=64, seed=seed)
    lo, hi = math.inf, -math.inf
    for _ in range(5):
        size = int(rng.integers(1, 300))
        chunk = rng.choice([-0.0, 0.0, math.nan, 0.0, -0.0, 1.0 if seed % 2 else -1.0], size)
        sketch.update(chunk)
        for v in chunk.tolist():
            lo = v if v < lo else lo
            hi = v if v > hi else hi
        assert (math.copysign(1, sketch.min), math.copysign(1, sketch.max)) == (math.copysign(1, lo),
                                                                                math.copysign(1, hi))
        assert (sketch.min, sketch.max) == (lo, hi)

def test_empty_sketch() -> None:
    sketch = KllSketch()
    assert sketch.is_empty() and sketch.n == 0 and sketch.num_retained == 0
    assert math.isnan(sketch.min) and math.isnan(sketch.max)
    assert sketch.levels() == [[]]
    assert sketch.sample().total == 0
    with pytest.raises(RuntimeError, match="empty sketch"):
        sketch.get_cdf([1.0])
    with pytest.raises(RuntimeError, match="empty sketch"):
        sketch.get_quantile(0.5)
    assert sketch.to_json() == {"k": 200, "c": 2 / 3, "n": 0, "min": None, "max": None, "levels": [[]]}
    full = _filled(np.arange(5.0))
    full.merge(sketch)
    sketch.merge(full)
    assert full.levels() == sketch.levels() == [[0.0, 1.0, 2.0, 3.0, 4.0]]


def test_query_arguments_are_checked() -> None:
    sketch = _filled(np.arange(10.0))
    with pytest.raises(ValueError, match="monotonically increasing"):
        sketch.get_cdf([2.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        sketch.get_cdf([math.nan])
    with pytest.raises(ValueError, match="normalized rank"):
        sketch.get_quantile(1.5)
    assert sketch.get_cdf([]).tolist() == [1.0]


def test_json_round_trip_is_identical() -> None:
    sketch = _filled(np.random.default_rng(8).normal(size=100_000))
    document = json.loads(json.dumps(sketch.to_json()))
    restored = KllSketch.from_json(document)
    assert restored.to_json() == document == sketch.to_json()
    points = np.linspace(-3, 3, 61)
    assert np.array_equal(restored.get_cdf(points), sketch.get_cdf(points))
    assert _total_weight(document["levels"]) == document["n"] == 100_000
    restored.update(np.arange(1000.0))  # a restored sketch keeps working
    assert _total_weight(restored.levels()) == restored.n == 101_000


@pytest.mark.parametrize(("levels", "n", "lo", "hi", "message"), [
    ([], 0, None, None, "1 to 1 levels"),
    ([[1.0], [], []], 1, 1.0, 1.0, "1 to 1 levels"),
    ([[1.0, 2.0], [3.0]], 5, 1.0, 3.0, "sum to 4, not n=5"),
    ([[1.0], [3.0, 2.0]], 5, 1.0, 3.0, r"levels\[1\] is not sorted: item 1"),
    ([[1.0, math.nan]], 2, 1.0, 1.0, r"levels\[0\]\[1\] is NaN"),
    ([[1.0, 9.0]], 2, 1.0, 5.0, "outside"),
    ([[1.0]], 1, 2.0, 1.0, "min <= max"),
    ([[]], 0, 1.0, 1.0, "empty sketch has min and max None"),
    ([[float(i) for i in range(201)]], 201, 0.0, 200.0, "more items than the 200"),
    ("nope", 1, 1.0, 1.0, "list of lists of floats, got str"),
    ([[1.0], "ab"], 3, 1.0, 1.0, r"levels\[1\] must be a list of floats, got str"),
    ([["a"]], 1, 1.0, 1.0, "must be real number"),
])
def test_from_levels_rejects_inconsistent_input(levels: object, n: int, lo: float | None, hi: float | None,
                                                message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        KllSketch.from_levels(levels, n, lo, hi)  # type: ignore[arg-type]


def test_from_json_rejects_documents_that_are_not_sketches() -> None:
    with pytest.raises(ValueError, match="needs levels"):
        KllSketch.from_json({"k": 200, "n": 0, "min": None, "max": None})
    with pytest.raises(ValueError, match="integers"):
        KllSketch.from_json({"k": "200", "n": 0, "min": None, "max": None, "levels": [[]]})
    with pytest.raises(ValueError, match="k must be between 8 and 65535"):
        KllSketch.from_json({"k": 4, "n": 0, "min": None, "max": None, "levels": [[]]})
    with pytest.raises(ValueError, match="min must be a float"):
        KllSketch.from_json({"k": 200, "n": 1, "min": "a", "max": 1.0, "levels": [[1.0]]})


def test_arguments_and_buffers() -> None:
    for bad in ({"k": 7}, {"k": 65536}, {"seed": -1}, {"seed": 2**64}):
        with pytest.raises(ValueError):
            KllSketch(**bad)
    assert KllSketch(seed=2**64 - 1).is_empty()
    raw = _kll.KllSketch()
    with pytest.raises(TypeError, match="float64"):
        raw.update(np.arange(4, dtype=np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        raw.update(np.arange(8.0)[::2])
    sketch = KllSketch()
    sketch.update([3.0, 1.0])  # the wrapper converts
    sketch.update(np.arange(8.0)[::2])
    sketch.update(np.arange(3, dtype=np.int32))
    readonly = np.arange(3.0)
    readonly.flags.writeable = False
    sketch.update(readonly)
    assert sketch.n == 12
    with pytest.raises(ValueError, match=r"k=100, c=0\.666\d* sketch into a k=200"):
        sketch.merge(KllSketch(k=100))
    with pytest.raises(ValueError, match=r"k=200, c=0\.64 sketch into a k=200, c=0\.666"):
        sketch.merge(KllSketch(c=0.64))
    for bad_c in (0.5, 1.0, float("nan"), 0.2):
        with pytest.raises(ValueError, match="c must be in"):
            KllSketch(c=bad_c)
    with pytest.raises(TypeError):
        sketch.merge(kll_doubles_sketch(200))  # type: ignore[arg-type]


def test_same_seed_same_sketch() -> None:
    values = np.random.default_rng(9).normal(size=30_000)
    assert _filled(values, seed=5).levels() == _filled(values, seed=5).levels()
    assert _filled(values).levels() == KllSketch.from_json(_filled(values).to_json()).levels()
    assert _filled(values, seed=5).levels() != _filled(values, seed=6).levels()


def test_merging_a_sketch_into_itself_doubles_it() -> None:
    sketch = _filled(np.arange(1000.0))
    sketch.merge(sketch)
    assert sketch.n == 2000 and _total_weight(sketch.levels()) == 2000


def test_sample_is_distinct_values_with_integer_weights() -> None:
    values = np.random.default_rng(10).integers(0, 50, 40_000).astype(np.float64)
    sample = _filled(values).sample()
    assert np.all(np.diff(sample.values) > 0)
    assert np.array_equal(sample.weights, np.round(sample.weights)) and sample.total == 40_000
    assert np.abs(sample.cdf(np.arange(50.0)) - _true_ranks(values, np.arange(50.0))).max() <= EPS_SINGLE


@pytest.mark.parametrize("data", ["normal", "ties", "merged", "empty"])
def test_sorted_view_is_the_stable_sort_of_the_levels(data: str) -> None:
    """DataSketches' sorted view, built in C: the levels laid end to end (level h weighing 2**h), sorted stably
    (equal items in level order), weights summed up — exactly what numpy makes of `levels()`."""
    rng = np.random.default_rng(12)
    sketch = KllSketch(k=2048, c=0.64)
    if data != "empty":
        sketch.update(rng.integers(0, 40, 300_000).astype(np.float64) if data == "ties" else rng.normal(size=300_000))
    if data == "merged":
        other = KllSketch(k=2048, c=0.64, seed=3)
        other.update(rng.normal(size=123_457).round(2))
        sketch.merge(other)
    levels = sketch.levels()
    flat = np.array([x for level in levels for x in level], dtype=np.float64)
    weights = np.repeat(np.uint64(1) << np.arange(len(levels), dtype=np.uint64), [len(level) for level in levels])
    order = np.argsort(flat, kind="stable")
    items, cumulative = sketch.sorted_view()
    assert cumulative.dtype == np.uint64
    assert np.array_equal(items, flat[order]) and np.array_equal(cumulative, np.cumsum(weights[order]))
    assert int(cumulative[-1]) == sketch.n if sketch.n else cumulative.size == 0

def test_update_releases_the_gil() -> None:
    """With a huge switch interval a thread keeps the GIL until it gives it up itself. The worker loops over
    update() and nothing else; if update() did not release the GIL, the main thread could only run again after
    the whole loop and would find it finished. Instead both sketches grow while the worker is still looping."""
    chunk = np.random.default_rng(11).normal(size=50_000)
    mine, theirs = KllSketch(seed=1), KllSketch(seed=2)
    rounds, done = 2000, threading.Event()
    stop = False

    def worker() -> None:
        for _ in range(rounds):
            if stop:
                break
            theirs.update(chunk)
        done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        mine.update(chunk)  # runs while the worker is inside an update
        seen = theirs.n
        finished_first = done.is_set()
        stop = True
    finally:
        sys.setswitchinterval(interval)
    thread.join()
    assert not finished_first and seen < rounds * chunk.size
    assert mine.n == chunk.size and theirs.n % chunk.size == 0 and 0 < theirs.n < rounds * chunk.size


def test_one_sketch_updated_from_two_threads_stays_consistent() -> None:
    sketch = KllSketch()
    chunk = np.random.default_rng(12).normal(size=20_000)

    def feed() -> None:
        for _ in range(50):
            sketch.update(chunk)
            sketch.merge(KllSketch())

    threads = [threading.Thread(target=feed) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    levels = sketch.levels()
    assert sketch.n == 3 * 50 * chunk.size == _total_weight(levels)
    assert all(level == sorted(level) for level in levels[1:])
    assert _max_rank_error(sketch, np.tile(chunk, 150)) <= EPS_DOUBLE


def test_agrees_with_datasketches() -> None:
    """Same data into both: each sketch's quantiles sit within the bound of the true ranks, so within twice the
    bound of each other."""
    for name, values in _distributions(np.random.default_rng(13), 200_000).items():
        ours, theirs = _filled(values), kll_doubles_sketch(200)
        theirs.update(values)
        assert ours.n == theirs.n and ours.num_retained == theirs.num_retained, name
        assert (ours.min, ours.max) == (theirs.get_min_value(), theirs.get_max_value())
        ranks = np.linspace(0.01, 0.99, 99)
        exact = np.sort(values)
        for sketch_quantile in (ours.get_quantile, theirs.get_quantile):
            quantiles = np.array([sketch_quantile(r) for r in ranks])
            # A quantile is right when the rank sits within [rank below it, rank at it] (ties span a range).
            below = np.searchsorted(exact, quantiles, side="left") / exact.size
            at = np.searchsorted(exact, quantiles, side="right") / exact.size
            assert np.maximum(below - ranks, ranks - at).max() <= EPS_DOUBLE, name
        points = np.unique(np.quantile(values, ranks))
        difference = ours.get_cdf(points)[:-1] - np.array(theirs.get_cdf(points.tolist(), True))[:-1]
        assert np.abs(difference).max() <= 2 * EPS_DOUBLE, name


def test_each_column_and_shard_flips_its_own_coins() -> None:
    from modelmonitor.analyzer.stats.dataset_stats import DatasetStats
    from modelmonitor.analyzer.stats.kll import DEFAULT_SEED, sketch_seed

    assert sketch_seed("", "a") == sketch_seed("", "a")  # reruns give the same sketches
    seeds = {sketch_seed(shard, column) for shard in ("", "algo-1", "algo-2") for column in ("a", "b")}
    assert len(seeds) == 6 and DEFAULT_SEED not in seeds
    values = np.random.default_rng(2).normal(size=20_000)
    levels = []
    for salt in ("algo-1", "algo-2"):
        stats = DatasetStats(seed_salt=salt)
        stats.column("x").sketch.update(values)
        levels.append(stats.column("x").sketch.levels())
    assert levels[0] != levels[1]  # same data, independent coins


def test_sagemaker_parameters_k_2048_c_064() -> None:
    """SageMaker's analyzer writes `"parameters": {"c": 0.64, "k": 2048.0}`: the same compaction scheme with
    capacities round(k * 0.64**depth) keeps its accuracy — exact up to k values, and over 50 seeds the worst rank
    error stays within DataSketches' double-sided bound for k = 2048."""
    rng = np.random.default_rng(11)
    small = rng.normal(size=2048)
    exact = KllSketch(k=2048, c=0.64)
    exact.update(small)
    assert len(exact.levels()) == 1 and sorted(exact.levels()[0]) == sorted(small.tolist())
    values = rng.lognormal(size=200_000)
    truth = _Truth(values)
    errors = []
    for seed in range(50):
        sketch = KllSketch(k=2048, seed=seed, c=0.64)
        sketch.update(values)
        assert sketch.n == values.size and sketch.c == 0.64
        errors.append(truth.max_error(sketch))
    assert np.mean(np.array(errors) > normalized_rank_error(2048, True)) <= 0.04, max(errors)
    # A document without c (written before c was a parameter) is DataSketches' 2/3.
    legacy = {"k": 200, "n": 1, "min": 1.0, "max": 1.0, "levels": [[1.0]]}
    assert KllSketch.from_json(legacy).c == 2 / 3
    assert KllSketch.from_json(exact.to_json()).to_json() == exact.to_json()


def test_from_levels_survives_items_that_change_the_lists_being_read() -> None:
    """An item's __float__ runs Python code; it may empty the very list being read (it used to be read in place)."""
    script = """
from modelmonitor.analyzer.stats.kll import KllSketch
level = []
class Evil:
    def __float__(self):
        level.clear()
        return 1.0
level.extend([Evil(), 2.0, 3.0])
try:
    KllSketch.from_levels([level], 3, 1.0, 3.0)
except (ValueError, TypeError) as exc:
    print("refused", exc)
else:
    print("read")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(("read", "refused"))


def test_merged_count_past_2_to_the_64_is_refused_not_wrapped() -> None:
    """Two crafted shards of n = 2**63 (8 items of weight 2**60 each) would merge to n = 0."""
    levels: list[list[float]] = [[] for _ in range(60)] + [[1.0] * 8]
    big = KllSketch.from_levels(levels, 2**63, 1.0, 1.0)
    other = KllSketch.from_levels(levels, 2**63, 1.0, 1.0)
    with pytest.raises(OverflowError, match="2\\*\\*64"):
        big.merge(other)
    assert big.n == 2**63  # unchanged
    _items, cumulative = big.sorted_view()
    assert int(cumulative[-1]) == 2**63  # summed without wrapping (unsigned 64-bit)
    assert big.get_cdf([1.0])[0] == 1.0


def test_to_json_is_one_consistent_snapshot_under_concurrent_updates() -> None:
    sketch = KllSketch(seed=3)
    stop = threading.Event()

    def feed() -> None:
        rng = np.random.default_rng(0)
        while not stop.is_set():
            sketch.update(rng.normal(size=997))

    worker = threading.Thread(target=feed)
    worker.start()
    try:
        for _ in range(300):
            doc = sketch.to_json()
            assert sum(len(level) << h for h, level in enumerate(doc["levels"])) == doc["n"]
    finally:
        stop.set()
        worker.join(timeout=30)
