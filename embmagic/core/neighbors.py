"""Nearest records to a text, a stored record or a vector, optionally diversified with MMR."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from embmagic.core.hybrid import (
    FUSIONS,
    HYBRID_DEPTH,
    Fusion,
    check_mode,
    convex_fusion,
    reciprocal_rank_fusion,
    weighted_fusion,
)
from embmagic.errors import (
    DimensionMismatchError,
    InvalidArgumentError,
    ModelMismatchError,
)
from embmagic.types import Encoder, Hit, SearchMode, Vectors, Where

if TYPE_CHECKING:
    from embmagic.store import BaseCollection

MMR_FETCH_FACTOR = 4
"""MMR re-ranks this many times k candidates fetched by plain similarity."""


def neighbors(
    collection: BaseCollection,
    encoder: Encoder | None,
    query: str | None = None,
    *,
    id: int | None = None,  # the user-facing name (`%neighbors --id`)
    vector: npt.ArrayLike | None = None,
    k: int = 5,
    where: Where | None = None,
    mmr: bool = False,
    lambda_: float = 0.5,
    mode: SearchMode = "dense",
    fusion: Fusion = "convex",
) -> list[Hit]:
    """The `k` records most similar to exactly one of `query`, `id` or `vector`.

    `mode`: "dense" ranks by cosine, "lexical" by BM25 over the words (a stored record's own
    text with `id`; no vector), "hybrid" fuses both rankings (`fusion`, see core.hybrid:
    "convex" by default, "rrf", "weighted"), so scores are the fused ones. `where` keeps
    records whose metadata match every key, on both sides. By id, the record itself is left
    out. With `mmr`, `4 k` candidates are re-ranked by maximal marginal relevance (`lambda_`
    = 1 is pure relevance, 0 pure diversity); scores stay the mode's. `encoder` is only
    needed for a text query that is searched densely (dense, hybrid).
    """
    _check_options(query, id, vector, k, lambda_)
    mode = check_mode(mode)
    ensure_not_empty(collection)
    exclude = {id} if id is not None else set()
    fetch = k * MMR_FETCH_FACTOR if mmr else k
    if mode == "dense":
        qvec = _query_vector(collection, encoder, query, id, vector)
        found = collection.search(qvec[None, :], fetch + len(exclude), where)[0]
        hits = [h for h in found if h.id not in exclude][:fetch]
        if not mmr or len(hits) <= 1:
            return hits[:k]
        cand = collection.vectors_for([h.id for h in hits])
        return [hits[i] for i in mmr_select(qvec, cand, k, lambda_)]
    text = _query_text(collection, query, id)
    depth = fetch + len(exclude) if mode == "lexical" else max(fetch, HYBRID_DEPTH) + len(exclude)
    lexical = [h for h in collection.search_lexical(text, depth, where) if h.id not in exclude]
    if mode == "lexical":
        hits = lexical[:fetch]
    else:
        qvec = _query_vector(collection, encoder, query, id, vector)
        found = collection.search(qvec[None, :], depth, where)[0]
        dense = [h for h in found if h.id not in exclude]
        hits = _fuse(collection, qvec, dense, lexical, fusion)[:fetch]
    if not mmr or len(hits) <= 1:
        return hits[:k]
    return [hits[i] for i in mmr_by_score(collection, hits, k, lambda_)]


def _fuse(collection: BaseCollection, qvec: npt.NDArray[np.float32], dense: list[Hit],
          lexical: list[Hit], fusion: Fusion) -> list[Hit]:
    if fusion == "rrf":
        return reciprocal_rank_fusion([dense, lexical])
    if fusion == "weighted":
        return weighted_fusion(dense, lexical)
    if fusion != "convex":
        msg = f"unknown fusion {fusion!r}: use one of {', '.join(FUSIONS)}"
        raise InvalidArgumentError(msg)
    union = list({h.id: h for h in [*dense, *lexical]}.values())
    if not union:
        return []
    cosines = collection.vectors_for([h.id for h in union]) @ qvec
    return convex_fusion(union, cosines.tolist(), lexical)


def mmr_by_score(collection: BaseCollection, hits: list[Hit], k: int, lambda_: float
                 ) -> list[int]:
    """MMR over ranked hits whose scores are not cosines (BM25, fused): relevance is the score
    scaled to [0, 1] by the best one, redundancy the cosine between candidates' vectors."""
    scores = np.array([h.score for h in hits], dtype=np.float32)
    best = float(scores.max())
    relevance = scores / best if best > 0 else np.ones_like(scores)
    cand = collection.vectors_for([h.id for h in hits])
    return mmr_select(None, cand, k, lambda_, relevance=relevance)


