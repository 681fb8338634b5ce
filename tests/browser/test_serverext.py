"""embmagic.serverext in a real Jupyter server: installed embmagic enables it (through
etc/jupyter/jupyter_server_config.d/embmagic.json), and the socket of a kernel websocket then
reports TCP_NODELAY 1 (read back with getsockopt inside the server, logged at debug level).
Without it a widget's reply could wait 40 ms for the browser's delayed ACK (docs/widgets.md).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from labkit import JupyterLab
from tornado.websocket import websocket_connect


def _open_kernel_websocket(lab: JupyterLab) -> str:
    """Start a kernel, open its channels websocket as a page would, return the kernel id."""
    kernel = lab.api("POST", "/api/kernels", {"name": "python3"})
    url = f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel['id']}/channels?token={lab.token}"

    async def connect() -> None:
        ws = await websocket_connect(url)
        await asyncio.sleep(1.0)  # the server wires the connection up (`connect`) meanwhile
        ws.close()

    # in a thread of its own: Playwright's sync API (the browser tests) keeps an event loop
    # running in this one, and asyncio.run refuses to start a second
    failed: list[BaseException] = []
    worker = threading.Thread(target=lambda: _run(connect(), failed))
    worker.start()
    worker.join(60)
    if failed:
        raise failed[0]
    return str(kernel["id"])


def _run(coroutine: Coroutine[Any, Any, None], failed: list[BaseException]) -> None:
    try:
        asyncio.run(coroutine)
    except BaseException as exc:  # raised again in the test's thread
        failed.append(exc)


def _log_line(lab: JupyterLab, needle: str, timeout: float = 30.0) -> str | None:
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in lab.log_path.read_text().splitlines() if needle in line]
        if found or time.monotonic() > deadline:
            return found[0] if found else None
        time.sleep(0.2)


@pytest.mark.parametrize("host", ["lab", "notebook7"])
def test_kernel_websockets_are_nodelay(tmp_path: Path, host: str) -> None:
    debug = ("--ServerApp.log_level=DEBUG",)
    with JupyterLab(tmp_path, host=host, extra_args=debug) as lab:
        assert _log_line(lab, "embmagic: kernel websockets send without Nagle's delay", 1)
        kernel_id = _open_kernel_websocket(lab)
        line = _log_line(lab, f"kernel websocket {kernel_id}: TCP_NODELAY")
        lab.shutdown_kernels()
    assert line is not None and line.endswith("TCP_NODELAY 1"), lab.log_tail()


def test_disabled_extension_leaves_the_server_alone(tmp_path: Path) -> None:
    debug = ("--ServerApp.log_level=DEBUG",)
    off = {"embmagic.serverext": False}
    with JupyterLab(tmp_path, extra_args=debug, server_extensions=off) as lab:
        kernel_id = _open_kernel_websocket(lab)
        assert _log_line(lab, f"Connecting to kernel {kernel_id}") is not None
        lab.shutdown_kernels()
        log = lab.log_path.read_text()
    assert "TCP_NODELAY" not in log and "embmagic.serverext" not in log
