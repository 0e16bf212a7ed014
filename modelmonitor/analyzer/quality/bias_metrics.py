"""SageMaker Clarify's bias metrics, vectorised: the pre-training metrics of a labelled dataset and the post-training
metrics of a model's predicted labels, by facet.

Definitions, short names and edge cases follow AWS's open-source reference implementation `smclarify` (0.5, the
library SageMaker Clarify's container runs) and the SageMaker Developer Guide pages "Pre-training Bias Metrics"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-data-bias.html) and "Post-training Data and Model
Bias Metrics" (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html).
tests/analyzer/quality/test_bias_metrics.py checks every metric against values `smclarify` computed.

Notation, as in the guide: `a` is the advantaged group (rows outside the sensitive facet), `d` the disadvantaged
one (rows in it); `n1` counts observed positive labels, `n1hat` predicted positive labels. Clarify's division rule
is kept: 0/0 is 0, x/0 is ±infinity, and a difference of two infinite rates is 0.

Every metric is computed from one pass of counts (`GroupCounts`) except the conditional ones (a group variable) and
the flip test (a nearest-neighbour model over the other features), so a window of a million rows costs a few
vectorised passes. A metric the data cannot support (an empty facet, no positive label, no group variable) is not an
error of the run: Clarify reports it with `value: null` and an `error` text, and so do we.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from modelmonitor.errors import ModelMonitorError

Flags = npt.NDArray[np.bool_]

PRE_TRAINING = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE")
"""Clarify's short names, in the (alphabetical) order its analysis.json lists them."""

DESCRIPTIONS = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}
"""Clarify's descriptions, verbatim (its spelling "Liebler" included: they are the text users see in AWS's files)."""

FLIP_TEST_ROWS = 20_000
"""The flip test fits a nearest-neighbour model on one group and queries it with the other (quadratic cost): at most
this many rows of each group take part, chosen evenly through the window, and the result says when it sampled."""

_FT_NEIGHBOURS, _FT_MIN_NEIGHBOURS, _FT_SMALL_GROUP = 5, 1, 9
"""smclarify's constants: 5 neighbours, or 1 when the advantaged group has at most 9 rows."""


class BiasMetricError(ModelMonitorError):
    """A metric the data cannot support; the message is what analysis.json shows as the metric's `error`."""


@dataclass(frozen=True)
class BiasData:
    """One facet's split of a window. `facet` marks the sensitive (disadvantaged) rows; `label` the observed positive
    labels; `predicted` the predicted positive labels (post-training only); `group` the conditional-demographic-
    disparity subgroup of each row; `features` the other numeric features, one row per row (flip test)."""

    facet: Flags
    label: Flags
    predicted: Flags | None = None
    group: npt.NDArray[Any] | None = None
    features: npt.NDArray[np.float64] | None = None


def divide(numerator: float, denominator: float) -> float:
    """Clarify's division: 0/0 is 0 and x/0 is ±infinity (a rate of an empty group is not an error)."""
    if denominator == 0:
        if numerator == 0:
            return 0.0
        return -math.inf if numerator < 0 else math.inf
    return numerator / denominator


def _difference(first: float, second: float) -> float:
    """A difference of two rates where both infinite means "equally undefined": 0, as Clarify reports it."""
    if first == second and math.isinf(first):
        return 0.0
    return first - second


@dataclass(frozen=True)
class GroupCounts:
    """Confusion counts of one group (`a` or `d`). Predicted counts are 0 when there are no predictions."""

    n: int
    n1: int
    n1hat: int
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n0(self) -> int:
        return self.n - self.n1

    @property
    def n0hat(self) -> int:
        return self.n - self.n1hat


def group_counts(members: Flags, label: Flags, predicted: Flags | None) -> GroupCounts:
    n, n1 = int(members.sum()), int((members & label).sum())
    if predicted is None:
        return GroupCounts(n, n1, 0, 0, 0, 0, 0)
    tp = int((members & label & predicted).sum())
    n1hat = int((members & predicted).sum())
    fp = n1hat - tp
    fn = n1 - tp
    return GroupCounts(n, n1, n1hat, tp, fp, fn, n - tp - fp - fn)


@dataclass(frozen=True)
class _Split:
    a: GroupCounts
    d: GroupCounts


def _split(data: BiasData, *, post_training: bool) -> _Split:
    if data.facet.shape != data.label.shape:
        raise ValueError(f"facet has {data.facet.size} rows and label {data.label.size}")
    predicted = data.predicted if post_training else None
    if post_training and predicted is None:
        raise ValueError("post-training metrics need predicted labels")
    return _Split(group_counts(~data.facet, data.label, predicted), group_counts(data.facet, data.label, predicted))


def _require_both(split: _Split) -> None:
    if split.d.n == 0:
        raise BiasMetricError("Facet set is empty")
    if split.a.n == 0:
        raise BiasMetricError("Negated facet set is empty")


# Pre-training metrics -------------------------------------------------------------------------------------------

