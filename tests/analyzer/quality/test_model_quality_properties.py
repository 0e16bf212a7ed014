"""Invariants of the merge and the rank AUC, over generated windows (hypothesis, bounded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from modelmonitor.analyzer.quality.model_quality import Labels, Predictions, evaluate, roc_auc

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=60))
def test_rank_auc_equals_sklearn_with_ties(pairs: list[tuple[bool, int]]) -> None:
    positive = np.array([p for p, _ in pairs])
    score = np.array([s for _, s in pairs], dtype=float)
    auc = roc_auc(positive, score)
    if positive.all() or not positive.any():
        assert auc is None
    else:
        assert auc == pytest.approx(skm.roc_auc_score(positive, score), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_merge_accounts_for_every_prediction_and_ignores_label_order(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"p{i}" for i in range(n)]
    scores = rng.random(n).tolist()
    fate = rng.integers(0, 3, n)  # 0 no label, 1 on time, 2 late
    label_ids = [ids[i] for i in range(n) if fate[i]] + ["stranger"]
    values = [str(int(rng.integers(0, 2))) for _ in label_ids]
    arrived = [T0 + timedelta(hours=30 if fate[i] == 2 else 2) for i in range(n) if fate[i]] + [T0]
    evaluation_time = T0 + timedelta(hours=24)
    forward = evaluate(Predictions(ids, [None] * n, scores), Labels(label_ids, values, arrived),
                       problem_type="BinaryClassification", evaluation_time=evaluation_time)
    order = rng.permutation(len(label_ids))
    shuffled = evaluate(Predictions(ids, [None] * n, scores),
                        Labels([label_ids[i] for i in order], [values[i] for i in order],
                               [arrived[i] for i in order]),
                        problem_type="BinaryClassification", evaluation_time=evaluation_time)
    coverage = forward.coverage
    assert coverage.matched + coverage.unmatched_predictions == n
    assert coverage.matched == int(np.sum(fate == 1))
    assert coverage.late_labels == int(np.sum(fate == 2))
    assert coverage.orphan_labels == 1
    assert shuffled.metrics == pytest.approx(forward.metrics)
    assert shuffled.coverage == coverage
