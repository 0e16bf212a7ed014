"""A local Kubernetes API server for the demo and the operator tests: kmock's emulator, made to behave like an
API server where the operator depends on it — every write bumps metadata.resourceVersion, a spec change bumps
metadata.generation, creation assigns uid, generation 1 and creationTimestamp — served on 127.0.0.1.

kmock is a demo/dev extra; import this module only when the emulator is wanted.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import threading
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import jsonpatch
import jsonpointer
import kmock
import yaml
from kmock._internal import apps, dicts, enums, k8s

RESOURCE = "modelmonitor.io/v1alpha1/modelmonitors"


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
        listing: Any = await super()._serve_list(request)  # kmock types it as any payload; it is a list object
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
        except (TypeError, ValueError, jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
            return  # an invalid patch (or a failing JSON-patch `test`) is for the emulator itself to reject
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
class LocalKube:
    """The emulator served on 127.0.0.1 from a background thread, and kubectl-like calls against it."""

    url: str
    kubeconfig: Path

    def _request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url.rstrip("/") + path, data=data, method=method,
                                         headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    @staticmethod
    def _path(namespace: str, name: str | None = None) -> str:
        base = f"/apis/modelmonitor.io/v1alpha1/namespaces/{namespace}/modelmonitors"
        return base if name is None else f"{base}/{name}"

    def apply(self, document: Mapping[str, Any]) -> Any:
        """Create the ModelMonitor (what `kubectl apply` does for a new object)."""
        namespace = document["metadata"].get("namespace", "default")
        return self._request("POST", self._path(namespace), dict(document))

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", self._path(namespace, name))
        return result


@contextmanager
def local_kube(workdir: Path) -> Iterator[LocalKube]:
    """Serve the emulator (with the ModelMonitor CRD's resources registered) until the block ends."""
    ready, stop = threading.Event(), threading.Event()
    found: dict[str, str] = {}
    failure: list[BaseException] = []

    async def serve() -> None:
        async with ApiServerEmulator() as emulator, apps.Server(emulator) as server:
            register_resources(emulator)
            found["url"] = str(server.url)
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which re-raises it
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="kube-emulator", daemon=True)
    thread.start()
    try:
        if not ready.wait(20) or failure:
            raise RuntimeError(f"the Kubernetes emulator did not start: {failure[0] if failure else 'timeout'}")
        yield LocalKube(found["url"], write_kubeconfig(workdir / "kubeconfig", found["url"]))
    finally:
        stop.set()
        thread.join(20)


_PATH_STEP = re.compile(r'\.([\w-]+)(?:\[\?\(@\.([\w-]+)=="([^"]*)"\)\])?')


def _json_path(obj: Any, path: str) -> Any:
    """The subset of kubectl's JSONPath the printer columns use: `.a.b` and `.list[?(@.key=="value")].field`."""
    node, position = obj, 0
    for step in _PATH_STEP.finditer(path):
        if step.start() != position:
            raise ValueError(f"unsupported JSONPath {path!r}")
        position = step.end()
        name, key, value = step.groups()
        node = node.get(name) if isinstance(node, dict) else None
        if key is not None:
            node = next((i for i in node or [] if isinstance(i, dict) and str(i.get(key)) == value), None)
    if position != len(path):
        raise ValueError(f"unsupported JSONPath {path!r}")
    return node


def _age(created: str | None, now: datetime) -> str:
    if not created:
        return "<unknown>"
    seconds = int((now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


def kubectl_get(columns: list[dict[str, str]], objects: list[dict[str, Any]], now: datetime | None = None) -> str:
    """Render objects as `kubectl get mm` does, from the CRD's additionalPrinterColumns."""
    now = now or datetime.now(UTC)
    header = ["NAME", *(c["name"].upper() for c in columns)]
    rows = [header]
    for obj in objects:
        row = [obj["metadata"]["name"]]
        for column in columns:
            value = _json_path(obj, column["jsonPath"])
            row.append(_age(value, now) if column["type"] == "date" else ("<none>" if value in (None, "") else
                                                                           str(value)))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("   ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip()
                     for r in rows)
