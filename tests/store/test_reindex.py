"""Collection.reindex and the memory estimates behind `%emb index` / `%emb info`."""

from __future__ import annotations

import pytest
from store_helpers import DIM, make, texts, unit_vectors

from embmagic.errors import InvalidArgumentError
from embmagic.store import Collection
from embmagic.store.kinds import kind_class
from embmagic.store.memory import estimate


def filled(n: int = 200) -> Collection:
    store = make("flat")
    assert isinstance(store, Collection)
    store.add(texts(n), unit_vectors(n), [{"i": i} for i in range(n)])
    return store


def state(c: Collection) -> tuple[object, ...]:
    ids = c.ids()
    return (c.kind, c.index_params, c.index_status, c.records(), c.vectors_for(ids).tobytes())


@pytest.mark.parametrize(("kind", "params"), [
    ("hnsw", {"M": 16, "ef_search": 64}), ("ivfpq", {"nlist": 4, "pq_m": 8, "nprobe": 4}),
    ("flat", {}),
])
def test_reindex_keeps_records_and_finds_the_same(kind: str, params: dict[str, int]) -> None:
    c = filled()
    c.delete([5])
    records = c.records()
    c.reindex(kind, **params)
    assert c.kind == kind and c.records() == records
    assert {k: v for k, v in c.index_params.items() if k in params} == params
    vectors = unit_vectors(200)
    assert [c.search(vectors[i], 1)[0][0].id for i in (0, 7, 199)] == [0, 7, 199]
    assert c.add(["later"], unit_vectors(1, seed=9)).added == [200]


@pytest.mark.parametrize(("kind", "params", "match"), [
    ("ivfpq", {"pq_m": 5}, "must divide"), ("ivfpq", {"nlist": 500}, "nlist=500"),
    ("hnsw", {"nlist": 4}, "unknown"), ("flat", {"M": 4}, "unknown"), ("tree", {}, "unknown"),
    ("hnsw", {"M": 0}, "M must be an integer from 1"),
    ("hnsw", {"ef_search": 2**40}, "ef_search must be an integer from 1 to 1,000,000"),
])
def test_bad_parameters_leave_the_collection_as_it_was(kind: str, params: dict[str, int],
                                                        match: str) -> None:
    c = filled()
    c.reindex("hnsw")
    before = state(c)
    with pytest.raises(InvalidArgumentError, match=match):
        c.reindex(kind, **params)
    assert state(c) == before


def test_bytes_per_vector_match_the_measured_sizes() -> None:
    # bench/bench_search.py measures serialised sizes: flat ~1,550, hnsw ~1,800, ivfpq ~500
    assert kind_class("flat").bytes_per_vector(384, {}) == pytest.approx(1_552, rel=0.02)
    assert kind_class("hnsw").bytes_per_vector(384, {}) == pytest.approx(1_808, rel=0.03)
    assert kind_class("ivfpq").bytes_per_vector(384, {}) == pytest.approx(496, rel=0.05)
    est = estimate("flat", 384, 1_000_000, {}, 0)
    assert est.ram_bytes == est.index_bytes > 1.5e9


def test_memory_follows_the_index_in_use() -> None:
    c = filled()
    flat = c.memory()
    assert flat.vectors == 200 and flat.records_bytes > 0
    assert flat.index_bytes == pytest.approx(200 * (4 * DIM + 16))
    c.reindex("hnsw")
    assert c.memory().index_bytes > flat.index_bytes
    c.reindex("ivfpq")  # untrained at 200 vectors: a flat index inside
    assert c.memory().index_bytes == flat.index_bytes
