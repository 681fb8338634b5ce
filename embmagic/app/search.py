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
from embmagic.types import Where

if TYPE_CHECKING:
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
    image: Any = None,
) -> NeighborsResult:
    """Nearest records of `collection` to a text, a stored record (`id`), or an image (a path
    or PIL image, in a collection embedded with a CLIP model: app/images.py)."""
    from embmagic.core.neighbors import neighbors as find

    if sum(x is not None and x != "" for x in (query, id, image)) > 1:
        raise InvalidArgumentError("give one of a query text, --id ID or --image PATH, not both")
    if id is None and image is None:
        query = check_query(query)
    chosen = session.resolve(collection)
    vector = None
    if image is not None:
        from embmagic.app.images import image_vector

        vector = image_vector(session, chosen, image)
    engine = session.engine_for(chosen) if query else None
    hits = find(chosen, engine, query or None, id=id, vector=vector, k=k or session.options.k,
                where=where or None, mmr=mmr)  # fmt: skip
    opts = session.options
    label = query or (f"id {id}" if id is not None else f"image {_image_label(image)}")
    return NeighborsResult(label, chosen.name, hits, opts.display_limit,
                           opts.text_width)  # fmt: skip


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
