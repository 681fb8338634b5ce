"""LanceCollection beyond the shared contract (test_contract.py runs that on "lancedb" too):
reopening, copies in and out, atomic adds, the install error, the IVF_PQ index."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from store_helpers import DIM, texts, unit_vectors

from embmagic.errors import (
    DimensionMismatchError,
    EmbmagicError,
    InvalidArgumentError,
    ModelMismatchError,
    StoreFormatError,
)
from embmagic.store import BaseCollection, Collection
from embmagic.store.lance import LanceCollection, LanceDBNotInstalledError
from embmagic.types import Hit

_C = TypeVar("_C", bound=BaseCollection)


def mixed(store: _C, n: int = 200) -> _C:
    """n records, explicit ids out of order, an upsert, deletes including the largest id."""
    store.add(texts(n), unit_vectors(n), [{"n": i, "odd": i % 2 == 1} for i in range(n)])
    store.add(["late", "early"], unit_vectors(2, seed=1), [{"x": 1}, None], ids=[900, 400])
    store.add(["moved"], unit_vectors(1, seed=2), {"v": 2}, ids=[7])
    store.delete([3, 900])
    return store


def everything(store: BaseCollection) -> tuple[Any, ...]:
    """All that is observable; search scores to 6 decimals (BLAS may round the last bit of a
    score differently when the table's blocks are laid out differently, as after a copy)."""
    ids = store.ids()
    queries = unit_vectors(4, seed=5)
    return (store.records(), ids.tolist(), store.vectors_for(ids).tobytes(),
            hits(store.search(queries, 8)), hits(store.search(queries, 5, where={"odd": "True"})),
            store.id_for_text("doc 10"), store.content_digests().tobytes(), len(store))


def hits(results: list[list[Hit]]) -> list[list[tuple[Any, ...]]]:
    return [[(h.id, h.text, h.metadata, round(h.score, 6)) for h in r] for r in results]


def table_state(store: LanceCollection) -> tuple[Any, ...]:
    """The table itself: version, every row and the schema with its metadata."""
    table = store._table
    return (table.version, table.to_arrow(), table.schema, store.next_id, store._next_seq)


def test_reopen_keeps_records_ids_order_and_id_counter(tmp_path: Path) -> None:
    store = mixed(LanceCollection.create(tmp_path / "c", "docs", "fake-32", DIM))
    before = everything(store)
    assert store.ids().tolist()[-2:] == [199, 400]  # insertion order, not id order
    del store
    for reopened in (LanceCollection.open(tmp_path / "c"), Collection.load(tmp_path / "c"),
                     Collection.open(tmp_path / "c")):
        assert isinstance(reopened, LanceCollection)
        assert everything(reopened) == before
        assert (reopened.name, reopened.model_id, reopened.dim) == ("docs", "fake-32", DIM)
    assert LanceCollection.open(tmp_path / "c", name="other").name == "other"
    again = LanceCollection.open(tmp_path / "c")
    assert again.add(["after reopen"], unit_vectors(1, seed=9)).added == [901]  # 900 not reused
    memory = Collection.open(tmp_path / "c", mmap=False)
    assert type(memory) is Collection and memory.records() == again.records()


def test_to_lance_copies_a_collection_record_by_record(tmp_path: Path) -> None:
    source = mixed(Collection("docs", "fake-32", DIM, "hnsw"))
    copy = source.to_lance(tmp_path / "l", chunk=64)
    assert isinstance(copy, LanceCollection) and copy.path == str(tmp_path / "l")
    assert copy.records() == source.records()
    assert copy.ids().tolist() == source.ids().tolist()
    np.testing.assert_array_equal(copy.vectors_for(copy.ids()), source.vectors_for(source.ids()))
    reference = Collection("docs", "fake-32", DIM)  # exact, for comparing search results
    for record in source.records():
        reference.add([record.text], source.vectors_for([record.id]), [record.metadata],
                      ids=[record.id])
    queries = unit_vectors(5, seed=3)
    assert hits(copy.search(queries, 10)) == hits(reference.search(queries, 10))
    assert copy.add(["new"], unit_vectors(1, seed=4)).added == source.add(
        ["new"], unit_vectors(1, seed=4)).added == [901]
    assert len(source) == len(copy) == 201


def test_copies_between_lance_on_disk_and_memory(tmp_path: Path) -> None:
    lance = mixed(LanceCollection.create(tmp_path / "l", "docs", "fake-32", DIM))
    lance.save(tmp_path / "saved")
    assert everything(LanceCollection.open(tmp_path / "saved")) == everything(lance)
    lance.to_disk(tmp_path / "disk")
    disk = Collection.load(tmp_path / "disk")
    assert sorted(disk.records(), key=lambda r: r.id) == sorted(lance.records(),
                                                                key=lambda r: r.id)
    back = disk.to_lance(tmp_path / "back")
    assert back.records() == disk.records()
    np.testing.assert_allclose(back.vectors_for(back.ids()), lance.vectors_for(back.ids()),
                               atol=5e-4)  # float16 on disk
    assert back.add(["next"], unit_vectors(1, seed=8)).added == [901]


BAD_ADDS: dict[str, tuple[dict[str, Any], type[Exception]]] = {
    "dimension": ({"vectors": unit_vectors(2, dim=DIM + 1)}, DimensionMismatchError),
    "metadata": ({"metadata": [{"ok": 1}, {"when": object()}]}, InvalidArgumentError),
    "model": ({"model_id": "other"}, ModelMismatchError),
    "ids": ({"ids": [5, 5]}, InvalidArgumentError),
}


@pytest.mark.parametrize("case", list(BAD_ADDS))
@pytest.mark.parametrize("with_ids", [False, True])
def test_failed_add_leaves_the_table_exactly_as_it_was(tmp_path: Path, case: str,
                                                       with_ids: bool) -> None:
    store = mixed(LanceCollection.create(tmp_path / "c", "docs", "fake-32", DIM))
    before, observed = table_state(store), everything(store)
    args: dict[str, Any] = {"texts": ["doc 5 changed", "brand new"],
                            "vectors": unit_vectors(2, seed=6),
                            "ids": [5, 1000] if with_ids else None}
    change, error = BAD_ADDS[case]
    args.update(change)
    with pytest.raises(error):
        store.add(args.pop("texts"), args.pop("vectors"), **args)
    assert table_state(store) == before
    assert everything(LanceCollection.open(tmp_path / "c")) == observed


def test_an_add_is_one_commit_and_an_unchanged_add_none(tmp_path: Path) -> None:
    store = mixed(LanceCollection.create(tmp_path / "c", "docs", "fake-32", DIM))
    version = store._table.version
    result = store.add(["doc 5", "doc 6"], store.vectors_for([5, 6]), [{"n": 5, "odd": True}, {}],
                       ids=[5, 6])
    assert (result.existing, result.updated) == ([5], [6])
    assert store._table.version == version + 1
    assert store.add(["doc 5"], unit_vectors(1, seed=7)).existing == [5]
    assert store._table.version == version + 1


def test_without_lancedb_a_one_line_install_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lancedb", None)  # `import lancedb` raises ImportError
    expected = 'LanceDB is not installed: pip install "embmagic[lancedb]"'
    attempts: list[Callable[[], object]] = [
                lambda: LanceCollection.create(tmp_path / "c", "docs", "m", DIM),
                lambda: LanceCollection.open(tmp_path / "c"),
                lambda: Collection("docs", "m", DIM).to_lance(tmp_path / "c")]
    for attempt in attempts:
        with pytest.raises(LanceDBNotInstalledError) as info:
            attempt()
        assert str(info.value) == expected
        assert isinstance(info.value, ImportError) and isinstance(info.value, EmbmagicError)
    assert not (tmp_path / "c").exists()


def test_importing_embmagic_and_the_backend_does_not_import_lancedb() -> None:
    code = textwrap.dedent(
        """
        import sys
        import embmagic, embmagic.store, embmagic.store.lance
        assert "lancedb" not in sys.modules
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_refusals_and_format_errors(tmp_path: Path) -> None:
    LanceCollection.create(tmp_path / "c", "docs", "m", DIM)
    with pytest.raises(InvalidArgumentError, match="already holds a LanceDB collection"):
        LanceCollection.create(tmp_path / "c", "docs", "m", DIM)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(InvalidArgumentError, match="not a LanceDB collection"):
        Collection("docs", "m", DIM).to_lance(tmp_path / "foreign")
    with pytest.raises(StoreFormatError, match="no LanceDB collection"):
        LanceCollection.open(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    import lancedb
    import pyarrow as pa

    lancedb.connect(str(tmp_path / "plain")).create_table(
        "records", schema=pa.schema([pa.field("id", pa.int64())]))
    with pytest.raises(StoreFormatError, match="not an embmagic collection"):
        Collection.load(tmp_path / "plain")
    with pytest.raises(InvalidArgumentError):
        LanceCollection.create(tmp_path / "x", "", "m", DIM)


def test_memory_is_small_and_disk_is_measured(tmp_path: Path) -> None:
    store = mixed(LanceCollection.create(tmp_path / "c", "docs", "m", DIM))
    mem = store.memory()
    assert (mem.kind, mem.vectors, mem.ram_bytes) == ("lancedb", 200, 0)
    assert mem.disk_bytes > 200 * DIM * 4
    assert store.kind == "lancedb" and store.index_status == "lancedb (exact search, 200 vectors)"


def clustered(n: int, centres: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, DIM))
    v = middle[rng.integers(0, centres, n)] + 0.3 * rng.standard_normal((n, DIM))
    out: np.ndarray = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return out


def test_ivfpq_index_recall_status_and_reopen(tmp_path: Path) -> None:
    n = 3_000
    vectors = clustered(n)
    store = LanceCollection.create(tmp_path / "c", "docs", "m", DIM)
    store.add(texts(n), vectors, [{"g": i % 3} for i in range(n)])
    exact = Collection("docs", "m", DIM)
    exact.add(texts(n), vectors, [{"g": i % 3} for i in range(n)])
    for kind, params in (("hnsw", {}), ("ivfpq", {"pq_m": 5}), ("ivfpq", {"nlist": n + 1}),
                         ("ivfpq", {"efsearch": 3}), ("flat", {"nlist": 2})):
        with pytest.raises(InvalidArgumentError):
            store.reindex(kind, **params)
    assert store.index_status.startswith("lancedb (exact")
    store.reindex("ivfpq", nlist=16, pq_m=8, nprobe=12)
    assert store.index_status == ("lancedb IVF_PQ (nlist=16, pq_m=8, nprobe=12, k_factor=10), "
                                  "3,000 vectors")
    assert store.memory().index_bytes > 0
    queries = clustered(50, seed=1)
    got, want = store.search(queries, 10), exact.search(queries, 10)
    recall = np.mean([len({h.id for h in g} & {h.id for h in w}) / 10
                      for g, w in zip(got, want, strict=True)])
    assert recall >= 0.95
    for found in got:  # exact scores of the candidates, best first, ties by id
        assert [(-h.score, h.id) for h in found] == sorted((-h.score, h.id) for h in found)
    assert hits(store.search(queries, 5, where={"g": 1})) == hits(
        exact.search(queries, 5, where={"g": 1}))
    store.add(["late"], clustered(1, seed=2))
    assert "1 not indexed yet" in store.index_status
    assert store.search(clustered(1, seed=2), 1)[0][0].text == "late"
    assert LanceCollection.open(tmp_path / "c").index_params == store.index_params
    store.reindex("flat")
    assert store.index_status == "lancedb (exact search, 3,001 vectors)"
    exact.add(["late"], clustered(1, seed=2))
    assert hits(store.search(queries, 10)) == hits(exact.search(queries, 10))


def test_long_id_lists_are_matched_while_scanning(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from embmagic.store import lance

    store = mixed(LanceCollection.create(tmp_path / "c", "docs", "m", DIM))
    twin = mixed(Collection("docs", "m", DIM))
    before = everything(store)
    monkeypatch.setattr(lance, "_IN_LIST", 3)  # every lookup below takes the scanning path
    assert everything(store) == before
    added = [t.add(texts(20), unit_vectors(20)) for t in (store, twin)]
    assert added[0] == added[1] and added[0].added == [901, 902]  # doc 3 and doc 7 were gone
    upserts = [t.add(texts(6, "up"), unit_vectors(6, seed=3), ids=[0, 1, 2, 3, 500, 501])
               for t in (store, twin)]
    assert upserts[0] == upserts[1] and upserts[0].updated == [0, 1, 2]
    assert everything(store) == everything(twin)
