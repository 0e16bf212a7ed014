"""Render 1, 10 and 100 monitors under Pulumi mocks and print the time per monitor (goal: 100 in ≤ 5 s).

    .venv/bin/python benchmarks/render_scale.py

Monitors are copies of examples/full.yaml (the largest: endpoint, baseline job, both qualities, 10 alarms),
renamed, all in one region, so they share one Platform — as a `monitors/` directory of one account would.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from modelmonitor.components.render import render_plan  # noqa: E402
from modelmonitor.loader import load_monitors  # noqa: E402
from modelmonitor.spec import ModelMonitorDocument  # noqa: E402


def copies(count: int) -> list[ModelMonitorDocument]:
    (template,) = load_monitors(REPO / "examples" / "full.yaml")
    document = template.document
    out = []
    for i in range(count):
        create = document.spec.endpoint.create
        assert create is not None
        endpoint = document.spec.endpoint.model_copy(update={"create": create.model_copy(
            update={"name": f"credit-default-{i}"})})
        out.append(document.model_copy(update={
            "metadata": document.metadata.model_copy(update={"name": f"credit-default-{i}"}),
            "spec": document.spec.model_copy(update={"endpoint": endpoint})}))
    return out


def main() -> None:
    render_plan(copies(1))  # warm-up: imports and provider module loading are not per-monitor costs
    # CPU seconds are printed beside wall seconds: on a shared machine the wall clock mostly measures the load.
    print(f"{'monitors':>8} {'resources':>9} {'wall s':>7} {'cpu s':>6} {'wall ms/monitor':>15} {'cpu ms/monitor':>14}")
    for count in (1, 10, 100):
        documents = copies(count)
        start, cpu = time.perf_counter(), time.process_time()
        plan = render_plan(documents)
        elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
        print(f"{count:>8} {len(plan):>9} {elapsed:>7.2f} {cpu_used:>6.2f} {1000 * elapsed / count:>15.1f} "
              f"{1000 * cpu_used / count:>14.1f}")


if __name__ == "__main__":
    main()
