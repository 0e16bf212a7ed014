"""Run the real kopf operator in-process against kmock's Kubernetes emulator.

The emulator is subclassed so that writes behave like an API server's where the operator depends on it:
every write bumps metadata.resourceVersion, a spec change bumps metadata.generation, creation assigns uid,
generation 1 and creationTimestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import kmock
import kopf
import yaml
from kmock._internal import apps, dicts, enums, k8s

from modelmonitor.operator import flows
from modelmonitor.operator.fakes import FakeBackend
from modelmonitor.operator.settings import OperatorSettings

RESOURCE = "modelmonitor.io/v1alpha1/modelmonitors"
NAMESPACE = "ml"


@attrs.define(kw_only=True)
class ApiServerEmulator(kmock.KubernetesEmulator):
    _versions: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1), init=False)
    _latest: int = attrs.field(default=0, init=False)

    # Direct lookups instead of kmock's scan over every stored object (events included) per request, which makes
    # the emulator, not the operator, the bottleneck at a thousand resources.
    def _lookup(self, request: Any, namespace: str | None = None, name: str | None = None) -> Any:
        try:
            return self.objects[request.resource, namespace or request.namespace, name or request.name]
        except KeyError:
            raise k8s.KubernetesObjectNotFoundError() from None

    async def _serve_fetch(self, request: Any) -> Any:
        obj = self._lookup(request)
        if obj.deleted:
            raise k8s.KubernetesObjectNotFoundError()
        return obj.raw

    async def _serve_create(self, request: Any) -> Any:
        meta = request.data.get("metadata", {})
        return self._lookup(request, request.namespace or meta.get("namespace"), meta.get("name")).raw

    async def _serve_update(self, request: Any) -> Any:
        return self._lookup(request).last.raw

    async def _serve_delete(self, request: Any) -> Any:
        return self._lookup(request).last.raw

    async def _serve_list(self, request: Any) -> Any:
        listing = await super()._serve_list(request)
        listing["metadata"]["resourceVersion"] = str(self._latest)
        return listing

    async def _serve_watch(self, request: Any) -> AsyncIterator[Any]:
        """Events newer than the watch's resourceVersion only, as an API server streams them."""
        since = request.params.get("resourceVersion", "")
        since_version = int(since) if since.isdigit() else 0
        async for event in super()._serve_watch(request):
            if isinstance(event, dict):
                version = str(event.get("object", {}).get("metadata", {}).get("resourceVersion", ""))
                if event.get("type") != "DELETED" and version.isdigit() and int(version) <= since_version:
                    continue
            yield event

    async def _handle(self, request: Any) -> Any:
        # kmock keeps every request and matches each new one against its filters by scanning that history:
        # quadratic in the request count. Nothing here asserts on past requests, so keep only the current one.
        del self._requests[:-1]
        if request.resource is not None and request.action in (enums.action.CREATE, enums.action.UPDATE):
            self._stamp(request)
        return await super()._handle(request)

    def _stamp(self, request: Any) -> None:
        self._latest = next(self._versions)
        version = str(self._latest)
        data = request.data
        if request.action == enums.action.CREATE and isinstance(data, dict):
            meta = data.setdefault("metadata", {})
            meta.update(resourceVersion=version, generation=1, uid=str(uuid.uuid4()),
                        creationTimestamp=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:8]}"
            if request.namespace and not meta.get("namespace"):
                meta["namespace"] = request.namespace
            return
        key = (request.resource, request.namespace, request.name)
        if request.name is None or key not in self.objects or self.objects[key].deleted:
            return
        current = self.objects[key].raw
        try:
            predicted = dicts.patch_dict(copy.deepcopy(current), data)
        except Exception:  # noqa: BLE001 - a failing JSON-patch test is for the emulator to report
            return
        generation = current.get("metadata", {}).get("generation", 1)
        if predicted.get("spec") != current.get("spec"):
            generation += 1
        if isinstance(data, dict):
            data.setdefault("metadata", {}).update(resourceVersion=version, generation=generation)
        elif isinstance(data, list):
            data.append({"op": "add", "path": "/metadata/resourceVersion", "value": version})
            data.append({"op": "add", "path": "/metadata/generation", "value": generation})


def register_resources(k: ApiServerEmulator) -> None:
    k.resources[RESOURCE] = kmock.ResourceInfo(
        kind="ModelMonitor", namespaced=True, subresources={"status"},
        verbs={"list", "watch", "get", "patch", "create", "delete", "update"})
    k.resources["apiextensions.k8s.io/v1/customresourcedefinitions"] = kmock.ResourceInfo(
        kind="CustomResourceDefinition", namespaced=False, verbs={"list", "watch", "get"})
    k.resources["v1/namespaces"] = kmock.ResourceInfo(kind="Namespace", namespaced=False,
                                                      verbs={"list", "watch", "get"})
    k.resources["v1/events"] = kmock.ResourceInfo(kind="Event", namespaced=True,
                                                  verbs={"create", "list", "get", "patch"})


def write_kubeconfig(path: Path, url: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "kmock",
        "clusters": [{"name": "kmock", "cluster": {"server": str(url), "insecure-skip-tls-verify": True}}],
        "users": [{"name": "kmock", "user": {"token": "test-token"}}],
        "contexts": [{"name": "kmock", "context": {"cluster": "kmock", "user": "kmock"}}]}))
    return path


@attrs.define
class Cluster:
    """The emulator, its URL, and helpers to act like kubectl."""

    k: ApiServerEmulator
    url: str

    def obj(self, name: str) -> dict[str, Any] | None:
        try:
            found = self.k.objects[RESOURCE, NAMESPACE, name]
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

    def _path(self, name: str | None = None) -> str:
        base = f"/apis/modelmonitor.io/v1alpha1/namespaces/{NAMESPACE}/modelmonitors"
        return base if name is None else f"{base}/{name}"

    async def create(self, name: str, spec: Mapping[str, Any], **metadata: Any) -> None:
        body = {"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor",
                "metadata": {"name": name, "namespace": NAMESPACE, **metadata}, "spec": dict(spec)}
        await self.request("POST", self._path(), body, content_type="application/json")

    async def patch(self, name: str, patch: Mapping[str, Any]) -> None:
        await self.request("PATCH", self._path(name), dict(patch))

    async def delete(self, name: str) -> None:
        await self.request("DELETE", self._path(name))

    def condition(self, name: str, type_: str) -> dict[str, Any] | None:
        obj = self.obj(name) or {}
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
    base = OperatorSettings(driver="fake", max_concurrent_updates=4, retry_base_seconds=0.2, retry_max_seconds=1.0,
                            update_timeout_seconds=3600.0)
    return base.replace(**overrides)


@contextlib.asynccontextmanager
async def operator(backend: FakeBackend | None = None, settings: OperatorSettings | None = None,
                   runtime: flows.Runtime | None = None) -> AsyncIterator[flows.Runtime]:
    """The real kopf operator (all handlers of modelmonitor.operator.handlers) as a task; stops on exit."""
    import modelmonitor.operator.handlers  # noqa: F401 - registers the handlers

    if runtime is None:
        runtime = flows.build_runtime(settings or fake_settings(), fake_backend=backend)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(kopf.operator(
        clusterwide=True, standalone=True, memo=kopf.Memo(runtime=runtime), stop_flag=stop, ready_flag=ready))
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
