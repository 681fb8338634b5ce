"""One contract, every store: flat, hnsw, ivfpq (untrained and trained), lancedb, the reference."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from store_helpers import DIM, EXACT_KINDS, Store, StoreFactory, make, texts, unit_vectors

from embmagic.errors import (
    DimensionMismatchError,
    InvalidArgumentError,
    ModelMismatchError,
    RecordNotFoundError,
)
from embmagic.store import Collection


def top_ids(store: Store, vector: np.ndarray, k: int = 5, **kw: Any) -> list[int]:
    return [h.id for h in store.search(vector, k, **kw)[0]]


def test_add_assigns_sequential_ids_and_keeps_records(filled: Store) -> None:
    assert len(filled) == 60
    assert filled.ids().tolist() == list(range(60))
    assert filled.ids().dtype == np.int64
    rec = filled.get(7)
    assert (rec.id, rec.text, rec.metadata) == (7, "doc 7", {"n": 7, "parity": "odd",
                                                             "tags": ["a", 7]})
    assert [r.text for r in filled.records()] == texts(60)


def test_same_text_is_existing_not_readded(filled: Store) -> None:
    result = filled.add(["doc 3", "new", "new"], unit_vectors(3, seed=9))
    assert result.added == [60]
    assert result.existing == [3, 60]
    assert result.updated == []
    assert len(filled) == 61
    assert filled.id_for_text("new") == 60
    assert filled.id_for_text("absent") is None


def test_ids_for_texts_looks_up_many_at_once(filled: Store) -> None:
    wanted = ["doc 3", "absent", "doc 59", "doc 3", ""]
    assert filled.ids_for_texts(wanted) == [3, None, 59, 3, None]
    assert filled.ids_for_texts(wanted) == [filled.id_for_text(t) for t in wanted]
    assert filled.ids_for_texts([]) == []


def test_upsert_by_id_replaces_text_vector_and_metadata(filled: Store) -> None:
    vec = unit_vectors(1, seed=42)
    result = filled.add(["replaced"], vec, [{"v": 2}], ids=[5])
    assert (result.added, result.existing, result.updated) == ([], [], [5])
    assert filled.get(5).text == "replaced"
    assert filled.get(5).metadata == {"v": 2}
    assert filled.id_for_text("doc 5") is None
    assert top_ids(filled, vec[0], 1) == [5]
    assert len(filled) == 60
    assert filled.ids().tolist() == list(range(60))  # an upsert keeps its place


def test_upsert_unchanged_is_existing(filled: Store) -> None:
    result = filled.add(["doc 4"], filled.vectors_for([4]), [filled.get(4).metadata], ids=[4])
    assert (result.added, result.existing, result.updated) == ([], [4], [])


def test_explicit_new_ids_then_auto_ids_continue_after_max(store_factory: StoreFactory) -> None:
    store = store_factory()
    assert store.add(["a", "b"], unit_vectors(2), ids=[10, 3]).added == [10, 3]
    assert store.add(["c"], unit_vectors(1, seed=1)).added == [11]


def test_deletes_never_shift_or_reuse_ids(filled: Store) -> None:
    assert filled.delete([0, 59, 30, 1000]) == 3
    assert filled.delete([30]) == 0
    assert len(filled) == 57
    assert filled.ids().tolist() == [i for i in range(60) if i not in (0, 30, 59)]
    with pytest.raises(RecordNotFoundError):
        filled.get(30)
    assert filled.get(31).text == "doc 31"
    assert filled.add(["later"], unit_vectors(1, seed=5)).added == [60]  # 59 is not reused
    vectors = unit_vectors(60)
    for i in (1, 31, 58):
        assert top_ids(filled, vectors[i], 1) == [i]
    assert 30 not in top_ids(filled, vectors[30], 10)
    assert filled.id_for_text("doc 30") is None
    assert filled.add(["doc 30"], vectors[30:31]).added == [61]


def test_search_finds_itself_first_and_orders_scores(filled: Store) -> None:
    vectors = unit_vectors(60)
    results = filled.search(vectors[:4], 5)
    assert len(results) == 4
    for i, hits in enumerate(results):
        assert hits[0].id == i
        assert hits[0].text == f"doc {i}"
        assert hits[0].score == pytest.approx(1.0, abs=1e-2)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)


def test_where_filters_by_every_key_with_string_equality(filled: Store) -> None:
    vectors = unit_vectors(60)
    hits = filled.search(vectors[2], 10, where={"parity": "odd"})[0]
    assert len(hits) == 10
    assert all(h.metadata["parity"] == "odd" for h in hits)
    assert [h.id for h in filled.search(vectors[2], 3, where={"n": "7"})[0]] == [7]
    assert [h.id for h in filled.search(vectors[2], 3, where={"n": 7, "parity": "odd"})[0]] == [7]
    assert filled.search(vectors[2], 3, where={"n": 7, "parity": "even"}) == [[]]
    assert filled.search(vectors[2], 3, where={"nobody": "x"}) == [[]]
    assert len(filled.search(vectors[2], 5, where={})[0]) == 5


def test_k_larger_than_collection_returns_all(store_factory: StoreFactory) -> None:
    store = store_factory()
    store.add(texts(3), unit_vectors(3))
    hits = store.search(unit_vectors(1, seed=3), 50)[0]
    assert sorted(h.id for h in hits) == [0, 1, 2]


def test_empty_collection_returns_empty_lists(store_factory: StoreFactory) -> None:
    store = store_factory()
    assert store.search(unit_vectors(2), 5) == [[], []]
    assert len(store) == 0
    assert store.records() == []
    assert store.ids().tolist() == []


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3", None])
def test_k_must_be_a_positive_int(filled: Store, k: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        filled.search(unit_vectors(1), k)


def test_query_dimension_is_checked(filled: Store) -> None:
    with pytest.raises(DimensionMismatchError):
        filled.search(unit_vectors(1, dim=DIM + 1), 3)


def test_get_and_vectors_for_missing_ids_raise(filled: Store) -> None:
    with pytest.raises(RecordNotFoundError):
        filled.get(1234)
    with pytest.raises(RecordNotFoundError):
        filled.vectors_for([1, 1234])


def test_vectors_for_returns_stored_vectors_in_order(filled: Store, spec: str) -> None:
    got = filled.vectors_for([9, 2, 9])
    want = unit_vectors(60)[[9, 2, 9]]
    np.testing.assert_allclose(got, want, atol=0 if spec != "ivfpq-trained" else 1e-2)
    assert got.dtype == np.float32


def test_ties_go_to_the_lower_id(store_factory: StoreFactory) -> None:
    store = store_factory()
    v = unit_vectors(1, seed=8)
    store.add(["x", "y", "z"], np.repeat(v, 3, axis=0), ids=[9, 3, 5])
    assert top_ids(store, v[0], 3) == [3, 5, 9]
    assert top_ids(store, v[0], 2) == [3, 5]


def test_results_are_copies(filled: Store) -> None:
    filled.get(1).metadata["n"] = "changed"
    filled.search(unit_vectors(60)[1], 1)[0][0].metadata["n"] = "changed"
    assert filled.get(1).metadata["n"] == 1


def snapshot(store: Store) -> tuple[Any, ...]:
    """Everything observable about a store."""
    ids = store.ids()
    return (store.records(), ids.tolist(), store.vectors_for(ids).tobytes(),
            store.search(unit_vectors(3, seed=11), 7), store.search(unit_vectors(1), 3,
                                                                    where={"parity": "odd"}),
            store.index_status, len(store))


BAD_ADDS: dict[str, tuple[dict[str, Any], type[Exception]]] = {
    "dimension": ({"vectors": unit_vectors(2, dim=DIM * 2)}, DimensionMismatchError),
    "model": ({"model_id": "other-model"}, ModelMismatchError),
    "fewer vectors": ({"vectors": unit_vectors(1)}, InvalidArgumentError),
    "nan": ({"vectors": np.full((2, DIM), np.nan, np.float32)}, InvalidArgumentError),
    "zero vector": ({"vectors": np.zeros((2, DIM), np.float32)}, InvalidArgumentError),
    "1-d vectors": ({"vectors": unit_vectors(1)[0]}, InvalidArgumentError),
    "string vectors": ({"vectors": np.array([["a"] * DIM] * 2)}, InvalidArgumentError),
    "metadata object": ({"metadata": [{"a": 1}, {"when": object()}]}, InvalidArgumentError),
    "metadata nan": ({"metadata": [{"a": float("nan")}, {}]}, InvalidArgumentError),
    "metadata length": ({"metadata": [{}]}, InvalidArgumentError),
    "duplicate ids": ({"ids": [70, 70]}, InvalidArgumentError),
    "negative id": ({"ids": [70, -1]}, InvalidArgumentError),
    "ids length": ({"ids": [70]}, InvalidArgumentError),
    "text type": ({"texts": ["fine", 3]}, InvalidArgumentError),
    "bare string": ({"texts": "ab"}, InvalidArgumentError),
}


@pytest.mark.parametrize("case", list(BAD_ADDS))
def test_failed_add_changes_nothing(filled: Store, case: str) -> None:
    before = snapshot(filled)
    args: dict[str, Any] = {"texts": ["new one", "doc 3"], "vectors": unit_vectors(2, seed=4),
                            "metadata": None, "ids": [3, 70] if case != "model" else None}
    change, error = BAD_ADDS[case]
    args.update(change)
    with pytest.raises(error):
        filled.add(args.pop("texts"), args.pop("vectors"), **args)
    assert snapshot(filled) == before


def test_dimension_mismatch_50_into_384(spec: str) -> None:
    store = make(spec, dim=384)
    with pytest.raises(DimensionMismatchError, match="50-d"):
        store.add(["a"], unit_vectors(1, dim=50))


def test_save_load_round_trip(filled: Store, spec: str, tmp_path: Any) -> None:
    filled.delete([4, 8])
    filled.add(["replaced"], unit_vectors(1, seed=3), ids=[6])
    before = snapshot(filled)
    filled.save(tmp_path / "c")
    loaded = type(filled).load(tmp_path / "c")
    assert snapshot(loaded) == before
    assert loaded.name == "test"
    assert type(filled).load(tmp_path / "c", name="other").name == "other"
    assert loaded.add(["after load"], unit_vectors(1, seed=77)).added == [60]


def test_metadata_may_be_one_dict_for_all(store_factory: StoreFactory) -> None:
    store = store_factory()
    store.add(["a", "b"], unit_vectors(2), {"source": "cell"})
    assert [r.metadata for r in store.records()] == [{"source": "cell"}] * 2


@pytest.mark.parametrize("exact", [k for k in EXACT_KINDS if k != "reference"])
def test_exact_kinds_equal_the_reference(exact: str) -> None:
    """Same ids, scores within 1e-5, with deletes, upserts and filters in play."""
    n = 2_000
    vectors = unit_vectors(n, seed=1)
    meta = [{"group": i % 7} for i in range(n)]
    stores = [make(exact), make("reference")]
    for store in stores:
        store.add(texts(n), vectors, meta)
        store.delete(list(range(0, n, 13)))
        store.add(["moved"], unit_vectors(1, seed=2), ids=[101])
    queries = unit_vectors(25, seed=3)
    for where in (None, {"group": 3}):
        got, want = (s.search(queries, 10, where=where) for s in stores)
        singles = [stores[0].search(q, 10, where=where)[0] for q in queries[:5]]  # 1-query paths
        for g, w in zip([*got, *singles], [*want, *want[:5]], strict=True):
            assert [h.id for h in g] == [h.id for h in w]
            np.testing.assert_allclose([h.score for h in g], [h.score for h in w], atol=1e-5)


def test_kind_and_status_are_visible() -> None:
    assert Collection("c", "m", 8).kind == "flat"
    assert Collection("c", "m", 8, "hnsw", ef_search=64).index_status.startswith("hnsw")
    with pytest.raises(InvalidArgumentError, match="flat, hnsw, ivfpq"):
        Collection("c", "m", 8, "annoy")
    with pytest.raises(InvalidArgumentError, match="ef_search"):
        Collection("c", "m", 8, "hnsw", efsearch=3)
    with pytest.raises(InvalidArgumentError):
        Collection("c", "m", 8, "ivfpq", nprobe=0)
