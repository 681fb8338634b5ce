"""Shared machinery for index kinds that cannot remove vectors (HNSW; IVF with a refine stage).

Rows are only ever appended to an IndexIDMap2. A delete (or the old vector of an upsert) becomes a
tombstone: a dead internal row that searches skip through a FAISS IDSelectorBitmap passed in
SearchParameters. Tombstones are rows, not ids, because an upserted id has a dead row and a live
row with the same id. When dead rows outnumber live ones the index is rebuilt from the live ones.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
import numpy.typing as npt

from embmagic.errors import StoreFormatError
from embmagic.store._faiss import faiss
from embmagic.store.kinds.base import EXACT_SUBSET_MAX, VectorIndex, id_map_view
from embmagic.store.topk import IdArray, Neighbours, sort_hits
from embmagic.types import Vectors

_COMPACT_MIN_DEAD = 1_000
_TIE_MARGIN = 8


class AppendOnlyIndex(VectorIndex):
    """An IndexIDMap2 over an inner index searched directly with a live-row selector."""

    def __init__(self, dim: int, index: Any, tombstones: list[int]) -> None:
        super().__init__(dim)
        self._index = index
        self._live = np.ones(int(index.ntotal), dtype=bool)
        self._live[np.asarray(tombstones, dtype=np.int64)] = False
        self._refresh()

    def _refresh(self) -> None:
        self._inner = faiss.downcast_index(self._index.index)
        self._ids_by_row = id_map_view(self._index)
        self._sorted: tuple[IdArray, IdArray] | None = None

    @abstractmethod
    def _search_rows(self, queries: Vectors, k: int,
                     selector: Any) -> tuple[npt.NDArray[np.float32], IdArray]:
        """Search the inner index: (scores, internal rows) with -1 rows for missing results."""

    @property
    def ntotal(self) -> int:
        return int(self._live.sum())

    @property
    def dead(self) -> int:
        """Tombstoned rows still inside the FAISS index."""
        return len(self._live) - self.ntotal

    def tombstones(self) -> list[int]:
        return [int(r) for r in np.flatnonzero(~self._live)]

    def add(self, ids: IdArray, vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(vectors, ids)
            self._live = np.concatenate([self._live, np.ones(len(ids), dtype=bool)])
            self._refresh()

    def remove(self, ids: IdArray) -> None:
        if len(ids):
            self._live[self.rows_of(ids)] = False
            self._sorted = None
            if self.dead >= max(_COMPACT_MIN_DEAD, self.ntotal):
                self.compact()

    def compact(self) -> None:
        """Rebuild from live rows only (the trained parts of the inner index are kept). Built
        beside the current index and swapped in by one assignment, so an interruption leaves one
        or the other."""
        ids = self.live_ids()
        vectors = self.reconstruct(ids)
        fresh = self._empty_like()
        if len(ids):
            fresh.add_with_ids(vectors, ids)
        self._index, self._live = fresh, np.ones(len(ids), dtype=bool)
        self._refresh()

    def _empty_like(self) -> Any:
        """An empty IndexIDMap2 with the same (trained) inner index settings."""
        fresh = faiss.clone_index(self._index)
        fresh.reset()
        return fresh

    def recover(self, checkpoint: object) -> None:
        """Rows FAISS took before `_live` learnt of them are dead; views are re-taken."""
        n = int(self._index.ntotal)
        if len(self._live) != n:
            live = np.zeros(n, dtype=bool)
            keep = min(n, len(self._live))
            live[:keep] = self._live[:keep]
            self._live = live
        self._refresh()

    def rows_of(self, ids: IdArray) -> IdArray:
        """Live rows of present ids."""
        if self._sorted is None:
            rows = np.flatnonzero(self._live)
            order = np.argsort(self._ids_by_row[rows], kind="stable")
            self._sorted = (self._ids_by_row[rows][order], rows[order].astype(np.int64))
        keys, rows = self._sorted
        return rows[np.searchsorted(keys, ids)]

    def live_ids(self) -> IdArray:
        return self._ids_by_row[self._live].copy()

    def reconstruct(self, ids: IdArray) -> Vectors:
        if len(ids) == 0:
            return np.empty((0, self.dim), np.float32)
        out: Vectors = self._inner.reconstruct_batch(self.rows_of(ids))
        return out

    def search(self, queries: Vectors, k: int, allowed: IdArray | None = None) -> Neighbours:
        mask = self._live if allowed is None else self._live & np.isin(self._ids_by_row, allowed)
        n_ok = int(mask.sum())
        if allowed is not None and n_ok <= EXACT_SUBSET_MAX:
            return self.exact_subset(queries, k, self._ids_by_row[mask])
        if n_ok == 0:
            return [(np.empty(0, np.int64), np.empty(0, np.float32)) for _ in queries]
        bitmap = None if n_ok == len(mask) else np.packbits(mask, bitorder="little")
        selector = None if bitmap is None else faiss.IDSelectorBitmap(len(mask),
                                                                      faiss.swig_ptr(bitmap))
        # a few extra candidates, so equal scores at the cut are decided by id, not by FAISS
        scores, rows = self._search_rows(queries, min(k + _TIE_MARGIN, n_ok), selector)
        out: Neighbours = []
        for s_row, r_row in zip(scores, rows, strict=True):
            found = r_row >= 0
            ids = self._ids_by_row[r_row[found]]
            out.append(sort_hits(ids, s_row[found].astype(np.float32), k))
        return out

    def faiss_index(self) -> Any:
        return self._index


def check_tombstones(tombstones: list[int], ntotal: int) -> None:
    """Tombstones must be distinct rows of the index."""
    arr = np.asarray(tombstones, dtype=np.int64)
    if len(arr) and (arr.min() < 0 or arr.max() >= ntotal or len(np.unique(arr)) != len(arr)):
        msg = "manifest tombstones do not fit the index"
        raise StoreFormatError(msg)
