"""`Int8Copy`: an 8-bit copy of a flat index's vectors that makes one exact query ~4x cheaper.

One exact query reads every stored float32 vector once, so memory bandwidth bounds it (1.5 GB at
1M x 384). The copy (FAISS `IndexScalarQuantizer`, 8 bits per dimension, rows parallel to the
flat index's rows) is a quarter of that. A query scans the copy for candidates, then scores the
candidates exactly from the float32 vectors, and proves that nothing outside them can enter the
top k (see `search`): results are those of brute force, ids and scores, ties by lower id.

The proof: FAISS stores each coordinate as the centre of one of 255 equal bins spanning that
dimension's range, fitted to every row present at build. So a row inside the ranges is within
half a bin per coordinate of its 8-bit reconstruction x': |x - x'| <= cap = |bin widths| / 2, and
|q.x - q.x'| <= |q| cap (Cauchy-Schwarz). Rows added later outside the ranges ("outliers") are
always scored exactly. If the best approximate score left out of the candidates, plus |q| cap and
a float-rounding margin, is below the k-th exact score, no row left out can reach the top k.

Memory: `dim` bytes per vector, +25 % over the float32 vectors. Nothing is saved: the copy is
rebuilt from the vectors when first needed after a load.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from embmagic.store._faiss import faiss
from embmagic.store.topk import IdArray, Scores
from embmagic.types import Vectors

MIN_ROWS = 100_000
"""Flat indexes from this size on keep a copy (below it a float32 scan takes a few ms anyway)."""

QUANTIZER = "QT_8bit"
"""FAISS's scalar quantiser: 8 bits per coordinate, each dimension its own range."""

_CHUNK = 65_536
"""Rows encoded at a time (bounds temporary copies)."""

_MAX_OUTLIER_SHARE = 0.01
"""More outliers than this share of the rows (drifting data): `stale` asks for a rebuild."""

_UNIT_ROUNDOFF = 2.0**-24


class Int8Copy:
    """8-bit rows parallel to a flat index's float32 rows; `search` gives exact top-k."""

    def __init__(self, dim: int, vectors: Vectors) -> None:
        self.dim = dim
        self._sq: Any = faiss.IndexScalarQuantizer(
            dim, getattr(faiss.ScalarQuantizer, QUANTIZER), faiss.METRIC_INNER_PRODUCT)
        low = np.full(dim, np.inf, np.float32)
        high = np.full(dim, -np.inf, np.float32)
        for s in range(0, len(vectors), _CHUNK):
            low = np.minimum(low, vectors[s : s + _CHUNK].min(axis=0))
            high = np.maximum(high, vectors[s : s + _CHUNK].max(axis=0))
        if not len(vectors):
            low, high = np.zeros(dim, np.float32), np.zeros(dim, np.float32)
        high = np.where(high > low, high, low + np.maximum(np.abs(low), 1) * np.float32(1e-5))
        self._sq.train(np.stack([low, high]))  # min-max ranges of exactly these two rows
        low, width = self._ranges()
        # a coordinate up to 1e-4 bin outside its range (float rounding of low + width) is
        # clamped into the end bin: still within 0.5001 bin, inside the cap's 0.1 % margin
        self._low, self._high = low - width * 4e-7, low + width * (1 + 4e-7)
        self.cap = float(np.linalg.norm(width.astype(np.float64) / 255) / 2 * 1.001)
        self._outliers = np.empty(0, np.int64)
        self._norm_max = 0.0
        self.add(vectors)

    def _ranges(self) -> tuple[Vectors, Vectors]:
        """Each dimension's trained (low, width), as FAISS stores them."""
        trained = faiss.vector_to_array(self._sq.sq.trained).astype(np.float32)
        half = len(trained) // 2  # one (low, width) pair, or one per dimension
        low = np.broadcast_to(trained[:half], (self.dim,)).copy()
        return low, np.broadcast_to(trained[half:], (self.dim,)).copy()

    @property
    def ntotal(self) -> int:
        return int(self._sq.ntotal)

    @property
    def nbytes(self) -> int:
        return self.ntotal * self.dim

    @property
    def stale(self) -> bool:
        """Too many rows were added outside the trained ranges: rebuild for speed."""
        return len(self._outliers) > _MAX_OUTLIER_SHARE * max(self.ntotal, 1)

    def add(self, vectors: Vectors) -> None:
        """Encode new rows at the end (the flat index appended the same rows)."""
        outliers = [self._outliers]
        for s in range(0, len(vectors), _CHUNK):
            chunk = np.ascontiguousarray(vectors[s : s + _CHUNK], dtype=np.float32)
            out = ((chunk < self._low) | (chunk > self._high)).any(axis=1)
            outliers.append(np.flatnonzero(out).astype(np.int64) + self.ntotal)
            self._norm_max = max(self._norm_max, float(np.linalg.norm(chunk, axis=1).max()))
            self._sq.add(chunk)
        self._outliers = np.concatenate(outliers)

    def keep_rows(self, keep: npt.NDArray[np.bool_]) -> None:
        """Drop the rows where `keep` is False; the others close up in order, as FAISS's flat
        index does on `remove_ids`."""
        gone = np.flatnonzero(~keep).astype(np.int64)
        if len(gone):
            self._sq.remove_ids(faiss.IDSelectorBatch(gone))
            new_row = np.cumsum(keep) - 1
            self._outliers = new_row[self._outliers[keep[self._outliers]]].astype(np.int64)

    def outliers(self) -> IdArray:
        """Rows outside the trained ranges (scored exactly by every search)."""
        return self._outliers

    def search(self, query: Vectors, vectors: Vectors, ids: IdArray, k: int,
               mask: npt.NDArray[np.bool_] | None = None, *,
               parts: int | None = None) -> tuple[IdArray, Scores] | None:
        """The exact top k of `vectors` (rows of this copy; `mask` rows only) for one query:
        (ids, scores) by score desc then id asc. None when the bound cannot prune (then a full
        scan is cheaper).

        A scan takes the best m = k + 64 rows by approximate score and scores them exactly; if
        the proof fails (many rows close to the k-th score) it is repeated with 8x as many."""
        n = self.ntotal
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        q_norm = float(np.linalg.norm(q))
        rounding = 4 * self.dim * _UNIT_ROUNDOFF * q_norm * (self._norm_max + self.cap)
        slack = q_norm * self.cap + rounding
        outliers = self._outliers if mask is None else self._outliers[mask[self._outliers]]
        scan = _Scan(self._sq, q, n, mask, parts or _default_parts(n))
        m = k + 64
        while m == k + 64 or m <= n // 8:
            rows, best_left_out = scan.top(m)
            found_ids, scores = self._exact(q[0], np.union1d(rows, outliers), vectors, ids, k)
            if best_left_out == -np.inf or best_left_out + slack < scores[-1]:
                return found_ids, scores  # every row left out scores below the k-th: proven
            m *= 8
        return None

    @staticmethod
    def _exact(q: Vectors, rows: IdArray, vectors: Vectors, ids: IdArray,
               k: int) -> tuple[IdArray, Scores]:
        """The k best of `rows` by exact score, then id."""
        scores = (vectors[rows] @ q).astype(np.float32)
        order = np.lexsort((ids[rows], -scores))[:k]
        return ids[rows[order]].astype(np.int64), scores[order]


