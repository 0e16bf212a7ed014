"""Shared binning for the histogram-based methods (PSI, Jensen-Shannon, chi²).

Numeric features are cut at the reference's quantiles (`DEFAULT_NUMERIC_BINS` equal-mass bins, ties merged), with
open outer bins so every current value lands somewhere: bin i holds `edges[i-1] < x <= edges[i]`. Categorical
features use one bin per category seen on either side, ordered by reference frequency (then name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from modelmonitor.analyzer.base.distributions import (
    BinnedCounts,
    CategoricalCounts,
    Distribution,
    FloatArray,
    WeightedSample,
    sorted_unique,
)
from modelmonitor.analyzer.native._csvfast import bin_counts as add_bin_counts

DEFAULT_NUMERIC_BINS = 10
"""Deciles of the reference: the customary PSI binning, and what SageMaker's own statistics materialise (10)."""

EMPTY_BIN_EPSILON = 1e-4
"""Proportion that replaces an empty bin's 0 before a log ratio (PSI). Without it one empty bin makes PSI
infinite; with `sys.float_info.min` (frouros) one empty bin dominates everything (PSI ≈ 135 for N(0,1) vs N(1,1)).
1e-4 means "rarer than 1 in 10 000", and keeps a single empty bin's contribution bounded by ≈ p·ln(p/1e-4)."""


COMPARE_EDGES_MAX = 32
"""Up to this many edges, bins are counted by comparisons instead of a binary search per value."""


def quantile_edges(ref: WeightedSample, n_bins: int = DEFAULT_NUMERIC_BINS) -> FloatArray:
    """Inner bin edges at the reference's 1/n … (n-1)/n weighted quantiles, duplicates removed."""
    if n_bins < 2 or not ref.values.size:
        return np.empty(0, dtype=np.float64)
    targets = np.arange(1, n_bins) / n_bins * ref.total
    idx = np.searchsorted(ref.cumulative, targets, side="left")
    edges = sorted_unique(ref.values[np.minimum(idx, ref.values.size - 1)])
    # An edge equal to the maximum would leave the top bin empty by construction.
    inner: FloatArray = edges[edges < ref.values[-1]]
    return inner


def bin_counts(values: npt.ArrayLike, edges: FloatArray, weights: npt.ArrayLike | None = None) -> FloatArray:
    """Weighted counts per bin for `len(edges) + 1` bins (`edges[i-1] < x <= edges[i]`)."""
    if weights is None:
        # Unweighted (a window's values): counted in C without the GIL, the same bins as below.
        exact: FloatArray = np.zeros(edges.size + 1, dtype=np.float64)
        add_bin_counts(np.ascontiguousarray(values, dtype=np.float64), np.ascontiguousarray(edges, dtype=np.float64),
                       exact)
        return exact
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if edges.size <= COMPARE_EDGES_MAX:
        # Index = how many edges lie below x (searchsorted's "left" side): a few vectorised comparisons beat a
        # binary search per value several times over. NaN compares false everywhere; searchsorted sorts it last.
        below = np.zeros(v.shape, dtype=np.uint8)
        for edge in edges:
            below += v > edge
        nan = np.isnan(v)
        if nan.any():
            below[nan] = edges.size
        idx: npt.NDArray[np.integer[Any]] = below
    else:
        idx = np.searchsorted(edges, v, side="left")
    counts: FloatArray = np.bincount(idx, weights=w, minlength=edges.size + 1).astype(np.float64)
    return counts


def sample_counts(sample: WeightedSample, edges: FloatArray) -> FloatArray:
    return bin_counts(sample.values, edges, sample.weights)


def _counts_on(sample: WeightedSample, edges: FloatArray) -> FloatArray:
    """`sample_counts`, counted once for the window's bins of one feature (PSI and JS both ask)."""
    for known_edges, counts in sample._binned[:1]:
        if known_edges is edges:
            return counts
    counts = sample_counts(sample, edges)
    sample._binned[:] = [(edges, counts)]
    return counts


def categorical_counts(ref: CategoricalCounts, cur: CategoricalCounts) -> tuple[list[str], FloatArray, FloatArray]:
    """Aligned count vectors over the union of categories (reference's most frequent first)."""
    labels = sorted(set(ref.counts) | set(cur.counts), key=lambda k: (-ref.counts.get(k, 0.0), k))
    r = np.array([ref.counts.get(k, 0.0) for k in labels], dtype=np.float64)
    c = np.array([cur.counts.get(k, 0.0) for k in labels], dtype=np.float64)
    return labels, r, c


def proportions(counts: FloatArray, epsilon: float = 0.0) -> FloatArray:
    """Counts → proportions; with `epsilon`, empty bins become `epsilon` (not renormalised, as PSI customarily is)."""
    total = counts.sum()
    p: FloatArray = counts / total if total > 0 else np.zeros_like(counts)
    if epsilon > 0:
        p = np.where(p > 0, p, epsilon)
    return p


def aligned_counts(ref: Distribution | BinnedCounts, cur: Distribution | BinnedCounts,
                   n_bins: int = DEFAULT_NUMERIC_BINS) -> tuple[FloatArray, FloatArray]:
    """Count vectors of both sides on the same bins: categories for categorical counts, the reference's
    quantile bins for numeric samples (or the bins a `BinnedCounts` side was recorded on)."""
    if isinstance(ref, CategoricalCounts) and isinstance(cur, CategoricalCounts):
        _, r, c = categorical_counts(ref, cur)
        return r, c
    if isinstance(ref, WeightedSample) and isinstance(cur, BinnedCounts):
        return _counts_on(ref, cur.edges), cur.counts
    if isinstance(ref, BinnedCounts) and isinstance(cur, BinnedCounts):
        if not np.array_equal(ref.edges, cur.edges):
            raise ValueError("binned counts recorded on different bins")
        return ref.counts, cur.counts
    if isinstance(ref, WeightedSample) and isinstance(cur, WeightedSample):
        edges = quantile_edges(ref, n_bins)
        return sample_counts(ref, edges), sample_counts(cur, edges)
    raise TypeError(f"cannot bin {type(ref).__name__} against {type(cur).__name__}")
