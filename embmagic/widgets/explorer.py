"""`Explorer`: a query box, a k slider and a collection picker with live nearest neighbours.

Each search goes through `core.neighbors` (what `%neighbors` runs) and leaves the same
`NeighborsResult` in `ex.hits`. Contract with the front end (`js/src/explorer.ts`):
docs/widgets.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

import anywidget
import traitlets as t

from embmagic.errors import InvalidArgumentError
from embmagic.magics.options import Options
from embmagic.magics.results import NeighborsResult
from embmagic.session import Session
from embmagic.widgets.commands import Buffers, Reply, WireNames, widget_command
from embmagic.widgets.context import STATIC, bundle, resolve_context

MAX_K = 50


class Explorer(WireNames, anywidget.AnyWidget):  # type: ignore[misc]
    """`Explorer("docs", query="solar power")`; `%neighbors solar power -c docs --widget`."""

    _wire_names: ClassVar[dict[str, str]] = {"search_command": "search"}  # wire name = a method
    _esm = STATIC / "explorer.js"

    collections = t.List(t.Unicode()).tag(sync=True)
    collection = t.Unicode("").tag(sync=True)
    k = t.Int(5).tag(sync=True)
    query = t.Unicode("").tag(sync=True)
    results = t.List(t.Dict()).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        collection: str | None = None,
        *,
        session: Session | None = None,
        options: Options | None = None,
        query: str = "",
        k: int | None = None,
    ) -> None:
        bundle("explorer.js")
        self._context = resolve_context(session, options)
        opts = self._context.options()
        name = collection or opts.collection
        self._context.session.collection(name)  # fails now, with the known names, if missing
        self.hits: NeighborsResult | None = None
        super().__init__(
            collections=sorted(self._context.session.collections), collection=name,
            k=k or opts.k,
        )  # fmt: skip
        if query:
            self.search(query)

    def __repr__(self) -> str:
        return f"Explorer({self.collection!r}, k={self.k}, query={self.query!r})"

    def search(
        self, text: str, k: int | None = None, collection: str | None = None
    ) -> NeighborsResult:
        """Search like `%neighbors TEXT -c COLLECTION -k K` and show the results."""
        from embmagic.core.neighbors import neighbors

        k = self.k if k is None else k
        if not 1 <= k <= MAX_K:
            raise InvalidArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
        if not text.strip():
            raise InvalidArgumentError("empty query: type the text to look for")
        session = self._context.session
        name = collection or self.collection
        chosen = session.collection(name)
        hits = neighbors(chosen, self._context.engine_for(chosen), text, k=k)
        opts = self._context.options()
        result = NeighborsResult(text, name, hits, opts.display_limit, opts.text_width)
        with self.hold_sync():
            self.collections = sorted(session.collections)
            self.collection, self.k, self.query = name, k, text
            self.results = [
                {"rank": rank, "score": round(h.score, 6), "text": h.text, "id": h.id,
                 "metadata": h.metadata}
                for rank, h in enumerate(hits, start=1)
            ]  # fmt: skip
            self.status = result.title()
            self.error = ""
        self.hits = result
        return result

    @widget_command
    def search_command(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        result = self.search(
            str(msg["text"]), int(msg.get("k", self.k)), msg.get("collection") or None
        )
        return {"hits": self.results, "title": result.title()}

