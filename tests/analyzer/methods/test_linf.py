"""L∞ (SageMaker/Deequ), Simple and Robust, against scipy and hand-worked values."""

from __future__ import annotations

import pytest

from modelmonitor.analyzer.base.distributions import CategoricalCounts
from modelmonitor.analyzer.methods import linf


def test_linf_robust_hand_worked_categorical() -> None:
    # p = (0.6, 0.4), q = (0.3, 0.7): simple 0.3; correction 1.8·√(200/10000) = 0.2545584412; robust 0.0454415588.
    ref, cur = CategoricalCounts({"a": 60, "b": 40}), CategoricalCounts({"a": 30, "b": 70})
    assert linf(ref, cur, comparison="Simple").statistic == pytest.approx(0.3)
    robust = linf(ref, cur, comparison="Robust")
    assert robust.statistic == pytest.approx(0.0454415588, abs=1e-9)
    assert robust.drifted is False


def test_linf_robust_is_never_negative() -> None:
    ref, cur = CategoricalCounts({"a": 50, "b": 50}), CategoricalCounts({"a": 48, "b": 52})
    assert linf(ref, cur).statistic == 0.0


def test_linf_categorical_new_category_counts() -> None:
    # q has 25 % "c" that p lacks: |0 − 0.25| is the largest gap.
    ref, cur = CategoricalCounts({"a": 500, "b": 500}), CategoricalCounts({"a": 375, "b": 375, "c": 250})
    assert linf(ref, cur, comparison="Simple").statistic == pytest.approx(0.25)
