"""Retrieval metrics over ranked record ids: recall@k, MRR@k, nDCG@k, hit@k, and how much of
exact search an approximate index finds. Pure functions (binary relevance), no I/O.

Definitions (as in trec_eval / ir-measures with binary grades):
- recall@k: the share of a query's relevant records found in its first k results;
- reciprocal rank@k: 1 / rank of the first relevant result within k, else 0 (MRR is the mean);
- nDCG@k: sum of 1 / log2(rank + 1) over relevant results within k, divided by the same sum
  for an ideal ranking (all relevant records first);
- hit@k: 1 if any relevant record is within k, else 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def recall_at_k(ranked: Sequence[int], relevant: Set[int], k: int) -> float:
    """Share of `relevant` among the first `k` of `ranked`."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[int], relevant: Set[int], k: int) -> float:
    """1 / (rank of the first relevant record within the first k), else 0."""
    for rank, rid in enumerate(ranked[:k], start=1):
        if rid in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[int], relevant: Set[int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first `k` results, binary relevance."""
    gain = sum(1.0 / math.log2(rank + 1)
               for rank, rid in enumerate(ranked[:k], start=1) if rid in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return gain / ideal if ideal else 0.0


def hit_at_k(ranked: Sequence[int], relevant: Set[int], k: int = 1) -> float:
    """1.0 when a relevant record is among the first `k`, else 0.0."""
    return 1.0 if set(ranked[:k]) & relevant else 0.0


@dataclass(frozen=True)
class Scores:
    """Mean metrics over `queries` queries at cut-off `k` (nDCG at `ndcg_k`, hit at 1)."""

    queries: int
    k: int
    recall: float
    mrr: float
    ndcg: float
    hit1: float
    ndcg_k: int = 10


def score_rankings(rankings: Sequence[Sequence[int]], relevant: Sequence[Set[int]],
                   k: int = 10, ndcg_k: int = 10) -> Scores:
    """Mean recall@k, MRR@k, nDCG@ndcg_k and hit@1 of one ranking per query."""
    if len(rankings) != len(relevant):
        msg = f"{len(rankings)} rankings for {len(relevant)} queries"
        raise ValueError(msg)
    n = len(rankings)

    def mean(values: list[float]) -> float:
        return sum(values) / n if n else 0.0

    pairs = list(zip(rankings, relevant, strict=True))
    return Scores(
        queries=n, k=k,
        recall=mean([recall_at_k(r, rel, k) for r, rel in pairs]),
        mrr=mean([reciprocal_rank(r, rel, k) for r, rel in pairs]),
        ndcg=mean([ndcg_at_k(r, rel, ndcg_k) for r, rel in pairs]),
        hit1=mean([hit_at_k(r, rel, 1) for r, rel in pairs]),
        ndcg_k=ndcg_k,
    )  # fmt: skip


def overlap_recall(found: Sequence[Sequence[int]], exact: Sequence[Sequence[int]],
                   k: int) -> float:
    """Mean share of each query's exact top-k that an approximate search also returned in its
    top-k (the "recall@k against exact search" of ANN benchmarks)."""
    shares = [len(set(f[:k]) & set(e[:k])) / len(e[:k])
              for f, e in zip(found, exact, strict=True) if len(e[:k])]
    return sum(shares) / len(shares) if shares else 0.0


def exact_top_k(queries: npt.ArrayLike, vectors: npt.ArrayLike, ids: npt.ArrayLike,
                k: int) -> list[list[int]]:
    """Brute-force top-k ids by inner product, best first; ties go to the lower id (the
    store's rule)."""
    q = np.asarray(queries, dtype=np.float32)
    x = np.asarray(vectors, dtype=np.float32)
    rid = np.asarray(ids, dtype=np.int64)
    scores = q @ x.T
    out = []
    for row in scores:
        order = np.lexsort((rid, -row))[:k]  # last key first: score descending, then id
        out.append([int(i) for i in rid[order]])
    return out
