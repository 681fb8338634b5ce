"""Cluster labels on the map: `Map(coll, clusters=...)`, `%emb map COLL --clusters N|auto`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.core.clusters import cluster_vectors
from embmagic.widgets import Map
from embmagic.widgets.buffers import from_wire
from tests.conftest import magics_of, snapshot
from tests.widgets.conftest import TOPICS, refused_in_one_line


def collection(ip: InteractiveShell, name: str) -> Any:
    return magics_of(ip).session.collections[name]


def without_clusters(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with the `cluster` metadata key taken out of every record."""
    out = {}
    for name, (model, dim, records, vectors) in snap.items():
        kept = [(i, text, [kv for kv in meta if kv[0] != "cluster"]) for i, text, meta in records]
        out[name] = (model, dim, kept, vectors)
    return out


def test_clusters_frame_labels_and_colours(docs: InteractiveShell) -> None:
    m = Map("docs", clusters=3)
    frame = m.clusters
    assert list(frame.columns) == ["id", "cluster", "label"]
    coll = collection(docs, "docs")
    ids = sorted(r.id for r in coll.records())
    assert frame["id"].tolist() == ids  # map order
    topic = {i: coll.get(i).metadata["topic"] for i in ids}
    # the fake encoder's vectors share each topic's word: one cluster per topic
    by_topic = frame.groupby(frame["id"].map(topic))["cluster"].nunique()
    assert by_topic.to_dict() == dict.fromkeys(TOPICS, 1)
    names = frame.drop_duplicates("cluster").set_index("cluster")["label"].sort_index()
    assert sorted(n.split(", ")[0] for n in names) == sorted(TOPICS)  # the topic word first
    # labels: one per cluster, at the mean of its points' map coordinates
    assert [label["text"] for label in m.labels] == names.tolist()
    rows = frame["cluster"].to_numpy()
    for c, label in enumerate(m.labels):
        x, y = m.coords[rows == c].astype(np.float64).mean(axis=0)
        assert (label["x"], label["y"]) == pytest.approx((x, y), abs=1e-6)
    # colour by cluster: category = cluster number, legend "N: label"
    assert m.color_by == "cluster" and from_wire(m.category).tolist() == rows.tolist()
    assert [e["label"] for e in m.legend] == [f"{c}: {n}" for c, n in enumerate(names)]
    assert m.status == "30 points · PCA · docs · colour: cluster · 3 clusters"


def test_cluster_is_written_into_metadata_and_nothing_else_changes(docs: InteractiveShell) -> None:
    before = snapshot(docs)
    order = [r.id for r in collection(docs, "docs").records()]
    m = Map("docs", clusters=3)
    coll = collection(docs, "docs")
    assert [r.id for r in coll.records()] == order  # an upsert keeps each record's place
    stored = {r.id: r.metadata["cluster"] for r in coll.records()}
    assert stored == dict(zip(m.clusters["id"], m.clusters["cluster"], strict=True))
    assert all(type(v) is int for v in stored.values())
    assert without_clusters(snapshot(docs)) == before  # ids, texts, metadata, vectors as before


def test_where_cluster_filters_neighbours(docs: InteractiveShell) -> None:
    m = docs.run_line_magic("emb", "map docs --clusters 3")
    frame = m.clusters
    for c in range(3):
        members = set(frame.loc[frame["cluster"] == c, "id"])
        hits = docs.run_line_magic("neighbors", f"note number -c docs -k 30 --where cluster={c}")
        assert {h.id for h in hits.hits} == members


def test_same_call_twice_gives_identical_output(docs: InteractiveShell) -> None:
    for line in ("map docs --clusters 3", "map docs faq --clusters auto"):
        first = docs.run_line_magic("emb", line)
        written = snapshot(docs)
        again = docs.run_line_magic("emb", line)
        assert first.clusters.equals(again.clusters) and first.labels == again.labels
        assert first.legend == again.legend and repr(first) == repr(again)
        assert np.array_equal(from_wire(first.category), from_wire(again.category))
        assert snapshot(docs) == written


def test_several_collections_are_clustered_together(docs: InteractiveShell) -> None:
    m = Map(["docs", "faq"], clusters=4)
    frame = m.clusters
    assert list(frame.columns) == ["collection", "id", "cluster", "label"]
    assert frame["collection"].tolist() == ["docs"] * 30 + ["faq"] * 10
    parts = [collection(docs, n) for n in ("docs", "faq")]
    vectors = np.concatenate([c.vectors_for(sorted(c.ids())) for c in parts])
    together = cluster_vectors(vectors, 4, seed=0)  # one k-means over both collections
    assert frame["cluster"].tolist() == together.tolist()
    for name, coll in zip(("docs", "faq"), parts, strict=True):
        mine = frame[frame["collection"] == name]
        stored = {r.id: r.metadata["cluster"] for r in coll.records()}
        assert stored == dict(zip(mine["id"], mine["cluster"], strict=True))
    assert "question" in frame.loc[frame["collection"] == "faq", "label"].iloc[0]
    assert len(m.labels) == 4 and m.status.endswith("colour: cluster · 4 clusters")


