"""The blocked top-k used by `flat` equals a full sort, across blocks, ties and masks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from embmagic.store import topk


def full_sort(queries: np.ndarray, base: np.ndarray, ids: np.ndarray, k: int,
              mask: np.ndarray | None = None) -> list[list[int]]:
    keep = np.ones(len(base), bool) if mask is None else mask
    scores = queries @ base[keep].T
    return [ids[keep][np.lexsort((ids[keep], -row))][:k].tolist() for row in scores]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 3_000), nq=st.integers(1, 4), k=st.integers(1, 40),
       seed=st.integers(0, 10**6), masked=st.booleans(), block=st.integers(1, 700))
def test_matches_full_sort_with_ties(n: int, nq: int, k: int, seed: int, masked: bool,
                                     block: int) -> None:
    rng = np.random.default_rng(seed)
    # few distinct rows, so many scores are exactly equal and ties cross block boundaries
    base = rng.integers(-2, 3, (n, 8)).astype(np.float32)
    ids = rng.permutation(10 * n + 1)[:n].astype(np.int64)
    queries = rng.integers(-2, 3, (nq, 8)).astype(np.float32)
    mask = rng.random(n) < 0.3 if masked else None
    got = topk.top_k(queries, base, ids, k, mask, block_rows=block)
    assert [g[0].tolist() for g in got] == full_sort(queries, base, ids, k, mask)


def test_blocked_scores_are_the_inner_products() -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((5_000, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = base[[10, 4_999]]
    ids = np.arange(5_000, dtype=np.int64) * 3
    got = topk.top_k(queries, base, ids, 4, block_rows=1_000)
    assert [g[0][0] for g in got] == [30, 14_997]
    np.testing.assert_allclose(got[0][1], np.sort(queries[0] @ base.T)[::-1][:4], rtol=1e-5)
