"""`%rag` / `%%rag`: retrieve numbered sources, answer through a generator, list the citations.

Retrieval, the context budget, prompt building, generation and citation parsing are core's
(`embmagic.core.rag`); generators come from `embmagic.core.generator_registry`. This module
turns options into settings, shows a streamed answer live, and builds the result object.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from embmagic.errors import InvalidArgumentError
from embmagic.magics.options import Options
from embmagic.magics.query import collection_engine
from embmagic.magics.results import RagResult
from embmagic.session import Session

if TYPE_CHECKING:
    from embmagic.core.generator_registry import GeneratorSettings
    from embmagic.core.rag import RagAnswer

RAG_K = 4
"""Sources retrieved when no -k is given (DESIGN §2: `%rag ... [-k 4]`)."""


def generator_settings(opts: Options) -> GeneratorSettings:
    """Generator settings from `%config EmbMagics`, the environment and `.env`, in that order."""
    from embmagic.core.generator_registry import GeneratorSettings
    from embmagic.core.llm_config import resolve_openai_config

    openai = resolve_openai_config(
        opts.openai_base_url, opts.openai_model, opts.openai_api_key, timeout=opts.openai_timeout
    )
    return GeneratorSettings(openai=openai, max_tokens=opts.max_answer_tokens)


class StreamDisplay:
    """One display that grows as chunks arrive (`display_id` + `update`), cleared at the end.

    The result object returned by the magic shows the final, deterministic answer; this live
    view exists only while a language model is generating.
    """

    def __init__(self, generator: str) -> None:
        self.header = f"Answering ({generator})…\n"
        self.text = ""
        self.handle: Any = None

    def __call__(self, chunk: str) -> None:
        from IPython.display import display

        self.text += chunk
        bundle = {"text/plain": self.header + self.text}
        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self.handle.update(bundle, raw=True)

    def close(self) -> None:
        """Empty the live display: the result object shows the final answer."""
        if self.handle is not None:
            self.handle.update({"text/plain": ""}, raw=True)


def run_rag(session: Session, opts: Options, args: argparse.Namespace, question: str) -> RagResult:
    """Answer `question` from a collection and return the answer with its numbered sources."""
    from embmagic.core.generator_registry import load_generator
    from embmagic.core.generators import streams as should_stream
    from embmagic.core.rag import ask

    if not question:
        raise InvalidArgumentError("empty question: e.g. %rag How tall is it? -c facts")
    name = args.collection or opts.collection
    collection = session.collection(name)
    engine = collection_engine(session, opts, collection)
    generator = load_generator(
        args.llm or opts.generator, encoder=engine, settings=generator_settings(opts)
    )
    streams = should_stream(generator)
    live = StreamDisplay(f"{generator.name} ({generator.model})") if streams else None
    try:
        reply = ask(
            collection, engine, question, generator, k=args.k or RAG_K, stream=streams,
            on_chunk=live, generate=not args.no_generate,
        )  # fmt: skip
    finally:
        if live is not None:
            live.close()
    return to_result(reply, opts, show_prompt=bool(args.show_prompt))


def to_result(reply: RagAnswer, opts: Options, *, show_prompt: bool) -> RagResult:
    """The magic's result object for core's answer."""
    from embmagic.core.rag import describe_origin

    return RagResult(
        question=reply.question,
        answer=reply.answer,
        generator=str(reply.generator),
        sources=[s.hit for s in reply.sources],
        cited=[s.number for s in reply.cited],
        prompt=reply.prompt,
        width=opts.text_width,
        unknown_citations=list(reply.unknown_citations),
        raw=reply,
        collection=reply.sources[0].collection if reply.sources else "",
        origins=[describe_origin(s.hit.metadata) for s in reply.sources],
        show_prompt=show_prompt,
        dropped=len(reply.dropped),
        generated=reply.generated,
        misattributed=[str(m) for m in reply.misattributed],
    )
