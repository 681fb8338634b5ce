"""Ctrl-C held back while a collection commits a change, so a change is all or nothing.

A `KeyboardInterrupt` is raised by Python's SIGINT handler between any two bytecodes. Over the
few lines that change a collection's records and index together, `deferred_interrupts` installs a
handler that only notes the signal, and re-delivers it (to the previous handler, which raises)
once the change is complete. Only the main thread receives signals and may install handlers, so
elsewhere it does nothing. Any other exception inside a change is undone by the collection.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Run the body with SIGINT noted, not raised; deliver it when the body is done."""
    previous: Any = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # another thread, SIG_IGN, SIG_DFL or a non-Python handler
        yield
        return
    received: list[tuple[int, FrameType | None]] = []
    try:
        signal.signal(signal.SIGINT, lambda signum, frame: received.append((signum, frame)))
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            previous(*received[0])
