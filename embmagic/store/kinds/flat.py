"""`flat`: exact search. FAISS IndexIDMap2(IndexFlatIP) holds the vectors (so the saved file is
FAISS's own), but searching runs our blocked sgemm over a zero-copy view of its codes (see
store/topk.py). From `int8_copy.MIN_ROWS` vectors on, a single query first scans an 8-bit copy
and re-scores its candidates exactly, with a proof that the result is brute force's (see
store/int8_copy.py and bench/bench_search.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from embmagic.store import int8_copy
from embmagic.store._faiss import faiss
from embmagic.store.int8_copy import Int8Copy
from embmagic.store.kinds.base import (
    ID_BYTES,
    VectorIndex,
    expect_type,
    flat_codes_view,
    id_map_view,
)
from embmagic.store.topk import IdArray, Neighbours, top_k
from embmagic.types import Vectors


class FlatIndex(VectorIndex):
    """Exact inner-product search; deletes compact the storage but ids never change."""

    kind = "flat"

    def __init__(self, dim: int, index: Any = None) -> None:
        super().__init__(dim)
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._int8: Int8Copy | None = None  # built by add (or after a load, the first query)
        self._refresh()

    @classmethod
    def create(cls, dim: int, params: dict[str, Any]) -> FlatIndex:
        cls.validate(dim, params)
        return cls(dim)

    @classmethod
    def bytes_per_vector(cls, dim: int, params: dict[str, Any]) -> float:
        return 4 * dim + 2 * ID_BYTES

    @classmethod
    def index_bytes(cls, dim: int, n: int, params: dict[str, Any]) -> int:
        """The float32 vectors and ids, plus the 8-bit copy kept from `int8_copy.MIN_ROWS` on."""
        copy = dim * n if n >= int8_copy.MIN_ROWS else 0
        return super().index_bytes(dim, n, params) + copy

    def _refresh(self) -> None:
        """Re-take the views: FAISS may reallocate its arrays on every add or remove."""
        self._flat = faiss.downcast_index(self._index.index)
        self._codes = flat_codes_view(self._flat, self.dim)
        self._ids_by_row = id_map_view(self._index)
        self._sorted: tuple[IdArray, IdArray] | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {}

    @property
    def status(self) -> str:
        return f"flat (exact, {self.ntotal:,} vectors)"

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: IdArray, vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(vectors, ids)
            self._refresh()
            if self._int8 is not None:
                self._int8.add(vectors)
            elif self.ntotal >= int8_copy.MIN_ROWS:
                self._int8 = Int8Copy(self.dim, self._codes)

    def remove(self, ids: IdArray) -> None:
        if len(ids):
            before = self._ids_by_row.copy()
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))
            self._refresh()
            if self.ntotal < int8_copy.MIN_ROWS:
                self._int8 = None
            elif self._int8 is not None:
                self._int8.keep_rows(np.isin(before, ids, invert=True))

    def recover(self, checkpoint: object) -> None:
        self._refresh()  # FAISS may have taken (or dropped) rows before the views were re-taken
        self._int8 = None  # and the copy may be out of step: rebuilt when next needed

    def rows_of(self, ids: IdArray) -> IdArray:
        """Storage rows of present ids (binary search over a cached id sort)."""
        if self._sorted is None:
            order = np.argsort(self._ids_by_row, kind="stable")
            self._sorted = (self._ids_by_row[order], order.astype(np.int64))
        keys, rows = self._sorted
        return rows[np.searchsorted(keys, ids)]

    def reconstruct(self, ids: IdArray) -> Vectors:
        return self._codes[self.rows_of(ids)].copy()

    def live_ids(self) -> IdArray:
        return self._ids_by_row.copy()

    def search(self, queries: Vectors, k: int, allowed: IdArray | None = None) -> Neighbours:
        if allowed is not None and len(allowed) <= max(k, len(self._ids_by_row) // 16):
            return self.exact_subset(queries, k, allowed)
        mask = None if allowed is None else np.isin(self._ids_by_row, allowed)
        if len(queries) == 1 and self.ntotal >= int8_copy.MIN_ROWS:
            found = self.int8_copy().search(queries[0], self._codes, self._ids_by_row, k, mask)
            if found is not None:
                return [found]
        return top_k(queries, self._codes, self._ids_by_row, k, mask)

    def int8_copy(self) -> Int8Copy:
        """The 8-bit copy of the vectors, built now if there is none (or it has gone stale)."""
        if self._int8 is None or self._int8.stale:
            self._int8 = Int8Copy(self.dim, self._codes)
        return self._int8

    def faiss_index(self) -> Any:
        return self._index

    @classmethod
    def restore(cls, dim: int, params: dict[str, Any], index: Any,
                tombstones: list[int]) -> FlatIndex:
        idmap = expect_type(index, faiss.IndexIDMap2, "a flat collection")
        expect_type(idmap.index, faiss.IndexFlatIP, "a flat collection")
        return cls(dim, idmap)
