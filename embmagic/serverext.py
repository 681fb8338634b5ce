"""A Jupyter server extension: kernel websockets send without Nagle's delay (TCP_NODELAY).

Why: jupyter_server (tornado) leaves Nagle's algorithm on for the page's kernel websocket. The
kernel answers a widget request with three IOPub messages: status busy, the reply (a comm
message), status idle. The busy frame goes out at once; the reply, written a few milliseconds
later, waits until the browser acknowledges that frame, and Linux may hold the ACK for 40 ms
(delayed ACK). Measured in JupyterLab: 8 of 35 map hover-text replies came 40 ms late, the
rest in 10-18 ms (docs/widgets.md, "A million points, measured"). Tornado's own documentation
of `WebSocketHandler.set_nodelay` recommends turning Nagle off for such traffic.

How: the server's `kernel_websocket_connection_class` setting (whatever class is configured;
jupyter_server's `ZMQChannelsWebsocketConnection` by default) is replaced by a subclass whose
`connect` first sets TCP_NODELAY on the websocket. Nothing else changes. Installing embmagic
enables it (`etc/jupyter/jupyter_server_config.d/embmagic.json`, in JupyterLab and Notebook 7);
`jupyter server extension disable embmagic.serverext` turns it off.

jupyter_server is imported by the server, never by this module: `%load_ext embmagic` and plain
Python never load it.
"""

from __future__ import annotations

import socket
from typing import Any

_MARK = "_embmagic_nodelay"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """jupyter_server's entry point: this module is the extension."""
    return [{"module": "embmagic.serverext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Wrap the server's kernel websocket connection class (called once when the server starts)."""
    settings = serverapp.web_app.settings
    base = settings.get("kernel_websocket_connection_class")
    if base is None or getattr(base, _MARK, False):
        return
    settings["kernel_websocket_connection_class"] = nodelay_connection(base)
    serverapp.log.info("embmagic: kernel websockets send without Nagle's delay (TCP_NODELAY)")


def nodelay_connection(base: type) -> type:
    """A subclass of the kernel websocket connection class `base` whose `connect` sets
    TCP_NODELAY on its websocket first."""

    class NoDelay(base):  # type: ignore[misc,valid-type]
        def connect(self) -> Any:
            handler = self.websocket_handler
            handler.set_nodelay(True)
            nodelay = nodelay_of(handler)
            self.log.debug("kernel websocket %s: TCP_NODELAY %s", self.kernel_id, nodelay)
            return super().connect()

    setattr(NoDelay, _MARK, True)
    NoDelay.__name__ = NoDelay.__qualname__ = f"NoDelay{base.__name__}"
    NoDelay.__doc__ = f"{base.__name__} with TCP_NODELAY on its websocket (embmagic.serverext)."
    return NoDelay


def nodelay_of(handler: Any) -> int | None:
    """TCP_NODELAY as the websocket's socket reports it (None: not a TCP socket, or closed)."""
    stream = getattr(getattr(handler, "ws_connection", None), "stream", None)
    sock = getattr(stream, "socket", None)
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
