"""`RagPanel`: ask a question, watch the answer stream in, click a citation to read its source.

Each question is the workspace's `ask` (what `%rag` runs) and leaves the same `RagResult`
in `panel.result`. Contract with the front end (`js/src/rag.ts`): docs/widgets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from embmagic.app.ask import RAG_K
from embmagic.app.results import RagResult
from embmagic.app.search import check_query, rerank_fetch, search_mode
from embmagic.app.workspace import Workspace, default_workspace
from embmagic.errors import InvalidArgumentError
from embmagic.widgets.bundle import STATIC, bundle
from embmagic.widgets.commands import Buffers, CommandWidget, Reply, command

if TYPE_CHECKING:
    from embmagic.store import BaseCollection


class RagPanel(CommandWidget):
    """`RagPanel(coll)` or `RagPanel("docs")` (a name in the workspace); `%rag --widget -c docs`
    (with a question: asked at once)."""

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
        collection: str | BaseCollection | None = None,
        *,
        workspace: Workspace | None = None,
        question: str = "",
        k: int | None = None,
        generator: str | Any = None,
        mode: str | None = None,
        rerank: str | None = None,
        rerank_depth: int | None = None,
    ) -> None:
        """`generator`: a name (the workspace's `generator` option when None) or a generator
        object (anything with `name`, `model` and `generate(prompt, stream=...)`); `mode`,
        `rerank` and `rerank_depth` retrieve as `%rag --mode --rerank --rerank-depth` do."""
        bundle("rag.js")
        self._ws = workspace if workspace is not None else default_workspace()
        chosen = self._ws.resolve(collection)  # fails now if missing
        self._collection: str | BaseCollection = (
            chosen.name if collection is None or isinstance(collection, str) else chosen
        )
        self.collection_name = chosen.name
        if k is not None and k < 1:
            raise InvalidArgumentError(f"k must be at least 1, got {k}")
        self.k, self._generator = k or RAG_K, generator
        self.mode = search_mode(self._ws, mode)
        rerank_fetch(rerank, rerank_depth, self.k)  # fails now, before any question
        self._rerank, self._rerank_depth = rerank, rerank_depth
        self.result: RagResult | None = None
        super().__init__()
        if question:
            self.ask(question)

    def __repr__(self) -> str:
        return f"RagPanel({self.collection_name!r}, question={self.question!r})"

    def ask(self, question: str) -> RagResult:
        """Answer like `%rag QUESTION -c COLLECTION`; the answer trait grows while it streams."""
        check_query(question, "empty question: type what you want to know")
        try:
            result = self._ws.ask(question, collection=self._collection, k=self.k,
                                  llm=self._generator, mode=self.mode, rerank=self._rerank,
                                  rerank_depth=self._rerank_depth,
                                  on_start=lambda g: self._started(g, question))  # fmt: skip
        finally:
            self.busy = False
        reply = result.raw
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

    def _started(self, generator: Any, question: str) -> Any:
        """Reset the panel for a new answer; chunks of a streamed answer grow `answer`."""
        with self.hold_sync():
            self.question, self.answer, self.sources, self.cited = question, "", [], []
            self.generator = f"{generator.name} ({generator.model})"
            self.warnings, self.error = [], ""
            self.busy = True
        return self._grow

    def _grow(self, chunk: str) -> None:
        self.answer = self.answer + chunk

    @command("ask")
    def _ask(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        self.ask(str(msg["question"]))
        return {"answer": self.answer, "cited": self.cited, "sources": self.sources}

