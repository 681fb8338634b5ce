"""`Explorer`: a query box, a k slider, a search mode and a collection picker with live nearest
neighbours.

Each search is the workspace's `neighbors` (what `%neighbors` runs) and leaves the same
`NeighborsResult` in `ex.hits`. Contract with the front end (`js/src/explorer.ts`):
docs/widgets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from embmagic.app.results import NeighborsResult
from embmagic.app.search import check_query, search_mode, search_mode_for
from embmagic.app.thumbnails import thumbnail_of, without_thumbnail
from embmagic.app.workspace import Workspace, default_workspace
from embmagic.errors import InvalidArgumentError
from embmagic.types import SEARCH_MODES
from embmagic.widgets.bundle import STATIC, bundle
from embmagic.widgets.commands import Buffers, CommandWidget, Reply, command

if TYPE_CHECKING:
    from embmagic.store import BaseCollection
    from embmagic.types import Hit

MAX_K = 50


class Explorer(CommandWidget):
    """`Explorer(coll, query="solar power")` or `Explorer("docs")` (a name in the workspace);
    `%neighbors solar power -c docs --widget`."""

    _esm = STATIC / "explorer.js"

    collections = t.List(t.Unicode()).tag(sync=True)
    collection = t.Unicode("").tag(sync=True)
    k = t.Int(5).tag(sync=True)
    modes = t.List(t.Unicode()).tag(sync=True)  # what the mode selector offers
    mode = t.Unicode("dense").tag(sync=True)  # dense, lexical or hybrid (%neighbors --mode)
    query = t.Unicode("").tag(sync=True)
    results = t.List(t.Dict()).tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        collection: str | BaseCollection | None = None,
        *,
        workspace: Workspace | None = None,
        query: str = "",
        k: int | None = None,
        mode: str | None = None,
    ) -> None:
        """`mode`: dense, lexical or hybrid (None: the workspace's search_mode option; dense for
        a collection of images)."""
        bundle("explorer.js")
        self._ws = workspace if workspace is not None else default_workspace()
        chosen = self._ws.resolve(collection)  # fails now, with the known names, if missing
        # a collection handed in as an object (not by name) is searched as it is
        self._given = {} if collection is None or isinstance(collection, str) else \
            {chosen.name: chosen}
        self.hits: NeighborsResult | None = None
        super().__init__(collections=self._names(), collection=chosen.name,
                         k=k or self._ws.options.k, mode=search_mode_for(self._ws, chosen, mode),
                         modes=[*SEARCH_MODES])  # fmt: skip
        if query:
            self.search(query)

    def _names(self) -> list[str]:
        return sorted({*self._ws.collections, *self._given})

    def _collection(self, name: str) -> BaseCollection:
        return self._given[name] if name in self._given else self._ws.collection(name)

    def __repr__(self) -> str:
        return (
            f"Explorer({self.collection!r}, k={self.k}, mode={self.mode!r}, query={self.query!r})"
        )

    def search(
        self,
        text: str,
        k: int | None = None,
        collection: str | None = None,
        mode: str | None = None,
    ) -> NeighborsResult:
        """Search like `%neighbors TEXT -c COLLECTION -k K --mode MODE` and show the results."""
        k = self.k if k is None else k
        if not 1 <= k <= MAX_K:
            raise InvalidArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
        how = search_mode(self._ws, mode or self.mode)
        check_query(text, "empty query: type the text to look for")
        chosen = self._collection(collection or self.collection)
        result = self._ws.neighbors(text, collection=chosen, k=k, mode=how)
        with self.hold_sync():
            self.collections = self._names()
            self.collection, self.k, self.mode, self.query = chosen.name, k, how, text
            self.results = [_row(rank, h) for rank, h in enumerate(result.hits, start=1)]
            self.status = result.title()
            self.error = ""
        self.hits = result
        return result

    @command("search")
    def _search(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        result = self.search(
            str(msg["text"]), int(msg.get("k", self.k)), msg.get("collection") or None,
            msg.get("mode") or None,
        )
        return {"hits": self.results, "title": result.title()}


def _row(rank: int, hit: Hit) -> dict[str, Any]:
    """A result row for the front end; an image record's thumbnail as `thumbnail`."""
    row = {"rank": rank, "score": round(hit.score, 6), "text": hit.text, "id": hit.id,
           "metadata": without_thumbnail(hit.metadata)}  # fmt: skip
    thumbnail = thumbnail_of(hit.metadata)
    return row if thumbnail is None else {**row, "thumbnail": thumbnail}
