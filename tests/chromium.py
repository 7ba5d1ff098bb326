"""Drives Debian's system chromium headless over the DevTools protocol (CDP), for the report's
browser tests. No browser download (playwright would fetch its own build, or need one matched
to its version): the system `chromium`, started with exactly the issue's flags plus the two a
DevTools client needs (a debugging port and a throwaway profile), and one websocket.

What it records per page: console messages and uncaught exceptions, log entries, and every
network request the page makes (the file itself included, so a test can assert it is the only
one)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

HEADLESS_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHROMIUM_ENV = "CHROMIUM_BIN"
CONSOLE_FAILURES = ("error", "warning", "assert")  # console calls a test counts as errors


def chromium_binary() -> str | None:
    return shutil.which(os.environ.get(CHROMIUM_ENV, "chromium"))


@dataclass
class PageLog:
    console: list[str] = field(default_factory=list)  # errors and warnings
    requests: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.console.clear()
        self.requests.clear()


class Chromium:
    def __init__(self, binary: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="report-chromium-")
        self.stderr = Path(self.profile) / "chromium-stderr.log"
        with self.stderr.open("w") as stderr:
            self.process = subprocess.Popen(
                [binary, *HEADLESS_FLAGS, "--remote-debugging-port=0",
                 f"--user-data-dir={self.profile}", "--window-size=1280,900", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        try:
            port = self._devtools_port()
            page = self._page_target(port)
            # local endpoint: never through a proxy from the environment
            self.ws = connect(page, max_size=None, open_timeout=timeout, proxy=None, legacy=True)
        except BaseException:
            self.close()
            raise
        self._next_id = 0
        self.log = PageLog()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280, height=900, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip

    def _devtools_port(self) -> int:
        """Chromium writes the port it chose to <profile>/DevToolsActivePort."""
        active = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            lines = active.read_text().splitlines() if active.exists() else []
            if lines and lines[0].strip().isdigit():
                return int(lines[0])
            time.sleep(0.1)
        raise RuntimeError(
            "chromium did not start its DevTools endpoint (exit code "
            f"{self.process.poll()}):\n{self.stderr.read_text()[-3000:]}"
        )

    def _page_target(self, port: int) -> str:
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")

    def _record(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in CONSOLE_FAILURES:
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.log.console.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.log.console.append(f"uncaught exception: {text}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            entry = params["entry"]
            self.log.console.append(f"log {entry['level']} ({entry['source']}): {entry['text']}")
        elif method == "Network.requestWillBeSent":
            self.log.requests.append(params["request"]["url"])

    def _receive(self, until: Any, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("chromium did not answer in time")
            message = json.loads(self.ws.recv(timeout=remaining))
            self._record(message)
            if until(message):
                return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        call_id = self._next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        reply = self._receive(lambda m: m.get("id") == call_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self._receive(lambda m: m.get("method") == "Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"never true in the page: {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            height = self.evaluate("document.documentElement.scrollHeight")
            params["clip"] = {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
