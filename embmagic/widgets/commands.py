"""Requests from the front ends and their replies, over plain custom messages.

The front end sends `{"kind": "embmagic-request", "id", "name", "msg"}` (plus binary buffers)
with `model.send`; `CommandWidget` runs the method registered for `name` under `@command` and
answers with one custom message, `{"kind": "embmagic-reply", "id", "ok": true, "reply": {...}}`
or `{"kind": "embmagic-reply", "id", "ok": false, "error": line}` (docs/widgets.md). Custom
messages are part of anywidget's module contract, which every host implements (JupyterLab,
Notebook 7, VS Code, Colab, marimo); anywidget's RPC helper is not, so it is not used here.

A command never raises into the comm (the front end would wait for nothing): every failure,
including a malformed request, becomes `ok: false` with one line, also shown on the widget's
`error` trait, and changes nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

import anywidget

from embmagic.errors import EmbmagicError, InvalidArgumentError

log = logging.getLogger(__name__)

REQUEST = "embmagic-request"
REPLY = "embmagic-reply"

Reply = dict[str, Any]
Buffers = list[Any]  # bytes or memoryview, one per binary frame
F = TypeVar("F", bound=Callable[..., Any])

_MARK = "_embmagic_command"
_EXPECTED = (EmbmagicError, OSError, ValueError, KeyError, TypeError, IndexError)


def command(name: str) -> Callable[[F], F]:
    """Register the decorated method, `fn(self, msg, buffers) -> reply | (reply, buffers)`, as
    the handler of wire command `name` (the method's own name is free for the Python API)."""

    def mark(fn: F) -> F:
        setattr(fn, _MARK, name)
        return fn

    return mark


class CommandWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """An anywidget that answers `embmagic-request` messages with its `@command` methods."""

    _commands: ClassVar[dict[str, str]] = {}
    """Wire name -> method name, collected from the class and its bases."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(cls._commands)
        for attribute, value in vars(cls).items():
            name = getattr(value, _MARK, None)
            if isinstance(name, str):
                found[name] = attribute
        cls._commands = found

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(_dispatch)


def _dispatch(widget: CommandWidget, content: Any, buffers: Sequence[Any] | None) -> None:
    """Answer one request (ipywidgets' `on_msg` callback)."""
    rid = content.get("id") if isinstance(content, dict) else None
    try:
        name, msg = _parse(widget, content)
        out = getattr(widget, widget._commands[name])(msg, list(buffers or []))
    except _EXPECTED as exc:
        _fail(widget, rid, one_line(exc))
        return
    except Exception as exc:  # shown in the widget, logged with its traceback here
        log.exception("widget command failed: %r", content)
        _fail(widget, rid, f"{type(exc).__name__}: {one_line(exc)}")
        return
    reply, out_buffers = out if isinstance(out, tuple) else (out, [])
    widget.send({"kind": REPLY, "id": rid, "ok": True, "reply": reply}, out_buffers)


def _parse(widget: CommandWidget, content: Any) -> tuple[str, dict[str, Any]]:
    """The command name and message of a request, or an error saying what is wrong with it."""
    if not isinstance(content, dict):
        got = type(content).__name__
        raise InvalidArgumentError(f"a widget request must be a JSON object, not {got}")
    if content.get("kind") != REQUEST:
        raise InvalidArgumentError(f"not a widget request (kind {content.get('kind')!r})")
    rid, name, msg = content.get("id"), content.get("name"), content.get("msg")
    if not isinstance(rid, str) or not rid:
        raise InvalidArgumentError("a widget request needs a string id")
    if not isinstance(name, str) or name not in widget._commands:
        known = ", ".join(sorted(widget._commands))
        raise InvalidArgumentError(f"unknown command {name!r} (this widget has: {known})")
    if not isinstance(msg, dict):
        got = type(msg).__name__
        raise InvalidArgumentError(f"a command message must be a JSON object, not {got}")
    return name, msg


def _fail(widget: CommandWidget, rid: Any, error: str) -> None:
    """Show `error` on the widget's error line and, when the request has an id, reply with it."""
    if widget.has_trait("error"):
        widget.error = error
    if isinstance(rid, str) and rid:
        widget.send({"kind": REPLY, "id": rid, "ok": False, "error": error}, [])


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(exc).strip()
    if type(exc) is KeyError and exc.args:  # a field the message lacks (not a typed error)
        text = f"missing field {exc.args[0]!r}"
    return text.splitlines()[0] if text else type(exc).__name__
