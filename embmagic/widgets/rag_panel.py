"""`RagPanel`: ask a question, watch the answer stream in, click a citation to read its source.

Each question goes through `core.rag.ask` (what `%rag` runs) and leaves the same `RagResult`
in `panel.result`. Contract with the front end (`js/src/rag.ts`): docs/widgets.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anywidget
import traitlets as t

from embmagic.errors import InvalidArgumentError
from embmagic.magics.options import Options
from embmagic.magics.results import RagResult
from embmagic.session import Session
from embmagic.widgets.commands import Buffers, Reply, WireNames, widget_command
from embmagic.widgets.context import STATIC, bundle, resolve_context

RAG_K = 4


class RagPanel(WireNames, anywidget.AnyWidget):  # type: ignore[misc]
    """`RagPanel("docs")`; `%rag --widget -c docs` (with a question: asked at once)."""

    _wire_names: ClassVar[dict[str, str]] = {"ask_command": "ask"}  # wire name = a method
    _esm = STATIC / "rag.js"

    question = t.Unicode("").tag(sync=True)
    answer = t.Unicode("").tag(sync=True)
    sources = t.List(t.Dict()).tag(sync=True)
    cited = t.List(t.Int()).tag(sync=True)
    generator = t.Unicode("").tag(sync=True)
    warnings = t.List(t.Unicode()).tag(sync=True)
    busy = t.Bool(False).tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        collection: str | None = None,
        *,
        session: Session | None = None,
        options: Options | None = None,
        question: str = "",
        k: int = RAG_K,
        generator: str | Any = None,
    ) -> None:
        """`generator`: a name (`%config EmbMagics.generator` when None) or a generator object
        (anything with `name`, `model` and `generate(prompt, stream=...)`)."""
        bundle("rag.js")
        self._context = resolve_context(session, options)
        opts = self._context.options()
        self.collection_name = collection or opts.collection
        self._context.session.collection(self.collection_name)  # fails now if missing
        if k < 1:
            raise InvalidArgumentError(f"k must be at least 1, got {k}")
        self.k, self._generator = k, generator or opts.generator
        self.result: RagResult | None = None
        super().__init__()
        if question:
            self.ask(question)

    def __repr__(self) -> str:
        return f"RagPanel({self.collection_name!r}, question={self.question!r})"

    def ask(self, question: str) -> RagResult:
        """Answer like `%rag QUESTION -c COLLECTION`; the answer trait grows while it streams."""
        from embmagic.core.generator_registry import load_generator
        from embmagic.core.generators import streams as should_stream
        from embmagic.core.rag import ask
        from embmagic.magics.rag import generator_settings, to_result

        if not question.strip():
            raise InvalidArgumentError("empty question: type what you want to know")
        opts = self._context.options()
        collection = self._context.session.collection(self.collection_name)
        engine = self._context.engine_for(collection)
        generator = self._generator
        if isinstance(generator, str):
            generator = load_generator(generator, encoder=engine, settings=generator_settings(opts))
        streams = should_stream(generator)
        with self.hold_sync():
            self.question, self.answer, self.sources, self.cited = question, "", [], []
            self.generator = f"{generator.name} ({generator.model})"
            self.warnings, self.error = [], ""
            self.busy = True
        try:
            reply = ask(
                collection, engine, question, generator, k=self.k, stream=streams,
                on_chunk=self._grow,
            )  # fmt: skip
        finally:
            self.busy = False
        result = to_result(reply, opts, show_prompt=False)
        with self.hold_sync():
            self.answer = reply.answer
            self.sources = [
                {"n": s.number, "text": s.text, "score": round(s.score, 6), "id": s.hit.id,
                 "collection": s.collection}
                for s in reply.sources
            ]  # fmt: skip
            self.cited = [s.number for s in reply.cited]
            self.generator = result.generator
            self.warnings = result.notes()
        self.result = result
        return result

    def _grow(self, chunk: str) -> None:
        self.answer = self.answer + chunk

    @widget_command
    def ask_command(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        self.ask(str(msg["question"]))
        return {"answer": self.answer, "cited": self.cited, "sources": self.sources}

