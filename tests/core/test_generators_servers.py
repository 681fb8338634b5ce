"""Shared helpers for the generator tests: a real llama.cpp server and a tiny failing server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
