"""Shared helpers for the generator tests: tiny loopback servers that fail, echo the key or
answer what a test scripts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAKE_KEY = "sk-test-SECRET-1234"


class FailingHandler(BaseHTTPRequestHandler):
    """Answers POST /v1/chat/completions with the status in the path's first part, or sleeps."""

    def do_POST(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if mode == "sleep":
            time.sleep(3)
            return
        status = int(mode)
        # echoes the key like some servers do: the client must scrub it
        body = json.dumps({"error": {"message": f"failed for key {FAKE_KEY}"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def failing_server() -> Iterator[str]:
    """A real HTTP server on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Reply = tuple[int, dict[str, str], bytes]
"""status, headers, body"""


@dataclass
class Received:
    """One request a `scripted_server` got: its path, headers (lower-case names) and JSON body."""

    path: str
    headers: dict[str, str]
    body: Any


class ScriptedHandler(BaseHTTPRequestHandler):
    """Records each request on the server, then sends what the server's `respond` returns."""

    server: ScriptedServer

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(json.loads(raw) if raw else None)

    def do_GET(self) -> None:
        self._answer(None)

    def _answer(self, body: Any) -> None:
        got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self.server.received.append(got)
        status, headers, payload = self.server.respond(got)
        self.send_response(status)
        for name, value in {"Content-Length": str(len(payload)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class ScriptedServer(ThreadingHTTPServer):
    def __init__(self, respond: Callable[[Received], Reply]) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.respond = respond
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def scripted_server(respond: Callable[[Received], Reply]) -> Iterator[ScriptedServer]:
    """A real HTTP server on a free loopback port answering every request with `respond`."""
    server = ScriptedServer(respond)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def completion(text: str) -> Reply:
    """A non-streamed chat completion answering `text`."""
    body = {
        "id": "c1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
    }  # fmt: skip
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def event_stream(*events: str) -> Reply:
    """An SSE response: each item is one event's `data:` (raw, so it may be malformed)."""
    body = "".join(f"data: {event}\n\n" for event in events).encode()
    return 200, {"Content-Type": "text/event-stream"}, body


def delta(text: str) -> str:
    """One streamed chunk carrying `text`."""
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [choice]}  # fmt: skip
    return json.dumps(chunk)


def echo_key(got: Received) -> Reply:
    """A careless server: a 401 whose long message ends with the Authorization header it got,
    cut by the old 160-character limit in the middle of the key, unless the path says `ok`;
    then an answer that repeats the header, streamed in pieces that split the key."""
    header = got.headers.get("authorization", "")
    if "/ok/" not in got.path:
        message = "x" * 128 + f" invalid: {header}"
        body = json.dumps({"error": {"message": message}}).encode()
        return 401, {"Content-Type": "application/json"}, body
    text = f"The tower is 330 metres tall [1]. You sent {header}."
    if not (got.body or {}).get("stream"):
        return completion(text)
    pieces = [text[i : i + 5] for i in range(0, len(text), 5)]
    return event_stream(*map(delta, pieces), "[DONE]")


def key_fragments(key: str = FAKE_KEY, size: int = 8) -> list[str]:
    """Every `size`-character piece of `key`: none may appear in anything a user sees."""
    return [key[i : i + size] for i in range(len(key) - size + 1)]