def test_auto_chooses_the_number_of_topics(docs: InteractiveShell) -> None:
    m = docs.run_line_magic("emb", "map docs --clusters auto")
    assert m.clusters["cluster"].nunique() == 3 and len(m.labels) == 3


def test_colour_by_another_key_keeps_that_colour_and_still_labels(docs: InteractiveShell) -> None:
    m = Map("docs", clusters=3, color_by="topic")
    assert m.color_by == "topic" and sorted(e["label"] for e in m.legend) == sorted(TOPICS)
    assert len(m.labels) == 3
    # afterwards the written metadata colours a map without --clusters
    plain = Map("docs", color_by="cluster")
    assert sorted(e["label"] for e in plain.legend) == ["0", "1", "2"]


def test_without_clusters_nothing_changes(docs: InteractiveShell) -> None:
    before = snapshot(docs)
    m = Map("docs")
    assert m.clusters is None and m.labels == [] and m.color_by == "collection"
    assert snapshot(docs) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("emb map docs --clusters 0", "clusters must be at least 2, got 0"),
        ("emb map docs --clusters 1", "clusters must be at least 2, got 1"),
        ("emb map docs --clusters many", "--clusters: takes a whole number of at least 2 or auto"),
        ("emb map docs --clusters", "expected one argument"),
        ("emb map docs faq --clusters 41", "need at least 41 records, but there are 40"),
        ("emb map tiny --clusters auto", "--clusters auto needs at least 3 records, got 2"),
        ("emb map docs --clusters 3 --color-by colour", "no record has metadata 'colour'"),
        ("emb list --clusters 3", "--method and --clusters work only with %emb map"),
    ],
)
def test_bad_cluster_requests_are_one_line_and_change_nothing(
    docs: InteractiveShell, line: str, message: str
) -> None:
    docs.run_cell_magic("embed", "tiny", "one\ntwo")
    refused_in_one_line(docs, line, message)


def test_a_read_only_collection_is_refused_before_anything_changes(
    docs: InteractiveShell, tmp_path: Path
) -> None:
    path = tmp_path / "docs-disk"
    collection(docs, "docs").to_disk(path)
    docs.run_line_magic("emb", f"load {path} --as disk")
    before = snapshot(docs)
    for line in ("map disk --clusters 2", "map faq disk --clusters 2"):  # faq is writable
        with pytest.raises(UsageError) as info:
            docs.run_line_magic("emb", line)
        assert "read-only" in str(info.value) and "\n" not in str(info.value)
    assert snapshot(docs) == before


@pytest.mark.model
def test_minilm_clusters_are_named_by_their_topic_words(
    shell_with: Any,
) -> None:
    ip = shell_with(model="minilm")
    ip.user_ns["notes"] = [
        "The rocket carried the satellite into orbit.",
        "Astronauts on the rocket watched the planet below.",
        "A new planet was found orbiting a distant star.",
        "The rocket engine fired to raise the orbit.",
        "Bake the bread until the crust is golden.",
        "Knead the bread dough and let it rise before baking.",
        "Fresh bread from the oven smells wonderful.",
        "The bakery sells sourdough bread every morning.",
        "The guitar player tuned every string before the concert.",
        "She played a song on her guitar at the concert.",
        "The band's guitar solo was the best part of the concert.",
        "A concert with loud guitar music filled the hall.",
    ]
    ip.run_line_magic("embed", "notes --from notes")
    m = ip.run_line_magic("emb", "map notes --clusters 3")
    frame = m.clusters
    assert frame["cluster"].tolist()[:4] == [frame["cluster"][0]] * 4  # each topic one cluster
    groups = [set(frame["cluster"][i : i + 4]) for i in (0, 4, 8)]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3
    labels = {frame["cluster"][i]: frame["label"][i] for i in (0, 4, 8)}
    assert labels[frame["cluster"][0]].split(", ")[0] == "rocket"
    assert labels[frame["cluster"][4]].split(", ")[0] == "bread"
    assert labels[frame["cluster"][8]].split(", ")[0] in {"guitar", "concert"}
