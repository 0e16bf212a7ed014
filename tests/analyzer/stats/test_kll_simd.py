"""Level zero sorted, and sorted runs merged, in AVX2 registers (`_kll_simd.c`) against the scalar code
(`MODELMONITOR_KLL_SIMD=0`, run in a subprocess because the choice is made once per process): the same sketches bit for
bit, whatever the data's shape and length, through updates, merges of similar and of lopsided sketches. Whether the
vector path runs at all is checked against the CPU's own flags (/proc/cpuinfo), so this test cannot quietly compare the
scalar path with itself."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from modelmonitor.analyzer.native import _kll

_CASES = r"""
import json, math, sys
import numpy as np
from modelmonitor.analyzer.stats.kll import KllSketch

rng = np.random.default_rng(20261207)
shapes = {
    "normal": rng.normal(size=150_000),
    "lognormal": rng.lognormal(size=150_000),
    "ties": rng.integers(0, 7, 150_000).astype(np.float64),
    "sorted": np.sort(rng.normal(size=150_000)),
    "reverse-sorted": np.sort(rng.normal(size=150_000))[::-1].copy(),
    "signed zeros and infinities": rng.choice([-math.inf, math.inf, -0.0, 0.0, 1.5, -2.5], 150_000),
}
out = {}
for name, values in shapes.items():
    for k, c in ((2048, 0.64), (200, 2 / 3), (5000, 0.64)):
        sketch = KllSketch(k=k, c=c, seed=7)
        for chunk in np.array_split(values, 7):  # uneven chunks: level zero compacts at every length
            sketch.update(chunk)
        other = KllSketch(k=k, c=c, seed=8)
        other.update(values[::3])
        sketch.merge(other)
        tiny = KllSketch(k=k, c=c, seed=9)  # a lopsided merge: a few items into long levels
        tiny.update(values[:37])
        sketch.merge(tiny)
        out[f"{name} k={k}"] = sketch.to_json()
for n in (31, 32, 33, 63, 64, 65, 100, 127, 129, 2047, 2048, 2049, 4096):
    exact = KllSketch(k=65535)
    exact.update(rng.normal(size=n))
    out[f"exact n={n}"] = exact.levels()
print(json.dumps(out))
"""

def _sketches(simd: bool, cwd: Path) -> dict[str, object]:
    """The cases' sketches from a child process, which imports the analyzer this process imports (the inherited
    path: the Lambda zip's modules in the layer run), not what the working directory would put first."""
    env = {**os.environ, "MODELMONITOR_KLL_SIMD": "1" if simd else "0"}
    done = subprocess.run([sys.executable, "-c", _CASES], capture_output=True, text=True, timeout=120, check=False,
                          env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _cpu_has_avx2() -> bool:
    flags = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    return any(line.startswith("flags") and " avx2" in line for line in flags.splitlines())


def _unsigned_zeros(document: Any) -> Any:
    """-0.0 as 0.0 everywhere in a document (x + 0.0 is 0.0 for either zero and x for anything else)."""
    if isinstance(document, dict):
        return {key: _unsigned_zeros(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_unsigned_zeros(value) for value in document]
    return document + 0.0 if isinstance(document, float) else document


def test_the_vector_sort_runs_where_the_cpu_has_avx2() -> None:
    assert _kll.SIMD_SORT is (platform.machine() == "x86_64" and _cpu_has_avx2())


def test_vector_and_scalar_sorts_give_the_same_sketches(tmp_path: Path) -> None:
    vector, scalar = _sketches(simd=True, cwd=tmp_path), _sketches(simd=False, cwd=tmp_path)
    assert vector.keys() == scalar.keys()
    for case in vector:
        if case.startswith("signed zeros"):
            # -0.0 and 0.0 compare equal, so either sort may order a tie of them either way (and a halving may then
            # keep the other one): the same values as numbers, not as text.
            assert _unsigned_zeros(vector[case]) == _unsigned_zeros(scalar[case]), case
        else:
            assert vector[case] == scalar[case], case
