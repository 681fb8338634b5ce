"""EmbeddingCache under two threads (a background job and the cells share one engine): an
eviction by one thread in the middle of another thread's `get` must not break that `get`.

The race is made certain, not hoped for: the reader's dict lookup pauses (up to 0.5 s) until
the writer has evicted the key. With the cache's lock the writer waits for the whole `get`
instead, and the pause simply times out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from embmagic.engine.cache import EmbeddingCache


class PausingRows(OrderedDict):  # type: ignore[type-arg]
    """The cache's dict, pausing the reader thread right after its lookup."""

    def __init__(self, entered: threading.Event, evicted: threading.Event) -> None:
        super().__init__()
        self.entered, self.evicted = entered, evicted

    def get(self, key: Any, default: Any = None) -> Any:
        row = super().get(key, default)
        if threading.current_thread().name == "reader":
            self.entered.set()
            self.evicted.wait(0.5)
        return row


def test_an_eviction_during_a_get_waits_for_it() -> None:
    entered, evicted = threading.Event(), threading.Event()
    cache = EmbeddingCache(max_entries=1)
    rows = PausingRows(entered, evicted)
    cache._rows = rows
    first = np.ones(4, np.float32)
    cache.put(("m", "a"), first)
    got: list[Any] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            got.append(cache.get(("m", "a")))
        except BaseException as exc:
            errors.append(exc)

    def write() -> None:
        cache.put(("m", "b"), np.zeros(4, np.float32))  # evicts ("m", "a")
        evicted.set()

    reader = threading.Thread(target=read, name="reader")
    reader.start()
    assert entered.wait(5)
    writer = threading.Thread(target=write, name="writer")
    writer.start()
    reader.join(5)
    writer.join(5)
    assert errors == []
    assert len(got) == 1 and got[0] is not None and np.array_equal(got[0], first)
    assert list(rows) == [("m", "b")] and cache.hits == 1