def ensure_not_empty(collection: BaseCollection) -> None:
    """InvalidArgumentError telling the user how to fill an empty collection."""
    if len(collection) == 0:
        msg = f"collection {collection.name!r} is empty: add documents with %%embed first"
        raise InvalidArgumentError(msg)


def check_model(collection: BaseCollection, encoder: Encoder) -> None:
    """ModelMismatchError when the encoder is not the model the collection was built with."""
    if encoder.model_id != collection.model_id:
        msg = (
            f"collection {collection.name!r} was built with model {collection.model_id!r}, "
            f"not {encoder.model_id!r}: query it with --model {collection.model_id}"
        )
        raise ModelMismatchError(msg)


def mmr_select(
    query_vec: npt.ArrayLike | None, cand_vecs: npt.ArrayLike, k: int, lambda_: float = 0.5,
    *, relevance: npt.ArrayLike | None = None,
) -> list[int]:
    """Indices of `k` candidates chosen by maximal marginal relevance, in selection order.

    Each step takes the candidate maximising
    `lambda_ * cos(query, c) - (1 - lambda_) * max cos(c, already chosen)`,
    so a near-duplicate of a chosen record loses to a slightly less similar, different one.
    `relevance` (one value per candidate) replaces cos(query, c) when given.
    """
    cands = np.asarray(cand_vecs, dtype=np.float32)
    n = cands.shape[0]
    if k <= 0 or n == 0:
        return []
    if relevance is None:
        relevance = cands @ np.asarray(query_vec, dtype=np.float32).ravel()
    relevance = np.asarray(relevance, dtype=np.float32)
    redundancy = np.full(n, -np.inf, dtype=np.float32)
    chosen: list[int] = []
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        score = lambda_ * relevance - (1.0 - lambda_) * penalty
        best = int(np.argmax(np.where(available, score, -np.inf)))
        chosen.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, cands @ cands[best])
    return chosen


def _check_options(
    query: str | None, id: int | None, vector: object, k: int, lambda_: float
) -> None:
    """Typed errors for option combinations that cannot work."""
    given = sum(x is not None for x in (query, id, vector))
    if given != 1:
        raise InvalidArgumentError("give exactly one of a query text, --id or a vector")
    if query is not None and not query.strip():
        raise InvalidArgumentError("the query is empty: type some text to search for")
    if k <= 0:
        raise InvalidArgumentError(f"k must be a positive number of results, got {k}")
    if not 0.0 <= lambda_ <= 1.0:
        raise InvalidArgumentError(f"lambda must be between 0 and 1, got {lambda_}")


def _query_text(collection: BaseCollection, query: str | None, id: int | None) -> str:
    """The words a lexical search looks for: the query, or the stored record's text."""
    if query is not None:
        return query.strip()
    if id is not None:
        return collection.get(id).text
    msg = "lexical and hybrid search need a query text or --id, not a vector"
    raise InvalidArgumentError(msg)


def _query_vector(
    collection: BaseCollection,
    encoder: Encoder | None,
    query: str | None,
    id: int | None,
    vector: npt.ArrayLike | None,
) -> npt.NDArray[np.float32]:
    """The unit query vector (d,) from whichever of text, id or vector was given."""
    if query is not None:
        if encoder is None:
            raise InvalidArgumentError("a text query needs an encoder")
        check_model(collection, encoder)
        return _as_unit(encoder.embed([query.strip()]), collection.dim)
    if id is not None:
        collection.get(id)  # RecordNotFoundError with the store's message
        return _as_unit(collection.vectors_for([id]), collection.dim)
    return _as_unit(vector, collection.dim)


def _as_unit(vector: npt.ArrayLike | Vectors | None, dim: int) -> npt.NDArray[np.float32]:
    """One vector of width `dim` as a float32 unit vector."""
    vec = np.asarray(vector, dtype=np.float32)
    if vec.ndim == 2 and vec.shape[0] == 1:
        vec = vec[0]
    if vec.ndim != 1 or vec.shape[0] != dim:
        msg = f"the query vector has shape {vec.shape}, the collection needs ({dim},)"
        raise DimensionMismatchError(msg)
    norm = float(np.linalg.norm(vec))
    if not np.isfinite(norm) or norm == 0.0:
        raise InvalidArgumentError("the query vector is zero or not finite")
    return np.ascontiguousarray(vec / norm, dtype=np.float32)
