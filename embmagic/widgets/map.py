"""`Map`: a WebGL scatter of one or more collections, projected to 2-D in the kernel.

Hover shows a record's text, colours follow the collection or a metadata key, a lasso/box
selection comes back as `m.selected`, and the query box embeds typed text, drops it on the map
by the same projection and highlights its k nearest records in the full vector space.
Contract with the front end (`js/src/map.ts`): docs/widgets.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets as t

from embmagic.app.clusters import map_clusters
from embmagic.app.map_data import MapData, build_map_data, hover_text, query_map
from embmagic.app.results import AnalogyResult, NeighborsResult
from embmagic.app.search import check_query, search_mode
from embmagic.app.thumbnails import thumbnail_of, without_thumbnail
from embmagic.app.workspace import Workspace, collections_of, default_workspace
from embmagic.errors import InvalidArgumentError
from embmagic.types import SEARCH_MODES
from embmagic.widgets.buffers import empty_wire, from_wire, to_wire
from embmagic.widgets.bundle import STATIC, bundle
from embmagic.widgets.commands import Buffers, CommandWidget, Reply, command

if TYPE_CHECKING:
    from embmagic.store import BaseCollection

HOVER_CHUNK = 1024
"""Most rows one `hover_texts` request may ask for."""
MAX_K = 100


class Map(CommandWidget):
    """`Map(coll)`, `Map([coll, other], color_by="topic")`, `Map("docs")` (a name in the
    workspace); `%emb map docs faq`."""

    _esm = STATIC / "map.js"

    points = t.Dict().tag(sync=True)
    category = t.Dict().tag(sync=True)
    legend = t.List(t.Dict()).tag(sync=True)
    labels = t.List(t.Dict()).tag(sync=True)  # cluster labels: {"text", "x", "y"}
    color_by = t.Unicode("collection").tag(sync=True)
    highlight = t.Dict().tag(sync=True)
    query_point = t.List(t.Float()).tag(sync=True)
    query_label = t.Unicode("").tag(sync=True)
    modes = t.List(t.Unicode()).tag(sync=True)  # what the mode selector offers
    mode = t.Unicode("dense").tag(sync=True)  # the query box's search mode
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    created_at = t.Float(0.0).tag(sync=True)
    height = t.Int(420).tag(sync=True)
    standalone = t.Bool(False).tag(sync=True)  # True only in a saved page (save_html)

    selected: t.List[Any] = t.List()
    """Record ids of the front end's current selection ((collection, id) pairs for several)."""

    def __init__(
        self,
        collections: str | BaseCollection | Sequence[str | BaseCollection],
        *,
        workspace: Workspace | None = None,
        color_by: str | None = None,
        method: str = "pca",
        seed: int = 0,
        height: int = 420,
        clusters: int | str | None = None,
        mode: str | None = None,
    ) -> None:
        """`mode`: the query box's search mode, dense, lexical or hybrid (None: the
        workspace's search_mode option)."""
        bundle("map.js")
        created = time.time() * 1000
        self._ws = workspace if workspace is not None else default_workspace()
        chosen = collections_of(collections, self._ws)
        by_cluster = clusters is not None and color_by in (None, "cluster")
        self.data: MapData = build_map_data(
            chosen, color_by=None if by_cluster else color_by, method=method, seed=seed
        )
        self.clusters: Any = None
        """DataFrame (collection,) id, cluster, label with `clusters=`; else None."""
        labels: list[dict[str, Any]] = []
        if clusters is not None:  # after build_map_data: its errors come before any write
            self.data, self.clusters, labels = map_clusters(
                self.data, clusters, seed=seed, color=by_cluster
            )
        self.first_paint_ms: float | None = None
        self._selected_rows: list[int] = []
        self.last_hits: list[dict[str, Any]] = []
        d = self.data
        many = len(d.collections) > 1
        status = (
            f"{d.size:,} points · {d.projection.method.upper()} · "
            f"{', '.join(c.name for c in d.collections)}"
            + (f" · colour: {d.color_by}" if many or d.color_by != "collection" else "")
            + (f" · {len(labels)} clusters" if labels else "")
        )
        super().__init__(
            points=to_wire(d.coords, "float32"),
            category=to_wire(d.category, "uint8" if len(d.legend) <= 256 else "uint16"),
            legend=d.legend, labels=labels, color_by=d.color_by, highlight=empty_wire("int32"),
            status=status, created_at=created, height=height,
            mode=search_mode(self._ws, mode), modes=[*SEARCH_MODES],
        )  # fmt: skip

    def __repr__(self) -> str:  # deterministic (anywidget's is the object's address)
        return f"Map({self.status})"

    # -- Python API ----------------------------------------------------------------------------

    @property
    def coords(self) -> np.ndarray[Any, Any]:
        """The (n, 2) float32 coordinates the front end draws, row by row."""
        return from_wire(self.points)

    @property
    def highlighted(self) -> list[int]:
        """Rows currently highlighted (query neighbours or `show`)."""
        return [int(r) for r in from_wire(self.highlight)]

    def query(self, text: str, k: int = 10, mode: str | None = None) -> list[dict[str, Any]]:
        """What the query box does: place `text` and highlight its `k` nearest records, found
        by `mode` (dense, lexical or hybrid; None: the map's `mode`)."""
        check_query(text, "empty query: type the text to look for")
        if not 1 <= k <= MAX_K:
            raise InvalidArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
        how = search_mode(self._ws, mode or self.mode)
        engine = self._ws.engine_for(self.data.collections[0])
        found = query_map(self.data, engine, text, k, how)
        self.last_hits = found.hits
        with self.hold_sync():
            self.mode = how
            self.set_highlight([h["row"] for h in found.hits], point=found.point, label=text)
        return found.hits

    def show(self, result: NeighborsResult | AnalogyResult) -> list[int]:
        """Highlight the records of a `%neighbors` or `%analogy` result; returns their rows."""
        d = self.data
        if isinstance(result, NeighborsResult):
            rows = [d.row_of(result.collection, h.id) for h in result.hits]
            found = [r for r in rows if r is not None]
            label = result.query
        elif isinstance(result, AnalogyResult):
            found = self._rows_with_texts([w for w, _ in result.answers], result.space)
            label = result.expression
        else:
            raise InvalidArgumentError("show() takes a %neighbors or %analogy result")
        if not found:
            names = ", ".join(c.name for c in d.collections)
            msg = f"none of these results are on this map (it shows {names})"
            raise InvalidArgumentError(msg)
        self.set_highlight(found, label=label)
        return found

    def set_highlight(
        self, rows: Sequence[int], *, point: list[float] | None = None, label: str = ""
    ) -> None:
        """Highlight `rows` (and optionally a query marker at `point`)."""
        bad = [r for r in rows if not 0 <= r < self.data.size]
        if bad:
            raise InvalidArgumentError(f"row {bad[0]} is not on this map")
        with self.hold_sync():
            self.highlight = to_wire(np.asarray(rows, dtype=np.int32), "int32")
            self.query_point = point or []
            self.query_label = label
            self.error = ""

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the map as one self-contained HTML file (front end and data inline) that opens
        from `file://` with no kernel: pan, zoom, colours, hover and selection work, the query
        box is disabled. Written atomically; returns the path (widgets/standalone.py)."""
        from embmagic.widgets.standalone import save_html

        return save_html(self, path)

    def clear(self) -> None:
        """Remove highlights and the query marker."""
        self.last_hits = []
        self.set_highlight([])

    def selection_frame(self) -> Any:
        """The selected records as a DataFrame: collection, id, text, one column per key."""
        import pandas as pd

        rows = self._selected_rows
        records = [self.data.record(int(r)) for r in rows]
        keys = sorted({k for _, rec in records for k in rec.metadata})
        columns: dict[str, list[Any]] = {
            "collection": [c.name for c, _ in records],
            "id": [rec.id for _, rec in records],
            "text": [rec.text for _, rec in records],
        }
        for key in keys:
            name = f"meta.{key}" if key in columns else key
            columns[name] = [rec.metadata.get(key) for _, rec in records]
        return pd.DataFrame(columns)

    def _rows_with_texts(self, texts: list[str], space: str) -> list[int]:
        wanted = {w.lower(): i for i, w in enumerate(texts)}
        found: dict[int, int] = {}
        for collection in self.data.collections:
            if space in {c.name for c in self.data.collections} and collection.name != space:
                continue
            for record in collection.records():
                rank = wanted.get(record.text.strip().lower())
                if rank is not None:
                    row = self.data.row_of(collection.name, record.id)
                    if row is not None and rank not in found:
                        found[rank] = row
        return [found[r] for r in sorted(found)]

    # -- commands from the front end (wire names in @command) -----------------------------------

    @command("hover")
    def _hover(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        collection, record = self.data.record(int(msg["row"]))
        reply = {"row": int(msg["row"]), "text": hover_text(record.text),
                 "collection": collection.name, "id": record.id,
                 "metadata": without_thumbnail(record.metadata)}  # fmt: skip
        thumbnail = thumbnail_of(record.metadata)
        return reply if thumbnail is None else {**reply, "thumbnail": thumbnail}

    @command("hover_texts")
    def _hover_texts(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        """Texts (truncated), collections and ids of rows `start` .. `start + count - 1`: the
        front end caches them by chunk, so hovering needs no message per point. Image records
        add their thumbnails (`thumbnails`, parallel, None for other rows; absent when no row
        of the chunk has one)."""
        start, count = int(msg["start"]), int(msg["count"])
        if not 0 <= start < self.data.size:
            raise InvalidArgumentError(f"row {start} is not on this map (0..{self.data.size - 1})")
        if not 1 <= count <= HOVER_CHUNK:
            raise InvalidArgumentError(f"hover_texts takes 1 to {HOVER_CHUNK} rows, got {count}")
        texts: list[str] = []
        collections: list[str] = []
        ids: list[Any] = []
        thumbnails: list[dict[str, str] | None] = []
        for row in range(start, min(start + count, self.data.size)):
            collection, record = self.data.record(row)
            texts.append(hover_text(record.text))
            collections.append(collection.name)
            ids.append(record.id)
            thumbnails.append(thumbnail_of(record.metadata))
        reply = {"start": start, "texts": texts, "collections": collections, "ids": ids}
        return {**reply, "thumbnails": thumbnails} if any(thumbnails) else reply

    @command("query")
    def _query(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        hits = self.query(str(msg["text"]), int(msg.get("k", 10)), msg.get("mode") or None)
        return {"point": self.query_point, "rows": [h["row"] for h in hits], "hits": hits}

    @command("select")
    def _select(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        """Rows as one uint32 buffer; anything inconsistent is refused before state changes."""
        count, size = int(msg["count"]), self.data.size
        if not 0 <= count <= size:
            error = f"a selection of {count} rows cannot come from a map of {size:,} points"
            raise InvalidArgumentError(error)
        data = memoryview(buffers[0]).cast("B") if buffers else memoryview(b"")
        if len(data) % 4:
            error = f"a selection buffer of {len(data)} bytes is not uint32 rows"
            raise InvalidArgumentError(error)
        if len(data) // 4 != count:
            raise InvalidArgumentError(f"selection says {count} rows but carries {len(data) // 4}")
        rows = np.frombuffer(data, dtype="<u4")
        if count and int(rows.max()) >= size:
            raise InvalidArgumentError(f"selected row {int(rows.max())} is not on this map")
        self._selected_rows = [int(r) for r in rows]
        keys = [self.data.locate(r) for r in self._selected_rows]
        many = len(self.data.collections) > 1
        self.selected = [(c.name, i) for c, i in keys] if many else [i for _, i in keys]
        return {"count": count}

    @command("painted")
    def _painted(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        if self.first_paint_ms is None:
            self.first_paint_ms = float(msg["at"]) - self.created_at
        return {"first_paint_ms": self.first_paint_ms}


