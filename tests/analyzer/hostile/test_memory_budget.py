"""Memory stays bounded by the reader's budget whatever the input's shape (docs/analyzer.md, "Input limits and
memory"). Measured as the kernel counts it: the peak resident memory of a child process running the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from modelmonitor.analyzer.base.limits import CATEGORY_LIMIT
from modelmonitor.analyzer.native._csvfast import parse_block
from tests.analyzer.hostile import child


def _text_csv(path: Path, width: int, rows: int, distinct: int) -> Path:
    """`width` text columns of `distinct` values each: few enough that the statistics stay small, so what is
    measured is the reader."""
    with path.open("w") as handle:
        handle.write(",".join(f"c{i}" for i in range(width)) + "\n")
        for r in range(rows):
            handle.write(",".join(f"t{(r * 7 + i) % distinct}" for i in range(width)) + "\n")
    return path


def test_wide_text_csv_peak_memory_is_a_small_multiple_of_the_input(tmp_path: Path) -> None:
    # A table of 32,768 slots for every text column of every block made a 47 MB file of 10,000 text columns peak at
    # 22.3 GB; at this scale (4.6 MB) the same tables took about 100 bytes of memory per input byte.
    wide = _text_csv(tmp_path / "wide.csv", width=2000, rows=600, distinct=60)
    small = _text_csv(tmp_path / "small.csv", width=3, rows=10, distinct=3)
    runs = {name: child.cli(["baseline", str(path), "-o", str(tmp_path / name), "--no-progress"], timeout=120)
            for name, path in (("wide", wide), ("small", small))}
    assert all(run.returncode == 0 for run in runs.values()), {k: v.stderr[-400:] for k, v in runs.items()}
    grown = runs["wide"].peak_bytes - runs["small"].peak_bytes  # less the interpreter and its imports
    size = wide.stat().st_size
    assert grown <= 25 * size, f"{grown / 2**20:.0f} MiB for a {size / 2**20:.1f} MiB input"


def test_text_tables_share_the_blocks_budget_and_overflow_to_arrow() -> None:
    # 500 text columns of 200 distinct texts: tables of 512 slots (32 bytes each) would take 8 MiB; a budget of
    # 1 MiB counts the first columns in C and leaves the rest to Arrow (None), whatever the category limit.
    width, rows = 500, 200
    block = "".join(",".join(f"v{r}x{c}" for c in range(width)) + "\n" for r in range(rows)).encode()
    out = np.empty((width, rows))
    parsed = parse_block(block, width, out, False, CATEGORY_LIMIT, 1 << 20)
    assert parsed is not None
    counted = [column for column in parsed[2] if column is not None]
    assert 0 < len(counted) < width
    assert all(len(column) == 2 and len(column[1]) == rows for column in counted)  # those counted are whole
    unbounded = parse_block(block, width, out, False, CATEGORY_LIMIT, 1 << 40)
    assert unbounded is not None and all(column is not None for column in unbounded[2])