def class_imbalance(split: _Split) -> float:
    _require_both(split)
    return (split.a.n - split.d.n) / (split.a.n + split.d.n)


def _positive_proportion_difference(a_pos: int, d_pos: int, split: _Split) -> float:
    _require_both(split)
    return a_pos / split.a.n - d_pos / split.d.n


def _label_distributions(split: _Split) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The two groups' label distributions over the label values both groups hold (smclarify's
    `pdfs_aligned_nonzero`: a value missing from either group is dropped from both, without renormalising)."""
    _require_both(split)
    pa = np.array([split.a.n0 / split.a.n, split.a.n1 / split.a.n])
    pd = np.array([split.d.n0 / split.d.n, split.d.n1 / split.d.n])
    both = (pa > 0) & (pd > 0)
    if not both.any():
        raise BiasMetricError("No instance of common facet found, dataset may be too small")
    return pa[both], pd[both]


def kl_divergence(split: _Split) -> float:
    pa, pd = _label_distributions(split)
    return float(np.sum(pa * np.log(pa / pd)))


def js_divergence(split: _Split) -> float:
    pa, pd = _label_distributions(split)
    middle = (pa + pd) / 2
    return float(0.5 * (np.sum(pa * np.log(pa / middle)) + np.sum(pd * np.log(pd / middle))))


def _lp_norm(split: _Split, order: float) -> float:
    pa, pd = _label_distributions(split)
    return float(np.linalg.norm(pa - pd, order))


def conditional_demographic_disparity(facet: Flags, positive: Flags, group: npt.NDArray[Any] | None) -> float:
    """CDD: the mean over subgroups, weighted by their size, of (the facet's share of the subgroup's rejections −
    its share of the subgroup's acceptances)."""
    if group is None or group.size == 0:
        raise BiasMetricError("Group variable is empty or not provided")
    if not positive.any():
        raise BiasMetricError("No positive labels in set")
    if positive.all():
        raise BiasMetricError("No negative labels in set")
    _, codes = np.unique(group, return_inverse=True)
    codes = codes.ravel()
    size = np.bincount(codes).astype(np.float64)
    accepted = np.bincount(codes, weights=positive).astype(np.float64)
    rejected = size - accepted
    accepted_facet = np.bincount(codes, weights=positive & facet, minlength=size.size)
    rejected_facet = np.bincount(codes, weights=~positive & facet, minlength=size.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_accepted = np.where(accepted > 0, accepted_facet / accepted, 0.0)
        share_rejected = np.where(rejected > 0, rejected_facet / rejected, 0.0)
    return divide(float(np.sum(size * (share_rejected - share_accepted))), float(np.sum(size)))


# Post-training metrics ------------------------------------------------------------------------------------------

def disparate_impact(split: _Split) -> float:
    _require_both(split)
    return divide(split.d.n1hat / split.d.n, split.a.n1hat / split.a.n)


def _rate_difference(split: _Split, rate: Callable[[GroupCounts], float], *, d_minus_a: bool) -> float:
    _require_both(split)
    rate_a, rate_d = rate(split.a), rate(split.d)
    return _difference(rate_d, rate_a) if d_minus_a else _difference(rate_a, rate_d)


def generalized_entropy(label: Flags, predicted: Flags) -> float:
    """GE with α = 2 over the benefit ŷ − y + 1 (half the squared coefficient of variation)."""
    if label.size == 0:
        raise BiasMetricError("dataset must be non-empty")
    benefit = predicted.astype(np.float64) - label.astype(np.float64) + 1.0
    mean = float(benefit.mean())
    if mean == 0:
        raise BiasMetricError("All predicted labels are false negatives. There should be at least one prediction "
                              "that is not false negative.")
    alpha = 2.0
    return float(((benefit / mean) ** alpha - 1).sum() / (label.size * alpha * (alpha - 1)))


def _evenly(indices: npt.NDArray[np.intp], limit: int) -> npt.NDArray[np.intp]:
    if indices.size <= limit:
        return indices
    return indices[np.linspace(0, indices.size - 1, limit).astype(np.intp)]


def _nearest(train: npt.NDArray[np.float64], query: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.intp]:
    """The k nearest training rows (Euclidean) of each query row, brute force in blocks to bound memory."""
    squared_train = np.einsum("ij,ij->i", train, train)
    block = max(1, 4_000_000 // max(1, train.shape[0]))
    out = np.empty((query.shape[0], k), dtype=np.intp)
    for start in range(0, query.shape[0], block):
        part = query[start:start + block]
        distance = squared_train[None, :] - 2.0 * part @ train.T + np.einsum("ij,ij->i", part, part)[:, None]
        out[start:start + block] = np.argpartition(distance, k - 1, axis=1)[:, :k]
    return out


def flip_test(facet: Flags, predicted: Flags, features: npt.NDArray[np.float64] | None,
              limit: int = FLIP_TEST_ROWS) -> float:
    """FT: a k-nearest-neighbour model of the advantaged group's predicted labels, asked about each disadvantaged
    row; (rows the model favours that the neighbours would not − the reverse) / disadvantaged rows."""
    if features is None or features.ndim != 2 or features.shape[1] == 0:
        raise BiasMetricError("FlipTest does not support non-numeric columns")
    if not np.isfinite(features).all():
        raise BiasMetricError("FlipTest needs a value in every feature of every row")
    advantaged = _evenly(np.flatnonzero(~facet), limit)
    disadvantaged = _evenly(np.flatnonzero(facet), limit)
    if disadvantaged.size == 0:
        raise BiasMetricError("Facet set is empty")
    if advantaged.size == 0:
        raise BiasMetricError("Negated Facet set is empty")
    k = _FT_NEIGHBOURS if advantaged.size > _FT_SMALL_GROUP else _FT_MIN_NEIGHBOURS
    k = min(k, advantaged.size)
    neighbours = _nearest(features[advantaged], features[disadvantaged], k)
    votes = predicted[advantaged][neighbours].sum(axis=1)
    if_advantaged = votes * 2 > k
    model = predicted[disadvantaged]
    flipped_up = int((model & ~if_advantaged).sum())
    flipped_down = int((~model & if_advantaged).sum())
    return divide(flipped_up - flipped_down, disadvantaged.size)


def _pre_training(data: BiasData, split: _Split) -> dict[str, Callable[[], float]]:
    return {
        "CDDL": lambda: conditional_demographic_disparity(data.facet, data.label, data.group),
        "CI": lambda: class_imbalance(split),
        "DPL": lambda: _positive_proportion_difference(split.a.n1, split.d.n1, split),
        "JS": lambda: js_divergence(split),
        "KL": lambda: kl_divergence(split),
        "KS": lambda: _lp_norm(split, math.inf),
        "LP": lambda: _lp_norm(split, 2),
        "TVD": lambda: 0.5 * _lp_norm(split, 1),
    }


def _post_training(data: BiasData, split: _Split) -> dict[str, Callable[[], float]]:
    predicted = data.predicted
    assert predicted is not None  # _split refused post-training data without predictions
    return {
        "AD": lambda: _rate_difference(split, lambda g: divide(g.tp + g.tn, g.n), d_minus_a=False),
        "CDDPL": lambda: conditional_demographic_disparity(data.facet, predicted, data.group),
        "DAR": lambda: _rate_difference(split, lambda g: divide(g.tp, g.n1hat), d_minus_a=False),
        "DCA": lambda: _rate_difference(split, lambda g: divide(g.n1, g.n1hat), d_minus_a=False),
        "DCR": lambda: _rate_difference(split, lambda g: divide(g.n0, g.n0hat), d_minus_a=True),
        "DI": lambda: disparate_impact(split),
        "DPPL": lambda: _positive_proportion_difference(split.a.n1hat, split.d.n1hat, split),
        "DRR": lambda: _rate_difference(split, lambda g: divide(g.tn, g.n0hat), d_minus_a=True),
        "FT": lambda: flip_test(data.facet, predicted, data.features),
        "GE": lambda: generalized_entropy(data.label, predicted),
        "RD": lambda: _rate_difference(split, lambda g: divide(g.tp, g.tp + g.fn), d_minus_a=False),
        "SD": lambda: _rate_difference(split, lambda g: divide(g.tn, g.tn + g.fp), d_minus_a=True),
        "TE": lambda: _rate_difference(split, lambda g: divide(g.fn, g.fp), d_minus_a=True),
    }


def json_value(value: float) -> float | str:
    """analysis.json's form of a metric value: Clarify writes an infinite value as the string "Infinity" or
    "-Infinity" (JSON has no infinity), a finite one as a number."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def metric_value(entry: dict[str, Any]) -> float | None:
    """The number a metric entry of analysis.json holds (infinite ones included), or None when it has none."""
    value = entry.get("value")
    if isinstance(value, str):
        return {"Infinity": math.inf, "-Infinity": -math.inf}.get(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def bias_metrics(data: BiasData, *, post_training: bool, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Clarify's metric entries for one facet value: `{"name", "description", "value"}`, or `value: null` with the
    `error` text when the data cannot support the metric. `names` picks metrics (default: all of the stage)."""
    split = _split(data, post_training=post_training)
    table = _post_training(data, split) if post_training else _pre_training(data, split)
    wanted = sorted(table) if names is None else list(names)
    unknown = [name for name in wanted if name not in table]
    if unknown:
        raise ValueError(f"unknown {'post' if post_training else 'pre'}-training bias metric(s) {unknown}; "
                         f"known: {', '.join(sorted(table))}")
    entries: list[dict[str, Any]] = []
    for name in wanted:
        entry: dict[str, Any] = {"name": name, "description": DESCRIPTIONS[name]}
        try:
            entry["value"] = json_value(table[name]())
        except BiasMetricError as error:
            entry["value"] = None
            entry["error"] = str(error)
        entries.append(entry)
    return entries
