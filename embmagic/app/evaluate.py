"""Retrieval evaluation: what `%emb eval` and `Workspace.evaluate_retrieval` do.

Each query of a qrels file is searched in every collection and mode through the same
`search.neighbors` as `%neighbors`, so the figures are those of the search users run. The
metrics are core's (`core.retrieval_eval`); qrels are read and checked by `core.qrels` before
any search, so a bad file changes nothing and costs nothing.

Chunked collections are evaluated per document with `by=KEY`: the qrels then name documents by
the value of the records' metadata KEY (e.g. `article`), a document's rank is the rank of its
first chunk, and chunks of one document count once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from embmagic.app import search
from embmagic.app.results import RetrievalEvalResult, RetrievalScore
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import SEARCH_MODES, SearchMode

if TYPE_CHECKING:
    from embmagic.core.qrels import Qrels
    from embmagic.store import BaseCollection

APPROXIMATE_KINDS = ("hnsw", "ivfpq")
"""Index kinds whose dense search is approximate: their recall against exact search is shown."""
INDEX_CHECK_LIMIT = 200_000
"""Exact search for the index check re-encodes every record (the engine's cache makes that free
for a collection embedded in this session); above this many records it is skipped."""
PROGRESS_AT = 1_000
"""Searches (queries x modes x collections) from which a progress bar shows (auto)."""
CHUNK_FETCH = 5
"""With `by=KEY`, this many times more records are fetched, so k distinct documents remain."""

QrelsSource = str | os.PathLike[str] | Sequence[Mapping[str, Any]]


def evaluate_retrieval(
    session: Session,
    collections: str | BaseCollection | Sequence[str | BaseCollection],
    qrels: QrelsSource,
    *,
    k: int = 10,
    modes: Sequence[str] | None = None,
    queries: str | os.PathLike[str] | None = None,
    by: str | None = None,
) -> RetrievalEvalResult:
    """recall@k, MRR@k, nDCG@10 and hit@1 of each collection in each mode (default: all)."""
    start = time.perf_counter()
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgumentError(f"k must be a positive whole number, got {k!r}")
    chosen_modes = _modes(modes)
    judged = _read(qrels, queries)
    targets = [session.resolve(c) for c in _as_list(collections)]
    relevant = [_relevant(judged, c, by) for c in targets]  # every check before any search
    texts = [j.query for j in judged.judgements]
    rows: list[RetrievalScore] = []
    total = len(targets) * len(chosen_modes) * len(texts)
    with _progress(session.options.progress, total) as advance:
        for collection, wanted in zip(targets, relevant, strict=True):
            checked = index_recall(session, collection, texts, k)
            for mode in chosen_modes:
                ranked = [_ranking(session, collection, q, k, mode, by, advance) for q in texts]
                rows.append(_row(collection, mode, ranked, wanted, k, checked))
    return RetrievalEvalResult(judged.source, k, rows, time.perf_counter() - start)


def _row(collection: BaseCollection, mode: str, ranked: list[list[Any]],
         wanted: list[frozenset[Any]], k: int, checked: float | None) -> RetrievalScore:
    from embmagic.core.retrieval_eval import score_rankings

    s = score_rankings(ranked, wanted, k=k, ndcg_k=10)
    return RetrievalScore(collection.name, mode, collection.kind, s.queries, s.recall, s.mrr,
                          s.ndcg, s.hit1, checked)  # fmt: skip


def _ranking(session: Session, collection: BaseCollection, query: str, k: int,
             mode: SearchMode,
             by: str | None, advance: Any) -> list[Any]:
    depth = max(k, 10)
    found = search.neighbors(session, query, collection=collection,
                             k=depth * CHUNK_FETCH if by else depth, mode=mode)
    advance()
    if by is None:
        return [h.id for h in found.hits]
    documents = dict.fromkeys(_key(h.metadata.get(by)) for h in found.hits)
    return [d for d in documents if d is not None][:depth]


def _key(value: Any) -> Any:
    """Metadata values compared as the qrels give them: ints as ints, the rest as text."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return str(value)


def _modes(modes: Sequence[str] | None) -> list[SearchMode]:
    if modes is None:
        return list(SEARCH_MODES)
    chosen = [modes] if isinstance(modes, str) else list(dict.fromkeys(modes))
    unknown = [m for m in chosen if m not in SEARCH_MODES]
    if unknown or not chosen:
        msg = f"--mode {' '.join(unknown)}: choose from {', '.join(SEARCH_MODES)}"
        raise InvalidArgumentError(msg)
    return [m for mode in chosen for m in SEARCH_MODES if m == mode]


def _read(qrels: QrelsSource, queries: str | os.PathLike[str] | None) -> Qrels:
    from embmagic.core.qrels import qrels_from_entries, read_qrels

    if isinstance(qrels, (str, os.PathLike)):
        return read_qrels(qrels, queries)
    if queries is not None:
        raise InvalidArgumentError("queries= goes with a TREC qrels file, not a list of dicts")
    return qrels_from_entries(qrels)


def _relevant(judged: Qrels, collection: BaseCollection, by: str | None) -> list[frozenset[Any]]:
    from embmagic.core.qrels import resolve

    if by is None:
        return resolve(judged, collection)
    values = {_key(r.metadata.get(by)) for r in collection.records()} - {None}
    if not values:
        raise InvalidArgumentError(f"--by {by}: no record of {collection.name!r} has metadata "
                                   f"key {by!r}")
    for j in judged.judgements:
        missing = [r for r in j.relevant if _key(r) not in values]
        if missing:
            msg = (f"qrels {judged.source} line {j.line}: no record of {collection.name!r} has "
                   f"{by}={missing[0]!r} (with --by, qrels name documents by {by})")
            raise InvalidArgumentError(msg)
    return [frozenset(_key(r) for r in j.relevant) for j in judged.judgements]


def index_recall(session: Session, collection: BaseCollection, queries: list[str],
                 k: int) -> float | None:
    """Share of exact search's top-k (over freshly encoded records) that the collection's
    approximate index returns for `queries`; None for exact kinds and very large collections."""
    from embmagic.core.retrieval_eval import exact_top_k, overlap_recall

    if collection.kind not in APPROXIMATE_KINDS or len(collection) > INDEX_CHECK_LIMIT:
        return None
    engine = session.engine_for(collection)
    query_vectors = engine.embed(queries)
    found = [[h.id for h in row] for row in collection.search(query_vectors, k)]
    records = collection.records()
    vectors = engine.embed([r.text for r in records])
    exact = exact_top_k(query_vectors, vectors, [r.id for r in records], k)
    return overlap_recall(found, exact, k)


def _as_list(given: Any) -> list[Any]:
    if isinstance(given, str) or not isinstance(given, Sequence):
        return [given]
    if not given:
        raise InvalidArgumentError("name at least one collection to evaluate")
    return list(given)


@contextmanager
def _progress(show: bool | None, total: int) -> Iterator[Any]:
    """A callable advancing a tqdm bar by one search (auto: from PROGRESS_AT searches)."""
    if show is False or (show is None and total < PROGRESS_AT):
        yield lambda: None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="evaluating retrieval", unit="query")
    try:
        yield lambda: bar.update(1)
    finally:
        bar.close()
