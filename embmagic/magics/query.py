"""`%neighbors` and `%analogy`: validate what the user typed, call core, wrap the result.

The searching and the vector arithmetic are core's (`embmagic.core`); nothing here ranks.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from embmagic.errors import InvalidArgumentError
from embmagic.magics.options import Options
from embmagic.magics.parsing import parse_pairs
from embmagic.magics.results import (
    AnalogyEvalResult,
    AnalogyResult,
    NeighborsResult,
    SectionScore,
)
from embmagic.session import Session

if TYPE_CHECKING:
    from embmagic.core.wordspace import WordSpace
    from embmagic.engine import Engine
    from embmagic.store import Collection


def collection_engine(session: Session, opts: Options, collection: Collection) -> Engine:
    """The engine that built `collection`: queries must be encoded by the same model."""
    return session.engine(
        collection.model_id, opts.device, batch_size=opts.batch_size, progress=opts.show_progress
    )


def run_neighbors(
    session: Session, opts: Options, args: argparse.Namespace, query: str
) -> NeighborsResult:
    """Nearest records to a text or to a stored record (`--id`)."""
    from embmagic.core.neighbors import neighbors

    if args.id is not None and query:
        raise InvalidArgumentError("give a query text or --id ID, not both")
    if args.id is None and not query:
        raise InvalidArgumentError("empty query: write the text to search for, e.g. %neighbors cat")
    name = args.collection or opts.collection
    collection = session.collection(name)
    engine = collection_engine(session, opts, collection) if query else None
    hits = neighbors(
        collection,
        engine,
        query or None,
        id=args.id,
        k=args.k or opts.k,
        where=parse_pairs(args.where, "--where") or None,
        mmr=args.mmr,
    )
    shown = query or f"id {args.id}"
    return NeighborsResult(shown, name, hits, opts.display_limit, opts.text_width)


def word_space(session: Session, opts: Options, space: str | None) -> WordSpace:
    """`--space glove` (or any static word vectors) or `--space COLL` (a collection's records)."""
    from embmagic.core.wordspace import WordSpace, load_word_space

    name = space or opts.analogy_space
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


def run_analogy(
    session: Session, opts: Options, args: argparse.Namespace, expression: str
) -> AnalogyResult:
    """The words that complete `a - b + c` (or `b:a::c:?`) in a word space."""
    from embmagic.core.analogy import analogy, parse_analogy

    if not expression:
        raise InvalidArgumentError("empty analogy: write e.g. %analogy king - man + woman")
    terms = parse_analogy(expression)
    space = word_space(session, opts, args.space)
    answers = analogy(
        space, terms, k=args.k or opts.k, method=args.method, include_inputs=args.include_inputs
    )
    return AnalogyResult(expression, answers, args.method, space.name, opts.display_limit)


def run_analogy_eval(
    session: Session, opts: Options, args: argparse.Namespace, expression: str
) -> AnalogyEvalResult:
    """Accuracy on an analogy file in the Google format, per section and in total."""
    from embmagic.core.analogy import evaluate_analogies

    if expression:
        raise InvalidArgumentError("--eval PATH takes no analogy expression")
    space = word_space(session, opts, args.space)
    start = time.perf_counter()
    result = evaluate_analogies(space, args.eval)
    sections = [
        SectionScore(s.name, len(s.correct), len(s.correct) + len(s.incorrect))
        for s in result.sections
    ]
    correct = len(result.total.correct)
    return AnalogyEvalResult(
        args.eval, sections, correct, correct + len(result.total.incorrect), result.skipped,
        seconds=time.perf_counter() - start,
    )  # fmt: skip
