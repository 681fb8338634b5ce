"""Commands the front ends call (anywidget's `experimental.invoke`), made safe to call.

anywidget sends a reply only when the command returns; one that raises leaves the front end
waiting. `widget_command` therefore turns every failure into `{"ok": false, "error": line}`, also
set on the widget's `error` trait (its error line), and marks the method as a command.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from anywidget.experimental import command

from embmagic.errors import EmbmagicError

log = logging.getLogger(__name__)

Reply = dict[str, Any]
Buffers = list[bytes]
W = TypeVar("W")


def widget_command(
    fn: Callable[[W, dict[str, Any], Buffers], Reply | tuple[Reply, Buffers]],
) -> Callable[[W, Any, Buffers], tuple[Reply, Buffers]]:
    """Wrap `fn(self, msg, buffers) -> reply` so it always answers `{"ok": ..., ...}`."""

    @functools.wraps(fn)
    def run(self: W, msg: Any, buffers: Buffers) -> tuple[Reply, Buffers]:
        try:
            if not isinstance(msg, dict):
                got = type(msg).__name__
                raise EmbmagicError(f"a command message must be a JSON object, not {got}")
            out = fn(self, msg, buffers)
        except (EmbmagicError, OSError, ValueError, KeyError, TypeError) as exc:
            return _failed(self, one_line(exc))
        except Exception as exc:  # shown in the widget, logged with its traceback here
            log.exception("widget command %s failed", fn.__name__)
            return _failed(self, f"{type(exc).__name__}: {one_line(exc)}")
        reply, out_buffers = out if isinstance(out, tuple) else (out, [])
        return {"ok": True, **reply}, out_buffers

    return command(run)


def _failed(widget: Any, error: str) -> tuple[Reply, Buffers]:
    """The failure reply; the widget's `error` trait (its error line) shows it too."""
    if hasattr(widget, "error"):
        widget.error = error
    return {"ok": False, "error": error}, []


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(exc).strip()
    if type(exc) is KeyError and exc.args:  # a field the message lacks (not a typed error)
        text = f"missing field {exc.args[0]!r}"
    return text.splitlines()[0] if text else type(exc).__name__


class WireNames:
    """Mixin: expose commands under wire names other than their method names.

    anywidget registers a command under its attribute name, and re-registers on every subclass
    (traitlets' `add_traits` makes one per instance), so the renaming happens in
    `__init_subclass__`, after anywidget's own. Used where the wire name (`query`) is also a
    Python method users call (`Map.query`).
    """

    _wire_names: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        commands: dict[str, Any] = dict(getattr(cls, "_anywidget_commands", {}))
        for attribute, wire_name in cls._wire_names.items():
            if attribute in commands:
                commands[wire_name] = commands.pop(attribute)
        setattr(cls, "_anywidget_commands", commands)  # noqa: B010 - anywidget's registry
