"""`%rag` / `%%rag`: retrieve numbered sources, answer through a generator, list the citations.

Retrieval, prompt building, generation and citation parsing are core's (`embmagic.core.rag`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from embmagic.errors import InvalidArgumentError
from embmagic.magics.options import Options
from embmagic.magics.query import collection_engine
from embmagic.magics.results import RagResult
from embmagic.session import Session

if TYPE_CHECKING:
    from embmagic.core.generators import Generator, SourceGenerator
    from embmagic.engine import Engine

RAG_K = 4
"""Sources retrieved when no -k is given (DESIGN §2: `%rag ... [-k 4]`)."""
AVAILABLE_GENERATORS = ("auto", "extractive")


def make_generator(name: str, encoder: Engine) -> Generator | SourceGenerator:
    """ADAPTER until core offers a generator registry: only `extractive` exists so far, and
    `auto` falls back to it (the openai/local backends are the next issue)."""
    from embmagic.core.generators import ExtractiveGenerator

    if name not in AVAILABLE_GENERATORS:
        msg = f"generator {name!r} is not available: use one of {', '.join(AVAILABLE_GENERATORS)}"
        raise InvalidArgumentError(msg)
    return ExtractiveGenerator(encoder)


def run_rag(session: Session, opts: Options, args: argparse.Namespace, question: str) -> RagResult:
    """Answer `question` from a collection and return the answer with its numbered sources."""
    from embmagic.core.rag import ask

    if not question:
        raise InvalidArgumentError("empty question: e.g. %rag How tall is it? -c facts")
    name = args.collection or opts.collection
    collection = session.collection(name)
    engine = collection_engine(session, opts, collection)
    generator = make_generator(args.llm or opts.generator, engine)
    reply = ask(collection, engine, question, generator, k=args.k or RAG_K)
    return RagResult(
        question=reply.question,
        answer=reply.answer,
        generator=str(reply.generator),
        sources=[s.hit for s in reply.sources],
        cited=[s.number for s in reply.cited],
        prompt=reply.prompt if args.show_prompt else None,
        width=opts.text_width,
        unknown_citations=list(reply.unknown_citations),
        raw=reply,
    )
