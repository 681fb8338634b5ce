"""embmagic.serverext's wrapper, without a server: it keeps the configured class's behaviour,
sets TCP_NODELAY (on a real TCP socket) before connecting, and never wraps twice."""

from __future__ import annotations

import logging
import socket
from types import SimpleNamespace
from typing import Any

from embmagic.serverext import _load_jupyter_server_extension, nodelay_connection, nodelay_of


class Handler:
    """The part of tornado's WebSocketHandler the wrapper uses, over a real TCP socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.ws_connection = SimpleNamespace(stream=SimpleNamespace(socket=sock))

    def set_nodelay(self, value: bool) -> None:
        self.ws_connection.stream.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, value)


class Connection:
    """Stands for the server's configured connection class."""

    log = logging.getLogger("test")

    def __init__(self, handler: Handler) -> None:
        self.websocket_handler = handler
        self.kernel_id = "k1"
        self.seen: int | None = None

    def connect(self) -> Any:
        self.seen = nodelay_of(self.websocket_handler)  # what the socket says at connect time
        return "future"


def tcp_pair() -> tuple[socket.socket, socket.socket, socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    return server, client, accepted


def test_connect_sets_nodelay_first_and_returns_the_base_result() -> None:
    sockets = tcp_pair()
    try:
        handler = Handler(sockets[2])
        plain = Connection(handler)
        assert plain.connect() == "future" and plain.seen == 0  # Nagle on: the default
        wrapped = nodelay_connection(Connection)(handler)
        assert isinstance(wrapped, Connection)
        assert wrapped.connect() == "future" and wrapped.seen == 1
    finally:
        for s in sockets:
            s.close()


def test_load_wraps_the_configured_class_once() -> None:
    infos: list[str] = []
    app = SimpleNamespace(
        web_app=SimpleNamespace(settings={"kernel_websocket_connection_class": Connection}),
        log=SimpleNamespace(info=infos.append),
    )
    _load_jupyter_server_extension(app)
    first = app.web_app.settings["kernel_websocket_connection_class"]
    _load_jupyter_server_extension(app)
    assert app.web_app.settings["kernel_websocket_connection_class"] is first
    assert first is not Connection and issubclass(first, Connection) and len(infos) == 1


def test_nodelay_of_a_unix_socket_is_none() -> None:
    a, b = socket.socketpair()
    try:
        assert nodelay_of(Handler(a)) is None
        assert nodelay_of(SimpleNamespace()) is None
    finally:
        a.close()
        b.close()
