"""On-disk ivfpq: written from a collection, opened memory-mapped, read like any collection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_helpers import DIM, make, texts, unit_vectors

from embmagic.errors import (
    DimensionMismatchError,
    InvalidArgumentError,
    ReadOnlyCollectionError,
    RecordNotFoundError,
    StoreFormatError,
)
from embmagic.store import Collection
from embmagic.store.kinds import KINDS
from embmagic.store.ondisk import DiskCollection


def filled(kind: str = "flat", n: int = 60) -> Collection:
    store = make(kind)
    assert isinstance(store, Collection)
    meta = [{"n": i, "parity": "even" if i % 2 == 0 else "odd"} for i in range(n)]
    store.add(texts(n), unit_vectors(n), meta)
    return store


@pytest.fixture
def disk(tmp_path: Path) -> DiskCollection:
    mem = filled()
    mem.delete([3])  # ids need not be contiguous
    mem.to_disk(tmp_path / "d")
    opened = Collection.load(tmp_path / "d")
    assert isinstance(opened, DiskCollection)
    return opened


def test_reads_match_the_in_memory_collection(disk: DiskCollection) -> None:
    mem = filled()
    mem.delete([3])
    assert len(disk) == 59 and disk.kind == "ivfpq"
    assert disk.ids().tolist() == mem.ids().tolist()
    assert disk.records() == mem.records()
    assert disk.get(7) == mem.get(7)
    assert disk.id_for_text("doc 9") == 9 and disk.id_for_text("doc 3") is None
    assert disk.ids_for_texts(["doc 3", "doc 9"]) == [None, 9]
    np.testing.assert_allclose(disk.vectors_for([5, 1]), mem.vectors_for([5, 1]), atol=1e-3)
    assert "on disk" in disk.index_status and str(disk.path) in disk.index_status


def test_search_finds_itself_and_filters_exactly(disk: DiskCollection) -> None:
    vectors = unit_vectors(60)
    for i in (0, 11, 59):
        hits = disk.search(vectors[i], 5)[0]
        assert hits[0].id == i and hits[0].text == f"doc {i}"
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    ref = make("reference")
    ref.add(texts(60), unit_vectors(60), [{"parity": "even" if i % 2 == 0 else "odd"}
                                          for i in range(60)])
    ref.delete([3])
    got = disk.search(vectors[:4], 7, where={"parity": "odd"})
    want = ref.search(vectors[:4], 7, where={"parity": "odd"})
    assert [[h.id for h in r] for r in got] == [[h.id for h in r] for r in want]
    assert disk.search(vectors[0], 5, where={"absent": 1}) == [[]]
    assert len(disk.search(vectors[0], 500)[0]) == 59


def test_errors_match_the_contract(disk: DiskCollection) -> None:
    with pytest.raises(RecordNotFoundError):
        disk.get(3)
    with pytest.raises(RecordNotFoundError):
        disk.vectors_for([1, 1000])
    with pytest.raises(InvalidArgumentError):
        disk.search(unit_vectors(1), 0)
    with pytest.raises(DimensionMismatchError):
        disk.search(unit_vectors(1, dim=DIM + 1), 3)
    with pytest.raises(ReadOnlyCollectionError):
        disk.add(["x"], unit_vectors(1))
    with pytest.raises(ReadOnlyCollectionError):
        disk.delete([1])
    with pytest.raises(ReadOnlyCollectionError):
        disk.reindex("flat")


def test_reindex_says_what_to_do_instead(disk: DiskCollection) -> None:
    with pytest.raises(ReadOnlyCollectionError, match=r"to_memory\(kind\).*to_disk\(path\)"):
        disk.reindex("hnsw", M=16)
    assert disk.kind == "ivfpq" and len(disk) == 59


def test_estimate_for_every_registered_kind(disk: DiskCollection) -> None:
    """Was an AttributeError (it read the in-memory store's records): now the same estimate the
    in-memory collection gives, for every kind (the toy kind of toy_kind.py included)."""
    mem = filled()
    mem.delete([3])
    assert "toy" in KINDS
    for kind in KINDS:
        assert disk.estimate_for(kind) == mem.estimate_for(kind), kind
    assert disk.estimate_for("hnsw", M=16) == mem.estimate_for("hnsw", M=16)
    assert disk.estimate_for("flat").records_bytes > 59 * 420
    with pytest.raises(InvalidArgumentError, match="unknown index kind"):
        disk.estimate_for("annoy")


def test_estimate_for_an_older_save_reads_the_parquet_sizes(tmp_path: Path) -> None:
    mem = filled(n=300)
    mem.to_disk(tmp_path / "d")
    manifest_path = tmp_path / "d" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["counts"]["text_chars"], manifest["counts"]["metadata_chars"]
    manifest_path.write_text(json.dumps(manifest))
    got, want = DiskCollection(tmp_path / "d").estimate_for("flat"), mem.estimate_for("flat")
    assert got.index_bytes == want.index_bytes
    assert got.records_bytes == pytest.approx(want.records_bytes, rel=0.1)


def test_content_digests_match_the_in_memory_collection(disk: DiskCollection) -> None:
    mem = filled()
    mem.delete([3])
    assert disk.content_digests().tobytes() == mem.content_digests().tobytes()
    assert disk.next_id == mem.next_id == 60


def test_save_copies_and_to_memory_is_mutable(disk: DiskCollection, tmp_path: Path) -> None:
    disk.save(tmp_path / "copy")
    again = Collection.load(tmp_path / "copy", name="again")
    assert isinstance(again, DiskCollection) and again.name == "again"
    assert again.records() == disk.records()
    mem = Collection.open(tmp_path / "copy", mmap=False)
    assert not isinstance(mem, DiskCollection) and mem.kind == "ivfpq"
    assert mem.records() == disk.records()
    assert mem.add(["new"], unit_vectors(1, seed=3)).added == [60]  # next_id kept


def test_recall_against_the_reference(tmp_path: Path) -> None:
    n = 3_000
    vectors = unit_vectors(n, seed=1)
    mem = make("flat")
    mem.add(texts(n), vectors)
    assert isinstance(mem, Collection)
    mem.to_disk(tmp_path / "r", nprobe=64, k_factor=40)
    disk = Collection.load(tmp_path / "r")
    queries = unit_vectors(50, seed=2)
    truth = mem.search(queries, 10)
    got = disk.search(queries, 10)
    recall = np.mean([len({h.id for h in g} & {h.id for h in t}) / 10
                      for g, t in zip(got, truth, strict=True)])
    assert recall >= 0.95, recall


@pytest.mark.parametrize(("params", "match"), [
    ({"pq_m": 5}, "m=5 must divide"), ({"nlist": 61}, "nlist=61"),
    ({"nprobe": 0}, "nprobe must be an integer from 1"),
    ({"bogus": 1}, "unknown"),
])
def test_bad_parameters_write_nothing(tmp_path: Path, params: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        filled().to_disk(tmp_path / "bad", **params)
    assert not any(tmp_path.iterdir())


def test_tampered_or_truncated_files_are_refused(disk: DiskCollection, tmp_path: Path) -> None:
    disk.save(tmp_path / "t")
    index = tmp_path / "t" / "index.faiss"
    data = bytearray(index.read_bytes())
    data[-1] ^= 0xFF
    index.write_bytes(bytes(data))
    with pytest.raises(StoreFormatError, match="SHA-256"):
        Collection.load(tmp_path / "t")
    disk.save(tmp_path / "u")
    with open(tmp_path / "u" / "vectors.f16", "ab") as fh:
        fh.write(b"xx")
    with pytest.raises(StoreFormatError, match="bytes"):
        Collection.load(tmp_path / "u")


def test_an_older_reader_is_told_to_upgrade(disk: DiskCollection) -> None:
    manifest = json.loads((disk.path / "manifest.json").read_text())
    assert (manifest["version"], manifest["storage"]) == (2, "on-disk")
    manifest["version"] = 3
    (disk.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreFormatError, match="upgrade embmagic"):
        Collection.load(disk.path)
