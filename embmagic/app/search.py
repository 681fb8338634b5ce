"""Searching and word arithmetic: what `%neighbors`, `%analogy` and the explorer do.

The ranking is core's (`core.neighbors`, `core.analogy`); this module picks the collection and
engine from the session, checks what the user gave, and wraps the answer in a result object.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal

from embmagic.app.results import AnalogyEvalResult, AnalogyResult, NeighborsResult, SectionScore
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import SearchMode, Where

if TYPE_CHECKING:
    from embmagic.core.rerank import PairScorer
    from embmagic.core.wordspace import WordSpace
    from embmagic.store import BaseCollection

Method = Literal["add", "mul"]
EMPTY_QUERY = "empty query: write the text to search for, e.g. %neighbors cat"


def check_query(text: str | None, message: str = EMPTY_QUERY) -> str:
    """The query stripped of surrounding space, or the one-line error for an empty one."""
    if text is None or not text.strip():
        raise InvalidArgumentError(message)
    return text.strip()


def neighbors(
    session: Session,
    query: str | None = None,
    *,
    collection: str | BaseCollection | None = None,
    k: int | None = None,
    id: int | None = None,
    where: Where | None = None,
    mmr: bool = False,
    mode: SearchMode | None = None,
    rerank: str | None = None,
    rerank_depth: int | None = None,
    image: Any = None,
) -> NeighborsResult:
    """Nearest records of `collection` to a text, a stored record (`id`), or an image (a path
    or PIL image, in a collection embedded with a CLIP model: app/images.py). `mode`: dense,
    lexical or hybrid (core.neighbors); None: the session's search_mode option, except for an
    image query or a collection of images, where it is dense (their record texts are paths).
    `rerank`: a cross-encoder (folder or cached name) that picks the k best of `rerank_depth`
    candidates (default max(50, k)) found by the mode."""
    from embmagic.app.images import image_vector
    from embmagic.core.neighbors import neighbors as find

    if sum(x is not None and x != "" for x in (query, id, image)) > 1:
        raise InvalidArgumentError("give one of a query text, --id ID or --image PATH, not both")
    want = k or session.options.k
    fetch = rerank_fetch(rerank, rerank_depth, want, id=id, mmr=mmr, image=image)
    if id is None and image is None:
        query = check_query(query)
    chosen = session.resolve(collection)
    how = search_mode_for(session, chosen, mode, image=image is not None)
    if image is not None and how != "dense":
        raise InvalidArgumentError(f"an image query searches by meaning only: drop --mode {how}")
    vector = image_vector(session, chosen, image) if image is not None else None
    engine = session.engine_for(chosen) if query and how != "lexical" else None
    scorer = session.reranker(rerank) if rerank else None  # a missing model fails first
    hits = find(chosen, engine, query or None, id=id, vector=vector, k=fetch,
                where=where or None, mmr=mmr, mode=how)  # fmt: skip
    opts = session.options
    label = query or (f"id {id}" if id is not None else f"image {_image_label(image)}")
    result = NeighborsResult(label, chosen.name, hits, opts.display_limit, opts.text_width)
    return reranked(result, scorer, want) if scorer is not None else result


def rerank_fetch(rerank: str | None, depth: int | None, k: int, *, id: int | None = None,
                 mmr: bool = False, image: Any = None) -> int:
    """How many candidates the search fetches: `k`, or the rerank depth (checked)."""
    from embmagic.core.rerank import rerank_depth

    if rerank is None:
        if depth is not None:
            raise InvalidArgumentError("--rerank-depth N goes with --rerank MODEL")
        return k
    if not rerank.strip():
        raise InvalidArgumentError("--rerank needs a cross-encoder: a folder or a model name")
    if id is not None or image is not None:
        msg = ("--rerank needs a query text (the cross-encoder reads it with each record), "
               "not --id or --image")
        raise InvalidArgumentError(msg)
    if mmr:
        msg = "--rerank and --mmr do not combine (reranking would undo MMR's diversity): use one"
        raise InvalidArgumentError(msg)
    return rerank_depth(depth, k)


def reranked(result: NeighborsResult, scorer: PairScorer, k: int) -> NeighborsResult:
    """`result` with its hits reordered by `scorer` and cut to `k`; the search's scores kept."""
    from embmagic.core.rerank import rerank

    ranked = rerank(scorer, result.query, result.hits, k)
    result.candidates = len(result.hits)
    result.hits = [r.hit for r in ranked]
    result.search_scores = [r.similarity for r in ranked]
    result.reranker = scorer.name
    return result


def search_mode_for(session: Session, collection: BaseCollection, mode: str | None = None, *,
                    image: bool = False) -> SearchMode:
    """`search_mode` for a search of `collection`: with no mode asked for, an image query or a
    collection of images searches dense (the record texts of images are their paths)."""
    from embmagic.app.images import is_image_collection

    dense_only = image or is_image_collection(collection)
    return search_mode(session, mode, default="dense" if dense_only else None)


def search_mode(session: Session, mode: str | None, *, default: str | None = None
                ) -> SearchMode:
    """The mode asked for, else `default`, else the session's `search_mode` option; one-line
    error if unknown."""
    from embmagic.core.hybrid import check_mode

    return check_mode(mode if mode is not None else default or session.options.search_mode)


def _image_label(image: Any) -> str:
    import os

    return os.fspath(image) if isinstance(image, str | os.PathLike) else type(image).__name__


def word_space(session: Session, space: str | None = None) -> WordSpace:
    """`glove` (static word vectors) or the name of a collection (its records as words)."""
    from embmagic.core.wordspace import WordSpace, load_word_space

    name = space or session.options.analogy_space
    if name in session.collections:
        return WordSpace.from_collection(session.collections[name])
    key = "glove-50" if name in ("glove", "glove-50") else name
    if key not in session.word_spaces:
        if key != "glove-50":
            known = ", ".join(sorted(session.collections)) or "none yet"
            msg = f"--space {name}: neither 'glove' nor a collection (collections: {known})"
            raise InvalidArgumentError(msg)
        session.word_spaces[key] = load_word_space(key)
    return session.word_spaces[key]


def analogy(
    session: Session,
    expression: str,
    *,
    k: int | None = None,
    method: Method = "add",
    space: str | None = None,
    include_inputs: bool = False,
) -> AnalogyResult:
    """The words that complete `a - b + c` (or `b:a::c:?`) in a word space."""
    from embmagic.core.analogy import analogy as solve
    from embmagic.core.analogy import parse_analogy

    expression = check_query(expression, "empty analogy: write e.g. %analogy king - man + woman")
    terms = parse_analogy(expression)
    chosen = word_space(session, space)
    answers = solve(chosen, terms, k=k or session.options.k, method=method,
                    include_inputs=include_inputs)  # fmt: skip
    return AnalogyResult(expression, answers, method, chosen.name, session.options.display_limit)


def evaluate_analogies(session: Session, path: str, *, space: str | None = None
                       ) -> AnalogyEvalResult:
    """Accuracy on an analogy file in the Google format, per section and in total."""
    from embmagic.core.analogy import evaluate_analogies as evaluate

    chosen = word_space(session, space)
    start = time.perf_counter()
    result = evaluate(chosen, path)
    sections = [
        SectionScore(s.name, len(s.correct), len(s.correct) + len(s.incorrect))
        for s in result.sections
    ]
    correct = len(result.total.correct)
    return AnalogyEvalResult(
        path, sections, correct, correct + len(result.total.incorrect), result.skipped,
        seconds=time.perf_counter() - start,
    )  # fmt: skip
