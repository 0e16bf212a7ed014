"""Run the real kopf operator in-process against kmock's Kubernetes emulator.

The emulator is subclassed so that writes behave like an API server's where the operator depends on it:
every write bumps metadata.resourceVersion, a spec change bumps metadata.generation, creation assigns uid,
generation 1 and creationTimestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import kopf
from kmock._internal import apps

from modelmonitor.demo.kube import RESOURCE, ApiServerEmulator, register_resources, write_kubeconfig
from modelmonitor.operator import flows
from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.settings import OperatorSettings

NAMESPACE = "ml"


@attrs.define
class Cluster:
    """The emulator, its URL, and helpers to act like kubectl."""

    k: ApiServerEmulator
    url: str

    def obj(self, name: str, namespace: str = NAMESPACE) -> dict[str, Any] | None:
        try:
            found = self.k.objects[RESOURCE, namespace, name]
        except KeyError:
            return None
        return None if found.deleted else found.raw

    async def request(self, method: str, path: str, body: Any = None,
                      content_type: str = "application/merge-patch+json") -> Any:
        import aiohttp

        async with aiohttp.ClientSession() as session, session.request(
                method, self.url.rstrip("/") + path, json=body, headers={"Content-Type": content_type}) as resp:
            assert resp.status < 400, f"{method} {path}: {resp.status} {await resp.text()}"
            return await resp.json()

    def _path(self, name: str | None = None, namespace: str = NAMESPACE) -> str:
        base = f"/apis/modelmonitor.io/v1alpha1/namespaces/{namespace}/modelmonitors"
        return base if name is None else f"{base}/{name}"

    async def create(self, name: str, spec: Mapping[str, Any], namespace: str = NAMESPACE, **metadata: Any) -> None:
        body = {"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                "metadata": {"name": name, "namespace": namespace, **metadata}, "spec": dict(spec)}
        await self.request("POST", self._path(namespace=namespace), body, content_type="application/json")

    async def patch(self, name: str, patch: Mapping[str, Any], namespace: str = NAMESPACE) -> None:
        await self.request("PATCH", self._path(name, namespace), dict(patch))

    async def patch_status(self, name: str, status: Mapping[str, Any], namespace: str = NAMESPACE) -> None:
        """What another writer (an older operator, kubectl --subresource status) leaves in .status."""
        await self.request("PATCH", self._path(name, namespace) + "/status", {"status": dict(status)})

    async def delete(self, name: str, namespace: str = NAMESPACE) -> None:
        await self.request("DELETE", self._path(name, namespace))

    def condition(self, name: str, type_: str, namespace: str = NAMESPACE) -> dict[str, Any] | None:
        obj = self.obj(name, namespace) or {}
        return next((c for c in obj.get("status", {}).get("conditions", []) if c.get("type") == type_), None)

    def events(self, name: str) -> list[tuple[str, str]]:
        found = []
        for (resource, _ns, _n), obj in self.k.objects.items():
            if str(resource.plural) != "events" or obj.deleted:
                continue
            raw = obj.raw
            if raw.get("involvedObject", {}).get("name") == name:
                found.append((raw.get("type", ""), raw.get("reason", "")))
        return found


@contextlib.asynccontextmanager
async def cluster(tmp_path: Path, monkeypatch: Any) -> AsyncIterator[Cluster]:
    async with ApiServerEmulator() as k, apps.Server(k) as server:
        register_resources(k)
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", server.url)))
        yield Cluster(k, str(server.url))


def fake_settings(**overrides: Any) -> OperatorSettings:
    # A timer tick longer than any test: scenarios about the timer ask for a short one.
    base = OperatorSettings(driver="fake", max_concurrent_updates=4, retry_base_seconds=0.2, retry_max_seconds=1.0,
                            update_timeout_seconds=3600.0, timer_tick_seconds=300.0)
    return base.replace(**overrides)


@contextlib.asynccontextmanager
async def operator(backend: FakeBackend | None = None, settings: OperatorSettings | None = None,
                   runtime: flows.Runtime | None = None, liveness: str | None = None) -> AsyncIterator[flows.Runtime]:
    """The real kopf operator (all handlers of modelmonitor.operator.handlers, registered with the settings' timer
    tick) as a task; stops on exit."""
    from modelmonitor.operator import handlers

    if runtime is None:
        runtime = flows.build_runtime(settings or fake_settings(), fake_backend=backend)
    registry = handlers.register(kopf.OperatorRegistry(), timer_tick=runtime.settings.timer_tick_seconds)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(kopf.operator(
        clusterwide=True, standalone=True, registry=registry, memo=kopf.Memo(runtime=runtime), stop_flag=stop,
        ready_flag=ready, liveness_endpoint=liveness))
    await asyncio.wait_for(ready.wait(), 10)
    try:
        yield runtime
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until `check()` is truthy; its last value on success, an AssertionError with it on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)
