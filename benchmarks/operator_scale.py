"""Scale benchmark: N ModelMonitor resources through the real kopf operator (fake Pulumi backend) against the
kmock API-server emulator, all in this process.

Reports: time until every resource is Ready, reconciles per second, peak RSS (operator + emulator + client, one
process; kmock's log of served requests is dropped, see LeanEmulator), then restarts the operator and proves that
a no-op resync of all N makes zero driver calls. Goals (issue 14, at 1000): all Ready, zero driver calls on the
resync, peak RSS at most 250 MiB; each is printed PASS/MISS. Timings depend on the machine's load.

    .venv/bin/python benchmarks/operator_scale.py [--count 1000] [--max-concurrent-updates 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import yaml
from kmock._internal import apps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modelmonitor.demo.kube import ApiServerEmulator, register_resources, write_kubeconfig
from modelmonitor.operator import metrics
from modelmonitor.operator.fakes import FakeBackend
from tests.operator.harness import Cluster, fake_settings, operator

# The spec of the shipped minimal example (validated by tests/spec): a hand-written copy went stale when the spec
# began to require the capture destination, and every resource stalled as InvalidSpec.
MINIMAL_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "minimal.yaml"
SPEC: dict[str, Any] = yaml.safe_load(MINIMAL_EXAMPLE.read_text())["spec"]


RSS_GOAL_MIB = 250


@attrs.define(kw_only=True)
class LeanEmulator(ApiServerEmulator):
    """kmock keeps every request it has served in each reaction that served it, for assertions this benchmark
    never makes: about six per resource, each with its aiohttp request, stream reader and writer, locks and bus.
    At a thousand resources that log (not the operator) was tens of MiB of this process's peak RSS. It is
    dropped as requests arrive; what the operator holds is unchanged."""

    async def _handle(self, request: Any) -> Any:
        try:
            return await super()._handle(request)
        finally:
            for reaction in self._payloads:  # every reaction, fallbacks included, is registered on the root
                reaction._requests.clear()


@contextlib.asynccontextmanager
async def cluster(tmp_path: Path, env: Env) -> AsyncIterator[Cluster]:
    """tests/operator/harness.cluster with the lean emulator."""
    async with LeanEmulator() as k, apps.Server(k) as server:
        register_resources(k)
        env.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", server.url)))
        yield Cluster(k, str(server.url))


class Env:
    """The bit of pytest's monkeypatch the harness uses."""

    def setenv(self, name: str, value: str) -> None:
        os.environ[name] = value


def conditions_true(c: Cluster, type_: str) -> list[dict[str, Any]]:
    """The `type_` conditions that are True, one per ModelMonitor that has one."""
    found = []
    for (res, _ns, _name), obj in list(c.k.objects.items()):
        if str(res.plural) != "modelmonitors" or obj.deleted:
            continue
        conditions = obj.raw.get("status", {}).get("conditions", [])
        found += [x for x in conditions if x.get("type") == type_ and x.get("status") == "True"]
    return found


def ready_count(c: Cluster) -> int:
    return len(conditions_true(c, "Ready"))


def every_one_ready(c: Cluster, count: int) -> bool:
    """True once all are Ready; a Stalled resource never becomes Ready, so it ends the run with its reason."""
    stalled = conditions_true(c, "Stalled")
    if stalled:
        raise RuntimeError(f"{len(stalled)} resources stalled, e.g. {stalled[0].get('reason')}: "
                           f"{stalled[0].get('message')}")
    return ready_count(c) == count


def decisions(action: str, reason: str) -> float:
    return metrics.DECISIONS.labels(action, reason)._value.get()


async def wait_for(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.5)


async def run(count: int, max_concurrent: int, timeout: float) -> dict[str, Any]:
    backend = FakeBackend()
    settings = fake_settings(max_concurrent_updates=max_concurrent)
    with tempfile.TemporaryDirectory() as tmp:
        async with cluster(Path(tmp), Env()) as c:
            async with operator(backend, settings):
                started = time.monotonic()
                for first in range(0, count, 100):
                    await asyncio.gather(*(c.create(f"m{i:05d}", SPEC) for i in range(first, min(count, first + 100))))
                created = time.monotonic() - started
                await wait_for(lambda: every_one_ready(c, count), timeout)
                all_ready = time.monotonic() - started
            ups = backend.count("up")
            calls_before = len(backend.calls)
            skipped_before = decisions("skip", "UpToDate")
            async with operator(backend, settings):
                resync_started = time.monotonic()
                await wait_for(lambda: decisions("skip", "UpToDate") - skipped_before >= count, timeout)
                resync = time.monotonic() - resync_started
                await asyncio.sleep(1.0)  # room for any (wrong) late driver call to show up
            resources = sum(len(s.resources) for s in backend.stacks.values())
            creations = sum(s.creations for s in backend.stacks.values())
    return {
        "resources": count, "max_concurrent_updates": max_concurrent,
        "create_requests_seconds": round(created, 2), "time_to_all_ready_seconds": round(all_ready, 2),
        "reconciles_per_second": round(count / all_ready, 1), "pulumi_ups": ups,
        "stack_resources": resources, "stack_resource_creations": creations,
        "noop_resync_seconds": round(resync, 2),
        "noop_resync_decisions": int(decisions("skip", "UpToDate") - skipped_before),
        "noop_resync_driver_calls": len(backend.calls) - calls_before,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--max-concurrent-updates", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    logging.basicConfig(level=getattr(logging, os.environ.get("BENCH_LOG", "ERROR")),
                        format="%(asctime)s %(name)s %(message)s")
    result = asyncio.run(run(args.count, args.max_concurrent_updates, args.timeout))
    print(json.dumps(result, indent=2))
    goals = {"every resource Ready (one up each)": result["pulumi_ups"] == args.count,
             "zero driver calls on the no-op resync": result["noop_resync_driver_calls"] == 0,
             f"peak RSS <= {RSS_GOAL_MIB} MiB": result["peak_rss_mib"] <= RSS_GOAL_MIB}
    for goal, met in goals.items():
        print(f"{'PASS' if met else 'MISS'}  {goal}")
    ok = (result["pulumi_ups"] == args.count and result["noop_resync_driver_calls"] == 0
          and result["stack_resources"] == result["stack_resource_creations"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
