"""`make test-browser`: open a generated 200-feature drift report in headless Chromium through the DevTools
protocol (127.0.0.1 only) and fail on any console error, uncaught exception, network request or sideways
scrolling at 1400 px; save a screenshot under test-artifacts/. A self-check first loads a deliberately broken page
and fails the run unless the checker sees its console error, its exception, its network request and its overflow."""

from __future__ import annotations

import asyncio
import base64
import itertools
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.analyzer.widegen import wide_report

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
STARTUP_SECONDS, PAGE_SECONDS = 30.0, 30.0

BROKEN_PAGE = """<!doctype html><html><body><p style="width:3000px">self-check</p>
<script>console.error("self-check: deliberate console error"); notDefinedAnywhere();</script>
<img src="http://127.0.0.1:9/self-check.png"></body></html>"""


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    load_ms: float = 0.0
    svg_count: int = 0
    overflow_px: int = 0
    """How far the page is wider than the window: a table or header that does not fit scrolls sideways."""

    @property
    def clean(self) -> bool:
        return not (self.console_errors or self.exceptions or self.requests)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """Headless Chromium with a fresh profile, driven over one DevTools websocket (flat sessions)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []

    async def __aenter__(self) -> Browser:
        self.profile = tempfile.mkdtemp(prefix="mm-chromium-")
        port = _free_port()
        self.proc = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-address=127.0.0.1",
             f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.http = aiohttp.ClientSession()
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                async with self.http.get(f"http://127.0.0.1:{port}/json/version") as response:
                    ws_url = (await response.json())["webSocketDebuggerUrl"]
                break
            except aiohttp.ClientError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("Chromium did not open its DevTools port") from None
                await asyncio.sleep(0.2)
        self.ws = await self.http.ws_connect(ws_url, max_msg_size=0)
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.reader.cancel()
        await self.ws.close()
        await self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    async def _read(self) -> None:
        async for message in self.ws:
            data = message.json()
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None:
                if "error" in data:
                    future.set_exception(RuntimeError(str(data["error"])))
                else:
                    future.set_result(data.get("result", {}))
            else:
                self.events.append(data)

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        ident = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        payload: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            payload["sessionId"] = session
        await self.ws.send_json(payload)
        return await asyncio.wait_for(future, PAGE_SECONDS)

    async def _screenshot(self, session: str, path: Path, *, full_page: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = (await self.send("Page.getLayoutMetrics", session=session))["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": size["width"],
                                                            "height": min(size["height"], 6000), "scale": 1})
        shot = await self.send("Page.captureScreenshot", params, session)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    async def wait_event(self, method: str, session: str) -> None:
        deadline = time.monotonic() + PAGE_SECONDS
        while not any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {method}")
            await asyncio.sleep(0.05)

    async def check(self, url: str, screenshot: Path | None = None, *, scroll_to: str | None = None,
                    full_page: bool = False) -> PageReport:
        target = (await self.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await self.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            await self.send(f"{domain}.enable", session=session)
        await self.send("Emulation.setDeviceMetricsOverride",
                        {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session)
        started = time.monotonic()
        await self.send("Page.navigate", {"url": url}, session)
        await self.wait_event("Page.loadEventFired", session)
        report = PageReport(load_ms=(time.monotonic() - started) * 1000)
        await asyncio.sleep(0.5)  # late console messages and requests
        evaluated = await self.send("Runtime.evaluate", {"expression": "document.querySelectorAll('svg').length",
                                                         "returnByValue": True}, session)
        report.svg_count = int(evaluated["result"].get("value", 0))
        overflow = await self.send("Runtime.evaluate", {
            "expression": "document.documentElement.scrollWidth - document.documentElement.clientWidth",
            "returnByValue": True}, session)
        report.overflow_px = int(overflow["result"].get("value", 0))
        if screenshot is not None:
            await self._screenshot(session, screenshot, full_page=full_page)
            if scroll_to:
                await self.send("Runtime.evaluate", {"expression": f"document.querySelector({scroll_to!r})"
                                                                   ".scrollIntoView()"}, session)
                await self._screenshot(session, screenshot.with_name(screenshot.stem + "-plots.png"))
        for event in (e for e in self.events if e.get("sessionId") == session):
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))
            elif event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.exceptions.append(str(details.get("exception", {}).get("description") or details))
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                report.console_errors.append(str(params["entry"].get("text")))
            elif event["method"] == "Network.requestWillBeSent":
                request_url = str(params.get("request", {}).get("url", ""))
                if not request_url.startswith(LOCAL_SCHEMES):
                    report.requests.append(request_url)
        await self.send("Target.closeTarget", {"targetId": target})
        return report


async def main() -> int:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        print("chromium not found (make test-browser installs Debian's chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mm-report-") as tmp:
        root = Path(tmp)
        broken = root / "broken.html"
        broken.write_text(BROKEN_PAGE)
        result, report_file = wide_report(root / "wide")
        async with Browser(binary) as browser:
            probe = await browser.check(broken.as_uri())
            saw_console = any("deliberate console error" in e for e in probe.console_errors)
            saw_exception = any("notDefinedAnywhere" in e for e in probe.exceptions)
            if not (saw_console and saw_exception and probe.requests and probe.overflow_px > 0):
                print(f"self-check FAILED: the checker missed a deliberate error: {probe}", file=sys.stderr)
                return 1
            print(f"self-check ok: caught {len(probe.console_errors)} console error(s), "
                  f"{len(probe.exceptions)} exception(s), request {probe.requests[0]}, sideways overflow "
                  f"{probe.overflow_px} px")
            shot = ARTIFACTS / "drift-report-200-features.png"
            page = await browser.check(report_file.as_uri(), screenshot=shot, scroll_to=".grid")
    print(f"report: {len(result.drifted_features)} drifted features, {page.svg_count} plots, "
          f"loaded in {page.load_ms:.0f} ms; screenshot {shot.relative_to(REPO)}")
    if not page.clean:
        print(f"FAILED: console errors {page.console_errors}, exceptions {page.exceptions}, "
              f"network requests {page.requests}", file=sys.stderr)
        return 1
    if page.overflow_px > 0:
        print(f"FAILED: the page is {page.overflow_px} px wider than the 1400 px window", file=sys.stderr)
        return 1
    if page.svg_count != 200:
        print(f"FAILED: expected 200 plots, the page shows {page.svg_count}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
