"""Reranking: a cross-encoder reorders the candidates a search found.

A search (dense, lexical or hybrid) fetches `depth` candidates cheaply; a cross-encoder reads
the query with each candidate's text and scores the pair; the best `k` by that score are the
answer. Each reranked hit keeps the first search's score and rank beside the new one, so a
reader sees what reranking changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from embmagic.errors import InvalidArgumentError
from embmagic.types import Hit

DEFAULT_DEPTH = 50
"""Candidates fetched for the cross-encoder when no depth is given (at least k)."""
MAX_DEPTH = 1000
"""A cross-encoder runs the model once per candidate: more is refused, not slowly done."""


class PairScorer(Protocol):
    """What reranking needs from a cross-encoder (engine/cross_encoder.py)."""

    name: str

    def score(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True)
class Reranked:
    """A hit whose score is the cross-encoder's, with its first search's score and rank."""

    hit: Hit
    similarity: float  # the first search's score (cosine, BM25 or fused)
    first_rank: int  # 1-based rank in the first search


def rerank_depth(depth: int | None, k: int) -> int:
    """Candidates to fetch for reranking down to `k`: `depth`, or max(DEFAULT_DEPTH, k)."""
    if depth is None:
        return max(DEFAULT_DEPTH, k)
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidArgumentError(f"--rerank-depth must be between 1 and {MAX_DEPTH}, got {depth}")
    if depth < k:
        msg = f"--rerank-depth ({depth}) must be at least k ({k}): it is how many candidates the "
        msg += "cross-encoder chooses the k best from"
        raise InvalidArgumentError(msg)
    return depth


def rerank(scorer: PairScorer, query: str, hits: Sequence[Hit], k: int) -> list[Reranked]:
    """The best `k` of `hits` by the cross-encoder's score for (query, text), best first
    (ties: the first search's order)."""
    if k <= 0:
        raise InvalidArgumentError(f"k must be a positive number of results, got {k}")
    if not query.strip():
        raise InvalidArgumentError("reranking needs a query text")
    scores = np.asarray(scorer.score(query, [h.text for h in hits]), dtype=np.float32)
    if scores.shape != (len(hits),):
        msg = f"the reranker {scorer.name!r} gave {scores.shape} scores for {len(hits)} texts"
        raise InvalidArgumentError(msg)
    if not np.all(np.isfinite(scores)):
        raise InvalidArgumentError(f"the reranker {scorer.name!r} gave scores that are not finite")
    order = sorted(range(len(hits)), key=lambda i: (-float(scores[i]), i))[:k]
    return [
        Reranked(Hit(hits[i].id, float(scores[i]), hits[i].text, hits[i].metadata),
                 hits[i].score, i + 1)
        for i in order
    ]  # fmt: skip
