"""`ivfpq` on disk: FAISS IndexIVFPQ whose inverted lists are a memory-mapped file
(`OnDiskInvertedLists`), candidates re-ranked with float16 vectors from a memory-mapped array.

Only the coarse centroids and the PQ codebooks live in RAM; list codes, vectors and ids are read
through the page cache, so a collection larger than RAM can be searched. Read-only: FAISS labels
are storage rows, `ids` maps row -> id, `order` sorts rows by id for lookups.
"""

from __future__ import annotations

import math
import os
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from embmagic.errors import InvalidArgumentError, ReadOnlyCollectionError, StoreFormatError
from embmagic.store._faiss import faiss
from embmagic.store.kinds.base import EXACT_SUBSET_MAX, Param, VectorIndex
from embmagic.store.kinds.ivfpq import IVFPQ_SCHEMA
from embmagic.store.topk import IdArray, Neighbours, sort_hits, top_k
from embmagic.types import Vectors

TRAIN_PER_LIST = 39
_MAX_TRAIN = 262_144
"""Training sample cap: k-means cost grows with it, quality barely past ~40-60 points per list."""


def disk_nlist(n: int) -> int:
    """A power of two near sqrt(n) that n vectors can train (39 per list), at least 1."""
    target = 2 ** round(math.log2(max(math.sqrt(n), 1)))
    fit = 2 ** math.floor(math.log2(max(n // TRAIN_PER_LIST, 1)))
    return int(max(1, min(target, fit, 65_536)))


def disk_pq_m(dim: int) -> int:
    """Largest divisor of dim up to dim/8: 8-bit codes of 8 dims each (48 bytes at 384-d)."""
    return max(m for m in range(1, max(dim // 8, 1) + 1) if dim % m == 0)


def check_disk_params(dim: int, n: int, params: dict[str, Any]) -> dict[str, Any]:
    """Resolved {nlist, pq_m, nprobe, k_factor}; InvalidArgumentError (one line) if unusable."""
    merged = OnDiskIvfPq.check_params(params)
    if n < 1:
        msg = "an on-disk collection needs at least one vector to train on"
        raise InvalidArgumentError(msg)
    nlist = merged["nlist"] or disk_nlist(n)
    if nlist > n:
        msg = f"nlist={nlist} is more than the {n:,} vectors to cluster; use at most {n:,}"
        raise InvalidArgumentError(msg)
    pq_m = merged["pq_m"] or disk_pq_m(dim)
    if dim % pq_m:
        msg = f"ivfpq parameter m={pq_m} must divide the dimension {dim}"
        raise InvalidArgumentError(msg)
    return {**merged, "nlist": nlist, "pq_m": pq_m}


def train_ivfpq(dim: int, params: dict[str, Any], sample: Vectors) -> Any:
    """An empty, trained IndexIVFPQ (inner product); fewer PQ bits when the sample is small."""
    nbits = int(max(1, min(8, math.floor(math.log2(max(len(sample) / TRAIN_PER_LIST, 2))))))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFPQ(quantizer, dim, params["nlist"], params["pq_m"], nbits,
                             faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()
    index.cp.max_points_per_centroid = 10_000  # no warning-and-subsample below FAISS's default
    if len(sample) > _MAX_TRAIN:  # a random sample: insertion order may follow the data
        picked = np.random.default_rng(0).choice(len(sample), _MAX_TRAIN, replace=False)
        sample = sample[np.sort(picked)]
    index.train(np.ascontiguousarray(sample))
    return index


class VectorFile:
    """float16 rows of a raw file, read with pread: only the bytes asked for, nothing mapped
    (mapping it made the kernel map ~1 MiB of page cache around every candidate row)."""

    def __init__(self, path: str, count: int, dim: int) -> None:
        self.count, self.dim, self._row = count, dim, 2 * dim
        self._fd = os.open(path, os.O_RDONLY)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)

    def read(self, rows: IdArray) -> npt.NDArray[np.float16]:
        """Rows in ascending order (one read when they are consecutive)."""
        size = self._row
        if len(rows) and int(rows[-1]) - int(rows[0]) + 1 == len(rows):
            buf = os.pread(self._fd, size * len(rows), int(rows[0]) * size)
        else:
            buf = b"".join(os.pread(self._fd, size, int(r) * size) for r in rows)
        return np.frombuffer(buf, dtype=np.float16).reshape(len(rows), self.dim)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


class OnDiskIvfPq(VectorIndex):
    """IVF{nlist},PQ{m} with on-disk lists; `nprobe` lists scanned, `k_factor * k` re-ranked."""

    kind = "ivfpq"
    exact_vectors = False
    param_specs: ClassVar[tuple[Param, ...]] = IVFPQ_SCHEMA

    def __init__(self, dim: int, params: dict[str, Any], index: Any, vectors: VectorFile,
                 row_ids: IdArray, order: IdArray, path: str) -> None:
        super().__init__(dim)
        self._params, self._index, self._vectors = params, index, vectors
        self._ids_by_row, self._order, self.path = row_ids, order, path
        ivf = faiss.extract_index_ivf(index)
        self._nlist, self._pq_m = int(ivf.nlist), int(index.pq.M)
        self._nbits = int(index.pq.nbits)
        in_order = len(row_ids) < 2 or bool(np.all(np.diff(row_ids) > 0))
        self._keys = row_ids if in_order else np.asarray(row_ids[order])
        """Ids sorted; the mapped file itself when rows are in id order (the usual case)."""

    @classmethod
    def bytes_per_vector(cls, dim: int, params: dict[str, Any]) -> float:
        return 0.0  # lists, vectors and ids are memory-mapped: page cache, not heap

    @classmethod
    def fixed_bytes(cls, dim: int, n: int, params: dict[str, Any]) -> int:
        """The coarse centroids (the 8-bit PQ codebooks add 1 KiB per dimension)."""
        return 4 * dim * int(params.get("nlist") or disk_nlist(max(n, 1))) + 1024 * dim

    def tune(self, nprobe: int | None = None, k_factor: int | None = None) -> None:
        """Change the search settings (nothing is rebuilt); None keeps a setting."""
        changes = {k: v for k, v in (("nprobe", nprobe), ("k_factor", k_factor)) if v is not None}
        self._params = self.check_params({**self._params, **changes})

    def ids_at(self, rows: IdArray) -> IdArray:
        """The ids of storage rows."""
        return np.asarray(self._ids_by_row[rows], dtype=np.int64)

    @property
    def nprobe(self) -> int:
        """Lists scanned per query: the parameter, else nlist/16 (at least 16)."""
        wanted = self._params["nprobe"] or max(16, self._nlist // 16)
        return int(min(wanted, self._nlist))

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def status(self) -> str:
        return (f"ivfpq on disk (IVF{self._nlist},PQ{self._pq_m}x{self._nbits} + float16 "
                f"re-rank, nprobe={self.nprobe}, k_factor={self._params['k_factor']}, "
                f"{self.ntotal:,} vectors, {self.path})")

    @property
    def ntotal(self) -> int:
        return len(self._ids_by_row)

    def ram_bytes(self) -> int:
        """What stays in RAM: the coarse centroids and the PQ codebooks."""
        pq = self._pq_m * (1 << self._nbits) * (self.dim // self._pq_m) * 4
        return 4 * self.dim * self._nlist + pq

    def add(self, ids: IdArray, vectors: Vectors) -> None:
        raise ReadOnlyCollectionError(READ_ONLY)

    def remove(self, ids: IdArray) -> None:
        raise ReadOnlyCollectionError(READ_ONLY)

    def rows_of(self, ids: IdArray) -> IdArray:
        """Storage rows of present ids (binary search through `order`)."""
        pos = np.minimum(np.searchsorted(self._keys, ids), len(self._keys) - 1)
        rows: IdArray = np.asarray(self._order[pos], dtype=np.int64)
        return rows

    def has(self, ids: IdArray) -> npt.NDArray[np.bool_]:
        """Which ids are present."""
        if len(self._ids_by_row) == 0:
            return np.zeros(len(ids), dtype=bool)
        found: npt.NDArray[np.bool_] = self._ids_by_row[self.rows_of(ids)] == ids
        return found

    def reconstruct(self, ids: IdArray) -> Vectors:
        return self.vectors_at(self.rows_of(ids))

    def vectors_at(self, rows: IdArray) -> Vectors:
        """float32 copies of stored rows (read in storage order: sequential on disk)."""
        if len(rows) == 0:
            return np.empty((0, self.dim), np.float32)
        order = np.argsort(rows, kind="stable")
        out = np.empty((len(rows), self.dim), np.float32)
        out[order] = self._vectors.read(rows[order])
        return out

    def live_ids(self) -> IdArray:
        return np.array(self._ids_by_row, dtype=np.int64)

    def search(self, queries: Vectors, k: int, allowed: IdArray | None = None) -> Neighbours:
        selector = None
        if allowed is not None:
            rows = np.sort(self.rows_of(allowed))
            if len(rows) <= EXACT_SUBSET_MAX:
                return top_k(queries, self.vectors_at(rows), self._ids_by_row[rows].copy(), k)
            selector = faiss.IDSelectorBatch(rows)
        fetch = min(self.ntotal, max(k * int(self._params["k_factor"]), k + 8))
        params = faiss.SearchParametersIVF(nprobe=self.nprobe, sel=selector)
        _, cand = self._index.search(queries, fetch, params=params)
        out: Neighbours = []
        for query, rows in zip(queries, cand, strict=True):
            rows = rows[rows >= 0]
            scores = (self.vectors_at(rows) @ query).astype(np.float32)
            out.append(sort_hits(np.asarray(self._ids_by_row[rows], dtype=np.int64), scores, k))
        return out

    def faiss_index(self) -> Any:
        return self._index

    @classmethod
    def restore(cls, dim: int, params: dict[str, Any], index: Any,
                tombstones: list[int]) -> OnDiskIvfPq:
        msg = "an on-disk index is opened from its directory (Collection.load), not restored"
        raise StoreFormatError(msg)


READ_ONLY = ("an on-disk collection is read-only: use .to_memory(kind) for a mutable copy, "
             "change or reindex that, then write it with .to_disk(path)")
