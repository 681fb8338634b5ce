"""Answering a question from a collection: what `%rag` and the RAG panel do.

Retrieval, the prompt, generation and citations are core's (`embmagic.core.rag`); this module
picks the collection, its engine and the generator, and builds the result object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from embmagic.app.results import RagResult
from embmagic.app.search import check_query, rerank_fetch, search_mode
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import SearchMode

if TYPE_CHECKING:
    from embmagic.core.rag import RagAnswer
    from embmagic.store import BaseCollection

RAG_K = 4
"""Sources retrieved when no k is given (DESIGN §2: `%rag ... [-k 4]`)."""
EMPTY_QUESTION = "empty question: e.g. %rag How tall is it? -c facts"


def load_generator(session: Session, llm: str | Any, collection: BaseCollection) -> Any:
    """The generator named `llm` (None: the options' default), or `llm` itself if it is one."""
    from embmagic.core.rag import load_generator as load

    if llm is not None and not isinstance(llm, str):
        return llm
    return load(llm or session.options.generator, encoder=session.engine_for(collection),
                settings=session.options.generator_settings())  # fmt: skip


def check_text_collection(collection: BaseCollection) -> None:
    """InvalidArgumentError for a collection of images: %rag answers from text only."""
    from embmagic.app.images import is_image_collection

    if is_image_collection(collection):
        msg = (f"collection {collection.name!r} holds images: %rag answers from text only; "
               "ask over a text collection (search images with %neighbors)")
        raise InvalidArgumentError(msg)


def ask(
    session: Session,
    question: str,
    *,
    collection: str | BaseCollection | None = None,
    k: int | None = None,
    llm: str | Any = None,
    generate: bool = True,
    show_prompt: bool = False,
    on_start: Callable[[Any], Callable[[str], None] | None] | None = None,
    mode: SearchMode | None = None,
    rerank: str | None = None,
    rerank_depth: int | None = None,
) -> RagResult:
    """Answer `question` from `collection` and return the answer with its numbered sources.

    `llm`: a generator name or object. `on_start(generator)` is called before generating and
    may return a function that sees each chunk of a streamed answer (a live display).
    `mode`: how sources are retrieved (dense, lexical, hybrid); None: the search_mode option.
    `rerank`: a cross-encoder (folder or cached name) that picks the k sources from
    `rerank_depth` retrieved candidates (default max(50, k)).
    """
    from embmagic.core.rag import ask as answer
    from embmagic.core.rag import streams

    question = check_query(question, EMPTY_QUESTION)
    how = search_mode(session, mode)
    rerank_fetch(rerank, rerank_depth, k or RAG_K)  # checked before anything is loaded
    chosen = session.resolve(collection)
    check_text_collection(chosen)
    engine = session.engine_for(chosen)
    scorer = session.reranker(rerank) if rerank else None
    generator = load_generator(session, llm, chosen)
    stream = streams(generator)
    on_chunk = on_start(generator) if on_start is not None else None
    reply = answer(chosen, engine, question, generator, k=k or RAG_K, stream=stream,
                   on_chunk=on_chunk, generate=generate, mode=how, reranker=scorer,
                   rerank_depth=rerank_depth)  # fmt: skip
    return to_result(session, reply, show_prompt=show_prompt)


def to_result(session: Session, reply: RagAnswer, *, show_prompt: bool) -> RagResult:
    """The result object for core's answer."""
    from embmagic.core.rag import describe_origin

    return RagResult(
        question=reply.question,
        answer=reply.answer,
        generator=str(reply.generator),
        sources=[s.hit for s in reply.sources],
        cited=[s.number for s in reply.cited],
        prompt=reply.prompt,
        width=session.options.text_width,
        unknown_citations=list(reply.unknown_citations),
        raw=reply,
        collection=reply.sources[0].collection if reply.sources else "",
        origins=[describe_origin(s.hit.metadata) for s in reply.sources],
        show_prompt=show_prompt,
        dropped=len(reply.dropped),
        generated=reply.generated,
        misattributed=[str(m) for m in reply.misattributed],
        unsupported=[str(u) for u in reply.unsupported],
        reranker=reply.reranker,
        candidates=reply.candidates,
        search_scores=[s.search_score or 0.0 for s in reply.sources] if reply.reranker else None,
    )
