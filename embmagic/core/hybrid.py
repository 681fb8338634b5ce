"""Fusing rankings: dense (cosine) and lexical (BM25) results into one hybrid list.

The default, `convex_fusion`: α · cosine + (1 − α) · BM25 / (the best BM25 of the query), over
the candidates of both sides, α = 0.75 (a convex combination, as analysed by Bruch, Gai and
Ingber, "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023). Measured on the
shipped Lee sets with MiniLM, it beats reciprocal rank fusion (Cormack, Clarke and Büttcher,
SIGIR 2009; score = Σ 1 / (60 + rank)), which is here too, with a weighted sum of min-max
normalised scores (docs/core.md has the numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from embmagic.errors import InvalidArgumentError
from embmagic.types import SEARCH_MODES, Hit, SearchMode

RRF_K = 60
"""The rank constant of reciprocal rank fusion (the paper's value, used by most engines)."""
HYBRID_DEPTH = 50
"""Candidates taken from each side before fusing (more when k or MMR asks for more)."""
HYBRID_ALPHA = 0.75
"""Weight of the cosine in `convex_fusion` (1 − it: of the normalised BM25), measured best on
the shipped Lee sets with MiniLM: 0.7-0.8 pass both; 0.85 loses a fifth of the rare words."""

Fusion = Literal["convex", "rrf", "weighted"]
FUSIONS: tuple[Fusion, ...] = ("convex", "rrf", "weighted")


def check_mode(mode: object) -> SearchMode:
    """`mode` if it is a search mode, else a one-line InvalidArgumentError listing them."""
    if mode not in SEARCH_MODES:
        msg = f"unknown search mode {mode!r}: use one of {', '.join(SEARCH_MODES)}"
        raise InvalidArgumentError(msg)
    return mode  # type: ignore[return-value]  # checked just above


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hit]], k: int = RRF_K) -> list[Hit]:
    """One list from several: each hit scores Σ 1 / (k + rank) over the rankings it is in
    (rank 1 first), best first, ties to the lower id. Hits keep their text and metadata."""
    fused: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (k + rank)
            first.setdefault(hit.id, hit)
    return _ordered(fused, first)


def weighted_fusion(dense: Sequence[Hit], lexical: Sequence[Hit], alpha: float = 0.5
                    ) -> list[Hit]:
    """One list from two: alpha * dense + (1 - alpha) * lexical, each side's scores min-max
    normalised to [0, 1] over its own hits (absent: 0). Best first, ties to the lower id."""
    if not 0.0 <= alpha <= 1.0:
        raise InvalidArgumentError(f"alpha must be between 0 and 1, got {alpha}")
    fused: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for weight, ranking in ((alpha, dense), (1.0 - alpha, lexical)):
        for hit, norm in zip(ranking, _min_max([h.score for h in ranking]), strict=True):
            fused[hit.id] = fused.get(hit.id, 0.0) + weight * norm
            first.setdefault(hit.id, hit)
    return _ordered(fused, first)


def convex_fusion(candidates: Sequence[Hit], cosines: Sequence[float], lexical: Sequence[Hit],
                  alpha: float = HYBRID_ALPHA) -> list[Hit]:
    """One list: each candidate scores alpha * its cosine (`cosines`, one per candidate, from
    the stored vectors, so a record only BM25 found still has its true one) + (1 - alpha) * its
    BM25 score divided by the best BM25 in `lexical` (0 when not in it). Best first, ties to
    the lower id."""
    if not 0.0 <= alpha <= 1.0:
        raise InvalidArgumentError(f"alpha must be between 0 and 1, got {alpha}")
    best = max((h.score for h in lexical), default=0.0)
    bm25 = {h.id: h.score / best for h in lexical} if best > 0 else {}
    fused: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for hit, cos in zip(candidates, cosines, strict=True):
        fused[hit.id] = alpha * float(cos) + (1.0 - alpha) * bm25.get(hit.id, 0.0)
        first.setdefault(hit.id, hit)
    return _ordered(fused, first)


def fuse(dense: Sequence[Hit], lexical: Sequence[Hit], method: Fusion = "rrf") -> list[Hit]:
    """`reciprocal_rank_fusion` or `weighted_fusion` of a dense and a lexical list (convex
    fusion needs the cosines of every candidate: `core.neighbors` computes them)."""
    if method == "rrf":
        return reciprocal_rank_fusion([dense, lexical])
    if method == "weighted":
        return weighted_fusion(dense, lexical)
    raise InvalidArgumentError(f"unknown fusion {method!r}: use rrf or weighted")


def _min_max(scores: list[float]) -> list[float]:
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high == low:
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


def _ordered(fused: dict[int, float], first: dict[int, Hit]) -> list[Hit]:
    order = sorted(fused, key=lambda i: (-fused[i], i))
    return [Hit(i, fused[i], first[i].text, first[i].metadata) for i in order]


__all__ = ["FUSIONS", "HYBRID_ALPHA", "HYBRID_DEPTH", "RRF_K", "Fusion", "check_mode",
           "convex_fusion", "fuse", "reciprocal_rank_fusion", "weighted_fusion"]
