"""Retrieval-augmented answers: retrieve numbered sources, prompt a generator, resolve citations."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from embmagic.core.neighbors import neighbors
from embmagic.core.rag.citations import check_citations, parse_citations
from embmagic.core.rag.grounding import check_grounding
from embmagic.core.rag.prompt import build_messages, build_prompt, fit_sources
from embmagic.core.rag.types import (
    AnyGenerator,
    ChatGenerator,
    Generator,
    GeneratorInfo,
    RagAnswer,
    Source,
    SourceGenerator,
)
from embmagic.core.rerank import PairScorer, rerank
from embmagic.core.rerank import rerank_depth as check_depth
from embmagic.errors import GenerationError, InvalidArgumentError
from embmagic.types import Encoder, Metadata, SearchMode

if TYPE_CHECKING:  # for annotations only: the store is not needed to import this module
    from embmagic.store import BaseCollection


def retrieve(
    collection: BaseCollection,
    encoder: Encoder,
    question: str,
    k: int = 4,
    where: Metadata | None = None,
    mode: SearchMode = "dense",
) -> list[Source]:
    """The `k` records closest to `question` (by `mode`, see core.neighbors), numbered 1..k
    (empty collection: typed error)."""
    hits = neighbors(collection, encoder, question, k=k, where=where, mode=mode)
    if not hits and where is None:
        msg = (
            f"collection {collection.name!r} is empty: add records first, "
            f"e.g. %%embed {collection.name}"
        )
        raise InvalidArgumentError(msg)
    if not hits:
        msg = f"no records in collection {collection.name!r} match {where!r}"
        raise InvalidArgumentError(msg)
    return [Source(i, hit, collection.name) for i, hit in enumerate(hits, start=1)]


def answer(
    question: str,
    sources: Sequence[Source],
    generator: AnyGenerator,
    *,
    stream: bool = False,
    on_chunk: Callable[[str], None] | None = None,
    generate: bool = True,
    encoder: Encoder | None = None,
) -> RagAnswer:
    """Generate an answer from `sources` and resolve its citations.

    With an `encoder`, each cited sentence is also checked against the sources it cites
    (`rag.citations`): citations that another source clearly beats are listed in
    `misattributed`, so a wrong `[n]` is flagged rather than shown as support. Numbers and
    names of the answer that no kept source contains are listed in `unsupported`
    (`rag.grounding`).

    A `SourceGenerator` (extractive) gets the sources; a `ChatGenerator` gets system + user
    messages, after dropping the lowest-ranked sources that do not fit its context; any other
    `Generator` gets the flat prompt. `on_chunk` sees each text chunk as it arrives, so a caller
    can display a streamed answer. `generate=False` only builds the prompt.
    """
    if not question.strip():
        raise InvalidArgumentError("the question is empty: type a question to answer")
    kept, dropped = list(sources), list[Source]()
    if isinstance(generator, ChatGenerator):
        kept, dropped = fit_sources(question, sources, generator)
        messages = build_messages(question, kept)
        prompt = generator.render(messages)
        chunks: Iterator[str] = iter(())
        if generate:
            chunks = generator.generate_chat(messages, stream=stream)
    else:
        prompt = build_prompt(question, kept)
        chunks = _chunks(question, kept, prompt, generator, stream) if generate else iter(())
    text = "".join(_forward(chunks, on_chunk))
    by_number = {s.number: s for s in kept}
    cited_numbers = parse_citations(text)
    return RagAnswer(
        question=question,
        answer=text,
        sources=kept,
        cited=[by_number[n] for n in cited_numbers if n in by_number],
        unknown_citations=[n for n in cited_numbers if n not in by_number],
        prompt=prompt,
        generator=GeneratorInfo(generator.name, generator.model),
        dropped=dropped,
        generated=generate,
        misattributed=check_citations(text, kept, encoder) if encoder and text else [],
        unsupported=check_grounding(text, [s.text for s in kept], question) if text else [],
    )


def ask(
    collection: BaseCollection,
    encoder: Encoder,
    question: str,
    generator: AnyGenerator,
    *,
    k: int = 4,
    where: Metadata | None = None,
    stream: bool = False,
    on_chunk: Callable[[str], None] | None = None,
    generate: bool = True,
    mode: SearchMode = "dense",
    reranker: PairScorer | None = None,
    rerank_depth: int | None = None,
) -> RagAnswer:
    """`retrieve` then `answer`: the whole of `%rag` in one call. With a `reranker`, the `k`
    sources are the cross-encoder's best of `rerank_depth` (default max(50, k)) retrieved."""
    fetch = check_depth(rerank_depth, k) if reranker is not None else k
    sources = retrieve(collection, encoder, question, k=fetch, where=where, mode=mode)
    candidates = len(sources)
    if reranker is not None:
        sources = rerank_sources(reranker, question, sources, k)
    reply = answer(
        question, sources, generator, stream=stream, on_chunk=on_chunk, generate=generate,
        encoder=encoder,
    )  # fmt: skip
    if reranker is None:
        return reply
    return replace(reply, reranker=reranker.name, candidates=candidates)


def rerank_sources(
    reranker: PairScorer, question: str, sources: Sequence[Source], k: int
) -> list[Source]:
    """The cross-encoder's best `k` of `sources`, numbered 1..k; each keeps its retrieval
    score as `search_score`."""
    ranked = rerank(reranker, question, [s.hit for s in sources], k)
    name = sources[0].collection if sources else ""
    return [Source(n, r.hit, name, search_score=r.similarity)
            for n, r in enumerate(ranked, start=1)]  # fmt: skip


def _chunks(
    question: str,
    sources: Sequence[Source],
    prompt: str,
    generator: Generator | SourceGenerator,
    stream: bool,
) -> Iterator[str]:
    """Dispatch on the generator kind: structured sources or the flat prompt."""
    if isinstance(generator, SourceGenerator):
        return generator.generate_from_sources(question, sources, stream=stream)
    if isinstance(generator, Generator):
        return generator.generate(prompt, stream=stream)
    msg = f"{type(generator).__name__} has neither generate() nor generate_from_sources()"
    raise GenerationError(msg)


def _forward(chunks: Iterator[str], on_chunk: Callable[[str], None] | None) -> Iterator[str]:
    """Pass chunks through, showing each to `on_chunk` first."""
    for chunk in chunks:
        if on_chunk is not None:
            on_chunk(chunk)
        yield chunk
