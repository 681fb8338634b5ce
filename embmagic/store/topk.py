"""Exact top-k by inner product: blocked BLAS matmul + partial selection.

FAISS's IndexFlatIP scans with its own kernels; NumPy's `Q @ X.T` runs at sgemm speed, several
times faster on CPUs. Scanning in blocks keeps the score matrix small, and only the top k of each
block (ties at the cut resolved by lower id) is kept, so the merge is tiny and the order total:
score descending, then id ascending.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from embmagic.types import Vectors

IdArray = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]
Neighbours = list[tuple[IdArray, Scores]]

_BLOCK_CELLS = 1 << 20
"""Score-matrix cells per block (4 MiB of float32): big enough for sgemm, small enough for cache."""


def top_k(
    queries: Vectors,
    base: Vectors,
    ids: IdArray,
    k: int,
    mask: npt.NDArray[np.bool_] | None = None,
    *,
    block_rows: int | None = None,
) -> Neighbours:
    """For each query: (ids, scores) of its k best rows of `base`; `mask` rows only when given."""
    nq, n = queries.shape[0], base.shape[0]
    if n == 0 or nq == 0:
        return [(np.empty(0, np.int64), np.empty(0, np.float32)) for _ in range(nq)]
    block = block_rows or max(1024, _BLOCK_CELLS // nq)
    parts = [
        _block_top_k(queries, base[s : s + block], ids[s : s + block], k,
                     None if mask is None else mask[s : s + block])
        for s in range(0, n, block)
    ]
    scores = np.concatenate([p[0] for p in parts], axis=1)
    cand = np.concatenate([p[1] for p in parts], axis=1)
    return _finish(scores, cand, k)


def _block_top_k(
    queries: Vectors,
    block: Vectors,
    ids: IdArray,
    k: int,
    mask: npt.NDArray[np.bool_] | None,
) -> tuple[Scores, IdArray]:
    """The k best (score, id) of one block per query, exact under the (score desc, id asc) order."""
    scores: Scores = queries @ block.T
    if mask is not None:
        scores[:, ~mask] = -np.inf
    width = scores.shape[1]
    kk = min(k, width)
    if kk == width:
        return scores, np.broadcast_to(ids, scores.shape).copy()
    cols = np.argpartition(scores, width - kk, axis=1)[:, width - kk :]
    top = np.take_along_axis(scores, cols, axis=1)
    cut = top.min(axis=1)
    crowded = (scores >= cut[:, None]).sum(axis=1) > kk
    tied = np.flatnonzero(crowded & np.isfinite(cut))  # a -inf cut: masked rows, dropped later
    for row in tied:  # equal scores straddle the cut: keep the lowest ids, deterministically
        pool = np.flatnonzero(scores[row] >= cut[row])
        order = np.lexsort((ids[pool], -scores[row, pool]))[:kk]
        cols[row] = pool[order]
        top[row] = scores[row, pool[order]]
    return top, ids[cols]


def _finish(scores: Scores, cand: IdArray, k: int) -> Neighbours:
    """Sort candidates by score desc then id asc, keep k, drop masked (-inf) entries."""
    order = np.lexsort((cand, -scores), axis=1)[:, :k]
    best_s = np.take_along_axis(scores, order, axis=1)
    best_i = np.take_along_axis(cand, order, axis=1)
    out: Neighbours = []
    for s_row, i_row in zip(best_s, best_i, strict=True):
        keep = np.isfinite(s_row)
        out.append((i_row[keep].astype(np.int64), s_row[keep].astype(np.float32)))
    return out


def sort_hits(ids: IdArray, scores: Scores, k: int) -> tuple[IdArray, Scores]:
    """Order one query's hits by score desc then id asc (used after ANN search) and keep k."""
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]
