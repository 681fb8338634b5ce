"""A background tokeniser feeding a bounded queue, so tokenising overlaps the model's work.

The producer thread pulls batches from the engine, tokenises several at once with one fast-
tokenizer call (the Rust tokenizer releases the GIL), splits the result back into batches and
queues them. `close()` stops it promptly even when the consumer gives up early (out of memory).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

_DONE = object()


class Prefetcher(Generic[T]):
    """Runs `prepare(group_of_batches) -> list[T]` on a thread; iterate to get items in order."""

    def __init__(
        self,
        batches: Iterable[Sequence[str]],
        prepare: Callable[[list[Sequence[str]]], list[T]],
        *,
        group: int = 8,
        depth: int = 16,
    ) -> None:
        self._batches = batches
        self._prepare = prepare
        self._group = max(1, group)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="embmagic-tokenize", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        """Stop the producer and wait for it (it never blocks for long: puts time out)."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _run(self) -> None:
        try:
            group: list[Sequence[str]] = []
            for batch in self._batches:
                group.append(batch)
                if len(group) == self._group:
                    if not self._flush(group):
                        return
                    group = []
            if group and not self._flush(group):
                return
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            self._put(exc)

    def _flush(self, group: list[Sequence[str]]) -> bool:
        if self._stop.is_set():
            return False
        return all(self._put(item) for item in self._prepare(group))

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
