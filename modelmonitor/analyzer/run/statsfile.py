"""SageMaker's `statistics.json` (version 0.0): built from `DatasetStats`, and read back (ours or the built-in
analyzer's) into the reference distributions a monitoring run compares against."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelmonitor.analyzer.base.distributions import CategoricalCounts, FloatArray, WeightedSample
from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.stats.dataset_stats import ColumnStats, DatasetStats

KLL_BUCKETS = 10
"""SageMaker materialises each KLL distribution in 10 equal-width buckets between min and max."""
NUMERIC_TYPES = frozenset({"Integral", "Fractional"})


def bucket_bounds(lo: float, hi: float) -> FloatArray:
    """The 11 bounds of the 10 buckets as SageMaker's analyzer computes them, each on its own: `lo + (hi - lo) * i
    / 10` (every bound in AWS's own statistics.json fits this; `numpy.linspace` differs in the last bits)."""
    return np.array([lo + (hi - lo) * i / KLL_BUCKETS for i in range(KLL_BUCKETS + 1)], dtype=np.float64)


def _kll_buckets(col: ColumnStats) -> list[dict[str, float]]:
    lo, hi = col.minimum, col.maximum
    if hi <= lo:
        return [{"lower_bound": lo, "upper_bound": hi, "count": float(col.count)}]
    bounds = bucket_bounds(lo, hi)
    # Bucket i counts lower_bound <= x < upper_bound (the last one also holds the maximum): the sketch's integer
    # weight strictly below each inner bound, so counts are whole numbers as in AWS's files.
    items, weights = col.sketch.sorted_view()
    below = np.searchsorted(items, bounds[1:-1], side="left")
    inner = np.where(below > 0, weights[np.maximum(below - 1, 0)], 0).astype(np.float64)
    total = float(weights[-1])
    cumulative = np.concatenate([[0.0], inner, [total]])
    if total != col.count:  # the sketch saw other values than the count holds: scale its ranks to the count
        cumulative *= col.count / total
    counts = np.diff(cumulative)
    return [{"lower_bound": float(bounds[i]), "upper_bound": float(bounds[i + 1]), "count": float(counts[i])}
            for i in range(KLL_BUCKETS)]


def feature_statistics(col: ColumnStats) -> dict[str, Any]:
    inferred = col.inferred_type
    common = {"num_present": col.present, "num_missing": col.missing}
    feature: dict[str, Any] = {"name": col.name, "inferred_type": inferred}
    if inferred in NUMERIC_TYPES:
        feature["numerical_statistics"] = {
            "common": common, "mean": col.mean, "sum": col.total, "std_dev": col.std_dev,
            "min": col.minimum, "max": col.maximum,
            "distribution": {"kll": {"buckets": _kll_buckets(col), "sketch": {
                # The sketch's own compactors, Deequ's layout: level h holds the items of weight 2**h.
                "parameters": {"c": col.sketch.c, "k": float(col.sketch.k)}, "data": col.sketch.levels()}}},
        }
    elif inferred == "String":
        categories = col.categories
        buckets = [] if categories is None else [
            {"value": value, "count": count}
            for value, count in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))]
        feature["string_statistics"] = {
            "common": common,
            "distinct_count": float(len(categories)) if categories is not None else float(col.present),
            "distribution": {"categorical": {"buckets": buckets}},
        }
    else:
        feature["string_statistics"] = {"common": common, "distinct_count": 0.0,
                                        "distribution": {"categorical": {"buckets": []}}}
    return feature


def statistics_document(stats: DatasetStats) -> dict[str, Any]:
    return {"version": 0.0, "dataset": {"item_count": stats.item_count},
            "features": [feature_statistics(c) for c in stats.columns.values()]}


@dataclass(frozen=True)
class ReferenceFeature:
    """One baseline feature as a monitoring run needs it."""

    name: str
    inferred_type: str
    num_present: float
    num_missing: float
    mean: float | None = None
    std_dev: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    sample: WeightedSample | None = None
    categories: CategoricalCounts | None = None
    kll_buckets: tuple[dict[str, float], ...] = ()

    @property
    def is_numeric(self) -> bool:
        return self.inferred_type in NUMERIC_TYPES


def _levels(data: Any) -> tuple[FloatArray, FloatArray] | None:
    """A sketch's items and their weights (level h: 2**h) read a level at a time, or None when some level is not a
    list of numbers: the caller then reads item by item, and its error names what is wrong."""
    if not isinstance(data, list):
        return None
    items, weights = [], []
    for h, level in enumerate(data):
        if not isinstance(level, list):
            return None
        try:
            array = np.array(level)
        except (ValueError, TypeError, OverflowError):
            return None
        if array.ndim != 1 or array.dtype.kind not in "fiu":  # booleans, text, None, nested lists: item by item
            return None
        items.append(array.astype(np.float64, copy=False))
        weights.append(np.full(array.size, 2.0**h))
    return np.concatenate(items), np.concatenate(weights)


def _sample_from_kll(kll: dict[str, Any], total: float) -> WeightedSample | None:
    data = kll.get("sketch", {}).get("data")
    if data:
        levels = _levels(data)
        values: FloatArray | list[float]
        weights: FloatArray | list[float]
        if levels is not None:
            values, weights = levels
        else:
            values = [float(v) for level in data for v in level]
            weights = [2.0**h for h, level in enumerate(data) for _ in level]
        sample = WeightedSample.of(values, weights)
        # Our sketches' weights sum to the count exactly; other writers' (Deequ's, older ours) need not: rescale.
        if sample.total > 0 and total > 0 and total / sample.total != 1.0:
            return WeightedSample.of(sample.values, sample.weights * (total / sample.total))
        return sample  # (a scale of 1 would give these very arrays back: sorted, weights unchanged)
    buckets = kll.get("buckets") or []
    if not buckets:
        return None
    mids = [(float(b["lower_bound"]) + float(b["upper_bound"])) / 2 for b in buckets]
    return WeightedSample.of(mids, [float(b["count"]) for b in buckets])


_BAD_VALUE = (KeyError, TypeError, ValueError, AttributeError)


class _FieldError(Exception):
    """A statistics.json feature field that cannot be read (`field` names it)."""

    def __init__(self, field: str, cause: Exception) -> None:
        super().__init__(field)
        self.field, self.cause = field, cause


@contextmanager
def _field(name: str) -> Iterator[None]:
    try:
        yield
    except _BAD_VALUE as exc:
        raise _FieldError(name, exc) from exc


def _reference_feature(raw: dict[str, Any]) -> ReferenceFeature:
    with _field("name"):
        name, inferred = str(raw["name"]), str(raw.get("inferred_type", "Unknown"))
    if "numerical_statistics" in raw:
        num = raw["numerical_statistics"]
        with _field("numerical_statistics.common"):
            common = num.get("common", {})
            present, missing = float(common.get("num_present", 0)), float(common.get("num_missing", 0))
        with _field("numerical_statistics.distribution.kll"):
            kll = num.get("distribution", {}).get("kll", {})
            sample, buckets = _sample_from_kll(kll, present), tuple(kll.get("buckets") or ())
        return ReferenceFeature(
            name=name, inferred_type=inferred, num_present=present, num_missing=missing, mean=num.get("mean"),
            std_dev=num.get("std_dev"), minimum=num.get("min"), maximum=num.get("max"), sample=sample,
            kll_buckets=buckets)
    with _field("string_statistics.common"):
        text = raw.get("string_statistics", {})
        common = text.get("common", {})
        present, missing = float(common.get("num_present", 0)), float(common.get("num_missing", 0))
    with _field("string_statistics.distribution.categorical.buckets"):
        values = text.get("distribution", {}).get("categorical", {}).get("buckets") or []
        categories = CategoricalCounts({str(b["value"]): float(b["count"]) for b in values}) if values else None
    return ReferenceFeature(name=name, inferred_type=inferred, num_present=present, num_missing=missing,
                            categories=categories)


def read_statistics(document: Any, source: str) -> tuple[int, list[ReferenceFeature]]:
    """(item_count, features) of a statistics.json; a precise error when it is not one."""
    try:
        raw_features = list(document["features"])
        item_count = int(document.get("dataset", {}).get("item_count", 0))
    except _BAD_VALUE as exc:
        raise AnalyzerInputError(f"{source}: not a SageMaker statistics.json ({type(exc).__name__}: {exc})") from exc
    features = []
    for index, raw in enumerate(raw_features):
        try:
            if not isinstance(raw, dict):
                raise _FieldError("(the feature itself)", TypeError(f"expected an object, got {type(raw).__name__}"))
            features.append(_reference_feature(raw))
        except _FieldError as err:
            label = repr(raw["name"]) if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"#{index}"
            raise AnalyzerInputError(
                f"{source}: feature {label} (features[{index}]): {err.field} cannot be read "
                f"({type(err.cause).__name__}: {err.cause}); fix or remove that feature") from err
    return item_count, features
