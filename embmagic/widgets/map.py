"""`Map`: a WebGL scatter of one or more collections, projected to 2-D in the kernel.

Hover shows a record's text, colours follow the collection or a metadata key, a lasso/box
selection comes back as `m.selected`, and the query box embeds typed text, drops it on the map
by the same projection and highlights its k nearest records in the full vector space.
Contract with the front end (`js/src/map.ts`): docs/widgets.md.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import numpy as np
import traitlets as t

from embmagic.app.map_data import MapData, build_map_data, query_map
from embmagic.app.results import AnalogyResult, NeighborsResult
from embmagic.app.search import check_query
from embmagic.app.workspace import Workspace, collections_of, default_workspace
from embmagic.errors import InvalidArgumentError
from embmagic.widgets.buffers import empty_wire, from_wire, to_wire
from embmagic.widgets.bundle import STATIC, bundle
from embmagic.widgets.commands import Buffers, Reply, WireNames, widget_command

if TYPE_CHECKING:
    from embmagic.store import BaseCollection

HOVER_CHARS = 500
MAX_K = 100


class Map(WireNames, anywidget.AnyWidget):  # type: ignore[misc]
    """`Map(coll)`, `Map([coll, other], color_by="topic")`, `Map("docs")` (a name in the
    workspace); `%emb map docs faq`."""

    _wire_names: ClassVar[dict[str, str]] = {"query_command": "query"}  # wire name = a method
    _esm = STATIC / "map.js"

    points = t.Dict().tag(sync=True)
    category = t.Dict().tag(sync=True)
    legend = t.List(t.Dict()).tag(sync=True)
    color_by = t.Unicode("collection").tag(sync=True)
    highlight = t.Dict().tag(sync=True)
    query_point = t.List(t.Float()).tag(sync=True)
    query_label = t.Unicode("").tag(sync=True)
    status = t.Unicode("").tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    created_at = t.Float(0.0).tag(sync=True)
    height = t.Int(420).tag(sync=True)

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
    ) -> None:
        bundle("map.js")
        created = time.time() * 1000
        self._ws = workspace if workspace is not None else default_workspace()
        chosen = collections_of(collections, self._ws)
        self.data: MapData = build_map_data(chosen, color_by=color_by, method=method, seed=seed)
        self.first_paint_ms: float | None = None
        self._selected_rows: list[int] = []
        self.last_hits: list[dict[str, Any]] = []
        d = self.data
        many = len(d.collections) > 1
        status = (
            f"{d.size:,} points · {d.projection.method.upper()} · "
            f"{', '.join(c.name for c in d.collections)}"
            + (f" · colour: {d.color_by}" if many or d.color_by != "collection" else "")
        )
        super().__init__(
            points=to_wire(d.coords, "float32"),
            category=to_wire(d.category, "uint8" if len(d.legend) <= 256 else "uint16"),
            legend=d.legend, color_by=d.color_by, highlight=empty_wire("int32"),
            status=status, created_at=created, height=height,
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

    def query(self, text: str, k: int = 10) -> list[dict[str, Any]]:
        """What the query box does: place `text` and highlight its `k` nearest records."""
        check_query(text, "empty query: type the text to look for")
        if not 1 <= k <= MAX_K:
            raise InvalidArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
        found = query_map(self.data, self._ws.engine_for(self.data.collections[0]), text, k)
        self.last_hits = found.hits
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

    # -- commands from the front end -----------------------------------------------------------

    @widget_command
    def hover(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        collection, record = self.data.record(int(msg["row"]))
        text = record.text if len(record.text) <= HOVER_CHARS else record.text[:HOVER_CHARS] + "…"
        return {"row": int(msg["row"]), "text": text, "collection": collection.name,
                "id": record.id, "metadata": record.metadata}  # fmt: skip

    @widget_command
    def query_command(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        hits = self.query(str(msg["text"]), int(msg.get("k", 10)))
        return {"point": self.query_point, "rows": [h["row"] for h in hits], "hits": hits}

    @widget_command
    def select(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        count = int(msg["count"])
        rows = np.frombuffer(buffers[0], dtype="<u4") if count else np.zeros(0, np.uint32)
        if len(rows) != count:
            raise InvalidArgumentError(f"selection says {count} rows but carries {len(rows)}")
        if count and int(rows.max()) >= self.data.size:
            raise InvalidArgumentError(f"selected row {int(rows.max())} is not on this map")
        self._selected_rows = [int(r) for r in rows]
        keys = [self.data.locate(r) for r in self._selected_rows]
        many = len(self.data.collections) > 1
        self.selected = [(c.name, i) for c, i in keys] if many else [i for _, i in keys]
        return {"count": count}

    @widget_command
    def painted(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        if self.first_paint_ms is None:
            self.first_paint_ms = float(msg["at"]) - self.created_at
        return {"first_paint_ms": self.first_paint_ms}
