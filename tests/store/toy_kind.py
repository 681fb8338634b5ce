"""`toy`: a brute-force NumPy index kind with one parameter, written only against the public
kind API (`VectorIndex`, `Param`). Registering it (`register_kind(ToyIndex)`, a fixture in
conftest.py) is all it takes for collections, saves, estimates and the contract suite to use it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import faiss
import numpy as np

from embmagic.errors import StoreFormatError
from embmagic.store.kinds import Param, VectorIndex
from embmagic.store.topk import IdArray, Neighbours
from embmagic.types import Vectors


class ToyIndex(VectorIndex):
    """Vectors in one NumPy array, scored `block` rows at a time; exact."""

    kind = "toy"
    param_specs: ClassVar[tuple[Param, ...]] = (
        Param("block", "--block", "rows scored per block", 4_096),)

    def __init__(self, dim: int, params: dict[str, Any], ids: IdArray | None = None,
                 vectors: Vectors | None = None) -> None:
        super().__init__(dim)
        self._params = params
        self._ids = np.empty(0, np.int64) if ids is None else ids
        self._vectors = np.empty((0, dim), np.float32) if vectors is None else vectors

    @classmethod
    def bytes_per_vector(cls, dim: int, params: dict[str, Any]) -> float:
        return 4 * dim + 8

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def status(self) -> str:
        return f"toy (block={self._params['block']}, {self.ntotal:,} vectors)"

    @property
    def ntotal(self) -> int:
        return len(self._ids)

    def add(self, ids: IdArray, vectors: Vectors) -> None:
        self._ids = np.concatenate([self._ids, ids])
        self._vectors = np.concatenate([self._vectors, vectors])

    def remove(self, ids: IdArray) -> None:
        keep = ~np.isin(self._ids, ids)
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]

    def reconstruct(self, ids: IdArray) -> Vectors:
        order = np.argsort(self._ids)
        rows = order[np.searchsorted(self._ids, ids, sorter=order)]
        out: Vectors = self._vectors[rows].copy()
        return out

    def live_ids(self) -> IdArray:
        return self._ids.copy()

    def search(self, queries: Vectors, k: int, allowed: IdArray | None = None) -> Neighbours:
        keep = np.ones(len(self._ids), bool) if allowed is None else np.isin(self._ids, allowed)
        ids, vectors = self._ids[keep], self._vectors[keep]
        step = self._params["block"]
        scores = np.concatenate([queries @ vectors[s:s + step].T
                                 for s in range(0, len(ids), step)] or
                                [np.empty((len(queries), 0), np.float32)], axis=1)
        out: Neighbours = []
        for row in scores:
            best = np.lexsort((ids, -row))[:k]  # score desc, then id asc
            out.append((ids[best], row[best].astype(np.float32)))
        return out

    def faiss_index(self) -> Any:
        """Saved as a plain IndexIDMap2(IndexFlatIP), so the format stays FAISS's own."""
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if self.ntotal:
            index.add_with_ids(self._vectors, self._ids)
        return index

    @classmethod
    def restore(cls, dim: int, params: dict[str, Any], index: Any,
                tombstones: list[int]) -> ToyIndex:
        index = faiss.downcast_index(index)  # the caller keeps the owner alive
        if not isinstance(index, faiss.IndexIDMap2):
            msg = "index file is not an IndexIDMap2 for a toy collection"
            raise StoreFormatError(msg)
        n = int(index.ntotal)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        vectors = index.index.reconstruct_n(0, n) if n else np.empty((0, dim), np.float32)
        return cls(dim, cls.check_params(params), ids, np.asarray(vectors, np.float32))
