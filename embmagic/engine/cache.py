"""A bounded LRU cache of embeddings keyed by (model_id, sha256(text))."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import numpy.typing as npt

from embmagic.errors import utf8

CacheKey = tuple[str, str]


def text_hash(text: str) -> str:
    """SHA-256 hex digest of a text's UTF-8 bytes: the content key of caches and stores
    (InvalidArgumentError for a lone surrogate, which has no UTF-8 bytes)."""
    return hashlib.sha256(utf8(text)).hexdigest()


class EmbeddingCache:
    """Least-recently-used map from (model_id, text hash) to one vector, bounded by entries.

    Keying on the model id means engines of different models may share one cache safely.
    Stored rows are read-only copies, so callers cannot corrupt the cache by editing results.
    Thread-safe: a background job and the notebook's own cells share one engine.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        if max_entries < 0:
            msg = f"cache_size must be >= 0, got {max_entries}"
            raise ValueError(msg)
        self.max_entries = max_entries
        self._rows: OrderedDict[CacheKey, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def get(self, key: CacheKey) -> npt.NDArray[np.float32] | None:
        """The cached vector (marked most recently used), or None."""
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                self.misses += 1
                return None
            self._rows.move_to_end(key)
            self.hits += 1
            return row

    def put(self, key: CacheKey, vector: npt.NDArray[np.float32], *, copy: bool = True) -> None:
        """Store a vector, evicting the least recently used entries beyond the bound.

        `copy=False` stores a read-only row as is (the engine's rows are views of one block).
        """
        if self.max_entries == 0:
            return
        if copy or vector.flags.writeable:
            vector = np.array(vector, dtype=np.float32, copy=True)
            vector.setflags(write=False)
        with self._lock:
            self._rows[key] = vector
            self._rows.move_to_end(key)
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (counters are kept)."""
        with self._lock:
            self._rows.clear()