def _default_parts(n: int) -> int:
    """Threads for one scan: FAISS's thread budget, at least 50,000 rows each."""
    budget: int = faiss.omp_get_max_threads()
    return max(1, min(budget, os.cpu_count() or 1, n // 50_000))


class _Scan:
    """The approximate scan of one query, split into row ranges searched in parallel threads
    (FAISS searches one query on one thread)."""

    def __init__(self, sq: Any, q: Vectors, n: int, mask: npt.NDArray[np.bool_] | None,
                 parts: int) -> None:
        self._sq, self._q = sq, q
        bounds = np.linspace(0, n, parts + 1).astype(np.int64)
        self._keep: list[Any] = []  # selectors must outlive the searches that use them
        if mask is not None:
            bits = np.packbits(mask, bitorder="little")
            self._keep.append(bits)
            self._keep.append(faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits)))
        self._params = []
        for lo, hi in itertools.pairwise(bounds):
            sel: Any = faiss.IDSelectorRange(int(lo), int(hi))
            if mask is not None:
                self._keep.append(sel)
                sel = faiss.IDSelectorAnd(sel, self._keep[1])
            self._keep.append(sel)
            self._params.append(faiss.SearchParameters(sel=sel))

    def top(self, m: int) -> tuple[IdArray, float]:
        """The m best rows by approximate score in each part, and the best approximate score
        any part left out (-inf when every part returned all its rows)."""
        found = self._each_part(lambda p: self._sq.search(self._q, m, params=p)[:2])
        rows = np.concatenate([labels[0][labels[0] >= 0] for _, labels in found])
        left_out = [float(dist[0, -1]) for dist, labels in found if labels[0, -1] >= 0]
        return rows.astype(np.int64), max(left_out, default=-np.inf)

    def _each_part(self, search: Callable[[Any], Any]) -> list[Any]:
        """`search(params)` for every part, each on its own thread (FAISS releases the GIL)."""
        def one_thread(params: Any) -> Any:
            faiss.omp_set_num_threads(1)  # this worker thread's own OpenMP setting
            return search(params)

        with ThreadPoolExecutor(len(self._params)) as pool:
            return list(pool.map(one_thread, self._params))
