"""Fusing rankings: dense (cosine) and lexical (BM25) results into one hybrid list.

Cosine and BM25 scores live on different scales, so the default fusion uses ranks only:
reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009), score = Σ 1 / (60 + rank).
A weighted sum of min-max normalised scores is here too, for comparison (bench/).
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

Fusion = Literal["rrf", "weighted"]


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


def fuse(dense: Sequence[Hit], lexical: Sequence[Hit], method: Fusion = "rrf") -> list[Hit]:
    """`reciprocal_rank_fusion` (default) or `weighted_fusion` of a dense and a lexical list."""
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


__all__ = ["HYBRID_DEPTH", "RRF_K", "Fusion", "check_mode", "fuse", "reciprocal_rank_fusion",
           "weighted_fusion"]
