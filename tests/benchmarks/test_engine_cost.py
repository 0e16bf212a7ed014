"""The cost model's arithmetic, checked against figures worked by hand from the published prices."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_cost", REPO / "benchmarks" / "engine_cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_cost"] = module
    spec.loader.exec_module(module)
    return module


cost = _load()


def test_hand_worked_costs_at_1k_records_per_hour() -> None:
    w = cost.Workload(records_per_hour=1_000, seconds_per_record=2e-5, fixed_seconds=0.0, bytes_per_record=420)
    # Model Monitor: 120 s start-up + 60 s built-in overhead + 0.02 s → 181 s billed at $0.23/h, 730 runs.
    assert cost.model_monitor_cost(w).monthly_usd == pytest.approx(181 / 3600 * 0.23 * 730)
    # Lambda: 2.02 s × 2.9375 GB × $0.0000166667 + $0.20/1M request + $1/1M scheduler + $1/1M event.
    lam = 2.02 * (3008 / 1024) * 0.0000166667 + 0.2e-6 + 1e-6 + 1e-6
    assert cost.lambda_cost(w).monthly_usd == pytest.approx(lam * 730)
    # processingJob: 121 s billed + 4 transitions × $0.000025 + scheduler + event.
    pj = 121 / 3600 * 0.23 + 4 * 0.000025 + 1e-6 + 1e-6
    assert cost.processing_job_cost(w).monthly_usd == pytest.approx(pj * 730)


def test_big_windows_leave_lambda_and_sharding_adds_a_merge_job() -> None:
    w = cost.Workload(records_per_hour=10_000_000, seconds_per_record=2e-5, fixed_seconds=0.0,
                      bytes_per_record=420)
    assert cost.lambda_cost(w).monthly_usd is None  # 4.2 GB > 2048 MB window limit
    sharded = cost.processing_job_cost(w, instance_count=4)
    # 4 shards of 2.5M records: 50 s each + 120 s start-up = 170 s × 4, plus a 120 s merge job.
    assert sharded.per_run_seconds == 4 * 170 + 120


def test_report_states_the_goal_and_unconfirmed_prices() -> None:
    text = cost.report(2e-5, 0.0, 420, "given", [1_000, 100_000, 10_000_000])
    assert "goal (≤ 1/10 of Model Monitor) at 1,000/h: MET" in text
    assert "goal (≤ 1/10 of Model Monitor) at 100,000/h: MET" in text
    assert "[UNCONFIRMED]" in text and "processing_m5_xlarge_hour" in text
    assert "exceeds the Lambda limits" in text
