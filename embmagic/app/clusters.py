"""Cluster labels for maps (`%emb map COLL --clusters N|auto`, `Map(coll, clusters=...)`).

Records of one or more collections are clustered together in the full vector space
(`core.clusters`), each cluster is named by its most distinctive words (c-TF-IDF over the
records' texts), and each record gets its cluster number as metadata `cluster` (an upsert by id
with the same text and vector), so `%neighbors ... --where cluster=3` filters by it. Rows are in
the map's order: collections as given, each one's ids ascending (as `map_data.build_map_data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from embmagic.app.map_data import PALETTE, MapData, check_same_embeddings
from embmagic.core.clusters import check_cluster_count, cluster_vectors, distinctive_words
from embmagic.errors import InvalidArgumentError

if TYPE_CHECKING:
    from embmagic.store import BaseCollection as Collection

KEY = "cluster"
"""The metadata key each record's cluster number is written under."""
TOP_WORDS = 3


def cluster_collections(collections: Sequence[Collection], k: object, *, seed: int = 0) -> Any:
    """Cluster every record of `collections` together into `k` clusters (a count or "auto"),
    write each one's number as metadata `cluster`, and return a DataFrame: id, cluster, label
    (collection first when there are several), one row per record in map order. Everything is
    checked (writable collections, k against the record count) before anything changes."""
    import pandas as pd

    if not collections:
        raise InvalidArgumentError("clustering needs at least one collection")
    _check_clusterable(collections)
    ids = [np.sort(np.asarray(c.ids(), dtype=np.int64)) for c in collections]
    check_cluster_count(k, sum(len(i) for i in ids))
    parts = [c.vectors_for(i) for c, i in zip(collections, ids, strict=True)]
    labels = cluster_vectors(np.concatenate(parts), k, seed=seed)
    records = [{r.id: r for r in c.records()} for c in collections]
    texts = [by_id[int(i)].text for by_id, part in zip(records, ids, strict=True) for i in part]
    names = cluster_names(texts, labels)
    start = 0
    for collection, part, vectors, by_id in zip(collections, ids, parts, records, strict=True):
        _write(collection, part, vectors, by_id, labels[start : start + len(part)])
        start += len(part)
    columns: dict[str, Any] = {}
    if len(collections) > 1:
        columns["collection"] = [c.name for c, i in zip(collections, ids, strict=True) for _ in i]
    columns["id"] = np.concatenate(ids)
    columns["cluster"] = labels
    columns["label"] = [names[c] for c in labels]
    return pd.DataFrame(columns)


def cluster_names(texts: Sequence[str], labels: npt.NDArray[np.int64]) -> list[str]:
    """Each cluster's label: its top c-TF-IDF words joined by ", " ("cluster N" without any)."""
    grouped: list[list[str]] = [[] for _ in range(int(labels.max()) + 1)]
    for text, label in zip(texts, labels, strict=True):
        grouped[int(label)].append(text)
    words = distinctive_words(grouped, top=TOP_WORDS)
    return [", ".join(w) or f"cluster {c}" for c, w in enumerate(words)]


def map_clusters(
    data: MapData, k: object, *, seed: int = 0, color: bool = True
) -> tuple[MapData, Any, list[dict[str, Any]]]:
    """Cluster a map's records: (the map data, coloured by cluster when `color`, the frame of
    `cluster_collections`, a label per cluster at the mean of its points' map coordinates)."""
    frame = cluster_collections(data.collections, k, seed=seed)
    clusters = frame["cluster"].to_numpy()
    names = frame.drop_duplicates("cluster").sort_values("cluster")["label"].tolist()
    labels = []
    for c, name in enumerate(names):
        x, y = data.coords[clusters == c].astype(np.float64).mean(axis=0)
        labels.append({"text": name, "x": round(float(x), 6), "y": round(float(y), 6)})
    if color:
        legend = [
            {"label": f"{c}: {name}", "color": PALETTE[c % len(PALETTE)]}
            for c, name in enumerate(names)
        ]
        data = replace(data, category=clusters.astype(np.uint16), legend=legend, color_by=KEY)
    return data, frame, labels


def _check_clusterable(collections: Sequence[Collection]) -> None:
    """Same embeddings everywhere, and every collection writable (else its one-line error)."""
    check_same_embeddings(collections, "cluster")
    for collection in collections:
        collection.check_writable()


def _write(
    collection: Collection,
    ids: npt.NDArray[np.int64],
    vectors: Any,
    by_id: dict[int, Any],
    labels: npt.NDArray[np.int64],
) -> None:
    """Upsert each record by id with its text and vector and `cluster` set in its metadata
    (records whose number is already right are reported unchanged and not rewritten)."""
    rows = [by_id[int(i)] for i in ids]
    metadata = [{**r.metadata, KEY: int(c)} for r, c in zip(rows, labels, strict=True)]
    collection.add([r.text for r in rows], vectors, metadata, ids=[int(i) for i in ids])
