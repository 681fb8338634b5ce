"""Widget tests drive the Python half through traits and the real request dispatch."""

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


def request(widget: Any, content: Any, buffers: list[Any] | None = None) -> list[Any]:
    """Hand `content` to the widget as the front end's `model.send` does; what it sent back."""
    sent = Sent()
    original = widget.send
    widget.send = sent
    try:
        widget._handle_custom_msg(content, buffers or [])
    finally:
        widget.send = original
    return sent.messages


def invoke(widget: Any, name: str, msg: Any, buffers: list[Any] | None = None) -> dict[str, Any]:
    """Send a command the way the front end does (an `embmagic-request`) and return its reply
    as `{"ok": True, **reply}` or `{"ok": False, "error": line}`."""
    content = {"kind": "embmagic-request", "id": "req-1", "name": name, "msg": msg}
    messages = request(widget, content, buffers)
    assert len(messages) == 1, messages
    reply, _ = messages[0]
    assert reply["kind"] == "embmagic-reply" and reply["id"] == "req-1"
    if reply["ok"] is True:
        assert set(reply) == {"kind", "id", "ok", "reply"}
        return {"ok": True, **reply["reply"]}
    assert set(reply) == {"kind", "id", "ok", "error"} and reply["ok"] is False
    assert isinstance(reply["error"], str) and "\n" not in reply["error"]
    return {"ok": False, "error": reply["error"]}


def refused_in_one_line(shell: InteractiveShell, line: str, message: str) -> None:
    """`%magic rest` (given as "magic rest") fails with one UsageError line holding `message`
    and leaves every collection as it was."""
    from IPython.core.error import UsageError

    from tests.conftest import snapshot

    before = snapshot(shell)
    magic, _, rest = line.partition(" ")
    with pytest.raises(UsageError) as info:
        shell.run_line_magic(magic, rest)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert snapshot(shell) == before


@pytest.fixture
def docs(ip: InteractiveShell) -> InteractiveShell:
    """Two collections of the fake encoder: `docs` (30 records, topic metadata), `faq` (10)."""
    for t, topic in enumerate(TOPICS):
        ip.user_ns[f"notes_{topic}"] = [f"{topic} note number {i}" for i in range(t, 30, 3)]
        ip.run_line_magic("embed", f"docs --from notes_{topic} --meta topic={topic}")
    ip.run_cell_magic("embed", "faq", "\n".join(f"question {i}" for i in range(10)))
    return ip
