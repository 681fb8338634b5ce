"""`hnsw`: graph search (FAISS IndexHNSWFlat, inner product). Fast, approximate, full-precision
storage; FAISS cannot remove from HNSW, so deletes are tombstones (see appendonly.py)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from embmagic.errors import StoreFormatError
from embmagic.store._faiss import faiss
from embmagic.store.kinds.appendonly import AppendOnlyIndex, check_tombstones
from embmagic.store.kinds.base import ID_BYTES, Param, expect_type, flat_codes_view
from embmagic.store.topk import IdArray
from embmagic.types import Vectors

BEAM_MAX = 1_000_000
"""Largest ef_construction / ef_search: FAISS allocates a heap of that many entries per search
(a beam wider than the collection only costs memory). A k above it still widens the beam."""


class HnswIndex(AppendOnlyIndex):
    """HNSW with M links per node; `ef_search` trades speed for recall (raised to k if below)."""

    kind = "hnsw"
    param_specs: ClassVar[tuple[Param, ...]] = (
        Param("M", "--m", "links per node (more: better recall, more memory)", 32, 1_024),
        Param("ef_construction", "--ef-construction", "beam width while building", 200,
              BEAM_MAX),
        Param("ef_search", "--ef-search", "beam width while searching (recall vs speed)", 128,
              BEAM_MAX),
    )

    def __init__(self, dim: int, params: dict[str, Any] | None = None,
                 index: Any = None,
                 tombstones: list[int] | None = None) -> None:
        self._params = self.check_params(params or {})
        if index is None:
            inner = faiss.IndexHNSWFlat(dim, self._params["M"], faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = self._params["ef_construction"]
            index = faiss.IndexIDMap2(inner)
        super().__init__(dim, index, tombstones or [])

    def _empty_like(self) -> Any:
        inner = faiss.IndexHNSWFlat(self.dim, self._params["M"], faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = self._params["ef_construction"]
        return faiss.IndexIDMap2(inner)

    @classmethod
    def bytes_per_vector(cls, dim: int, params: dict[str, Any]) -> float:
        links = 2 * int(params.get("M") or 32) * 4 * 1.03  # level 0 + ~3% upper levels
        return 4 * dim + links + 2 * ID_BYTES

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def status(self) -> str:
        p = self._params
        dead = f", {self.dead:,} tombstones" if self.dead else ""
        return (f"hnsw (M={p['M']}, ef_search={p['ef_search']}, {self.ntotal:,} vectors{dead})")

    def _search_rows(self, queries: Vectors, k: int,
                     selector: Any) -> tuple[npt.NDArray[np.float32], IdArray]:
        ef = max(self._params["ef_search"], k)
        params = faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
        scores, rows = self._inner.search(queries, k, params=params)
        return scores, rows

    def reconstruct(self, ids: IdArray) -> Vectors:
        codes = flat_codes_view(faiss.downcast_index(self._inner.storage), self.dim)
        return codes[self.rows_of(ids)].copy()

    @classmethod
    def restore(cls, dim: int, params: dict[str, Any], index: Any,
                tombstones: list[int]) -> HnswIndex:
        idmap = expect_type(index, faiss.IndexIDMap2, "an hnsw collection")
        inner = expect_type(idmap.index, faiss.IndexHNSWFlat, "an hnsw collection")
        if inner.hnsw.nb_neighbors(1) != int(params.get("M", 32)):
            msg = "hnsw index links per node differ from the manifest's M"
            raise StoreFormatError(msg)
        check_tombstones(tombstones, int(idmap.ntotal))
        return cls(dim, params, idmap, tombstones)

