"""Widget tests drive the Python half through traits and the real command dispatch."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

TOPICS = ("space", "food", "music")


class Sent:
    """Collects what a widget sends to its front end."""

    def __init__(self) -> None:
        self.messages: list[tuple[Any, list[Any]]] = []

    def __call__(self, content: Any, buffers: Any = None) -> None:
        self.messages.append((content, list(buffers or [])))


def invoke(widget: Any, name: str, msg: Any, buffers: list[Any] | None = None) -> dict[str, Any]:
    """Send a command the way the front end does (anywidget-command) and return the reply."""
    sent = Sent()
    original = widget.send
    widget.send = sent
    try:
        request = {"id": "req-1", "kind": "anywidget-command", "name": name, "msg": msg}
        widget._handle_custom_msg(request, buffers or [])
    finally:
        widget.send = original
    assert len(sent.messages) == 1, sent.messages
    content, _ = sent.messages[0]
    assert content["id"] == "req-1" and content["kind"] == "anywidget-command-response"
    reply: dict[str, Any] = content["response"]
    return reply


@pytest.fixture
def docs(ip: InteractiveShell) -> InteractiveShell:
    """Two collections of the fake encoder: `docs` (30 records, topic metadata), `faq` (10)."""
    for t, topic in enumerate(TOPICS):
        ip.user_ns[f"notes_{topic}"] = [f"{topic} note number {i}" for i in range(t, 30, 3)]
        ip.run_line_magic("embed", f"docs --from notes_{topic} --meta topic={topic}")
    ip.run_cell_magic("embed", "faq", "\n".join(f"question {i}" for i in range(10)))
    return ip
