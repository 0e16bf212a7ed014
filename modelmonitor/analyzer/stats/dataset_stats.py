"""Mergeable per-column statistics: type counts (SageMaker's Integral/Fractional/String), Chan-merged moments,
a KLL sketch (`kll.KllSketch`, our C implementation of Apache DataSketches' algorithm), category counts, and, in
monitor mode, exact counts on the baseline's bins. A window analysed as shards and merged gives the same
statistics as one pass (up to the KLL sketch's stated rank error), which is what sharded Processing jobs rely on."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelmonitor.analyzer.base.arrowlib import pa, pc
from modelmonitor.analyzer.base.binning import bin_counts
from modelmonitor.analyzer.base.distributions import FloatArray
from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.base.limits import CATEGORY_LIMIT
from modelmonitor.analyzer.native._csvfast import moments, more_distinct_than
from modelmonitor.analyzer.read.typed_chunk import TypedChunk, classify, type_text
from modelmonitor.analyzer.stats.kll import KllSketch, sketch_seed

KLL_K = 2048
"""SageMaker's analyzer's k (its statistics.json says `"k": 2048.0`): normalized rank error ≈ 0.19 % (two-sided,
99 % confidence) whatever the data size, exact while a column has at most k values."""
KLL_C = 0.64
"""SageMaker's analyzer's shrink factor of compactor capacities (`"c": 0.64`, Deequ's default)."""

PARTIAL_FORMAT = "modelmonitor-partial-statistics"
PARTIAL_VERSION = 2
"""2: the KLL sketch as plain JSON (k, n, min, max, levels). Version 1 held DataSketches' serialised bytes."""


@dataclass
class ColumnStats:
    name: str
    missing: int = 0
    integral: int = 0
    fractional: int = 0
    string: int = 0
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    sketch: KllSketch = field(default_factory=lambda: KllSketch(KLL_K, c=KLL_C))
    categories: dict[str, int] | None = field(default_factory=dict)
    edges: FloatArray | None = None
    histogram: FloatArray | None = None
    integer_hint: bool = field(default=True, repr=False, compare=False)

    @property
    def present(self) -> int:
        return self.integral + self.fractional + self.string

    @property
    def inferred_type(self) -> str:
        """Deequ's rule as SageMaker applies it: any string makes a String column, any fractional number a
        Fractional one; a column with no value at all is Unknown."""
        if self.present == 0:
            return "Unknown"
        if self.string > 0:
            return "String"
        return "Fractional" if self.fractional > 0 else "Integral"

    def add_text(self, values: Sequence[str] | Any) -> None:
        """Types, moments, sketch and categories of one chunk of text values ("" = missing), or of a chunk
        `type_text` already typed. Arrow's C++ kernels do the parsing; any chunk Arrow's number parser rejects
        (text, or spellings only Python accepts such as " 1" or "Infinity") takes the NumPy path, whose semantics
        are the reference."""
        if isinstance(values, TypedChunk):
            self.add_typed(values)
            return
        typed = type_text(values if isinstance(values, pa.Array) else pa.array(values, type=pa.string()))
        if typed is None:
            self._add_text_numpy(values.to_pylist() if isinstance(values, pa.Array) else values)
        else:
            self.add_typed(typed)

    def add_typed(self, chunk: TypedChunk) -> None:
        numbers = chunk.numbers
        if self.integer_hint:
            # The NumPy path parses all-integer chunks as int64 (no negative zero) until one chunk is not.
            if chunk.int64_exact:
                numbers = numbers + 0.0
            else:
                self.integer_hint = False
        self.missing += chunk.n_missing
        self.integral += chunk.n_integral
        self.fractional += chunk.n_fractional
        self.string += chunk.n_string
        self._add_numbers(numbers)
        if self.categories is None:
            return
        if chunk.counted is not None:
            self._add_category_counts(*chunk.counted)
        elif chunk.texts is None:
            self._add_untexted_categories(chunk)
        elif len(chunk.texts):
            texts = chunk.texts
            # A continuous column is told apart by its first values: counting all of them would cost ~10x more.
            if (len(texts) > CATEGORY_LIMIT
                    and pc.count_distinct(texts.slice(0, CATEGORY_LIMIT + 1)).as_py() > CATEGORY_LIMIT):
                self.categories = None
                return
            counted = pc.value_counts(texts)
            self._add_category_counts(counted.field("values").to_pylist(), counted.field("counts").to_pylist())

    def _add_untexted_categories(self, chunk: TypedChunk) -> None:
        """Category counts of a chunk typed without its text: the same decisions as from the text, made on the
        numbers where they suffice. Distinct numbers never outnumber distinct texts, so a probe that gives the
        column up on numbers would give it up on texts too."""
        numbers = chunk.numbers
        if more_distinct_than(numbers, CATEGORY_LIMIT):
            self.categories = None
            return
        if chunk.canonical:
            values, counts = np.unique(numbers, return_counts=True)
            self._add_category_counts([str(int(v)) for v in values.tolist()], counts.tolist())
            return
        if chunk.load_texts is None:
            raise AnalyzerInputError(f"column {self.name!r}: a chunk came without its text")
        counted = pc.value_counts(chunk.load_texts())
        texts, text_counts = counted.field("values"), counted.field("counts")
        # Every value is a number or missing; only "" and spellings with letters or exponents can be missing.
        doubtful = np.flatnonzero(pc.or_(pc.equal(texts, ""),
                                         pc.match_substring_regex(texts, "[^0-9.+-]")).to_numpy(zero_copy_only=False))
        if doubtful.size:
            missing = [int(i) for i in doubtful if classify(texts[int(i)].as_py()) > 1]
            if missing:
                keep = np.ones(len(texts), dtype=bool)
                keep[missing] = False
                texts, text_counts = texts.filter(keep), text_counts.filter(keep)
        self._add_category_counts(texts.to_pylist(), text_counts.to_pylist())

    def _add_category_counts(self, values: list[str], counts: list[int]) -> None:
        if self.categories is None or not values:
            return
        if len(values) > CATEGORY_LIMIT:
            self.categories = None
            return
        # Sorted like np.unique (code point order) so the dict's order matches the NumPy path.
        pairs = sorted(zip(values, counts, strict=True))
        for value, count in pairs:
            self.categories[value] = self.categories.get(value, 0) + count
        if len(self.categories) > CATEGORY_LIMIT:
            self.categories = None

    def _add_text_numpy(self, values: Sequence[str]) -> None:
        arr = np.asarray(values, dtype=np.str_)
        missing = arr == ""
        present = arr[~missing] if missing.any() else arr
        self.missing += int(missing.sum())
        if not present.size:
            return
        numbers: FloatArray | None = None
        if self.integer_hint:
            try:
                numbers = present.astype(np.int64).astype(np.float64)
                self.integral += present.size
            except (ValueError, OverflowError):
                # Remember: later chunks of this column go straight to the float parser.
                self.integer_hint = False
        if numbers is None:
            try:
                numbers = present.astype(np.float64)
            except ValueError:
                present, numbers = self._add_mixed(present)
            else:
                present, numbers = self._add_parsed(present, numbers)
        self._add_numbers(numbers)
        self._add_categories(present)

    def _add_parsed(self, present: np.ndarray, numbers: FloatArray) -> tuple[np.ndarray, FloatArray]:
        """All values are numbers: count Integral vs Fractional by their text, as Deequ's patterns do ("3.0" and
        "1e3" are Fractional). Only integer-valued numbers need the text check."""
        finite = np.isfinite(numbers)
        whole = np.flatnonzero(finite & (numbers == np.floor(numbers)))
        n_integral = 0
        if whole.size:
            texts = present[whole]
            written_fractional = ((np.char.find(texts, ".") >= 0) | (np.char.find(texts, "e") >= 0)
                                  | (np.char.find(texts, "E") >= 0))
            n_integral = int(whole.size - written_fractional.sum())
        n_finite = int(finite.sum())
        self.integral += n_integral
        self.fractional += n_finite - n_integral
        self.missing += present.size - n_finite
        if n_finite == present.size:
            return present, numbers
        return present[finite], numbers[finite]

    def _add_mixed(self, present: np.ndarray) -> tuple[np.ndarray, FloatArray]:
        """Some values are not numbers: classify each distinct value once."""
        uniq, inverse = np.unique(present, return_inverse=True)
        kinds = np.array([classify(str(u)) for u in uniq], dtype=np.int8)[inverse]
        self.integral += int((kinds == 0).sum())
        self.fractional += int((kinds == 1).sum())
        self.string += int((kinds == 2).sum())
        self.missing += int((kinds == 3).sum())
        numbers: FloatArray = present[kinds <= 1].astype(np.float64)
        return present[kinds <= 2], numbers

    def _add_numbers(self, numbers: FloatArray) -> None:
        if not numbers.size:
            return
        total, chunk_mean, chunk_m2, lowest, highest = moments(np.ascontiguousarray(numbers))
        self._merge_moments(numbers.size, chunk_mean, chunk_m2, total)
        self.minimum = min(self.minimum, lowest)
        self.maximum = max(self.maximum, highest)
        self.sketch.update(numbers)
        if self.edges is not None and self.histogram is not None:
            self.histogram += bin_counts(numbers, self.edges)

    def _merge_moments(self, n: int, mean: float, m2: float, total: float) -> None:
        # Chan et al. (1979) pairwise update: exact and order-independent up to rounding.
        combined = self.count + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.count * n / combined
        self.mean += delta * n / combined
        self.count = combined
        self.total += total

    def _add_categories(self, present: np.ndarray) -> None:
        if self.categories is None or not present.size:
            return
        uniq, counts = np.unique(present, return_counts=True)
        if uniq.size > CATEGORY_LIMIT:
            self.categories = None
            return
        for value, count in zip(uniq.tolist(), counts.tolist(), strict=True):
            self.categories[value] = self.categories.get(value, 0) + count
        if len(self.categories) > CATEGORY_LIMIT:
            self.categories = None

    def add_missing(self, n: int) -> None:
        """Rows of a batch that did not have this column."""
        self.missing += n

    @property
    def std_dev(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else 0.0

    def merge(self, other: ColumnStats) -> None:
        self.missing += other.missing
        self.integral += other.integral
        self.fractional += other.fractional
        self.string += other.string
        if other.count:
            self._merge_moments(other.count, other.mean, other.m2, other.total)
            self.minimum = min(self.minimum, other.minimum)
            self.maximum = max(self.maximum, other.maximum)
            self.sketch.merge(other.sketch)
        if self.categories is not None and other.categories is not None:
            for value, count in other.categories.items():
                self.categories[value] = self.categories.get(value, 0) + count
            if len(self.categories) > CATEGORY_LIMIT:
                self.categories = None
        else:
            self.categories = None
        if self.histogram is not None and other.histogram is not None:
            if self.edges is None or other.edges is None or not np.array_equal(self.edges, other.edges):
                raise AnalyzerInputError(f"column {self.name!r}: partial statistics use different bins")
            self.histogram += other.histogram

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "missing": self.missing, "integral": self.integral,
            "fractional": self.fractional, "string": self.string, "count": self.count, "mean": self.mean,
            "m2": self.m2, "sum": self.total,
            "min": self.minimum if self.count else None, "max": self.maximum if self.count else None,
            "kll": self.sketch.to_json(),
            "categories": self.categories,
            "edges": None if self.edges is None else self.edges.tolist(),
            "histogram": None if self.histogram is None else self.histogram.tolist(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ColumnStats:
        edges = None if raw.get("edges") is None else np.asarray(raw["edges"], dtype=np.float64)
        histogram = None if raw.get("histogram") is None else np.asarray(raw["histogram"], dtype=np.float64)
        try:
            sketch = KllSketch.from_json(raw["kll"])
        except ValueError as exc:
            raise AnalyzerInputError(
                f"column {raw['name']!r}: invalid KLL sketch in partial statistics: {exc}") from exc
        return cls(
            name=str(raw["name"]), missing=int(raw["missing"]), integral=int(raw["integral"]),
            fractional=int(raw["fractional"]), string=int(raw["string"]), count=int(raw["count"]),
            mean=float(raw["mean"]), m2=float(raw["m2"]), total=float(raw["sum"]),
            minimum=math.inf if raw.get("min") is None else float(raw["min"]),
            maximum=-math.inf if raw.get("max") is None else float(raw["max"]),
            sketch=sketch,
            categories=None if raw.get("categories") is None else {str(k): int(v)
                                                                   for k, v in raw["categories"].items()},
            edges=edges, histogram=histogram,
        )


ColumnRunner = Callable[[str, Callable[[Any], None], Any], None]
"""Runs one column's share of a batch: (column name, work, its argument)."""


def _run_here(_name: str, work: Callable[[Any], None], argument: Any) -> None:
    work(argument)


@dataclass
class DatasetStats:
    """All columns of a dataset or window, in first-seen order."""

    item_count: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    bins: dict[str, FloatArray] = field(default_factory=dict)
    """Baseline bin edges per numeric column (monitor mode): new columns get exact histograms on them."""
    sketch_k: int = KLL_K
    sketch_c: float = KLL_C
    """The KLL parameters of new columns' sketches (the partial statistics of a sharded run carry their own)."""
    seed_salt: str = ""
    """Mixed into each column's sketch seed with the column's name (`kll.sketch_seed`): the shard's id in a
    sharded run, so that sketches merged from shards flipped independent coins."""

    def column(self, name: str) -> ColumnStats:
        col = self.columns.get(name)
        if col is None:
            edges = self.bins.get(name)
            col = ColumnStats(name=name, edges=edges,
                              histogram=None if edges is None else np.zeros(edges.size + 1, dtype=np.float64),
                              sketch=KllSketch(self.sketch_k, seed=sketch_seed(self.seed_salt, name),
                                               c=self.sketch_c))
            # Rows seen before this column first appeared had no value for it.
            col.missing = self.item_count
            self.columns[name] = col
        return col

    def add_columns(self, names: Sequence[str], columns: Sequence[Sequence[str] | Any], n_rows: int,
                    run: ColumnRunner | None = None) -> None:
        """One batch. `run(name, work, argument)` does each column's share (`column_lanes` runs columns side by
        side); by default it is done here, in order."""
        run = run or _run_here
        seen = set(names)
        for name, values in zip(names, columns, strict=True):
            run(name, self.column(name).add_text, values)
        for name, col in self.columns.items():
            if name not in seen:
                run(name, col.add_missing, n_rows)
        self.item_count += n_rows

    def merge(self, other: DatasetStats) -> None:
        for name in other.columns:
            if name not in self.columns:
                self.column(name)
        for name, col in self.columns.items():
            theirs = other.columns.get(name)
            if theirs is None:
                col.missing += other.item_count
            else:
                col.merge(theirs)
        self.item_count += other.item_count

    def to_json(self, *, malformed: int = 0, unpaired: int = 0) -> dict[str, Any]:
        """`unpaired_records` (records whose outputs did not pair with their inputs) is optional on reading: a
        version-2 document without it counts none."""
        return {"format": PARTIAL_FORMAT, "version": PARTIAL_VERSION, "item_count": self.item_count,
                "malformed_records": malformed, "unpaired_records": unpaired,
                "columns": [c.to_json() for c in self.columns.values()]}

    @classmethod
    def from_json(cls, raw: Any) -> tuple[DatasetStats, int]:
        if not isinstance(raw, dict) or raw.get("format") != PARTIAL_FORMAT:
            raise AnalyzerInputError(f"not a {PARTIAL_FORMAT} document")
        if raw.get("version") == 1:
            raise AnalyzerInputError(
                f"{PARTIAL_FORMAT} version 1 (DataSketches' binary KLL sketches, from an earlier analyzer) cannot be "
                f"merged by this analyzer, which writes version {PARTIAL_VERSION}: run the shard stage again with "
                "this analyzer version, then the merge")
        if raw.get("version") != PARTIAL_VERSION:
            raise AnalyzerInputError(f"unsupported partial statistics version {raw.get('version')!r} "
                                     f"(this analyzer reads version {PARTIAL_VERSION})")
        stats = cls(item_count=int(raw["item_count"]))
        for col_raw in raw["columns"]:
            col = ColumnStats.from_json(col_raw)
            stats.columns[col.name] = col
            if col.edges is not None:
                stats.bins[col.name] = col.edges
        return stats, int(raw.get("malformed_records", 0))
