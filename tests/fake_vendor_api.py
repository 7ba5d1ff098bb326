"""A fake OpenAI / Anthropic Admin API on 127.0.0.1 for the live-pull tests: pages by path and
cursor, one 429 on a chosen cursor, a failing cursor, a page that echoes the credential."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests


@dataclass
class FakeApi:
    """State of the fake vendor API, shared with the handler threads."""

    openai_key: str
    anthropic_key: str
    url: str = ""
    pages: dict[str, dict[str | None, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    throttle_cursor: str | None = "page_2_cursor"  # answer 429 once, on this page
    throttled: bool = False
    fail_cursor: str | None = None  # answer 500 every time on this page
    echo_key_in_page: bool = False  # a 200 page that carries the credential it received
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, path: str, cursor: str | None = None) -> int:
        return sum(1 for p, q in self.requests if p == path and dict(q).get("page") == cursor)

    def authorised(self, path: str, headers) -> bool:
        if path.startswith("/v1/organization/"):  # OpenAI; Anthropic's are /v1/organizations/
            return headers.get("Authorization") == f"Bearer {self.openai_key}"
        return (
            headers.get("x-api-key") == self.anthropic_key
            and headers.get("anthropic-version") == "2023-06-01"
        )


class _Handler(BaseHTTPRequestHandler):
    api: FakeApi  # set on the subclass made per server

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        cursor = dict(query).get("page")
        with self.api.lock:
            self.api.requests.append((split.path, query))
            throttle = (
                not self.api.throttled
                and cursor == self.api.throttle_cursor
                and split.path in self.api.pages
            )
            self.api.throttled |= throttle
        echo = {
            "authorization": self.headers.get("Authorization"),
            "x-api-key": self.headers.get("x-api-key"),
        }
        if split.path not in self.api.pages:
            self._send(404, {"error": {"message": "no such endpoint"}})
        elif not self.api.authorised(split.path, self.headers):
            self._send(401, {"error": {"message": "invalid admin key", "received": echo}})
        elif throttle:
            self._send(429, {"error": {"message": "slow down"}}, retry_after="0")
        elif self.api.fail_cursor is not None and cursor == self.api.fail_cursor:
            self._send(500, {"error": {"message": "boom", "request_headers": echo}}, "0")
        elif self.api.echo_key_in_page:
            self._send(200, {"data": [], "has_more": False, "debug": echo})
        else:
            self._send_bytes(200, self.api.pages[split.path][cursor])

    def _send(self, status: int, payload: dict, retry_after: str | None = None) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), retry_after)

    def _send_bytes(self, status: int, body: bytes, retry_after: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean; request lines hold no credentials anyway


@contextmanager
def serving(api: FakeApi) -> Iterator[FakeApi]:
    """Serve `api` on a free local port (api.url) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"api": api}))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serving_without_real_keys(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """`serving` for a fixture to `yield from`, with the developer's own admin keys taken out of
    the environment: a real key must never be used or leaked by these tests."""
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    with serving(api):
        yield api


@contextmanager
def direct_session() -> Iterator[requests.Session]:
    """A session without proxy or .netrc from the environment: all traffic goes straight to
    127.0.0.1."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
