"""What a map shows, computed in the kernel: rows, their 2-D places, colours and record lookups.

Kept apart from the widget (application layer) so it can be tested and benchmarked without a
front end, and the query box's search is the same `core.neighbors` as `%neighbors`. Rows are
the records of one or more collections, each collection's ids in ascending order; a row is
found from (collection, id) by binary search, so a million rows need no Python dict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from embmagic.core.projection import Coords, Projection, fit_projection
from embmagic.errors import InvalidArgumentError, ModelMismatchError
from embmagic.types import Encoder, Record, SearchMode

if TYPE_CHECKING:
    from embmagic.store import BaseCollection as Collection

PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
)  # fmt: skip
OTHER_COLOR = "#c8c8c8"
MAX_LEGEND = len(PALETTE)
"""Most distinct values coloured by a metadata key; the rest share one "other" entry."""
MISSING = "(none)"


HOVER_CHARS = 500
"""Most characters of a record's text a map shows on hover (the rest is cut, with "…")."""


def hover_text(text: str) -> str:
    """A record's text as the map's tooltip shows it."""
    return text if len(text) <= HOVER_CHARS else text[:HOVER_CHARS] + "…"


@dataclass
class MapData:
    """Rows of one or more collections placed by one projection."""

    collections: list[Collection]
    ids: list[npt.NDArray[np.int64]]  # per collection, ascending
    offsets: npt.NDArray[np.int64]  # first row of each collection
    projection: Projection
    coords: Coords
    category: npt.NDArray[np.uint16]
    legend: list[dict[str, str]]
    color_by: str

    @property
    def size(self) -> int:
        return len(self.coords)

    def locate(self, row: int) -> tuple[Collection, int]:
        """The collection and record id shown at `row`."""
        if not 0 <= row < self.size:
            raise InvalidArgumentError(f"row {row} is not on this map (0..{self.size - 1})")
        part = int(np.searchsorted(self.offsets, row, side="right")) - 1
        return self.collections[part], int(self.ids[part][row - self.offsets[part]])

    def row_of(self, collection: str, id: int) -> int | None:
        """The row of record `id` of `collection`, or None when the map does not show it."""
        for part, coll in enumerate(self.collections):
            if coll.name != collection:
                continue
            ids = self.ids[part]
            at = int(np.searchsorted(ids, id))
            if at < len(ids) and ids[at] == id:
                return int(self.offsets[part]) + at
        return None

    def record(self, row: int) -> tuple[Collection, Record]:
        collection, id = self.locate(row)
        return collection, collection.get(id)


def build_map_data(
    collections: Sequence[Collection],
    *,
    color_by: str | None = None,
    method: str = "pca",
    seed: int = 0,
) -> MapData:
    """Project every record of `collections` with one fitted projection and colour the rows."""
    if not collections:
        raise InvalidArgumentError("a map needs at least one collection")
    _check_compatible(collections)
    ids = [np.sort(np.asarray(c.ids(), dtype=np.int64)) for c in collections]
    empty = [c.name for c, i in zip(collections, ids, strict=True) if len(i) == 0]
    if empty:
        msg = f"collection {empty[0]!r} is empty: add documents with %%embed before mapping it"
        raise InvalidArgumentError(msg)
    parts = [c.vectors_for(i) for c, i in zip(collections, ids, strict=True)]
    vectors = parts[0] if len(parts) == 1 else np.concatenate(parts)
    del parts
    projection, coords = fit_projection(vectors, method, seed=seed)
    del vectors
    offsets = np.cumsum([0] + [len(i) for i in ids[:-1]]).astype(np.int64)
    key = color_by or "collection"
    if key == "collection":
        labels: list[str] = [c.name for c in collections]
        category = np.repeat(np.arange(len(collections)), [len(i) for i in ids])
    else:
        labels, category = _metadata_categories(collections, ids, key)
    legend = [
        {"label": label, "color": OTHER_COLOR if label == "other" and i == MAX_LEGEND
         else PALETTE[i % len(PALETTE)]}
        for i, label in enumerate(labels)
    ]  # fmt: skip
    return MapData(
        list(collections), ids, offsets, projection, coords,
        category.astype(np.uint16), legend, key,
    )  # fmt: skip


def check_same_embeddings(collections: Sequence[Collection], verb: str = "map") -> None:
    """ModelMismatchError unless every collection holds the same model's vectors (what a map,
    or clustering, over several collections needs)."""
    first = collections[0]
    for other in collections[1:]:
        if (other.model_id, other.dim) != (first.model_id, first.dim):
            msg = (
                f"collections {first.name!r} and {other.name!r} hold different embeddings "
                f"({first.model_id}, {other.model_id}): {verb} them separately"
            )
            raise ModelMismatchError(msg)


def _check_compatible(collections: Sequence[Collection]) -> None:
    check_same_embeddings(collections)
    names = [c.name for c in collections]
    if len(set(names)) != len(names):
        raise InvalidArgumentError("a collection is named twice: list each collection once")


def _metadata_categories(
    collections: Sequence[Collection], ids: Sequence[npt.NDArray[np.int64]], key: str
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Legend labels and a label index per row for a metadata key (most frequent first)."""
    values: list[str] = []
    for collection, wanted in zip(collections, ids, strict=True):
        by_id = {r.id: r.metadata for r in collection.records()}
        values.extend(_label(by_id[int(i)].get(key, MISSING)) for i in wanted)
    counts = Counter(values)
    if set(counts) == {MISSING}:
        known = sorted({k for c in collections for r in c.records() for k in r.metadata})
        msg = f"no record has metadata {key!r} (keys: {', '.join(known) or 'none'})"
        raise InvalidArgumentError(msg)
    ranked = sorted(counts, key=lambda v: (v == MISSING, -counts[v], v))  # "(none)" last
    labels = ranked if len(ranked) <= MAX_LEGEND else [*ranked[:MAX_LEGEND], "other"]
    index = {label: i for i, label in enumerate(labels[:MAX_LEGEND])}
    other = len(labels) - 1
    return labels, np.array([index.get(v, other) for v in values], dtype=np.int64)


def _label(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class MapQuery:
    """Where a typed query lands on a map and its nearest records, best first."""

    point: list[float]
    hits: list[dict[str, Any]]  # row, score, text, collection, id


def query_map(
    data: MapData, encoder: Encoder, text: str, k: int, mode: SearchMode = "dense"
) -> MapQuery:
    """The `k` records nearest to `text` over every collection of the map (ties: the lower
    row), and `text` placed by the map's projection. `mode` is `%neighbors --mode`: "dense"
    (the full vector space), "lexical" (BM25) or "hybrid" (both fused); over several
    collections the hits are merged by score (lexical: each collection's own BM25)."""
    from embmagic.core.neighbors import neighbors

    vector = encoder.embed([text])
    found: list[tuple[float, int, str, Any]] = []
    for collection in data.collections:
        many = min(k, len(collection))
        if mode == "dense":  # the vector is already there: no second encoding
            nearest = neighbors(collection, None, vector=vector[0], k=many)
        else:
            nearest = neighbors(collection, encoder, text, k=many, mode=mode)
        for hit in nearest:
            row = data.row_of(collection.name, hit.id)
            if row is not None:
                found.append((hit.score, row, collection.name, hit))
    found.sort(key=lambda f: (-f[0], f[1]))
    hits = [
        {"row": row, "score": round(score, 6), "text": hit.text, "collection": name,
         "id": hit.id}
        for score, row, name, hit in found[:k]
    ]  # fmt: skip
    point = data.projection.transform(vector)[0]
    return MapQuery([float(point[0]), float(point[1])], hits)
