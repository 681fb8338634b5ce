"""The kind registry: schemas and flags, validation, memory estimates, and a kind added from a test
module (toy_kind.py) working end to end; `open_collection` for every kind of save."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import DIM, texts, unit_vectors
from toy_kind import ToyIndex

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store import BaseCollection, Collection, open_collection
from embmagic.store.kinds import KINDS, kind_class, kind_flags, register_kind, unregister_kind
from embmagic.store.lance import LanceCollection
from embmagic.store.memory import estimate
from embmagic.store.ondisk import DiskCollection


def filled(kind: str = "flat", n: int = 60, **params: int) -> Collection:
    c = Collection("docs", "fake-32", DIM, kind, **params)
    c.add(texts(n), unit_vectors(n), [{"i": i} for i in range(n)])
    return c


def test_each_kind_names_its_flags() -> None:
    assert kind_flags("flat") == {}
    assert kind_flags("hnsw") == {"--m": "M", "--ef-construction": "ef_construction",
                                  "--ef-search": "ef_search"}
    assert kind_flags("ivfpq") == {"--nlist": "nlist", "--nprobe": "nprobe",
                                   "--k-factor": "k_factor", "--m": "pq_m"}
    assert kind_flags("toy") == {"--block": "block"}
    assert kind_class("hnsw").defaults() == {"M": 32, "ef_construction": 200, "ef_search": 128}


def test_estimates_are_the_same_numbers_as_before() -> None:
    # the formulas memory.py used to hard-code: flat 4d+16, hnsw 4d+2M*4*1.03+16,
    # ivfpq ceil(m/2)+d+24 plus 4d per centroid
    assert estimate("flat", 384, 1_000, {}, 0).index_bytes == 1_552_000
    assert estimate("hnsw", 384, 1_000, {}, 0).index_bytes == 1_815_680
    assert estimate("ivfpq", 384, 1_000, {}, 0).index_bytes == 602_304
    assert estimate("ivfpq", 384, 1_000_000, {}, 0).index_bytes == 505_572_864
    assert estimate("hnsw", DIM, 200, {"M": 16}, 0).index_bytes == 55_168
    assert estimate("ivfpq", DIM, 200, {"pq_m": 8, "nlist": 4}, 0).index_bytes == 12_512
    with pytest.raises(InvalidArgumentError, match="unknown index kind 'annoy'"):
        estimate("annoy", DIM, 10, {}, 0)


def test_the_kind_validates_against_the_data() -> None:
    ivfpq = kind_class("ivfpq")
    with pytest.raises(InvalidArgumentError, match="must divide the dimension 32"):
        ivfpq.validate(DIM, {"pq_m": 5})
    with pytest.raises(InvalidArgumentError, match="nlist=500 is more than the 200 vectors"):
        ivfpq.validate(DIM, {"nlist": 500}, n=200)
    assert ivfpq.validate(DIM, {"nlist": 500})["nlist"] == 500  # empty: trains later
    with pytest.raises(InvalidArgumentError, match="block must be an integer from 1 to 2,147,48"):
        Collection("c", "m", DIM, "toy", block=0)


def test_a_new_kind_is_one_module_and_one_registration(tmp_path: Path) -> None:
    c = filled("toy", block=16)
    assert (c.kind, c.index_params, c.index_status) == ("toy", {"block": 16},
                                                         "toy (block=16, 60 vectors)")
    assert c.memory().index_bytes == 60 * (4 * DIM + 8)
    assert filled().estimate_for("toy").index_bytes == 60 * (4 * DIM + 8)
    c.save(tmp_path / "toy")
    again = open_collection(tmp_path / "toy")
    assert isinstance(again, Collection) and again.index_params == {"block": 16}
    assert again.records() == c.records()
    assert again.search(unit_vectors(60)[9], 3) == c.search(unit_vectors(60)[9], 3)
    flat = filled()
    flat.reindex("toy", block=3)
    assert flat.kind == "toy" and flat.search(unit_vectors(60)[4], 1)[0][0].id == 4


def test_registration_is_undone_and_names_are_not_stolen() -> None:
    assert KINDS["toy"] is ToyIndex

    class Impostor(ToyIndex):
        pass

    with pytest.raises(InvalidArgumentError, match="already registered"):
        register_kind(Impostor)
    assert register_kind(ToyIndex) is ToyIndex  # registering the same class again is harmless
    unregister_kind("toy")
    with pytest.raises(InvalidArgumentError, match=r"choose one of: flat, hnsw, ivfpq$"):
        Collection("c", "m", DIM, "toy")
    register_kind(ToyIndex)  # the fixture unregisters it again


def test_a_save_of_an_unregistered_kind_is_a_format_error(tmp_path: Path) -> None:
    filled("toy").save(tmp_path / "toy")
    unregister_kind("toy")
    try:
        with pytest.raises(StoreFormatError, match="unknown index kind 'toy'"):
            open_collection(tmp_path / "toy")
    finally:
        register_kind(ToyIndex)


def test_open_collection_opens_every_kind_of_save(tmp_path: Path) -> None:
    c = filled("hnsw")
    c.save(tmp_path / "mem")
    c.to_disk(tmp_path / "disk")
    c.to_lance(tmp_path / "lance")
    opened = {name: open_collection(tmp_path / name, name="x") for name in ("mem", "disk",
                                                                           "lance")}
    assert [type(o) for o in opened.values()] == [Collection, DiskCollection, LanceCollection]
    for o in opened.values():
        assert isinstance(o, BaseCollection) and o.name == "x" and o.next_id == 60
        assert [r.text for r in o.records()] == texts(60)
    assert not isinstance(opened["disk"], Collection)
    assert not isinstance(opened["lance"], Collection)
    for name in ("disk", "lance"):
        mem = open_collection(tmp_path / name, mmap=False)
        assert type(mem) is Collection and mem.records() == c.records()
    assert type(Collection.load(tmp_path / "disk")) is DiskCollection
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    for bad in (tmp_path / "foreign", tmp_path / "missing"):
        with pytest.raises(StoreFormatError):
            open_collection(bad)


def test_the_contract_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        BaseCollection()  # type: ignore[abstract]
