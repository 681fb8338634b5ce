"""The saved directory: open formats, checksums, versioning, crash-safe replacement."""

from __future__ import annotations

import json
import os
from pathlib import Path

import faiss
import numpy as np
import pytest
from store_helpers import make, texts, unit_vectors

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store import Collection
from embmagic.store.persist import backup_path


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    store = make("flat")
    store.add(texts(20), unit_vectors(20), [{"i": i} for i in range(20)])
    store.delete([19])
    store.save(tmp_path / "coll")
    return tmp_path / "coll"


def test_layout_is_open_and_pickle_free(saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == ["index.faiss", "lexical.npz",
                                                       "manifest.json", "records.jsonl"]
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["format"] == "embmagic.collection"
    assert manifest["version"] == 1
    assert (manifest["name"], manifest["model_id"], manifest["dim"], manifest["kind"]) == (
        "test", "fake-32", 32, "flat")
    assert manifest["counts"] == {"records": 19, "vectors": 19, "tombstones": 0}
    assert manifest["next_id"] == 20
    assert set(manifest["files"]) == {"index.faiss", "records.jsonl", "lexical.npz"}
    lines = [json.loads(line) for line in (saved / "records.jsonl").read_text().splitlines()]
    assert lines[3] == {"id": 3, "sha256": lines[3]["sha256"], "text": "doc 3",
                        "metadata": {"i": 3}}
    index = faiss.read_index(str(saved / "index.faiss"))  # readable without embmagic
    assert index.ntotal == 19


def test_tampered_file_is_refused(saved: Path) -> None:
    path = saved / "records.jsonl"
    path.write_text(path.read_text().replace("doc 3", "doc X"))
    with pytest.raises(StoreFormatError, match="SHA-256"):
        Collection.load(saved)


def test_tampered_index_is_refused(saved: Path) -> None:
    data = bytearray((saved / "index.faiss").read_bytes())
    data[-5] ^= 0xFF
    (saved / "index.faiss").write_bytes(bytes(data))
    with pytest.raises(StoreFormatError, match=r"index\.faiss"):
        Collection.load(saved)


def test_future_version_is_refused(saved: Path) -> None:
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["version"] = 99
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreFormatError, match="upgrade embmagic"):
        Collection.load(saved)


@pytest.mark.parametrize("content", [None, "hello", '{"format": "something-else"}', "{oops"])
def test_foreign_directory_is_refused(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(StoreFormatError) as info:
        Collection.load(tmp_path)
    assert "\n" not in str(info.value)


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreFormatError, match="no saved collection"):
        Collection.load(tmp_path / "nothing here")


def test_missing_file_is_refused(saved: Path) -> None:
    (saved / "index.faiss").unlink()
    with pytest.raises(StoreFormatError, match="missing"):
        Collection.load(saved)


def test_kind_mismatch_between_manifest_and_index_is_refused(saved: Path) -> None:
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["kind"] = "hnsw"
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreFormatError, match="IndexHNSWFlat"):
        Collection.load(saved)


def test_load_recovers_a_backup_left_between_renames(saved: Path) -> None:
    """A crash after 'target -> backup' and before 'tmp -> target' leaves only the backup."""
    os.rename(saved, backup_path(saved))
    loaded = Collection.load(saved)
    assert len(loaded) == 19
    assert saved.is_dir()


def test_resave_replaces_and_cleans_up(saved: Path) -> None:
    store = Collection.load(saved)
    store.add(["one more"], unit_vectors(1, seed=5))
    store.save(saved)
    assert len(Collection.load(saved)) == 20
    assert sorted(p.name for p in saved.parent.iterdir()) == ["coll"]


def test_save_refuses_to_overwrite_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(InvalidArgumentError, match="not an embmagic save"):
        make("flat").save(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "precious"


def test_hnsw_tombstones_survive_save_and_load(tmp_path: Path) -> None:
    store = make("hnsw")
    vectors = unit_vectors(50)
    store.add(texts(50), vectors)
    store.delete([7, 8])
    store.add(["moved"], unit_vectors(1, seed=3), ids=[9])
    store.save(tmp_path / "h")
    manifest = json.loads((tmp_path / "h" / "manifest.json").read_text())
    assert manifest["tombstones"] == [7, 8, 9]
    assert manifest["counts"] == {"records": 48, "vectors": 51, "tombstones": 3}
    loaded = Collection.load(tmp_path / "h")
    hits = loaded.search(vectors[7:10], 3)
    assert all(h.id not in (7, 8) for row in hits for h in row)
    assert hits[2][0].id != 9
    assert "3 tombstones" in loaded.index_status


def test_ivfpq_stays_exact_until_it_can_train_then_trains_and_saves(tmp_path: Path) -> None:
    assert Collection("q", "m", 64, "ivfpq").index_status == (
        "ivfpq (untrained: exact search until 2,496 vectors)")
    store = Collection("q", "m", 64, "ivfpq", nlist=8)  # trains at 39 * 8 = 312 vectors
    vectors = unit_vectors(400, dim=64, seed=4)
    store.add(texts(300), vectors[:300])
    assert store.index_status == "ivfpq (untrained: exact search until 312 vectors)"
    store.delete([5])
    store.add(texts(100, "more"), vectors[300:])
    assert store.index_status.startswith("ivfpq (IVF8,PQ32x4fs + SQ8 re-rank, nprobe=8")
    assert len(store) == 399
    assert store.ids().tolist() == [i for i in range(400) if i != 5]
    hits = store.search(vectors[[0, 350]], 1)
    assert [row[0].id for row in hits] == [0, 350]
    store.save(tmp_path / "q")
    loaded = Collection.load(tmp_path / "q")
    assert loaded.index_status == store.index_status
    np.testing.assert_allclose(loaded.vectors_for([3, 399]), vectors[[3, 399]], atol=1e-2)
