"""`Gate`: holds a background job's worker at each encoding step, for tests of jobs."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest


class Gate:
    """Wraps `engine.embed` (or another encoding method): the job's worker thread waits for a
    permit before each chunk (and fails at chunk `fail_at`); calls from other threads pass
    straight through."""

    def __init__(self, engine: Any, fail_at: int | None = None,
                 error: Exception | None = None, method: str = "embed") -> None:
        self.real, self.fail_at, self.error = getattr(engine, method), fail_at, error
        self.permits = threading.Semaphore(0)
        self.calls = 0
        self.waiting = threading.Condition()

    def __call__(self, texts: Sequence[str], **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("embmagic job"):
            with self.waiting:
                self.calls += 1
                self.waiting.notify_all()
            assert self.permits.acquire(timeout=30), "the test never let this chunk run"
            if self.fail_at == self.calls and self.error is not None:
                raise self.error
        return self.real(texts, **kwargs)

    def allow(self, n: int = 1000) -> None:
        for _ in range(n):
            self.permits.release()

    def until_call(self, n: int) -> None:
        """Block until the worker has asked for its n-th chunk."""
        with self.waiting:
            assert self.waiting.wait_for(lambda: self.calls >= n, timeout=30)


def gate(engine: Any, monkeypatch: pytest.MonkeyPatch, method: str = "embed",
         **kwargs: Any) -> Gate:
    """Put a Gate in front of `engine.<method>` (undone by monkeypatch after the test)."""
    g = Gate(engine, method=method, **kwargs)
    monkeypatch.setattr(engine, method, g)
    return g
