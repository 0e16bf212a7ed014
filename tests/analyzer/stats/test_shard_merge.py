"""Partial statistics of 4 shards merge into the same verdicts as one pass; quantiles stay within the KLL bound."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.run.runner import run
from modelmonitor.analyzer.stats.dataset_stats import KLL_K, PARTIAL_FORMAT, DatasetStats
from modelmonitor.analyzer.stats.kll import KllSketch, normalized_rank_error
from tests.analyzer import datagen
from tests.analyzer.conftest import monitor_job


def _distance(description: str) -> float:
    return float(description.split()[1])


def test_four_shards_merged_equal_one_pass(baseline_dir: Path, tmp_path: Path) -> None:
    files = datagen.write_captures(tmp_path / "all", datagen.drifted_columns(4000), datagen.WINDOW_START, files=4)
    one_pass = run(monitor_job(baseline_dir, tmp_path / "all", tmp_path / "one"))

    for shard in range(4):
        shard_dir = tmp_path / f"shard{shard}"
        for f in files[shard::4]:
            target = shard_dir / f.relative_to(tmp_path / "all")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
        result = run(monitor_job(baseline_dir, shard_dir, tmp_path / f"part{shard}", stage="shard"))
        (tmp_path / "partials").mkdir(exist_ok=True)
        (tmp_path / "partials" / f"part{shard}.json").write_bytes(
            Path(result.outputs["partial_statistics"]).read_bytes())
    merged = run(monitor_job(baseline_dir, tmp_path / "partials", tmp_path / "merged", stage="merge"))

    assert merged.item_count == one_pass.item_count == 4000
    # Same verdicts; drift distances differ only by the sketches' rank error (each side within its bound).
    assert [(v.feature_name, v.constraint_check_type) for v in merged.violations] == \
        [(v.feature_name, v.constraint_check_type) for v in one_pass.violations]
    bound = normalized_rank_error(KLL_K, False)
    for a, b in zip(merged.violations, one_pass.violations, strict=True):
        if a.constraint_check_type == "baseline_drift_check":
            assert abs(_distance(a.description) - _distance(b.description)) <= 2 * bound
        else:
            assert a.description == b.description
    assert merged.drifted_features == one_pass.drifted_features
    one = json.loads((tmp_path / "one/statistics.json").read_text())
    both = json.loads((tmp_path / "merged/statistics.json").read_text())
    for a, b in zip(one["features"], both["features"], strict=True):
        assert a["name"] == b["name"] and a["inferred_type"] == b["inferred_type"]
        if "numerical_statistics" in a:
            na, nb = a["numerical_statistics"], b["numerical_statistics"]
            assert na["common"] == nb["common"]
            assert abs(nb["mean"] - na["mean"]) < 1e-9 * abs(na["mean"]) + 1e-12
            assert abs(nb["std_dev"] - na["std_dev"]) < 1e-9 * na["std_dev"] + 1e-12
        else:
            assert a["string_statistics"] == b["string_statistics"]


def test_merged_sketch_quantiles_within_the_stated_rank_error() -> None:
    rng = np.random.default_rng(3)
    values = rng.lognormal(0, 1, 200_000)
    shards = np.array_split(values, 4)
    merged = DatasetStats()
    for shard in shards:
        part = DatasetStats()
        part.add_columns(["x"], [[f"{v:.6f}" for v in shard]], shard.size)
        # through JSON, as shards travel via S3
        restored, _ = DatasetStats.from_json(orjson.loads(orjson.dumps(part.to_json())))
        merged.merge(restored)
    sketch = merged.columns["x"].sketch
    bound = sketch.normalized_rank_error(False)
    assert bound < 0.02
    exact = np.sort(np.round(values, 6))
    for rank in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        q = sketch.get_quantile(rank)
        true_rank = np.searchsorted(exact, q, side="right") / exact.size
        assert abs(true_rank - rank) <= bound, (rank, true_rank)
    col = merged.columns["x"]
    assert col.count == 200_000
    assert abs(col.mean - exact.mean()) < 1e-9 * exact.mean()
    assert abs(col.std_dev - exact.std()) < 1e-9 * exact.std()


def test_merged_sketch_keeps_the_true_count() -> None:
    rng = np.random.default_rng(1)
    merged = KllSketch(KLL_K)
    for chunk in np.array_split(rng.normal(1, 1, 4000), 4):
        part = KllSketch(KLL_K)
        part.update(chunk)
        merged.merge(part)
    sample = merged.sample()
    assert sample.total == 4000 == sum(len(level) << h for h, level in enumerate(merged.levels()))
    assert abs(sample.cdf(np.array([1.0]))[0] - merged.get_cdf([1.0])[0]) < 1e-12


def test_partial_statistics_round_trip_the_sketch_as_json_levels() -> None:
    stats = DatasetStats()
    stats.add_columns(["x"], [[f"{v:.3f}" for v in np.random.default_rng(2).normal(size=5000)]], 5000)
    document = orjson.loads(orjson.dumps(stats.to_json()))
    assert document["version"] == 2
    kll = document["columns"][0]["kll"]
    assert set(kll) == {"k", "c", "n", "min", "max", "levels"} and kll["n"] == 5000
    restored, _ = DatasetStats.from_json(document)
    assert restored.to_json() == document


def test_version_1_partials_are_refused_with_what_to_do() -> None:
    with pytest.raises(AnalyzerInputError, match=r"version 1.*run the shard stage again"):
        DatasetStats.from_json({"format": PARTIAL_FORMAT, "version": 1, "item_count": 0, "columns": []})
    document = DatasetStats().to_json()
    document["columns"] = [{**_column_document(), "kll": {"k": 200, "n": 3, "min": 0.0, "max": 1.0,
                                                        "levels": [[0.0, 1.0]]}}]
    with pytest.raises(AnalyzerInputError, match=r"column 'x': invalid KLL sketch.*sum to 2, not n=3"):
        DatasetStats.from_json(document)


def _column_document() -> dict[str, object]:
    stats = DatasetStats()
    stats.add_columns(["x"], [["1", "2"]], 2)
    column: dict[str, object] = stats.to_json()["columns"][0]
    return column
